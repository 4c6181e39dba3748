#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <iterator>
#include <pugixml.hpp>
#include <sstream>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <citytwin/mobility/readers/sumo_net.hpp>
#include <citytwin/sim/error.hpp>

namespace citytwin::mobility {

namespace {

// kMode* bits of one SUMO vehicle class (docs/models/mobility.md#sumo-networks)
std::uint8_t vclass_modes(std::string_view vclass) {
  if (vclass == "all") return kModeAll;
  if (vclass == "passenger" || vclass == "private" || vclass == "taxi") return kModeCar;
  if (vclass == "bicycle") return kModeBike;
  if (vclass == "pedestrian") return kModeWalk;
  return 0;
}

// union of the modes of a space-separated vClass list
std::uint8_t vclass_list_modes(std::string_view list) {
  std::uint8_t modes = 0;
  std::istringstream in{std::string(list)};
  std::string token;
  while (in >> token) modes = static_cast<std::uint8_t>(modes | vclass_modes(token));
  return modes;
}

// road class of a SUMO edge type: "highway.primary" (first of "a|b" lists), else kOther
HighwayClass edge_type_class(std::string_view type) {
  type = type.substr(0, type.find('|'));
  constexpr std::string_view kPrefix = "highway.";
  if (type.substr(0, kPrefix.size()) != kPrefix) return HighwayClass::kOther;
  return highway_class_from_name(type.substr(kPrefix.size()));
}

class SumoParser {
 public:
  SumoParser(std::string_view xml, std::string file) : xml_(xml), file_(std::move(file)) {
    // offsets of line starts, for pugixml offsets → line and column
    line_start_.push_back(0);
    for (std::size_t i = 0; i < xml_.size(); ++i) {
      if (xml_[i] == '\n') line_start_.push_back(i + 1);
    }
  }

  SumoNet parse() {
    // the document
    pugi::xml_document doc;
    const pugi::xml_parse_result result =
        doc.load_buffer(xml_.data(), xml_.size(), pugi::parse_default, pugi::encoding_utf8);
    if (!result) {
      add_issue_at(static_cast<std::size_t>(std::max<std::ptrdiff_t>(0, result.offset)), "net",
                   std::string("XML syntax error: ") + result.description() +
                       "; check that the file is a complete SUMO .net.xml");
      throw InputError(issues_);
    }
    const pugi::xml_node root = doc.child("net");
    if (!root) {
      add_issue(doc.first_child(), "net",
                "the root element must be <net>; is this a SUMO .net.xml file?");
      throw InputError(issues_);
    }

    // in dependency order: location, junctions, programs, edges, connections
    read_location(root.child("location"));
    for (const pugi::xml_node j : root.children("junction")) read_junction(j);
    for (const pugi::xml_node t : root.children("tlLogic")) read_tl_logic(t);
    for (const pugi::xml_node e : root.children("edge")) read_edge(e);
    for (const pugi::xml_node c : root.children("connection")) read_connection(c);
    if (!issues_.empty()) throw InputError(issues_);

    // signal programs of signalised junctions: from their connections, else by junction id
    StreetNetwork& net = out_.network;
    const LaneConnections& lc = out_.connections;
    for (std::size_t c = 0; c < lc.from_link_idx.size(); ++c) {
      const std::int32_t p = lc.signal_program_idx[c];
      const auto node =
          static_cast<std::size_t>(net.to_node_idx[static_cast<std::size_t>(lc.from_link_idx[c])]);
      if (p >= 0 && net.node_signal_program_idx[node] == -1) net.node_signal_program_idx[node] = p;
    }
    for (std::size_t n = 0; n < net.node_id.size(); ++n) {
      if (net.node_signalised[n] == 0 || net.node_signal_program_idx[n] != -1) continue;
      const auto it = program_index_.find(net.node_external_id[n]);
      if (it != program_index_.end()) net.node_signal_program_idx[n] = it->second;
    }
    net.finalize();
    return std::move(out_);
  }

 private:
  // --- positions and issues ---

  void add_issue_at(std::size_t offset, std::string key, std::string message) {
    const auto it = std::upper_bound(line_start_.begin(), line_start_.end(), offset);
    const auto line = static_cast<std::size_t>(std::distance(line_start_.begin(), it));
    const std::size_t column = offset - line_start_[line - 1] + 1;
    if (issues_.size() < 100) {
      issues_.push_back(InputIssue{file_, static_cast<int>(line), static_cast<int>(column),
                                   std::move(key), std::move(message)});
    }
  }

  void add_issue(const pugi::xml_node& node, std::string key, std::string message) {
    add_issue_at(static_cast<std::size_t>(std::max<std::ptrdiff_t>(0, node.offset_debug())),
                 std::move(key), std::move(message));
  }

  // "<element id='x'>" for messages and keys
  static std::string describe(const pugi::xml_node& node) {
    return std::string(node.name()) + " '" + node.attribute("id").as_string() + "'";
  }

  // a required text attribute; empty (and an issue) when missing
  std::string required(const pugi::xml_node& node, const char* name) {
    const pugi::xml_attribute a = node.attribute(name);
    if (!a) {
      add_issue(node, describe(node) + "." + name,
                describe(node) + " has no '" + name + "' attribute; add it");
      return {};
    }
    return a.as_string();
  }

  // a number attribute: `fallback` when absent and optional, NaN (and an issue) when bad
  double number(const pugi::xml_node& node, const char* name, bool is_required,
                double fallback = 0.0) {
    const pugi::xml_attribute a = node.attribute(name);
    if (!a) {
      if (!is_required) return fallback;
      add_issue(node, describe(node) + "." + name,
                describe(node) + " has no '" + name + "' attribute; add it");
      return std::nan("");
    }
    const std::string_view text = a.as_string();
    double value = 0.0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || ptr != text.data() + text.size() || !std::isfinite(value)) {
      add_issue(node, describe(node) + "." + name,
                describe(node) + " has " + name + "=\"" + std::string(text) +
                    "\", which is not a number; write a decimal number");
      return std::nan("");
    }
    return value;
  }

  // a non-negative integer attribute, `fallback` when absent, -1 (and an issue) when bad
  std::int32_t index(const pugi::xml_node& node, const char* name, std::int32_t fallback) {
    const double v = number(node, name, false, fallback);
    if (std::isnan(v)) return -1;
    if (v < 0.0 || v != std::floor(v) || v > 1e6) {
      add_issue(node, describe(node) + "." + name,
                describe(node) + " has " + name + "=" + node.attribute(name).as_string() +
                    ", expected a non-negative integer");
      return -1;
    }
    return static_cast<std::int32_t>(v);
  }

  // --- elements ---

  void read_location(const pugi::xml_node& loc) {
    if (!loc) return;
    SumoLocation& l = out_.location;
    const std::string offset = loc.attribute("netOffset").as_string();
    const std::size_t comma = offset.find(',');
    double x = 0.0, y = 0.0;
    const auto parse = [](std::string_view t, double& v) {
      const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
      return ec == std::errc{} && ptr == t.data() + t.size();
    };
    if (!offset.empty() &&
        (comma == std::string::npos || !parse(std::string_view(offset).substr(0, comma), x) ||
         !parse(std::string_view(offset).substr(comma + 1), y))) {
      add_issue(loc, "location.netOffset",
                "location has netOffset=\"" + offset + "\"; expected \"x,y\" in metres");
    }
    l.net_offset_x_m = x;
    l.net_offset_y_m = y;
    l.conv_boundary = loc.attribute("convBoundary").as_string();
    l.orig_boundary = loc.attribute("origBoundary").as_string();
    l.proj_parameter = loc.attribute("projParameter").as_string();
  }

  void read_junction(const pugi::xml_node& j) {
    const std::string type = j.attribute("type").as_string();
    if (type == "internal") return;
    const std::string id = required(j, "id");
    const double x = number(j, "x", true);
    const double y = number(j, "y", true);
    const double z = number(j, "z", false, 0.0);
    if (id.empty()) return;
    if (std::isnan(x) || std::isnan(y)) {
      failed_.insert(id);
      return;
    }
    if (junction_index_.count(id) != 0) {
      add_issue(j, describe(j), describe(j) + " is defined twice; junction ids must be unique");
      return;
    }
    const bool signalised = type.rfind("traffic_light", 0) == 0;
    StreetNetwork& net = out_.network;
    const std::int32_t idx =
        net.add_node(net.n_nodes() + 1, x, y, std::isnan(z) ? 0.0 : z, signalised, id);
    junction_index_.emplace(id, idx);
  }

  void read_tl_logic(const pugi::xml_node& t) {
    const std::string id = required(t, "id");
    SignalPrograms& p = out_.network.signal_programs;
    const auto program_idx = static_cast<std::int32_t>(p.program_id.size());
    p.program_id.push_back(id);
    p.program_name.emplace_back(t.attribute("programID").as_string("0"));
    p.type.emplace_back(t.attribute("type").as_string("static"));
    p.offset_s.push_back(number(t, "offset", false, 0.0));
    for (const pugi::xml_node ph : t.children("phase")) {
      const double duration_s = number(ph, "duration", true);
      if (!std::isnan(duration_s) && duration_s <= 0.0) {
        add_issue(ph, "tlLogic '" + id + "'.phase.duration",
                  "a phase of tlLogic '" + id + "' has duration " +
                      ph.attribute("duration").as_string() + "; it must be > 0 s");
      }
      p.phase_duration_s.push_back(duration_s);
      p.phase_state.push_back(required(ph, "state"));
    }
    p.phase_begin.push_back(static_cast<std::int64_t>(p.phase_duration_s.size()));
    program_index_.emplace(id, program_idx);  // the first program of a light is its default
  }

  void read_edge(const pugi::xml_node& e) {
    // internal, crossing and walking-area edges describe junction interiors
    const std::string function = e.attribute("function").as_string();
    const std::string id = required(e, "id");
    if (!function.empty() && function != "normal") {
      ++out_.n_internal_edges_skipped;
      skipped_edges_.insert(id);
      return;
    }

    // end junctions must exist
    const auto junction = [&](const char* role) {
      const std::string ref = required(e, role);
      if (ref.empty()) return -1;
      const auto it = junction_index_.find(ref);
      if (it == junction_index_.end()) {
        if (failed_.count(ref) != 0) return -1;
        add_issue(e, "edge '" + id + "'." + role,
                  "edge '" + id + "' references unknown junction '" + ref + "' in '" + role +
                      "'; add <junction id=\"" + ref + "\"> or fix the edge");
        return -1;
      }
      return it->second;
    };
    const std::int32_t from = junction("from");
    const std::int32_t to = junction("to");

    // lanes: length, speed and modes
    std::int32_t n_sumo_lanes = 0, n_car_lanes = 0, n_mode_lanes = 0;
    double length_sum_m = 0.0, speed_mps = 0.0;
    std::uint8_t modes = 0;
    for (const pugi::xml_node lane : e.children("lane")) {
      ++n_sumo_lanes;
      length_sum_m += number(lane, "length", true);
      speed_mps = std::max(speed_mps, number(lane, "speed", true));
      std::uint8_t lane_modes = kModeAll;
      if (lane.attribute("allow"))
        lane_modes = vclass_list_modes(lane.attribute("allow").as_string());
      if (lane.attribute("disallow")) {
        lane_modes = static_cast<std::uint8_t>(
            lane_modes & ~vclass_list_modes(lane.attribute("disallow").as_string()));
      }
      modes = static_cast<std::uint8_t>(modes | lane_modes);
      if ((lane_modes & kModeCar) != 0) ++n_car_lanes;
      if (lane_modes != 0) ++n_mode_lanes;
    }
    if (n_sumo_lanes == 0) {
      add_issue(e, "edge '" + id + "'.lane", "edge '" + id + "' has no <lane>; add at least one");
    }
    if (id.empty() || from < 0 || to < 0 || n_sumo_lanes == 0 || std::isnan(length_sum_m) ||
        std::isnan(speed_mps)) {
      failed_.insert(id);  // reported already; its connections are not reported again
      return;
    }
    if (edge_index_.count(id) != 0) {
      add_issue(e, "edge '" + id + "'",
                "edge '" + id + "' is defined twice; edge ids must be unique");
      return;
    }

    // the link: cars use their lanes, other modes one lane
    const bool car = (modes & kModeCar) != 0;
    StreetNetwork::LinkSpec spec;
    StreetNetwork& net = out_.network;
    spec.link_id = net.n_links() + 1;
    spec.external_id = id;
    spec.from_node_idx = from;
    spec.to_node_idx = to;
    spec.length_m = length_sum_m / n_sumo_lanes;
    spec.lanes = car ? n_car_lanes : std::max(1, n_mode_lanes);
    spec.free_speed_mps = car                        ? speed_mps
                          : (modes & kModeBike) != 0 ? std::min(speed_mps, kBikeFreeSpeedMps)
                                                     : std::min(speed_mps, kWalkFreeSpeedMps);
    spec.flow_capacity_veh_per_h =
        spec.lanes *
        (car ? capacity_veh_per_h_per_lane_for_speed(speed_mps) : kBikeCapacityVehPerHPerLane);
    spec.modes = modes;
    spec.highway_class = edge_type_class(e.attribute("type").as_string());
    spec.name = e.attribute("name").as_string();
    edge_index_.emplace(id, net.add_link(std::move(spec)));
    edge_lanes_.emplace(id, n_sumo_lanes);
  }

  void read_connection(const pugi::xml_node& c) {
    const std::string from = c.attribute("from").as_string();
    const std::string to = c.attribute("to").as_string();
    if (from.empty() || to.empty()) {
      add_issue(c, "connection", "connection without 'from' or 'to'; add both edge ids");
      return;
    }
    // movements inside junctions and on pedestrian areas are not links
    if (from.front() == ':' || to.front() == ':' || skipped_edges_.count(from) != 0 ||
        skipped_edges_.count(to) != 0 || failed_.count(from) != 0 || failed_.count(to) != 0) {
      return;
    }
    const auto edge = [&](const std::string& ref, const char* role) {
      const auto it = edge_index_.find(ref);
      if (it != edge_index_.end()) return it->second;
      add_issue(c, std::string("connection.") + role,
                "connection " + from + " -> " + to + " references unknown edge '" + ref +
                    "'; add the edge or remove the connection");
      return -1;
    };
    const std::int32_t from_idx = edge(from, "from");
    const std::int32_t to_idx = edge(to, "to");
    const std::int32_t from_lane = index(c, "fromLane", 0);
    const std::int32_t to_lane = index(c, "toLane", 0);
    if (from_idx < 0 || to_idx < 0 || from_lane < 0 || to_lane < 0) return;
    if (from_lane >= edge_lanes_.at(from) || to_lane >= edge_lanes_.at(to)) {
      add_issue(c, "connection.fromLane",
                "connection " + from + " -> " + to + " uses lane " + std::to_string(from_lane) +
                    " -> " + std::to_string(to_lane) + ", beyond the lanes of its edges");
      return;
    }

    // the controlling signal program
    std::int32_t program = -1;
    const std::string tl = c.attribute("tl").as_string();
    if (!tl.empty()) {
      const auto it = program_index_.find(tl);
      if (it == program_index_.end()) {
        add_issue(c, "connection.tl",
                  "connection " + from + " -> " + to + " names unknown tlLogic '" + tl +
                      "'; add the program or remove tl");
        return;
      }
      program = it->second;
    }
    LaneConnections& lc = out_.connections;
    lc.from_link_idx.push_back(from_idx);
    lc.from_lane.push_back(from_lane);
    lc.to_link_idx.push_back(to_idx);
    lc.to_lane.push_back(to_lane);
    lc.via.emplace_back(c.attribute("via").as_string());
    lc.signal_program_idx.push_back(program);
    lc.link_index.push_back(c.attribute("linkIndex") ? index(c, "linkIndex", -1) : -1);
    const std::string dir = c.attribute("dir").as_string();
    lc.direction.push_back(dir.empty() ? '?' : dir.front());
  }

  std::string_view xml_;
  std::string file_;
  std::vector<std::size_t> line_start_;
  std::vector<InputIssue> issues_;
  SumoNet out_;
  std::unordered_map<std::string, std::int32_t> junction_index_;
  std::unordered_map<std::string, std::int32_t> edge_index_;
  std::unordered_map<std::string, std::int32_t> edge_lanes_;
  std::unordered_map<std::string, std::int32_t> program_index_;
  std::unordered_set<std::string> skipped_edges_;
  std::unordered_set<std::string> failed_;  // junctions and edges with a reported problem
};

}  // namespace

SumoNet parse_sumo_net(std::string_view xml, const std::string& file) {
  return SumoParser(xml, file).parse();
}

SumoNet read_sumo_net(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw InputError(
        InputIssue{path.string(), 0, 0, "", "cannot open the SUMO network file; check the path"});
  }
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  return parse_sumo_net(text, path.string());
}

}  // namespace citytwin::mobility
