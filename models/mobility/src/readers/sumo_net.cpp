#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <iterator>
#include <pugixml.hpp>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <citytwin/mobility/readers/sumo_net.hpp>
#include <citytwin/sim/error.hpp>

#include "sumo_xml.hpp"

namespace citytwin::mobility {

namespace {

using sumo_xml::Attr;
using sumo_xml::Node;

// kMode* bits of one SUMO vehicle class (docs/models/mobility.md#sumo-networks)
std::uint8_t vclass_modes(std::string_view vclass) {
  if (vclass == "all") return kModeAll;
  if (vclass == "passenger" || vclass == "private" || vclass == "taxi") return kModeCar;
  if (vclass == "bicycle") return kModeBike;
  if (vclass == "pedestrian") return kModeWalk;
  return 0;
}

// road class of a SUMO edge type: "highway.primary" (first of "a|b" lists), else kOther
HighwayClass edge_type_class(std::string_view type) {
  type = type.substr(0, type.find('|'));
  constexpr std::string_view kPrefix = "highway.";
  if (type.substr(0, kPrefix.size()) != kPrefix) return HighwayClass::kOther;
  return highway_class_from_name(type.substr(kPrefix.size()));
}

// a space-separated token list, split as `std::istream >> std::string` splits it
template <typename F>
void for_each_token(std::string_view list, F&& f) {
  const auto space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
  };
  const std::size_t n = list.size();
  std::size_t i = 0;
  while (true) {
    while (i < n && space(list[i])) ++i;
    if (i == n) break;
    const std::size_t begin = i;
    while (i < n && !space(list[i])) ++i;
    f(list.substr(begin, i - begin));
  }
}

// union of the modes of a space-separated vClass list
std::uint8_t vclass_list_modes(std::string_view list) {
  std::uint8_t modes = 0;
  for_each_token(list, [&](std::string_view token) {
    modes = static_cast<std::uint8_t>(modes | vclass_modes(token));
  });
  return modes;
}


class SumoParser {
 public:
  SumoParser(std::string_view xml, std::string file) : xml_(xml), file_(std::move(file)) {}

  SumoNet parse() {
    // the document: names and values are views into xml_ (or into the tree's pugixml copy)
    pugi::xml_parse_result result;
    const Node root = tree_.load(xml_, "net", pugi::parse_default, pugi::encoding_utf8, result);
    if (!result) {
      add_issue_at(static_cast<std::size_t>(std::max<std::ptrdiff_t>(0, result.offset)), "net",
                   std::string("XML syntax error: ") + result.description() +
                       "; check that the file is a complete SUMO .net.xml");
      throw_issues();
    }
    if (!root) {
      add_issue(tree_.pugi_first_child(), "net",
                "the root element must be <net>; is this a SUMO .net.xml file?");
      throw_issues();
    }

    // in dependency order: location, junctions, programs, edges, connections
    std::vector<Node> junctions, programs, edges, connections;
    for (Node child = root.first_child(); child; child = child.next_sibling()) {
      const std::string_view name = child.name();
      if (name == "junction") {
        junctions.push_back(child);
      } else if (name == "tlLogic") {
        programs.push_back(child);
      } else if (name == "edge") {
        edges.push_back(child);
      } else if (name == "connection") {
        connections.push_back(child);
      }
    }
    junction_index_.reserve(junctions.size());
    edge_index_.reserve(edges.size());
    read_location(root.child("location"));
    for (const Node& j : junctions) read_junction(j);
    for (const Node& t : programs) read_tl_logic(t);
    for (const Node& e : edges) read_edge(e);
    for (const Node& c : connections) read_connection(c);
    if (!issues_.empty()) throw_issues();

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

  // an issue at a byte offset; its line and column are found when the issues are thrown
  struct PendingIssue {
    std::size_t offset = 0;
    std::string key;
    std::string message;
  };

  void add_issue_at(std::size_t offset, std::string key, std::string message) {
    if (issues_.size() < 100) issues_.push_back({offset, std::move(key), std::move(message)});
  }

  void add_issue(const Node& node, std::string key, std::string message) {
    add_issue_at(static_cast<std::size_t>(std::max<std::ptrdiff_t>(0, node.offset())),
                 std::move(key), std::move(message));
  }

  // throws the issues with their lines and columns
  [[noreturn]] void throw_issues() {
    const std::string_view text = xml_;
    std::vector<std::size_t> line_start{0};
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\n') line_start.push_back(i + 1);
    }
    std::vector<InputIssue> issues;
    issues.reserve(issues_.size());
    for (PendingIssue& p : issues_) {
      const auto it = std::upper_bound(line_start.begin(), line_start.end(), p.offset);
      const auto line = static_cast<std::size_t>(std::distance(line_start.begin(), it));
      const std::size_t column = p.offset - line_start[line - 1] + 1;
      issues.push_back(InputIssue{file_, static_cast<int>(line), static_cast<int>(column),
                                  std::move(p.key), std::move(p.message)});
    }
    throw InputError(std::move(issues));
  }

  // "<element id='x'>" for messages and keys
  static std::string describe(const Node& node) {
    return std::string(node.name()) + " '" + std::string(node.attribute("id").as_string()) + "'";
  }

  // a required text attribute (a view into the document); empty (and an issue) when missing
  std::string_view required(const Node& node, const char* name) {
    return required(node, name, node.attribute(name));
  }
  // same with the attribute `name` of node already looked up
  std::string_view required(const Node& node, const char* name, const Attr& a) {
    if (!a) {
      add_issue(node, describe(node) + "." + name,
                describe(node) + " has no '" + name + "' attribute; add it");
      return {};
    }
    return a.value;
  }

  // a number attribute: `fallback` when absent and optional, NaN (and an issue) when bad
  double number(const Node& node, const char* name, bool is_required,
                double fallback = 0.0) {
    return number(node, name, node.attribute(name), is_required, fallback);
  }
  double number(const Node& node, const char* name, const Attr& a, bool is_required,
                double fallback = 0.0) {
    if (!a) {
      if (!is_required) return fallback;
      add_issue(node, describe(node) + "." + name,
                describe(node) + " has no '" + name + "' attribute; add it");
      return std::nan("");
    }
    const std::string_view text = a.value;
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
  std::int32_t index(const Node& node, const char* name, const Attr& a,
                     std::int32_t fallback) {
    const double v = number(node, name, a, false, fallback);
    if (std::isnan(v)) return -1;
    if (v < 0.0 || v != std::floor(v) || v > 1e6) {
      add_issue(node, describe(node) + "." + name,
                describe(node) + " has " + name + "=" + std::string(a.as_string()) +
                    ", expected a non-negative integer");
      return -1;
    }
    return static_cast<std::int32_t>(v);
  }

  // --- elements ---

  void read_location(const Node& loc) {
    if (!loc) return;
    SumoLocation& l = out_.location;
    const std::string_view offset = loc.attribute("netOffset").as_string();
    const std::size_t comma = offset.find(',');
    double x = 0.0, y = 0.0;
    const auto parse = [](std::string_view t, double& v) {
      const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
      return ec == std::errc{} && ptr == t.data() + t.size();
    };
    if (!offset.empty() && (comma == std::string_view::npos || !parse(offset.substr(0, comma), x) ||
                            !parse(offset.substr(comma + 1), y))) {
      add_issue(loc, "location.netOffset",
                "location has netOffset=\"" + std::string(offset) +
                    "\"; expected \"x,y\" in metres");
    }
    l.net_offset_x_m = x;
    l.net_offset_y_m = y;
    l.conv_boundary = std::string(loc.attribute("convBoundary").as_string());
    l.orig_boundary = std::string(loc.attribute("origBoundary").as_string());
    l.proj_parameter = std::string(loc.attribute("projParameter").as_string());
  }

  void read_junction(const Node& j) {
    const std::string_view type = j.attributes<1>({"type"})[0].as_string();
    if (type == "internal") return;
    const auto [id_attr, x_attr, y_attr, z_attr] = j.attributes<4>({"id", "x", "y", "z"});
    const std::string_view id = required(j, "id", id_attr);
    const double x = number(j, "x", x_attr, true);
    const double y = number(j, "y", y_attr, true);
    const double z = number(j, "z", z_attr, false, 0.0);
    if (id.empty()) return;
    if (std::isnan(x) || std::isnan(y)) {
      failed_.insert(id);
      return;
    }
    if (junction_index_.count(id) != 0) {
      add_issue(j, describe(j), describe(j) + " is defined twice; junction ids must be unique");
      return;
    }
    const bool signalised = type.substr(0, 13) == "traffic_light";
    StreetNetwork& net = out_.network;
    const std::int32_t idx = net.add_node(net.n_nodes() + 1, x, y, std::isnan(z) ? 0.0 : z,
                                          signalised, std::string(id));
    junction_index_.emplace(id, idx);
  }

  void read_tl_logic(const Node& t) {
    const std::string_view id = required(t, "id");
    SignalPrograms& p = out_.network.signal_programs;
    const auto program_idx = static_cast<std::int32_t>(p.program_id.size());
    p.program_id.emplace_back(id);
    p.program_name.emplace_back(t.attribute("programID").as_string("0"));
    p.type.emplace_back(t.attribute("type").as_string("static"));
    p.offset_s.push_back(number(t, "offset", false, 0.0));
    for_each_child(t, "phase", [&](const Node& ph) {
      const double duration_s = number(ph, "duration", true);
      if (!std::isnan(duration_s) && duration_s <= 0.0) {
        add_issue(ph, "tlLogic '" + std::string(id) + "'.phase.duration",
                  "a phase of tlLogic '" + std::string(id) + "' has duration " +
                      std::string(ph.attribute("duration").as_string()) + "; it must be > 0 s");
      }
      p.phase_duration_s.push_back(duration_s);
      p.phase_state.emplace_back(required(ph, "state"));
    });
    p.phase_begin.push_back(static_cast<std::int64_t>(p.phase_duration_s.size()));
    program_index_.emplace(id, program_idx);  // the first program of a light is its default
  }

  void read_edge(const Node& e) {
    // internal, crossing and walking-area edges describe junction interiors
    const auto [function_attr, id_attr, from_attr, to_attr, type_attr, name_attr] =
        e.attributes<6>({"function", "id", "from", "to", "type", "name"});
    const std::string_view function = function_attr.as_string();
    const std::string_view id = required(e, "id", id_attr);
    if (!function.empty() && function != "normal") {
      ++out_.n_internal_edges_skipped;
      // connections from or to ids starting with ':' are skipped before this set is asked
      if (id.empty() || id.front() != ':') skipped_edges_.insert(id);
      return;
    }

    // end junctions must exist
    const auto junction = [&](const char* role, const Attr& attr) {
      const std::string_view ref = required(e, role, attr);
      if (ref.empty()) return -1;
      const auto it = junction_index_.find(ref);
      if (it == junction_index_.end()) {
        if (failed_.count(ref) != 0) return -1;
        add_issue(e, "edge '" + std::string(id) + "'." + role,
                  "edge '" + std::string(id) + "' references unknown junction '" +
                      std::string(ref) + "' in '" + role + "'; add <junction id=\"" +
                      std::string(ref) + "\"> or fix the edge");
        return -1;
      }
      return it->second;
    };
    const std::int32_t from = junction("from", from_attr);
    const std::int32_t to = junction("to", to_attr);

    // lanes: length, speed and modes
    std::int32_t n_sumo_lanes = 0, n_car_lanes = 0, n_mode_lanes = 0;
    double length_sum_m = 0.0, speed_mps = 0.0;
    std::uint8_t modes = 0;
    for_each_child(e, "lane", [&](const Node& lane) {
      ++n_sumo_lanes;
      const auto [length, speed, allow, disallow] =
          lane.attributes<4>({"length", "speed", "allow", "disallow"});
      length_sum_m += number(lane, "length", length, true);
      speed_mps = std::max(speed_mps, number(lane, "speed", speed, true));
      std::uint8_t lane_modes = kModeAll;
      if (allow) lane_modes = vclass_list_modes(allow.value);
      if (disallow) {
        lane_modes = static_cast<std::uint8_t>(lane_modes & ~vclass_list_modes(disallow.value));
      }
      modes = static_cast<std::uint8_t>(modes | lane_modes);
      if ((lane_modes & kModeCar) != 0) ++n_car_lanes;
      if (lane_modes != 0) ++n_mode_lanes;
    });
    if (n_sumo_lanes == 0) {
      add_issue(e, "edge '" + std::string(id) + "'.lane",
                "edge '" + std::string(id) + "' has no <lane>; add at least one");
    }
    if (id.empty() || from < 0 || to < 0 || n_sumo_lanes == 0 || std::isnan(length_sum_m) ||
        std::isnan(speed_mps)) {
      failed_.insert(id);  // reported already; its connections are not reported again
      return;
    }
    if (edge_index_.count(id) != 0) {
      add_issue(e, "edge '" + std::string(id) + "'",
                "edge '" + std::string(id) + "' is defined twice; edge ids must be unique");
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
    spec.highway_class = edge_type_class(type_attr.as_string());
    spec.name = name_attr.as_string();
    edge_index_.emplace(id, EdgeEntry{net.add_link(std::move(spec)), n_sumo_lanes});
  }

  void read_connection(const Node& c) {
    const auto [from_attr, to_attr] = c.attributes<2>({"from", "to"});
    const std::string_view from = from_attr.as_string();
    const std::string_view to = to_attr.as_string();
    if (from.empty() || to.empty()) {
      add_issue(c, "connection", "connection without 'from' or 'to'; add both edge ids");
      return;
    }
    // movements inside junctions and on pedestrian areas are not links
    if (from.front() == ':' || to.front() == ':' || skipped_edges_.count(from) != 0 ||
        skipped_edges_.count(to) != 0 || failed_.count(from) != 0 || failed_.count(to) != 0) {
      return;
    }
    const auto [from_lane_attr, to_lane_attr, via, tl_attr, link_index, dir_attr] =
        c.attributes<6>({"fromLane", "toLane", "via", "tl", "linkIndex", "dir"});
    const auto edge = [&](std::string_view ref, const char* role) -> const EdgeEntry* {
      const auto it = edge_index_.find(ref);
      if (it != edge_index_.end()) return &it->second;
      add_issue(c, std::string("connection.") + role,
                "connection " + std::string(from) + " -> " + std::string(to) +
                    " references unknown edge '" + std::string(ref) +
                    "'; add the edge or remove the connection");
      return nullptr;
    };
    const EdgeEntry* const from_edge = edge(from, "from");
    const EdgeEntry* const to_edge = edge(to, "to");
    const std::int32_t from_lane = index(c, "fromLane", from_lane_attr, 0);
    const std::int32_t to_lane = index(c, "toLane", to_lane_attr, 0);
    if (from_edge == nullptr || to_edge == nullptr || from_lane < 0 || to_lane < 0) return;
    if (from_lane >= from_edge->n_lanes || to_lane >= to_edge->n_lanes) {
      add_issue(c, "connection.fromLane",
                "connection " + std::string(from) + " -> " + std::string(to) + " uses lane " +
                    std::to_string(from_lane) + " -> " + std::to_string(to_lane) +
                    ", beyond the lanes of its edges");
      return;
    }

    // the controlling signal program
    std::int32_t program = -1;
    const std::string_view tl = tl_attr.as_string();
    if (!tl.empty()) {
      const auto it = program_index_.find(tl);
      if (it == program_index_.end()) {
        add_issue(c, "connection.tl",
                  "connection " + std::string(from) + " -> " + std::string(to) +
                      " names unknown tlLogic '" + std::string(tl) +
                      "'; add the program or remove tl");
        return;
      }
      program = it->second;
    }
    LaneConnections& lc = out_.connections;
    lc.from_link_idx.push_back(from_edge->link_idx);
    lc.from_lane.push_back(from_lane);
    lc.to_link_idx.push_back(to_edge->link_idx);
    lc.to_lane.push_back(to_lane);
    lc.via.emplace_back(via.as_string());
    lc.signal_program_idx.push_back(program);
    lc.link_index.push_back(link_index ? index(c, "linkIndex", link_index, -1) : -1);
    const std::string_view dir = dir_attr.as_string();
    lc.direction.push_back(dir.empty() ? '?' : dir.front());
  }

  // a read edge: its link and its number of SUMO lanes
  struct EdgeEntry {
    std::int32_t link_idx = -1;
    std::int32_t n_lanes = 0;
  };

  std::string_view xml_;  // the document; the maps' keys point into it or into tree_
  std::string file_;
  sumo_xml::Tree tree_;
  std::vector<PendingIssue> issues_;
  SumoNet out_;
  std::unordered_map<std::string_view, std::int32_t> junction_index_;
  std::unordered_map<std::string_view, EdgeEntry> edge_index_;
  std::unordered_map<std::string_view, std::int32_t> program_index_;
  std::unordered_set<std::string_view> skipped_edges_;
  std::unordered_set<std::string_view> failed_;  // junctions and edges with a reported problem
};

}  // namespace

SumoNet parse_sumo_net(std::string_view xml, const std::string& file) {
  return SumoParser(xml, file).parse();
}

SumoNet read_sumo_net(const std::filesystem::path& path) {
  const sumo_xml::FileText file(path);
  if (file.mapped()) return SumoParser(file.text(), path.string()).parse();
  // not a regular file with content (or not there): read as a stream
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw InputError(
        InputIssue{path.string(), 0, 0, "", "cannot open the SUMO network file; check the path"});
  }
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  return SumoParser(text, path.string()).parse();
}

}  // namespace citytwin::mobility
