#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <citytwin/mobility/street_network.hpp>

namespace citytwin::mobility {

/// The `<location>` element of a SUMO network: how its x/y relate to a projected CRS.
struct SumoLocation {
  double net_offset_x_m = 0.0;  ///< [m] added to projected x to get network x
  double net_offset_y_m = 0.0;  ///< [m] added to projected y to get network y
  std::string conv_boundary;    ///< "xmin,ymin,xmax,ymax" in network coordinates, as written
  std::string orig_boundary;    ///< same in the original coordinates (often lon/lat)
  std::string proj_parameter;   ///< PROJ string of the projection, "!" when not projected
};

/// Lane-to-lane connections (SUMO `<connection>` between normal edges), indexed by
/// connection_idx. They list every allowed movement through a junction.
struct LaneConnections {
  std::vector<std::int32_t> from_link_idx;  ///< incoming link
  std::vector<std::int32_t> from_lane;      ///< [1] lane index on it (0 = rightmost)
  std::vector<std::int32_t> to_link_idx;    ///< outgoing link
  std::vector<std::int32_t> to_lane;        ///< [1] lane index on it
  std::vector<std::string> via;             ///< internal lane crossing the junction, may be empty
  std::vector<std::int32_t> signal_program_idx;  ///< controlling program, -1 if unsignalised
  std::vector<std::int32_t> link_index;  ///< [1] position in the phase state string, -1 if none
  std::vector<char> direction;           ///< SUMO dir: s, l, r, t, L, R, ...; '?' if absent

  [[nodiscard]] std::int64_t size() const {
    return static_cast<std::int64_t>(from_link_idx.size());
  }
};

/// A SUMO network read into citytwin's structures.
struct SumoNet {
  StreetNetwork network;        ///< junctions as nodes, normal edges as links, finalized
  LaneConnections connections;  ///< lane-level movements
  SumoLocation location;        ///< projection of the network coordinates
  std::int64_t n_internal_edges_skipped = 0;  ///< [1] internal/crossing/walking-area edges
  std::int64_t n_pieces = 1;  ///< [1] pieces the text was parsed in (1: the whole document at once)
};

/// Reads a SUMO `.net.xml` file (docs/models/mobility.md#sumo-networks). Node ids are 1-based
/// positions of the junctions in the file (external id = SUMO id), link ids likewise for
/// edges. Collects every problem (missing attributes, unknown junctions, edges or programs,
/// unreadable numbers) and throws one InputError naming file:line:column of each. Thread-safe.
[[nodiscard]] SumoNet read_sumo_net(const std::filesystem::path& path);

/// read_sumo_net() parses a network in pieces of about this many bytes, each cut before an
/// `<edge>`, `<junction>`, `<connection>` or `<tlLogic>` tag (a small tree stays in the cache
/// and reuses its memory); a document that cannot be cut so is parsed whole. Same results.
inline constexpr std::size_t kSumoNetPieceBytes = std::size_t{128} << 10;

/// Same as read_sumo_net() for a document held in memory; `file` names it in messages,
/// `piece_bytes` is the size of the pieces it is parsed in (0: the whole document at once).
[[nodiscard]] SumoNet parse_sumo_net(std::string_view xml, const std::string& file,
                                     std::size_t piece_bytes = kSumoNetPieceBytes);

}  // namespace citytwin::mobility
