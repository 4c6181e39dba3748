#include <citytwin/mobility/synthetic_demand.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>
#include <utility>

#include <citytwin/sim/rng.hpp>

namespace citytwin::mobility {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kMinActivityS = 600.0;  // [s] shortest activity
constexpr double kMaxCells = 1024.0;     // [1] gravity grid size cap
constexpr int kNumPurposes = 5;
constexpr std::uint8_t kNoPath = 255;  // tour_choice of a tour no mode has a path for
constexpr std::uint8_t kNoMode = 254;  // tour_choice of a tour with paths but no offered mode
constexpr std::array<std::uint8_t, 3> kLinkModes{kModeCar, kModeBike, kModeWalk};
constexpr std::size_t kCar = 0, kBike = 1, kWalk = 2;  // index into kLinkModes
const std::uint32_t kStreamPlan = sim::stream_id("mobility.synthetic.plan");
const std::uint32_t kStreamMode = sim::stream_id("mobility.synthetic.mode");

[[noreturn]] void bad_argument(const std::string& what) { throw std::invalid_argument(what); }

template <class T>
std::size_t uz(T i) {
  return static_cast<std::size_t>(i);
}

// ---------------------------------------------------------------------------------------------
// gravity destination choice on a grid of cells

struct Grid {
  double x0_m = 0.0, y0_m = 0.0, cell_m = 1.0;
  std::int32_t nx = 1, ny = 1;
  [[nodiscard]] std::int32_t n_cells() const { return nx * ny; }
  [[nodiscard]] std::int32_t cell_of(double x_m, double y_m) const {
    const auto cx = std::clamp(static_cast<std::int32_t>(std::floor((x_m - x0_m) / cell_m)), 0, nx - 1);
    const auto cy = std::clamp(static_cast<std::int32_t>(std::floor((y_m - y0_m) / cell_m)), 0, ny - 1);
    return cy * nx + cx;
  }
};

Grid grid_over(const std::vector<double>& x_m, const std::vector<double>& y_m, double cell_m,
               double max_cells) {
  Grid g;
  if (x_m.empty()) return g;
  const auto [xmin, xmax] = std::minmax_element(x_m.begin(), x_m.end());
  const auto [ymin, ymax] = std::minmax_element(y_m.begin(), y_m.end());
  const double wx = *xmax - *xmin + 1e-6, wy = *ymax - *ymin + 1e-6;
  g.cell_m = std::max({cell_m, std::sqrt(wx * wy / max_cells), 1.0});
  while (std::ceil(wx / g.cell_m) * std::ceil(wy / g.cell_m) > max_cells) g.cell_m *= 1.05;
  g.x0_m = *xmin;
  g.y0_m = *ymin;
  g.nx = std::max(1, static_cast<std::int32_t>(std::ceil(wx / g.cell_m)));
  g.ny = std::max(1, static_cast<std::int32_t>(std::ceil(wy / g.cell_m)));
  return g;
}

// destinations of one purpose: buildings per cell with cumulative weights, and per origin cell
// the cumulative attraction of the destination cells
struct DestinationSampler {
  std::vector<std::int64_t> cell_begin;   // n_cells + 1 offsets into building_idx
  std::vector<std::int32_t> building_idx; // candidate buildings, grouped by cell
  std::vector<double> building_cum;       // cumulative weight within the cell
  std::vector<double> row_cum;            // [origin cell * n_cells + dest cell] cumulative
  std::int32_t n_cells = 0;

  // draws a destination building for a person living in cell `origin`, -1 if none
  std::int32_t draw(std::int32_t origin, sim::Rng& rng) const {
    const auto row = row_cum.begin() + static_cast<std::ptrdiff_t>(origin) * n_cells;
    const double total = *(row + n_cells - 1);
    const double u1 = rng.uniform();
    const double u2 = rng.uniform();
    if (!(total > 0.0)) return -1;
    const auto c = std::upper_bound(row, row + n_cells, u1 * total) - row;
    const std::int32_t cell = std::min<std::int32_t>(static_cast<std::int32_t>(c), n_cells - 1);
    const auto b = building_cum.begin() + cell_begin[uz(cell)];
    const auto e = building_cum.begin() + cell_begin[uz(cell) + 1];
    const double cell_total = *(e - 1);
    const auto k = std::min<std::ptrdiff_t>(std::upper_bound(b, e, u2 * cell_total) - b, e - b - 1);
    return building_idx[uz(cell_begin[uz(cell)] + k)];
  }
};

DestinationSampler make_sampler(const sim::Buildings& bld, const Grid& grid,
                                const std::vector<double>& weight, double decay_km,
                                const std::vector<double>& origin_weight, int balancing_iterations) {
  DestinationSampler s;
  const std::int32_t n_cells = grid.n_cells();
  s.n_cells = n_cells;
  // candidate buildings grouped by cell, in building order
  std::vector<std::int32_t> cell_of_b(uz(bld.size()));
  std::vector<std::int64_t> count(uz(n_cells) + 1, 0);
  for (std::int64_t b = 0; b < bld.size(); ++b) {
    cell_of_b[uz(b)] = grid.cell_of(bld.centroid_x_m[uz(b)], bld.centroid_y_m[uz(b)]);
    if (weight[uz(b)] > 0.0) ++count[uz(cell_of_b[uz(b)]) + 1];
  }
  std::partial_sum(count.begin(), count.end(), count.begin());
  s.cell_begin = count;
  s.building_idx.resize(uz(count.back()));
  s.building_cum.resize(uz(count.back()));
  std::vector<std::int64_t> fill(count.begin(), count.end() - 1);
  for (std::int64_t b = 0; b < bld.size(); ++b) {
    if (!(weight[uz(b)] > 0.0)) continue;
    const std::int64_t at = fill[uz(cell_of_b[uz(b)])]++;
    s.building_idx[uz(at)] = static_cast<std::int32_t>(b);
  }
  std::vector<double> cell_weight(uz(n_cells), 0.0);
  for (std::int32_t c = 0; c < n_cells; ++c) {
    double sum = 0.0;
    for (std::int64_t k = s.cell_begin[uz(c)]; k < s.cell_begin[uz(c) + 1]; ++k) {
      sum += weight[uz(s.building_idx[uz(k)])];
      s.building_cum[uz(k)] = sum;
    }
    cell_weight[uz(c)] = sum;
  }

  // deterrence between cell centres; within a cell the mean distance of two random points of
  // a square, 0.5214 × side
  const double decay_m = decay_km * 1000.0;
  std::vector<double> f(uz(n_cells) * uz(n_cells));
#pragma omp parallel for schedule(static)
  for (std::int32_t i = 0; i < n_cells; ++i) {
    for (std::int32_t j = 0; j < n_cells; ++j) {
      const double dx = (i % grid.nx - j % grid.nx) * grid.cell_m;
      const double dy = (i / grid.nx - j / grid.nx) * grid.cell_m;
      const double d = i == j ? 0.5214 * grid.cell_m : std::hypot(dx, dy);
      f[uz(i) * uz(n_cells) + uz(j)] = std::exp(-d / decay_m);
    }
  }

  // balancing factors: arrivals per cell proportional to its weight (doubly constrained)
  std::vector<double> balance(uz(n_cells), 1.0);
  const double total_o = std::accumulate(origin_weight.begin(), origin_weight.end(), 0.0);
  const double total_w = std::accumulate(cell_weight.begin(), cell_weight.end(), 0.0);
  std::vector<double> row_sum(uz(n_cells));
  std::vector<double> arrivals(uz(n_cells));
  for (int it = 0; it < balancing_iterations && total_w > 0.0 && total_o > 0.0; ++it) {
#pragma omp parallel for schedule(static)
    for (std::int32_t i = 0; i < n_cells; ++i) {
      double sum = 0.0;
      for (std::int32_t j = 0; j < n_cells; ++j) {
        sum += cell_weight[uz(j)] * balance[uz(j)] * f[uz(i) * uz(n_cells) + uz(j)];
      }
      row_sum[uz(i)] = sum;
    }
#pragma omp parallel for schedule(static)
    for (std::int32_t j = 0; j < n_cells; ++j) {
      double sum = 0.0;
      for (std::int32_t i = 0; i < n_cells; ++i) {
        if (origin_weight[uz(i)] > 0.0 && row_sum[uz(i)] > 0.0) {
          sum += origin_weight[uz(i)] * f[uz(i) * uz(n_cells) + uz(j)] / row_sum[uz(i)];
        }
      }
      arrivals[uz(j)] = sum * cell_weight[uz(j)] * balance[uz(j)];
    }
    for (std::int32_t j = 0; j < n_cells; ++j) {
      const double target = cell_weight[uz(j)] * total_o / total_w;
      if (arrivals[uz(j)] > 0.0) balance[uz(j)] *= target / arrivals[uz(j)];
    }
  }

  // cumulative attraction rows (only for cells with origins)
  s.row_cum.assign(uz(n_cells) * uz(n_cells), 0.0);
#pragma omp parallel for schedule(static)
  for (std::int32_t i = 0; i < n_cells; ++i) {
    if (!(origin_weight[uz(i)] > 0.0)) continue;
    double sum = 0.0;
    for (std::int32_t j = 0; j < n_cells; ++j) {
      sum += cell_weight[uz(j)] * balance[uz(j)] * f[uz(i) * uz(n_cells) + uz(j)];
      s.row_cum[uz(i) * uz(n_cells) + uz(j)] = sum;
    }
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// per-mode graphs and Dijkstra trees

// an open link seen from the node it is scanned from
struct Arc {
  std::int32_t head;  // node at the other end
  std::int32_t link;  // link_idx
  double cost_s;      // [s] free-flow time for the mode
  double length_m;    // [m]
};

// the links open to one mode with their free-flow times, as forward and backward stars
struct ModeGraph {
  std::vector<double> cost_s;  // [s] per link, +inf when closed
  std::vector<std::int64_t> fwd_begin, bwd_begin;
  std::vector<Arc> fwd_arc, bwd_arc;
  std::vector<std::uint8_t> usable_node;  // node has an open link out and one in
  std::vector<std::int32_t> twin;         // cheapest open reverse link of equal length, or -1
  bool reversible = false;                // every open link has a twin
  bool symmetric = false;                 // ... of equal cost
  double bound_s = kInf;                  // [s] searches stop beyond this
};

ModeGraph mode_graph(const LinkGraph& g, std::size_t m, const SyntheticDemandConfig& c) {
  ModeGraph mg;
  const std::uint8_t bit = kLinkModes[m];
  const std::int64_t n_links = g.n_links();
  mg.cost_s.resize(uz(n_links));
  for (std::int64_t l = 0; l < n_links; ++l) {
    const auto li = uz(l);
    if (!g.modes.empty() && (g.modes[li] & bit) == 0) {
      mg.cost_s[li] = kInf;
      continue;
    }
    double speed = g.free_speed_mps[li];
    if (m == kBike) {
      const double grade = g.grade_frac.empty() ? 0.0 : std::max(0.0, g.grade_frac[li]);
      speed = std::min(speed, c.bike_speed_mps * std::max(0.3, 1.0 - c.bike_grade_slowdown * grade));
    } else if (m == kWalk) {
      speed = std::min(speed, c.walk_speed_mps);
    }
    mg.cost_s[li] = g.length_m[li] / speed;
  }
  const auto star = [&](std::span<const std::int64_t> begin, std::span<const std::int32_t> links,
                        std::span<const std::int32_t> head, std::vector<std::int64_t>& out_begin,
                        std::vector<Arc>& out) {
    out_begin.assign(uz(g.n_nodes) + 1, 0);
    for (std::int32_t n = 0; n < g.n_nodes; ++n) {
      for (std::int64_t k = begin[uz(n)]; k < begin[uz(n) + 1]; ++k) {
        const std::int32_t l = links[uz(k)];
        if (std::isfinite(mg.cost_s[uz(l)])) {
          out.push_back({head[uz(l)], l, mg.cost_s[uz(l)], g.length_m[uz(l)]});
        }
      }
      out_begin[uz(n) + 1] = static_cast<std::int64_t>(out.size());
    }
  };
  star(g.out_begin, g.out_link_idx, g.to_node_idx, mg.fwd_begin, mg.fwd_arc);
  star(g.in_begin, g.in_link_idx, g.from_node_idx, mg.bwd_begin, mg.bwd_arc);
  // twins: when every open link has one, the way back is the way out reversed (a shortest path
  // when the twins also cost the same)
  mg.twin.assign(uz(n_links), -1);
  mg.reversible = true;
  mg.symmetric = true;
  for (std::int64_t l = 0; l < n_links; ++l) {
    if (!std::isfinite(mg.cost_s[uz(l)])) continue;
    const std::int32_t u = g.from_node_idx[uz(l)];
    const std::int32_t v = g.to_node_idx[uz(l)];
    double best_s = kInf;
    for (std::int64_t k = mg.fwd_begin[uz(v)]; k < mg.fwd_begin[uz(v) + 1]; ++k) {
      const Arc& a = mg.fwd_arc[uz(k)];
      if (a.head == u && a.length_m == g.length_m[uz(l)] && a.cost_s < best_s) {
        mg.twin[uz(l)] = a.link;
        best_s = a.cost_s;
      }
    }
    if (mg.twin[uz(l)] < 0) mg.reversible = false;
    if (!(best_s == mg.cost_s[uz(l)])) mg.symmetric = false;
  }
  mg.symmetric = mg.symmetric && mg.reversible;
  mg.usable_node.resize(uz(g.n_nodes));
  for (std::int32_t n = 0; n < g.n_nodes; ++n) {
    mg.usable_node[uz(n)] = mg.fwd_begin[uz(n) + 1] > mg.fwd_begin[uz(n)] &&
                            mg.bwd_begin[uz(n) + 1] > mg.bwd_begin[uz(n)];
  }
  if (m == kWalk) mg.bound_s = c.walk_max_m / c.walk_speed_mps;
  if (m == kBike) mg.bound_s = c.bike_max_m / c.bike_speed_mps;
  return mg;
}

// one shortest-path tree (forward from a source, or backward to it), reused between searches
struct Tree {
  // the labels of one node, together in one cache line
  struct Label {
    double time_s = 0.0;          // [s] tentative or final time
    double dist_m = 0.0;          // [m] length of the labelled path
    std::int32_t pred_link = -1;  // link towards the source, -1 at the source
    std::uint32_t reached = 0;    // == epoch: labelled in this search
    std::uint32_t settled = 0;    // == epoch: final in this search
    std::uint32_t target = 0;     // == epoch: a target of this search
  };
  explicit Tree(std::int32_t n_nodes) : label(uz(n_nodes)) {}
  std::vector<Label> label;
  std::vector<std::pair<double, std::int32_t>> heap;
  std::uint32_t epoch = 0;
  std::int32_t source = -1;
  bool backward = false;

  [[nodiscard]] bool has(std::int32_t n) const { return label[uz(n)].settled == epoch; }
  [[nodiscard]] double time_s(std::int32_t n) const { return label[uz(n)].time_s; }
  [[nodiscard]] double dist_m(std::int32_t n) const { return label[uz(n)].dist_m; }
  [[nodiscard]] std::int32_t pred_link(std::int32_t n) const { return label[uz(n)].pred_link; }
};

// Dijkstra from `source` (backward: towards it) until every target is settled or the bound is
// passed; ties broken by node index, so the tree depends on nothing but the inputs
void search(const ModeGraph& mg, std::int32_t source, bool backward,
            std::span<const std::int32_t> targets, Tree& t) {
  ++t.epoch;
  t.source = source;
  t.backward = backward;
  std::int64_t n_left = 0;
  for (const std::int32_t n : targets) {
    if (n >= 0 && t.label[uz(n)].target != t.epoch) {
      t.label[uz(n)].target = t.epoch;
      ++n_left;
    }
  }
  const auto& begin = backward ? mg.bwd_begin : mg.fwd_begin;
  const auto& arcs = backward ? mg.bwd_arc : mg.fwd_arc;
  const auto greater = std::greater<std::pair<double, std::int32_t>>();
  t.heap.clear();
  Tree::Label& s0 = t.label[uz(source)];
  s0.reached = t.epoch;
  s0.time_s = 0.0;
  s0.dist_m = 0.0;
  s0.pred_link = -1;
  t.heap.emplace_back(0.0, source);
  while (!t.heap.empty() && n_left > 0) {
    std::pop_heap(t.heap.begin(), t.heap.end(), greater);
    const auto [d, u] = t.heap.back();
    t.heap.pop_back();
    Tree::Label& lu = t.label[uz(u)];
    if (lu.settled == t.epoch || d > lu.time_s) continue;
    if (d > mg.bound_s) break;
    lu.settled = t.epoch;
    if (lu.target == t.epoch) --n_left;
    const double du_m = lu.dist_m;
    for (std::int64_t k = begin[uz(u)]; k < begin[uz(u) + 1]; ++k) {
      const Arc& a = arcs[uz(k)];
      Tree::Label& lv = t.label[uz(a.head)];
      const double nd = d + a.cost_s;
      if (lv.reached != t.epoch || nd < lv.time_s) {
        lv.reached = t.epoch;
        lv.time_s = nd;
        lv.dist_m = du_m + a.length_m;
        lv.pred_link = a.link;
        t.heap.emplace_back(nd, a.head);
        std::push_heap(t.heap.begin(), t.heap.end(), greater);
      }
    }
  }
}

// appends the tree path between the source and `n` in travel order
void append_path(const LinkGraph& g, const Tree& t, std::int32_t n, std::vector<std::int32_t>& out) {
  const std::size_t first = out.size();
  if (t.backward) {
    for (std::int32_t v = n; t.pred_link(v) >= 0; v = g.to_node_idx[uz(t.pred_link(v))]) {
      out.push_back(t.pred_link(v));
    }
    return;
  }
  for (std::int32_t v = n; t.pred_link(v) >= 0; v = g.from_node_idx[uz(t.pred_link(v))]) {
    out.push_back(t.pred_link(v));
  }
  std::reverse(out.begin() + static_cast<std::ptrdiff_t>(first), out.end());
}

// appends the way back from `n` to the source of a forward tree: the tree path reversed, link
// by link through the twins (a shortest path when the mode graph is symmetric)
void append_reversed_path(const LinkGraph& g, const ModeGraph& mg, const Tree& t, std::int32_t n,
                          std::vector<std::int32_t>& out) {
  for (std::int32_t v = n; t.pred_link(v) >= 0; v = g.from_node_idx[uz(t.pred_link(v))]) {
    out.push_back(mg.twin[uz(t.pred_link(v))]);
  }
}

// [s] time of the way back from `n` to the source of a forward tree along the reversed path
double reversed_time_s(const LinkGraph& g, const ModeGraph& mg, const Tree& t, std::int32_t n) {
  double sum_s = 0.0;
  for (std::int32_t v = n; t.pred_link(v) >= 0; v = g.from_node_idx[uz(t.pred_link(v))]) {
    sum_s += mg.cost_s[uz(mg.twin[uz(t.pred_link(v))])];
  }
  return sum_s;
}

// nearest usable node of a mode to each building (ties: lower node index)
std::vector<std::int32_t> nearest_nodes(const sim::Buildings& bld, const StreetNetwork& net,
                                        const std::vector<std::uint8_t>& usable) {
  std::vector<double> xs, ys;
  std::vector<std::int32_t> ids;
  for (std::int64_t n = 0; n < net.n_nodes(); ++n) {
    if (!usable[uz(n)]) continue;
    xs.push_back(net.node_x_m[uz(n)]);
    ys.push_back(net.node_y_m[uz(n)]);
    ids.push_back(static_cast<std::int32_t>(n));
  }
  std::vector<std::int32_t> out(uz(bld.size()), -1);
  if (ids.empty()) return out;
  const Grid grid = grid_over(xs, ys, 1.0, static_cast<double>(ids.size()) / 2.0 + 1.0);
  std::vector<std::int64_t> begin(uz(grid.n_cells()) + 1, 0);
  std::vector<std::int32_t> cell(ids.size());
  for (std::size_t k = 0; k < ids.size(); ++k) {
    cell[k] = grid.cell_of(xs[k], ys[k]);
    ++begin[uz(cell[k]) + 1];
  }
  std::partial_sum(begin.begin(), begin.end(), begin.begin());
  std::vector<std::int32_t> members(ids.size());
  std::vector<std::int64_t> fill(begin.begin(), begin.end() - 1);
  for (std::size_t k = 0; k < ids.size(); ++k) members[uz(fill[uz(cell[k])]++)] = static_cast<std::int32_t>(k);

#pragma omp parallel for schedule(static)
  for (std::int64_t b = 0; b < bld.size(); ++b) {
    const double x = bld.centroid_x_m[uz(b)], y = bld.centroid_y_m[uz(b)];
    const std::int32_t c = grid.cell_of(x, y);
    const std::int32_t cx = c % grid.nx, cy = c / grid.nx;
    double best_d2 = kInf;
    std::int32_t best = -1;
    const std::int32_t max_r = std::max(grid.nx, grid.ny);
    for (std::int32_t r = 0; r <= max_r; ++r) {
      for (std::int32_t iy = cy - r; iy <= cy + r; ++iy) {
        if (iy < 0 || iy >= grid.ny) continue;
        const bool edge_row = iy == cy - r || iy == cy + r;
        for (std::int32_t ix = cx - r; ix <= cx + r; ix += (edge_row || r == 0) ? 1 : 2 * r) {
          if (ix < 0 || ix >= grid.nx) continue;
          const std::int32_t cc = iy * grid.nx + ix;
          for (std::int64_t k = begin[uz(cc)]; k < begin[uz(cc) + 1]; ++k) {
            const std::int32_t i = members[uz(k)];
            const double d2 = (xs[uz(i)] - x) * (xs[uz(i)] - x) + (ys[uz(i)] - y) * (ys[uz(i)] - y);
            if (d2 < best_d2 || (d2 == best_d2 && ids[uz(i)] < best)) {
              best_d2 = d2;
              best = ids[uz(i)];
            }
          }
        }
      }
      // every cell of ring r + 1 lies at least r cells away from the point
      const double reach = static_cast<double>(r) * grid.cell_m;
      if (best >= 0 && best_d2 <= reach * reach) break;
    }
    out[uz(b)] = best;
  }
  return out;
}

double clamped_normal(sim::Rng& rng, double mean, double sd, double lo, double hi) {
  return std::clamp(mean + sd * rng.normal(), lo, hi);
}

// one person's tours, drawn from the person's own random stream
struct PersonPlan {
  std::int32_t n_tours = 0;
  bool stays_home = false;
  bool car = false;
  bool bike = false;
  std::array<std::uint8_t, 8> purpose{};
  std::array<std::int32_t, 8> destination{};
  std::array<double, 8> start_s{};     // desired activity start
  std::array<double, 8> duration_s{};  // activity duration
};

struct Samplers {
  std::array<DestinationSampler, kNumPurposes> by_purpose;
  Grid grid;
};

PersonPlan plan_person(const SyntheticDemandConfig& c, const Samplers& s, std::int32_t home_cell,
                       std::uint64_t seed, std::int64_t person) {
  PersonPlan p;
  sim::Rng rng = sim::rng_for(seed, kStreamPlan, static_cast<std::uint64_t>(person), 0);
  const double u_home = rng.uniform();
  const double u_role = rng.uniform();
  const double u_attend = rng.uniform();
  p.car = rng.uniform() < c.car_available_frac;
  p.bike = rng.uniform() < c.bike_available_frac;
  if (u_home < c.stay_home_frac) {
    p.stays_home = true;
    return p;
  }
  constexpr double kH = 3600.0;
  const auto add = [&](std::uint8_t purpose, double start_h, double duration_h) {
    const std::int32_t d = s.by_purpose[purpose].draw(home_cell, rng);
    if (d < 0) return;
    const auto k = uz(p.n_tours++);
    p.purpose[k] = purpose;
    p.destination[k] = d;
    p.start_s[k] = start_h * kH;
    p.duration_s[k] = std::max(kMinActivityS, duration_h * kH);
  };
  // primary tour: work or school
  bool primary = false;
  if (u_role < c.employed_frac) {
    if (u_attend < c.work_attendance_frac) {
      const double start = clamped_normal(rng, c.work_start_mean_h, c.work_start_sd_h, 4.0, 22.0);
      add(kPurposeWork, start, c.work_duration_mean_h + c.work_duration_sd_h * rng.normal());
      primary = true;
    }
  } else if (u_role < c.employed_frac + c.student_frac) {
    if (u_attend < c.school_attendance_frac) {
      const double start = clamped_normal(rng, c.school_start_mean_h, c.school_start_sd_h, 6.0, 18.0);
      add(kPurposeSchool, start, c.school_duration_mean_h + c.school_duration_sd_h * rng.normal());
      primary = true;
    }
  }
  // secondary tours: shopping and other activities
  const double mean = primary ? c.secondary_tours_with_primary_mean : c.secondary_tours_mean;
  const auto n_secondary = std::min<std::int64_t>(rng.poisson(mean), c.max_secondary_tours);
  for (std::int64_t k = 0; k < n_secondary; ++k) {
    const bool shop = rng.uniform() < c.shop_frac;
    const double start = clamped_normal(rng, c.secondary_start_mean_h, c.secondary_start_sd_h, 6.0, 22.0);
    const double duration = shop ? c.shop_duration_mean_h + c.shop_duration_sd_h * rng.normal()
                                 : c.other_duration_mean_h + c.other_duration_sd_h * rng.normal();
    add(shop ? kPurposeShop : kPurposeOther, start, duration);
  }
  // tours in order of desired start (stable: equal starts keep draw order)
  std::array<std::size_t, 8> order{};
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.begin() + p.n_tours,
                   [&](std::size_t a, std::size_t b) { return p.start_s[a] < p.start_s[b]; });
  PersonPlan sorted = p;
  for (std::int32_t k = 0; k < p.n_tours; ++k) {
    const std::size_t o = order[uz(k)];
    sorted.purpose[uz(k)] = p.purpose[o];
    sorted.destination[uz(k)] = p.destination[o];
    sorted.start_s[uz(k)] = p.start_s[o];
    sorted.duration_s[uz(k)] = p.duration_s[o];
  }
  return sorted;
}

void check_config(const SyntheticDemandConfig& c) {
  const auto fraction = [](const char* name, double v) {
    if (!(v >= 0.0 && v <= 1.0)) bad_argument(std::string("synthetic demand: ") + name + " must be in [0, 1] (got " + std::to_string(v) + ")");
  };
  const auto positive = [](const char* name, double v) {
    if (!(v > 0.0) || !std::isfinite(v)) bad_argument(std::string("synthetic demand: ") + name + " must be > 0 (got " + std::to_string(v) + ")");
  };
  fraction("stay_home_frac", c.stay_home_frac);
  fraction("employed_frac", c.employed_frac);
  fraction("student_frac", c.student_frac);
  fraction("employed_frac + student_frac", c.employed_frac + c.student_frac);
  fraction("work_attendance_frac", c.work_attendance_frac);
  fraction("school_attendance_frac", c.school_attendance_frac);
  fraction("shop_frac", c.shop_frac);
  fraction("car_available_frac", c.car_available_frac);
  fraction("bike_available_frac", c.bike_available_frac);
  positive("work_decay_km", c.work_decay_km);
  positive("school_decay_km", c.school_decay_km);
  positive("shop_decay_km", c.shop_decay_km);
  positive("other_decay_km", c.other_decay_km);
  positive("gravity_cell_m", c.gravity_cell_m);
  positive("bike_speed_mps", c.bike_speed_mps);
  positive("walk_speed_mps", c.walk_speed_mps);
  positive("walk_max_m", c.walk_max_m);
  positive("bike_max_m", c.bike_max_m);
  if (!(c.connector_detour_factor >= 1.0)) bad_argument("synthetic demand: connector_detour_factor must be >= 1");
  if (c.max_secondary_tours < 0 || c.max_secondary_tours > 7) bad_argument("synthetic demand: max_secondary_tours must be in [0, 7]");
  if (!(c.secondary_tours_mean >= 0.0) || !(c.secondary_tours_with_primary_mean >= 0.0)) bad_argument("synthetic demand: secondary tour means must be >= 0");
}

}  // namespace

std::uint8_t choice_link_mode(std::uint8_t choice) {
  switch (choice) {
    case kChoiceCar: return kModeCar;
    case kChoiceBike: return kModeBike;
    case kChoiceWalk: return kModeWalk;
    case kChoiceBikeShare: return kModeBike;
    default: bad_argument("choice_link_mode: unknown choice code " + std::to_string(choice));
  }
}

std::array<double, kNumChoices> mode_choice_probabilities(const SyntheticDemandConfig& c,
                                                          const ModeAlternatives& a) {
  const std::array<double, kNumChoices> asc{c.asc_car, c.asc_bike, c.asc_walk, c.asc_bike_share};
  const std::array<double, kNumChoices> beta_time{c.beta_time_car_per_h, c.beta_time_bike_per_h,
                                                  c.beta_time_walk_per_h, c.beta_time_bike_share_per_h};
  std::array<double, kNumChoices> v{};
  double v_max = -kInf;
  for (std::size_t m = 0; m < kNumChoices; ++m) {
    if (!a.available[m]) continue;
    v[m] = asc[m] + beta_time[m] * a.time_s[m] / 3600.0 + c.beta_cost_per_eur * a.cost_eur[m];
    v_max = std::max(v_max, v[m]);
  }
  // exp(V - max V): the same ratios without overflow
  std::array<double, kNumChoices> p{};
  double sum = 0.0;
  for (std::size_t m = 0; m < kNumChoices; ++m) {
    if (!a.available[m]) continue;
    p[m] = std::exp(v[m] - v_max);
    sum += p[m];
  }
  if (sum > 0.0) {
    for (double& x : p) x /= sum;
  }
  return p;
}

SyntheticDemandConfig read_synthetic_demand_config(sim::ConfigReader& r) {
  SyntheticDemandConfig c;
  const auto frac = sim::Range::fraction();
  const auto nonneg = sim::Range::non_negative();
  const auto pos = sim::Range::positive();
  const auto hour = sim::Range::between(0.0, 48.0);
  r.read("stay_home_frac", c.stay_home_frac, frac);
  r.read("employed_frac", c.employed_frac, frac);
  r.read("student_frac", c.student_frac, frac);
  r.read("work_attendance_frac", c.work_attendance_frac, frac);
  r.read("school_attendance_frac", c.school_attendance_frac, frac);
  r.read("secondary_tours_with_primary_mean", c.secondary_tours_with_primary_mean, sim::Range::between(0.0, 10.0));
  r.read("secondary_tours_mean", c.secondary_tours_mean, sim::Range::between(0.0, 10.0));
  r.read("max_secondary_tours", c.max_secondary_tours, sim::Range::between(0.0, 7.0));
  r.read("shop_frac", c.shop_frac, frac);
  r.read("car_available_frac", c.car_available_frac, frac);
  r.read("bike_available_frac", c.bike_available_frac, frac);
  r.read("work_start_mean_h", c.work_start_mean_h, hour);
  r.read("work_start_sd_h", c.work_start_sd_h, nonneg);
  r.read("work_duration_mean_h", c.work_duration_mean_h, hour);
  r.read("work_duration_sd_h", c.work_duration_sd_h, nonneg);
  r.read("school_start_mean_h", c.school_start_mean_h, hour);
  r.read("school_start_sd_h", c.school_start_sd_h, nonneg);
  r.read("school_duration_mean_h", c.school_duration_mean_h, hour);
  r.read("school_duration_sd_h", c.school_duration_sd_h, nonneg);
  r.read("secondary_start_mean_h", c.secondary_start_mean_h, hour);
  r.read("secondary_start_sd_h", c.secondary_start_sd_h, nonneg);
  r.read("shop_duration_mean_h", c.shop_duration_mean_h, hour);
  r.read("shop_duration_sd_h", c.shop_duration_sd_h, nonneg);
  r.read("other_duration_mean_h", c.other_duration_mean_h, hour);
  r.read("other_duration_sd_h", c.other_duration_sd_h, nonneg);
  r.read("work_decay_km", c.work_decay_km, pos);
  r.read("school_decay_km", c.school_decay_km, pos);
  r.read("shop_decay_km", c.shop_decay_km, pos);
  r.read("other_decay_km", c.other_decay_km, pos);
  r.read("gravity_cell_m", c.gravity_cell_m, pos);
  r.read("balancing_iterations", c.balancing_iterations, sim::Range::between(0.0, 1000.0));
  r.read("asc_car", c.asc_car);
  r.read("asc_bike", c.asc_bike);
  r.read("asc_walk", c.asc_walk);
  r.read("asc_bike_share", c.asc_bike_share);
  const auto non_positive = sim::Range::between(-std::numeric_limits<double>::infinity(), 0.0);
  r.read("beta_time_car_per_h", c.beta_time_car_per_h, non_positive);
  r.read("beta_time_bike_per_h", c.beta_time_bike_per_h, non_positive);
  r.read("beta_time_walk_per_h", c.beta_time_walk_per_h, non_positive);
  r.read("beta_time_bike_share_per_h", c.beta_time_bike_share_per_h, non_positive);
  r.read("beta_cost_per_eur", c.beta_cost_per_eur, non_positive);
  r.read("car_cost_eur_per_km", c.car_cost_eur_per_km, nonneg);
  r.read("car_parking_cost_eur", c.car_parking_cost_eur, nonneg);
  r.read("car_access_s", c.car_access_s, nonneg);
  r.read("bike_speed_mps", c.bike_speed_mps, pos);
  r.read("bike_grade_slowdown", c.bike_grade_slowdown, nonneg);
  r.read("walk_speed_mps", c.walk_speed_mps, pos);
  r.read("walk_max_m", c.walk_max_m, pos);
  r.read("bike_max_m", c.bike_max_m, pos);
  r.read("connector_detour_factor", c.connector_detour_factor, sim::Range::between(1.0, 10.0));
  r.read("bike_share", c.bike_share);
  r.read("bike_share_access_m", c.bike_share_access_m, nonneg);
  r.read("bike_share_fare_eur", c.bike_share_fare_eur, nonneg);
  if (c.employed_frac + c.student_frac > 1.0) {
    r.error("student_frac", "employed_frac + student_frac must be <= 1 (got " +
                                std::to_string(c.employed_frac + c.student_frac) +
                                "); lower one of them");
  }
  return c;
}

SyntheticDemand synthesize_demand(const sim::City& city, const StreetNetwork& network,
                                  const LinkGraph& graph, const SyntheticDemandConfig& c,
                                  std::uint64_t seed) {
  check_config(c);
  validate_link_graph(graph);
  const sim::Buildings& bld = city.buildings;
  const std::int64_t n_buildings = bld.size();
  if (graph.n_nodes != network.n_nodes() || graph.n_links() != network.n_links()) {
    bad_argument("synthetic demand: graph does not view network (n_nodes " +
                 std::to_string(graph.n_nodes) + " vs " + std::to_string(network.n_nodes()) + ")");
  }
  if (bld.residents.size() != uz(n_buildings) || bld.jobs.size() != uz(n_buildings) ||
      bld.use.size() != uz(n_buildings) || bld.centroid_x_m.size() != uz(n_buildings) ||
      bld.centroid_y_m.size() != uz(n_buildings)) {
    bad_argument("synthetic demand: city buildings need residents, jobs, use and centroids for "
                 "every building");
  }
  SyntheticDemand out;

  // persons: the residents of every building, numbered in building order
  std::vector<std::int64_t> person_begin(uz(n_buildings) + 1, 0);
  for (std::int64_t b = 0; b < n_buildings; ++b) {
    if (bld.residents[uz(b)] < 0) {
      bad_argument("synthetic demand: residents[" + std::to_string(b) + "] < 0");
    }
    person_begin[uz(b) + 1] = person_begin[uz(b)] + bld.residents[uz(b)];
  }
  const std::int64_t n_persons = person_begin.back();
  out.n_persons = n_persons;

  // destination weights per purpose (fallback to workplaces when a city has no such use)
  using U = sim::BuildingUse;
  std::array<std::vector<double>, kNumPurposes> weight;
  for (auto& w : weight) w.assign(uz(n_buildings), 0.0);
  std::array<double, kNumPurposes> total{};
  for (std::int64_t b = 0; b < n_buildings; ++b) {
    const auto bi = uz(b);
    const U use = bld.use[bi];
    const double jobs = std::max(0, bld.jobs[bi]);
    const double residents = std::max(0, bld.residents[bi]);
    weight[kPurposeWork][bi] = use == U::kSchool ? 0.0 : jobs;
    weight[kPurposeSchool][bi] = use == U::kSchool ? std::max(1.0, jobs) : 0.0;
    weight[kPurposeShop][bi] = use == U::kCommercial || use == U::kMixed ? std::max(1.0, jobs) : 0.0;
    weight[kPurposeOther][bi] = jobs + residents;
    for (int k = 1; k < kNumPurposes; ++k) total[uz(k)] += weight[uz(k)][bi];
  }
  for (int k = 1; k < kNumPurposes; ++k) {
    if (total[uz(k)] > 0.0) continue;
    for (std::int64_t b = 0; b < n_buildings; ++b) weight[uz(k)][uz(b)] = std::max(0, bld.jobs[uz(b)]);
  }

  // gravity samplers on a grid over the buildings
  Samplers samplers;
  samplers.grid = grid_over(bld.centroid_x_m, bld.centroid_y_m, c.gravity_cell_m, kMaxCells);
  const Grid& grid = samplers.grid;
  std::vector<std::int32_t> home_cell(uz(n_buildings));
  std::vector<double> residents_in_cell(uz(grid.n_cells()), 0.0);
  for (std::int64_t b = 0; b < n_buildings; ++b) {
    home_cell[uz(b)] = grid.cell_of(bld.centroid_x_m[uz(b)], bld.centroid_y_m[uz(b)]);
    residents_in_cell[uz(home_cell[uz(b)])] += bld.residents[uz(b)];
  }
  const std::array<double, kNumPurposes> decay_km{1.0, c.work_decay_km, c.school_decay_km,
                                                  c.shop_decay_km, c.other_decay_km};
  for (int k = 1; k < kNumPurposes; ++k) {
    const bool doubly = k == kPurposeWork || k == kPurposeSchool;
    samplers.by_purpose[uz(k)] = make_sampler(bld, grid, weight[uz(k)], decay_km[uz(k)], residents_in_cell,
                                              doubly ? c.balancing_iterations : 0);
  }

  // plans, pass 1: tours per person
  std::vector<std::int32_t> building_of_person(uz(n_persons));
  for (std::int64_t b = 0; b < n_buildings; ++b) {
    std::fill(building_of_person.begin() + person_begin[uz(b)],
              building_of_person.begin() + person_begin[uz(b) + 1], static_cast<std::int32_t>(b));
  }
  std::vector<std::int64_t> tour_begin(uz(n_persons) + 1, 0);
  std::vector<std::uint8_t> stays_home(uz(n_persons), 0);
#pragma omp parallel for schedule(static)
  for (std::int64_t p = 0; p < n_persons; ++p) {
    const PersonPlan plan = plan_person(c, samplers, home_cell[uz(building_of_person[uz(p)])], seed, p);
    tour_begin[uz(p) + 1] = plan.n_tours;
    stays_home[uz(p)] = plan.stays_home ? 1 : 0;
  }
  std::partial_sum(tour_begin.begin(), tour_begin.end(), tour_begin.begin());
  out.n_stay_home = std::count(stays_home.begin(), stays_home.end(), std::uint8_t{1});
  const std::int64_t n_tours = tour_begin.back();

  // plans, pass 2: the tours themselves (the same draws again)
  std::vector<std::uint8_t> tour_purpose(uz(n_tours));
  std::vector<std::int32_t> tour_dest(uz(n_tours));
  std::vector<double> tour_start_s(uz(n_tours)), tour_duration_s(uz(n_tours));
  std::vector<std::uint8_t> person_car(uz(n_persons)), person_bike(uz(n_persons));
#pragma omp parallel for schedule(static)
  for (std::int64_t p = 0; p < n_persons; ++p) {
    const PersonPlan plan = plan_person(c, samplers, home_cell[uz(building_of_person[uz(p)])], seed, p);
    person_car[uz(p)] = plan.car ? 1 : 0;
    person_bike[uz(p)] = plan.bike ? 1 : 0;
    for (std::int32_t k = 0; k < plan.n_tours; ++k) {
      const auto t = uz(tour_begin[uz(p)] + k);
      tour_purpose[t] = plan.purpose[uz(k)];
      tour_dest[t] = plan.destination[uz(k)];
      tour_start_s[t] = plan.start_s[uz(k)];
      tour_duration_s[t] = plan.duration_s[uz(k)];
    }
  }
  std::vector<std::int64_t> person_of_tour(uz(n_tours));
  for (std::int64_t p = 0; p < n_persons; ++p) {
    std::fill(person_of_tour.begin() + tour_begin[uz(p)], person_of_tour.begin() + tour_begin[uz(p) + 1], p);
  }

  // per-mode graphs and each building's nearest usable node and connector length
  std::array<ModeGraph, 3> mg;
  std::array<std::vector<std::int32_t>, 3> node_of;
  for (std::size_t m = 0; m < 3; ++m) {
    mg[m] = mode_graph(graph, m, c);
    node_of[m] = nearest_nodes(bld, network, mg[m].usable_node);
  }
  const auto connector_m = [&](std::size_t m, std::int32_t b) {
    const std::int32_t n = node_of[m][uz(b)];
    return c.connector_detour_factor * std::hypot(bld.centroid_x_m[uz(b)] - network.node_x_m[uz(n)],
                                                  bld.centroid_y_m[uz(b)] - network.node_y_m[uz(n)]);
  };
  const std::array<double, 3> connector_speed{c.walk_speed_mps, c.bike_speed_mps, c.walk_speed_mps};

  // groups of home buildings that share their three nodes: one set of trees per group
  std::vector<std::int32_t> homes;
  for (std::int64_t b = 0; b < n_buildings; ++b) {
    if (tour_begin[uz(person_begin[uz(b) + 1])] > tour_begin[uz(person_begin[uz(b)])]) {
      homes.push_back(static_cast<std::int32_t>(b));
    }
  }
  const auto key = [&](std::int32_t b) {
    return std::array<std::int32_t, 3>{node_of[0][uz(b)], node_of[1][uz(b)], node_of[2][uz(b)]};
  };
  std::stable_sort(homes.begin(), homes.end(), [&](std::int32_t a, std::int32_t b) { return key(a) < key(b); });
  std::vector<std::int64_t> group_begin{0};
  for (std::size_t i = 1; i <= homes.size(); ++i) {
    if (i == homes.size() || key(homes[i]) != key(homes[i - 1])) {
      group_begin.push_back(static_cast<std::int64_t>(i));
    }
  }
  const auto n_groups = static_cast<std::int64_t>(group_begin.size()) - 1;

  // per tour: chosen mode, door-to-door times, and the two paths (in the group's buffer)
  std::vector<std::uint8_t> tour_choice(uz(n_tours), kNoPath);
  std::vector<double> time_out_s(uz(n_tours)), time_in_s(uz(n_tours));
  std::vector<std::int64_t> path_at(uz(n_tours) * 2 + 1, 0);  // offset in the group buffer
  std::vector<std::int32_t> path_len(uz(n_tours) * 2, 0);
  std::vector<std::int32_t> group_of_tour(uz(n_tours), -1);
  std::vector<std::vector<std::int32_t>> group_links(uz(n_groups));

  // each group is computed by one thread from its inputs alone, so the result does not depend
  // on which thread takes which group; dynamic scheduling only balances the uneven tree sizes
#pragma omp parallel
  {
    std::vector<Tree> trees;
    for (int k = 0; k < 6; ++k) trees.emplace_back(graph.n_nodes);
    std::vector<std::int32_t> targets;
    std::vector<std::int64_t> tours;
#pragma omp for schedule(dynamic, 1)
    for (std::int64_t gi = 0; gi < n_groups; ++gi) {
      const std::int32_t first_home = homes[uz(group_begin[uz(gi)])];
      // the tours of the group's homes
      tours.clear();
      for (std::int64_t h = group_begin[uz(gi)]; h < group_begin[uz(gi) + 1]; ++h) {
        const auto b = uz(homes[uz(h)]);
        for (std::int64_t t = tour_begin[uz(person_begin[b])]; t < tour_begin[uz(person_begin[b + 1])]; ++t) {
          tours.push_back(t);
        }
      }
      // forward and backward trees of every mode, to the tours' destinations
      for (std::size_t m = 0; m < 3; ++m) {
        const std::int32_t source = node_of[m][uz(first_home)];
        if (source < 0) continue;
        targets.clear();
        for (const std::int64_t t : tours) targets.push_back(node_of[m][uz(tour_dest[uz(t)])]);
        search(mg[m], source, false, targets, trees[2 * m]);
        if (!mg[m].reversible) search(mg[m], source, true, targets, trees[2 * m + 1]);
      }
      std::vector<std::int32_t>& links = group_links[uz(gi)];
      for (const std::int64_t t : tours) {
        const auto ti = uz(t);
        const std::int64_t p = person_of_tour[ti];
        const std::int32_t home = building_of_person[uz(p)];
        const std::int32_t dest = tour_dest[ti];
        // door-to-door times [s] and network distances [m] per link mode
        std::array<double, 3> t_out{}, t_in{}, d_net{};
        std::array<bool, 3> ok{};
        for (std::size_t m = 0; m < 3; ++m) {
          const std::int32_t o = node_of[m][uz(home)];
          const std::int32_t d = node_of[m][uz(dest)];
          const Tree& out_tree = trees[2 * m];
          const Tree& back = mg[m].reversible ? out_tree : trees[2 * m + 1];
          if (o < 0 || d < 0 || !out_tree.has(d) || !back.has(d)) continue;
          ok[m] = true;
          const double access_s = (connector_m(m, home) + connector_m(m, dest)) / connector_speed[m] +
                                  (m == kCar ? c.car_access_s : 0.0);
          t_out[m] = out_tree.time_s(d) + access_s;
          t_in[m] = (mg[m].reversible && !mg[m].symmetric ? reversed_time_s(graph, mg[m], out_tree, d)
                                                          : back.time_s(d)) +
                    access_s;
          d_net[m] = out_tree.dist_m(d) + back.dist_m(d);
        }
        ModeAlternatives alt;
        alt.available[kChoiceCar] = ok[kCar] && person_car[uz(p)] != 0;
        alt.available[kChoiceBike] = ok[kBike] && person_bike[uz(p)] != 0;
        alt.available[kChoiceWalk] = ok[kWalk];
        alt.available[kChoiceBikeShare] = ok[kBike] && c.bike_share;
        alt.time_s[kChoiceCar] = t_out[kCar] + t_in[kCar];
        alt.cost_eur[kChoiceCar] = c.car_cost_eur_per_km * d_net[kCar] / 1000.0 + c.car_parking_cost_eur;
        alt.time_s[kChoiceBike] = t_out[kBike] + t_in[kBike];
        alt.time_s[kChoiceWalk] = t_out[kWalk] + t_in[kWalk];
        const double share_walk_s = 2.0 * c.bike_share_access_m / c.walk_speed_mps;
        alt.time_s[kChoiceBikeShare] = alt.time_s[kChoiceBike] + 2.0 * share_walk_s;
        alt.cost_eur[kChoiceBikeShare] = 2.0 * c.bike_share_fare_eur;
        const std::array<double, kNumChoices> prob = mode_choice_probabilities(c, alt);
        // draw the mode from the tour's own stream
        sim::Rng rng = sim::rng_for(seed, kStreamMode, static_cast<std::uint64_t>(t), 0);
        const double u = rng.uniform();
        double cum = 0.0;
        std::uint8_t chosen = kNoPath;
        for (std::uint8_t m = 0; m < kNumChoices; ++m) {
          if (!alt.available[m]) continue;
          chosen = m;  // the last available mode takes the rounding remainder
          cum += prob[m];
          if (u < cum) break;
        }
        if (chosen == kNoPath) {
          if (ok[kCar] || ok[kBike] || ok[kWalk]) tour_choice[ti] = kNoMode;
          continue;
        }
        tour_choice[ti] = chosen;
        group_of_tour[ti] = static_cast<std::int32_t>(gi);
        const std::size_t m = chosen == kChoiceCar ? kCar : chosen == kChoiceWalk ? kWalk : kBike;
        const double extra_s = chosen == kChoiceBikeShare ? share_walk_s : 0.0;
        time_out_s[ti] = t_out[m] + extra_s;
        time_in_s[ti] = t_in[m] + extra_s;
        const std::int32_t d = node_of[m][uz(dest)];
        for (std::size_t leg = 0; leg < 2; ++leg) {
          path_at[2 * ti + leg] = static_cast<std::int64_t>(links.size());
          if (leg == 1 && mg[m].reversible) {
            append_reversed_path(graph, mg[m], trees[2 * m], d, links);
          } else {
            append_path(graph, trees[2 * m + leg], d, links);
          }
          path_len[2 * ti + leg] = static_cast<std::int32_t>(static_cast<std::int64_t>(links.size()) - path_at[2 * ti + leg]);
        }
      }
    }
  }

  // kept trips, in person and tour order
  std::vector<std::int64_t> trip_of_tour(uz(n_tours) + 1, 0);
  for (std::int64_t t = 0; t < n_tours; ++t) {
    const std::uint8_t chosen = tour_choice[uz(t)];
    trip_of_tour[uz(t) + 1] = trip_of_tour[uz(t)] + (chosen >= kNoMode ? 0 : 2);
    out.n_unroutable += chosen == kNoPath ? 2 : 0;
    out.n_no_mode += chosen == kNoMode ? 2 : 0;
  }
  const std::int64_t n_trips = trip_of_tour.back();

  // schedules: tours one after the other, each leaving home as late as still reaches the
  // activity at its desired start, never before the previous tour is back
  std::vector<double> depart_out_s(uz(n_tours)), depart_in_s(uz(n_tours));
#pragma omp parallel for schedule(static)
  for (std::int64_t p = 0; p < n_persons; ++p) {
    double free_at_s = 0.0;
    for (std::int64_t t = tour_begin[uz(p)]; t < tour_begin[uz(p) + 1]; ++t) {
      const auto ti = uz(t);
      if (tour_choice[ti] >= kNoMode) continue;
      const double leave = std::max(tour_start_s[ti] - time_out_s[ti], free_at_s);
      depart_out_s[ti] = leave;
      depart_in_s[ti] = leave + time_out_s[ti] + tour_duration_s[ti];
      free_at_s = depart_in_s[ti] + time_in_s[ti] + kMinActivityS;
    }
  }

  // trip rows
  const auto resize = [&](auto& v) { v.resize(uz(n_trips)); };
  resize(out.person_id), resize(out.home_building_idx), resize(out.purpose), resize(out.choice);
  resize(out.departure_s), resize(out.travel_time_s), resize(out.origin_building_idx);
  resize(out.destination_building_idx), resize(out.origin_node_idx), resize(out.destination_node_idx);
  resize(out.origin_x_m), resize(out.origin_y_m), resize(out.destination_x_m), resize(out.destination_y_m);
  resize(out.trips.departure_s), resize(out.trips.mode);
  out.trips.route_begin.assign(uz(n_trips) + 1, 0);
  for (std::int64_t t = 0; t < n_tours; ++t) {
    if (tour_choice[uz(t)] >= kNoMode) continue;
    const std::int64_t r = trip_of_tour[uz(t)];
    out.trips.route_begin[uz(r) + 1] = out.trips.route_begin[uz(r)] + path_len[2 * uz(t)];
    out.trips.route_begin[uz(r) + 2] = out.trips.route_begin[uz(r) + 1] + path_len[2 * uz(t) + 1];
  }
  out.trips.route_link_idx.resize(uz(out.trips.route_begin.back()));
#pragma omp parallel for schedule(static)
  for (std::int64_t t = 0; t < n_tours; ++t) {
    const auto ti = uz(t);
    const std::uint8_t chosen = tour_choice[ti];
    if (chosen >= kNoMode) continue;
    const std::int64_t p = person_of_tour[ti];
    const std::int32_t home = building_of_person[uz(p)];
    const std::int32_t dest = tour_dest[ti];
    const std::size_t m = chosen == kChoiceCar ? kCar : chosen == kChoiceWalk ? kWalk : kBike;
    for (std::size_t leg = 0; leg < 2; ++leg) {
      const auto r = uz(trip_of_tour[ti]) + leg;
      const std::int32_t from = leg == 0 ? home : dest;
      const std::int32_t to = leg == 0 ? dest : home;
      out.person_id[r] = p;
      out.home_building_idx[r] = home;
      out.purpose[r] = leg == 0 ? tour_purpose[ti] : kPurposeHome;
      out.choice[r] = chosen;
      out.departure_s[r] = leg == 0 ? depart_out_s[ti] : depart_in_s[ti];
      out.travel_time_s[r] = leg == 0 ? time_out_s[ti] : time_in_s[ti];
      out.origin_building_idx[r] = from;
      out.destination_building_idx[r] = to;
      out.origin_node_idx[r] = node_of[m][uz(from)];
      out.destination_node_idx[r] = node_of[m][uz(to)];
      out.origin_x_m[r] = bld.centroid_x_m[uz(from)];
      out.origin_y_m[r] = bld.centroid_y_m[uz(from)];
      out.destination_x_m[r] = bld.centroid_x_m[uz(to)];
      out.destination_y_m[r] = bld.centroid_y_m[uz(to)];
      out.trips.departure_s[r] = out.departure_s[r];
      out.trips.mode[r] = choice_link_mode(chosen);
      const auto& src = group_links[uz(group_of_tour[ti])];
      const auto at = static_cast<std::ptrdiff_t>(path_at[2 * ti + leg]);
      std::copy(src.begin() + at, src.begin() + at + path_len[2 * ti + leg],
                out.trips.route_link_idx.begin() + out.trips.route_begin[r]);
    }
  }
  return out;
}

}  // namespace citytwin::mobility
