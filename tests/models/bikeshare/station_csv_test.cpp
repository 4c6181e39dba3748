#include <citytwin/bikeshare/readers/station_csv.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include <citytwin/sim/error.hpp>

#include "test_data.hpp"

namespace citytwin::bikeshare {
namespace {

TEST(StationCsv, ReadsHslStationList) {
  CITYTWIN_DATA_FILE(path, "bikeshare/helsinki/hsl_citybike_stations_helsinki_espoo.csv");
  const StationTable table = read_station_csv(path, hsl_station_columns());
  // 457 stations: 347 Helsinki (blank Kaupunki), 110 Espoo
  EXPECT_EQ(table.n_stations(), 457u);
  EXPECT_EQ(std::count(table.city.begin(), table.city.end(), "Helsinki"), 347);
  EXPECT_EQ(std::count(table.city.begin(), table.city.end(), "Espoo"), 110);
  EXPECT_EQ(table.n_missing_capacity, 0);
  // the first row (after the byte-order mark): Hanasaari
  const auto hanasaari = static_cast<std::size_t>(table.find("501"));
  EXPECT_EQ(table.name[hanasaari], "Hanasaari");
  EXPECT_EQ(table.capacity[hanasaari], 10);
  EXPECT_DOUBLE_EQ(table.lon_deg[hanasaari], 24.840319);
  EXPECT_DOUBLE_EQ(table.lat_deg[hanasaari], 60.16582);
  // a quoted address with a comma
  const auto kivikonkaari = static_cast<std::size_t>(table.find("333"));
  EXPECT_EQ(table.address[kivikonkaari], "Kontulankaari 8, toinen puoli");
  EXPECT_EQ(table.city[kivikonkaari], "Helsinki");
  EXPECT_EQ(table.capacity[kivikonkaari], 14);
}

TEST(StationCsv, GenericColumnMappingAndErrors) {
  const std::filesystem::path path = std::filesystem::path(testing::TempDir()) / "citytwin_stations.csv";
  std::ofstream(path) << "code;label;latitude;longitude;docks\nS1;\"Main; square\";48.85;2.35;\nS2;Gare;48.84;200;10\n";
  StationCsvColumns columns;
  columns.id = "code";
  columns.name = "label";
  columns.lat = "latitude";
  columns.lon = "longitude";
  columns.capacity = "docks";
  columns.delimiter = ';';
  // the bad longitude of S2 names file, line and field
  try {
    (void)read_station_csv(path, columns);
    FAIL() << "expected an InputError";
  } catch (const InputError& error) {
    EXPECT_EQ(error.first().line, 3);
    EXPECT_EQ(error.first().key, "longitude");
    EXPECT_NE(std::string(error.what()).find(path.string() + ":3:"), std::string::npos) << error.what();
  }
  std::ofstream(path) << "code;label;latitude;longitude;docks\nS1;\"Main; square\";48.85;2.35;\n";
  const StationTable table = read_station_csv(path, columns);
  ASSERT_EQ(table.n_stations(), 1u);
  EXPECT_EQ(table.name[0], "Main; square");
  EXPECT_EQ(table.capacity[0], -1);
  EXPECT_EQ(table.n_missing_capacity, 1);
  // a missing column lists the header
  columns.lat = "lat";
  try {
    (void)read_station_csv(path, columns);
    FAIL() << "expected an InputError";
  } catch (const InputError& error) {
    EXPECT_EQ(error.first().key, "lat");
    EXPECT_NE(std::string(error.what()).find("latitude"), std::string::npos);
  }
}

}  // namespace
}  // namespace citytwin::bikeshare
