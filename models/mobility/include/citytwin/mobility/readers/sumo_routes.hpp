#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace citytwin::mobility {

/// Vehicles of a SUMO `.rou.xml` demand file (docs/models/mobility.md#demand-imports), one
/// entry per vehicle (flows already expanded), in file order. Edge ids are interned: each
/// distinct id the vehicles use is stored once in edge_names, and routes refer to it by index,
/// so a caller maps each name to a link once. A vehicle either has an explicit route
/// (edge_names indices in route_edge_idx[route_begin[v] .. route_begin[v+1])) or, for a
/// `<trip>` (or a flow with from/to), an empty route and from_edge_idx/to_edge_idx to be routed
/// by the caller.
struct SumoDemand {
  std::vector<std::string> vehicle_id;       ///< SUMO id; flows give "<flow id>.<k>"
  std::vector<double> depart_s;              ///< [s] departure time
  std::vector<std::uint8_t> mode;            ///< kModeCar, kModeBike or kModeWalk
  std::vector<std::string> edge_names;       ///< distinct edge ids, in order of first use
  std::vector<std::int64_t> route_begin{0};  ///< n_vehicles + 1 offsets into route_edge_idx
  std::vector<std::int32_t> route_edge_idx;  ///< edge_names index of every route edge, in order
  std::vector<std::int32_t> from_edge_idx;   ///< edge_names index of a trip's first edge, else -1
  std::vector<std::int32_t> to_edge_idx;     ///< edge_names index of a trip's last edge, else -1
  std::vector<std::int32_t> line;            ///< [1] line of the defining element in the file
  std::int64_t n_pieces = 1;  ///< [1] pieces the text was parsed in (1: the whole document at once)

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

/// read_sumo_routes() parses a route file in pieces of about this many bytes, each cut before a
/// `<vehicle>`, `<trip>`, `<flow>` or `<person>` tag (a small tree stays in the cache and
/// reuses its memory); a document that cannot be cut so is parsed whole. Same results.
inline constexpr std::size_t kSumoRoutesPieceBytes = std::size_t{128} << 10;

/// Same as read_sumo_routes() for a document in memory; `file` names it in messages,
/// `piece_bytes` is the size of the pieces it is parsed in (0: the whole document at once).
[[nodiscard]] SumoDemand parse_sumo_routes(std::string_view xml, const std::string& file,
                                           std::size_t piece_bytes = kSumoRoutesPieceBytes);

}  // namespace citytwin::mobility
