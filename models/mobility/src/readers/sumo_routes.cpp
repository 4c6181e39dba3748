#include <citytwin/mobility/readers/sumo_routes.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <pugixml.hpp>

#include <citytwin/mobility/street_network.hpp>
#include <citytwin/sim/error.hpp>

#include "sumo_xml.hpp"

namespace citytwin::mobility {

namespace {

using sumo_xml::Attr;
using sumo_xml::Node;

// collects problems with positions computed from byte offsets in the text
class Issues {
 public:
  Issues(std::string_view xml, std::string file) : xml_(xml), file_(std::move(file)) {}

  // 1 + the newlines before `offset`; elements are asked for in file order, so the count goes
  // on from the previous offset (from the start only when going back)
  [[nodiscard]] int line_of(std::ptrdiff_t offset) {
    const auto to = std::min(static_cast<std::size_t>(std::max<std::ptrdiff_t>(0, offset)),
                             xml_.size());
    if (to < counted_to_) {
      counted_to_ = 0;
      newlines_ = 0;
    }
    const char* p = xml_.data() + counted_to_;
    const char* const end = xml_.data() + to;
    while (p < end) {  // memchr: lines are long enough for its vector loop to pay
      p = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
      if (p == nullptr) break;
      ++newlines_;
      ++p;
    }
    counted_to_ = to;
    return 1 + static_cast<int>(newlines_);
  }
  [[nodiscard]] int line_of(const Node& node) {
    return line_of(static_cast<std::ptrdiff_t>(base_) + node.offset());
  }
  // the offset in the text of the piece that Node::offset() counts from
  void set_base(std::size_t base) { base_ = base; }
  void add(const Node& node, const std::string& message) {
    const std::string id(node.attribute("id").as_string());
    const std::string name(node.name());
    issues_.push_back({file_, line_of(node), 0, name + (id.empty() ? "" : "[" + id + "]"),
                       "<" + name + (id.empty() ? "" : " id=\"" + id + "\"") + ">: " + message});
  }
  void throw_if_any() {
    if (!issues_.empty()) throw InputError(std::move(issues_));
  }

 private:
  std::string_view xml_;
  std::size_t counted_to_ = 0;     // newlines_ counts the newlines before this offset
  std::ptrdiff_t newlines_ = 0;
  std::size_t base_ = 0;
  std::string file_;
  std::vector<InputIssue> issues_;
};

// parses a whole attribute as a finite number
bool parse_number(std::string_view s, double& out) {
  if (s.empty()) return false;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size() && std::isfinite(out);
}

// whitespace as `std::istream >> std::string` splits on it
bool is_id_space(char c) {
  return c <= ' ' && (c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r');
}

// calls f(id) for each id of a space-separated list, split as `std::istream >> std::string`
// splits it; views into `text`
template <typename F>
void for_each_id(std::string_view text, F&& f) {
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (true) {
    while (i < n && is_id_space(text[i])) ++i;
    if (i == n) break;
    const std::size_t begin = i;
    while (i < n && !is_id_space(text[i])) ++i;
    f(text.substr(begin, i - begin));
  }
}

// the ids of a space-separated list into `out`
void split_ids(std::string_view text, std::vector<std::string_view>& out) {
  out.clear();
  for_each_id(text, [&](std::string_view id) { out.push_back(id); });
}

// edge ids → indices in order of first use. Every route edge of every vehicle asks (1.8 million
// times for the 50 × 50 benchmark), hence the flat table, and a guess before it: routes follow
// the network, so the edge after an edge is mostly the one that followed it last time (3 times
// in 4 in the 20 × 20 benchmark, 7 in 8 in the 50 × 50), checked with three word compares.
class EdgeInterner {
 public:
  // the index of `id` in `names`, appended when new
  std::int32_t intern(std::string_view id, std::vector<std::string>& names) {
    return intern(sumo_xml::IdKey(id), id, names);
  }

  // appends the index of each id of the space-separated `list` to `out`
  void intern_list(std::string_view list, std::vector<std::string>& names,
                   std::vector<std::int32_t>& out) {
    std::int32_t prev = -1;
    for_each_id(list, [&](std::string_view id) {
      const sumo_xml::IdKey key(id);
      std::int32_t idx = prev >= 0 ? next_[static_cast<std::size_t>(prev)] : -1;
      if (idx < 0 || !is(idx, key, id, names)) {
        idx = intern(key, id, names);
        if (prev >= 0) next_[static_cast<std::size_t>(prev)] = idx;
      }
      out.push_back(idx);
      prev = idx;
    });
  }

 private:
  // intern() of `id`, packed as `key`
  std::int32_t intern(const sumo_xml::IdKey& key, std::string_view id,
                      std::vector<std::string>& names) {
    bool inserted = false;
    const std::int32_t idx =
        index_.insert(key, id, static_cast<std::int32_t>(names.size()), inserted);
    if (inserted) {
      names.emplace_back(id);
      keys_.push_back(key);
      next_.push_back(-1);
    }
    return idx;
  }
  // true when edge `idx` is `id` (packed as `key`)
  bool is(std::int32_t idx, const sumo_xml::IdKey& key, std::string_view id,
          const std::vector<std::string>& names) const {
    const auto i = static_cast<std::size_t>(idx);
    return keys_[i].same_head(key) && (id.size() <= 16 || names[i] == id);
  }

  sumo_xml::IdIndex<std::int32_t> index_;
  std::vector<sumo_xml::IdKey> keys_;  // by edge index
  std::vector<std::int32_t> next_;     // by edge index: the edge after it last time, -1 none
};

std::uint8_t mode_of_vclass(std::string_view vclass) {
  if (vclass == "bicycle") return kModeBike;
  if (vclass == "pedestrian") return kModeWalk;
  return kModeCar;
}

struct Reader {
  Issues& issues;
  SumoDemand& out;
  // keys and edge ids are views into the document, which outlives the Reader
  std::unordered_map<std::string_view, std::vector<std::string_view>> routes;  // top-level
  std::unordered_map<std::string_view, std::uint8_t> type_mode;  // vType id -> mode
  EdgeInterner edge_index;                                        // edge id -> edge_names idx
  std::vector<std::int32_t> route_idx;  // edge_names indices of the current route

  // the route of a vehicle or flow as found by route_of()
  struct RouteRef {
    bool nested = false;                                  // a nested <route>:
    std::string_view nested_edges;                        //   its edges
    const std::vector<std::string_view>* named = nullptr;  // route="id": its edges
    std::string_view from, to;                            // else the ends of a trip
  };

  // a required numeric attribute
  bool number(const Node& node, const char* attr, double& value) {
    return number(node, attr, node.attribute(attr), value);
  }
  // same with the attribute `attr` of node already looked up
  bool number(const Node& node, const char* attr, const Attr& a, double& value) {
    if (!a) {
      issues.add(node, std::string("missing attribute '") + attr + "'");
      return false;
    }
    if (!parse_number(a.value(), value) || value < 0.0) {
      issues.add(node, std::string("attribute '") + attr + "' must be a number of seconds >= 0 (got '" +
                           std::string(a.value()) + "'; 'triggered', 'now' and HH:MM:SS are not supported)");
      return false;
    }
    return true;
  }

  std::uint8_t mode(const Node& node) { return mode(node, node.attribute("type")); }
  std::uint8_t mode(const Node& node, const Attr& type_attr) {
    const std::string_view type = type_attr.as_string();
    if (type.empty()) return kModeCar;
    const auto it = type_mode.find(type);
    if (it == type_mode.end()) {
      issues.add(node, "unknown vType '" + std::string(type) + "' (declare <vType id=\"" +
                           std::string(type) + "\"> before it)");
      return kModeCar;
    }
    return it->second;
  }

  // the route of a vehicle or flow: a nested <route>, route="id", or from/to; false on error
  bool route_of(const Node& node, RouteRef& route) {
    return route_of(node, route, node.attribute("route"), node.attribute("from"),
                    node.attribute("to"));
  }
  // same with the attributes route, from and to of node already looked up
  bool route_of(const Node& node, RouteRef& route, const Attr& ref, const Attr& from_attr,
                const Attr& to_attr) {
    route = RouteRef{};
    bool empty = false;
    if (const Node nested = node.child("route")) {
      route.nested = true;
      route.nested_edges = nested.attribute("edges").as_string();
      empty = std::all_of(route.nested_edges.begin(), route.nested_edges.end(), is_id_space);
    } else if (ref) {
      const auto it = routes.find(ref.value());
      if (it == routes.end()) {
        issues.add(node, "unknown route '" + std::string(ref.value()) +
                             "' (define <route id=\"...\" edges=\"...\"/> before it)");
        return false;
      }
      route.named = &it->second;
      empty = route.named->empty();
    } else {
      route.from = from_attr.as_string();
      route.to = to_attr.as_string();
      if (route.from.empty() || route.to.empty()) {
        issues.add(node, "needs a nested <route edges>, a route=\"id\" or both from and to");
        return false;
      }
      return true;
    }
    if (empty) {
      issues.add(node, "has an empty route (edges=\"\")");
      return false;
    }
    return true;
  }

  // the edge_names index of edge `id`, added on first use
  std::int32_t intern(std::string_view id) { return edge_index.intern(id, out.edge_names); }

  // edge_names indices of a route (into route_idx) or of from and to
  void intern_route(const RouteRef& route, std::int32_t& from_idx, std::int32_t& to_idx) {
    route_idx.clear();
    if (route.nested) {
      edge_index.intern_list(route.nested_edges, out.edge_names, route_idx);
    } else if (route.named != nullptr) {
      for (const std::string_view e : *route.named) route_idx.push_back(intern(e));
    }
    from_idx = route.from.empty() ? -1 : intern(route.from);
    to_idx = route.to.empty() ? -1 : intern(route.to);
  }

  void add(std::string id, double depart_s, std::uint8_t vehicle_mode, std::int32_t from_idx,
           std::int32_t to_idx, int line) {
    out.vehicle_id.push_back(std::move(id));
    out.depart_s.push_back(depart_s);
    out.mode.push_back(vehicle_mode);
    out.route_edge_idx.insert(out.route_edge_idx.end(), route_idx.begin(), route_idx.end());
    out.route_begin.push_back(static_cast<std::int64_t>(out.route_edge_idx.size()));
    out.from_edge_idx.push_back(from_idx);
    out.to_edge_idx.push_back(to_idx);
    out.line.push_back(line);
  }

  // a child of the root
  void element(const Node& node) {
    if (node.is("vehicle") || node.is("trip")) {
      vehicle(node);
    } else if (node.is("route")) {
      split_ids(node.attribute("edges").as_string(), routes[node.attribute("id").as_string()]);
    } else if (node.is("vType")) {
      type_mode[node.attribute("id").as_string()] =
          mode_of_vclass(node.attribute("vClass").as_string());
    } else if (node.is("flow")) {
      flow(node);
    }
  }

  void vehicle(const Node& node) {
    double depart_s = 0.0;
    RouteRef route;
    const auto [id_attr, depart_attr, type_attr, route_attr, from_attr, to_attr] =
        node.attributes<6>({"id", "depart", "type", "route", "from", "to"});
    const bool ok_depart = number(node, "depart", depart_attr, depart_s);
    const std::uint8_t m = mode(node, type_attr);
    if (!route_of(node, route, route_attr, from_attr, to_attr) || !ok_depart) return;
    std::int32_t from_idx = -1;
    std::int32_t to_idx = -1;
    intern_route(route, from_idx, to_idx);
    add(std::string(id_attr.as_string()), depart_s, m, from_idx, to_idx, issues.line_of(node));
  }

  void flow(const Node& node) {
    double begin_s = 0.0;
    double end_s = 0.0;
    bool ok = number(node, "begin", begin_s);
    const bool has_end = static_cast<bool>(node.attribute("end"));
    if (has_end) ok = number(node, "end", end_s) && ok;
    const bool has_period = static_cast<bool>(node.attribute("period"));
    const bool has_rate = static_cast<bool>(node.attribute("vehsPerHour"));
    const bool has_number = static_cast<bool>(node.attribute("number"));
    if (static_cast<int>(has_period) + static_cast<int>(has_rate) + static_cast<int>(has_number) != 1) {
      issues.add(node, "needs exactly one of period, vehsPerHour or number");
      return;
    }
    if (!has_end && !has_number) {
      issues.add(node, "needs 'end' with period or vehsPerHour");
      return;
    }
    double period_s = 0.0;
    std::int64_t count = 0;
    if (has_number) {
      double number_veh = 0.0;
      if (!number(node, "number", number_veh)) return;
      if (number_veh != std::floor(number_veh)) {
        issues.add(node, "attribute 'number' must be a whole number of vehicles");
        return;
      }
      count = static_cast<std::int64_t>(number_veh);
      period_s = (has_end && count > 0) ? (end_s - begin_s) / static_cast<double>(count) : 0.0;
    } else {
      double value = 0.0;
      if (!number(node, has_period ? "period" : "vehsPerHour", value)) return;
      if (value <= 0.0) {
        issues.add(node, std::string("attribute '") + (has_period ? "period" : "vehsPerHour") +
                             "' must be > 0");
        return;
      }
      period_s = has_period ? value : 3600.0 / value;
    }
    if (has_end && end_s < begin_s) {
      issues.add(node, "'end' must not be before 'begin'");
      return;
    }
    RouteRef route;
    const std::uint8_t m = mode(node);
    if (!route_of(node, route) || !ok) return;
    // departures begin + k·period (k = 0, 1, ...) while < end, or exactly `number` of them
    const std::string id(node.attribute("id").as_string());
    const int line = issues.line_of(node);
    std::int32_t from_idx = -1;
    std::int32_t to_idx = -1;
    for (std::int64_t k = 0;; ++k) {
      const double depart_s = begin_s + static_cast<double>(k) * period_s;
      if (has_number ? k >= count : depart_s >= end_s) break;
      if (k == 0) intern_route(route, from_idx, to_idx);  // edges of used flows only
      add(id + "." + std::to_string(k), depart_s, m, from_idx, to_idx, line);
    }
  }
};

// room in `out` for the vehicles and trips of `routes` (flows grow it) and their route edges
// (about one per 6 to 12 bytes of a document of `text_size` bytes)
void reserve(SumoDemand& out, const Node& routes, std::size_t text_size) {
  std::size_t n = 0;
  for (Node node = routes.first_child(); node; node = node.next_sibling()) {
    if (node.is("vehicle") || node.is("trip")) ++n;
  }
  out.vehicle_id.reserve(n);
  out.depart_s.reserve(n);
  out.mode.reserve(n);
  out.route_begin.reserve(n + 1);
  out.from_edge_idx.reserve(n);
  out.to_edge_idx.reserve(n);
  out.line.reserve(n);
  out.route_edge_idx.reserve(text_size / 8);
}

// reads the routes of `xml`, a whole document named `file` in messages
SumoDemand parse_routes(std::string_view xml, const std::string& file) {
  Issues issues(xml, file);
  sumo_xml::Tree tree;  // outlives the reader, whose maps hold views into it
  pugi::xml_parse_result parsed;
  const Node root = tree.load(xml, "routes", pugi::parse_default, pugi::encoding_auto, parsed);
  if (!parsed) {
    throw InputError(InputIssue{file, issues.line_of(parsed.offset), 0, "",
                                std::string("XML syntax error: ") + parsed.description()});
  }
  if (!root) {
    throw InputError(InputIssue{file, 1, 0, "", "not a SUMO route file (no <routes> element)"});
  }
  SumoDemand out;
  reserve(out, root, xml.size());
  Reader reader{issues, out, {}, {}, EdgeInterner(), {}};
  for (Node node = root.first_child(); node; node = node.next_sibling()) reader.element(node);
  issues.throw_if_any();
  return out;
}

// tags the route reader cuts its pieces before (never nested in a route file)
constexpr std::array<std::string_view, 4> kCutTags = {"vehicle", "trip", "flow", "person"};

// reads the routes of `xml` in pieces of about `piece_bytes` (sumo_xml::read_in_pieces), else
// (a document that cannot be cut so) as a whole document
SumoDemand parse_routes(std::string_view xml, const std::string& file, std::size_t piece_bytes) {
  if (piece_bytes == 0 || xml.size() <= piece_bytes) return parse_routes(xml, file);
  Issues issues(xml, file);
  sumo_xml::PieceText pieces;  // outlives the reader, whose maps hold views into it
  SumoDemand out;
  out.route_edge_idx.reserve(xml.size() / 8);
  Reader reader{issues, out, {}, {}, EdgeInterner(), {}};
  const bool read =
      sumo_xml::read_in_pieces(xml, "routes", kCutTags, piece_bytes, pugi::encoding_auto, pieces,
                               [&](const Node& node, std::size_t base) {
                                 issues.set_base(base);
                                 reader.element(node);
                               });
  if (!read) return parse_routes(xml, file);
  issues.throw_if_any();
  out.n_pieces = pieces.n_pieces;
  return out;
}

}  // namespace

SumoDemand parse_sumo_routes(std::string_view xml, const std::string& file,
                             std::size_t piece_bytes) {
  return parse_routes(xml, file, piece_bytes);
}

SumoDemand read_sumo_routes(const std::filesystem::path& path) {
  const sumo_xml::FileText file(path);
  if (file.mapped()) return parse_routes(file.text(), path.string(), kSumoRoutesPieceBytes);
  // not a regular file with content (or not there): read as a stream
  return parse_routes(sumo_xml::read_stream(path, "cannot open the route file"), path.string(),
                      kSumoRoutesPieceBytes);
}

}  // namespace citytwin::mobility
