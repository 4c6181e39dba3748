#include <array>
#include <string>
#include <utility>

#include <citytwin/mobility/street_network.hpp>
#include <citytwin/sim/error.hpp>

namespace citytwin::mobility {

namespace {

constexpr std::size_t kNHighwayClasses = 16;

// per-class defaults (docs/models/mobility.md#capacities): capacity per lane, urban free speed
// for cars, lanes per direction when untagged, modes allowed when untagged
constexpr std::array<HighwayClassDefaults, kNHighwayClasses> kClassDefaults{{
    {2000.0, 100.0 / 3.6, 2, kModeCar},                                          // motorway
    {2000.0, 80.0 / 3.6, 2, kModeCar},                                           // trunk
    {1800.0, 50.0 / 3.6, 1, kModeAll},                                           // primary
    {1800.0, 50.0 / 3.6, 1, kModeAll},                                           // secondary
    {1500.0, 50.0 / 3.6, 1, kModeAll},                                           // tertiary
    {1200.0, 40.0 / 3.6, 1, kModeAll},                                           // unclassified
    {1200.0, 30.0 / 3.6, 1, kModeAll},                                           // residential
    {600.0, 10.0 / 3.6, 1, kModeAll},                                            // living_street
    {600.0, 20.0 / 3.6, 1, kModeAll},                                            // service
    {kBikeCapacityVehPerHPerLane, kBikeFreeSpeedMps, 1, kModeBike | kModeWalk},  // track
    {kBikeCapacityVehPerHPerLane, kWalkFreeSpeedMps, 1, kModeWalk},              // pedestrian
    {kBikeCapacityVehPerHPerLane, kBikeFreeSpeedMps, 1, kModeBike},              // cycleway
    {kBikeCapacityVehPerHPerLane, kWalkFreeSpeedMps, 1, kModeWalk},              // footway
    {kBikeCapacityVehPerHPerLane, kBikeFreeSpeedMps, 1, kModeBike | kModeWalk},  // path
    {kBikeCapacityVehPerHPerLane, kWalkFreeSpeedMps, 1, kModeWalk},              // steps
    {1200.0, 30.0 / 3.6, 1, kModeAll},                                           // other
}};

// one-line description of the first mismatch in a column length
void check_length(const char* column, std::size_t got, std::size_t expected) {
  CITYTWIN_CHECK(got == expected, std::string("street network column ") + column + " has " +
                                      std::to_string(got) + " entries, expected " +
                                      std::to_string(expected));
}

// counting sort of links by a node column: offsets (n_nodes + 1) and link indices
void build_star(const std::vector<std::int32_t>& node_of_link, std::size_t n_nodes,
                std::vector<std::int64_t>& begin, std::vector<std::int32_t>& link_idx) {
  begin.assign(n_nodes + 1, 0);
  for (const std::int32_t n : node_of_link) ++begin[static_cast<std::size_t>(n) + 1];
  for (std::size_t n = 0; n < n_nodes; ++n) begin[n + 1] += begin[n];
  link_idx.assign(node_of_link.size(), -1);
  std::vector<std::int64_t> next(begin.begin(), begin.end() - 1);
  for (std::size_t l = 0; l < node_of_link.size(); ++l) {
    const auto n = static_cast<std::size_t>(node_of_link[l]);
    link_idx[static_cast<std::size_t>(next[n]++)] = static_cast<std::int32_t>(l);
  }
}

}  // namespace

const std::vector<std::string>& highway_class_names() {
  static const std::vector<std::string> names{
      "motorway",    "trunk",         "primary", "secondary", "tertiary",   "unclassified",
      "residential", "living_street", "service", "track",     "pedestrian", "cycleway",
      "footway",     "path",          "steps",   "other"};
  return names;
}

HighwayClass highway_class_from_name(std::string_view name) {
  // ramps share the class of their road
  constexpr std::string_view kLinkSuffix = "_link";
  if (name.size() > kLinkSuffix.size() &&
      name.substr(name.size() - kLinkSuffix.size()) == kLinkSuffix) {
    name.remove_suffix(kLinkSuffix.size());
  }
  const std::vector<std::string>& names = highway_class_names();
  for (std::size_t c = 0; c + 1 < names.size(); ++c) {
    if (names[c] == name) return static_cast<HighwayClass>(c);
  }
  if (name == "bridleway") return HighwayClass::kPath;
  return HighwayClass::kOther;
}

HighwayClassDefaults highway_class_defaults(HighwayClass highway_class) {
  return kClassDefaults.at(static_cast<std::size_t>(highway_class));
}

double capacity_veh_per_h_per_lane_for_speed(double free_speed_mps) {
  // speed classes in km/h, with a small margin for limits stored as rounded m/s
  const double speed_kmh = free_speed_mps * 3.6;
  if (speed_kmh <= 35.0) return 1200.0;
  if (speed_kmh <= 55.0) return 1800.0;
  if (speed_kmh <= 85.0) return 1900.0;
  return 2000.0;
}

bool is_mandatory(TurnRestrictionKind kind) {
  return kind == TurnRestrictionKind::kOnlyLeftTurn ||
         kind == TurnRestrictionKind::kOnlyRightTurn ||
         kind == TurnRestrictionKind::kOnlyStraightOn || kind == TurnRestrictionKind::kOnlyUTurn;
}

bool turn_restriction_kind_from_name(std::string_view name, TurnRestrictionKind& kind) {
  static constexpr std::array<std::pair<std::string_view, TurnRestrictionKind>, 10> kNames{{
      {"no_left_turn", TurnRestrictionKind::kNoLeftTurn},
      {"no_right_turn", TurnRestrictionKind::kNoRightTurn},
      {"no_straight_on", TurnRestrictionKind::kNoStraightOn},
      {"no_u_turn", TurnRestrictionKind::kNoUTurn},
      {"no_entry", TurnRestrictionKind::kNoEntry},
      {"no_exit", TurnRestrictionKind::kNoExit},
      {"only_left_turn", TurnRestrictionKind::kOnlyLeftTurn},
      {"only_right_turn", TurnRestrictionKind::kOnlyRightTurn},
      {"only_straight_on", TurnRestrictionKind::kOnlyStraightOn},
      {"only_u_turn", TurnRestrictionKind::kOnlyUTurn},
  }};
  for (const auto& [text, value] : kNames) {
    if (text == name) {
      kind = value;
      return true;
    }
  }
  return false;
}

std::int32_t StreetNetwork::add_node(std::int64_t id, double x_m, double y_m, double z_m,
                                     bool signalised, std::string external_id) {
  node_id.push_back(id);
  node_external_id.push_back(std::move(external_id));
  node_x_m.push_back(x_m);
  node_y_m.push_back(y_m);
  node_z_m.push_back(z_m);
  node_signalised.push_back(signalised ? 1 : 0);
  node_signal_program_idx.push_back(-1);
  return static_cast<std::int32_t>(node_id.size() - 1);
}

std::int32_t StreetNetwork::add_link(LinkSpec spec) {
  link_id.push_back(spec.link_id);
  link_external_id.push_back(std::move(spec.external_id));
  from_node_idx.push_back(spec.from_node_idx);
  to_node_idx.push_back(spec.to_node_idx);
  length_m.push_back(spec.length_m);
  lanes.push_back(spec.lanes);
  free_speed_mps.push_back(spec.free_speed_mps);
  flow_capacity_veh_per_h.push_back(spec.flow_capacity_veh_per_h);
  modes.push_back(spec.modes);
  highway_class.push_back(spec.highway_class);
  name.push_back(std::move(spec.name));
  return static_cast<std::int32_t>(link_id.size() - 1);
}

void StreetNetwork::finalize() {
  const std::size_t n_n = node_id.size();
  const std::size_t n_l = link_id.size();

  // column lengths
  check_length("node_external_id", node_external_id.size(), n_n);
  check_length("node_x_m", node_x_m.size(), n_n);
  check_length("node_y_m", node_y_m.size(), n_n);
  check_length("node_z_m", node_z_m.size(), n_n);
  check_length("node_signalised", node_signalised.size(), n_n);
  check_length("node_signal_program_idx", node_signal_program_idx.size(), n_n);
  check_length("link_external_id", link_external_id.size(), n_l);
  check_length("from_node_idx", from_node_idx.size(), n_l);
  check_length("to_node_idx", to_node_idx.size(), n_l);
  check_length("length_m", length_m.size(), n_l);
  check_length("lanes", lanes.size(), n_l);
  check_length("free_speed_mps", free_speed_mps.size(), n_l);
  check_length("flow_capacity_veh_per_h", flow_capacity_veh_per_h.size(), n_l);
  check_length("modes", modes.size(), n_l);
  check_length("highway_class", highway_class.size(), n_l);
  check_length("name", name.size(), n_l);
  const std::size_t n_r = restriction_kind.size();
  check_length("restriction_from_link_idx", restriction_from_link_idx.size(), n_r);
  check_length("restriction_via_node_idx", restriction_via_node_idx.size(), n_r);
  check_length("restriction_to_link_idx", restriction_to_link_idx.size(), n_r);
  CITYTWIN_CHECK(!signal_programs.phase_begin.empty() &&
                     signal_programs.phase_begin.back() ==
                         static_cast<std::int64_t>(signal_programs.phase_duration_s.size()),
                 "signal_programs.phase_begin must end at the number of phases");

  // indices in range, lengths and lanes valid
  const auto in_range = [](std::int32_t idx, std::size_t n) {
    return idx >= 0 && static_cast<std::size_t>(idx) < n;
  };
  for (std::size_t l = 0; l < n_l; ++l) {
    CITYTWIN_CHECK(in_range(from_node_idx[l], n_n) && in_range(to_node_idx[l], n_n),
                   "link " + std::to_string(link_id[l]) + " has a node index out of range");
    CITYTWIN_CHECK(length_m[l] >= 0.0 && lanes[l] >= 1,
                   "link " + std::to_string(link_id[l]) + " has a negative length or no lane");
  }
  for (std::size_t r = 0; r < n_r; ++r) {
    CITYTWIN_CHECK(in_range(restriction_from_link_idx[r], n_l) &&
                       in_range(restriction_to_link_idx[r], n_l) &&
                       in_range(restriction_via_node_idx[r], n_n),
                   "turn restriction " + std::to_string(r) + " has an index out of range");
  }
  for (std::size_t n = 0; n < n_n; ++n) {
    CITYTWIN_CHECK(
        node_signal_program_idx[n] == -1 ||
            in_range(node_signal_program_idx[n], static_cast<std::size_t>(signal_programs.size())),
        "node " + std::to_string(node_id[n]) + " has a signal program out of range");
  }

  // derived link columns: storage capacity and grade
  storage_capacity_veh.resize(n_l);
  grade_frac.resize(n_l);
  for (std::size_t l = 0; l < n_l; ++l) {
    storage_capacity_veh[l] = length_m[l] * lanes[l] / kVehicleSpaceM;
    const double rise_m = node_z_m[static_cast<std::size_t>(to_node_idx[l])] -
                          node_z_m[static_cast<std::size_t>(from_node_idx[l])];
    grade_frac[l] = length_m[l] > 0.0 ? rise_m / length_m[l] : 0.0;
  }

  // forward and backward stars
  build_star(from_node_idx, n_n, out_begin, out_link_idx);
  build_star(to_node_idx, n_n, in_begin, in_link_idx);

  // id maps, unique ids
  link_index_.clear();
  link_external_index_.clear();
  node_index_.clear();
  node_external_index_.clear();
  link_index_.reserve(n_l);
  node_index_.reserve(n_n);
  for (std::size_t l = 0; l < n_l; ++l) {
    const auto idx = static_cast<std::int32_t>(l);
    CITYTWIN_CHECK(link_index_.emplace(link_id[l], idx).second,
                   "duplicate link_id " + std::to_string(link_id[l]));
    if (!link_external_id[l].empty()) {
      CITYTWIN_CHECK(link_external_index_.emplace(link_external_id[l], idx).second,
                     "duplicate link_external_id '" + link_external_id[l] + "'");
    }
  }
  for (std::size_t n = 0; n < n_n; ++n) {
    const auto idx = static_cast<std::int32_t>(n);
    CITYTWIN_CHECK(node_index_.emplace(node_id[n], idx).second,
                   "duplicate node_id " + std::to_string(node_id[n]));
    if (!node_external_id[n].empty()) {
      CITYTWIN_CHECK(node_external_index_.emplace(node_external_id[n], idx).second,
                     "duplicate node_external_id '" + node_external_id[n] + "'");
    }
  }
}

void StreetNetwork::apply_terrain(const sim::Terrain& terrain) {
  for (std::size_t n = 0; n < node_id.size(); ++n) {
    node_z_m[n] = terrain.elevation_at(node_x_m[n], node_y_m[n]);
  }
  finalize();
}

std::int32_t StreetNetwork::link_idx(std::int64_t id) const {
  const auto it = link_index_.find(id);
  return it == link_index_.end() ? -1 : it->second;
}

std::int32_t StreetNetwork::link_idx(std::string_view external_id) const {
  const auto it = link_external_index_.find(external_id);
  return it == link_external_index_.end() ? -1 : it->second;
}

std::int32_t StreetNetwork::node_idx(std::int64_t id) const {
  const auto it = node_index_.find(id);
  return it == node_index_.end() ? -1 : it->second;
}

std::int32_t StreetNetwork::node_idx(std::string_view external_id) const {
  const auto it = node_external_index_.find(external_id);
  return it == node_external_index_.end() ? -1 : it->second;
}

StreetNetwork build_street_network(const sim::City& city) {
  const sim::Streets& s = city.streets;
  StreetNetwork net;

  // nodes: the intersections, same order and ids
  for (std::int64_t n = 0; n < s.n_nodes(); ++n) {
    const auto i = static_cast<std::size_t>(n);
    net.add_node(s.node_id[i], s.node_x_m[i], s.node_y_m[i], s.node_z_m[i],
                 s.node_signalised[i] != 0);
  }

  // links: forward then backward per segment
  const auto to_class = [](sim::StreetClass c) {
    switch (c) {
      case sim::StreetClass::kArterial:
        return HighwayClass::kPrimary;
      case sim::StreetClass::kCollector:
        return HighwayClass::kTertiary;
      case sim::StreetClass::kLocal:
        return HighwayClass::kResidential;
      case sim::StreetClass::kPath:
        return HighwayClass::kPath;
    }
    return HighwayClass::kOther;
  };
  for (std::int64_t k = 0; k < s.size(); ++k) {
    const auto i = static_cast<std::size_t>(k);
    const HighwayClass c = to_class(s.street_class[i]);
    const HighwayClassDefaults d = highway_class_defaults(c);
    const bool car = (d.modes & kModeCar) != 0;
    const auto add_direction = [&](std::int32_t n_lanes, bool backward) {
      if (n_lanes <= 0) return;
      StreetNetwork::LinkSpec spec;
      spec.link_id = 2 * s.street_id[i] + (backward ? 1 : 0);
      spec.external_id = std::to_string(s.street_id[i]) + (backward ? ":b" : ":f");
      spec.from_node_idx = backward ? s.to_node_idx[i] : s.from_node_idx[i];
      spec.to_node_idx = backward ? s.from_node_idx[i] : s.to_node_idx[i];
      spec.length_m = s.length_m[i];
      spec.lanes = n_lanes;
      spec.free_speed_mps = car ? s.speed_limit_mps[i] : d.speed_mps;
      spec.flow_capacity_veh_per_h = n_lanes * d.capacity_veh_per_h_per_lane;
      spec.modes = d.modes;
      spec.highway_class = c;
      net.add_link(std::move(spec));
    };
    add_direction(s.lanes_forward[i], false);
    add_direction(s.lanes_backward[i], true);
  }
  net.finalize();
  return net;
}

}  // namespace citytwin::mobility
