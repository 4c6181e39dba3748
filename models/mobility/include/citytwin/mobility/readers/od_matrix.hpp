#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace citytwin::mobility {

/// Rows of an origin–destination matrix CSV (docs/models/mobility.md#demand-imports): header
/// `origin_zone,destination_zone,start_time,end_time,trips`, one row per (zone pair, time bin).
struct OdMatrix {
  std::vector<std::int64_t> origin_zone;       ///< zone id of the origins
  std::vector<std::int64_t> destination_zone;  ///< zone id of the destinations
  std::vector<double> start_s;                 ///< [s] bin start since the run start
  std::vector<double> end_s;                   ///< [s] bin end, > start_s
  std::vector<std::int64_t> trips;             ///< [1] trips departing in the bin, >= 0
  std::vector<std::int32_t> line;              ///< [1] line of the row in the file

  /// Number of rows.
  [[nodiscard]] std::int64_t size() const { return static_cast<std::int64_t>(trips.size()); }
};

/// Trips drawn from an OdMatrix, one per trip, ordered by (row, k).
struct OdTrips {
  std::vector<std::int32_t> origin_node_idx;       ///< start node
  std::vector<std::int32_t> destination_node_idx;  ///< end node
  std::vector<double> departure_s;                 ///< [s] departure time
  std::vector<std::int32_t> row;                   ///< OdMatrix row of the trip
};

/// Reads an OD matrix CSV. Times are seconds since the run start ("3600", "5400.5") or "HH:MM"
/// / "HH:MM:SS" clock times of the first day (hours may exceed 23). Trips must be whole numbers.
/// Collects every problem and throws one InputError naming file:line and the column. Thread-safe.
[[nodiscard]] OdMatrix read_od_matrix(const std::filesystem::path& path);

/// Same as read_od_matrix() for text in memory; `file` names it in messages.
[[nodiscard]] OdMatrix parse_od_matrix(std::string_view text, const std::string& file);

/// Spreads the trips of each row over its bin and its zones: trip k of row r departs at
/// start + u·(end − start) and starts and ends at nodes drawn uniformly among the origin and
/// destination zone's nodes (zone_nodes[z] holds the nodes of zone_id[z]); u and the draws come
/// from sim::rng_for(seed, stream_id("mobility.od"), r, k), so the result is the same on any
/// thread count. Throws InputError (file, row line) for a zone that is unknown or has no node.
[[nodiscard]] OdTrips expand_od_matrix(const OdMatrix& matrix, const std::string& file,
                                       std::span<const std::int64_t> zone_id,
                                       const std::vector<std::vector<std::int32_t>>& zone_nodes,
                                       std::uint64_t seed);

}  // namespace citytwin::mobility
