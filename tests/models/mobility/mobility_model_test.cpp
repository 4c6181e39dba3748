#include <citytwin/mobility/mobility_model.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include <citytwin/io/simulation.hpp>
#include <citytwin/mobility/register.hpp>

#include "sim_test.hpp"

namespace citytwin::mobility {
namespace {

namespace fs = std::filesystem;

sim::ModelRegistry mobility_registry() {
  sim::ModelRegistry registry;
  register_mobility(registry);
  return registry;
}

fs::path data_dir() {
  const char* source = std::getenv("CITYTWIN_SOURCE_DIR");
  return fs::path(source != nullptr ? source : ".") / "tests/models/mobility/data";
}

// a 1 h scenario at dt_s (line 9 is [models.mobility], line 10 network, line 11 demand)
std::string scenario(const std::string& demand, const std::string& extra = "",
                     const std::string& dt_s = "60") {
  return "name = \"tiny\"\n[time]\nstart = 2024-06-21T08:00:00\ntime_zone = \"UTC\"\ndt_s = " +
         dt_s + "\nduration = \"1h\"\n[city.generator]\nn_buildings = 10\n[models.mobility]\n" +
         "network = \"" + (data_dir() / "tiny.net.xml").string() + "\"\ndemand = \"" + demand +
         "\"\n" + extra;
}

std::span<const double> column(const sim::Engine& engine, const std::string& name) {
  return engine.state().get(engine.layout().get<double>("mobility." + name));
}

double kpi(const io::Simulation& s, const std::string& name) {
  for (const auto& [model, k] : s.kpis()) {
    if (model == "mobility" && k.name == name) return k.value;
  }
  return std::nan("");
}

const std::string kRoutes = (data_dir() / "tiny.rou.xml").string();

// v0, v1, the routed trip t0 (E0 E2 E3), flow f0 (60, 80, 100 s) and the bicycle b0 arrive;
// on the empty network every car takes its free-flow time exactly (E0 20 s, E1 10 s, E2 and
// E3 20 s each) and the bicycle 200 m / (15 km/h) = 48 s per link
TEST(MobilityModel, SumoImportFreeFlowTimesExact) {
  io::Simulation s(io::Scenario::from_text(scenario(kRoutes), "inline.toml"), {}, mobility_registry());
  s.run();
  const sim::Engine& e = s.engine();
  const auto travel = column(e, "travel_time_s");
  const auto departure = column(e, "departure_s");
  const auto delay = column(e, "delay_s");
  const auto distance = column(e, "distance_m");
  ASSERT_EQ(travel.size(), 7U);
  const double expected_s[] = {30.0, 30.0, 60.0, 30.0, 30.0, 30.0, 96.0};
  const double expected_departure_s[] = {0.0, 5.0, 10.0, 60.0, 80.0, 100.0, 0.0};
  for (std::size_t v = 0; v < 7; ++v) {
    EXPECT_DOUBLE_EQ(travel[v], expected_s[v]) << "trip " << v;
    EXPECT_DOUBLE_EQ(departure[v], expected_departure_s[v]) << "trip " << v;
    EXPECT_DOUBLE_EQ(delay[v], 0.0) << "trip " << v;
  }
  EXPECT_DOUBLE_EQ(distance[2], 600.0);
  EXPECT_DOUBLE_EQ(kpi(s, "trips_arrived"), 7.0);
  EXPECT_DOUBLE_EQ(kpi(s, "trips_stuck_released"), 0.0);
  EXPECT_NEAR(kpi(s, "vehicle_km"), (5 * 400.0 + 600.0) / 1000.0, 1e-12 /* summation order */);
  EXPECT_NEAR(kpi(s, "co2_kg"), 2.6 * 0.170, 1e-12);
  EXPECT_NEAR(kpi(s, "bike_share_frac"), 1.0 / 7.0, 1e-15);
  EXPECT_NEAR(kpi(s, "vehicle_hours"), (5 * 30.0 + 60.0) / 3600.0, 1e-15);
  EXPECT_DOUBLE_EQ(kpi(s, "total_delay_h"), 0.0);
}

// the same run on dt_s = 1 (one substep per tick) gives the same trip table
TEST(MobilityModel, TickLengthDoesNotChangeTrips) {
  io::Simulation a(io::Scenario::from_text(scenario(kRoutes)), {}, mobility_registry());
  io::Simulation b(io::Scenario::from_text(scenario(kRoutes, "", "1")), {}, mobility_registry());
  a.run();
  b.run();
  for (const char* name : {"arrival_s", "travel_time_s", "distance_m"}) {
    const auto x = column(a.engine(), name);
    const auto y = column(b.engine(), name);
    EXPECT_TRUE(std::equal(x.begin(), x.end(), y.begin())) << name;
  }
}

TEST(MobilityModel, OneAndTwoThreadsGiveIdenticalState) {
  const std::string text = scenario(kRoutes);
  io::Simulation one(io::Scenario::from_text(text), {{}, 1}, mobility_registry());
  io::Simulation two(io::Scenario::from_text(text), {{}, 2}, mobility_registry());
  one.run();
  two.run();
  EXPECT_TRUE(one.engine().state().bitwise_equal(two.engine().state()));
  EXPECT_EQ(column(one.engine(), "arrival_s").size(), 7U);
}

TEST(MobilityModel, ConfigErrorsNameFileLineAndKey) {
  const auto build = [](const std::string& text) {
    io::Simulation s(io::Scenario::from_text(text, "inline.toml"), {}, mobility_registry());
  };
  EXPECT_INPUT_ERROR(build(scenario(kRoutes, "stuck_time = 5\n")),
                     "inline.toml:12:.*unknown key 'models.mobility.stuck_time'.*did you mean "
                     "'stuck_time_s'");
  EXPECT_INPUT_ERROR(build(scenario("/nonexistent/x.rou.xml")),
                     "inline.toml:11:.*models.mobility.demand.*x.rou.xml' does not exist");
  EXPECT_INPUT_ERROR(build(scenario("synthetic")),
                     "inline.toml:11:.*synthetic demand is not implemented yet");
  EXPECT_INPUT_ERROR(build(scenario(kRoutes, "signals = true\n")),
                     "inline.toml:12:.*signal gating is not modelled");
  std::string missing_network = scenario(kRoutes);
  missing_network.replace(missing_network.find("tiny.net.xml"), 12, "none.net.xml");
  EXPECT_INPUT_ERROR(build(missing_network),
                     "inline.toml:10:.*models.mobility.network.*none.net.xml' does not exist");
}

TEST(MobilityModel, UnknownEdgeNamesRouteFileLine) {
  const fs::path path = fs::temp_directory_path() / "citytwin_mobility_bad_edge.rou.xml";
  {
    std::ofstream out(path);
    out << "<routes>\n  <vehicle id=\"v\" depart=\"0\">\n    <route edges=\"E0 E7\"/>\n"
           "  </vehicle>\n</routes>\n";
  }
  EXPECT_INPUT_ERROR(
      io::Simulation(io::Scenario::from_text(scenario(path.string()), "inline.toml"), {},
                     mobility_registry()),
      "citytwin_mobility_bad_edge.rou.xml:2:.*vehicle 'v': edge 'E7' is not in the network");
  fs::remove(path);
}

// an OD matrix on the generated city: 5 trips in 0..600 s and 3 in 00:05..00:10 from zone 1 to
// zone 1, drawn among the zone's nodes, routed, all arrived within the hour, thread independent
TEST(MobilityModel, OdMatrixOnGeneratedCity) {
  const fs::path path = fs::temp_directory_path() / "citytwin_mobility_od.csv";
  {
    std::ofstream out(path);
    out << "origin_zone,destination_zone,start_time,end_time,trips\n1,1,0,600,5\n"
           "1,1,00:05,00:10,3\n";
  }
  const std::string text =
      "name = \"od\"\n[time]\nstart = 2024-06-21T08:00:00\ntime_zone = \"UTC\"\ndt_s = 60\n"
      "duration = \"1h\"\n[city.generator]\nn_buildings = 200\n[models.mobility]\n"
      "network = \"generated\"\ndemand = \"" +
      path.string() + "\"\n";
  io::Simulation one(io::Scenario::from_text(text), {{}, 1}, mobility_registry());
  io::Simulation two(io::Scenario::from_text(text), {{}, 2}, mobility_registry());
  one.run();
  two.run();
  fs::remove(path);
  EXPECT_TRUE(one.engine().state().bitwise_equal(two.engine().state()));
  const auto departure = column(one.engine(), "departure_s");
  ASSERT_EQ(departure.size(), 8U);
  for (std::size_t t = 0; t < 5; ++t) {
    EXPECT_GE(departure[t], 0.0);
    EXPECT_LE(departure[t], 600.0);  // rounded up to whole seconds
  }
  for (std::size_t t = 5; t < 8; ++t) {
    EXPECT_GE(departure[t], 300.0);
    EXPECT_LE(departure[t], 600.0);
  }
  EXPECT_DOUBLE_EQ(kpi(one, "trips_arrived"), 8.0);
  EXPECT_DOUBLE_EQ(kpi(one, "car_share_frac"), 1.0);
}

}  // namespace
}  // namespace citytwin::mobility
