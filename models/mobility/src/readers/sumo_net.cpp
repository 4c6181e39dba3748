#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <fstream>
#include <iterator>
#include <pugixml.hpp>
#include <string>
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

// attributes of junctions, edges and connections, read in one pass each (in SUMO's order)
constexpr std::array<const char*, 5> kJunctionAttrs = {"id", "type", "x", "y", "z"};
constexpr std::array<const char*, 6> kEdgeAttrs = {"id", "function", "from", "to", "type", "name"};
constexpr std::array<const char*, 8> kConnectionAttrs = {"from", "to", "fromLane",  "toLane",
                                                         "via",  "tl", "linkIndex", "dir"};
using JunctionAttrs = std::array<Attr, kJunctionAttrs.size()>;
using EdgeAttrs = std::array<Attr, kEdgeAttrs.size()>;
using ConnectionAttrs = std::array<Attr, kConnectionAttrs.size()>;

// tags the network reader cuts its pieces before
constexpr std::array<std::string_view, 4> kCutTags = {"edge", "junction", "connection", "tlLogic"};

class SumoParser {
 public:
  // `piece_bytes`: read the document in pieces of about that size (0: at once)
  SumoParser(std::string_view xml, std::string file, std::size_t piece_bytes)
      : xml_(xml), file_(std::move(file)), piece_bytes_(piece_bytes) {}

  SumoNet parse() {
    if (piece_bytes_ > 0 && xml_.size() > piece_bytes_) {
      // a piece that does not parse as it would inside the whole document (a cut inside a
      // comment, a syntax error): the whole document, parsed at once, names the problem
      if (!read_in_pieces()) return SumoParser(xml_, file_, 0).parse();
    } else {
      read_whole();
    }

    // in dependency order: junctions and programs are read by the first pass, then edges (they
    // name junctions), then connections (they name edges and programs)
    reserve(edges_.size(), connections_.size());
    for (const PendingEdge& e : edges_) read_edge(e);
    for (const PendingConnection& c : connections_) read_connection(c);
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
      const std::int32_t* const program = program_index_.find(net.node_external_id[n]);
      if (program != nullptr) net.node_signal_program_idx[n] = *program;
    }
    net.finalize();
    return std::move(out_);
  }

 private:
  // --- what the first pass keeps ---

  // an edge's lanes as the link needs them
  struct Lanes {
    std::int32_t n_sumo = 0;  // SUMO lanes
    std::int32_t n_car = 0;   // lanes that allow cars
    std::int32_t n_mode = 0;  // lanes that allow any mode
    double length_sum_m = 0.0;
    double speed_mps = 0.0;  // the fastest lane's
    std::uint8_t modes = 0;  // kMode* bits of all lanes
  };

  // an edge and a connection kept by the first pass, with their attributes (views into the
  // text) and where they start
  struct PendingEdge {
    std::size_t offset = 0;
    EdgeAttrs attrs;
    Lanes lanes;
  };
  struct PendingConnection {
    std::size_t offset = 0;
    ConnectionAttrs attrs;
  };

  // --- the document ---

  // the whole document as one tree; names and values are views into the tree's pugixml copy
  void read_whole() {
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
    for (Node child = root.first_child(); child; child = child.next_sibling()) visit(child);
  }

  // The document in pieces of about piece_bytes_, cut before <edge>, <junction>, <connection>
  // and <tlLogic> tags (sumo_xml::read_in_pieces; 20x20 grid: the reader takes 10.5 ms instead
  // of 15.5 ms). False, with nothing kept, when the document cannot be read so (the caller then
  // reads it whole).
  bool read_in_pieces() {
    const bool read =
        sumo_xml::read_in_pieces(xml_, "net", kCutTags, piece_bytes_, pugi::encoding_utf8, pieces_,
                                 [&](const Node& child, std::size_t base) {
                                   base_ = base;
                                   visit(child);
                                 });
    base_ = 0;
    out_.n_pieces = pieces_.n_pieces;
    return read;
  }

  // The first pass over the root's children, in file order: reads the attributes of each in
  // one walk over them (every step is a call into pugixml), reads junctions, programs and the
  // location, keeps edges (with their lanes summed) and connections for later, and drops
  // internal junctions, edges and connections (more than half of each in SUMO's output):
  // nothing they do depends on the order or can raise an issue.
  void visit(const Node& child) {
    if (child.is("edge")) {
      const auto a = child.attributes(kEdgeAttrs, internal_edge);
      if (internal_edge(a)) {
        skip_edge(a[0].value());
      } else {
        edges_.push_back(
            {offset_of(child), a, internal_function(a[1]) ? Lanes{} : lanes_of(child, a[0])});
      }
    } else if (child.is("connection")) {
      const auto a = child.attributes(kConnectionAttrs, internal_connection);
      if (!internal_connection(a)) connections_.push_back({offset_of(child), a});
    } else if (child.is("junction")) {
      const auto a = child.attributes(kJunctionAttrs, internal_junction);
      if (!internal_junction(a)) read_junction(child, a);
    } else if (child.is("tlLogic")) {
      read_tl_logic(child);
    } else if (child.is("location") && !location_read_) {
      location_read_ = true;
      read_location(child);
    }
  }

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

  // an element kept for later (its tree is gone by then), as issues name it
  struct Site {
    std::size_t offset = 0;    // of its name in the text
    const char* element = "";  // its name
    Attr id;                   // its id, if any
  };

  // where an element's name starts in the text
  [[nodiscard]] std::size_t offset_of(const Node& node) const {
    return base_ + static_cast<std::size_t>(std::max<std::ptrdiff_t>(0, node.offset()));
  }
  [[nodiscard]] static std::size_t offset_of(const Site& site) { return site.offset; }

  // "element 'id'" for messages and keys
  static std::string describe(const Node& node) {
    return std::string(node.name()) + " '" + std::string(node.attribute("id").as_string()) + "'";
  }
  static std::string describe(const Site& site) {
    return std::string(site.element) + " '" + std::string(site.id.as_string()) + "'";
  }

  template <typename At>
  void add_issue(const At& at, std::string key, std::string message) {
    add_issue_at(offset_of(at), std::move(key), std::move(message));
  }

  // throws the issues, in file order, with their lines and columns
  [[noreturn]] void throw_issues() {
    const std::string_view text = xml_;
    std::vector<std::size_t> line_start{0};
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\n') line_start.push_back(i + 1);
    }
    std::stable_sort(
        issues_.begin(), issues_.end(),
        [](const PendingIssue& a, const PendingIssue& b) { return a.offset < b.offset; });
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

  // a required text attribute (a view into the document); empty (and an issue) when missing
  std::string_view required(const Node& node, const char* name) {
    return required(node, name, node.attribute(name));
  }
  // same with the attribute `name` of the element at `at` already looked up
  template <typename At>
  std::string_view required(const At& at, const char* name, const Attr& a) {
    if (!a) {
      add_issue(at, describe(at) + "." + name,
                describe(at) + " has no '" + name + "' attribute; add it");
      return {};
    }
    return a.value();
  }

  // a number attribute: `fallback` when absent and optional, NaN (and an issue) when bad
  double number(const Node& node, const char* name, bool is_required,
                double fallback = 0.0) {
    return number(node, name, node.attribute(name), is_required, fallback);
  }
  template <typename At>
  double number(const At& at, const char* name, const Attr& a, bool is_required,
                double fallback = 0.0) {
    if (!a) {
      if (!is_required) return fallback;
      add_issue(at, describe(at) + "." + name,
                describe(at) + " has no '" + name + "' attribute; add it");
      return std::nan("");
    }
    const std::string_view text = a.value();
    double value = 0.0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || ptr != text.data() + text.size() || !std::isfinite(value)) {
      add_issue(at, describe(at) + "." + name,
                describe(at) + " has " + name + "=\"" + std::string(text) +
                    "\", which is not a number; write a decimal number");
      return std::nan("");
    }
    return value;
  }

  // a non-negative integer attribute, `fallback` when absent, -1 (and an issue) when bad
  template <typename At>
  std::int32_t index(const At& at, const char* name, const Attr& a, std::int32_t fallback) {
    // up to 6 plain digits: the value itself (what number() gives, without its from_chars)
    if (a) {
      const std::string_view text = a.value();
      std::int32_t v = 0;
      bool digits = !text.empty() && text.size() <= 6;
      for (std::size_t i = 0; digits && i < text.size(); ++i) {
        digits = text[i] >= '0' && text[i] <= '9';
        v = 10 * v + (text[i] - '0');
      }
      if (digits) return v;
    }
    const double v = number(at, name, a, false, fallback);
    if (std::isnan(v)) return -1;
    if (v < 0.0 || v != std::floor(v) || v > 1e6) {
      add_issue(at, describe(at) + "." + name,
                describe(at) + " has " + name + "=" + std::string(a.as_string()) +
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

  // a junction (not internal) and its kJunctionAttrs
  void read_junction(const Node& j, const JunctionAttrs& attrs) {
    const auto& [id_attr, type_attr, x_attr, y_attr, z_attr] = attrs;
    const std::string_view type = type_attr.as_string();
    const std::string_view id = required(j, "id", id_attr);
    const double x = number(j, "x", x_attr, true);
    const double y = number(j, "y", y_attr, true);
    const double z = number(j, "z", z_attr, false, 0.0);
    if (id.empty()) return;
    if (std::isnan(x) || std::isnan(y)) {
      failed_.insert(id);
      return;
    }
    StreetNetwork& net = out_.network;
    if (!junction_index_.insert(id, static_cast<std::int32_t>(net.n_nodes()))) {
      add_issue(j, describe(j), describe(j) + " is defined twice; junction ids must be unique");
      return;
    }
    const bool signalised = type.substr(0, 13) == "traffic_light";
    net.add_node(net.n_nodes() + 1, x, y, std::isnan(z) ? 0.0 : z, signalised, std::string(id));
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
    program_index_.insert(id, program_idx);  // the first program of a light is its default
  }

  // the lanes of edge `e` (id `id_attr`): length, speed and modes
  Lanes lanes_of(const Node& e, const Attr& id_attr) {
    Lanes l;
    for_each_child(e, "lane", [&](const Node& lane) {
      ++l.n_sumo;
      const auto [allow, disallow, speed, length] =
          lane.attributes<4>({"allow", "disallow", "speed", "length"});
      l.length_sum_m += number(lane, "length", length, true);
      l.speed_mps = std::max(l.speed_mps, number(lane, "speed", speed, true));
      std::uint8_t lane_modes = kModeAll;
      if (allow) lane_modes = vclass_list_modes(allow.value());
      if (disallow) {
        lane_modes = static_cast<std::uint8_t>(lane_modes & ~vclass_list_modes(disallow.value()));
      }
      l.modes = static_cast<std::uint8_t>(l.modes | lane_modes);
      if ((lane_modes & kModeCar) != 0) ++l.n_car;
      if (lane_modes != 0) ++l.n_mode;
    });
    if (l.n_sumo == 0) {
      const std::string id(id_attr.as_string());
      add_issue(e, "edge '" + id + "'.lane", "edge '" + id + "' has no <lane>; add at least one");
    }
    return l;
  }

  // an edge kept by the first pass (all but internal edges with an id)
  void read_edge(const PendingEdge& pending) {
    const auto& [id_attr, function_attr, from_attr, to_attr, type_attr, name_attr] = pending.attrs;
    const Site e{pending.offset, "edge", id_attr};
    const std::string_view id = required(e, "id", id_attr);
    // internal, crossing and walking-area edges describe junction interiors
    if (internal_function(function_attr)) {
      skip_edge(id);
      return;
    }

    // end junctions must exist
    const auto junction = [&](const char* role, const Attr& attr) {
      const std::string_view ref = required(e, role, attr);
      if (ref.empty()) return -1;
      const std::int32_t* const idx = junction_index_.find(ref);
      if (idx == nullptr) {
        if (failed_.count(ref) != 0) return -1;
        add_issue(e, "edge '" + std::string(id) + "'." + role,
                  "edge '" + std::string(id) + "' references unknown junction '" +
                      std::string(ref) + "' in '" + role + "'; add <junction id=\"" +
                      std::string(ref) + "\"> or fix the edge");
        return -1;
      }
      return *idx;
    };
    const std::int32_t from = junction("from", from_attr);
    const std::int32_t to = junction("to", to_attr);
    const Lanes& lanes = pending.lanes;
    const std::int32_t n_sumo_lanes = lanes.n_sumo;
    const double speed_mps = lanes.speed_mps;
    const std::uint8_t modes = lanes.modes;
    if (id.empty() || from < 0 || to < 0 || n_sumo_lanes == 0 || std::isnan(lanes.length_sum_m) ||
        std::isnan(speed_mps)) {
      failed_.insert(id);  // reported already; its connections are not reported again
      return;
    }
    StreetNetwork& net = out_.network;
    if (!edge_index_.insert(id,
                            EdgeEntry{static_cast<std::int32_t>(net.n_links()), n_sumo_lanes})) {
      add_issue(e, "edge '" + std::string(id) + "'",
                "edge '" + std::string(id) + "' is defined twice; edge ids must be unique");
      return;
    }

    // the link: cars use their lanes, other modes one lane
    const bool car = (modes & kModeCar) != 0;
    StreetNetwork::LinkSpec spec;
    spec.link_id = net.n_links() + 1;
    spec.external_id = id;
    spec.from_node_idx = from;
    spec.to_node_idx = to;
    spec.length_m = lanes.length_sum_m / n_sumo_lanes;
    spec.lanes = car ? lanes.n_car : std::max(1, lanes.n_mode);
    spec.free_speed_mps = car                        ? speed_mps
                          : (modes & kModeBike) != 0 ? std::min(speed_mps, kBikeFreeSpeedMps)
                                                     : std::min(speed_mps, kWalkFreeSpeedMps);
    spec.flow_capacity_veh_per_h =
        spec.lanes *
        (car ? capacity_veh_per_h_per_lane_for_speed(speed_mps) : kBikeCapacityVehPerHPerLane);
    spec.modes = modes;
    spec.highway_class = edge_type_class(type_attr.as_string());
    spec.name = name_attr.as_string();
    net.add_link(std::move(spec));
  }

  // a connection kept by the first pass (not internal)
  void read_connection(const PendingConnection& pending) {
    const auto& [from_attr, to_attr, from_lane_attr, to_lane_attr, via, tl_attr, link_index,
                 dir_attr] = pending.attrs;
    const Site c{pending.offset, "connection", Attr()};
    const std::string_view from = from_attr.as_string();
    const std::string_view to = to_attr.as_string();
    if (from.empty() || to.empty()) {
      add_issue(c, "connection", "connection without 'from' or 'to'; add both edge ids");
      return;
    }
    // movements inside junctions and on pedestrian areas are not links
    if (skipped_edges_.count(from) != 0 || skipped_edges_.count(to) != 0 ||
        failed_.count(from) != 0 || failed_.count(to) != 0) {
      return;
    }
    const auto edge = [&](std::string_view ref, const char* role) -> const EdgeEntry* {
      const EdgeEntry* const entry = edge_index_.find(ref);
      if (entry != nullptr) return entry;
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
      const std::int32_t* const found = program_index_.find(tl);
      if (found == nullptr) {
        add_issue(c, "connection.tl",
                  "connection " + std::string(from) + " -> " + std::string(to) +
                      " names unknown tlLogic '" + std::string(tl) +
                      "'; add the program or remove tl");
        return;
      }
      program = *found;
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

  // --- the first pass ---

  // true for the function of an internal, crossing or walking-area edge
  static bool internal_function(const Attr& function) {
    return function.front() != '\0' && !sumo_xml::same_name(function.c_str(), "normal");
  }
  // true for an internal junction (its kJunctionAttrs so far)
  static bool internal_junction(const JunctionAttrs& a) {
    return a[1] && sumo_xml::same_name(a[1].c_str(), "internal");
  }
  // true for an internal edge with an id (its kEdgeAttrs so far); one without an id waits for
  // its issue among the edges
  static bool internal_edge(const EdgeAttrs& a) { return internal_function(a[1]) && a[0]; }
  // true for a connection from or to a junction interior, both ends named (its
  // kConnectionAttrs so far)
  static bool internal_connection(const ConnectionAttrs& a) {
    const char from = a[0].front();
    const char to = a[1].front();
    return from != '\0' && to != '\0' && (from == ':' || to == ':');
  }

  // counts an internal edge `id` and files it for its connections
  void skip_edge(std::string_view id) {
    ++out_.n_internal_edges_skipped;
    // connections from or to ids starting with ':' are skipped before this set is asked
    if (id.empty() || id.front() != ':') skipped_edges_.insert(id);
  }

  // room for the edges and connections kept by the first pass
  void reserve(std::size_t n_edges, std::size_t n_connections) {
    edge_index_.reserve(n_edges);
    StreetNetwork& net = out_.network;
    net.link_id.reserve(n_edges);
    net.link_external_id.reserve(n_edges);
    net.from_node_idx.reserve(n_edges);
    net.to_node_idx.reserve(n_edges);
    net.length_m.reserve(n_edges);
    net.lanes.reserve(n_edges);
    net.free_speed_mps.reserve(n_edges);
    net.flow_capacity_veh_per_h.reserve(n_edges);
    net.modes.reserve(n_edges);
    net.highway_class.reserve(n_edges);
    net.name.reserve(n_edges);
    LaneConnections& lc = out_.connections;
    lc.from_link_idx.reserve(n_connections);
    lc.from_lane.reserve(n_connections);
    lc.to_link_idx.reserve(n_connections);
    lc.to_lane.reserve(n_connections);
    lc.via.reserve(n_connections);
    lc.signal_program_idx.reserve(n_connections);
    lc.link_index.reserve(n_connections);
    lc.direction.reserve(n_connections);
  }

  // a read edge: its link and its number of SUMO lanes
  struct EdgeEntry {
    std::int32_t link_idx = -1;
    std::int32_t n_lanes = 0;
  };

  std::string_view xml_;  // the document
  std::string file_;
  std::size_t piece_bytes_ = 0;  // read in pieces of about this size (0: at once)
  // the text the views point into: tree_ (read at once) or pieces_
  sumo_xml::Tree tree_;
  sumo_xml::PieceText pieces_;
  std::size_t base_ = 0;  // offset of the piece being read in the document
  bool location_read_ = false;
  std::vector<PendingEdge> edges_;
  std::vector<PendingConnection> connections_;
  std::vector<PendingIssue> issues_;
  SumoNet out_;
  sumo_xml::IdIndex<std::int32_t> junction_index_;
  sumo_xml::IdIndex<EdgeEntry> edge_index_;
  sumo_xml::IdIndex<std::int32_t> program_index_;
  std::unordered_set<std::string_view> skipped_edges_;
  std::unordered_set<std::string_view> failed_;  // junctions and edges with a reported problem
};

}  // namespace

SumoNet parse_sumo_net(std::string_view xml, const std::string& file, std::size_t piece_bytes) {
  return SumoParser(xml, file, piece_bytes).parse();
}

SumoNet read_sumo_net(const std::filesystem::path& path) {
  const sumo_xml::FileText file(path);
  if (file.mapped()) return SumoParser(file.text(), path.string(), kSumoNetPieceBytes).parse();
  // not a regular file with content (or not there): read as a stream
  const std::string text =
      sumo_xml::read_stream(path, "cannot open the SUMO network file; check the path");
  return SumoParser(text, path.string(), kSumoNetPieceBytes).parse();
}

}  // namespace citytwin::mobility
