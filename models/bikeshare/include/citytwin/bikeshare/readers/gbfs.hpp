#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <unordered_map>
#include <vector>

#include <citytwin/bikeshare/station_table.hpp>

namespace citytwin::bikeshare {

/// Options of the GBFS `station_information` reader.
struct StationInformationOptions {
  std::string preferred_language;  ///< GBFS 3.0 localised names: language to pick ("nb", "en");
                                   ///< empty or absent from a station -> the first entry
};

/// Reads a GBFS `station_information.json` (versions 1.1, 2.x and 3.0) into a StationTable.
/// Required per station: `station_id`, `name`, `lat`, `lon`; `capacity` and `address` are
/// optional (capacity -1, counted in `n_missing_capacity`). GBFS 3.0 `name` is an array of
/// `{text, language}` objects. Throws citytwin::InputError naming the file, the JSON line and
/// column for malformed JSON, and the key for missing or mistyped fields (all collected).
[[nodiscard]] StationTable read_station_information(const std::filesystem::path& path,
                                                    const StationInformationOptions& options = {});

/// Options of the GBFS `station_status` reader.
struct StatusReadOptions {
  /// `vehicle_type_id`s counted as e-bikes in `vehicle_types_available` (GBFS 2.x/3.0 know the
  /// propulsion only from vehicle_types.json, which a status folder lacks, so the caller says).
  /// A feed's `num_ebikes_available` (GBFS 1.1 extension) is used when present.
  std::vector<std::string> ebike_type_ids;
};

/// What the status reader found, for logs and tests.
struct StatusReport {
  std::int32_t n_snapshots = 0;          ///< files read (one per time)
  std::int32_t n_stations = 0;           ///< union of station ids over all snapshots
  std::int64_t n_missing_cells = 0;      ///< (time, station) cells with no record
  std::int32_t min_stations_per_snapshot = 0;  ///< fewest station records in one snapshot
  std::int32_t max_stations_per_snapshot = 0;  ///< most station records in one snapshot
  std::int32_t n_duplicate_times = 0;    ///< snapshots dropped for repeating a `last_updated`
  std::int32_t n_unknown_ids = 0;        ///< reported ids absent from station_information
  std::int32_t n_unreported_stations = 0;  ///< station_information ids never reported
  std::vector<std::string> unknown_ids;       ///< those ids, sorted
  std::vector<std::string> unreported_ids;    ///< those ids, sorted
  bool joined = false;                   ///< true when a StationTable was given for the join
};

/// A replay of GBFS `station_status` snapshots: time (rows) x station (columns), row-major,
/// cell index `time_idx * n_stations + status_idx`. Missing cells are NaN (counts) or -1 (flags).
/// Plain data: safe to read from many threads.
struct StatusSeries {
  std::vector<std::int64_t> time_s;          ///< [n_times] snapshot `last_updated` [Unix s], increasing
  std::vector<std::string> file;             ///< [n_times] the file of each snapshot
  std::vector<std::string> station_id;       ///< [n_stations] union of ids, in first-seen order
  std::unordered_map<std::string, std::int32_t> index_of;  ///< station_id -> status_idx
  std::vector<std::int32_t> station_idx;     ///< [n_stations] index in the joined StationTable, -1

  std::vector<double> bikes;                 ///< [n_times*n_stations] num_bikes_available [bikes]
  std::vector<double> docks;                 ///< [n_times*n_stations] num_docks_available [docks]
  std::vector<double> bikes_disabled;        ///< [n_times*n_stations] num_bikes_disabled [bikes]
  std::vector<double> docks_disabled;        ///< [n_times*n_stations] num_docks_disabled [docks]
  std::vector<double> ebikes;                ///< [n_times*n_stations] e-bikes available [bikes]
  std::vector<double> last_reported_s;       ///< [n_times*n_stations] last_reported [Unix s]
  std::vector<std::int8_t> is_installed;     ///< [n_times*n_stations] 1/0, -1 when missing
  std::vector<std::int8_t> is_renting;       ///< [n_times*n_stations] 1/0, -1 when missing
  std::vector<std::int8_t> is_returning;     ///< [n_times*n_stations] 1/0, -1 when missing

  std::vector<std::string> vehicle_type_id;  ///< [n_types] types seen in vehicle_types_available
  std::vector<double> vehicles_by_type;      ///< [n_times*n_stations*n_types] counts [vehicles]
  bool has_vehicle_types = false;            ///< any snapshot had vehicle_types_available
  bool has_ebikes = false;                   ///< `ebikes` holds data (else all NaN)

  StatusReport report;                       ///< counts of what was found

  /// Returns the number of snapshots.
  [[nodiscard]] std::size_t n_times() const { return time_s.size(); }
  /// Returns the number of stations (union over snapshots).
  [[nodiscard]] std::size_t n_stations() const { return station_id.size(); }
  /// Returns the row-major cell index of (time_idx, status_idx).
  [[nodiscard]] std::size_t cell(std::size_t time_idx, std::size_t status_idx) const {
    return time_idx * station_id.size() + status_idx;
  }
};

/// Reads the GBFS `station_status` snapshots in `files` (1.1, 2.x, 3.0; booleans as 0/1 or
/// true/false; 3.0 `num_vehicles_available` and RFC 3339 times accepted), orders them by
/// `last_updated` (not by file name), and builds the union of station ids. Throws
/// citytwin::InputError naming the file, JSON position and key for bad input.
[[nodiscard]] StatusSeries read_station_status_files(std::vector<std::filesystem::path> files,
                                                     const StatusReadOptions& options = {});

/// Reads every `station_status*.json` of `folder` (see read_station_status_files).
/// Throws citytwin::InputError when the folder is missing or holds no such file.
[[nodiscard]] StatusSeries read_station_status_folder(const std::filesystem::path& folder,
                                                      const StatusReadOptions& options = {});

/// As above, and joins the ids with `stations`: fills `station_idx` and the report's unknown
/// and unreported ids. Both kinds are tolerated (counted, never an error).
[[nodiscard]] StatusSeries read_station_status_folder(const std::filesystem::path& folder,
                                                      const StationTable& stations,
                                                      const StatusReadOptions& options = {});

/// Joins an already read series with `stations` (fills `station_idx` and the report).
void join_stations(StatusSeries& series, const StationTable& stations);

}  // namespace citytwin::bikeshare
