#include <citytwin/mobility/readers/od_matrix.hpp>

#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>
#include <utility>

#include <citytwin/sim/error.hpp>
#include <citytwin/sim/rng.hpp>

namespace citytwin::mobility {

namespace {

const std::vector<std::string> kColumns{"origin_zone", "destination_zone", "start_time", "end_time",
                                        "trips"};

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return std::string(s);
}

std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = line.find(',', start);
    out.push_back(trim(std::string_view(line).substr(start, comma - start)));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

template <typename T>
bool parse_whole(const std::string& s, T& out) {
  if (s.empty()) return false;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

// seconds, "HH:MM" or "HH:MM:SS"
bool parse_time_s(const std::string& s, double& out) {
  if (s.find(':') == std::string::npos) {
    return parse_whole(s, out) && std::isfinite(out) && out >= 0.0;
  }
  std::int64_t parts[3] = {0, 0, 0};
  int n = 0;
  std::size_t start = 0;
  for (;;) {
    if (n == 3) return false;
    const std::size_t colon = s.find(':', start);
    if (!parse_whole(s.substr(start, colon - start), parts[n]) || parts[n] < 0) return false;
    ++n;
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  if (n < 2 || parts[1] > 59 || parts[2] > 59) return false;
  out = static_cast<double>(parts[0] * 3600 + parts[1] * 60 + parts[2]);
  return true;
}

}  // namespace

OdMatrix parse_od_matrix(std::string_view text, const std::string& file) {
  std::vector<InputIssue> issues;
  OdMatrix m;
  std::istringstream in{std::string(text)};
  std::string line;
  int line_no = 0;
  std::vector<int> col_of(kColumns.size(), -1);
  while (std::getline(in, line)) {
    ++line_no;
    if (trim(line).empty() || trim(line)[0] == '#') continue;
    const std::vector<std::string> cells = split_csv(line);
    // the header names the columns (any order, extra columns ignored)
    if (col_of[0] < 0 && m.size() == 0 && issues.empty()) {
      for (std::size_t c = 0; c < kColumns.size(); ++c) {
        for (std::size_t i = 0; i < cells.size(); ++i) {
          if (cells[i] == kColumns[c]) col_of[c] = static_cast<int>(i);
        }
        if (col_of[c] < 0) {
          issues.push_back({file, line_no, 0, kColumns[c],
                            "missing column '" + kColumns[c] +
                                "' in the header (expected origin_zone,destination_zone,"
                                "start_time,end_time,trips)"});
        }
      }
      if (!issues.empty()) throw InputError(std::move(issues));
      continue;
    }
    const auto cell = [&](std::size_t c) -> const std::string& {
      static const std::string kEmpty;
      const auto i = static_cast<std::size_t>(col_of[c]);
      return i < cells.size() ? cells[i] : kEmpty;
    };
    bool ok = true;
    const auto bad = [&](std::size_t c, const std::string& what) {
      ok = false;
      issues.push_back({file, line_no, col_of[c] + 1, kColumns[c],
                        kColumns[c] + " " + what + " (got '" + cell(c) + "')"});
    };
    std::int64_t origin = 0;
    std::int64_t destination = 0;
    double start_s = 0.0;
    double end_s = 0.0;
    std::int64_t trips = 0;
    if (!parse_whole(cell(0), origin)) bad(0, "must be an integer zone id");
    if (!parse_whole(cell(1), destination)) bad(1, "must be an integer zone id");
    if (!parse_time_s(cell(2), start_s)) bad(2, "must be seconds >= 0 or HH:MM[:SS]");
    if (!parse_time_s(cell(3), end_s)) bad(3, "must be seconds >= 0 or HH:MM[:SS]");
    if (!parse_whole(cell(4), trips) || trips < 0) bad(4, "must be a whole number >= 0");
    if (ok && end_s <= start_s) bad(3, "must be after start_time");
    if (!ok) continue;
    m.origin_zone.push_back(origin);
    m.destination_zone.push_back(destination);
    m.start_s.push_back(start_s);
    m.end_s.push_back(end_s);
    m.trips.push_back(trips);
    m.line.push_back(line_no);
  }
  if (col_of[0] < 0 && issues.empty()) issues.push_back({file, 1, 0, "", "empty OD matrix (no header)"});
  if (!issues.empty()) throw InputError(std::move(issues));
  return m;
}

OdMatrix read_od_matrix(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(InputIssue{path.string(), 0, 0, "", "cannot open the OD matrix"});
  std::ostringstream text;
  text << in.rdbuf();
  return parse_od_matrix(text.str(), path.string());
}

OdTrips expand_od_matrix(const OdMatrix& matrix, const std::string& file,
                         std::span<const std::int64_t> zone_id,
                         const std::vector<std::vector<std::int32_t>>& zone_nodes,
                         std::uint64_t seed) {
  std::vector<InputIssue> issues;
  const auto zone_index = [&](std::int64_t id) -> std::int64_t {
    for (std::size_t z = 0; z < zone_id.size(); ++z) {
      if (zone_id[z] == id && z < zone_nodes.size() && !zone_nodes[z].empty()) return static_cast<std::int64_t>(z);
    }
    return -1;
  };
  OdTrips out;
  const std::uint32_t stream = sim::stream_id("mobility.od");
  for (std::int64_t r = 0; r < matrix.size(); ++r) {
    const auto ri = static_cast<std::size_t>(r);
    const std::int64_t o = zone_index(matrix.origin_zone[ri]);
    const std::int64_t d = zone_index(matrix.destination_zone[ri]);
    if (o < 0 || d < 0) {
      const std::int64_t missing = o < 0 ? matrix.origin_zone[ri] : matrix.destination_zone[ri];
      issues.push_back({file, matrix.line[ri], 0, o < 0 ? "origin_zone" : "destination_zone",
                        "zone " + std::to_string(missing) +
                            " is not a city zone with at least one network node inside its box"});
      continue;
    }
    const auto& origins = zone_nodes[static_cast<std::size_t>(o)];
    const auto& destinations = zone_nodes[static_cast<std::size_t>(d)];
    // trip k: departure uniform in the bin, nodes uniform in the zones
    for (std::int64_t k = 0; k < matrix.trips[ri]; ++k) {
      sim::Rng rng = sim::rng_for(seed, stream, static_cast<std::uint64_t>(r), static_cast<std::uint64_t>(k));
      const double u = rng.uniform();
      out.departure_s.push_back(matrix.start_s[ri] + u * (matrix.end_s[ri] - matrix.start_s[ri]));
      out.origin_node_idx.push_back(origins[rng.uniform_int(origins.size())]);
      out.destination_node_idx.push_back(destinations[rng.uniform_int(destinations.size())]);
      out.row.push_back(static_cast<std::int32_t>(r));
    }
  }
  if (!issues.empty()) throw InputError(std::move(issues));
  return out;
}

}  // namespace citytwin::mobility
