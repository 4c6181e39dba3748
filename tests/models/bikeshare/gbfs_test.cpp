#include <citytwin/bikeshare/readers/gbfs.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <citytwin/sim/error.hpp>

#include "test_data.hpp"

namespace citytwin::bikeshare {
namespace {

namespace fs = std::filesystem;

/// Writes `text` to a fresh file under the test temp folder and returns its path.
fs::path write_file(const std::string& relative, const std::string& text) {
  const fs::path path = fs::path(testing::TempDir()) / "citytwin_bikeshare_gbfs" / relative;
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
  return path;
}

/// Returns the message of the InputError thrown by `action` (empty when none is thrown).
template <typename Action>
std::string input_error_of(Action action) {
  try {
    action();
  } catch (const InputError& error) {
    return error.what();
  }
  return {};
}

TEST(GbfsStationInformation, ReadsOsloFeed) {
  CITYTWIN_DATA_FILE(path, "gbfs/oslo-bysykkel/station_information.json");
  const StationTable table = read_station_information(path);
  // 260 stations, all with a capacity, ids mapped once
  EXPECT_EQ(table.n_stations(), 260u);
  EXPECT_EQ(table.version, "2.2");
  EXPECT_EQ(table.last_updated_s, 1666548064);
  EXPECT_EQ(table.n_missing_capacity, 0);
  const std::int32_t idx = table.find("2351");
  ASSERT_GE(idx, 0);
  const auto i = static_cast<std::size_t>(idx);
  EXPECT_EQ(table.name[i], "Sogn Studentby");
  EXPECT_EQ(table.address[i], "Jon P Erliens vei 1");
  EXPECT_DOUBLE_EQ(table.lat_deg[i], 59.95208441268443);
  EXPECT_DOUBLE_EQ(table.lon_deg[i], 10.727852791011173);
  EXPECT_EQ(table.capacity[i], 18);
  EXPECT_EQ(table.find("no-such-station"), -1);
}

TEST(GbfsStationStatus, ReadsOsloDay2022WithIntegerBooleans) {
  CITYTWIN_DATA_FILE(info_path, "gbfs/oslo-bysykkel/station_information.json");
  CITYTWIN_DATA_FILE(folder, "gbfs/oslo-bysykkel/station_status/2022-10-24");
  const StationTable table = read_station_information(info_path);
  const StatusSeries series = read_station_status_folder(folder, table);
  // 58 snapshots x 260 stations, complete and fully joined
  EXPECT_EQ(series.report.n_snapshots, 58);
  EXPECT_EQ(series.report.n_stations, 260);
  EXPECT_EQ(series.report.n_missing_cells, 0);
  EXPECT_EQ(series.report.min_stations_per_snapshot, 260);
  EXPECT_EQ(series.report.n_unknown_ids, 0);
  EXPECT_EQ(series.report.n_unreported_stations, 0);
  EXPECT_FALSE(series.has_vehicle_types);
  EXPECT_TRUE(std::is_sorted(series.time_s.begin(), series.time_s.end()));
  // booleans 1/0 become flags
  EXPECT_EQ(std::count(series.is_renting.begin(), series.is_renting.end(), std::int8_t{-1}), 0);
  // the first snapshot's first station, as written in the file
  EXPECT_EQ(series.time_s.front(), 1666562576);
  const std::size_t s = static_cast<std::size_t>(series.index_of.at("2351"));
  EXPECT_DOUBLE_EQ(series.bikes[series.cell(0, s)], 10.0);
  EXPECT_DOUBLE_EQ(series.docks[series.cell(0, s)], 8.0);
  EXPECT_EQ(series.is_installed[series.cell(0, s)], 1);
}

TEST(GbfsStationStatus, ReadsOsloDay2023WithTrueFalseAndVehicleTypes) {
  CITYTWIN_DATA_FILE(info_path, "gbfs/oslo-bysykkel/station_information.json");
  CITYTWIN_DATA_FILE(folder, "gbfs/oslo-bysykkel/station_status/2023-06-14");
  const StationTable table = read_station_information(info_path);
  const StatusSeries series = read_station_status_folder(folder, table);
  // 69 snapshots of 261 stations (20) or 262 (49): station 566 appears from the 21st on, so the
  // union has 262 ids; 7 ids new since 2022 are in every snapshot, 566 makes 8 unknown ids;
  // 6 listed stations are no longer reported
  EXPECT_EQ(series.report.n_snapshots, 69);
  EXPECT_EQ(series.report.min_stations_per_snapshot, 261);
  EXPECT_EQ(series.report.max_stations_per_snapshot, 262);
  EXPECT_EQ(series.report.n_stations, 262);
  EXPECT_EQ(series.report.n_missing_cells, 20);
  const std::size_t late = static_cast<std::size_t>(series.index_of.at("566"));
  EXPECT_TRUE(std::isnan(series.bikes[series.cell(0, late)]));
  EXPECT_FALSE(std::isnan(series.bikes[series.cell(68, late)]));
  EXPECT_EQ(series.report.n_unknown_ids, 8);
  EXPECT_EQ(series.report.n_unreported_stations, 6);
  ASSERT_EQ(series.report.unknown_ids.size(), 8u);
  EXPECT_EQ(std::count(series.report.unknown_ids.begin(), series.report.unknown_ids.end(), "566"), 1);
  EXPECT_EQ(std::count(series.station_idx.begin(), series.station_idx.end(), -1), 8);
  EXPECT_TRUE(series.has_vehicle_types);
  ASSERT_EQ(series.vehicle_type_id.size(), 1u);
  EXPECT_EQ(series.vehicle_type_id[0], "bike");
  EXPECT_EQ(std::count(series.is_returning.begin(), series.is_returning.end(), std::int8_t{-1}),
            series.report.n_missing_cells);

  // a station at the 10th snapshot, checked against the raw file read independently
  const std::size_t t = 9;
  std::ifstream in(series.file[t]);
  const nlohmann::json raw = nlohmann::json::parse(in);
  EXPECT_EQ(raw["last_updated"].get<std::int64_t>(), series.time_s[t]);
  const nlohmann::json& station = raw["data"]["stations"][5];
  const std::size_t s = static_cast<std::size_t>(series.index_of.at(station["station_id"].get<std::string>()));
  EXPECT_DOUBLE_EQ(series.bikes[series.cell(t, s)], station["num_bikes_available"].get<double>());
  EXPECT_DOUBLE_EQ(series.docks[series.cell(t, s)], station["num_docks_available"].get<double>());
  EXPECT_EQ(series.is_renting[series.cell(t, s)], station["is_renting"].get<bool>() ? 1 : 0);
  EXPECT_DOUBLE_EQ(series.vehicles_by_type[series.cell(t, s)],
                   station["vehicle_types_available"][0]["count"].get<double>());
}

TEST(GbfsStationInformation, ReadsHandMadeVersion11) {
  const fs::path path = write_file("v11/station_information.json", R"({
    "last_updated": 1500000000, "ttl": 60, "data": {"stations": [
      {"station_id": 72, "name": "W 52 St & 11 Ave", "lat": 40.767, "lon": -73.994, "capacity": 39},
      {"station_id": "79", "name": "Franklin St", "lat": 40.719, "lon": -74.006}]}})");
  const StationTable table = read_station_information(path);
  ASSERT_EQ(table.n_stations(), 2u);
  EXPECT_EQ(table.version, "");
  EXPECT_EQ(table.station_id[0], "72");
  EXPECT_EQ(table.capacity[0], 39);
  EXPECT_EQ(table.capacity[1], -1);
  EXPECT_EQ(table.n_missing_capacity, 1);
}

TEST(GbfsStationInformation, ReadsHandMadeVersion30LocalisedNames) {
  const fs::path path = write_file("v30/station_information.json", R"({
    "last_updated": "2023-06-14T10:00:00+02:00", "ttl": 60, "version": "3.0", "data": {"stations": [
      {"station_id": "a", "name": [{"text": "Sentrum", "language": "nb"}, {"text": "Centre", "language": "en"}],
       "lat": 59.91, "lon": 10.75, "capacity": 20}]}})");
  // default: the first language; on request: the preferred one
  const StationTable first = read_station_information(path);
  EXPECT_EQ(first.name[0], "Sentrum");
  EXPECT_EQ(first.version, "3.0");
  EXPECT_EQ(first.last_updated_s, 1686729600);
  const StationTable english = read_station_information(path, StationInformationOptions{"en"});
  EXPECT_EQ(english.name[0], "Centre");
  const StationTable missing_language = read_station_information(path, StationInformationOptions{"fi"});
  EXPECT_EQ(missing_language.name[0], "Sentrum");
}

TEST(GbfsStationStatus, OrdersByLastUpdatedAndTracksStationsThatComeAndGo) {
  // file names in the opposite order of the times; station b appears late, a disappears
  write_file("order/station_status_a.json", R"({"last_updated": 2000, "data": {"stations": [
      {"station_id": "b", "num_bikes_available": 3, "num_docks_available": 1, "is_renting": true}]}})");
  write_file("order/station_status_b.json", R"({"last_updated": 1000, "data": {"stations": [
      {"station_id": "a", "num_bikes_available": 5, "num_docks_available": 5, "is_renting": 0,
       "num_ebikes_available": 2}]}})");
  const StatusSeries series =
      read_station_status_folder(fs::path(testing::TempDir()) / "citytwin_bikeshare_gbfs" / "order");
  ASSERT_EQ(series.n_times(), 2u);
  EXPECT_EQ(series.time_s[0], 1000);
  EXPECT_EQ(series.time_s[1], 2000);
  ASSERT_EQ(series.n_stations(), 2u);
  EXPECT_EQ(series.station_id[0], "a");
  EXPECT_EQ(series.report.n_missing_cells, 2);
  EXPECT_TRUE(std::isnan(series.bikes[series.cell(1, 0)]));
  EXPECT_DOUBLE_EQ(series.bikes[series.cell(1, 1)], 3.0);
  EXPECT_EQ(series.is_renting[series.cell(0, 0)], 0);
  EXPECT_EQ(series.is_renting[series.cell(1, 1)], 1);
  EXPECT_TRUE(series.has_ebikes);
  EXPECT_DOUBLE_EQ(series.ebikes[series.cell(0, 0)], 2.0);
}

TEST(GbfsErrors, MissingStationsArrayNamesFileAndKey) {
  const fs::path path = write_file("bad/station_information.json", R"({"last_updated": 1, "data": {}})");
  const std::string message = input_error_of([&] { (void)read_station_information(path); });
  EXPECT_NE(message.find(path.string()), std::string::npos) << message;
  EXPECT_NE(message.find("data.stations"), std::string::npos) << message;
}

TEST(GbfsErrors, StatusFileThatIsNotJsonNamesFileAndPosition) {
  const fs::path path = write_file("notjson/station_status_1.json", "{\"last_updated\": 1,\n  oops");
  const std::string message = input_error_of([&] { (void)read_station_status_folder(path.parent_path()); });
  EXPECT_NE(message.find(path.string() + ":2:"), std::string::npos) << message;
  EXPECT_NE(message.find("not valid JSON"), std::string::npos) << message;
}

TEST(GbfsErrors, MissingBikeCountNamesStationKey) {
  const fs::path path = write_file("nobikes/station_status_1.json",
                                   R"({"last_updated": 1, "data": {"stations": [{"station_id": "x"}]}})");
  const std::string message = input_error_of([&] { (void)read_station_status_folder(path.parent_path()); });
  EXPECT_NE(message.find("data.stations[0].num_bikes_available"), std::string::npos) << message;
}

}  // namespace
}  // namespace citytwin::bikeshare
