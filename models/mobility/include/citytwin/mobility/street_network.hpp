#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <citytwin/sim/city.hpp>

namespace citytwin::mobility {

/// Travel modes as bits of a link's `modes` mask.
inline constexpr std::uint8_t kModeCar = 1U << 0U;   ///< motor vehicles (passenger cars)
inline constexpr std::uint8_t kModeBike = 1U << 1U;  ///< bicycles
inline constexpr std::uint8_t kModeWalk = 1U << 2U;  ///< pedestrians
inline constexpr std::uint8_t kModeAll = kModeCar | kModeBike | kModeWalk;

/// Road class of a link, after OSM `highway=*` (docs/models/mobility.md#highway-classes).
/// `*_link` ramps share the class of their road.
enum class HighwayClass : std::uint8_t {
  kMotorway = 0,
  kTrunk = 1,
  kPrimary = 2,
  kSecondary = 3,
  kTertiary = 4,
  kUnclassified = 5,
  kResidential = 6,
  kLivingStreet = 7,
  kService = 8,
  kTrack = 9,
  kPedestrian = 10,
  kCycleway = 11,
  kFootway = 12,
  kPath = 13,
  kSteps = 14,
  kOther = 15,  ///< SUMO edges without an OSM type, `highway=road`, anything else
};

/// Names of the highway classes, in value order ("motorway", ..., "other").
[[nodiscard]] const std::vector<std::string>& highway_class_names();

/// The class named `name` ("primary", "primary_link", "cycleway", ...), or kOther when unknown.
[[nodiscard]] HighwayClass highway_class_from_name(std::string_view name);

/// Default properties of a highway class: the values used when the source gives none.
/// Sources of the capacities: docs/models/mobility.md#capacities.
struct HighwayClassDefaults {
  double capacity_veh_per_h_per_lane = 0.0;  ///< [veh h-1] flow capacity of one lane
  double speed_mps = 0.0;                    ///< [m s-1] free speed for cars (urban)
  std::int32_t lanes_per_direction = 1;      ///< [1] lanes in each direction when untagged
  std::uint8_t modes = 0;                    ///< kMode* bits allowed by default
};

/// Default properties of `highway_class` (pure lookup, thread-safe).
[[nodiscard]] HighwayClassDefaults highway_class_defaults(HighwayClass highway_class);

/// [veh h-1] per-lane flow capacity from the free speed alone, for sources without a road class
/// (SUMO edges): 1200 up to 35 km/h, 1800 up to 55 km/h, 1900 up to 85 km/h, 2000 above.
[[nodiscard]] double capacity_veh_per_h_per_lane_for_speed(double free_speed_mps);

/// [m] road length one queued vehicle occupies; storage capacity = length × lanes / 7.5 m.
inline constexpr double kVehicleSpaceM = 7.5;
/// [m s-1] free speed of links that forbid cars but allow bicycles (20 km/h).
inline constexpr double kBikeFreeSpeedMps = 20.0 / 3.6;
/// [m s-1] free speed of links open to pedestrians only (5 km/h).
inline constexpr double kWalkFreeSpeedMps = 5.0 / 3.6;
/// [veh h-1] per-lane capacity of links that forbid cars: bicycles per hour (HCM bicycle lane).
inline constexpr double kBikeCapacityVehPerHPerLane = 2000.0;

/// Kind of a turn restriction, after OSM `restriction=*`. kNo* forbid the turn from the from-link
/// to the to-link; kOnly* forbid every other turn from the from-link at the via node.
enum class TurnRestrictionKind : std::uint8_t {
  kNoLeftTurn = 0,
  kNoRightTurn = 1,
  kNoStraightOn = 2,
  kNoUTurn = 3,
  kNoEntry = 4,
  kNoExit = 5,
  kOnlyLeftTurn = 6,
  kOnlyRightTurn = 7,
  kOnlyStraightOn = 8,
  kOnlyUTurn = 9,
};

/// True for the kOnly* kinds (mandatory turns).
[[nodiscard]] bool is_mandatory(TurnRestrictionKind kind);

/// The kind named by an OSM `restriction=*` value ("no_left_turn", ...); false when unknown.
[[nodiscard]] bool turn_restriction_kind_from_name(std::string_view name,
                                                   TurnRestrictionKind& kind);

/// Traffic-signal programs (SUMO `tlLogic`), indexed by signal_program_idx. Program p owns phases
/// [phase_begin[p], phase_begin[p+1]). A phase state string has one character per controlled
/// link index (SUMO letters: G, g, y, r, ...).
struct SignalPrograms {
  std::vector<std::string> program_id;       ///< traffic-light id (SUMO tlLogic id)
  std::vector<std::string> program_name;     ///< program id within the light (SUMO programID)
  std::vector<std::string> type;             ///< "static", "actuated", "delay_based", ...
  std::vector<double> offset_s;              ///< [s] cycle offset
  std::vector<std::int64_t> phase_begin{0};  ///< n_programs + 1 offsets into phase_*
  std::vector<double> phase_duration_s;      ///< [s] duration of each phase
  std::vector<std::string> phase_state;      ///< signal state of each phase

  [[nodiscard]] std::int64_t size() const { return static_cast<std::int64_t>(program_id.size()); }
};

/// The directed link network for traffic, as columns. Nodes are indexed by node_idx, links by
/// link_idx, turn restrictions by restriction_idx. Build it by filling the input columns and
/// calling finalize(), which derives storage capacities, grades, the forward and backward stars
/// and the id maps. Immutable after finalize(); const queries are thread-safe.
class StreetNetwork {
 public:
  // nodes (n_nodes)
  std::vector<std::int64_t> node_id;          ///< stable id (OSM node id, generated node id, ...)
  std::vector<std::string> node_external_id;  ///< id in the source file as text (SUMO junction)
  std::vector<double> node_x_m;               ///< [m] projected x
  std::vector<double> node_y_m;               ///< [m] projected y
  std::vector<double> node_z_m;               ///< [m] elevation
  std::vector<std::uint8_t> node_signalised;  ///< 1 if the node has traffic signals
  std::vector<std::int32_t> node_signal_program_idx;  ///< program in signal_programs, -1 if none

  // links (n_links)
  std::vector<std::int64_t> link_id;            ///< stable id (docs/models/mobility.md#link-ids)
  std::vector<std::string> link_external_id;    ///< id in the source as text ("123:0:f", SUMO id)
  std::vector<std::int32_t> from_node_idx;      ///< start node
  std::vector<std::int32_t> to_node_idx;        ///< end node
  std::vector<double> length_m;                 ///< [m] length along the geometry
  std::vector<std::int32_t> lanes;              ///< [1] lanes in this direction
  std::vector<double> free_speed_mps;           ///< [m s-1] speed limit (fastest allowed mode)
  std::vector<double> flow_capacity_veh_per_h;  ///< [veh h-1] all lanes together
  std::vector<double> storage_capacity_veh;     ///< [veh] length × lanes / 7.5 m (finalize)
  std::vector<std::uint8_t> modes;              ///< kMode* bits allowed
  std::vector<HighwayClass> highway_class;      ///< road class
  std::vector<double> grade_frac;               ///< [1] (z_to - z_from) / length (finalize)
  std::vector<std::string> name;                ///< street name, empty if none

  // turn restrictions (n_restrictions)
  std::vector<std::int32_t> restriction_from_link_idx;  ///< link entering the via node
  std::vector<std::int32_t> restriction_via_node_idx;   ///< node where the turn happens
  std::vector<std::int32_t> restriction_to_link_idx;    ///< link leaving the via node
  std::vector<TurnRestrictionKind> restriction_kind;    ///< no_* or only_* and the turn

  SignalPrograms signal_programs;  ///< programs referenced by node_signal_program_idx

  // forward and backward stars (finalize): links leaving node n are
  // out_link_idx[out_begin[n] .. out_begin[n+1]), in increasing link_idx; same for in_*
  std::vector<std::int64_t> out_begin;     ///< n_nodes + 1 offsets into out_link_idx
  std::vector<std::int32_t> out_link_idx;  ///< links grouped by from node
  std::vector<std::int64_t> in_begin;      ///< n_nodes + 1 offsets into in_link_idx
  std::vector<std::int32_t> in_link_idx;   ///< links grouped by to node

  [[nodiscard]] std::int64_t n_nodes() const { return static_cast<std::int64_t>(node_id.size()); }
  [[nodiscard]] std::int64_t n_links() const { return static_cast<std::int64_t>(link_id.size()); }
  [[nodiscard]] std::int64_t n_restrictions() const {
    return static_cast<std::int64_t>(restriction_kind.size());
  }

  /// Appends a node; external_id may be empty. Returns its node_idx.
  std::int32_t add_node(std::int64_t id, double x_m, double y_m, double z_m, bool signalised,
                        std::string external_id = {});

  /// One link to append with add_link(); derived columns are left out.
  struct LinkSpec {
    std::int64_t link_id = 0;                           ///< stable id
    std::string external_id;                            ///< id as text
    std::int32_t from_node_idx = -1;                    ///< start node
    std::int32_t to_node_idx = -1;                      ///< end node
    double length_m = 0.0;                              ///< [m] length
    std::int32_t lanes = 1;                             ///< [1] lanes in this direction
    double free_speed_mps = 0.0;                        ///< [m s-1] free speed
    double flow_capacity_veh_per_h = 0.0;               ///< [veh h-1] all lanes together
    std::uint8_t modes = 0;                             ///< kMode* bits
    HighwayClass highway_class = HighwayClass::kOther;  ///< road class
    std::string name;                                   ///< street name
  };
  /// Appends a link. Returns its link_idx.
  std::int32_t add_link(LinkSpec spec);

  /// Derives storage capacities, grades, the stars and the id maps, after checking the columns
  /// (equal lengths, indices in range, unique ids, non-negative lengths); throws InternalError
  /// when they are inconsistent. Call once after filling, and again after any change.
  void finalize();

  /// Sets every node elevation from the terrain and recomputes the grades.
  void apply_terrain(const sim::Terrain& terrain);

  /// The link with stable id `id`, or -1. Requires finalize().
  [[nodiscard]] std::int32_t link_idx(std::int64_t id) const;
  /// The link with external id `external_id`, or -1. Requires finalize().
  [[nodiscard]] std::int32_t link_idx(std::string_view external_id) const;
  /// The node with stable id `id`, or -1. Requires finalize().
  [[nodiscard]] std::int32_t node_idx(std::int64_t id) const;
  /// The node with external id `external_id`, or -1. Requires finalize().
  [[nodiscard]] std::int32_t node_idx(std::string_view external_id) const;

 private:
  // hashes std::string and std::string_view alike: external-id lookups allocate nothing
  struct ExternalIdHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view id) const noexcept {
      return std::hash<std::string_view>{}(id);
    }
  };
  using ExternalIndex =
      std::unordered_map<std::string, std::int32_t, ExternalIdHash, std::equal_to<>>;

  std::unordered_map<std::int64_t, std::int32_t> link_index_;
  ExternalIndex link_external_index_;
  std::unordered_map<std::int64_t, std::int32_t> node_index_;
  ExternalIndex node_external_index_;
};

/// Builds the directed network of a City's streets: two links per two-way segment (forward id
/// 2 × street_id, backward 2 × street_id + 1), one per one-way segment; node z from streets
/// (terrain); classes arterial → primary, collector → tertiary, local → residential, path → path;
/// capacity = lanes × per-lane capacity of the class. Returned finalized. Thread-safe.
[[nodiscard]] StreetNetwork build_street_network(const sim::City& city);

}  // namespace citytwin::mobility
