#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace citytwin::mobility {

/// Vehicles of a SUMO `.rou.xml` demand file (docs/models/mobility.md#demand-imports), one
/// entry per vehicle (flows already expanded), in file order. A vehicle either has an explicit
/// route (edge ids in route_edges[route_begin[v] .. route_begin[v+1])) or, for a `<trip>` (or a
/// flow with from/to), an empty route and from_edge/to_edge to be routed by the caller.
struct SumoDemand {
  std::vector<std::string> vehicle_id;       ///< SUMO id; flows give "<flow id>.<k>"
  std::vector<double> depart_s;              ///< [s] departure time
  std::vector<std::uint8_t> mode;            ///< kModeCar, kModeBike or kModeWalk
  std::vector<std::int64_t> route_begin{0};  ///< n_vehicles + 1 offsets into route_edges
  std::vector<std::string> route_edges;      ///< edge ids of all explicit routes, travel order
  std::vector<std::string> from_edge;        ///< first edge of a trip, empty with a route
  std::vector<std::string> to_edge;          ///< last edge of a trip, empty with a route
  std::vector<std::int32_t> line;            ///< [1] line of the defining element in the file

  /// Number of vehicles.
  [[nodiscard]] std::int64_t n_vehicles() const {
    return static_cast<std::int64_t>(depart_s.size());
  }
};

/// Reads a SUMO route file: `<vehicle>` with a nested `<route edges>` or `route="id"` of a
/// top-level `<route id edges>`, `<trip from to>`, `<flow>` (begin, end, and one of period,
/// vehsPerHour or number; with a route or from/to) expanded deterministically as SUMO does
/// (departures begin, begin + period, ... while < end). `<vType>` only maps vClass bicycle and
/// pedestrian to the bike and walk modes. Collects every problem and throws one InputError
/// naming file:line and the element id. Thread-safe.
[[nodiscard]] SumoDemand read_sumo_routes(const std::filesystem::path& path);

/// Same as read_sumo_routes() for a document in memory; `file` names it in messages.
[[nodiscard]] SumoDemand parse_sumo_routes(std::string_view xml, const std::string& file);

}  // namespace citytwin::mobility
