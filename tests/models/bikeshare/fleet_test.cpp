// The bike-share fleet: bikes as agents in docks, e-bikes and charging, trip records, trucks.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <citytwin/bikeshare/bikeshare_model.hpp>
#include <citytwin/bikeshare/demand_estimate.hpp>
#include <citytwin/bikeshare/register.hpp>
#include <citytwin/io/simulation.hpp>

#include "bikeshare_test_support.hpp"
#include "sim_test.hpp"

namespace citytwin::bikeshare {
namespace {

namespace fs = std::filesystem;

using test::bikeshare_registry;
using test::kStartUtcS;
using test::snapshot;
using test::write_json;

// stations at the given coordinates, capacity `cap`, an initial snapshot, and a demand day that
// alternates between `a` and `b` every 15 minutes (a == b: no demand)
fs::path stations_folder(const std::string& name, const std::vector<double>& lat, const std::vector<double>& lon,
                         int cap, const std::vector<int>& initial, const std::vector<int>& a,
                         const std::vector<int>& b) {
  // one folder per test: ctest runs the tests of this file side by side, in separate processes
  const fs::path dir = fs::temp_directory_path() /
                       ("citytwin_bikeshare_fleet_" + name + "_" +
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
  fs::remove_all(dir);
  fs::create_directories(dir / "status");
  fs::create_directories(dir / "demand");
  nlohmann::json stations = nlohmann::json::array();
  for (std::size_t s = 0; s < lat.size(); ++s) {
    stations.push_back({{"station_id", std::to_string(s + 1)},
                        {"name", "S" + std::to_string(s + 1)},
                        {"lat", lat[s]},
                        {"lon", lon[s]},
                        {"capacity", cap}});
  }
  write_json(dir / "station_information.json",
             {{"last_updated", kStartUtcS}, {"ttl", 0}, {"version", "2.2"}, {"data", {{"stations", stations}}}});
  write_json(dir / "status" / "station_status_1.json", snapshot(kStartUtcS, initial, cap));
  for (int k = 0; k < 13; ++k) {
    write_json(dir / "demand" / ("station_status_" + std::to_string(k) + ".json"),
               snapshot(kStartUtcS - 86400 + k * 900, k % 2 == 0 ? a : b, cap));
  }
  return dir;
}

std::string scenario_text(const fs::path& dir, const std::string& extra, const std::string& duration = "3h") {
  return "name = \"bikes\"\nseed = 7\n[time]\nstart = 2024-06-21T08:00:00\ntime_zone = \"UTC\"\n"
         "dt_s = 60\nduration = \"" + duration + "\"\n[city.generator]\nn_buildings = 1\n[models.bikeshare]\n"
         "stations = \"" + (dir / "station_information.json").string() + "\"\nstatus = \"" +
         (dir / "status").string() + "\"\ndemand_from = \"" + (dir / "demand").string() + "\"\n" + extra;
}

template <typename T>
std::vector<T> column(const sim::Engine& engine, const std::string& name) {
  const auto span = engine.state().get(engine.layout().get<T>("bikeshare." + name));
  return {span.begin(), span.end()};
}

std::int32_t total(const sim::Engine& engine, const std::string& name) {
  return column<std::int32_t>(engine, name)[0];
}

double total_f(const sim::Engine& engine, const std::string& name) { return column<double>(engine, name)[0]; }

fs::path three_stations() {
  return stations_folder("three", {59.9100, 59.9118, 59.9100}, {10.7500, 10.7500, 10.7536}, 4, {4, 0, 2},
                         {3, 1, 2}, {1, 3, 2});
}

const std::string kFleetExtras =
    "demand_scale = 3.0\nebike_share_frac = 0.5\ncharging = [\"1\"]\ntrucks = 1\ntruck_capacity = 2\n"
    "rebalance_min_bikes = 1\n";

// every step: bikes docked + in transit + on trucks == fleet, per-station counts match the
// docks, every started trip is completed or in transit, and trip records are consistent
TEST(BikeshareFleet, ConservationWithEbikesAndTrucks) {
  const fs::path dir = three_stations();
  io::Simulation simulation(io::Scenario::from_text(scenario_text(dir, kFleetExtras)), {{}, 1},
                            bikeshare_registry());
  const sim::Engine& engine = simulation.engine();
  EXPECT_EQ(total(engine, "fleet"), 6);
  // bikes 0..5 in station order, every second one electric
  EXPECT_EQ(column<std::uint8_t>(engine, "bike_ebike"), (std::vector<std::uint8_t>{0, 1, 0, 1, 0, 1}));
  std::int64_t n_steps = 0;
  std::int32_t max_on_trucks = 0;
  while (!engine.done()) {
    simulation.step(1);
    ++n_steps;
    const auto bikes = column<std::int32_t>(engine, "bikes_available");
    const auto where = column<std::int32_t>(engine, "bike_station_idx");
    const auto docks = column<std::int32_t>(engine, "dock_bike_idx");
    const std::int32_t at_stations = std::accumulate(bikes.begin(), bikes.end(), 0);
    const auto in_transit = static_cast<std::int32_t>(std::count(where.begin(), where.end(), -1));
    const auto on_trucks = static_cast<std::int32_t>(std::count(where.begin(), where.end(), -2));
    ASSERT_EQ(at_stations + in_transit + on_trucks, 6) << "step " << n_steps;
    ASSERT_EQ(in_transit, total(engine, "bikes_in_transit"));
    ASSERT_EQ(on_trucks, total(engine, "bikes_on_trucks"));
    ASSERT_EQ(on_trucks, column<std::int32_t>(engine, "truck_load")[0]);
    ASSERT_EQ(static_cast<std::int64_t>(docks.size()) - std::count(docks.begin(), docks.end(), -1), at_stations);
    ASSERT_EQ(total(engine, "trips_started"), total(engine, "trips_completed") + in_transit);
    max_on_trucks = std::max(max_on_trucks, on_trucks);
  }
  EXPECT_EQ(n_steps, 180);
  EXPECT_GT(total(engine, "trips_started"), 10);
  EXPECT_GT(total(engine, "ebike_trips"), 0);
  EXPECT_GT(max_on_trucks, 0);
  EXPECT_GT(total(engine, "rebalanced_bikes"), 0);
  EXPECT_EQ(simulation.engine().diagnostics().n_warnings(), 0);

  // trip records: one per completed trip (the table is larger than the run's trips), in
  // completion order; rides last whole steps, ride-on time comes on top
  const auto start = column<float>(engine, "trip_start_s");
  const auto end = column<float>(engine, "trip_end_s");
  const auto origin = column<std::int32_t>(engine, "trip_origin_idx");
  const auto destination = column<std::int32_t>(engine, "trip_destination_idx");
  const auto distance = column<float>(engine, "trip_distance_m");
  const auto trips = static_cast<std::size_t>(total(engine, "trips_completed"));
  ASSERT_GT(start.size(), trips);
  const auto ebike = column<std::uint8_t>(engine, "trip_ebike");
  const std::int32_t rides_on_ebikes =
      std::accumulate(ebike.begin(), ebike.begin() + static_cast<std::ptrdiff_t>(trips), 0);
  EXPECT_GT(rides_on_ebikes, 0);
  for (std::size_t k = 0; k < trips; ++k) {
    EXPECT_GE(end[k] - start[k], 60.0F);
    EXPECT_EQ(std::fmod(start[k], 60.0F), 0.0F);
    EXPECT_TRUE(origin[k] >= 0 && origin[k] < 3);
    EXPECT_TRUE(destination[k] >= 0 && destination[k] < 3);
    EXPECT_GE(distance[k], 0.0F);
    if (k > 0) {
      EXPECT_GE(end[k], end[k - 1]);
    }
  }
  EXPECT_EQ(end[trips], 0.0F);
}

// 1 and 2 threads give bit-identical states with e-bikes, charging and a truck
TEST(BikeshareFleet, OneAndTwoThreadsIdentical) {
  const fs::path dir = three_stations();
  const std::string text = scenario_text(dir, kFleetExtras);
  io::Simulation one(io::Scenario::from_text(text), {{}, 1}, bikeshare_registry());
  io::Simulation two(io::Scenario::from_text(text), {{}, 2}, bikeshare_registry());
  one.run();
  two.run();
  EXPECT_GT(total(one.engine(), "trips_started"), 0);
  EXPECT_TRUE(one.engine().state().bitwise_equal(two.engine().state()));
}

// one station, one e-bike at 50 %: 0.25 kW per dock, 90 % efficiency, 500 Wh: each minute adds
// 0.25 kW x 1/60 h x 0.9 / 0.5 kWh = 0.0075 until the taper at 80 %; above it the power is
// 0.25 kW x (1 - soc) / 0.2
TEST(BikeshareFleet, ChargingByHand) {
  const fs::path dir = stations_folder("charge", {59.91}, {10.75}, 2, {1}, {1}, {1});
  const std::string text =
      scenario_text(dir, "ebike_share_frac = 1.0\nebike_initial_soc_frac = 0.5\ncharging = true\n", "50min");
  io::Simulation simulation(io::Scenario::from_text(text), {{}, 1}, bikeshare_registry());
  const sim::Engine& engine = simulation.engine();
  simulation.step(1);
  EXPECT_NEAR(column<double>(engine, "bike_soc_frac")[0], 0.5075, 1e-12);
  EXPECT_NEAR(column<double>(engine, "charge_power_kw")[0], 0.25, 1e-12);
  simulation.step(39);  // 40 steps: 0.5 + 40 x 0.0075 = 0.8
  EXPECT_NEAR(column<double>(engine, "bike_soc_frac")[0], 0.8, 1e-9);
  EXPECT_NEAR(total_f(engine, "ebike_charge_kwh"), 40 * 0.25 / 60.0, 1e-9);
  simulation.step(1);  // taper: power 0.25 x 0.2 / 0.2 = 0.25 at soc 0.8 exactly
  EXPECT_NEAR(column<double>(engine, "bike_soc_frac")[0], 0.8075, 1e-9);
  simulation.step(1);  // soc 0.8075: power 0.25 x 0.1925 / 0.2 = 0.240625
  EXPECT_NEAR(column<double>(engine, "charge_power_kw")[0], 0.240625, 1e-9);
  EXPECT_NEAR(column<double>(engine, "bike_soc_frac")[0], 0.8075 + 0.240625 / 60.0 * 0.9 / 0.5, 1e-9);
  EXPECT_NEAR(column<double>(engine, "mean_ebike_soc_frac")[0], column<double>(engine, "bike_soc_frac")[0], 0.0);
}

// two stations 1 km apart, 10 docks each, 10 and 0 bikes, no demand: targets 5 and 5. The truck
// (capacity 4) starts at station 1, picks 4 bikes there at once, drives 1.3 x d to station 2
// and drops them: 6 and 4 bikes, one drive. Then the surplus (1) is below rebalance_min_bikes.
TEST(BikeshareFleet, TwoStationTruckByHand) {
  const double lon2 = 10.75 + 1000.0 / (6371008.8 * std::cos(59.91 * 3.141592653589793 / 180.0)) * 180.0 /
                                  3.141592653589793;
  const fs::path dir = stations_folder("truck", {59.91, 59.91}, {10.75, lon2}, 10, {10, 0}, {10, 0}, {10, 0});
  const std::string text = scenario_text(
      dir, "trucks = 1\ntruck_capacity = 4\ntruck_depot = \"1\"\ntruck_handling_s_per_bike = 0.0\n"
           "truck_speed_mps = 6.5\n", "1h");
  io::Simulation simulation(io::Scenario::from_text(text), {{}, 1}, bikeshare_registry());
  const sim::Engine& engine = simulation.engine();
  const double d_m = great_circle_m(59.91, 10.75, 59.91, lon2);
  ASSERT_NEAR(d_m, 1000.0, 1.0);
  simulation.step(1);
  EXPECT_EQ(column<std::int32_t>(engine, "bikes_available"), (std::vector<std::int32_t>{6, 0}));
  EXPECT_EQ(total(engine, "bikes_on_trucks"), 4);
  EXPECT_NEAR(total_f(engine, "rebalancing_km"), 1.3 * d_m / 1000.0, 1e-9);
  // 1300 m at 6.5 m/s = 200 s: arrives in the 4th step (ceil(200 / 60) = 4 steps later)
  simulation.step(3);
  EXPECT_EQ(total(engine, "bikes_on_trucks"), 4);
  simulation.step(1);
  EXPECT_EQ(column<std::int32_t>(engine, "bikes_available"), (std::vector<std::int32_t>{6, 4}));
  EXPECT_EQ(total(engine, "rebalanced_bikes"), 4);
  simulation.run();
  EXPECT_EQ(column<std::int32_t>(engine, "bikes_available"), (std::vector<std::int32_t>{6, 4}));
  EXPECT_NEAR(total_f(engine, "rebalancing_km"), 1.3 * d_m / 1000.0, 1e-9);
  EXPECT_EQ(total(engine, "trips_started"), 0);

  // the baseline without trucks moves nothing
  io::Simulation none(io::Scenario::from_text(scenario_text(dir, "trucks = 0\n", "1h")), {{}, 1},
                      bikeshare_registry());
  none.run();
  EXPECT_EQ(column<std::int32_t>(none.engine(), "bikes_available"), (std::vector<std::int32_t>{10, 0}));
  EXPECT_EQ(total_f(none.engine(), "rebalancing_km"), 0.0);
}

// e-bikes below ebike_min_soc_frac are not rented: with only flat e-bikes every wanted rental
// is lost as flat (none as no_bike), and nothing charges without charging stations
TEST(BikeshareFleet, FlatEbikesAreNotRented) {
  const fs::path dir = three_stations();
  const std::string text =
      scenario_text(dir, "demand_scale = 3.0\nebike_share_frac = 1.0\nebike_initial_soc_frac = 0.1\n");
  io::Simulation simulation(io::Scenario::from_text(text), {{}, 1}, bikeshare_registry());
  simulation.run();
  const sim::Engine& engine = simulation.engine();
  EXPECT_EQ(total(engine, "trips_started"), 0);
  EXPECT_GT(total(engine, "lost_flat_ebike"), 10);
  EXPECT_EQ(total(engine, "lost_no_bike"), 0);
  EXPECT_EQ(column<std::int32_t>(engine, "bikes_available"), (std::vector<std::int32_t>{4, 0, 2}));
  for (const double soc : column<double>(engine, "bike_soc_frac")) EXPECT_EQ(soc, 0.1);
  EXPECT_EQ(total_f(engine, "ebike_charge_kwh"), 0.0);
}

// demand_from = "mobility" without the mobility model is a config error naming the key
TEST(BikeshareFleet, MobilityDemandNeedsTheMobilityModel) {
  const std::string text =
      "name = \"bikes\"\n[time]\nstart = 2024-06-21T08:00:00\ntime_zone = \"UTC\"\ndt_s = 60\n"
      "duration = \"1h\"\n[city.generator]\nn_buildings = 20\n[models.bikeshare]\nstations = \"none\"\n"
      "demand_from = \"mobility\"\n[[models.bikeshare.station]]\nid = 1\nlat = 0.0\nlon = 0.0\n";
  const auto build = [&] { io::Simulation s(io::Scenario::from_text(text), {{}, 1}, bikeshare_registry()); };
  EXPECT_INPUT_ERROR(build(), "inline\\.toml:11:.*demand_from.*mobility.*\\[models\\.mobility\\]");
}

}  // namespace
}  // namespace citytwin::bikeshare
