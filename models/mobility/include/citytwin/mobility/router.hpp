#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include <citytwin/mobility/street_network.hpp>

namespace citytwin::mobility {

/// A read-only view of the directed link graph that routing and the queue model need: spans over
/// columns owned by someone else (usually a StreetNetwork), which must outlive the view. Nodes
/// are 0 .. n_nodes-1, links 0 .. n_links()-1. Links leaving node n are
/// out_link_idx[out_begin[n] .. out_begin[n+1]), links entering it in_link_idx[in_begin[n] ..
/// in_begin[n+1]). Thread-safe to read.
struct LinkGraph {
  std::int32_t n_nodes = 0;                         ///< [1] number of nodes
  std::span<const std::int32_t> from_node_idx;      ///< start node of each link (n_links)
  std::span<const std::int32_t> to_node_idx;        ///< end node of each link (n_links)
  std::span<const double> length_m;                 ///< [m] link length (n_links)
  std::span<const double> free_speed_mps;           ///< [m s-1] free speed, > 0 (n_links)
  std::span<const double> flow_capacity_veh_per_h;  ///< [veh h-1] all lanes, > 0 (n_links)
  std::span<const double> storage_capacity_veh;     ///< [veh] vehicles the link holds (n_links)
  std::span<const double> grade_frac;               ///< [1] rise / length (n_links), empty = flat
  std::span<const std::uint8_t> modes;              ///< kMode* bits (n_links), empty = all modes
  std::span<const std::int64_t> out_begin;          ///< n_nodes + 1 offsets into out_link_idx
  std::span<const std::int32_t> out_link_idx;       ///< links grouped by from node
  std::span<const std::int64_t> in_begin;           ///< n_nodes + 1 offsets into in_link_idx
  std::span<const std::int32_t> in_link_idx;        ///< links grouped by to node

  /// Number of links.
  [[nodiscard]] std::int64_t n_links() const {
    return static_cast<std::int64_t>(from_node_idx.size());
  }
};

/// Views the columns of a finalized StreetNetwork as a LinkGraph (no copy; `network` must
/// outlive the view).
[[nodiscard]] LinkGraph link_graph_of(const StreetNetwork& network);

/// Checks a LinkGraph: column sizes, node indices in range, stars consistent with the link
/// ends, lengths >= 0, free speeds and capacities > 0. Throws std::invalid_argument naming the
/// column and the first bad link or node.
void validate_link_graph(const LinkGraph& graph);

/// Shortest-path algorithm of a Router (docs/models/mobility.md#routing).
enum class RouteAlgorithm : std::uint8_t {
  kDijkstra = 0,  ///< Dijkstra with a binary heap, stops when the target is settled
  kAlt = 1,       ///< A* with landmarks and the triangle inequality (Goldberg & Harrelson 2005)
};

/// Which link costs the ALT landmark distances are computed on.
enum class LandmarkCosts : std::uint8_t {
  kFreeFlow = 0,  ///< free-flow times, computed once; valid while costs only grow
  kCurrent = 1,   ///< the current costs, recomputed by every set_costs()
};

/// Router settings.
struct RouterConfig {
  RouteAlgorithm algorithm = RouteAlgorithm::kAlt;  ///< algorithm of one-to-one queries
  std::int32_t n_landmarks = 16;        ///< [1] ALT landmarks, 1..64, chosen by farthest selection
  std::int32_t n_active_landmarks = 8;  ///< [1] landmarks used per query (best bounds at start)
  LandmarkCosts landmark_costs = LandmarkCosts::kCurrent;  ///< landmark distance costs
};

/// Paths of many queries, as compressed rows: query q uses
/// link_idx[path_begin[q] .. path_begin[q+1]), in travel order.
struct RouteSet {
  std::vector<std::int64_t> path_begin{0};  ///< n_queries + 1 offsets into link_idx
  std::vector<std::int32_t> link_idx;       ///< links of all paths, in travel order
  std::vector<double> cost_s;  ///< [s] path cost (sum of link costs), +inf if unreachable
};

/// Per-thread scratch space of a Router: labels and heap for one query at a time, allocated
/// once (O(n_nodes)) and reused; a query never allocates. Not thread-safe: one per thread.
class RouterWorkspace {
 public:
  /// Allocates labels for a graph of n_nodes nodes.
  explicit RouterWorkspace(std::int32_t n_nodes);

  /// [1] nodes settled by the last query (a measure of search effort).
  [[nodiscard]] std::int64_t n_settled() const { return n_settled_; }

 private:
  friend class Router;
  struct HeapEntry {
    std::int64_t key_ms;   // dist + heuristic
    std::int64_t dist_ms;  // tie-break: smaller dist first
    std::int32_t node_idx;
  };
  void next_epoch();                     // invalidates all labels in O(1)
  void sift_up(std::size_t i);           // restores the heap after a key decrease at i
  void push(const HeapEntry& entry);     // inserts a node
  HeapEntry pop();                       // removes the minimum and marks it settled
  std::vector<std::uint32_t> stamp_;     // labels of node v are valid when stamp_[v] == epoch_
  std::vector<std::int64_t> dist_ms_;    // [ms] tentative distance
  std::vector<std::int32_t> pred_link_;  // link into v on the best path, -1 at the source
  std::vector<std::int32_t> heap_pos_;   // position in heap_, -1 unreached, -2 settled
  std::vector<HeapEntry> heap_;          // indexed binary heap
  std::vector<std::int32_t> active_;     // landmarks of the current ALT query
  std::uint32_t epoch_ = 0;
  std::int64_t n_settled_ = 0;
};

/// Shortest paths on per-link costs (usually current travel times), one-to-one with Dijkstra or
/// ALT, one-to-many with Dijkstra, and many queries in parallel (docs/models/mobility.md#routing).
///
/// Costs are rounded to whole milliseconds (at least 1 ms) so that sums are exact integers;
/// a cost of +inf closes the link. Ties are broken deterministically: among equal-cost paths,
/// each node is reached through the entering link of lowest link_idx, so Dijkstra and ALT give
/// the same path, link for link, on any thread count.
///
/// ALT landmark distances must be lower bounds of the current costs. With
/// LandmarkCosts::kCurrent they are computed on the current costs, again at every set_costs()
/// (2 × n_landmarks full Dijkstra trees). With kFreeFlow they are computed once on the free-flow
/// times length / free speed, which stay lower bounds while congestion only adds time;
/// set_costs() recomputes them on the element-wise minimum when a cost drops below.
/// Const queries are thread-safe with one RouterWorkspace per thread.
class Router {
 public:
  /// Builds the router on `graph` (validated; must outlive the router) with link costs
  /// `cost_s` (n_links, [s], >= 0 or +inf) and selects the landmarks when config asks for ALT.
  /// Throws std::invalid_argument on a bad graph, cost or config.
  Router(const LinkGraph& graph, std::span<const double> cost_s, RouterConfig config = {});

  /// Replaces the link costs (n_links, [s]); recomputes the landmarks if a cost falls below its
  /// lower bound. Not thread-safe against running queries.
  void set_costs(std::span<const double> cost_s);

  /// Shortest path from node `from_node_idx` to node `to_node_idx` with the configured
  /// algorithm: writes its links (travel order) into `path_link_idx` (cleared first) and returns
  /// its cost [s] (sum of link costs), or +inf with an empty path when unreachable.
  double route(std::int32_t from_node_idx, std::int32_t to_node_idx, RouterWorkspace& workspace,
               std::vector<std::int32_t>& path_link_idx) const;

  /// Same as route() with an explicit algorithm (for comparisons).
  double route_with(RouteAlgorithm algorithm, std::int32_t from_node_idx, std::int32_t to_node_idx,
                    RouterWorkspace& workspace, std::vector<std::int32_t>& path_link_idx) const;

  /// One Dijkstra tree from `from_node_idx` over the whole graph (same tie-breaking as route()):
  /// writes each target's cost [s] into `cost_s` (same size as `to_node_idx`, +inf if
  /// unreachable). The tree stays in `workspace` for path_to() until its next query.
  void one_to_many(std::int32_t from_node_idx, std::span<const std::int32_t> to_node_idx,
                   RouterWorkspace& workspace, std::span<double> cost_s) const;

  /// Path to `to_node_idx` in the tree of the last one_to_many() in `workspace` (travel
  /// order, cleared first); empty when the node was not reached.
  void path_to(const RouterWorkspace& workspace, std::int32_t to_node_idx,
               std::vector<std::int32_t>& path_link_idx) const;

  /// Runs the queries (from_node_idx[q], to_node_idx[q]) in parallel (OpenMP, static schedule,
  /// one workspace per thread) with the configured algorithm. Results do not depend on the
  /// thread count. Throws std::invalid_argument on unequal sizes or nodes out of range.
  [[nodiscard]] RouteSet route_many(std::span<const std::int32_t> from_node_idx,
                                    std::span<const std::int32_t> to_node_idx) const;

  /// The landmark nodes (empty for Dijkstra).
  [[nodiscard]] const std::vector<std::int32_t>& landmark_node_idx() const { return landmarks_; }
  /// [1] times the landmarks were computed (1 after construction with ALT).
  [[nodiscard]] std::int32_t n_landmark_updates() const { return n_landmark_updates_; }
  /// The graph routed on.
  [[nodiscard]] const LinkGraph& graph() const { return graph_; }

 private:
  double search(RouteAlgorithm algorithm, std::int32_t from_node_idx, std::int32_t to_node_idx,
                RouterWorkspace& workspace, std::vector<std::int32_t>& path_link_idx) const;
  void set_cost_ms(std::span<const double> cost_s);
  void select_landmarks();
  void full_tree(std::int32_t source, bool backward, const std::vector<std::int64_t>& cost_ms,
                 RouterWorkspace& workspace) const;
  [[nodiscard]] std::int64_t heuristic_ms(const RouterWorkspace& workspace, std::int32_t node,
                                          std::int32_t target) const;
  double extract_path(const RouterWorkspace& workspace, std::int32_t from_node_idx,
                      std::int32_t to_node_idx, std::vector<std::int32_t>& path_link_idx) const;
  void check_node(std::int32_t node_idx, const char* name) const;

  LinkGraph graph_;
  RouterConfig config_;
  std::vector<double> cost_s_;            // [s] link costs as given
  std::vector<std::int64_t> cost_ms_;     // [ms] rounded costs, -1 = closed
  std::vector<std::int64_t> free_ms_;    // [ms] free-flow times
  std::vector<std::int64_t> bound_ms_;    // [ms] lower bounds the landmarks were computed on
  std::vector<std::int32_t> landmarks_;   // landmark nodes
  std::vector<std::int32_t> from_lm_ms_;  // [ms] d(landmark k, v) at [v * K + k], max = none
  std::vector<std::int32_t> to_lm_ms_;    // [ms] d(v, landmark k) at [v * K + k], max = none
  std::int32_t n_landmark_updates_ = 0;
};

}  // namespace citytwin::mobility
