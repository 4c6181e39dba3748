#include <citytwin/bikeshare/bike_network.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <queue>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <proj.h>

// Cycling on the street network with slope (docs/models/bikeshare.md#riding-on-the-street-network).
namespace citytwin::bikeshare {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

void check_config(const BikeSpeedConfig& c) {
  const auto bad = [](const char* key, double value, const char* rule) {
    throw std::invalid_argument(std::string("station_network_times: ") + key + " must be " +
                                rule + ", got " + std::to_string(value));
  };
  if (!(c.base_speed_mps > 0.0) || !std::isfinite(c.base_speed_mps))
    bad("base_speed_mps", c.base_speed_mps, "> 0");
  if (!(c.uphill_slowdown_per_grade >= 0.0) || !std::isfinite(c.uphill_slowdown_per_grade))
    bad("uphill_slowdown_per_grade", c.uphill_slowdown_per_grade, ">= 0");
  if (!(c.downhill_speedup_per_grade >= 0.0) || !std::isfinite(c.downhill_speedup_per_grade))
    bad("downhill_speedup_per_grade", c.downhill_speedup_per_grade, ">= 0");
  if (!(c.min_speed_frac > 0.0 && c.min_speed_frac <= 1.0))
    bad("min_speed_frac", c.min_speed_frac, "in (0, 1]");
  if (!(c.max_speed_frac >= 1.0) || !std::isfinite(c.max_speed_frac))
    bad("max_speed_frac", c.max_speed_frac, ">= 1");
  if (!(c.access_speed_mps > 0.0) || !std::isfinite(c.access_speed_mps))
    bad("access_speed_mps", c.access_speed_mps, "> 0");
}

/// Riding speed on a directed segment of the given grade [m/s].
double riding_speed_mps(double grade, const BikeSpeedConfig& c) {
  const double f = grade > 0.0
                       ? std::max(c.min_speed_frac, 1.0 - c.uphill_slowdown_per_grade * grade)
                       : std::min(c.max_speed_frac, 1.0 + c.downhill_speedup_per_grade * -grade);
  return c.base_speed_mps * f;
}

/// Directed adjacency in compressed rows: arcs of node v are [offset[v], offset[v+1]).
struct Graph {
  std::vector<std::int32_t> offset;
  std::vector<std::int32_t> head;
  std::vector<double> time_s;
  std::vector<double> length_m;
  std::vector<double> climb_m;
};

/// Both directions of every street segment, arcs of a node in street order.
Graph build_graph(const sim::Streets& streets, const BikeSpeedConfig& config) {
  const auto n_nodes = static_cast<std::size_t>(streets.n_nodes());
  const auto n_streets = static_cast<std::size_t>(streets.size());
  Graph g;
  g.offset.assign(n_nodes + 1, 0);
  for (std::size_t s = 0; s < n_streets; ++s) {
    ++g.offset[static_cast<std::size_t>(streets.from_node_idx[s]) + 1];
    ++g.offset[static_cast<std::size_t>(streets.to_node_idx[s]) + 1];
  }
  for (std::size_t v = 0; v < n_nodes; ++v) g.offset[v + 1] += g.offset[v];
  const auto n_arcs = static_cast<std::size_t>(g.offset[n_nodes]);
  g.head.resize(n_arcs);
  g.time_s.resize(n_arcs);
  g.length_m.resize(n_arcs);
  g.climb_m.resize(n_arcs);
  std::vector<std::int32_t> fill(g.offset.begin(), g.offset.end() - 1);
  const auto add_arc = [&](std::int32_t from, std::int32_t to, double length_m) {
    const auto a = static_cast<std::size_t>(fill[static_cast<std::size_t>(from)]++);
    const double dz = streets.node_z_m[static_cast<std::size_t>(to)] -
                      streets.node_z_m[static_cast<std::size_t>(from)];
    const double grade = length_m > 0.0 ? dz / length_m : 0.0;
    g.head[a] = to;
    g.length_m[a] = length_m;
    g.time_s[a] = length_m / riding_speed_mps(grade, config);
    g.climb_m[a] = std::max(0.0, dz);
  };
  for (std::size_t s = 0; s < n_streets; ++s) {
    add_arc(streets.from_node_idx[s], streets.to_node_idx[s], streets.length_m[s]);
    add_arc(streets.to_node_idx[s], streets.from_node_idx[s], streets.length_m[s]);
  }
  return g;
}

/// Nearest street node of each station (lowest index on ties) and the distance to it; brute
/// force over a uniform bucket grid.
void snap_stations(const sim::Streets& streets, std::span<const double> x_m,
                   std::span<const double> y_m, std::vector<std::int32_t>& node_idx,
                   std::vector<double>& access_m) {
  const std::size_t n = x_m.size();
  node_idx.assign(n, -1);
  access_m.assign(n, kInf);
  const auto n_nodes = static_cast<std::size_t>(streets.n_nodes());
  if (n_nodes == 0) return;

  // bucket grid over the node bounding box, about 4 nodes per cell
  double min_x = kInf, min_y = kInf, max_x = -kInf, max_y = -kInf;
  for (std::size_t v = 0; v < n_nodes; ++v) {
    min_x = std::min(min_x, streets.node_x_m[v]);
    max_x = std::max(max_x, streets.node_x_m[v]);
    min_y = std::min(min_y, streets.node_y_m[v]);
    max_y = std::max(max_y, streets.node_y_m[v]);
  }
  const double span = std::max({max_x - min_x, max_y - min_y, 1.0});
  const auto side = static_cast<std::int64_t>(
      std::clamp(std::sqrt(static_cast<double>(n_nodes) / 4.0), 1.0, 1024.0));
  const double cell = span / static_cast<double>(side) * (1.0 + 1e-9);
  const auto cell_of = [&](double v, double lo) {
    return std::clamp(static_cast<std::int64_t>(std::floor((v - lo) / cell)), std::int64_t{0},
                      side - 1);
  };
  std::vector<std::int32_t> bucket_begin(static_cast<std::size_t>(side * side) + 1, 0);
  std::vector<std::int32_t> bucket_node(n_nodes);
  for (std::size_t v = 0; v < n_nodes; ++v) {
    const std::int64_t b = cell_of(streets.node_y_m[v], min_y) * side + cell_of(streets.node_x_m[v], min_x);
    ++bucket_begin[static_cast<std::size_t>(b) + 1];
  }
  for (std::size_t b = 0; b + 1 < bucket_begin.size(); ++b) bucket_begin[b + 1] += bucket_begin[b];
  std::vector<std::int32_t> fill(bucket_begin.begin(), bucket_begin.end() - 1);
  for (std::size_t v = 0; v < n_nodes; ++v) {
    const std::int64_t b = cell_of(streets.node_y_m[v], min_y) * side + cell_of(streets.node_x_m[v], min_x);
    bucket_node[static_cast<std::size_t>(fill[static_cast<std::size_t>(b)]++)] = static_cast<std::int32_t>(v);
  }

  // rings of cells outwards until the nearest found node is closer than the next ring
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t ci = cell_of(x_m[i], min_x);
    const std::int64_t cj = cell_of(y_m[i], min_y);
    double best_d2 = kInf;
    std::int32_t best = -1;
    for (std::int64_t ring = 0; ring < side; ++ring) {
      for (std::int64_t row = cj - ring; row <= cj + ring; ++row) {
        for (std::int64_t col = ci - ring; col <= ci + ring; ++col) {
          if (row < 0 || col < 0 || row >= side || col >= side) continue;
          if (std::max(std::abs(row - cj), std::abs(col - ci)) != ring) continue;
          const auto b = static_cast<std::size_t>(row * side + col);
          for (std::int32_t k = bucket_begin[b]; k < bucket_begin[b + 1]; ++k) {
            const std::int32_t v = bucket_node[static_cast<std::size_t>(k)];
            const double dx = streets.node_x_m[static_cast<std::size_t>(v)] - x_m[i];
            const double dy = streets.node_y_m[static_cast<std::size_t>(v)] - y_m[i];
            const double d2 = dx * dx + dy * dy;
            if (d2 < best_d2 || (d2 == best_d2 && v < best)) {
              best_d2 = d2;
              best = v;
            }
          }
        }
      }
      // a node in ring r+1 or beyond lies at least r * cell away from the station's cell
      const double reach = static_cast<double>(ring) * cell;
      if (best >= 0 && best_d2 <= reach * reach) break;
    }
    node_idx[i] = best;
    access_m[i] = std::sqrt(best_d2);
  }
}

/// Reusable Dijkstra buffers of one thread.
struct Search {
  std::vector<double> time_s, length_m, climb_m;
  std::vector<std::uint8_t> done;
};

/// Fastest paths from `source` to all nodes; length and climb follow the chosen path.
/// Ties in time are settled by the lowest node index, so results never depend on the thread.
void dijkstra(const Graph& g, std::int32_t source, Search& s) {
  const std::size_t n = g.offset.size() - 1;
  s.time_s.assign(n, kInf);
  s.length_m.assign(n, kInf);
  s.climb_m.assign(n, kInf);
  s.done.assign(n, 0);
  using Item = std::pair<double, std::int32_t>;
  std::priority_queue<Item, std::vector<Item>, std::greater<>> heap;
  const auto src = static_cast<std::size_t>(source);
  s.time_s[src] = 0.0;
  s.length_m[src] = 0.0;
  s.climb_m[src] = 0.0;
  heap.emplace(0.0, source);
  while (!heap.empty()) {
    const auto [t, v] = heap.top();
    heap.pop();
    const auto vi = static_cast<std::size_t>(v);
    if (s.done[vi] != 0) continue;
    s.done[vi] = 1;
    for (auto a = static_cast<std::size_t>(g.offset[vi]); a < static_cast<std::size_t>(g.offset[vi + 1]); ++a) {
      const auto w = static_cast<std::size_t>(g.head[a]);
      const double nt = t + g.time_s[a];
      if (nt < s.time_s[w]) {
        s.time_s[w] = nt;
        s.length_m[w] = s.length_m[vi] + g.length_m[a];
        s.climb_m[w] = s.climb_m[vi] + g.climb_m[a];
        heap.emplace(nt, g.head[a]);
      }
    }
  }
}

/// A PROJ transformation WGS84 lon/lat <-> the city CRS, axis order normalised to x/y.
class CityProjection {
 public:
  explicit CityProjection(const sim::City& city) {
    if (city.crs.empty()) {
      throw std::invalid_argument("station_xy: the city has no CRS (City::crs is empty)");
    }
    ctx_ = proj_context_create();
    PJ* raw = proj_create_crs_to_crs(ctx_, "EPSG:4326", city.crs.c_str(), nullptr);
    if (raw != nullptr) {
      pj_ = proj_normalize_for_visualization(ctx_, raw);
      proj_destroy(raw);
    }
    if (pj_ == nullptr) {
      proj_context_destroy(ctx_);
      throw std::invalid_argument("station_xy: PROJ cannot transform WGS84 to the city CRS '" +
                                  city.crs + "'");
    }
  }
  ~CityProjection() {
    proj_destroy(pj_);
    proj_context_destroy(ctx_);
  }
  CityProjection(const CityProjection&) = delete;
  CityProjection& operator=(const CityProjection&) = delete;
  CityProjection(CityProjection&&) = delete;
  CityProjection& operator=(CityProjection&&) = delete;

  /// (lon, lat) [deg] -> (x, y) [m] for PJ_FWD, the reverse for PJ_INV.
  [[nodiscard]] std::pair<double, double> apply(double a, double b, PJ_DIRECTION direction) const {
    const PJ_COORD out = proj_trans(pj_, direction, proj_coord(a, b, 0.0, 0.0));
    return {out.xy.x, out.xy.y};
  }

 private:
  PJ_CONTEXT* ctx_ = nullptr;
  PJ* pj_ = nullptr;
};

}  // namespace

BikeNetworkTimes station_network_times(const sim::City& city, std::span<const double> station_x_m,
                                       std::span<const double> station_y_m,
                                       const BikeSpeedConfig& config) {
  check_config(config);
  if (station_x_m.size() != station_y_m.size()) {
    throw std::invalid_argument("station_network_times: station_x_m and station_y_m differ in "
                                "length (" + std::to_string(station_x_m.size()) + " vs " +
                                std::to_string(station_y_m.size()) + ")");
  }
  const sim::Streets& streets = city.streets;
  const std::size_t n = station_x_m.size();

  // graph and snapped stations
  const Graph g = build_graph(streets, config);
  BikeNetworkTimes out;
  snap_stations(streets, station_x_m, station_y_m, out.station_node_idx, out.access_m);
  out.time_s.assign(n * n, kInf);
  out.distance_m.assign(n * n, kInf);
  out.climb_m.assign(n * n, kInf);

  // one Dijkstra per station, rows written by the thread that owns the station
  const auto n_stations = static_cast<std::int64_t>(n);
#pragma omp parallel
  {
    Search search;
#pragma omp for schedule(static)
    for (std::int64_t i = 0; i < n_stations; ++i) {
      const auto si = static_cast<std::size_t>(i);
      const std::int32_t source = out.station_node_idx[si];
      if (source >= 0) dijkstra(g, source, search);
      for (std::size_t j = 0; j < n; ++j) {
        const std::size_t cell = si * n + j;
        if (j == si) {
          out.time_s[cell] = 0.0;
          out.distance_m[cell] = 0.0;
          out.climb_m[cell] = 0.0;
          continue;
        }
        const std::int32_t target = out.station_node_idx[j];
        if (source < 0 || target < 0) continue;
        const auto t = static_cast<std::size_t>(target);
        if (search.time_s[t] == kInf) continue;
        const double access_m = out.access_m[si] + out.access_m[j];
        out.time_s[cell] = search.time_s[t] + access_m / config.access_speed_mps;
        out.distance_m[cell] = search.length_m[t] + access_m;
        out.climb_m[cell] = search.climb_m[t];
      }
    }
  }

  // unreachable ordered pairs
  for (std::size_t cell = 0; cell < n * n; ++cell) {
    if (out.time_s[cell] == kInf) ++out.n_unreachable;
  }
  return out;
}

void station_xy(const sim::City& city, const StationTable& stations, std::vector<double>& x_m,
                std::vector<double>& y_m) {
  const CityProjection projection(city);
  const std::size_t n = stations.n_stations();
  x_m.resize(n);
  y_m.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto [x, y] = projection.apply(stations.lon_deg[i], stations.lat_deg[i], PJ_FWD);
    x_m[i] = x;
    y_m[i] = y;
  }
}

void city_lat_lon(const sim::City& city, std::span<const double> x_m, std::span<const double> y_m,
                  std::vector<double>& lat_deg, std::vector<double>& lon_deg) {
  if (x_m.size() != y_m.size()) {
    throw std::invalid_argument("city_lat_lon: x_m and y_m differ in length (" +
                                std::to_string(x_m.size()) + " vs " + std::to_string(y_m.size()) + ")");
  }
  const CityProjection projection(city);
  lat_deg.resize(x_m.size());
  lon_deg.resize(x_m.size());
  for (std::size_t i = 0; i < x_m.size(); ++i) {
    const auto [lon, lat] = projection.apply(x_m[i], y_m[i], PJ_INV);
    lat_deg[i] = lat;
    lon_deg[i] = lon;
  }
}

}  // namespace citytwin::bikeshare
