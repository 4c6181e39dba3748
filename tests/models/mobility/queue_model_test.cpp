#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <ctime>
#include <stdexcept>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <citytwin/mobility/queue_model.hpp>
#include <citytwin/mobility/router.hpp>
#include <citytwin/mobility/signals.hpp>
#include <citytwin/sim/parallel.hpp>
#include <citytwin/sim/rng.hpp>

#include "traffic_test_graphs.hpp"

namespace citytwin::mobility {
namespace {

using testing::grid_city;
using testing::OwnedGraph;

// a chain 0 → 1 → 2 → 3 of links 100, 250 and 55 m at 50 km/h
OwnedGraph chain() {
  OwnedGraph g;
  g.n_nodes = 4;
  g.add_link(0, 1, 100.0, 50.0 / 3.6, 1800.0);
  g.add_link(1, 2, 250.0, 50.0 / 3.6, 1800.0);
  g.add_link(2, 3, 55.0, 50.0 / 3.6, 1800.0);
  return g;
}

TEST(QueueModelTest, FreeFlowTimesAreExactOnAnEmptyNetwork) {
  // ticks per link: ceil(100 / 13.889) = ceil(7.2) = 8, 250 / 13.889 = 18 exactly, and
  // ceil(3.96) = 4: 30 s in all, whatever the departure
  OwnedGraph g = chain();
  const LinkGraph view = g.view();
  Trips trips;
  trips.add(5.0, kModeCar, {0, 1, 2});
  trips.add(7.0, kModeCar, {1, 2});
  const QueueModel model(view, trips, {});
  EXPECT_EQ(model.free_ticks(0), 8);
  EXPECT_EQ(model.free_ticks(1), 18);
  EXPECT_EQ(model.free_ticks(2), 4);
  const QueueModelResult r = model.run();
  EXPECT_EQ(r.trips.departure_s, (std::vector<double>{5.0, 7.0}));
  EXPECT_EQ(r.trips.arrival_s, (std::vector<double>{35.0, 29.0}));
  EXPECT_EQ(r.trips.travel_time_s, (std::vector<double>{30.0, 22.0}));
  EXPECT_EQ(r.trips.delay_s, (std::vector<double>{0.0, 0.0}));
  EXPECT_EQ(r.trips.distance_m, (std::vector<double>{405.0, 305.0}));
  EXPECT_EQ(r.trips.stuck_count, (std::vector<std::int32_t>{0, 0}));
  EXPECT_EQ(r.n_link_traversals, 5);
}

TEST(QueueModelTest, BikesAndWalkersUseTheirOwnSpeeds) {
  // bike: 15 km/h × max(0.3, 1 − 10 × grade); 100 m flat = 24 s, 5 % = half speed = 48 s,
  // 10 % = floor 0.3 = 80 s; walk 1.4 m/s: ceil(71.4) = 72 s per link
  OwnedGraph g;
  g.n_nodes = 4;
  g.add_link(0, 1, 100.0, 50.0 / 3.6, 1800.0, -1.0, 0.0);
  g.add_link(1, 2, 100.0, 50.0 / 3.6, 1800.0, -1.0, 0.05);
  g.add_link(2, 3, 100.0, 50.0 / 3.6, 1800.0, -1.0, 0.1);
  const LinkGraph view = g.view();
  Trips trips;
  trips.add(0.0, kModeBike, {0, 1, 2});
  trips.add(10.0, kModeWalk, {0, 1});
  trips.add(3.0, kModeCar, {});
  const QueueModelResult r = QueueModel(view, trips, {}).run();
  EXPECT_EQ(r.trips.arrival_s, (std::vector<double>{152.0, 154.0, 3.0}));
  EXPECT_EQ(r.trips.delay_s, (std::vector<double>{0.0, 0.0, 0.0}));
  EXPECT_EQ(r.trips.distance_m, (std::vector<double>{300.0, 200.0, 0.0}));
  EXPECT_EQ(r.n_link_traversals, 0);  // link statistics count cars only
}

TEST(QueueModelTest, SingleLinkDischargesAtCapacity) {
  // link 0: 750 m at 50 km/h (54 ticks), 1800 veh/h = 0.5 veh/s, storage 100; link 1: 100 m
  // (8 ticks), 7200 veh/h. 1000 cars depart at once: car i leaves link 0 at 54 + 2i and
  // arrives 8 s later; the discharge from first to last takes 1998 s (999 headways of 2 s)
  OwnedGraph g;
  g.n_nodes = 3;
  g.add_link(0, 1, 750.0, 50.0 / 3.6, 1800.0);
  g.add_link(1, 2, 100.0, 50.0 / 3.6, 7200.0);
  const LinkGraph view = g.view();
  Trips trips;
  for (int i = 0; i < 1000; ++i) trips.add(0.0, kModeCar, {0, 1});
  const QueueModel model(view, trips, {});
  EXPECT_EQ(model.storage_veh(0), 100);
  const QueueModelResult r = model.run();
  for (std::size_t i = 0; i < 1000; ++i) {
    ASSERT_EQ(r.trips.arrival_s[i], 62.0 + 2.0 * static_cast<double>(i)) << "car " << i;
  }
  const double discharge_s = r.trips.arrival_s[999] - r.trips.arrival_s[0];
  EXPECT_NEAR(discharge_s, 2000.0, 20.0 /* 1 % */);

  // 900 s intervals: 423 cars leave link 0 in [0, 900), 450 = capacity in [900, 1800), 127 after
  ASSERT_EQ(r.link_stats.n_intervals(), 3);
  EXPECT_EQ(r.link_stats.volume_veh[0], 423);
  EXPECT_EQ(r.link_stats.volume_veh[2], 450);
  EXPECT_EQ(r.link_stats.volume_veh[4], 127);
  EXPECT_EQ(r.link_stats.start_s, (std::vector<double>{0.0, 900.0, 1800.0}));
  // link 1 runs at discretised free flow: 100 m in 8 s; link 0 holds a full queue
  EXPECT_DOUBLE_EQ(r.link_stats.mean_speed_mps[3], 12.5);
  // in [900, 1800) link 0 alternates between 99 (a car left) and 100 (a waiting car entered)
  EXPECT_DOUBLE_EQ(r.link_stats.density_veh_per_km[2], 99.5 / 0.75);
  EXPECT_GT(r.link_stats.queue_veh[2], 70.0);
  EXPECT_EQ(r.n_stuck_releases, 0);
}

TEST(QueueModelTest, CreditIsRegainedOverTheTicksALinkSleeps) {
  // link 0 (150 m at 15 m/s = 10 ticks, 1200 veh/h = 1/3 veh per tick) then link 1 (1 tick);
  // links 2 and 3 alone (10 ticks, 180 veh/h = 0.05 veh per tick). Credits regained tick by
  // tick as if every link were visited every tick:
  //  A departs 0 and leaves link 0 at 10 (credit 1 → 0); B departs 3, due at 13 and asleep
  //    until then with credit 1/3 after tick 11: 2/3 at 12, 1 at 13 → leaves at 13, arrives 14
  //  E departs 0 and arrives at 10 (credit → 0, link 2 empty); F departs 10 on link 4 (1 tick)
  //    and enters link 2 at 11: the empty queue seen at tick 11 refilled the credit → F
  //    arrives when due, at 21
  //  E' departs 0 and arrives at 10 on link 3; G departs 10 and enters the same tick, the queue
  //    never empty at a link phase: 0.05 per tick from 0 → 1 after 20 ticks → arrives at 30
  OwnedGraph g;
  g.n_nodes = 8;
  g.add_link(0, 1, 150.0, 15.0, 1200.0);
  g.add_link(1, 2, 15.0, 15.0, 3600.0);
  g.add_link(3, 4, 150.0, 15.0, 180.0);
  g.add_link(5, 6, 150.0, 15.0, 180.0);
  g.add_link(7, 3, 15.0, 15.0, 3600.0);
  const LinkGraph view = g.view();
  Trips trips;
  trips.add(0.0, kModeCar, {0, 1});   // A
  trips.add(3.0, kModeCar, {0, 1});   // B
  trips.add(0.0, kModeCar, {2});      // E
  trips.add(10.0, kModeCar, {4, 2});  // F
  trips.add(0.0, kModeCar, {3});      // E'
  trips.add(10.0, kModeCar, {3});     // G
  const QueueModelResult r = QueueModel(view, trips, {}).run();
  EXPECT_EQ(r.trips.arrival_s, (std::vector<double>{11.0, 14.0, 10.0, 21.0, 10.0, 30.0}));
}

// the bottleneck network: A 0→1 (75 m, 5 ticks, storage 10, 1 veh/s), B 1→2 (15 m, 1 tick,
// storage 2, 0.1 veh/s), C 2→3 and D 1→4 (150 m, 10 ticks, 1 veh/s)
OwnedGraph bottleneck() {
  OwnedGraph g;
  g.n_nodes = 5;
  g.add_link(0, 1, 75.0, 15.0, 3600.0);   // A
  g.add_link(1, 2, 15.0, 15.0, 360.0);    // B
  g.add_link(2, 3, 150.0, 15.0, 3600.0);  // C
  g.add_link(1, 4, 150.0, 15.0, 3600.0);  // D
  return g;
}

TEST(QueueModelTest, BottleneckSpillsBackAndBlocksUpstream) {
  // 12 cars A→B→C and then one A→D depart at 0. B lets one car out every 10 s (car i at
  // 6 + 10i, arriving after C at 16 + 10i); B (2) and A (10) fill up; the A→D car is stuck
  // behind them in A's FIFO until car 11 has crossed into B at 97: it leaves A at 98 and arrives
  // at 108 instead of 15 (hand-traced in docs/models/mobility.md#traffic-flow)
  OwnedGraph g = bottleneck();
  const LinkGraph view = g.view();
  Trips trips;
  for (int i = 0; i < 12; ++i) trips.add(0.0, kModeCar, {0, 1, 2});
  trips.add(0.0, kModeCar, {0, 3});
  QueueModelConfig config;
  config.stuck_time_s = 1e6;
  const QueueModel model(view, trips, config);
  ASSERT_EQ(model.storage_veh(0), 10);
  ASSERT_EQ(model.storage_veh(1), 2);
  QueueState state = model.initial_state();
  LinkIntervalStats stats;
  std::int32_t max_a = 0;
  std::int32_t max_b = 0;
  std::int64_t full_a_ticks = 0;
  std::int64_t blocked_a_ticks = 0;
  while (!model.done(state)) {
    model.step(state, stats);
    max_a = std::max(max_a, state.link[0].n_on_link);
    max_b = std::max(max_b, state.link[1].n_on_link);
    if (state.link[0].n_on_link == 10) ++full_a_ticks;
    if (state.link[0].n_buffer == 1) ++blocked_a_ticks;
  }
  EXPECT_EQ(max_a, 10);
  EXPECT_EQ(max_b, 2);
  // A is full at 0–4 (cars 0–9; the others wait to depart) and again at 8–16 (cars 10–12
  // entered at 6, 7, 8) until car 3 crosses into B at 17: 5 + 9 ticks
  EXPECT_EQ(full_a_ticks, 14);
  // cars 3..11 each wait 9 ticks at the head of A for room on B: 81 blocked ticks
  EXPECT_EQ(blocked_a_ticks, 81);
  const TripTable t = model.trip_table(state);
  for (std::size_t i = 0; i < 12; ++i)
    EXPECT_EQ(t.arrival_s[i], 16.0 + 10.0 * static_cast<double>(i));
  EXPECT_EQ(t.arrival_s[12], 108.0);
  EXPECT_EQ(t.delay_s[12], 93.0);
}

TEST(QueueModelTest, ANodeWithSeventyInLinksMergesThemAllInOneTick) {
  // 70 links of 15 m at 15 m/s (1 tick) meet at node 0, the 64th to 70th of them beyond the
  // one-bit-per-in-link mask of a node; one car on each, departing at 0, then 150 m (10 ticks)
  // on a common out-link with room for 100 cars and 3,600 veh/h (one car per tick). All 70 are
  // due at tick 1 and cross into the out-link together; it lets one out per tick from tick 11:
  // the arrivals are 11, 12, ..., 80 s, in the order of the merge draws
  OwnedGraph g;
  g.n_nodes = 72;
  for (std::int32_t i = 0; i < 70; ++i) g.add_link(i + 1, 0, 15.0, 15.0, 3600.0);
  const std::int32_t out = g.add_link(0, 71, 150.0, 15.0, 3600.0, 100.0);
  const LinkGraph view = g.view();
  Trips trips;
  for (std::int32_t i = 0; i < 70; ++i) trips.add(0.0, kModeCar, {i, out});
  QueueModelConfig config;
  config.parallel_min_active = 1;  // on 2 threads every tick is shared
  const QueueModel model(view, trips, config);
  sim::set_thread_count(1);
  const QueueModelResult one = model.run();
  sim::set_thread_count(2);
  const QueueModelResult two = model.run();
  sim::set_thread_count(0);

  std::vector<double> arrivals = one.trips.arrival_s;
  std::sort(arrivals.begin(), arrivals.end());
  for (std::size_t i = 0; i < 70; ++i) EXPECT_EQ(arrivals[i], 11.0 + static_cast<double>(i));
  EXPECT_EQ(std::count(one.trips.stuck_count.begin(), one.trips.stuck_count.end(), 0), 70);
  EXPECT_EQ(one.trips.arrival_s, two.trips.arrival_s);
  // the merge draws by capacity share: the 7 links past the mask are not left to the end
  double last_seven = 0.0;
  for (std::size_t i = 63; i < 70; ++i) last_seven += one.trips.arrival_s[i];
  EXPECT_LT(last_seven / 7.0, 75.0);
}

TEST(QueueModelTest, GridlockIsReleasedAfterStuckTime) {
  // a ring of three 15 m links (storage 2) with two cars each, every car driving two links on:
  // all links full, every head blocked. Nothing moves until the heads have waited more than
  // stuck_time_s (10 s since entering the buffer at 1): at 12 they are pushed on
  OwnedGraph g;
  g.n_nodes = 3;
  g.add_link(0, 1, 15.0, 15.0, 3600.0);
  g.add_link(1, 2, 15.0, 15.0, 3600.0);
  g.add_link(2, 0, 15.0, 15.0, 3600.0);
  const LinkGraph view = g.view();
  Trips trips;
  for (std::int32_t l = 0; l < 3; ++l) {
    for (int i = 0; i < 2; ++i) trips.add(0.0, kModeCar, {l, (l + 1) % 3, (l + 2) % 3});
  }
  const QueueModelResult r = QueueModel(view, trips, {}).run();
  for (std::size_t v = 0; v < 6; ++v) EXPECT_EQ(r.trips.arrived[v], 1) << "car " << v;
  EXPECT_GE(r.n_stuck_releases, 3);
  const auto first = *std::min_element(r.trips.arrival_s.begin(), r.trips.arrival_s.end());
  EXPECT_GE(first, 13.0);  // nobody arrives before the release

  // without the release the ring stays locked until end_time_s
  QueueModelConfig locked;
  locked.stuck_time_s = 1e9;
  locked.end_time_s = 500.0;
  const QueueModelResult l = QueueModel(view, trips, locked).run();
  EXPECT_EQ(l.n_ticks, 500);
  for (std::size_t v = 0; v < 6; ++v) {
    EXPECT_EQ(l.trips.arrived[v], 0);
    EXPECT_TRUE(std::isnan(l.trips.arrival_s[v]));
  }
}

TEST(QueueModelTest, HalvingCapacityMidRunHalvesTheDischarge) {
  // the SingleLinkDischargesAtCapacity link: cars leave link 0 at 54 + 2i, 473 of them before
  // 1000 s (the last at 998). Capacity 1800 → 900 veh/h from tick 1000: the credit (0.5 after
  // 999) reaches 1 at 1001, then every 4 ticks: 250 cars in [1000, 2000) and in [2000, 3000),
  // 900 × 1000 / 3600 = 250 exactly
  OwnedGraph g;
  g.n_nodes = 3;
  g.add_link(0, 1, 750.0, 50.0 / 3.6, 1800.0);
  g.add_link(1, 2, 100.0, 50.0 / 3.6, 7200.0);
  const LinkGraph view = g.view();
  Trips trips;
  for (int i = 0; i < 2000; ++i) trips.add(0.0, kModeCar, {0, 1});
  QueueModelConfig config;
  config.interval_s = 1000.0;
  const QueueModel model(view, trips, config);
  QueueState state = model.initial_state();
  EXPECT_EQ(state.link_capacity_veh_per_h, (std::vector<double>{1800.0, 7200.0}));
  EXPECT_EQ(state.link_speed_mps, (std::vector<double>{50.0 / 3.6, 50.0 / 3.6}));
  LinkIntervalStats stats;
  while (state.tick < 1000) model.step(state, stats);
  model.set_link_capacity(state, 0, 900.0);
  while (state.tick < 3000) model.step(state, stats);
  ASSERT_EQ(stats.n_intervals(), 3);
  EXPECT_EQ(stats.volume_veh[0], 473);
  const double expected = 900.0 * 1000.0 / 3600.0;
  EXPECT_NEAR(stats.volume_veh[2], expected, 0.01 * expected);
  EXPECT_NEAR(stats.volume_veh[4], expected, 0.01 * expected);
  EXPECT_EQ(stats.volume_veh[2], 250);
  EXPECT_EQ(stats.volume_veh[4], 250);
  const TripTable t = model.trip_table(state);
  EXPECT_EQ(t.arrival_s[472], 998.0 + 8.0);
  EXPECT_EQ(t.arrival_s[473], 1001.0 + 8.0);
  EXPECT_EQ(t.arrival_s[474], 1005.0 + 8.0);

  // bad values are named
  try {
    model.set_link_capacity(state, 1, 0.0);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(),
                 "set_link_capacity: link 1: capacity_veh_per_h must be in (0, 1e9] (got "
                 "0.000000)");
  }
  EXPECT_THROW(model.set_link_capacity(state, 2, 900.0), std::invalid_argument);
  state.link_capacity_veh_per_h[1] = -1.0;
  EXPECT_THROW(model.check_link_parameters(state), std::invalid_argument);
  state.link_capacity_veh_per_h.pop_back();
  EXPECT_THROW(model.step(state, stats), std::invalid_argument);
}

TEST(QueueModelTest, ACapacityChangeDoesNotReachBackIntoTicksALinkSlept) {
  // one link, 100 m at 10 m/s (10 ticks), 360 veh/h = 0.1 veh per tick. A departs at 0 and
  // arrives at 10 (credit 1 → 0); B departs at 5, due at 15, and the link sleeps from tick 11.
  // The capacity drops to 36 veh/h (0.01 per tick) before tick 12: tick 11 still regained 0.1,
  // ticks 12.. regain 0.01 each, so the credit reaches 1 after 90 more ticks: B arrives at 101.
  // Unchanged, 0.1 per tick from tick 11 on: 1 at tick 20
  OwnedGraph g;
  g.n_nodes = 2;
  g.add_link(0, 1, 100.0, 10.0, 360.0);
  const LinkGraph view = g.view();
  Trips trips;
  trips.add(0.0, kModeCar, {0});
  trips.add(5.0, kModeCar, {0});
  const QueueModel model(view, trips, {});
  EXPECT_EQ(model.run().trips.arrival_s, (std::vector<double>{10.0, 20.0}));
  QueueState s = model.initial_state();
  LinkIntervalStats stats;
  while (s.tick < 12) model.step(s, stats);
  model.set_link_capacity(s, 0, 36.0);
  while (!model.done(s)) model.step(s, stats);
  EXPECT_EQ(model.trip_table(s).arrival_s, (std::vector<double>{10.0, 101.0}));
  // the same change written into the column directly, after settling the credits
  QueueState d = model.initial_state();
  while (d.tick < 12) model.step(d, stats);
  model.settle_flow_credits(d);
  d.link_capacity_veh_per_h[0] = 36.0;
  d.link_active_bits.clear();  // a direct write: the derived per-link values are rebuilt
  while (!model.done(d)) model.step(d, stats);
  EXPECT_EQ(model.trip_table(d).arrival_s, (std::vector<double>{10.0, 101.0}));
}

TEST(QueueModelTest, SettingALinkSpeedChangesTheFreeFlowTimeOfLaterEntries) {
  // chain links of 100 m at 50 km/h (8 ticks). Car 0 enters link 0 at 15 (exit 23); at 20
  // link 0 drops to 5 m/s (100 / 5 = 20 ticks) and link 1 rises to 20 m/s (5 ticks): car 0
  // keeps its exit tick 23 on link 0, enters link 1 at 23 and arrives at 28; car 1 departs at
  // 30 and needs 20 + 5 ticks: arrival 55
  OwnedGraph g;
  g.n_nodes = 3;
  g.add_link(0, 1, 100.0, 50.0 / 3.6, 1800.0);
  g.add_link(1, 2, 100.0, 50.0 / 3.6, 1800.0);
  const LinkGraph view = g.view();
  Trips trips;
  trips.add(15.0, kModeCar, {0, 1});
  trips.add(30.0, kModeCar, {0, 1});
  const QueueModel model(view, trips, {});
  QueueState state = model.initial_state();
  LinkIntervalStats stats;
  while (state.tick < 20) model.step(state, stats);
  EXPECT_EQ(state.vehicle[0].exit_tick, 23);
  model.set_link_speed(state, 0, 5.0);
  model.set_link_speed(state, 1, 20.0);
  while (!model.done(state)) model.step(state, stats);
  const TripTable t = model.trip_table(state);
  EXPECT_EQ(t.arrival_s, (std::vector<double>{28.0, 55.0}));
  // delay stays measured against the graph's free-flow time (16 s)
  EXPECT_EQ(t.delay_s, (std::vector<double>{-3.0, 9.0}));

  // a link no car left reports its current speed
  const Trips none;
  const QueueModel empty(view, none, {});
  QueueState idle = empty.initial_state();
  empty.set_link_speed(idle, 1, 20.0);
  LinkIntervalStats idle_stats;
  while (idle.tick < 900) empty.step(idle, idle_stats);
  ASSERT_EQ(idle_stats.n_intervals(), 1);
  EXPECT_EQ(idle_stats.mean_speed_mps[1], 20.0);

  EXPECT_THROW(model.set_link_speed(state, 0, 0.0), std::invalid_argument);
  EXPECT_THROW(model.set_link_speed(state, 0, std::nan("")), std::invalid_argument);
  EXPECT_THROW(model.set_link_speed(state, -1, 10.0), std::invalid_argument);
}

TEST(QueueModelTest, ACrossingBeyondTwoToTheThirtyOneTicksKeepsItsExactExitTick) {
  // link 0 (100 m) slowed to 2e-8 m/s needs 100 / 2e-8 = 5e9 ticks, more than the 32 bits a
  // link keeps its ticks in: the car entering at tick 3 gets exit tick 3 + 5e9 all the same,
  // its link never wakes, and the run ends at end_time_s with the car on it. The second car,
  // on link 1 (8 ticks), is not held up
  OwnedGraph g;
  g.n_nodes = 4;
  g.add_link(0, 1, 100.0, 50.0 / 3.6, 1800.0);
  g.add_link(2, 3, 100.0, 50.0 / 3.6, 1800.0);
  const LinkGraph view = g.view();
  Trips trips;
  trips.add(3.0, kModeCar, {0});
  trips.add(3.0, kModeCar, {1});
  QueueModelConfig config;
  config.end_time_s = 100.0;
  const QueueModel model(view, trips, config);
  QueueState state = model.initial_state();
  model.set_link_speed(state, 0, 2e-8);
  LinkIntervalStats stats;
  while (state.tick < 5) model.step(state, stats);
  EXPECT_EQ(state.vehicle[0].exit_tick, 3 + 5'000'000'000LL);
  EXPECT_EQ(state.link[0].queue_next_exit_tick, kNoTick);
  while (!model.done(state)) model.step(state, stats);
  EXPECT_EQ(state.tick, 100);
  const TripTable t = model.trip_table(state);
  EXPECT_EQ(t.arrived, (std::vector<std::uint8_t>{0, 1}));
  EXPECT_EQ(t.arrival_s[1], 11.0);
  EXPECT_EQ(t.distance_m, (std::vector<double>{0.0, 100.0}));
  EXPECT_EQ(state.link[0].n_on_link, 1);
}

// random car trips on a grid city, routed on free-flow times
Trips grid_trips(const LinkGraph& view, std::int64_t n_trips, double spread_s, std::uint64_t seed) {
  std::vector<double> cost(static_cast<std::size_t>(view.n_links()));
  for (std::size_t l = 0; l < cost.size(); ++l) cost[l] = view.length_m[l] / view.free_speed_mps[l];
  const Router router(view, cost);
  std::vector<std::int32_t> from;
  std::vector<std::int32_t> to;
  std::vector<double> departure_s;
  for (std::int64_t q = 0; q < n_trips; ++q) {
    sim::Rng rng = sim::rng_for(seed, 6, static_cast<std::uint64_t>(q), 0);
    const auto n = static_cast<std::uint64_t>(view.n_nodes);
    from.push_back(static_cast<std::int32_t>(rng.uniform_int(n)));
    to.push_back(static_cast<std::int32_t>(rng.uniform_int(n)));
    departure_s.push_back(std::floor(rng.uniform() * spread_s));
  }
  const RouteSet routes = router.route_many(from, to);
  Trips trips;
  trips.departure_s = departure_s;
  trips.mode.assign(departure_s.size(), kModeCar);
  trips.route_begin = routes.path_begin;
  trips.route_link_idx = routes.link_idx;
  return trips;
}

TEST(QueueModelTest, GridCityEveryTripArrivesAndThreadsAgree) {
  // 3000 trips in 10 minutes on a signal-free 10 × 10 grid: congested, merges at every node
  OwnedGraph g = grid_city(10, 10, 100.0);
  const LinkGraph view = g.view();
  const Trips trips = grid_trips(view, 3000, 600.0, 42);
  const QueueModel model(view, trips, {});
  sim::set_thread_count(1);
  const QueueModelResult one = model.run();
  sim::set_thread_count(2);
  const QueueModelResult two = model.run();
  sim::set_thread_count(0);

  // every vehicle arrives; link exits add up to the route lengths
  EXPECT_EQ(std::count(one.trips.arrived.begin(), one.trips.arrived.end(), 1), 3000);
  EXPECT_EQ(one.n_link_traversals, static_cast<std::int64_t>(trips.route_link_idx.size()));
  for (std::size_t v = 0; v < 3000; ++v) ASSERT_GE(one.trips.delay_s[v], 0.0);
  EXPECT_GT(*std::max_element(one.trips.delay_s.begin(), one.trips.delay_s.end()), 0.0);

  // identical on 1 and 2 threads
  EXPECT_EQ(one.trips.arrival_s, two.trips.arrival_s);
  EXPECT_EQ(one.trips.stuck_count, two.trips.stuck_count);
  EXPECT_EQ(one.link_stats.volume_veh, two.link_stats.volume_veh);
  EXPECT_EQ(one.link_stats.mean_speed_mps, two.link_stats.mean_speed_mps);
  EXPECT_EQ(one.link_stats.queue_veh, two.link_stats.queue_veh);
  EXPECT_EQ(one.n_ticks, two.n_ticks);

  // another merge seed changes the outcome, the same seed does not
  QueueModelConfig other;
  other.seed = 1;
  const QueueModelResult three = QueueModel(view, trips, other).run();
  EXPECT_NE(one.trips.arrival_s, three.trips.arrival_s);
  EXPECT_EQ(one.trips.arrival_s, model.run().trips.arrival_s);
}

// a congested 10 × 10 grid (3,000 trips in 10 min), 300 s intervals, stopped mid-interval by
// end_time_s, with `signals` gating its nodes (or none). Reference: the statistics the model had
// before the active sets, sampled here from the state after every tick over all links
// (Σ n_on_link, Σ due + buffered cars)
void check_active_sets_against_a_full_sweep(const SignalPlan* signals) {
  OwnedGraph g = grid_city(10, 10, 100.0);
  const LinkGraph view = g.view();
  const Trips trips = grid_trips(view, 3000, 600.0, 42);
  QueueModelConfig config;
  config.interval_s = 300.0;
  config.end_time_s = 700.0;  // mid-interval, while cars are still out
  config.signals = signals;
  const QueueModel model(view, trips, config);
  const auto nl = static_cast<std::size_t>(view.n_links());

  QueueState s = model.initial_state();
  LinkIntervalStats stats;
  std::vector<std::int64_t> occupancy(nl, 0);
  std::vector<std::int64_t> queued(nl, 0);
  std::vector<double> want_density;
  std::vector<double> want_queue;
  std::int64_t interval_start = 0;
  std::int64_t max_active = 0;
  const auto close_interval = [&](std::int64_t end_tick) {
    const auto n_ticks = static_cast<double>(end_tick - interval_start);
    for (std::size_t l = 0; l < nl; ++l) {
      want_density.push_back(static_cast<double>(occupancy[l]) / n_ticks /
                             (view.length_m[l] / 1000.0));
      want_queue.push_back(static_cast<double>(queued[l]) / n_ticks);
    }
    std::fill(occupancy.begin(), occupancy.end(), 0);
    std::fill(queued.begin(), queued.end(), 0);
    interval_start = end_tick;
  };
  while (!model.done(s)) {
    const std::int64_t before = s.tick;
    model.step(s, stats);
    // an empty network jumps: nothing to sample
    if (s.tick == before + 1) {
      for (std::size_t l = 0; l < nl; ++l) {
        occupancy[l] += s.link[l].n_on_link;
        queued[l] += s.link[l].n_queue_due + s.link[l].n_buffer;
        ASSERT_EQ(s.link[l].n_left, 0);
        // a link outside the active set is idle (no cars) or asleep (no car due before its
        // next exit tick, or its due cars held by a red signal until its wake tick); either way
        // nothing to serve, and a credit that is full or as of an earlier tick (regained when
        // the link is next visited)
        if (((s.link_active_bits[l / 64] >> (l % 64)) & 1U) == 0) {
          if (s.link[l].n_queue_due != 0) {
            ASSERT_NE(signals, nullptr);
            ASSERT_EQ(s.link[l].red_blocked, 1);
            ASSERT_GE(s.link[l].wake_tick, s.tick);
            ASSERT_LE(s.link[l].wake_tick, s.link[l].queue_next_exit_tick);
          }
          ASSERT_EQ(s.link[l].n_buffer, 0);
          ASSERT_LT(s.link[l].wait_head, 0);
          ASSERT_TRUE(s.link[l].flow_credit_veh == kFullFlowCredit || s.link[l].flow_credit_tick < s.tick);
          if (s.link[l].n_on_link > 0) {
            ASSERT_GE(s.link[l].queue_next_exit_tick, s.tick);
          }
        }
      }
    }
    max_active = std::max(max_active, s.n_active_links);
    if (s.tick - interval_start == 300) close_interval(s.tick);
  }
  EXPECT_EQ(s.tick, 700);
  EXPECT_GT(s.n_in_network, 0);
  EXPECT_GT(max_active, 20);  // of the 180 links, many had work at the peak (26 now)
  close_interval(s.tick);

  // run(): 2 full intervals and the partial one [600, 700), same numbers exactly
  const QueueModelResult run = model.run();
  ASSERT_EQ(run.link_stats.n_intervals(), 3);
  EXPECT_EQ(run.link_stats.start_s.back(), 600.0);
  EXPECT_EQ(run.link_stats.density_veh_per_km, want_density);
  EXPECT_EQ(run.link_stats.queue_veh, want_queue);
  EXPECT_EQ(run.trips.stuck_count, s.stuck_count);
  EXPECT_GT(*std::max_element(want_queue.begin(), want_queue.end()), 0.2);  // queues

  // a state reloaded from its columns (active sets cleared) every 7 ticks, and phases forced
  // parallel on 2 threads, give the same trips and statistics
  QueueModelConfig parallel = config;
  parallel.parallel_min_active = 1;
  const QueueModel forced(view, trips, parallel);
  sim::set_thread_count(2);
  QueueState r = forced.initial_state();
  LinkIntervalStats reloaded;
  while (!forced.done(r)) {
    if (r.tick % 7 == 0) {
      r.link_active_bits.clear();
      r.node_active_bits.clear();
      for (LinkQueue& q : r.link) q.queue_next_exit_tick = -7;  // derived: rebuilt
      r.scratch.clear();  // with the threads' sleep wheels
    }
    forced.step(r, reloaded);
  }
  sim::set_thread_count(0);
  EXPECT_EQ(r.arrive_tick, s.arrive_tick);
  for (std::size_t v = 0; v < r.vehicle.size(); ++v) {
    ASSERT_EQ(r.vehicle[v].route_pos, s.vehicle[v].route_pos) << "vehicle " << v;
    ASSERT_EQ(r.vehicle[v].next_link_idx, s.vehicle[v].next_link_idx) << "vehicle " << v;
  }
  EXPECT_EQ(r.stuck_count, s.stuck_count);
  EXPECT_EQ(forced.trip_table(r).arrived, run.trips.arrived);
  ASSERT_EQ(reloaded.n_intervals(), 2);
  const std::size_t n_full = 2 * nl;
  EXPECT_EQ(reloaded.volume_veh,
            std::vector<std::int32_t>(
                run.link_stats.volume_veh.begin(),
                run.link_stats.volume_veh.begin() + static_cast<std::ptrdiff_t>(n_full)));
  EXPECT_EQ(reloaded.density_veh_per_km,
            std::vector<double>(want_density.begin(),
                                want_density.begin() + static_cast<std::ptrdiff_t>(n_full)));
  EXPECT_EQ(reloaded.queue_veh,
            std::vector<double>(want_queue.begin(),
                                want_queue.begin() + static_cast<std::ptrdiff_t>(n_full)));
}

// every link of `g` gated at its to-node: a 60 s cycle, the first two links of each node's four
// green [0, 30), the others [30, 60), offsets spread over the nodes
SignalPlan gate_every_link(const OwnedGraph& g) {
  const auto nl = static_cast<std::int32_t>(g.from_node_idx.size());
  SignalPlan plan;
  plan.link_gate.resize(static_cast<std::size_t>(nl));
  for (std::int32_t l = 0; l < nl; ++l) {
    const auto li = static_cast<std::size_t>(l);
    plan.link_gate[li] = l;
    plan.gate_link_idx.push_back(l);
    plan.gate_node_idx.push_back(g.to_node_idx[li]);
    plan.cycle_s.push_back(60.0);
    plan.offset_s.push_back(static_cast<double>((7 * g.to_node_idx[li]) % 60));
    const bool east_west = l % 4 < 2;
    plan.green_start_s.push_back(east_west ? 0.0 : 30.0);
    plan.green_end_s.push_back(east_west ? 30.0 : 60.0);
    plan.green_begin.push_back(static_cast<std::int64_t>(plan.green_start_s.size()));
  }
  return plan;
}

TEST(QueueModelTest, ActiveSetsGiveTheStatisticsOfAFullSweep) {
  check_active_sets_against_a_full_sweep(nullptr);
}

TEST(QueueModelTest, ActiveSetsGiveTheStatisticsOfAFullSweepWithSignals) {
  // every link gated (gate_every_link()): east-west links (the first two of each node's four)
  // green [0, 30) of a 60 s cycle, north-south ones [30, 60), offsets spread over the nodes, so
  // links held by red sleep until green or until their next car is due
  const OwnedGraph g = grid_city(10, 10, 100.0);
  const SignalPlan plan = gate_every_link(g);
  check_active_sets_against_a_full_sweep(&plan);
}

// advance() in one parallel region, the network split between 2, 3 and 4 threads, against
// step() on one thread: a congested 12 × 12 grid (8,000 trips in 10 min, every 9th a bike, a
// few from a node to itself), stuck cars pushed on after 4 s, 300 s intervals, stopped
// mid-interval
void check_shared_run_against_serial_steps(const SignalPlan* signals) {
  OwnedGraph g = grid_city(12, 12, 100.0);
  const LinkGraph view = g.view();
  Trips trips = grid_trips(view, 8000, 600.0, 7);
  for (std::size_t v = 0; v < trips.mode.size(); v += 9) trips.mode[v] = kModeBike;
  QueueModelConfig config;
  config.interval_s = 300.0;
  config.end_time_s = 700.0;
  config.stuck_time_s = 4.0;
  config.signals = signals;
  config.shared_run_min_links = 0;  // the shared region on any network
  const QueueModel model(view, trips, config);

  sim::set_thread_count(1);
  QueueState want = model.initial_state();
  LinkIntervalStats want_stats;
  while (!model.done(want)) model.step(want, want_stats);
  const std::int64_t n_stuck = std::accumulate(want.stuck_count.begin(), want.stuck_count.end(),
                                               std::int64_t{0});
  EXPECT_GT(n_stuck, 0);  // gridlocks were released
  EXPECT_LT(want.n_arrived, trips.n_vehicles());  // some still out at the end
  EXPECT_GT(want.n_arrived, trips.n_vehicles() / 2);

  for (const int threads : {2, 3, 4}) {
    sim::set_thread_count(threads);
    // in uneven pieces, so that regions start and end mid-interval and with cars asleep
    QueueState got = model.initial_state();
    LinkIntervalStats got_stats;
    for (std::int64_t until = 0; !model.done(got);) {
      until += 1 + (until % 97);
      model.advance(got, got_stats, until, true);
    }
    // the shared region ran (a fallback to step() leaves no routed lists)
    ASSERT_EQ(got.scratch[0].routed.size(), static_cast<std::size_t>(threads));
    EXPECT_EQ(got.tick, want.tick) << threads << " threads";
    EXPECT_EQ(got.arrive_tick, want.arrive_tick) << threads << " threads";
    EXPECT_EQ(got.stuck_count, want.stuck_count) << threads << " threads";
    EXPECT_EQ(got.n_arrived, want.n_arrived);
    EXPECT_EQ(got.n_in_network, want.n_in_network);
    EXPECT_EQ(got.next_departure, want.next_departure);
    for (std::size_t v = 0; v < got.vehicle.size(); ++v) {
      ASSERT_EQ(got.vehicle[v].route_pos, want.vehicle[v].route_pos) << "vehicle " << v;
      ASSERT_EQ(got.vehicle[v].exit_tick, want.vehicle[v].exit_tick) << "vehicle " << v;
    }
    for (std::size_t l = 0; l < got.link.size(); ++l) {
      ASSERT_EQ(got.link[l].n_on_link, want.link[l].n_on_link) << "link " << l;
      ASSERT_EQ(got.link[l].interval_occupancy_veh, want.link[l].interval_occupancy_veh)
          << "link " << l;
    }
    EXPECT_EQ(got_stats.start_s, want_stats.start_s);
    EXPECT_EQ(got_stats.volume_veh, want_stats.volume_veh);
    EXPECT_EQ(got_stats.mean_speed_mps, want_stats.mean_speed_mps);
    EXPECT_EQ(got_stats.density_veh_per_km, want_stats.density_veh_per_km);
    EXPECT_EQ(got_stats.queue_veh, want_stats.queue_veh);
    // the count of active links, taken from the set at the end, is the one step() keeps
    EXPECT_EQ(got.n_active_links, want.n_active_links);
  }
  sim::set_thread_count(0);
}

TEST(QueueModelTest, SharedRunOnTwoToFourThreadsGivesTheResultsOfSerialSteps) {
  check_shared_run_against_serial_steps(nullptr);
}

TEST(QueueModelTest, SharedRunOnTwoToFourThreadsGivesTheResultsOfSerialStepsWithSignals) {
  const OwnedGraph g = grid_city(12, 12, 100.0);
  const SignalPlan plan = gate_every_link(g);
  check_shared_run_against_serial_steps(&plan);
}

TEST(QueueModelTest, BadTripsAreNamed) {
  OwnedGraph g = chain();
  const LinkGraph view = g.view();
  Trips trips;
  trips.add(0.0, kModeCar, {0, 2});
  try {
    const QueueModel model(view, trips, {});
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "trips vehicle 0: route links 0 and 2 are not joined");
  }
  Trips early;
  early.add(-1.0, kModeCar, {0});
  EXPECT_THROW(static_cast<void>(QueueModel(view, early, {})), std::invalid_argument);
  g.modes[1] = kModeWalk;
  Trips car;
  car.add(0.0, kModeCar, {0, 1});
  try {
    const QueueModel model(view, car, {});
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "trips vehicle 0: link 1 does not allow mode 1");
  }
  QueueModelConfig config;
  config.interval_s = 2.5;
  config.dt_s = 2.0;
  const Trips none;
  EXPECT_THROW(static_cast<void>(QueueModel(view, none, config)), std::invalid_argument);
}

// measurement (run by hand with --gtest_also_run_disabled_tests): µs of CPU per link traversal
// on a 50 × 50 grid city with 10,000 and 100,000 trips (the last also in a 30 min rush);
// docs/models/mobility.md#traffic-flow
TEST(QueueModelTest, DISABLED_MeasureLinkTraversalCost) {
  OwnedGraph g = grid_city(50, 50, 150.0, 3);
  const LinkGraph view = g.view();
  for (const auto& [n_trips, spread_s] :
       {std::pair<std::int64_t, double>{10000, 7200.0}, {100000, 7200.0}, {100000, 1800.0}}) {
    const Trips trips = grid_trips(view, n_trips, spread_s, 8);
    const QueueModel model(view, trips, {});
    for (const int n_threads : {1, 2}) {
      sim::set_thread_count(n_threads);
      const std::clock_t c0 = std::clock();
      const auto t0 = std::chrono::steady_clock::now();
      const QueueModelResult r = model.run();
      const auto t1 = std::chrono::steady_clock::now();
      const std::clock_t c1 = std::clock();
      const double wall_s = std::chrono::duration<double>(t1 - t0).count();
      const double cpu_s = static_cast<double>(c1 - c0) / CLOCKS_PER_SEC;
      const auto n = static_cast<double>(r.n_link_traversals);
      double mean_delay_s = 0.0;
      for (const double d : r.trips.delay_s) mean_delay_s += d;
      mean_delay_s /= static_cast<double>(n_trips);
      std::printf(
          "trips %6lld in %4.0f s, threads %d: %lld traversals, %lld ticks, %lld stuck, mean delay "
          "%.0f s, wall %.3f s = %.3f us/traversal, cpu %.3f s = %.3f us/traversal\n",
          static_cast<long long>(n_trips), spread_s, n_threads,
          static_cast<long long>(r.n_link_traversals), static_cast<long long>(r.n_ticks),
          static_cast<long long>(r.n_stuck_releases), mean_delay_s, wall_s, wall_s * 1e6 / n, cpu_s,
          cpu_s * 1e6 / n);
    }
  }
  sim::set_thread_count(0);
}

}  // namespace
}  // namespace citytwin::mobility
