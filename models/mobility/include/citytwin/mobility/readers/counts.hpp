#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace citytwin::mobility {

/// What a traffic counter counts.
enum class CountMode : std::uint8_t {
  kCar,   ///< motor vehicles (loop detectors)
  kBike,  ///< bicycles
};

/// What a counts reader found and fixed while reading one file
/// (docs/models/mobility.md#counts-replay).
struct CountReadReport {
  std::int64_t n_data_rows = 0;             ///< rows holding a timestamp
  std::int64_t n_empty_rows_skipped = 0;    ///< rows with no field filled (Helsinki `;;;` rows)
  std::int64_t n_missing_flow = 0;          ///< kept hours whose flow cell is empty (NaN)
  std::int64_t n_missing_occupancy = 0;     ///< kept hours whose occupancy cell is empty (NaN)
  std::int64_t n_ambiguous_local = 0;       ///< local times repeated by the autumn DST change
  std::int64_t n_nonexistent_local = 0;     ///< rows at a local time skipped by the spring change
  std::int64_t n_values_dropped = 0;        ///< non-empty flow cells lost with those rows
  std::int64_t n_duplicate_times = 0;       ///< rows dropped as a repeated (counter, instant)
  std::int64_t n_reordered = 0;             ///< counters whose rows were not in ascending order
  std::vector<std::string> fixes;           ///< one human-readable line per fix applied
};

/// Hourly counts of one or more counters, as structure of arrays indexed by counter_idx.
/// Each counter has its own time axis: `time_utc_s[counter_idx][hour_idx]`, strictly ascending.
struct CountSeries {
  std::vector<std::string> counter_id;    ///< stable id (Paris arc id, Helsinki column name)
  std::vector<std::string> counter_name;  ///< label as written in the file
  std::vector<CountMode> mode;            ///< car or bike
  std::vector<double> lat_deg;            ///< [deg] WGS84 latitude, NaN when the file has none
  std::vector<double> lon_deg;            ///< [deg] WGS84 longitude, NaN when the file has none
  std::vector<std::int64_t> link_id;      ///< attached network link id, -1 when not attached
  std::vector<std::vector<std::int64_t>> time_utc_s;    ///< [s] Unix time at the hour start
  std::vector<std::vector<double>> flow_veh_per_h;      ///< [veh/h] (bikes/h for kBike), NaN = missing
  std::vector<std::vector<double>> occupancy_frac;      ///< [0..1] per hour, empty when not measured
  CountReadReport report;                               ///< what was found and fixed

  /// Number of counters.
  [[nodiscard]] std::size_t n_counters() const { return counter_id.size(); }
  /// Index of the counter with `id`, or -1 when there is none.
  [[nodiscard]] std::int64_t find_counter(const std::string& id) const;
};

/// Reads a Ville de Paris yearly archive (`,`-separated; columns iu_ac, libelle, t_1h, q, k;
/// t_1h naive Europe/Paris local time; q in veh/h, k in %). One counter per arc id, sorted by time.
/// Throws citytwin::InputError naming file:line:column and the column on bad input.
/// Thread-safe (no shared state).
[[nodiscard]] CountSeries read_paris_archive(const std::filesystem::path& path);

/// Reads a Ville de Paris open-data portal export (`;`-separated, optional UTF-8 BOM, French
/// headers, ISO 8601 timestamps with offsets, rows in any order, `geo_point_2d` "lat, lon").
/// Rows are sorted ascending; repeated instants keep the first row and are reported.
/// Throws citytwin::InputError on bad input. Thread-safe.
[[nodiscard]] CountSeries read_paris_export(const std::filesystem::path& path);

/// Reads the City of Helsinki bicycle counts (`;`-separated, CRLF, "Päivämäärä" then one column
/// per counter, Finnish timestamps "ke 1 tammi 2014 00:00" in Europe/Helsinki local time, empty
/// cell = no data, empty rows skipped). Throws citytwin::InputError on bad input. Thread-safe.
[[nodiscard]] CountSeries read_helsinki_bike_counts(const std::filesystem::path& path);

/// Detects the layout from the header line and calls the matching reader above.
/// Throws citytwin::InputError when the header matches no known layout. Thread-safe.
[[nodiscard]] CountSeries read_counts(const std::filesystem::path& path);

}  // namespace citytwin::mobility
