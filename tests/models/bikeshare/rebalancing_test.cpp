#include <citytwin/bikeshare/rebalancing.hpp>

#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

namespace citytwin::bikeshare {
namespace {

constexpr double kHourS = 3600.0;

/// Two stations 1000 m apart.
const std::vector<double> kDistance = {0.0, 1000.0, 1000.0, 0.0};

TruckConfig small_truck() {
  TruckConfig c;
  c.capacity_bikes = 5;
  c.speed_mps = 8.0;
  c.load_time_s_per_bike = 30.0;
  c.shift_start_s = 6.0 * kHourS;
  c.shift_end_s = 22.0 * kHourS;
  c.depot_station_idx = 0;
  return c;
}

TruckFleet one_truck_at(std::int32_t station, std::int32_t load = 0, double free_at_s = 0.0) {
  TruckFleet f;
  f.station_idx = {station};
  f.load_bikes = {load};
  f.free_at_s = {free_at_s};
  return f;
}

TEST(Rebalancing, FullToEmptyMovesMinOfCapacitySurplusDeficit) {
  const std::vector<std::int32_t> bikes = {18, 2}, capacity = {20, 20}, target = {10, 10};
  const double now = 8.0 * kHourS;
  const auto moves = plan_rebalancing(now, bikes, capacity, target, one_truck_at(0), kDistance,
                                      small_truck());
  ASSERT_EQ(moves.size(), 1u);
  EXPECT_EQ(moves[0].truck, 0);
  EXPECT_EQ(moves[0].from_station, 0);
  EXPECT_EQ(moves[0].to_station, 1);
  EXPECT_EQ(moves[0].n_bikes, 5);  // min(5 truck, 8 surplus, 8 deficit)
  EXPECT_DOUBLE_EQ(moves[0].depart_s, now);
  EXPECT_DOUBLE_EQ(moves[0].pickup_s, now + 5 * 30.0);                  // already there, load 5
  EXPECT_DOUBLE_EQ(moves[0].arrive_s, now + 150.0 + 1000.0 / 8.0 + 150.0);  // drive, unload

  // a big truck starting at the empty station: drive there, 8 bikes
  TruckConfig big = small_truck();
  big.capacity_bikes = 20;
  const auto far = plan_rebalancing(now, bikes, capacity, target, one_truck_at(1), kDistance, big);
  ASSERT_EQ(far.size(), 1u);
  EXPECT_EQ(far[0].n_bikes, 8);
  EXPECT_DOUBLE_EQ(far[0].pickup_s, now + 125.0 + 240.0);
  EXPECT_DOUBLE_EQ(far[0].arrive_s, now + 125.0 + 240.0 + 125.0 + 240.0);
}

TEST(Rebalancing, SecondTruckSeesWhatTheFirstLeft) {
  const std::vector<std::int32_t> bikes = {18, 2}, capacity = {20, 20}, target = {10, 10};
  TruckFleet fleet;
  fleet.station_idx = {0, 0, 0};
  fleet.load_bikes = {0, 0, 0};
  fleet.free_at_s = {0.0, 0.0, 0.0};
  const auto moves = plan_rebalancing(9.0 * kHourS, bikes, capacity, target, fleet, kDistance,
                                      small_truck());
  ASSERT_EQ(moves.size(), 2u);
  EXPECT_EQ(moves[0].n_bikes, 5);
  EXPECT_EQ(moves[1].truck, 1);
  EXPECT_EQ(moves[1].n_bikes, 3);  // 8 - 5 left; the third truck finds nothing
}

TEST(Rebalancing, NoMovesOutsideShiftAtTargetOrWhenBusy) {
  const std::vector<std::int32_t> bikes = {18, 2}, capacity = {20, 20}, target = {10, 10};
  const TruckConfig c = small_truck();
  const auto plan = [&](double now, const TruckFleet& f, const std::vector<std::int32_t>& b) {
    return plan_rebalancing(now, b, capacity, target, f, kDistance, c);
  };
  EXPECT_TRUE(plan(5.0 * kHourS, one_truck_at(0), bikes).empty());
  EXPECT_TRUE(plan(22.0 * kHourS, one_truck_at(0), bikes).empty());
  EXPECT_TRUE(plan(23.5 * kHourS, one_truck_at(0), bikes).empty());
  // a move of 425 s does not fit in the last 400 s of the shift
  EXPECT_TRUE(plan(22.0 * kHourS - 400.0, one_truck_at(0), bikes).empty());
  EXPECT_EQ(plan(22.0 * kHourS - 425.0, one_truck_at(0), bikes).size(), 1u);
  // the next day's shift (seconds of day from now_s modulo 86400)
  EXPECT_EQ(plan(86400.0 + 8.0 * kHourS, one_truck_at(0), bikes).size(), 1u);
  // all at target
  EXPECT_TRUE(plan(8.0 * kHourS, one_truck_at(0), {10, 10}).empty());
  // the truck is still busy
  EXPECT_TRUE(plan(8.0 * kHourS, one_truck_at(0, 0, 8.0 * kHourS + 1.0), bikes).empty());
}

TEST(Rebalancing, LoadedTruckDropsAtLargestDeficit) {
  const std::vector<std::int32_t> bikes = {10, 2}, capacity = {20, 20}, target = {10, 10};
  const double now = 12.0 * kHourS;
  const auto moves = plan_rebalancing(now, bikes, capacity, target, one_truck_at(0, 4), kDistance,
                                      small_truck());
  ASSERT_EQ(moves.size(), 1u);
  EXPECT_EQ(moves[0].from_station, -1);
  EXPECT_EQ(moves[0].to_station, 1);
  EXPECT_EQ(moves[0].n_bikes, 4);
  EXPECT_DOUBLE_EQ(moves[0].arrive_s, now + 125.0 + 4 * 30.0);
}

TEST(Rebalancing, TargetsFromExpectedNetOutflow) {
  const std::vector<double> rentals = {3.0, 1.0, 20.0, 0.0};
  const std::vector<double> returns = {1.0, 3.0, 0.0, 20.0};
  const std::vector<std::int32_t> capacity = {20, 20, 20, 20};
  // (rental - return) * 2 h + 0.5 * 20 docks, clamped to [0, 20]
  EXPECT_EQ(rebalancing_targets(rentals, returns, capacity, 2.0),
            (std::vector<std::int32_t>{14, 6, 20, 0}));
  TargetConfig none;
  none.buffer_frac = 0.0;
  EXPECT_EQ(rebalancing_targets(rentals, returns, capacity, 0.5, none),
            (std::vector<std::int32_t>{1, 0, 10, 0}));
  EXPECT_THROW((void)rebalancing_targets(rentals, returns, capacity, -1.0), std::invalid_argument);
}

TEST(Rebalancing, RejectsInconsistentSizes) {
  const std::vector<std::int32_t> bikes = {18, 2}, capacity = {20, 20}, target = {10};
  EXPECT_THROW((void)plan_rebalancing(8.0 * kHourS, bikes, capacity, target, one_truck_at(0),
                                      kDistance, small_truck()),
               std::invalid_argument);
  const std::vector<std::int32_t> ok_target = {10, 10};
  EXPECT_THROW((void)plan_rebalancing(8.0 * kHourS, bikes, capacity, ok_target, one_truck_at(7),
                                      kDistance, small_truck()),
               std::invalid_argument);
}

}  // namespace
}  // namespace citytwin::bikeshare
