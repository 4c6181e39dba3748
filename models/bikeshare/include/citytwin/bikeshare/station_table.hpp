#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace citytwin::bikeshare {

/// Docked bike-share stations as a structure of arrays, one entry per dense `station_idx`.
/// Stable string `station_id`s are mapped to dense indices once, when the table is read.
/// Plain data: safe to read from many threads, not to modify concurrently.
struct StationTable {
  std::vector<std::string> station_id;  ///< [n_stations] operator's stable id, unique
  std::vector<std::string> name;        ///< [n_stations] display name (preferred language)
  std::vector<std::string> address;     ///< [n_stations] street address, empty when absent
  std::vector<std::string> city;        ///< [n_stations] city / municipality, empty when absent
  std::vector<double> lat_deg;          ///< [n_stations] WGS84 latitude [deg]
  std::vector<double> lon_deg;          ///< [n_stations] WGS84 longitude [deg]
  std::vector<std::int32_t> capacity;   ///< [n_stations] number of docks [docks], -1 when absent
  std::unordered_map<std::string, std::int32_t> index_of;  ///< station_id -> station_idx

  std::string source_file;           ///< the file the table was read from
  std::string version;               ///< GBFS `version` ("1.1", "2.2", "3.0"), empty for CSV
  std::int64_t last_updated_s = 0;   ///< GBFS `last_updated` [Unix s], 0 for CSV
  std::int32_t n_missing_capacity = 0;  ///< stations without a capacity (capacity == -1)

  /// Returns the number of stations.
  [[nodiscard]] std::size_t n_stations() const { return station_id.size(); }

  /// Returns the dense index of `id`, or -1 when the table has no such station.
  [[nodiscard]] std::int32_t find(std::string_view id) const {
    const auto it = index_of.find(std::string(id));
    return it == index_of.end() ? -1 : it->second;
  }
};

}  // namespace citytwin::bikeshare
