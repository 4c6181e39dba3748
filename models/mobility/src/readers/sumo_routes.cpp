#include <citytwin/mobility/readers/sumo_routes.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <utility>
#include <vector>

#include <pugixml.hpp>

#include <citytwin/mobility/street_network.hpp>
#include <citytwin/sim/error.hpp>

namespace citytwin::mobility {

namespace {

// collects problems with positions computed from pugixml byte offsets
class Issues {
 public:
  Issues(std::string_view xml, std::string file) : file_(std::move(file)) {
    for (std::size_t i = 0; i < xml.size(); ++i) {
      if (xml[i] == '\n') newline_offsets_.push_back(static_cast<std::ptrdiff_t>(i));
    }
  }

  // 1 + the newlines before `offset`: a binary search in the newline table (every vehicle asks)
  [[nodiscard]] int line_of(std::ptrdiff_t offset) const {
    const auto before = std::lower_bound(newline_offsets_.begin(), newline_offsets_.end(), offset);
    return 1 + static_cast<int>(before - newline_offsets_.begin());
  }
  [[nodiscard]] int line_of(const pugi::xml_node& node) const {
    return line_of(node.offset_debug());
  }
  void add(const pugi::xml_node& node, const std::string& message) {
    const std::string id = node.attribute("id").as_string();
    issues_.push_back({file_, line_of(node), 0, std::string(node.name()) + (id.empty() ? "" : "[" + id + "]"),
                       std::string("<") + node.name() + (id.empty() ? "" : " id=\"" + id + "\"") +
                           ">: " + message});
  }
  void throw_if_any() {
    if (!issues_.empty()) throw InputError(std::move(issues_));
  }

 private:
  std::vector<std::ptrdiff_t> newline_offsets_;
  std::string file_;
  std::vector<InputIssue> issues_;
};

// parses a whole attribute as a finite number
bool parse_number(const char* text, double& out) {
  const std::string_view s(text);
  if (s.empty()) return false;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size() && std::isfinite(out);
}

// splits a space-separated list
std::vector<std::string> split_ids(const char* text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string id;
  while (in >> id) out.push_back(id);
  return out;
}

std::uint8_t mode_of_vclass(std::string_view vclass) {
  if (vclass == "bicycle") return kModeBike;
  if (vclass == "pedestrian") return kModeWalk;
  return kModeCar;
}

struct Reader {
  Issues& issues;
  SumoDemand& out;
  std::map<std::string, std::vector<std::string>, std::less<>> routes;  // top-level routes
  std::map<std::string, std::uint8_t, std::less<>> type_mode;           // vType id -> mode

  // a required numeric attribute
  bool number(const pugi::xml_node& node, const char* attr, double& value) {
    const pugi::xml_attribute a = node.attribute(attr);
    if (!a) {
      issues.add(node, std::string("missing attribute '") + attr + "'");
      return false;
    }
    if (!parse_number(a.value(), value) || value < 0.0) {
      issues.add(node, std::string("attribute '") + attr + "' must be a number of seconds >= 0 (got '" +
                           a.value() + "'; 'triggered', 'now' and HH:MM:SS are not supported)");
      return false;
    }
    return true;
  }

  std::uint8_t mode(const pugi::xml_node& node) {
    const char* type = node.attribute("type").as_string();
    if (*type == '\0') return kModeCar;
    const auto it = type_mode.find(std::string_view(type));
    if (it == type_mode.end()) {
      issues.add(node, std::string("unknown vType '") + type + "' (declare <vType id=\"" + type +
                           "\"> before it)");
      return kModeCar;
    }
    return it->second;
  }

  // the route of a vehicle or flow: a nested <route>, route="id", or from/to; false on error
  bool route_of(const pugi::xml_node& node, std::vector<std::string>& edges, std::string& from,
                std::string& to) {
    edges.clear();
    from.clear();
    to.clear();
    if (const pugi::xml_node nested = node.child("route")) {
      edges = split_ids(nested.attribute("edges").as_string());
    } else if (const pugi::xml_attribute ref = node.attribute("route")) {
      const auto it = routes.find(std::string_view(ref.value()));
      if (it == routes.end()) {
        issues.add(node, std::string("unknown route '") + ref.value() +
                             "' (define <route id=\"...\" edges=\"...\"/> before it)");
        return false;
      }
      edges = it->second;
    } else {
      from = node.attribute("from").as_string();
      to = node.attribute("to").as_string();
      if (from.empty() || to.empty()) {
        issues.add(node, "needs a nested <route edges>, a route=\"id\" or both from and to");
        return false;
      }
      return true;
    }
    if (edges.empty()) {
      issues.add(node, "has an empty route (edges=\"\")");
      return false;
    }
    return true;
  }

  void add(const std::string& id, double depart_s, std::uint8_t vehicle_mode,
           const std::vector<std::string>& edges, const std::string& from, const std::string& to,
           int line) {
    out.vehicle_id.push_back(id);
    out.depart_s.push_back(depart_s);
    out.mode.push_back(vehicle_mode);
    out.route_edges.insert(out.route_edges.end(), edges.begin(), edges.end());
    out.route_begin.push_back(static_cast<std::int64_t>(out.route_edges.size()));
    out.from_edge.push_back(from);
    out.to_edge.push_back(to);
    out.line.push_back(line);
  }

  void vehicle(const pugi::xml_node& node) {
    double depart_s = 0.0;
    std::vector<std::string> edges;
    std::string from;
    std::string to;
    const bool ok_depart = number(node, "depart", depart_s);
    const std::uint8_t m = mode(node);
    if (!route_of(node, edges, from, to) || !ok_depart) return;
    add(node.attribute("id").as_string(), depart_s, m, edges, from, to, issues.line_of(node));
  }

  void flow(const pugi::xml_node& node) {
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
    std::vector<std::string> edges;
    std::string from;
    std::string to;
    const std::uint8_t m = mode(node);
    if (!route_of(node, edges, from, to) || !ok) return;
    // departures begin + k·period (k = 0, 1, ...) while < end, or exactly `number` of them
    const std::string id = node.attribute("id").as_string();
    const int line = issues.line_of(node);
    for (std::int64_t k = 0;; ++k) {
      const double depart_s = begin_s + static_cast<double>(k) * period_s;
      if (has_number ? k >= count : depart_s >= end_s) break;
      add(id + "." + std::to_string(k), depart_s, m, edges, from, to, line);
    }
  }
};

}  // namespace

SumoDemand parse_sumo_routes(std::string_view xml, const std::string& file) {
  Issues issues(xml, file);
  pugi::xml_document doc;
  const pugi::xml_parse_result parsed = doc.load_buffer(xml.data(), xml.size());
  if (!parsed) {
    throw InputError(InputIssue{file, issues.line_of(parsed.offset), 0, "",
                                std::string("XML syntax error: ") + parsed.description()});
  }
  const pugi::xml_node root = doc.child("routes");
  if (!root) {
    throw InputError(InputIssue{file, 1, 0, "", "not a SUMO route file (no <routes> element)"});
  }
  SumoDemand out;
  Reader reader{issues, out, {}, {}};
  for (const pugi::xml_node node : root.children()) {
    const std::string_view name = node.name();
    if (name == "vType") {
      reader.type_mode[node.attribute("id").as_string()] =
          mode_of_vclass(node.attribute("vClass").as_string());
    } else if (name == "route") {
      reader.routes[node.attribute("id").as_string()] = split_ids(node.attribute("edges").as_string());
    } else if (name == "vehicle" || name == "trip") {
      reader.vehicle(node);
    } else if (name == "flow") {
      reader.flow(node);
    }
  }
  issues.throw_if_any();
  return out;
}

SumoDemand read_sumo_routes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(InputIssue{path.string(), 0, 0, "", "cannot open the route file"});
  std::ostringstream text;
  text << in.rdbuf();
  return parse_sumo_routes(text.str(), path.string());
}

}  // namespace citytwin::mobility
