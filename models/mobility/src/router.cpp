#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include <citytwin/mobility/router.hpp>
#include <citytwin/sim/parallel.hpp>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace citytwin::mobility {

namespace {

constexpr std::int64_t kInfMs = std::numeric_limits<std::int64_t>::max();
constexpr std::int32_t kNoLandmarkMs = std::numeric_limits<std::int32_t>::max();
constexpr std::int32_t kUnreached = -1;
constexpr std::int32_t kSettled = -2;

[[noreturn]] void bad_argument(const std::string& what) { throw std::invalid_argument(what); }

// [ms] rounded cost of one link, at least 1 ms; -1 for a closed (+inf) link
std::int64_t to_ms(double cost_s, std::int64_t link) {
  if (std::isnan(cost_s) || cost_s < 0.0) {
    bad_argument("router: cost_s[" + std::to_string(link) + "] must be >= 0 or +inf (got " +
                 std::to_string(cost_s) + ")");
  }
  if (std::isinf(cost_s)) return -1;
  if (cost_s > 1e12) {
    bad_argument("router: cost_s[" + std::to_string(link) + "] is too large (got " +
                 std::to_string(cost_s) + ", max 1e12 s)");
  }
  return std::max<std::int64_t>(1, std::llround(cost_s * 1000.0));
}

// heap order: smaller key, then smaller distance, then smaller node
bool heap_less(std::int64_t key_a, std::int64_t dist_a, std::int32_t node_a, std::int64_t key_b,
               std::int64_t dist_b, std::int32_t node_b) {
  if (key_a != key_b) return key_a < key_b;
  if (dist_a != dist_b) return dist_a < dist_b;
  return node_a < node_b;
}

}  // namespace

LinkGraph link_graph_of(const StreetNetwork& network) {
  LinkGraph graph;
  graph.n_nodes = static_cast<std::int32_t>(network.n_nodes());
  graph.from_node_idx = network.from_node_idx;
  graph.to_node_idx = network.to_node_idx;
  graph.length_m = network.length_m;
  graph.free_speed_mps = network.free_speed_mps;
  graph.flow_capacity_veh_per_h = network.flow_capacity_veh_per_h;
  graph.storage_capacity_veh = network.storage_capacity_veh;
  graph.grade_frac = network.grade_frac;
  graph.modes = network.modes;
  graph.out_begin = network.out_begin;
  graph.out_link_idx = network.out_link_idx;
  graph.in_begin = network.in_begin;
  graph.in_link_idx = network.in_link_idx;
  return graph;
}

void validate_link_graph(const LinkGraph& graph) {
  const std::int64_t n_links = graph.n_links();
  const auto n_nodes = static_cast<std::int64_t>(graph.n_nodes);
  const auto expect_size = [](const char* column, std::size_t got, std::int64_t expected) {
    if (static_cast<std::int64_t>(got) != expected) {
      bad_argument(std::string("link graph: ") + column + " has " + std::to_string(got) +
                   " entries, expected " + std::to_string(expected));
    }
  };

  // column sizes
  if (n_nodes < 0) bad_argument("link graph: n_nodes must be >= 0");
  expect_size("to_node_idx", graph.to_node_idx.size(), n_links);
  expect_size("length_m", graph.length_m.size(), n_links);
  expect_size("free_speed_mps", graph.free_speed_mps.size(), n_links);
  expect_size("flow_capacity_veh_per_h", graph.flow_capacity_veh_per_h.size(), n_links);
  expect_size("storage_capacity_veh", graph.storage_capacity_veh.size(), n_links);
  if (!graph.grade_frac.empty()) expect_size("grade_frac", graph.grade_frac.size(), n_links);
  if (!graph.modes.empty()) expect_size("modes", graph.modes.size(), n_links);
  expect_size("out_begin", graph.out_begin.size(), n_nodes + 1);
  expect_size("in_begin", graph.in_begin.size(), n_nodes + 1);
  expect_size("out_link_idx", graph.out_link_idx.size(), n_links);
  expect_size("in_link_idx", graph.in_link_idx.size(), n_links);

  // link ends and physical values
  for (std::int64_t l = 0; l < n_links; ++l) {
    const auto i = static_cast<std::size_t>(l);
    const std::string at = "[" + std::to_string(l) + "]";
    if (graph.from_node_idx[i] < 0 || graph.from_node_idx[i] >= n_nodes ||
        graph.to_node_idx[i] < 0 || graph.to_node_idx[i] >= n_nodes) {
      bad_argument("link graph: link" + at + " has a node index out of range");
    }
    if (!(graph.length_m[i] >= 0.0) || !std::isfinite(graph.length_m[i])) {
      bad_argument("link graph: length_m" + at + " must be finite and >= 0 (got " +
                   std::to_string(graph.length_m[i]) + ")");
    }
    if (!(graph.free_speed_mps[i] > 0.0) || !std::isfinite(graph.free_speed_mps[i])) {
      bad_argument("link graph: free_speed_mps" + at + " must be finite and > 0 (got " +
                   std::to_string(graph.free_speed_mps[i]) + ")");
    }
    if (!(graph.flow_capacity_veh_per_h[i] > 0.0)) {
      bad_argument("link graph: flow_capacity_veh_per_h" + at + " must be > 0 (got " +
                   std::to_string(graph.flow_capacity_veh_per_h[i]) + ")");
    }
    if (!(graph.storage_capacity_veh[i] >= 0.0)) {
      bad_argument("link graph: storage_capacity_veh" + at + " must be >= 0 (got " +
                   std::to_string(graph.storage_capacity_veh[i]) + ")");
    }
  }

  // stars agree with the link ends
  const auto check_star = [&](const char* name, std::span<const std::int64_t> begin,
                              std::span<const std::int32_t> link_idx,
                              std::span<const std::int32_t> node_of_link) {
    if (begin[0] != 0 || begin[static_cast<std::size_t>(n_nodes)] != n_links) {
      bad_argument(std::string("link graph: ") + name + " offsets must run from 0 to n_links");
    }
    for (std::int64_t n = 0; n < n_nodes; ++n) {
      const auto b = begin[static_cast<std::size_t>(n)];
      const auto e = begin[static_cast<std::size_t>(n + 1)];
      if (e < b)
        bad_argument(std::string("link graph: ") + name + " offsets decrease at node " +
                     std::to_string(n));
      for (std::int64_t j = b; j < e; ++j) {
        const std::int32_t l = link_idx[static_cast<std::size_t>(j)];
        if (l < 0 || l >= n_links || node_of_link[static_cast<std::size_t>(l)] != n) {
          bad_argument(std::string("link graph: ") + name + " of node " + std::to_string(n) +
                       " lists link " + std::to_string(l) + " which does not touch it");
        }
      }
    }
  };
  check_star("out star", graph.out_begin, graph.out_link_idx, graph.from_node_idx);
  check_star("in star", graph.in_begin, graph.in_link_idx, graph.to_node_idx);
}

RouterWorkspace::RouterWorkspace(std::int32_t n_nodes)
    : stamp_(static_cast<std::size_t>(std::max(n_nodes, 0)), 0),
      dist_ms_(stamp_.size(), 0),
      pred_link_(stamp_.size(), -1),
      heap_pos_(stamp_.size(), kUnreached) {
  heap_.reserve(stamp_.size());
  active_.reserve(64);
}

void RouterWorkspace::next_epoch() {
  if (++epoch_ == 0) {
    std::fill(stamp_.begin(), stamp_.end(), 0U);
    epoch_ = 1;
  }
  heap_.clear();
}

void RouterWorkspace::sift_up(std::size_t i) {
  const HeapEntry e = heap_[i];
  while (i > 0) {
    const std::size_t parent = (i - 1) / 2;
    const HeapEntry& p = heap_[parent];
    if (!heap_less(e.key_ms, e.dist_ms, e.node_idx, p.key_ms, p.dist_ms, p.node_idx)) break;
    heap_[i] = p;
    heap_pos_[static_cast<std::size_t>(heap_[i].node_idx)] = static_cast<std::int32_t>(i);
    i = parent;
  }
  heap_[i] = e;
  heap_pos_[static_cast<std::size_t>(e.node_idx)] = static_cast<std::int32_t>(i);
}

void RouterWorkspace::push(const HeapEntry& entry) {
  heap_.push_back(entry);
  sift_up(heap_.size() - 1);
}

RouterWorkspace::HeapEntry RouterWorkspace::pop() {
  // move the last entry down from the root; the popped node is settled
  const HeapEntry top = heap_.front();
  const HeapEntry last = heap_.back();
  heap_.pop_back();
  const std::size_t n = heap_.size();
  if (n > 0) {
    std::size_t i = 0;
    while (true) {
      std::size_t child = 2 * i + 1;
      if (child >= n) break;
      const HeapEntry& a = heap_[child];
      if (child + 1 < n) {
        const HeapEntry& b = heap_[child + 1];
        if (heap_less(b.key_ms, b.dist_ms, b.node_idx, a.key_ms, a.dist_ms, a.node_idx)) ++child;
      }
      const HeapEntry& c = heap_[child];
      if (!heap_less(c.key_ms, c.dist_ms, c.node_idx, last.key_ms, last.dist_ms, last.node_idx)) {
        break;
      }
      heap_[i] = c;
      heap_pos_[static_cast<std::size_t>(c.node_idx)] = static_cast<std::int32_t>(i);
      i = child;
    }
    heap_[i] = last;
    heap_pos_[static_cast<std::size_t>(last.node_idx)] = static_cast<std::int32_t>(i);
  }
  heap_pos_[static_cast<std::size_t>(top.node_idx)] = kSettled;
  return top;
}

Router::Router(const LinkGraph& graph, std::span<const double> cost_s, RouterConfig config)
    : graph_(graph), config_(config) {
  validate_link_graph(graph_);
  if (config_.n_landmarks < 1 || config_.n_landmarks > 64) {
    bad_argument("router: n_landmarks must be in 1..64 (got " +
                 std::to_string(config_.n_landmarks) + ")");
  }
  if (config_.n_active_landmarks < 1 || config_.n_active_landmarks > config_.n_landmarks) {
    bad_argument("router: n_active_landmarks must be in 1..n_landmarks (got " +
                 std::to_string(config_.n_active_landmarks) + ")");
  }

  // lower bounds: free-flow times
  const std::int64_t n_links = graph_.n_links();
  free_ms_.resize(static_cast<std::size_t>(n_links));
  for (std::int64_t l = 0; l < n_links; ++l) {
    const auto i = static_cast<std::size_t>(l);
    free_ms_[i] = to_ms(graph_.length_m[i] / graph_.free_speed_mps[i], l);
  }
  bound_ms_ = free_ms_;
  set_costs(cost_s);
  if (config_.algorithm == RouteAlgorithm::kAlt && n_landmark_updates_ == 0) select_landmarks();
}

void Router::set_cost_ms(std::span<const double> cost_s) {
  const std::int64_t n_links = graph_.n_links();
  if (static_cast<std::int64_t>(cost_s.size()) != n_links) {
    bad_argument("router: cost_s has " + std::to_string(cost_s.size()) + " entries, expected " +
                 std::to_string(n_links));
  }
  std::vector<std::int64_t> cost_ms(cost_s.size());
  for (std::int64_t l = 0; l < n_links; ++l) {
    cost_ms[static_cast<std::size_t>(l)] = to_ms(cost_s[static_cast<std::size_t>(l)], l);
  }
  cost_s_.assign(cost_s.begin(), cost_s.end());
  cost_ms_ = std::move(cost_ms);
}

void Router::set_costs(std::span<const double> cost_s) {
  set_cost_ms(cost_s);
  if (config_.algorithm != RouteAlgorithm::kAlt) return;

  // landmarks on the current costs (closed links keep their free-flow bound)
  if (config_.landmark_costs == LandmarkCosts::kCurrent) {
    for (std::size_t l = 0; l < cost_ms_.size(); ++l) {
      bound_ms_[l] = cost_ms_[l] >= 0 ? cost_ms_[l] : free_ms_[l];
    }
    select_landmarks();
    return;
  }

  // lower the bounds where a cost fell below them; landmarks must then be recomputed
  bool lowered = false;
  for (std::size_t l = 0; l < cost_ms_.size(); ++l) {
    if (cost_ms_[l] >= 0 && cost_ms_[l] < bound_ms_[l]) {
      bound_ms_[l] = cost_ms_[l];
      lowered = true;
    }
  }
  if (lowered) select_landmarks();
}

void Router::full_tree(std::int32_t source, bool backward, const std::vector<std::int64_t>& cost_ms,
                       RouterWorkspace& ws) const {
  ws.next_epoch();
  const std::uint32_t epoch = ws.epoch_;
  const std::span<const std::int64_t> begin = backward ? graph_.in_begin : graph_.out_begin;
  const std::span<const std::int32_t> star = backward ? graph_.in_link_idx : graph_.out_link_idx;
  const std::span<const std::int32_t> head = backward ? graph_.from_node_idx : graph_.to_node_idx;

  // plain Dijkstra over the whole graph; the heap key is the distance
  const auto s = static_cast<std::size_t>(source);
  ws.stamp_[s] = epoch;
  ws.dist_ms_[s] = 0;
  ws.pred_link_[s] = -1;
  ws.push({0, 0, source});
  auto& heap = ws.heap_;
  auto& pos = ws.heap_pos_;
  while (!heap.empty()) {
    const RouterWorkspace::HeapEntry top = ws.pop();
    const auto u = static_cast<std::size_t>(top.node_idx);
    for (std::int64_t j = begin[u]; j < begin[u + 1]; ++j) {
      const std::int32_t l = star[static_cast<std::size_t>(j)];
      const std::int64_t c = cost_ms[static_cast<std::size_t>(l)];
      if (c < 0) continue;
      const auto w = static_cast<std::size_t>(head[static_cast<std::size_t>(l)]);
      const std::int64_t nd = top.dist_ms + c;
      if (ws.stamp_[w] != epoch) {
        ws.stamp_[w] = epoch;
        ws.dist_ms_[w] = nd;
        ws.pred_link_[w] = l;
        ws.push({nd, nd, static_cast<std::int32_t>(w)});
      } else if (pos[w] != kSettled && nd < ws.dist_ms_[w]) {
        ws.dist_ms_[w] = nd;
        ws.pred_link_[w] = l;
        const auto i = static_cast<std::size_t>(pos[w]);
        heap[i].key_ms = nd;
        heap[i].dist_ms = nd;
        ws.sift_up(i);
      } else if (pos[w] != kSettled && nd == ws.dist_ms_[w] && l < ws.pred_link_[w]) {
        ws.pred_link_[w] = l;
      }
    }
  }
}

void Router::select_landmarks() {
  const auto n_nodes = static_cast<std::size_t>(graph_.n_nodes);
  const auto k_max = static_cast<std::size_t>(config_.n_landmarks);
  landmarks_.clear();
  from_lm_ms_.assign(n_nodes * k_max, kNoLandmarkMs);
  to_lm_ms_.assign(n_nodes * k_max, kNoLandmarkMs);
  ++n_landmark_updates_;
  if (n_nodes == 0) return;
  RouterWorkspace ws(graph_.n_nodes);

  // the first landmark is the node farthest from node 0 (ties: lowest index)
  full_tree(0, false, bound_ms_, ws);
  std::int32_t next = 0;
  std::int64_t best = -1;
  for (std::size_t v = 0; v < n_nodes; ++v) {
    if (ws.stamp_[v] == ws.epoch_ && ws.dist_ms_[v] > best) {
      best = ws.dist_ms_[v];
      next = static_cast<std::int32_t>(v);
    }
  }

  // farthest selection: each next landmark maximises the round-trip distance to the chosen ones
  std::vector<std::int64_t> min_round_trip_ms(n_nodes, kInfMs);
  std::vector<std::int64_t> forward_ms(n_nodes);
  while (landmarks_.size() < k_max) {
    const std::size_t k = landmarks_.size();
    landmarks_.push_back(next);
    full_tree(next, false, bound_ms_, ws);
    for (std::size_t v = 0; v < n_nodes; ++v) {
      forward_ms[v] = ws.stamp_[v] == ws.epoch_ ? ws.dist_ms_[v] : kInfMs;
      if (forward_ms[v] != kInfMs) {
        if (forward_ms[v] >= kNoLandmarkMs) bad_argument("router: path costs exceed 24 days");
        from_lm_ms_[v * k_max + k] = static_cast<std::int32_t>(forward_ms[v]);
      }
    }
    full_tree(next, true, bound_ms_, ws);
    for (std::size_t v = 0; v < n_nodes; ++v) {
      if (ws.stamp_[v] != ws.epoch_) continue;
      if (ws.dist_ms_[v] >= kNoLandmarkMs) bad_argument("router: path costs exceed 24 days");
      to_lm_ms_[v * k_max + k] = static_cast<std::int32_t>(ws.dist_ms_[v]);
      if (forward_ms[v] != kInfMs) {
        min_round_trip_ms[v] = std::min(min_round_trip_ms[v], forward_ms[v] + ws.dist_ms_[v]);
      }
    }
    best = 0;
    for (std::size_t v = 0; v < n_nodes; ++v) {
      if (min_round_trip_ms[v] != kInfMs && min_round_trip_ms[v] > best) {
        best = min_round_trip_ms[v];
        next = static_cast<std::int32_t>(v);
      }
    }
    if (best == 0) break;
  }
}

std::int64_t Router::heuristic_ms(const RouterWorkspace& ws, std::int32_t node,
                                  std::int32_t target) const {
  // triangle inequality on each active landmark; kInfMs when `node` provably cannot reach target
  const auto k_max = static_cast<std::size_t>(config_.n_landmarks);
  const std::int32_t* from_v = &from_lm_ms_[static_cast<std::size_t>(node) * k_max];
  const std::int32_t* to_v = &to_lm_ms_[static_cast<std::size_t>(node) * k_max];
  const std::int32_t* from_t = &from_lm_ms_[static_cast<std::size_t>(target) * k_max];
  const std::int32_t* to_t = &to_lm_ms_[static_cast<std::size_t>(target) * k_max];
  std::int64_t h = 0;
  for (const std::int32_t k : ws.active_) {
    const auto i = static_cast<std::size_t>(k);
    if (from_v[i] != kNoLandmarkMs) {
      if (from_t[i] == kNoLandmarkMs) return kInfMs;
      h = std::max<std::int64_t>(h, std::int64_t{from_t[i]} - from_v[i]);
    }
    if (to_t[i] != kNoLandmarkMs) {
      if (to_v[i] == kNoLandmarkMs) return kInfMs;
      h = std::max<std::int64_t>(h, std::int64_t{to_v[i]} - to_t[i]);
    }
  }
  return h;
}

void Router::check_node(std::int32_t node_idx, const char* name) const {
  if (node_idx < 0 || node_idx >= graph_.n_nodes) {
    bad_argument(std::string("router: ") + name + " must be in 0.." +
                 std::to_string(graph_.n_nodes - 1) + " (got " + std::to_string(node_idx) + ")");
  }
}

double Router::route(std::int32_t from_node_idx, std::int32_t to_node_idx, RouterWorkspace& ws,
                     std::vector<std::int32_t>& path_link_idx) const {
  return route_with(config_.algorithm, from_node_idx, to_node_idx, ws, path_link_idx);
}

double Router::route_with(RouteAlgorithm algorithm, std::int32_t from_node_idx,
                          std::int32_t to_node_idx, RouterWorkspace& ws,
                          std::vector<std::int32_t>& path_link_idx) const {
  check_node(from_node_idx, "from_node_idx");
  check_node(to_node_idx, "to_node_idx");
  if (algorithm == RouteAlgorithm::kAlt && landmarks_.empty()) {
    bad_argument("router: ALT query on a router built for Dijkstra");
  }
  return search(algorithm, from_node_idx, to_node_idx, ws, path_link_idx);
}

double Router::search(RouteAlgorithm algorithm, std::int32_t from_node_idx,
                      std::int32_t to_node_idx, RouterWorkspace& ws,
                      std::vector<std::int32_t>& path_link_idx) const {
  ws.next_epoch();
  const std::uint32_t epoch = ws.epoch_;
  ws.n_settled_ = 0;
  path_link_idx.clear();

  // active landmarks: those giving the best bounds from the source
  ws.active_.clear();
  if (algorithm == RouteAlgorithm::kAlt) {
    std::array<std::int64_t, 64> bound{};
    const auto n_lm = static_cast<std::int32_t>(landmarks_.size());
    for (std::int32_t k = 0; k < n_lm; ++k) {
      ws.active_.assign(1, k);
      bound[static_cast<std::size_t>(k)] = heuristic_ms(ws, from_node_idx, to_node_idx);
    }
    ws.active_.clear();
    for (std::int32_t k = 0; k < n_lm; ++k) ws.active_.push_back(k);
    std::stable_sort(ws.active_.begin(), ws.active_.end(), [&](std::int32_t a, std::int32_t b) {
      return bound[static_cast<std::size_t>(a)] > bound[static_cast<std::size_t>(b)];
    });
    ws.active_.resize(static_cast<std::size_t>(std::min(n_lm, config_.n_active_landmarks)));
    if (bound[static_cast<std::size_t>(ws.active_.front())] == kInfMs) {
      return std::numeric_limits<double>::infinity();
    }
  }
  const bool use_h = !ws.active_.empty();

  // A* (Dijkstra when no landmark is active); heap order (key, dist, node)
  auto& heap = ws.heap_;
  auto& pos = ws.heap_pos_;
  const auto s = static_cast<std::size_t>(from_node_idx);
  ws.stamp_[s] = epoch;
  ws.dist_ms_[s] = 0;
  ws.pred_link_[s] = -1;
  ws.push({use_h ? heuristic_ms(ws, from_node_idx, to_node_idx) : 0, 0, from_node_idx});
  bool found = false;
  while (!heap.empty()) {
    const RouterWorkspace::HeapEntry top = ws.pop();
    const auto u = static_cast<std::size_t>(top.node_idx);
    ++ws.n_settled_;
    if (top.node_idx == to_node_idx) {
      found = true;
      break;
    }

    // relax the links leaving u; equal distances keep the lower entering link
    for (std::int64_t j = graph_.out_begin[u]; j < graph_.out_begin[u + 1]; ++j) {
      const std::int32_t l = graph_.out_link_idx[static_cast<std::size_t>(j)];
      const std::int64_t c = cost_ms_[static_cast<std::size_t>(l)];
      if (c < 0) continue;
      const std::int32_t w_node = graph_.to_node_idx[static_cast<std::size_t>(l)];
      const auto w = static_cast<std::size_t>(w_node);
      const std::int64_t nd = top.dist_ms + c;
      if (ws.stamp_[w] != epoch) {
        ws.stamp_[w] = epoch;
        const std::int64_t h = use_h ? heuristic_ms(ws, w_node, to_node_idx) : 0;
        ws.dist_ms_[w] = nd;
        ws.pred_link_[w] = l;
        if (h == kInfMs) {
          pos[w] = kSettled;  // cannot reach the target
          continue;
        }
        ws.push({nd + h, nd, w_node});
      } else if (pos[w] != kSettled) {
        if (nd < ws.dist_ms_[w]) {
          const auto i = static_cast<std::size_t>(pos[w]);
          const std::int64_t h = heap[i].key_ms - heap[i].dist_ms;
          ws.dist_ms_[w] = nd;
          ws.pred_link_[w] = l;
          heap[i].key_ms = nd + h;
          heap[i].dist_ms = nd;
          ws.sift_up(i);
        } else if (nd == ws.dist_ms_[w] && l < ws.pred_link_[w]) {
          ws.pred_link_[w] = l;
        }
      }
    }
  }
  if (!found) return std::numeric_limits<double>::infinity();
  return extract_path(ws, from_node_idx, to_node_idx, path_link_idx);
}

double Router::extract_path(const RouterWorkspace& ws, std::int32_t from_node_idx,
                            std::int32_t to_node_idx,
                            std::vector<std::int32_t>& path_link_idx) const {
  // walk the predecessor links back to the source, then sum costs in travel order
  path_link_idx.clear();
  std::int32_t v = to_node_idx;
  while (v != from_node_idx) {
    const std::int32_t l = ws.pred_link_[static_cast<std::size_t>(v)];
    path_link_idx.push_back(l);
    v = graph_.from_node_idx[static_cast<std::size_t>(l)];
  }
  std::reverse(path_link_idx.begin(), path_link_idx.end());
  double cost_s = 0.0;
  for (const std::int32_t l : path_link_idx) cost_s += cost_s_[static_cast<std::size_t>(l)];
  return cost_s;
}

void Router::one_to_many(std::int32_t from_node_idx, std::span<const std::int32_t> to_node_idx,
                         RouterWorkspace& ws, std::span<double> cost_s) const {
  check_node(from_node_idx, "from_node_idx");
  if (cost_s.size() != to_node_idx.size()) {
    bad_argument("router: one_to_many cost_s has " + std::to_string(cost_s.size()) +
                 " entries, expected " + std::to_string(to_node_idx.size()));
  }
  for (const std::int32_t t : to_node_idx) check_node(t, "to_node_idx");

  // a full tree from the source: stopping early would save little for many targets, and the
  // tree is then complete for path_to()
  full_tree(from_node_idx, false, cost_ms_, ws);
  for (std::size_t i = 0; i < to_node_idx.size(); ++i) {
    const auto t = static_cast<std::size_t>(to_node_idx[i]);
    if (ws.stamp_[t] != ws.epoch_) {
      cost_s[i] = std::numeric_limits<double>::infinity();
      continue;
    }
    // sum the given costs along the tree path (target to source)
    double sum_s = 0.0;
    for (std::int32_t l = ws.pred_link_[t]; l >= 0;
         l = ws.pred_link_[static_cast<std::size_t>(
             graph_.from_node_idx[static_cast<std::size_t>(l)])]) {
      sum_s += cost_s_[static_cast<std::size_t>(l)];
    }
    cost_s[i] = sum_s;
  }
}

void Router::path_to(const RouterWorkspace& ws, std::int32_t to_node_idx,
                     std::vector<std::int32_t>& path_link_idx) const {
  check_node(to_node_idx, "to_node_idx");
  path_link_idx.clear();
  const auto t = static_cast<std::size_t>(to_node_idx);
  if (ws.stamp_[t] != ws.epoch_) return;
  std::int32_t v = to_node_idx;
  while (ws.pred_link_[static_cast<std::size_t>(v)] >= 0) {
    const std::int32_t l = ws.pred_link_[static_cast<std::size_t>(v)];
    path_link_idx.push_back(l);
    v = graph_.from_node_idx[static_cast<std::size_t>(l)];
  }
  std::reverse(path_link_idx.begin(), path_link_idx.end());
}

RouteSet Router::route_many(std::span<const std::int32_t> from_node_idx,
                            std::span<const std::int32_t> to_node_idx) const {
  // validate before the parallel loop: nothing may throw inside it
  if (from_node_idx.size() != to_node_idx.size()) {
    bad_argument("router: route_many got " + std::to_string(from_node_idx.size()) +
                 " sources and " + std::to_string(to_node_idx.size()) + " targets");
  }
  for (const std::int32_t n : from_node_idx) check_node(n, "from_node_idx");
  for (const std::int32_t n : to_node_idx) check_node(n, "to_node_idx");
  if (config_.algorithm == RouteAlgorithm::kAlt && landmarks_.empty()) {
    bad_argument("router: ALT query on a router built for Dijkstra");
  }

  // one workspace and one output buffer per thread, allocated before the loop
  const auto n_queries = static_cast<std::int64_t>(from_node_idx.size());
  const int n_threads = std::max(1, sim::thread_count());
  std::vector<RouterWorkspace> workspaces;
  workspaces.reserve(static_cast<std::size_t>(n_threads));
  for (int t = 0; t < n_threads; ++t) workspaces.emplace_back(graph_.n_nodes);
  std::vector<std::vector<std::int32_t>> buffers(static_cast<std::size_t>(n_threads));
  std::vector<std::int64_t> offset(static_cast<std::size_t>(n_queries), 0);
  std::vector<std::int32_t> owner(static_cast<std::size_t>(n_queries), 0);
  RouteSet out;
  out.cost_s.assign(static_cast<std::size_t>(n_queries), 0.0);
  out.path_begin.assign(static_cast<std::size_t>(n_queries) + 1, 0);

  // queries in parallel; each writes its path into its thread's buffer
#pragma omp parallel num_threads(n_threads)
  {
#ifdef _OPENMP
    const int tid = omp_get_thread_num();
#else
    const int tid = 0;
#endif
    RouterWorkspace& ws = workspaces[static_cast<std::size_t>(tid)];
    std::vector<std::int32_t>& buffer = buffers[static_cast<std::size_t>(tid)];
    std::vector<std::int32_t> path;
    path.reserve(1024);
#pragma omp for schedule(static)
    for (std::int64_t q = 0; q < n_queries; ++q) {
      const auto i = static_cast<std::size_t>(q);
      out.cost_s[i] = search(config_.algorithm, from_node_idx[i], to_node_idx[i], ws, path);
      offset[i] = static_cast<std::int64_t>(buffer.size());
      owner[i] = tid;
      out.path_begin[i + 1] = static_cast<std::int64_t>(path.size());
      buffer.insert(buffer.end(), path.begin(), path.end());
    }
  }

  // gather the paths in query order
  for (std::int64_t q = 0; q < n_queries; ++q) {
    const auto i = static_cast<std::size_t>(q);
    out.path_begin[i + 1] += out.path_begin[i];
  }
  out.link_idx.resize(static_cast<std::size_t>(out.path_begin.back()));
#pragma omp parallel for schedule(static)
  for (std::int64_t q = 0; q < n_queries; ++q) {
    const auto i = static_cast<std::size_t>(q);
    const auto& buffer = buffers[static_cast<std::size_t>(owner[i])];
    const auto len = out.path_begin[i + 1] - out.path_begin[i];
    std::copy_n(buffer.begin() + offset[i], len, out.link_idx.begin() + out.path_begin[i]);
  }
  return out;
}

}  // namespace citytwin::mobility
