#include <citytwin/energy/generated_network.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numbers>
#include <queue>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>

#include <citytwin/energy/load_profiles.hpp>
#include <citytwin/sim/clock.hpp>

namespace citytwin::energy {
namespace {

constexpr std::size_t kNUses = 8;
constexpr double kInf = std::numeric_limits<double>::infinity();
// [pu] lowest steady-state voltage EN 50160 allows; cable currents are sized at it
constexpr double kMinVoltagePu = 0.9;

/// Hourly demand per m² of every use over the reference year: w_per_m2[u * n_hours + h].
struct UseHours {
  std::size_t n_hours = 0;
  std::vector<double> w_per_m2;          // [W m-2]
  std::array<double, kNUses> tan_phi{};  // [-]
  std::array<double, kNUses> peak_w_per_m2{};  // [W m-2] yearly maximum of each use
};

UseHours use_hours(int year) {
  UseHours out;
  const std::int64_t start_s = sim::Clock::unix_from_local(year, 1, 1, 0, 0, 0, "UTC");
  const std::int64_t end_s = sim::Clock::unix_from_local(year + 1, 1, 1, 0, 0, 0, "UTC");
  out.n_hours = static_cast<std::size_t>((end_s - start_s) / 3600);
  out.w_per_m2.resize(kNUses * out.n_hours);
  for (std::size_t h = 0; h < out.n_hours; ++h) {
    const sim::CivilTime t =
        sim::Clock::civil_utc(start_s + static_cast<std::int64_t>(h) * 3600);
    for (std::size_t u = 0; u < kNUses; ++u) {
      const double w = load_w_per_m2(static_cast<sim::BuildingUse>(u), t);
      out.w_per_m2[u * out.n_hours + h] = w;
      out.peak_w_per_m2[u] = std::max(out.peak_w_per_m2[u], w);
    }
  }
  for (std::size_t u = 0; u < kNUses; ++u) {
    out.tan_phi[u] = reactive_ratio(static_cast<sim::BuildingUse>(u));
  }
  return out;
}

std::size_t use_idx(sim::BuildingUse use) {
  return std::min(static_cast<std::size_t>(use), kNUses - 1);
}

/// Segments bucketed on a uniform grid, for nearest-segment queries.
struct SegmentGrid {
  double min_x_m = 0.0;
  double min_y_m = 0.0;
  double cell_m = 100.0;
  std::int64_t nx = 1;
  std::int64_t ny = 1;
  std::vector<std::int64_t> cell_begin;  // nx * ny + 1 offsets into items
  std::vector<std::int32_t> items;       // segment indices

  [[nodiscard]] std::int64_t cell_x(double x_m) const {
    return std::clamp(static_cast<std::int64_t>(std::floor((x_m - min_x_m) / cell_m)),
                      std::int64_t{0}, nx - 1);
  }
  [[nodiscard]] std::int64_t cell_y(double y_m) const {
    return std::clamp(static_cast<std::int64_t>(std::floor((y_m - min_y_m) / cell_m)),
                      std::int64_t{0}, ny - 1);
  }
};

SegmentGrid build_grid(const sim::Streets& s) {
  SegmentGrid g;
  // extent of the street nodes
  double max_x = -kInf;
  double max_y = -kInf;
  g.min_x_m = kInf;
  g.min_y_m = kInf;
  for (std::int64_t n = 0; n < s.n_nodes(); ++n) {
    const auto i = static_cast<std::size_t>(n);
    g.min_x_m = std::min(g.min_x_m, s.node_x_m[i]);
    g.min_y_m = std::min(g.min_y_m, s.node_y_m[i]);
    max_x = std::max(max_x, s.node_x_m[i]);
    max_y = std::max(max_y, s.node_y_m[i]);
  }
  g.nx = static_cast<std::int64_t>((max_x - g.min_x_m) / g.cell_m) + 1;
  g.ny = static_cast<std::int64_t>((max_y - g.min_y_m) / g.cell_m) + 1;

  // count, then fill, the cells each segment's box covers
  const auto n_cells = static_cast<std::size_t>(g.nx * g.ny);
  std::vector<std::int64_t> count(n_cells + 1, 0);
  const auto for_cells = [&](std::size_t seg, auto&& visit) {
    const auto a = static_cast<std::size_t>(s.from_node_idx[seg]);
    const auto b = static_cast<std::size_t>(s.to_node_idx[seg]);
    const std::int64_t x0 = g.cell_x(std::min(s.node_x_m[a], s.node_x_m[b]));
    const std::int64_t x1 = g.cell_x(std::max(s.node_x_m[a], s.node_x_m[b]));
    const std::int64_t y0 = g.cell_y(std::min(s.node_y_m[a], s.node_y_m[b]));
    const std::int64_t y1 = g.cell_y(std::max(s.node_y_m[a], s.node_y_m[b]));
    for (std::int64_t y = y0; y <= y1; ++y) {
      for (std::int64_t x = x0; x <= x1; ++x) visit(static_cast<std::size_t>(y * g.nx + x));
    }
  };
  const auto n_segments = static_cast<std::size_t>(s.size());
  for (std::size_t seg = 0; seg < n_segments; ++seg) {
    for_cells(seg, [&](std::size_t c) { ++count[c + 1]; });
  }
  for (std::size_t c = 0; c < n_cells; ++c) count[c + 1] += count[c];
  g.cell_begin = count;
  g.items.resize(static_cast<std::size_t>(count[n_cells]));
  std::vector<std::int64_t> fill(count.begin(), count.end() - 1);
  for (std::size_t seg = 0; seg < n_segments; ++seg) {
    for_cells(seg, [&](std::size_t c) {
      g.items[static_cast<std::size_t>(fill[c]++)] = static_cast<std::int32_t>(seg);
    });
  }
  return g;
}

/// Where a building meets the street network.
struct Tap {
  std::int32_t segment_idx = -1;
  double offset_m = 0.0;  // [m] along the segment from its from-node
  double perp_m = 0.0;    // [m] centroid to the street centre line
  double x_m = 0.0;       // [m] projected point
  double y_m = 0.0;
};

Tap nearest_tap(const sim::Streets& s, const SegmentGrid& g, double px, double py) {
  Tap best;
  double best_d = kInf;
  const std::int64_t cx = g.cell_x(px);
  const std::int64_t cy = g.cell_y(py);
  const std::int64_t max_r = std::max(g.nx, g.ny);
  for (std::int64_t r = 0; r <= max_r; ++r) {
    // the cells of ring r (Chebyshev distance r around the building's cell)
    for (std::int64_t y = cy - r; y <= cy + r; ++y) {
      if (y < 0 || y >= g.ny) continue;
      const bool edge_row = y == cy - r || y == cy + r;
      for (std::int64_t x = cx - r; x <= cx + r; x += edge_row ? 1 : 2 * std::max<std::int64_t>(r, 1)) {
        if (x < 0 || x >= g.nx) continue;
        const auto c = static_cast<std::size_t>(y * g.nx + x);
        for (auto k = g.cell_begin[c]; k < g.cell_begin[c + 1]; ++k) {
          // project onto the segment's chord
          const auto seg = static_cast<std::size_t>(g.items[static_cast<std::size_t>(k)]);
          const auto a = static_cast<std::size_t>(s.from_node_idx[seg]);
          const auto b = static_cast<std::size_t>(s.to_node_idx[seg]);
          const double dx = s.node_x_m[b] - s.node_x_m[a];
          const double dy = s.node_y_m[b] - s.node_y_m[a];
          const double len2 = dx * dx + dy * dy;
          const double t =
              len2 > 0.0
                  ? std::clamp(((px - s.node_x_m[a]) * dx + (py - s.node_y_m[a]) * dy) / len2,
                               0.0, 1.0)
                  : 0.0;
          const double qx = s.node_x_m[a] + t * dx;
          const double qy = s.node_y_m[a] + t * dy;
          const double d = std::hypot(px - qx, py - qy);
          const auto seg_idx = static_cast<std::int32_t>(seg);
          if (d < best_d || (d == best_d && seg_idx < best.segment_idx)) {
            best_d = d;
            best = Tap{seg_idx, t * s.length_m[seg], d, qx, qy};
          }
        }
      }
    }
    // no closer segment can lie beyond ring r
    if (best.segment_idx >= 0 && best_d <= static_cast<double>(r) * g.cell_m) break;
  }
  return best;
}

/// Street adjacency as CSR: node → (segment, other node).
struct Adjacency {
  std::vector<std::int64_t> begin;
  std::vector<std::int32_t> segment_idx;
  std::vector<std::int32_t> other_node_idx;
};

Adjacency build_adjacency(const sim::Streets& s) {
  Adjacency adj;
  const auto n_nodes = static_cast<std::size_t>(s.n_nodes());
  adj.begin.assign(n_nodes + 1, 0);
  for (std::int64_t e = 0; e < s.size(); ++e) {
    ++adj.begin[static_cast<std::size_t>(s.from_node_idx[static_cast<std::size_t>(e)]) + 1];
    ++adj.begin[static_cast<std::size_t>(s.to_node_idx[static_cast<std::size_t>(e)]) + 1];
  }
  for (std::size_t n = 0; n < n_nodes; ++n) adj.begin[n + 1] += adj.begin[n];
  adj.segment_idx.resize(static_cast<std::size_t>(adj.begin[n_nodes]));
  adj.other_node_idx.resize(adj.segment_idx.size());
  std::vector<std::int64_t> fill(adj.begin.begin(), adj.begin.end() - 1);
  for (std::int64_t e = 0; e < s.size(); ++e) {
    const auto i = static_cast<std::size_t>(e);
    const auto a = static_cast<std::size_t>(s.from_node_idx[i]);
    const auto b = static_cast<std::size_t>(s.to_node_idx[i]);
    adj.segment_idx[static_cast<std::size_t>(fill[a])] = static_cast<std::int32_t>(e);
    adj.other_node_idx[static_cast<std::size_t>(fill[a]++)] = static_cast<std::int32_t>(b);
    adj.segment_idx[static_cast<std::size_t>(fill[b])] = static_cast<std::int32_t>(e);
    adj.other_node_idx[static_cast<std::size_t>(fill[b]++)] = static_cast<std::int32_t>(a);
  }
  return adj;
}

/// Bounded single-source shortest paths over street lengths, with reusable arrays.
struct Dijkstra {
  std::vector<double> dist_m;
  std::vector<std::int32_t> pred_segment_idx;
  std::vector<std::int32_t> touched;

  explicit Dijkstra(std::size_t n_nodes) : dist_m(n_nodes, kInf), pred_segment_idx(n_nodes, -1) {}

  void reset() {
    for (const std::int32_t n : touched) {
      dist_m[static_cast<std::size_t>(n)] = kInf;
      pred_segment_idx[static_cast<std::size_t>(n)] = -1;
    }
    touched.clear();
  }

  void run(const Adjacency& adj, const std::vector<double>& seg_len_m, std::int32_t root,
           double limit_m) {
    reset();
    using Item = std::pair<double, std::int32_t>;
    std::priority_queue<Item, std::vector<Item>, std::greater<>> queue;
    dist_m[static_cast<std::size_t>(root)] = 0.0;
    touched.push_back(root);
    queue.emplace(0.0, root);
    while (!queue.empty()) {
      const auto [d, n] = queue.top();
      queue.pop();
      if (d > limit_m) break;
      if (d > dist_m[static_cast<std::size_t>(n)]) continue;
      const auto i = static_cast<std::size_t>(n);
      for (auto k = adj.begin[i]; k < adj.begin[i + 1]; ++k) {
        const auto ki = static_cast<std::size_t>(k);
        const auto m = static_cast<std::size_t>(adj.other_node_idx[ki]);
        const double nd = d + seg_len_m[static_cast<std::size_t>(adj.segment_idx[ki])];
        if (nd < dist_m[m]) {
          if (dist_m[m] == kInf) touched.push_back(adj.other_node_idx[ki]);
          dist_m[m] = nd;
          pred_segment_idx[m] = adj.segment_idx[ki];
          queue.emplace(nd, adj.other_node_idx[ki]);
        }
      }
    }
  }
};

/// Appends elements to the network tables.
struct TableBuilder {
  NetworkTables t;
  double f_hz = 50.0;

  std::int32_t add_bus(double vn_kv) {
    const auto idx = static_cast<std::int32_t>(t.buses.size());
    t.buses.bus_id.push_back(idx);
    t.buses.name.emplace_back();
    t.buses.vn_kv.push_back(vn_kv);
    t.buses.in_service.push_back(1);
    return idx;
  }

  std::int32_t add_line(std::int32_t from, std::int32_t to, double length_m, const CableType& c,
                        std::int32_t n_parallel) {
    const auto idx = static_cast<std::int32_t>(t.lines.size());
    LineTable& l = t.lines;
    l.line_id.push_back(idx);
    l.name.emplace_back();
    l.from_bus_idx.push_back(from);
    l.to_bus_idx.push_back(to);
    l.length_km.push_back(length_m / 1000.0);
    l.r_ohm_per_km.push_back(c.r_ohm_per_km);
    l.x_ohm_per_km.push_back(c.x_ohm_per_km);
    l.g_us_per_km.push_back(0.0);
    l.b_us_per_km.push_back(2.0 * std::numbers::pi * f_hz * c.c_nf_per_km * 1e-3);
    l.max_i_ka.push_back(c.max_i_ka);
    l.n_parallel.push_back(n_parallel);
    l.df_frac.push_back(1.0);
    l.in_service.push_back(1);
    return idx;
  }
};

/// One LV bus of an area under construction, in creation (topological) order.
struct LocalBus {
  std::int32_t bus_idx = -1;
  std::int32_t parent_local = -1;  // −1 for the busbar
  double length_m = 0.0;           // [m] cable from the parent
  bool service = false;            // the cable from the parent is a service cable
  double path_m = 0.0;             // [m] street-cable path length from the busbar
  double p_bound_kw = 0.0;         // [kW] sum of downstream building peaks
  double q_bound_kvar = 0.0;       // [kvar] their reactive powers
  std::int32_t n_parallel = 1;
};

/// A building's tap seen from the end node its cable comes from.
struct AreaTap {
  std::int32_t building_idx;
  std::int32_t segment_idx;
  bool from_side;   // fed from the segment's from-node (else its to-node)
  double offset_m;  // [m] from that end node
};

constexpr std::int32_t kUnset = -2;
constexpr std::int32_t kPending = -1;

class Generator {
 public:
  Generator(const sim::City& city, const GeneratedNetworkOptions& o)
      : s_(city.streets), b_(city.buildings), o_(o), hours_(use_hours(o.peak_year)),
        adj_(build_adjacency(s_)), dijkstra_(static_cast<std::size_t>(s_.n_nodes())),
        node_local_(static_cast<std::size_t>(s_.n_nodes()), kUnset) {
    seg_len_m_.resize(static_cast<std::size_t>(s_.size()));
    for (std::size_t e = 0; e < seg_len_m_.size(); ++e) {
      seg_len_m_[e] = std::max(s_.length_m[e], o_.min_line_length_m);
    }
    tb_.t.label = "generated distribution network of " + city.name;
    tb_.t.sn_mva = 1.0;
    tb_.t.f_hz = 50.0;
  }

  GeneratedNetwork run() {
    const auto n_buildings = static_cast<std::size_t>(b_.size());
    // taps: nearest street point of every building
    const SegmentGrid grid = build_grid(s_);
    taps_.resize(n_buildings);
    for (std::size_t i = 0; i < n_buildings; ++i) {
      taps_[i] = nearest_tap(s_, grid, b_.centroid_x_m[i], b_.centroid_y_m[i]);
    }
    building_bus_.assign(n_buildings, -1);
    building_load_.assign(n_buildings, -1);
    building_feeder_.assign(n_buildings, -1);
    building_peak_kw_.resize(n_buildings);
    for (std::size_t i = 0; i < n_buildings; ++i) {
      building_peak_kw_[i] =
          b_.floor_area_m2[i] * hours_.peak_w_per_m2[use_idx(b_.use[i])] / 1000.0;
    }

    // areas by recursive bisection, depth first, lower half first
    std::vector<std::int32_t> order(n_buildings);
    for (std::size_t i = 0; i < n_buildings; ++i) order[i] = static_cast<std::int32_t>(i);
    std::vector<std::pair<std::size_t, std::size_t>> stack{{0, n_buildings}};
    while (!stack.empty()) {
      const auto [lo, hi] = stack.back();
      stack.pop_back();
      if (try_area(order, lo, hi)) continue;
      split(order, lo, hi, stack);
    }

    // assemble
    const auto n_buses = tb_.t.buses.size();
    std::vector<std::int32_t> bus_feeder = std::move(bus_feeder_);
    bus_feeder.resize(n_buses, -1);
    GeneratedNetwork out{Network(std::move(tb_.t)),
                         std::move(building_load_),
                         std::move(building_bus_),
                         std::move(bus_feeder),
                         static_cast<std::int32_t>(feeder_trafo_.size()),
                         std::move(building_feeder_),
                         std::move(building_peak_kw_),
                         std::move(feeder_trafo_),
                         std::move(feeder_ext_grid_),
                         std::move(feeder_mv_bus_),
                         std::move(feeder_lv_bus_),
                         std::move(feeder_peak_kw_),
                         std::move(feeder_peak_hour_),
                         std::move(feeder_max_length_m_)};
    return out;
  }

 private:
  /// Splits [lo, hi) at the median of the taps along the longer side of their box.
  void split(std::vector<std::int32_t>& order, std::size_t lo, std::size_t hi,
             std::vector<std::pair<std::size_t, std::size_t>>& stack) const {
    double min_x = kInf, min_y = kInf, max_x = -kInf, max_y = -kInf;
    for (std::size_t k = lo; k < hi; ++k) {
      const Tap& t = taps_[static_cast<std::size_t>(order[k])];
      min_x = std::min(min_x, t.x_m);
      max_x = std::max(max_x, t.x_m);
      min_y = std::min(min_y, t.y_m);
      max_y = std::max(max_y, t.y_m);
    }
    const bool along_x = max_x - min_x >= max_y - min_y;
    const auto key = [&](std::int32_t i) {
      const Tap& t = taps_[static_cast<std::size_t>(i)];
      return std::make_pair(along_x ? t.x_m : t.y_m, i);
    };
    const std::size_t mid = lo + (hi - lo) / 2;
    std::nth_element(order.begin() + static_cast<std::ptrdiff_t>(lo),
                     order.begin() + static_cast<std::ptrdiff_t>(mid),
                     order.begin() + static_cast<std::ptrdiff_t>(hi),
                     [&](std::int32_t a, std::int32_t c) { return key(a) < key(c); });
    stack.emplace_back(mid, hi);
    stack.emplace_back(lo, mid);
  }

  /// Builds the area [lo, hi) if it meets the size, transformer and length limits.
  bool try_area(const std::vector<std::int32_t>& order, std::size_t lo, std::size_t hi) {
    const std::size_t count = hi - lo;
    const bool single = count == 1;
    if (!single && static_cast<double>(count) > o_.buildings_per_substation) return false;

    // coincident peak: the hour of largest apparent power of the area's floor areas by use
    std::array<double, kNUses> area_m2{};
    for (std::size_t k = lo; k < hi; ++k) {
      const auto i = static_cast<std::size_t>(order[k]);
      area_m2[use_idx(b_.use[i])] += b_.floor_area_m2[i];
    }
    double peak_s_kva = 0.0;
    double peak_p_kw = 0.0;
    std::size_t peak_hour = 0;
    for (std::size_t h = 0; h < hours_.n_hours; ++h) {
      double p_w = 0.0;
      double q_var = 0.0;
      for (std::size_t u = 0; u < kNUses; ++u) {
        const double w = area_m2[u] * hours_.w_per_m2[u * hours_.n_hours + h];
        p_w += w;
        q_var += w * hours_.tan_phi[u];
      }
      const double s_kva = std::hypot(p_w, q_var) / 1000.0;
      if (s_kva > peak_s_kva) {
        peak_s_kva = s_kva;
        peak_p_kw = p_w / 1000.0;
        peak_hour = h;
      }
    }
    const double largest_kva = o_.trafo_types.back().sn_kva;
    if (!single && peak_s_kva > largest_kva * o_.trafo_max_loading_frac) return false;

    // substation at the street node next to the tap nearest the taps' mean position
    double mean_x = 0.0, mean_y = 0.0;
    for (std::size_t k = lo; k < hi; ++k) {
      mean_x += taps_[static_cast<std::size_t>(order[k])].x_m;
      mean_y += taps_[static_cast<std::size_t>(order[k])].y_m;
    }
    mean_x /= static_cast<double>(count);
    mean_y /= static_cast<double>(count);
    std::int32_t centre = order[lo];
    double centre_d = kInf;
    for (std::size_t k = lo; k < hi; ++k) {
      const Tap& t = taps_[static_cast<std::size_t>(order[k])];
      const double d = std::hypot(t.x_m - mean_x, t.y_m - mean_y);
      if (d < centre_d || (d == centre_d && order[k] < centre)) {
        centre_d = d;
        centre = order[k];
      }
    }
    const Tap& ct = taps_[static_cast<std::size_t>(centre)];
    const auto cseg = static_cast<std::size_t>(ct.segment_idx);
    const std::int32_t root = ct.offset_m <= 0.5 * s_.length_m[cseg] ? s_.from_node_idx[cseg]
                                                                      : s_.to_node_idx[cseg];

    // every tap reachable within the feeder length
    dijkstra_.run(adj_, seg_len_m_, root, o_.max_feeder_length_m);
    std::vector<AreaTap> sides(count);
    for (std::size_t k = lo; k < hi; ++k) {
      const Tap& t = taps_[static_cast<std::size_t>(order[k])];
      const auto seg = static_cast<std::size_t>(t.segment_idx);
      const double offset_m = std::min(t.offset_m, seg_len_m_[seg]);
      const double via_from = dijkstra_.dist_m[static_cast<std::size_t>(s_.from_node_idx[seg])] + offset_m;
      const double via_to = dijkstra_.dist_m[static_cast<std::size_t>(s_.to_node_idx[seg])] +
                            (seg_len_m_[seg] - offset_m);
      const bool from_side = via_from <= via_to;
      sides[k - lo] = AreaTap{order[k], t.segment_idx, from_side,
                              from_side ? offset_m : seg_len_m_[seg] - offset_m};
      if (!single && std::min(via_from, via_to) > o_.max_feeder_length_m) return false;
    }

    build_area(sides, root, peak_p_kw, peak_s_kva, peak_hour);
    return true;
  }

  void build_area(std::vector<AreaTap>& sides, std::int32_t root, double peak_p_kw,
                  double peak_s_kva, std::size_t peak_hour) {
    const auto feeder = static_cast<std::int32_t>(feeder_trafo_.size());
    std::vector<LocalBus> local;

    // MV bus with its external grid, LV busbar at the root node
    const std::int32_t mv_bus = tb_.add_bus(o_.mv_kv);
    set_feeder(mv_bus, -1);
    const std::int32_t busbar = tb_.add_bus(o_.lv_kv);
    set_feeder(busbar, feeder);
    local.push_back(LocalBus{busbar, -1, 0.0, false, 0.0, 0.0, 0.0, 1});

    // street nodes on the paths to the taps' end nodes, parents first
    std::vector<std::int32_t> needed;
    const auto mark = [&](std::int32_t node) {
      while (node != root && node_local_[static_cast<std::size_t>(node)] == kUnset) {
        node_local_[static_cast<std::size_t>(node)] = kPending;
        node_touched_.push_back(node);
        needed.push_back(node);
        const auto seg = static_cast<std::size_t>(dijkstra_.pred_segment_idx[static_cast<std::size_t>(node)]);
        node = s_.from_node_idx[seg] == node ? s_.to_node_idx[seg] : s_.from_node_idx[seg];
      }
    };
    for (const std::int32_t n : node_touched_) node_local_[static_cast<std::size_t>(n)] = kUnset;
    node_touched_.clear();
    node_local_[static_cast<std::size_t>(root)] = 0;
    node_touched_.push_back(root);
    for (const AreaTap& ts : sides) {
      const auto seg = static_cast<std::size_t>(ts.segment_idx);
      mark(ts.from_side ? s_.from_node_idx[seg] : s_.to_node_idx[seg]);
    }
    std::sort(needed.begin(), needed.end(), [&](std::int32_t a, std::int32_t c) {
      const double da = dijkstra_.dist_m[static_cast<std::size_t>(a)];
      const double dc = dijkstra_.dist_m[static_cast<std::size_t>(c)];
      return da < dc || (da == dc && a < c);
    });
    for (const std::int32_t node : needed) {
      const auto seg = static_cast<std::size_t>(dijkstra_.pred_segment_idx[static_cast<std::size_t>(node)]);
      const std::int32_t parent = s_.from_node_idx[seg] == node ? s_.to_node_idx[seg] : s_.from_node_idx[seg];
      const std::int32_t parent_local = node_local_[static_cast<std::size_t>(parent)];
      const std::int32_t bus = tb_.add_bus(o_.lv_kv);
      set_feeder(bus, feeder);
      node_local_[static_cast<std::size_t>(node)] = static_cast<std::int32_t>(local.size());
      local.push_back(LocalBus{bus, parent_local, seg_len_m_[seg], false,
                               dijkstra_.dist_m[static_cast<std::size_t>(node)], 0.0, 0.0, 1});
    }

    // taps chained along each segment side from its end node, close taps sharing a bus
    std::sort(sides.begin(), sides.end(), [](const AreaTap& a, const AreaTap& c) {
      return std::tie(a.segment_idx, a.from_side, a.offset_m, a.building_idx) <
             std::tie(c.segment_idx, c.from_side, c.offset_m, c.building_idx);
    });
    std::vector<std::int32_t> tap_local(sides.size(), -1);
    std::int32_t prev_local = -1;
    double prev_offset_m = 0.0;
    for (std::size_t k = 0; k < sides.size(); ++k) {
      const AreaTap& ts = sides[k];
      const auto seg = static_cast<std::size_t>(ts.segment_idx);
      const bool new_group = k == 0 || ts.segment_idx != sides[k - 1].segment_idx ||
                             ts.from_side != sides[k - 1].from_side;
      if (new_group) {
        prev_local = node_local_[static_cast<std::size_t>(ts.from_side ? s_.from_node_idx[seg] : s_.to_node_idx[seg])];
        prev_offset_m = 0.0;
      }
      if (ts.offset_m - prev_offset_m >= o_.tap_merge_m) {
        const std::int32_t bus = tb_.add_bus(o_.lv_kv);
        set_feeder(bus, feeder);
        const double length_m = ts.offset_m - prev_offset_m;
        local.push_back(LocalBus{bus, prev_local, length_m, false,
                                 local[static_cast<std::size_t>(prev_local)].path_m + length_m, 0.0,
                                 0.0, 1});
        prev_local = static_cast<std::int32_t>(local.size() - 1);
        prev_offset_m = ts.offset_m;
      }
      tap_local[k] = prev_local;
    }

    // service cable and building bus of each building
    double max_path_m = 0.0;
    std::vector<std::int32_t> building_local(sides.size());
    for (std::size_t k = 0; k < sides.size(); ++k) {
      const auto i = static_cast<std::size_t>(sides[k].building_idx);
      const LocalBus& tap = local[static_cast<std::size_t>(tap_local[k])];
      max_path_m = std::max(max_path_m, tap.path_m);
      const std::int32_t bus = tb_.add_bus(o_.lv_kv);
      set_feeder(bus, feeder);
      const double p_kw = building_peak_kw_[i];
      const double q_kvar = p_kw * hours_.tan_phi[use_idx(b_.use[i])];
      building_local[k] = static_cast<std::int32_t>(local.size());
      local.push_back(LocalBus{bus, tap_local[k], std::max(taps_[i].perp_m, o_.min_line_length_m),
                               true, tap.path_m, p_kw, q_kvar, 1});
      building_bus_[i] = bus;
      building_feeder_[i] = feeder;
    }

    // downstream bounds, children after parents, so accumulate backwards
    for (std::size_t l = local.size(); l-- > 1;) {
      LocalBus& parent = local[static_cast<std::size_t>(local[l].parent_local)];
      parent.p_bound_kw += local[l].p_bound_kw;
      parent.q_bound_kvar += local[l].q_bound_kvar;
    }

    // parallel systems: ampacity at the lowest allowed voltage first, then the drop estimate
    const double i_per_kva_ka = 1.0 / (std::sqrt(3.0) * o_.lv_kv * kMinVoltagePu * 1000.0);
    for (std::size_t l = 1; l < local.size(); ++l) {
      const CableType& c = local[l].service ? o_.service_cable : o_.main_cable;
      const double i_ka = std::hypot(local[l].p_bound_kw, local[l].q_bound_kvar) * i_per_kva_ka;
      local[l].n_parallel = std::max(
          1, static_cast<std::int32_t>(std::ceil(i_ka / (c.max_i_ka * o_.cable_max_loading_frac))));
    }
    size_for_voltage_drop(local);

    // cables
    for (std::size_t l = 1; l < local.size(); ++l) {
      const LocalBus& lb = local[l];
      tb_.add_line(local[static_cast<std::size_t>(lb.parent_local)].bus_idx, lb.bus_idx,
                   lb.length_m, lb.service ? o_.service_cable : o_.main_cable, lb.n_parallel);
    }

    // transformer: the smallest standard rating that carries the peak at the loading limit
    const double needed_kva = peak_s_kva / o_.trafo_max_loading_frac;
    std::size_t type = o_.trafo_types.size() - 1;
    std::int32_t n_units = std::max(
        1, static_cast<std::int32_t>(std::ceil(needed_kva / o_.trafo_types.back().sn_kva)));
    for (std::size_t k = 0; k < o_.trafo_types.size(); ++k) {
      if (o_.trafo_types[k].sn_kva >= needed_kva) {
        type = k;
        n_units = 1;
        break;
      }
    }
    const TrafoType& tt = o_.trafo_types[type];
    TrafoTable& tr = tb_.t.trafos;
    const auto trafo = static_cast<std::int32_t>(tr.size());
    tr.trafo_id.push_back(trafo);
    tr.name.emplace_back();
    tr.hv_bus_idx.push_back(mv_bus);
    tr.lv_bus_idx.push_back(busbar);
    tr.sn_mva.push_back(tt.sn_kva / 1000.0);
    tr.vn_hv_kv.push_back(o_.mv_kv);
    tr.vn_lv_kv.push_back(o_.lv_kv);
    tr.vk_percent.push_back(tt.vk_percent);
    tr.vkr_percent.push_back(tt.vkr_percent);
    tr.pfe_kw.push_back(tt.pfe_kw);
    tr.i0_percent.push_back(tt.i0_percent);
    tr.shift_degree.push_back(o_.trafo_shift_deg);
    tr.tap_side.push_back(TapSide::kNone);
    tr.tap_neutral.push_back(0.0);
    tr.tap_pos.push_back(0.0);
    tr.tap_step_percent.push_back(0.0);
    tr.tap_step_degree.push_back(0.0);
    tr.n_parallel.push_back(n_units);
    tr.df_frac.push_back(1.0);
    tr.in_service.push_back(1);

    // external grid
    ExtGridTable& eg = tb_.t.ext_grids;
    const auto ext_grid = static_cast<std::int32_t>(eg.size());
    eg.ext_grid_id.push_back(ext_grid);
    eg.name.emplace_back();
    eg.bus_idx.push_back(mv_bus);
    eg.vm_pu.push_back(o_.slack_vm_pu);
    eg.va_degree.push_back(0.0);
    eg.in_service.push_back(1);

    // loads: each building's demand at the area's peak hour
    LoadTable& ld = tb_.t.loads;
    for (std::size_t k = 0; k < sides.size(); ++k) {
      const auto i = static_cast<std::size_t>(sides[k].building_idx);
      const std::size_t u = use_idx(b_.use[i]);
      const double p_mw = b_.floor_area_m2[i] * hours_.w_per_m2[u * hours_.n_hours + peak_hour] / 1e6;
      const auto load = static_cast<std::int32_t>(ld.size());
      ld.load_id.push_back(load);
      ld.name.emplace_back();
      ld.bus_idx.push_back(local[static_cast<std::size_t>(building_local[k])].bus_idx);
      ld.p_mw.push_back(p_mw);
      ld.q_mvar.push_back(p_mw * hours_.tan_phi[u]);
      ld.const_z_p_percent.push_back(0.0);
      ld.const_i_p_percent.push_back(0.0);
      ld.const_z_q_percent.push_back(0.0);
      ld.const_i_q_percent.push_back(0.0);
      ld.scaling.push_back(1.0);
      ld.phase.push_back(Phase::kAbc);
      ld.in_service.push_back(1);
      building_load_[i] = load;
    }

    feeder_trafo_.push_back(trafo);
    feeder_ext_grid_.push_back(ext_grid);
    feeder_mv_bus_.push_back(mv_bus);
    feeder_lv_bus_.push_back(busbar);
    feeder_peak_kw_.push_back(peak_p_kw);
    feeder_peak_hour_.push_back(static_cast<std::int32_t>(peak_hour));
    feeder_max_length_m_.push_back(max_path_m);
  }


  void set_feeder(std::int32_t bus, std::int32_t feeder) {
    bus_feeder_.resize(static_cast<std::size_t>(bus) + 1, -1);
    bus_feeder_[static_cast<std::size_t>(bus)] = feeder;
  }

  /// Adds parallel systems on the cable with the largest drop on the path to the worst bus
  /// until the estimated drop (P·R + Q·X)/V² of every bus is within max_cable_drop_frac.
  void size_for_voltage_drop(std::vector<LocalBus>& local) const {
    const double v2 = o_.lv_kv * o_.lv_kv;
    const auto drop_of = [&](const LocalBus& lb) {
      const CableType& c = lb.service ? o_.service_cable : o_.main_cable;
      const double km = lb.length_m / 1000.0;
      return (lb.p_bound_kw * c.r_ohm_per_km + lb.q_bound_kvar * c.x_ohm_per_km) * km /
             (1000.0 * v2 * static_cast<double>(lb.n_parallel));
    };
    std::vector<double> cum(local.size(), 0.0);
    const std::size_t max_rounds = 50 * local.size();
    for (std::size_t round = 0; round < max_rounds; ++round) {
      // cumulative drop, parents first
      std::size_t worst = 0;
      for (std::size_t l = 1; l < local.size(); ++l) {
        cum[l] = cum[static_cast<std::size_t>(local[l].parent_local)] + drop_of(local[l]);
        if (cum[l] > cum[worst]) worst = l;
      }
      if (cum[worst] <= o_.max_cable_drop_frac) return;

      // reinforce the largest contributor on the path to the worst bus
      std::size_t best = worst;
      double best_drop = -1.0;
      for (std::size_t l = worst; l != 0; l = static_cast<std::size_t>(local[l].parent_local)) {
        const double d = drop_of(local[l]);
        if (d > best_drop) {
          best_drop = d;
          best = l;
        }
      }
      ++local[best].n_parallel;
    }
  }

  const sim::Streets& s_;
  const sim::Buildings& b_;
  const GeneratedNetworkOptions& o_;
  UseHours hours_;
  Adjacency adj_;
  Dijkstra dijkstra_;
  std::vector<std::int32_t> node_local_;   // per street node, its local bus in the area built
  std::vector<std::int32_t> node_touched_;
  std::vector<double> seg_len_m_;          // [m] segment lengths, at least min_line_length_m
  std::vector<Tap> taps_;
  TableBuilder tb_;
  std::vector<std::int32_t> building_bus_, building_load_, building_feeder_;
  std::vector<double> building_peak_kw_;
  std::vector<std::int32_t> bus_feeder_;
  std::vector<std::int32_t> feeder_trafo_, feeder_ext_grid_, feeder_mv_bus_, feeder_lv_bus_;
  std::vector<double> feeder_peak_kw_;
  std::vector<std::int32_t> feeder_peak_hour_;
  std::vector<double> feeder_max_length_m_;
};

void check_options(const sim::City& city, const GeneratedNetworkOptions& o) {
  const auto fail = [](const std::string& what) { throw std::invalid_argument(what); };
  if (city.buildings.size() == 0) fail("city: has no buildings (got 0)");
  if (city.streets.size() == 0 || city.streets.n_nodes() == 0) fail("city: has no streets (got 0)");
  if (!(o.lv_kv > 0.0) || !(o.mv_kv > o.lv_kv)) {
    fail("options.mv_kv must exceed options.lv_kv > 0 (got " + std::to_string(o.mv_kv) + ", " +
         std::to_string(o.lv_kv) + ")");
  }
  if (!(o.buildings_per_substation >= 1.0)) {
    fail("options.buildings_per_substation must be >= 1 (got " +
         std::to_string(o.buildings_per_substation) + ")");
  }
  if (!(o.max_feeder_length_m > 0.0)) {
    fail("options.max_feeder_length_m must be > 0 (got " + std::to_string(o.max_feeder_length_m) + ")");
  }
  if (!(o.trafo_max_loading_frac > 0.0 && o.trafo_max_loading_frac <= 1.0) ||
      !(o.cable_max_loading_frac > 0.0 && o.cable_max_loading_frac <= 1.0)) {
    fail("options.trafo_max_loading_frac and cable_max_loading_frac must be in (0, 1] (got " +
         std::to_string(o.trafo_max_loading_frac) + ", " + std::to_string(o.cable_max_loading_frac) + ")");
  }
  if (!(o.max_cable_drop_frac > 0.0) || !(o.tap_merge_m >= 0.0) || !(o.min_line_length_m > 0.0)) {
    fail("options.max_cable_drop_frac and min_line_length_m must be > 0 and tap_merge_m >= 0 (got " +
         std::to_string(o.max_cable_drop_frac) + ", " + std::to_string(o.min_line_length_m) + ", " +
         std::to_string(o.tap_merge_m) + ")");
  }
  if (o.trafo_types.empty()) fail("options.trafo_types must not be empty (got 0 types)");
  for (std::size_t k = 0; k < o.trafo_types.size(); ++k) {
    if (!(o.trafo_types[k].sn_kva > 0.0) || (k > 0 && o.trafo_types[k].sn_kva <= o.trafo_types[k - 1].sn_kva)) {
      fail("options.trafo_types[" + std::to_string(k) + "].sn_kva must be > 0 and ascending (got " +
           std::to_string(o.trafo_types[k].sn_kva) + ")");
    }
  }
  const CableType* cables[] = {&o.main_cable, &o.service_cable};
  for (const CableType* c : cables) {
    if (!(c->max_i_ka > 0.0) || !(c->r_ohm_per_km > 0.0) || !(c->x_ohm_per_km >= 0.0)) {
      fail("options cable types need r_ohm_per_km > 0, x_ohm_per_km >= 0, max_i_ka > 0 (got r " +
           std::to_string(c->r_ohm_per_km) + ", max_i " + std::to_string(c->max_i_ka) + ")");
    }
  }
}

}  // namespace

GeneratedNetwork generate_network(const sim::City& city, const GeneratedNetworkOptions& options) {
  check_options(city, options);
  Generator generator(city, options);
  return generator.run();
}

}  // namespace citytwin::energy
