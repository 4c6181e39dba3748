#include <chrono>
#include <cmath>
#include <cstdio>
#include <utility>
#include <limits>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

#include <citytwin/mobility/router.hpp>
#include <citytwin/sim/city_generator.hpp>
#include <citytwin/sim/parallel.hpp>
#include <citytwin/sim/rng.hpp>

#include "traffic_test_graphs.hpp"

namespace citytwin::mobility {
namespace {

using testing::grid_city;
using testing::OwnedGraph;

constexpr double kInf = std::numeric_limits<double>::infinity();

// free-flow travel times of every link
std::vector<double> free_flow_s(const LinkGraph& g) {
  std::vector<double> cost(static_cast<std::size_t>(g.n_links()));
  for (std::size_t l = 0; l < cost.size(); ++l) cost[l] = g.length_m[l] / g.free_speed_mps[l];
  return cost;
}

// a diamond 0 → {1, 2} → 3 with unit costs; `swap` exchanges the link numbering of the branches
OwnedGraph diamond(bool swap) {
  OwnedGraph g;
  g.n_nodes = 4;
  const std::int32_t a = swap ? 2 : 1;
  const std::int32_t b = swap ? 1 : 2;
  g.add_link(0, a, 10.0, 10.0, 1000.0);  // link 0
  g.add_link(0, b, 10.0, 10.0, 1000.0);  // link 1
  g.add_link(a, 3, 10.0, 10.0, 1000.0);  // link 2
  g.add_link(b, 3, 10.0, 10.0, 1000.0);  // link 3
  return g;
}

TEST(RouterTest, HandComputedPathAndCost) {
  // 0 → 1 → 2 costs 3 + 4 = 7 s, the direct 0 → 2 link 9 s, 2 → 3 1 s
  OwnedGraph g;
  g.n_nodes = 4;
  g.add_link(0, 1, 30.0, 10.0, 1000.0);
  g.add_link(1, 2, 40.0, 10.0, 1000.0);
  g.add_link(0, 2, 90.0, 10.0, 1000.0);
  g.add_link(2, 3, 10.0, 10.0, 1000.0);
  const LinkGraph view = g.view();
  for (const RouteAlgorithm algorithm : {RouteAlgorithm::kDijkstra, RouteAlgorithm::kAlt}) {
    const Router router(view, free_flow_s(view), {algorithm, 2, 2});
    RouterWorkspace ws(view.n_nodes);
    std::vector<std::int32_t> path;
    EXPECT_DOUBLE_EQ(router.route(0, 3, ws, path), 8.0);
    EXPECT_EQ(path, (std::vector<std::int32_t>{0, 1, 3}));
    EXPECT_DOUBLE_EQ(router.route(2, 2, ws, path), 0.0);
    EXPECT_TRUE(path.empty());
    // one-way links: nothing leads back to 0
    EXPECT_EQ(router.route(3, 0, ws, path), kInf);
    EXPECT_TRUE(path.empty());
  }
}

TEST(RouterTest, EqualCostsEnterThroughTheLowerLink) {
  // both branches cost 2 s; node 3 is entered through the lower of links 2 and 3, which is the
  // branch through node 1 in the first numbering and through node 2 in the swapped one
  for (const bool swap : {false, true}) {
    OwnedGraph g = diamond(swap);
    const LinkGraph view = g.view();
    for (const RouteAlgorithm algorithm : {RouteAlgorithm::kDijkstra, RouteAlgorithm::kAlt}) {
      const Router router(view, free_flow_s(view), {algorithm, 2, 2});
      RouterWorkspace ws(view.n_nodes);
      std::vector<std::int32_t> path;
      EXPECT_DOUBLE_EQ(router.route(0, 3, ws, path), 2.0);
      EXPECT_EQ(path, (std::vector<std::int32_t>{0, 2}));
    }
  }
}

// random queries on a grid: Dijkstra and ALT give the same links and costs
void expect_alt_equals_dijkstra(const LinkGraph& view, const std::vector<double>& cost_s,
                                std::uint64_t seed, std::int32_t n_queries,
                                LandmarkCosts landmark_costs, double min_speedup) {
  const Router router(view, cost_s, {RouteAlgorithm::kAlt, 16, 4, landmark_costs});
  RouterWorkspace ws(view.n_nodes);
  std::vector<std::int32_t> path_dijkstra;
  std::vector<std::int32_t> path_alt;
  std::int64_t settled_dijkstra = 0;
  std::int64_t settled_alt = 0;
  for (std::int32_t q = 0; q < n_queries; ++q) {
    sim::Rng rng = sim::rng_for(seed, 2, static_cast<std::uint64_t>(q), 0);
    const auto s =
        static_cast<std::int32_t>(rng.uniform_int(static_cast<std::uint64_t>(view.n_nodes)));
    const auto t =
        static_cast<std::int32_t>(rng.uniform_int(static_cast<std::uint64_t>(view.n_nodes)));
    const double c_dijkstra = router.route_with(RouteAlgorithm::kDijkstra, s, t, ws, path_dijkstra);
    settled_dijkstra += ws.n_settled();
    const double c_alt = router.route_with(RouteAlgorithm::kAlt, s, t, ws, path_alt);
    settled_alt += ws.n_settled();
    ASSERT_EQ(path_alt, path_dijkstra) << "query " << q << ": " << s << " -> " << t;
    ASSERT_EQ(c_alt, c_dijkstra);
  }
  // the landmarks must prune the search
  EXPECT_GT(static_cast<double>(settled_dijkstra), min_speedup * static_cast<double>(settled_alt));
}

TEST(RouterTest, AltEqualsDijkstraOnUniformGrid) {
  // equal lengths: many equal-cost paths, a hard case for tie-breaking
  OwnedGraph g = grid_city(20, 20, 100.0);
  const LinkGraph view = g.view();
  expect_alt_equals_dijkstra(view, free_flow_s(view), 11, 1000, LandmarkCosts::kFreeFlow, 3.0);
}

TEST(RouterTest, AltEqualsDijkstraOnJitteredCongestedGrid) {
  // random lengths and random congestion factors >= 1: the free-flow landmarks stay valid
  OwnedGraph g = grid_city(20, 20, 100.0, 7);
  const LinkGraph view = g.view();
  std::vector<double> cost = free_flow_s(view);
  for (std::size_t l = 0; l < cost.size(); ++l) {
    cost[l] *= 1.0 + 3.0 * sim::rng_for(5, 3, l, 0).uniform();
  }
  // free-flow landmarks are loose bounds on 1–4× slower links; landmarks on the current costs
  // are tight again
  expect_alt_equals_dijkstra(view, cost, 13, 1000, LandmarkCosts::kFreeFlow, 1.2);
  expect_alt_equals_dijkstra(view, cost, 13, 1000, LandmarkCosts::kCurrent, 3.0);
}

TEST(RouterTest, LandmarksRecomputedWhenCostsDropBelowFreeFlow) {
  OwnedGraph g = grid_city(12, 12, 100.0, 3);
  const LinkGraph view = g.view();
  std::vector<double> cost = free_flow_s(view);
  Router router(view, cost, {RouteAlgorithm::kAlt, 8, 3, LandmarkCosts::kFreeFlow});
  EXPECT_EQ(router.n_landmark_updates(), 1);
  EXPECT_EQ(router.landmark_node_idx().size(), 8U);

  // slower links keep the landmarks
  for (double& c : cost) c *= 2.0;
  router.set_costs(cost);
  EXPECT_EQ(router.n_landmark_updates(), 1);

  // one faster-than-free-flow link forces new landmarks; paths still match Dijkstra
  cost[5] = 0.1;
  router.set_costs(cost);
  EXPECT_EQ(router.n_landmark_updates(), 2);
  RouterWorkspace ws(view.n_nodes);
  std::vector<std::int32_t> a;
  std::vector<std::int32_t> b;
  for (std::int32_t s = 0; s < view.n_nodes; s += 7) {
    for (std::int32_t t = 0; t < view.n_nodes; t += 5) {
      const double ca = router.route_with(RouteAlgorithm::kAlt, s, t, ws, a);
      const double cb = router.route_with(RouteAlgorithm::kDijkstra, s, t, ws, b);
      ASSERT_EQ(a, b);
      ASSERT_EQ(ca, cb);
    }
  }

  // landmarks on current costs follow every change
  Router current(view, cost, {RouteAlgorithm::kAlt, 8, 3, LandmarkCosts::kCurrent});
  EXPECT_EQ(current.n_landmark_updates(), 1);
  current.set_costs(cost);
  EXPECT_EQ(current.n_landmark_updates(), 2);
}

TEST(RouterTest, ClosedLinkIsAvoided) {
  // closing link 0 of the diamond sends the route through links 1 and 3
  OwnedGraph g = diamond(false);
  const LinkGraph view = g.view();
  std::vector<double> cost = free_flow_s(view);
  cost[0] = kInf;
  const Router router(view, cost, {RouteAlgorithm::kAlt, 2, 2});
  RouterWorkspace ws(view.n_nodes);
  std::vector<std::int32_t> path;
  EXPECT_DOUBLE_EQ(router.route(0, 3, ws, path), 2.0);
  EXPECT_EQ(path, (std::vector<std::int32_t>{1, 3}));
}

TEST(RouterTest, OneToManyMatchesOneToOne) {
  OwnedGraph g = grid_city(10, 10, 100.0, 9);
  const LinkGraph view = g.view();
  const Router router(view, free_flow_s(view), {RouteAlgorithm::kDijkstra, 16, 4});
  RouterWorkspace tree(view.n_nodes);
  RouterWorkspace ws(view.n_nodes);
  const std::vector<std::int32_t> targets{0, 9, 45, 99, 57, 57};
  std::vector<double> cost(targets.size());
  router.one_to_many(33, targets, tree, cost);
  std::vector<std::int32_t> from_tree;
  std::vector<std::int32_t> direct;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const double c = router.route(33, targets[i], ws, direct);
    router.path_to(tree, targets[i], from_tree);
    EXPECT_EQ(from_tree, direct);
    EXPECT_NEAR(cost[i], c, 1e-9 /* summation order */);
  }
}

TEST(RouterTest, RouteManyIsThreadCountIndependent) {
  OwnedGraph g = grid_city(15, 15, 100.0, 4);
  const LinkGraph view = g.view();
  const Router router(view, free_flow_s(view));
  std::vector<std::int32_t> from;
  std::vector<std::int32_t> to;
  for (std::uint64_t q = 0; q < 500; ++q) {
    sim::Rng rng = sim::rng_for(21, 4, q, 0);
    from.push_back(static_cast<std::int32_t>(rng.uniform_int(225)));
    to.push_back(static_cast<std::int32_t>(rng.uniform_int(225)));
  }
  sim::set_thread_count(1);
  const RouteSet one = router.route_many(from, to);
  sim::set_thread_count(2);
  const RouteSet two = router.route_many(from, to);
  sim::set_thread_count(0);
  EXPECT_EQ(one.path_begin, two.path_begin);
  EXPECT_EQ(one.link_idx, two.link_idx);
  EXPECT_EQ(one.cost_s, two.cost_s);

  // and each row equals the single query
  RouterWorkspace ws(view.n_nodes);
  std::vector<std::int32_t> path;
  for (std::size_t q = 0; q < from.size(); q += 37) {
    EXPECT_EQ(router.route(from[q], to[q], ws, path), one.cost_s[q]);
    const std::vector<std::int32_t> row(one.link_idx.begin() + one.path_begin[q],
                                        one.link_idx.begin() + one.path_begin[q + 1]);
    EXPECT_EQ(row, path);
  }
}

TEST(RouterTest, RoutesOnAGeneratedCityNetwork) {
  // the view of a StreetNetwork: paths follow joined links and cost their free-flow sum
  sim::CityGeneratorOptions options;
  options.n_buildings = 150;
  const StreetNetwork net = build_street_network(sim::generate_city(options));
  const LinkGraph view = link_graph_of(net);
  const std::vector<double> cost = free_flow_s(view);
  const Router router(view, cost);
  RouterWorkspace ws(view.n_nodes);
  std::vector<std::int32_t> path;
  std::int32_t n_found = 0;
  for (std::int32_t t = 1; t < view.n_nodes; t += 3) {
    const double c = router.route(0, t, ws, path);
    if (std::isinf(c)) continue;
    ++n_found;
    double sum = 0.0;
    std::int32_t at = 0;
    for (const std::int32_t l : path) {
      ASSERT_EQ(view.from_node_idx[static_cast<std::size_t>(l)], at);
      at = view.to_node_idx[static_cast<std::size_t>(l)];
      sum += cost[static_cast<std::size_t>(l)];
    }
    EXPECT_EQ(at, t);
    EXPECT_DOUBLE_EQ(c, sum);
  }
  EXPECT_GT(n_found, 0);
}

TEST(RouterTest, BadArgumentsAreNamed) {
  OwnedGraph g = diamond(false);
  const LinkGraph view = g.view();
  const Router router(view, free_flow_s(view), {RouteAlgorithm::kDijkstra, 2, 2});
  RouterWorkspace ws(view.n_nodes);
  std::vector<std::int32_t> path;
  try {
    (void)router.route(0, 7, ws, path);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "router: to_node_idx must be in 0..3 (got 7)");
  }
  EXPECT_THROW((void)router.route_with(RouteAlgorithm::kAlt, 0, 3, ws, path),
               std::invalid_argument);
  std::vector<double> cost = free_flow_s(view);
  cost[2] = -1.0;
  try {
    const Router bad(view, cost);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "router: cost_s[2] must be >= 0 or +inf (got -1.000000)");
  }
  g.free_speed_mps[1] = 0.0;
  try {
    validate_link_graph(view);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "link graph: free_speed_mps[1] must be finite and > 0 (got 0.000000)");
  }
}

// measurement (run by hand with --gtest_also_run_disabled_tests): queries per second of
// Dijkstra and ALT on a 100 × 100 grid city; docs/models/mobility.md#routing
TEST(RouterTest, DISABLED_MeasureQueriesPerSecond) {
  OwnedGraph g = grid_city(100, 100, 100.0, 1);
  const LinkGraph view = g.view();
  const std::vector<double> cost = free_flow_s(view);
  std::vector<std::int32_t> from;
  std::vector<std::int32_t> to;
  for (std::uint64_t q = 0; q < 2000; ++q) {
    sim::Rng rng = sim::rng_for(99, 5, q, 0);
    from.push_back(static_cast<std::int32_t>(rng.uniform_int(10000)));
    to.push_back(static_cast<std::int32_t>(rng.uniform_int(10000)));
  }
  std::vector<double> congested = cost;
  for (std::size_t l = 0; l < congested.size(); ++l) {
    congested[l] *= 1.0 + 3.0 * sim::rng_for(5, 3, l, 0).uniform();
  }
  using enum RouteAlgorithm;
  using enum LandmarkCosts;
  const std::vector<std::pair<const char*, RouterConfig>> configs{
      {"dijkstra", {kDijkstra, 16, 4, kCurrent}}, {"alt16/4", {kAlt, 16, 4, kCurrent}},
      {"alt16/8", {kAlt, 16, 8, kCurrent}},       {"alt16/16", {kAlt, 16, 16, kCurrent}},
      {"alt8/8", {kAlt, 8, 8, kCurrent}},         {"alt16/8ff", {kAlt, 16, 8, kFreeFlow}}};
  for (const auto& [costs_name, costs] :
       {std::pair{"free-flow", &cost}, std::pair{"congested", &std::as_const(congested)}}) {
    for (const auto& [name, config] : configs) {
      // landmarks on free-flow times, then the costs of the case
      const auto t0 = std::chrono::steady_clock::now();
      Router router(view, cost, config);
      router.set_costs(*costs);
      const auto t1 = std::chrono::steady_clock::now();
      for (const int n_threads : {1, 2}) {
        sim::set_thread_count(n_threads);
        const auto q0 = std::chrono::steady_clock::now();
        const RouteSet routes = router.route_many(from, to);
        const auto q1 = std::chrono::steady_clock::now();
        const double s = std::chrono::duration<double>(q1 - q0).count();
        std::printf("%s %-9s threads %d: %8.0f queries/s (set_costs %.3f s, %zu links)\n",
                    costs_name, name, n_threads, static_cast<double>(from.size()) / s,
                    std::chrono::duration<double>(t1 - t0).count(), routes.link_idx.size());
      }
    }
  }
  sim::set_thread_count(0);
}

}  // namespace
}  // namespace citytwin::mobility
