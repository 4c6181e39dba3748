#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <citytwin/mobility/queue_model.hpp>
#include <citytwin/mobility/readers/sumo_net.hpp>
#include <citytwin/mobility/router.hpp>
#include <citytwin/mobility/signals.hpp>
#include <citytwin/sim/parallel.hpp>
#include <citytwin/sim/rng.hpp>

#include "traffic_test_graphs.hpp"

namespace citytwin::mobility {
namespace {

using testing::grid_city;
using testing::OwnedGraph;

// a plan with one gate on `link` (to-node `node`) and the given green windows
SignalPlan single_gate(std::int64_t n_links, std::int32_t link, std::int32_t node, double cycle_s,
                       double offset_s, const std::vector<std::pair<double, double>>& windows) {
  SignalPlan plan;
  plan.link_gate.assign(static_cast<std::size_t>(n_links), -1);
  plan.link_gate[static_cast<std::size_t>(link)] = 0;
  plan.gate_link_idx = {link};
  plan.gate_node_idx = {node};
  plan.cycle_s = {cycle_s};
  plan.offset_s = {offset_s};
  for (const auto& [start_s, end_s] : windows) {
    plan.green_start_s.push_back(start_s);
    plan.green_end_s.push_back(end_s);
  }
  plan.green_begin = {0, static_cast<std::int64_t>(windows.size())};
  return plan;
}

TEST(SignalPlanTest, IsGreenFollowsCycleAndOffset) {
  // cycle 60 s starting at 20 s, green [0, 30): green in [20, 50), [80, 110), ...; at t = 0
  // the cycle position is (0 − 20) mod 60 = 40: red
  const SignalPlan plan = single_gate(2, 0, 1, 60.0, 20.0, {{0.0, 30.0}});
  validate_signal_plan(plan, 2);
  EXPECT_FALSE(plan.is_green(0, 0, 1.0));
  EXPECT_FALSE(plan.is_green(0, 19, 1.0));
  EXPECT_TRUE(plan.is_green(0, 20, 1.0));
  EXPECT_TRUE(plan.is_green(0, 49, 1.0));
  EXPECT_FALSE(plan.is_green(0, 50, 1.0));
  EXPECT_TRUE(plan.is_green(0, 80, 1.0));
  EXPECT_TRUE(plan.is_green(0, 20 + 60 * 1000, 1.0));
  EXPECT_FALSE(plan.is_green(0, 19 + 60 * 1000, 1.0));
  // half-second ticks: tick 99 starts at 49.5 s (green), tick 100 at 50 s (red)
  EXPECT_TRUE(plan.is_green(0, 99, 0.5));
  EXPECT_FALSE(plan.is_green(0, 100, 0.5));
  // the ungated link is always green
  EXPECT_TRUE(plan.is_green(1, 0, 1.0));
  EXPECT_DOUBLE_EQ(plan.green_fraction(0), 0.5);
  EXPECT_DOUBLE_EQ(plan.green_fraction(1), 1.0);
  EXPECT_EQ(plan.n_gated_links(), 1);
}

TEST(SignalPlanTest, NextGreenTickIsTheFirstGreenTickAfter) {
  // cycle 60 s from 20 s, green [0, 30) and [40, 45): green ticks 0..4, 20..49, 60..64,
  // 80..109, ...
  const SignalPlan plan = single_gate(2, 0, 1, 60.0, 20.0, {{0.0, 30.0}, {40.0, 45.0}});
  EXPECT_EQ(plan.next_green_tick(0, 0, 1.0), 1);
  EXPECT_EQ(plan.next_green_tick(0, 4, 1.0), 20);
  EXPECT_EQ(plan.next_green_tick(0, 25, 1.0), 26);   // green already: the next tick
  EXPECT_EQ(plan.next_green_tick(0, 49, 1.0), 60);   // the second window
  EXPECT_EQ(plan.next_green_tick(0, 64, 1.0), 80);   // the next cycle
  EXPECT_EQ(plan.next_green_tick(1, 64, 1.0), 65);   // an ungated link
  // offset 0.5 s: green [10.5, 20.5) s, the ticks 11..20 (tick k starts at k s)
  const SignalPlan half = single_gate(2, 0, 1, 60.0, 0.5, {{10.0, 20.0}});
  EXPECT_EQ(half.next_green_tick(0, 0, 1.0), 11);
  EXPECT_EQ(half.next_green_tick(0, 20, 1.0), 71);
  // dt 2 s: ticks start at even seconds; green [10.5, 20.5) s holds ticks 6..10 (12..20 s)
  EXPECT_EQ(half.next_green_tick(0, 0, 2.0), 6);
  // a gate never green
  SignalPlan none = single_gate(2, 0, 1, 60.0, 0.0, {});
  EXPECT_EQ(none.next_green_tick(0, 5, 1.0), std::numeric_limits<std::int64_t>::max());
  // agreement with is_green over two cycles from every tick
  for (std::int64_t k = 0; k < 200; ++k) {
    std::int64_t want = k + 1;
    while (!plan.is_green(0, want, 1.0)) ++want;
    ASSERT_EQ(plan.next_green_tick(0, k, 1.0), want) << "tick " << k;
  }
}

TEST(SignalPlanTest, ValidateNamesTheBadGate) {
  SignalPlan plan = single_gate(2, 0, 1, 60.0, 0.0, {{10.0, 30.0}, {25.0, 40.0}});
  try {
    validate_signal_plan(plan, 2);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(),
                 "signal plan: gate 0: green window [25.000000, 40.000000) must lie in [0, "
                 "cycle_s] after the previous one");
  }
  plan = single_gate(2, 0, 1, 0.0, 0.0, {});
  EXPECT_THROW(validate_signal_plan(plan, 2), std::invalid_argument);
  plan = single_gate(2, 0, 1, 60.0, 0.0, {});
  EXPECT_THROW(validate_signal_plan(plan, 3), std::invalid_argument);  // built for 2 links
  EXPECT_NO_THROW(validate_signal_plan(SignalPlan{}, 3));              // no gates at all
}

// A T-junction C controlled by program "C": approaches wc (from the west), ec (east), nc
// (north). Phases (offset 10 s, cycle 60 s):
//   0: 30 s "GgGGrr"  wc straight + left (permissive g), ec straight + right
//   1:  3 s "yyyyrr"  yellow counts as red
//   2: 20 s "rrGrGG"  ec straight, nc right + left
//   3:  3 s "rrrryy"
//   4:  4 s "rgrrrr"  wc's permissive left alone
// so wc is green in [0, 30) and [56, 60), ec in [0, 30) and [33, 53), nc in [33, 53).
const char* const kTJunction = R"(<?xml version="1.0" encoding="UTF-8"?>
<net version="1.16">
    <location netOffset="0.00,0.00" convBoundary="-100.00,0.00,100.00,100.00" origBoundary="-100.00,0.00,100.00,100.00" projParameter="!"/>
    <edge id="wc" from="W" to="C" priority="2">
        <lane id="wc_0" index="0" speed="13.89" length="100.00" shape="-100.00,-1.60 0.00,-1.60"/>
    </edge>
    <edge id="cw" from="C" to="W" priority="2">
        <lane id="cw_0" index="0" speed="13.89" length="100.00" shape="0.00,1.60 -100.00,1.60"/>
    </edge>
    <edge id="ec" from="E" to="C" priority="2">
        <lane id="ec_0" index="0" speed="13.89" length="100.00" shape="100.00,1.60 0.00,1.60"/>
    </edge>
    <edge id="ce" from="C" to="E" priority="2">
        <lane id="ce_0" index="0" speed="13.89" length="100.00" shape="0.00,-1.60 100.00,-1.60"/>
    </edge>
    <edge id="nc" from="N" to="C" priority="1">
        <lane id="nc_0" index="0" speed="13.89" length="100.00" shape="-1.60,100.00 -1.60,0.00"/>
    </edge>
    <edge id="cn" from="C" to="N" priority="1">
        <lane id="cn_0" index="0" speed="13.89" length="100.00" shape="1.60,0.00 1.60,100.00"/>
    </edge>
    <tlLogic id="C" type="static" programID="0" offset="10">
        <phase duration="30" state="GgGGrr"/>
        <phase duration="3" state="yyyyrr"/>
        <phase duration="20" state="rrGrGG"/>
        <phase duration="3" state="rrrryy"/>
        <phase duration="4" state="rgrrrr"/>
    </tlLogic>
    <junction id="W" type="dead_end" x="-100.00" y="0.00" incLanes="cw_0" intLanes="" shape="-100.00,0.00"/>
    <junction id="E" type="dead_end" x="100.00" y="0.00" incLanes="ce_0" intLanes="" shape="100.00,0.00"/>
    <junction id="N" type="dead_end" x="0.00" y="100.00" incLanes="cn_0" intLanes="" shape="0.00,100.00"/>
    <junction id="C" type="traffic_light" x="0.00" y="0.00" incLanes="wc_0 ec_0 nc_0" intLanes="" shape="0.00,0.00"/>
    <connection from="wc" to="ce" fromLane="0" toLane="0" tl="C" linkIndex="0" dir="s" state="O"/>
    <connection from="wc" to="cn" fromLane="0" toLane="0" tl="C" linkIndex="1" dir="l" state="O"/>
    <connection from="ec" to="cw" fromLane="0" toLane="0" tl="C" linkIndex="2" dir="s" state="O"/>
    <connection from="ec" to="cn" fromLane="0" toLane="0" tl="C" linkIndex="3" dir="r" state="O"/>
    <connection from="nc" to="cw" fromLane="0" toLane="0" tl="C" linkIndex="4" dir="r" state="O"/>
    <connection from="nc" to="ce" fromLane="0" toLane="0" tl="C" linkIndex="5" dir="l" state="O"/>
</net>
)";

TEST(SignalPlanTest, SumoProgramGivesHandDerivedWindows) {
  const SumoNet sumo = parse_sumo_net(kTJunction, "t.net.xml");
  const StreetNetwork& net = sumo.network;
  const SignalPlan plan = signal_plan_from_sumo(net, sumo.connections);
  validate_signal_plan(plan, net.n_links());
  const std::int32_t wc = net.link_idx("wc");
  const std::int32_t ec = net.link_idx("ec");
  const std::int32_t nc = net.link_idx("nc");
  ASSERT_EQ(plan.n_gates(), 3);
  for (const char* out : {"cw", "ce", "cn"}) {
    EXPECT_EQ(plan.link_gate[static_cast<std::size_t>(net.link_idx(out))], -1) << out;
  }

  // the windows, relative to the cycle start
  const auto windows = [&](std::int32_t link) {
    const auto g = static_cast<std::size_t>(plan.link_gate[static_cast<std::size_t>(link)]);
    std::vector<std::pair<double, double>> w;
    for (std::int64_t i = plan.green_begin[g]; i < plan.green_begin[g + 1]; ++i) {
      w.emplace_back(plan.green_start_s[static_cast<std::size_t>(i)],
                     plan.green_end_s[static_cast<std::size_t>(i)]);
    }
    EXPECT_EQ(plan.cycle_s[g], 60.0);
    EXPECT_EQ(plan.offset_s[g], 10.0);
    EXPECT_EQ(plan.gate_node_idx[g], net.node_idx("C"));
    return w;
  };
  using Windows = std::vector<std::pair<double, double>>;
  EXPECT_EQ(windows(wc), (Windows{{0.0, 30.0}, {56.0, 60.0}}));
  EXPECT_EQ(windows(ec), (Windows{{0.0, 30.0}, {33.0, 53.0}}));
  EXPECT_EQ(windows(nc), (Windows{{33.0, 53.0}}));
  EXPECT_DOUBLE_EQ(plan.green_fraction(wc), 34.0 / 60.0);
  EXPECT_DOUBLE_EQ(plan.green_fraction(nc), 20.0 / 60.0);

  // in time: the cycle starts at 10 s (SUMO: a positive offset delays the program)
  const auto green = [&](std::int32_t link, std::int64_t t) { return plan.is_green(link, t, 1.0); };
  EXPECT_TRUE(green(wc, 10) && green(ec, 10) && !green(nc, 10));    // phase 0 starts
  EXPECT_TRUE(green(wc, 39) && !green(nc, 39));                     // its last second
  EXPECT_TRUE(!green(wc, 40) && !green(ec, 40) && !green(nc, 40));  // yellow
  EXPECT_TRUE(!green(wc, 43) && green(ec, 43) && green(nc, 43));    // phase 2
  EXPECT_TRUE(green(nc, 62) && !green(nc, 63) && !green(ec, 63));   // phase 2 ends at 63
  EXPECT_TRUE(green(wc, 66) && !green(ec, 66));                     // phase 4 ('g' only)
  EXPECT_TRUE(green(wc, 9) && !green(wc, 5));                       // phase 4 of cycle −1
}

TEST(SignalPlanTest, SumoLinkIndexBeyondTheStateIsNamed) {
  std::string text = kTJunction;
  const std::string from = R"(tl="C" linkIndex="5")";
  text.replace(text.find(from), from.size(), R"(tl="C" linkIndex="6")");
  const SumoNet sumo = parse_sumo_net(text, "t.net.xml");
  try {
    static_cast<void>(signal_plan_from_sumo(sumo.network, sumo.connections));
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(),
                 "signal plan: connection nc -> ce has linkIndex 6 but phase 0 of SUMO program "
                 "'C' has only 6 state letters");
  }
}

TEST(SignalPlanTest, UncontrolledConnectionsGiveNoGates) {
  // the same junction with every connection uncontrolled: no gates, every link green
  const SumoNet sumo = parse_sumo_net(kTJunction, "t.net.xml");
  StreetNetwork net = sumo.network;
  LaneConnections none = sumo.connections;
  std::fill(none.signal_program_idx.begin(), none.signal_program_idx.end(), -1);
  const SignalPlan plan = signal_plan_from_sumo(net, none);
  EXPECT_EQ(plan.n_gates(), 0);
  EXPECT_EQ(plan.link_gate, std::vector<std::int32_t>(6, -1));
}

// a street network for the default plan: a signalised 5-arm node C at (0, 0) with approaches
// from W (3600 veh/h, the major road), E, N, a diagonal NE (45° off the axis) and a footway
// from S; a signalised mid-block node M on a two-way street; a signalised node D with one
// incoming link
StreetNetwork default_plan_network() {
  StreetNetwork net;
  const std::int32_t c = net.add_node(1, 0.0, 0.0, 0.0, true);
  const std::int32_t w = net.add_node(2, -100.0, 0.0, 0.0, false);
  const std::int32_t e = net.add_node(3, 100.0, 0.0, 0.0, false);
  const std::int32_t n = net.add_node(4, 0.0, 100.0, 0.0, false);
  const std::int32_t ne = net.add_node(5, 100.0, 100.0, 0.0, false);
  const std::int32_t s = net.add_node(6, 0.0, -100.0, 0.0, false);
  const std::int32_t m = net.add_node(7, 200.0, 0.0, 0.0, true);
  const std::int32_t d = net.add_node(8, 300.0, 0.0, 0.0, true);
  std::int64_t id = 0;
  const auto link = [&](std::int32_t from, std::int32_t to, double capacity,
                        std::uint8_t modes = kModeAll) {
    StreetNetwork::LinkSpec spec;
    spec.link_id = ++id;
    spec.external_id = std::to_string(id);
    spec.from_node_idx = from;
    spec.to_node_idx = to;
    spec.length_m = 100.0;
    spec.free_speed_mps = 50.0 / 3.6;
    spec.flow_capacity_veh_per_h = capacity;
    spec.modes = modes;
    return net.add_link(spec);
  };
  link(e, c, 1800.0);             // 0: along the axis, the other way
  link(n, c, 1800.0);             // 1: perpendicular
  link(w, c, 3600.0);             // 2: the major approach
  link(ne, c, 1800.0);            // 3: exactly 45°: phase 1
  link(s, c, 1800.0, kModeWalk);  // 4: footway, never gated
  link(c, e, 1800.0);             // 5
  link(e, m, 1800.0);             // 6: mid-block M, one axis
  link(d, m, 1800.0);             // 7
  link(m, d, 1800.0);             // 8: the only link into D
  net.finalize();
  return net;
}

TEST(SignalPlanTest, DefaultPlanSplitsApproachesByAxis) {
  const StreetNetwork net = default_plan_network();
  const SignalPlan plan = default_signal_plan(net);
  validate_signal_plan(plan, net.n_links());

  // C: W, E and NE in phase 1 = [0, 41), N in phase 2 = [45, 86); 41 = (90 − 2 × 4) / 2
  EXPECT_EQ(plan.link_gate, (std::vector<std::int32_t>{0, 1, 2, 3, -1, -1, -1, -1, -1}));
  EXPECT_EQ(plan.gate_link_idx, (std::vector<std::int32_t>{0, 1, 2, 3}));
  EXPECT_EQ(plan.gate_node_idx, (std::vector<std::int32_t>{0, 0, 0, 0}));
  EXPECT_EQ(plan.cycle_s, (std::vector<double>{90.0, 90.0, 90.0, 90.0}));
  EXPECT_EQ(plan.offset_s, (std::vector<double>{0.0, 0.0, 0.0, 0.0}));
  EXPECT_EQ(plan.green_begin, (std::vector<std::int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(plan.green_start_s, (std::vector<double>{0.0, 45.0, 0.0, 0.0}));
  EXPECT_EQ(plan.green_end_s, (std::vector<double>{41.0, 86.0, 41.0, 41.0}));
  EXPECT_DOUBLE_EQ(plan.green_fraction(1), 41.0 / 90.0);

  // mid-block crossings are gated only on request, with phase 1
  DefaultSignalConfig config;
  config.gate_single_axis = true;
  config.cycle_s = 60.0;
  config.intergreen_s = 5.0;
  config.offset_s = 7.0;
  const SignalPlan all = default_signal_plan(net, config);
  EXPECT_EQ(all.link_gate, (std::vector<std::int32_t>{0, 1, 2, 3, -1, -1, 4, 5, -1}));
  EXPECT_EQ(all.green_start_s, (std::vector<double>{0.0, 30.0, 0.0, 0.0, 0.0, 0.0}));
  EXPECT_EQ(all.green_end_s, (std::vector<double>{25.0, 55.0, 25.0, 25.0, 25.0, 25.0}));
  EXPECT_EQ(all.offset_s[4], 7.0);

  // nodes with a SUMO program are left to signal_plan_from_sumo
  StreetNetwork programmed = net;
  programmed.signal_programs.program_id.push_back("C");
  programmed.signal_programs.program_name.push_back("0");
  programmed.signal_programs.type.push_back("static");
  programmed.signal_programs.offset_s.push_back(0.0);
  programmed.signal_programs.phase_begin.push_back(1);
  programmed.signal_programs.phase_duration_s.push_back(10.0);
  programmed.signal_programs.phase_state.push_back("G");
  programmed.node_signal_program_idx[0] = 0;
  programmed.finalize();
  EXPECT_EQ(default_signal_plan(programmed).n_gates(), 0);

  DefaultSignalConfig bad;
  bad.intergreen_s = 45.0;
  EXPECT_THROW(static_cast<void>(default_signal_plan(net, bad)), std::invalid_argument);
}

TEST(SignalPlanTest, MergeKeepsTheFirstPlansGates) {
  const SignalPlan first = single_gate(4, 2, 1, 60.0, 5.0, {{0.0, 20.0}});
  SignalPlan second = single_gate(4, 0, 1, 90.0, 0.0, {{0.0, 41.0}});
  const SignalPlan merged_one = merge_signal_plans(first, second);
  validate_signal_plan(merged_one, 4);
  EXPECT_EQ(merged_one.link_gate, (std::vector<std::int32_t>{0, -1, 1, -1}));
  EXPECT_EQ(merged_one.cycle_s, (std::vector<double>{90.0, 60.0}));
  EXPECT_EQ(merged_one.offset_s, (std::vector<double>{0.0, 5.0}));
  EXPECT_EQ(merged_one.green_end_s, (std::vector<double>{41.0, 20.0}));

  // a link gated in both keeps the first plan's gate
  second = single_gate(4, 2, 1, 90.0, 0.0, {{45.0, 86.0}});
  const SignalPlan merged_two = merge_signal_plans(first, second);
  EXPECT_EQ(merged_two.link_gate, (std::vector<std::int32_t>{-1, -1, 0, -1}));
  EXPECT_EQ(merged_two.cycle_s, (std::vector<double>{60.0}));
  EXPECT_THROW(static_cast<void>(merge_signal_plans(first, single_gate(3, 0, 1, 60.0, 0.0, {}))),
               std::invalid_argument);
}

// --- gating in the queue model ---

TEST(SignalGatingTest, SaturatedApproachDischargesCapacityTimesGreenFraction) {
  // link 0: 150 m at 15 m/s (10 ticks), 1800 veh/h = 0.5 veh per tick, storage 20, gated with a
  // 60 s cycle green in [0, 30); link 1: 100 m, 7200 veh/h, never blocks. 2000 cars depart at
  // once. Each green starts with a full credit of 1 car: cars cross at g, g + 2, ..., g + 28,
  // 15 per cycle = 900 veh/h = 1800 × 30 / 60. Red never banks more than the credit cap.
  OwnedGraph g;
  g.n_nodes = 3;
  g.add_link(0, 1, 150.0, 15.0, 1800.0);
  g.add_link(1, 2, 100.0, 15.0, 7200.0);
  const LinkGraph view = g.view();
  Trips trips;
  for (int i = 0; i < 2000; ++i) trips.add(0.0, kModeCar, {0, 1});
  const SignalPlan plan = single_gate(2, 0, 1, 60.0, 0.0, {{0.0, 30.0}});
  QueueModelConfig config;
  config.signals = &plan;
  config.interval_s = 3600.0;
  const QueueModel model(view, trips, config);
  const QueueModelResult r = model.run();

  // [3600, 7200) holds 60 whole saturated cycles
  ASSERT_GE(r.link_stats.n_intervals(), 3);
  const double expected = 1800.0 * plan.green_fraction(0);
  EXPECT_EQ(expected, 900.0);
  EXPECT_NEAR(r.link_stats.volume_veh[2], expected, 0.01 * expected);
  EXPECT_EQ(r.link_stats.volume_veh[2], 900);
  EXPECT_EQ(r.n_stuck_releases, 0);

  // cars cross only in green seconds: arrival (7 ticks on link 1 later) − 7 within [0, 30)
  for (std::size_t v = 0; v < 2000; ++v) {
    const auto crossed = static_cast<std::int64_t>(r.trips.arrival_s[v]) - 7;
    ASSERT_LT(crossed % 60, 30) << "car " << v << " crossed at " << crossed;
  }
  // the first cycle passes cars 0..9 (at 10, 12, ..., 28: link 0 takes 10 ticks), the next 132
  // cycles 15 each, cycle 133 the last 10 (at 7980, ..., 7998)
  EXPECT_EQ(r.trips.arrival_s[9], 28.0 + 7.0);
  EXPECT_EQ(r.trips.arrival_s[10], 60.0 + 7.0);
  EXPECT_EQ(r.trips.arrival_s[1999], 133.0 * 60.0 + 18.0 + 7.0);

  // without the signal the same link discharges its full 1800 veh/h
  QueueModelConfig free_config = config;
  free_config.signals = nullptr;
  const QueueModelResult f = QueueModel(view, trips, free_config).run();
  EXPECT_EQ(f.link_stats.volume_veh[0], 1800 - 5);  // the first car leaves at 10
  EXPECT_EQ(f.link_stats.volume_veh[2], 200 + 5);
}

TEST(SignalGatingTest, CarsArrivingOnRedWaitForGreen) {
  // chain 0 → 1 → 2, 100 m links at 50 km/h (8 ticks each), 1800 veh/h; link 0 gated at node 1
  // with a 60 s cycle starting at 20 s, green [0, 30): green in [20, 50), [80, 110), ...
  //   car 0 departs 0: due at 8 on red, crosses at 20, arrives 20 + 8 = 28 (free: 16)
  //   car 1 departs 30: due at 38 on green, arrives 46 (no delay)
  //   car 2 departs 44 and ends on link 0: arrivals do not cross the node, 52 despite red
  //   car 3 departs 45: due at 53 on red, crosses at 80, arrives 88 (delay 27 s)
  OwnedGraph g;
  g.n_nodes = 3;
  g.add_link(0, 1, 100.0, 50.0 / 3.6, 1800.0);
  g.add_link(1, 2, 100.0, 50.0 / 3.6, 1800.0);
  const LinkGraph view = g.view();
  Trips trips;
  trips.add(0.0, kModeCar, {0, 1});
  trips.add(30.0, kModeCar, {0, 1});
  trips.add(44.0, kModeCar, {0});
  trips.add(45.0, kModeCar, {0, 1});
  const SignalPlan plan = single_gate(2, 0, 1, 60.0, 20.0, {{0.0, 30.0}});
  QueueModelConfig config;
  config.signals = &plan;
  const QueueModelResult r = QueueModel(view, trips, config).run();
  EXPECT_EQ(r.trips.arrival_s, (std::vector<double>{28.0, 46.0, 52.0, 88.0}));
  EXPECT_EQ(r.trips.delay_s, (std::vector<double>{12.0, 0.0, 0.0, 27.0}));
  EXPECT_EQ(r.n_stuck_releases, 0);  // waiting on red is not being stuck

  // the same with signals off: free flow, except that car 2's arrival at 52 spent link 0's
  // credit (0.5 per tick), so car 3 leaves it at 54 rather than 53
  config.signals = nullptr;
  const QueueModelResult f = QueueModel(view, trips, config).run();
  EXPECT_EQ(f.trips.arrival_s, (std::vector<double>{16.0, 46.0, 52.0, 62.0}));
}

TEST(SignalGatingTest, RedDoesNotTriggerTheStuckRelease) {
  // three 15 m links (1 tick, storage 2, 3600 veh/h = 1 per tick); link 1's exit is red in
  // [0, 50) of every 60 s. Cars 0 and 1 fill link 1; car 2 waits 48 s in link 0's buffer for
  // room on link 1, far beyond stuck_time_s = 10 s, but a queue held by a red light is no
  // gridlock: it must not be pushed on
  OwnedGraph g;
  g.n_nodes = 4;
  g.add_link(0, 1, 15.0, 15.0, 3600.0);
  g.add_link(1, 2, 15.0, 15.0, 3600.0);
  g.add_link(2, 3, 15.0, 15.0, 3600.0);
  const LinkGraph view = g.view();
  Trips trips;
  for (int i = 0; i < 3; ++i) trips.add(0.0, kModeCar, {0, 1, 2});
  // link 1 gated at node 2: green [50, 60) of a 60 s cycle
  const SignalPlan plan = single_gate(3, 1, 2, 60.0, 0.0, {{50.0, 60.0}});
  QueueModelConfig config;
  config.signals = &plan;
  const QueueModel model(view, trips, config);
  ASSERT_EQ(model.storage_veh(1), 2);
  const QueueModelResult r = model.run();
  // car 0 enters link 0 at 0, link 1 at 1, waits to 50, enters link 2 at 50, arrives 51; car 1
  // enters link 0 at 0 (storage 2), link 1 at 2 (1 car per tick), crosses at 51, arrives 52;
  // car 2 enters link 0 at 2 (when car 0's space is free), is due at 3 and waits in link 0's
  // buffer until link 1 has room again at 51 (car 0 left it at 50), crosses at 52, arrives 53
  EXPECT_EQ(r.trips.arrival_s, (std::vector<double>{51.0, 52.0, 53.0}));
  EXPECT_EQ(r.n_stuck_releases, 0);
}

// random car trips routed on free-flow times
Trips routed_trips(const LinkGraph& view, std::int64_t n_trips, double spread_s,
                   std::uint64_t seed) {
  std::vector<double> cost(static_cast<std::size_t>(view.n_links()));
  for (std::size_t l = 0; l < cost.size(); ++l) cost[l] = view.length_m[l] / view.free_speed_mps[l];
  const Router router(view, cost);
  std::vector<std::int32_t> from;
  std::vector<std::int32_t> to;
  Trips trips;
  for (std::int64_t q = 0; q < n_trips; ++q) {
    sim::Rng rng = sim::rng_for(seed, 6, static_cast<std::uint64_t>(q), 0);
    const auto n = static_cast<std::uint64_t>(view.n_nodes);
    from.push_back(static_cast<std::int32_t>(rng.uniform_int(n)));
    to.push_back(static_cast<std::int32_t>(rng.uniform_int(n)));
    trips.departure_s.push_back(std::floor(rng.uniform() * spread_s));
  }
  const RouteSet routes = router.route_many(from, to);
  trips.mode.assign(trips.departure_s.size(), kModeCar);
  trips.route_begin = routes.path_begin;
  trips.route_link_idx = routes.link_idx;
  return trips;
}

TEST(SignalGatingTest, EmptyAndAlwaysGreenPlansChangeNothing) {
  // a congested signal-free grid: no plan, an empty plan, a plan gating nothing and a plan
  // whose gates are green all cycle give bit-identical runs
  OwnedGraph g = grid_city(10, 10, 100.0);
  const LinkGraph view = g.view();
  const Trips trips = routed_trips(view, 3000, 600.0, 42);
  const QueueModelResult base = QueueModel(view, trips, {}).run();
  ASSERT_GT(base.n_link_traversals, 0);

  SignalPlan ungated;
  ungated.link_gate.assign(static_cast<std::size_t>(view.n_links()), -1);
  SignalPlan always_green = ungated;
  for (std::int32_t l = 0; l < static_cast<std::int32_t>(view.n_links()); ++l) {
    always_green.link_gate[static_cast<std::size_t>(l)] = l;
    always_green.gate_link_idx.push_back(l);
    always_green.gate_node_idx.push_back(view.to_node_idx[static_cast<std::size_t>(l)]);
    always_green.cycle_s.push_back(60.0 + l % 7);
    always_green.offset_s.push_back(l % 13);
    always_green.green_start_s.push_back(0.0);
    always_green.green_end_s.push_back(60.0 + l % 7);
    always_green.green_begin.push_back(l + 1);
  }
  const SignalPlan empty;
  for (const SignalPlan* plan : std::vector<const SignalPlan*>{&empty, &ungated, &always_green}) {
    QueueModelConfig config;
    config.signals = plan;
    const QueueModelResult r = QueueModel(view, trips, config).run();
    EXPECT_EQ(r.trips.arrival_s, base.trips.arrival_s);
    EXPECT_EQ(r.trips.stuck_count, base.trips.stuck_count);
    EXPECT_EQ(r.link_stats.volume_veh, base.link_stats.volume_veh);
    EXPECT_EQ(r.link_stats.queue_veh, base.link_stats.queue_veh);
    EXPECT_EQ(r.n_ticks, base.n_ticks);
  }
}

// a 46 × 46 grid street network (2,116 nodes: enough for the parallel node and link phases),
// 100 m blocks, 30 km/h and 1200 veh/h, every node signalised
StreetNetwork signalised_grid(std::int32_t nx, std::int32_t ny) {
  StreetNetwork net;
  for (std::int32_t y = 0; y < ny; ++y) {
    for (std::int32_t x = 0; x < nx; ++x) {
      net.add_node(x + nx * y + 1, 100.0 * x, 100.0 * y, 0.0, true);
    }
  }
  std::int64_t id = 0;
  const auto link = [&](std::int32_t a, std::int32_t b) {
    StreetNetwork::LinkSpec spec;
    spec.link_id = ++id;
    spec.external_id = std::to_string(id);
    spec.from_node_idx = a;
    spec.to_node_idx = b;
    spec.length_m = 100.0;
    spec.free_speed_mps = 30.0 / 3.6;
    spec.flow_capacity_veh_per_h = 1200.0;
    spec.modes = kModeAll;
    net.add_link(spec);
  };
  for (std::int32_t y = 0; y < ny; ++y) {
    for (std::int32_t x = 0; x < nx; ++x) {
      const std::int32_t n = x + nx * y;
      if (x + 1 < nx) {
        link(n, n + 1);
        link(n + 1, n);
      }
      if (y + 1 < ny) {
        link(n, n + nx);
        link(n + nx, n);
      }
    }
  }
  net.finalize();
  return net;
}

TEST(SignalGatingTest, SignalisedGridThreadsAgree) {
  const StreetNetwork net = signalised_grid(46, 46);
  const LinkGraph view = link_graph_of(net);
  const SignalPlan plan = default_signal_plan(net);
  // every node has approaches on two axes: all 8,280 links gated, green 41 of 90 s
  EXPECT_EQ(plan.n_gated_links(), net.n_links());
  EXPECT_DOUBLE_EQ(plan.green_fraction(0), 41.0 / 90.0);
  const Trips trips = routed_trips(view, 2000, 600.0, 7);
  QueueModelConfig config;
  config.signals = &plan;
  const QueueModel model(view, trips, config);
  sim::set_thread_count(1);
  const QueueModelResult one = model.run();
  sim::set_thread_count(2);
  const QueueModelResult two = model.run();
  sim::set_thread_count(0);

  // every car arrives, identically on 1 and 2 threads
  EXPECT_EQ(std::count(one.trips.arrived.begin(), one.trips.arrived.end(), 1), 2000);
  EXPECT_EQ(one.trips.arrival_s, two.trips.arrival_s);
  EXPECT_EQ(one.trips.stuck_count, two.trips.stuck_count);
  EXPECT_EQ(one.link_stats.volume_veh, two.link_stats.volume_veh);
  EXPECT_EQ(one.link_stats.queue_veh, two.link_stats.queue_veh);
  EXPECT_EQ(one.n_ticks, two.n_ticks);

  // signals add delay. Webster's uniform delay for random arrivals at low flow,
  // C (1 − g/C)² / 2 = 90 × (49/90)² / 2 = 13.3 s per crossing, is an upper estimate here: all
  // nodes share offset 0, so a platoon released at the start of a green reaches the next node
  // 12 s later, within the same 41 s green (measured: 10.2 s per crossing)
  config.signals = nullptr;
  const QueueModelResult free_run = QueueModel(view, trips, config).run();
  double extra_delay_s = 0.0;
  std::int64_t n_crossings = 0;
  for (std::size_t v = 0; v < 2000; ++v) {
    extra_delay_s += one.trips.delay_s[v] - free_run.trips.delay_s[v];
    n_crossings += std::max<std::int64_t>(0, trips.route_begin[v + 1] - trips.route_begin[v] - 1);
  }
  const double per_crossing_s = extra_delay_s / static_cast<double>(n_crossings);
  EXPECT_GT(per_crossing_s, 5.0);
  EXPECT_LT(per_crossing_s, 13.4);
}

}  // namespace
}  // namespace citytwin::mobility
