#include <citytwin/bikeshare/bike_network.hpp>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include <citytwin/sim/city_generator.hpp>

namespace citytwin::bikeshare {
namespace {

/// Streets 0 -(100 m)- 1 -(100 m)- 2 on the x axis, node 1 and 2 five metres above node 0, and
/// an isolated node 3 at x = 1000 m.
sim::City line_city() {
  sim::City city;
  sim::Streets& s = city.streets;
  s.node_id = {10, 11, 12, 13};
  s.node_x_m = {0.0, 100.0, 200.0, 1000.0};
  s.node_y_m = {0.0, 0.0, 0.0, 0.0};
  s.node_z_m = {0.0, 5.0, 5.0, 0.0};
  s.node_signalised = {0, 0, 0, 0};
  s.street_id = {1, 2};
  s.from_node_idx = {0, 2};  // the second segment is stored from 2 to 1, and one-way
  s.to_node_idx = {1, 1};
  s.length_m = {100.0, 100.0};
  s.lanes_forward = {1, 1};
  s.lanes_backward = {1, 0};
  s.speed_limit_mps = {8.33, 8.33};
  s.width_m = {6.0, 3.0};
  s.street_class = {sim::StreetClass::kLocal, sim::StreetClass::kPath};
  return city;
}

BikeSpeedConfig line_config() {
  BikeSpeedConfig c;
  c.base_speed_mps = 5.0;
  c.uphill_slowdown_per_grade = 4.0;
  c.downhill_speedup_per_grade = 2.0;
  c.min_speed_frac = 0.3;
  c.max_speed_frac = 1.5;
  c.access_speed_mps = 1.0;
  return c;
}

TEST(BikeNetwork, HandComputedTimesOnASlopedLine) {
  const sim::City city = line_city();
  // stations: 10 m north of node 0, on node 2, on node 1, on the isolated node 3
  const std::vector<double> x = {0.0, 200.0, 100.0, 1000.0};
  const std::vector<double> y = {10.0, 0.0, 0.0, 0.0};
  const BikeNetworkTimes t = station_network_times(city, x, y, line_config());
  const std::size_t n = 4;
  EXPECT_EQ(t.station_node_idx, (std::vector<std::int32_t>{0, 2, 1, 3}));
  EXPECT_DOUBLE_EQ(t.access_m[0], 10.0);
  // 0 -> 1 uphill, grade 0.05: speed 5 * (1 - 4 * 0.05) = 4 m/s, 25 s
  // 1 -> 2 flat: 20 s; access 10 m at 1 m/s: 10 s
  EXPECT_DOUBLE_EQ(t.time_s[0 * n + 1], 25.0 + 20.0 + 10.0);
  EXPECT_DOUBLE_EQ(t.distance_m[0 * n + 1], 210.0);
  EXPECT_DOUBLE_EQ(t.climb_m[0 * n + 1], 5.0);
  // 1 -> 0 downhill, grade -0.05: speed 5 * (1 + 2 * 0.05) = 5.5 m/s; one-way street ridden back
  EXPECT_DOUBLE_EQ(t.time_s[1 * n + 0], 20.0 + 100.0 / 5.5 + 10.0);
  EXPECT_DOUBLE_EQ(t.distance_m[1 * n + 0], 210.0);
  EXPECT_DOUBLE_EQ(t.climb_m[1 * n + 0], 0.0);
  EXPECT_DOUBLE_EQ(t.time_s[2 * n + 1], 20.0);
  EXPECT_DOUBLE_EQ(t.time_s[2 * n + 2], 0.0);
  // the isolated station reaches nobody and nobody reaches it: 3 + 3 ordered pairs
  EXPECT_EQ(t.n_unreachable, 6);
  EXPECT_TRUE(std::isinf(t.time_s[3 * n + 0]));
  EXPECT_TRUE(std::isinf(t.distance_m[0 * n + 3]));
  EXPECT_DOUBLE_EQ(t.time_s[3 * n + 3], 0.0);
}

TEST(BikeNetwork, SteepClimbIsFlooredAndDescentCapped) {
  const sim::City city = line_city();
  BikeSpeedConfig c = line_config();
  c.uphill_slowdown_per_grade = 20.0;   // 1 - 20 * 0.05 = 0 -> floor 0.3 -> 1.5 m/s
  c.downhill_speedup_per_grade = 20.0;  // 1 + 20 * 0.05 = 2 -> cap 1.5 -> 7.5 m/s
  const std::vector<double> x = {0.0, 100.0};
  const std::vector<double> y = {0.0, 0.0};
  const BikeNetworkTimes t = station_network_times(city, x, y, c);
  EXPECT_DOUBLE_EQ(t.time_s[1], 100.0 / 1.5);
  EXPECT_DOUBLE_EQ(t.time_s[2], 100.0 / 7.5);
  EXPECT_EQ(t.n_unreachable, 0);
}

TEST(BikeNetwork, SameResultOnOneAndTwoThreads) {
  sim::CityGeneratorOptions options;
  options.n_buildings = 2000;
  const sim::City city = sim::generate_city(options);
  // 50 stations spread over the street nodes, offset from them
  std::vector<double> x, y;
  const auto n_nodes = static_cast<std::size_t>(city.streets.n_nodes());
  for (std::size_t i = 0; i < 50; ++i) {
    const std::size_t v = (i * 7919) % n_nodes;
    x.push_back(city.streets.node_x_m[v] + 3.0);
    y.push_back(city.streets.node_y_m[v] - 4.0);
  }
  const BikeSpeedConfig config;
#ifdef _OPENMP
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
#endif
  const BikeNetworkTimes one = station_network_times(city, x, y, config);
#ifdef _OPENMP
  omp_set_num_threads(2);
#endif
  const BikeNetworkTimes two = station_network_times(city, x, y, config);
#ifdef _OPENMP
  omp_set_num_threads(saved);
#endif
  EXPECT_EQ(one.time_s, two.time_s);
  EXPECT_EQ(one.climb_m, two.climb_m);
  EXPECT_EQ(one.n_unreachable, 0);
  // access legs are 5 m (3-4-5 offsets), routes never shorter than the straight line
  EXPECT_NEAR(one.access_m[0], 5.0, 1e-9);
  for (std::size_t i = 0; i < 50; ++i) {
    for (std::size_t j = 0; j < 50; ++j) {
      const double straight = std::hypot(x[i] - x[j], y[i] - y[j]);
      EXPECT_GE(one.distance_m[i * 50 + j], straight - 1e-6);
    }
  }
}

TEST(BikeNetwork, StationXyRoundTripsThroughTheCityCrs) {
  sim::CityGeneratorOptions options;
  options.n_buildings = 50;
  options.origin_lat_deg = 60.0;
  options.origin_lon_deg = 25.0;
  const sim::City city = sim::generate_city(options);
  StationTable stations;
  stations.lat_deg = {60.0, 60.01};
  stations.lon_deg = {25.0, 25.0};
  stations.station_id = {"a", "b"};
  std::vector<double> x, y;
  station_xy(city, stations, x, y);
  ASSERT_EQ(x.size(), 2u);
  EXPECT_NEAR(x[0], 0.0, 1e-6);
  EXPECT_NEAR(y[0], 0.0, 1e-6);
  // 0.01 deg of meridian arc at 60 N on WGS84: M = a (1 - e2) / (1 - e2 sin2)^1.5 -> 1114.12 m
  EXPECT_NEAR(x[1], 0.0, 1e-6);
  EXPECT_NEAR(y[1], 1114.12, 0.01);
  std::vector<double> lat, lon;
  city_lat_lon(city, x, y, lat, lon);
  EXPECT_NEAR(lat[1], 60.01, 1e-9);
  EXPECT_NEAR(lon[1], 25.0, 1e-9);

  sim::City no_crs;
  EXPECT_THROW(station_xy(no_crs, stations, x, y), std::invalid_argument);
}

TEST(BikeNetwork, RejectsBadArguments) {
  const sim::City city = line_city();
  const std::vector<double> x = {0.0, 1.0};
  const std::vector<double> y = {0.0};
  EXPECT_THROW((void)station_network_times(city, x, y, BikeSpeedConfig{}), std::invalid_argument);
  BikeSpeedConfig bad;
  bad.base_speed_mps = 0.0;
  EXPECT_THROW((void)station_network_times(city, x, x, bad), std::invalid_argument);
}

}  // namespace
}  // namespace citytwin::bikeshare
