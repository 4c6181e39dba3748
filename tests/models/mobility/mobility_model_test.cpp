#include <citytwin/mobility/mobility_model.hpp>

#include <array>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include <citytwin/io/simulation.hpp>
#include <citytwin/mobility/readers/sumo_net.hpp>
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

// netgenerate's 4 x 4 grid (200 m blocks, 2 lanes each way, 50 km/h, traffic lights) and 400
// random trips routed by duarouter (data/README.md): both files import, every trip arrives, and
// the mean trip time is within 2 % of SUMO 1.15's mesoscopic model on the same files, 57.6825 s
// without junction control and 90.1175 s with --meso-junction-control (signals on here)
TEST(MobilityModel, NetgenerateGridAndDuarouterRoutesAgreeWithSumoMeso) {
  const SumoNet sumo = read_sumo_net(data_dir() / "grid4.net.xml");
  EXPECT_EQ(sumo.n_pieces, 2);  // 140 kB: read in two pieces
  EXPECT_EQ(sumo.network.n_nodes(), 16);
  EXPECT_EQ(sumo.network.n_links(), 48);
  EXPECT_EQ(sumo.n_internal_edges_skipped, 208);  // function="internal" in the file
  EXPECT_EQ(sumo.connections.size(), 192);
  EXPECT_EQ(sumo.network.signal_programs.size(), 16);
  for (const bool signals : {false, true}) {
    const std::string text =
        "name = \"grid4\"\n[time]\nstart = 2024-06-21T08:00:00\ntime_zone = \"UTC\"\ndt_s = 60\n"
        "duration = \"1h\"\n[city.generator]\nn_buildings = 10\n[models.mobility]\nnetwork = \"" +
        (data_dir() / "grid4.net.xml").string() + "\"\ndemand = \"" +
        (data_dir() / "grid4.rou.xml").string() + "\"\nsignals = " + (signals ? "true" : "false") +
        "\n[models.mobility.replanning]\niterations = 0\n";
    io::Simulation s(io::Scenario::from_text(text, "grid4.toml"), {}, mobility_registry());
    s.run();
    EXPECT_DOUBLE_EQ(kpi(s, "trips_arrived"), 400.0);
    EXPECT_DOUBLE_EQ(kpi(s, "trips_stuck_released"), 0.0);
    const double sumo_mean_s = signals ? 90.1175 : 57.6825;
    EXPECT_NEAR(kpi(s, "mean_trip_time_s") / sumo_mean_s, 1.0, 0.02) << "signals " << signals;
  }
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
  EXPECT_INPUT_ERROR(build(scenario(kRoutes, "[models.mobility.replanning]\nshare_rule = \"msaa\"\n")),
                     "inline.toml:13:.*share_rule");
  EXPECT_INPUT_ERROR(build(scenario(kRoutes, "[models.mobility.synthetic]\nstay_home_frac = 0.2\n")),
                     "inline.toml:12:.*only applies with demand = \"synthetic\"");
  EXPECT_INPUT_ERROR(build(scenario(kRoutes, "signal_cycle_s = 6\nsignal_intergreen_s = 4\n")),
                     "inline.toml:12:.*cycle must be longer than two intergreens");
  EXPECT_INPUT_ERROR(build(scenario(kRoutes, "counts = \"none.csv\"\n")),
                     "inline.toml:12:.*models.mobility.counts.*none.csv' does not exist");
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

// a Paris-archive counter named on link E0 (id 1): the 6 cars that cross E0 between 08:00 and
// 09:00 UTC against 10 counted (10:00 Paris summer time) give GEH sqrt(2 (6 - 10)^2 / 16) =
// sqrt(2); the next hour is beyond the run and not compared
TEST(MobilityModel, CountsReplayComparesHourlyFlows) {
  const fs::path path = fs::temp_directory_path() / "citytwin_mobility_counts.csv";
  {
    std::ofstream out(path);
    out << "iu_ac,libelle,iu_nd_amont,libelle_nd_amont,iu_nd_aval,libelle_nd_aval,t_1h,q,k,etat_trafic,etat_barre\n"
           "376,Test,1,a,2,b,2024-06-21 10:00:00,10,5.0,1,0\n"
           "376,Test,1,a,2,b,2024-06-21 11:00:00,12,5.0,1,0\n";
  }
  io::Simulation s(io::Scenario::from_text(scenario(kRoutes, "counts = \"" + path.string() +
                                                             "\"\n[models.mobility.counters]\n\"376\" = 1\n"),
                                           "inline.toml"),
                   {}, mobility_registry());
  s.run();
  fs::remove(path);
  const sim::Engine& e = s.engine();
  const auto simulated = column(e, "count_simulated_veh_per_h");
  const auto observed = column(e, "count_observed_veh_per_h");
  const auto geh_cells = column(e, "count_geh");
  ASSERT_EQ(simulated.size(), 1U);  // one counter, one hour
  EXPECT_DOUBLE_EQ(simulated[0], 6.0);
  EXPECT_DOUBLE_EQ(observed[0], 10.0);
  EXPECT_NEAR(geh_cells[0], std::sqrt(2.0), 1e-12);
  EXPECT_DOUBLE_EQ(kpi(s, "counts_hours_compared"), 1.0);
  EXPECT_DOUBLE_EQ(kpi(s, "counts_geh_below_5_frac"), 1.0);
  EXPECT_DOUBLE_EQ(kpi(s, "counts_rmse_veh_per_h"), 4.0);
  EXPECT_DOUBLE_EQ(kpi(s, "counts_mean_relative_error_frac"), -0.4);
  const std::string text = e.summaries().at(0).second;
  EXPECT_NE(text.find("counts fit summary"), std::string::npos) << text;
}

// every interval of every link is kept: the first 15 minutes of the tiny network carry the 6 cars
// on E0, 5 on E1 and one each on E2 and E3 at free speed; later intervals are empty (free speed)
TEST(MobilityModel, IntervalTableHoldsEveryInterval) {
  io::Simulation s(io::Scenario::from_text(scenario(kRoutes), "inline.toml"), {}, mobility_registry());
  s.run();
  const auto volume = column(s.engine(), "interval_volume_veh");
  const auto speed = column(s.engine(), "interval_mean_speed_mps");
  ASSERT_EQ(volume.size(), 16U);  // 4 intervals of 15 min x 4 links
  const std::array<double, 4> first{6.0, 5.0, 1.0, 1.0};
  const std::array<double, 4> free{10.0, 20.0, 10.0, 10.0};
  for (std::size_t l = 0; l < 4; ++l) {
    EXPECT_DOUBLE_EQ(volume[l], first[l]) << "link " << l;
    EXPECT_DOUBLE_EQ(speed[l], free[l]) << "link " << l;
    for (std::size_t i = 1; i < 4; ++i) {
      EXPECT_DOUBLE_EQ(volume[i * 4 + l], 0.0);
      EXPECT_DOUBLE_EQ(speed[i * 4 + l], free[l]);
    }
  }
}

// the link speed is an input: halving E1's speed between steps doubles the time of the cars that
// enter it afterwards (E1 is 200 m at 20 m/s: 10 s, then 20 s)
TEST(MobilityModel, LinkSpeedInputChangesLaterTrips) {
  io::Simulation s(io::Scenario::from_text(scenario(kRoutes), "inline.toml"), {}, mobility_registry());
  sim::Engine& e = s.engine();
  const sim::ColumnId speed_id = e.layout().find("mobility.link_speed_mps");
  ASSERT_GE(speed_id, 0);
  EXPECT_TRUE(e.layout().spec(speed_id).input);
  const auto free_run = [&]() {
    io::Simulation base(io::Scenario::from_text(scenario(kRoutes), "inline.toml"), {}, mobility_registry());
    base.run();
    const auto travel = column(base.engine(), "travel_time_s");
    return std::vector<double>(travel.begin(), travel.end());
  }();
  s.step(1);  // 60 s: v0, v1 and t0 departed; the flow f0 departs at 60, 80 and 100 s
  auto* speed = static_cast<double*>(e.input_data(speed_id));
  const std::int32_t e1 = 1;  // link_idx of E1
  speed[e1] /= 2.0;
  s.run();
  const auto travel = column(e, "travel_time_s");
  // vehicles 3, 4, 5 are the flow f0 on E0 E1: 10 s more each; the others are unchanged
  for (std::size_t v = 0; v < travel.size(); ++v) {
    const bool flow = v >= 3 && v <= 5;
    EXPECT_DOUBLE_EQ(travel[v], free_run[v] + (flow ? 10.0 : 0.0)) << "vehicle " << v;
  }
  EXPECT_THROW(static_cast<void>(e.input_data(e.layout().find("mobility.arrival_s"))), std::invalid_argument);
}

// synthetic demand on a generated city: every resident planned, every trip arrives, modes mixed,
// re-planning records its convergence, signals gate, identical on 1 and 2 threads
TEST(MobilityModel, SyntheticDemandWithSignalsAndReplanning) {
  const std::string text =
      "name = \"synthetic\"\n[time]\nstart = 2024-06-21T00:00:00\ntime_zone = \"Europe/Paris\"\n"
      "dt_s = 300\nduration = \"1d\"\n[city.generator]\nn_buildings = 300\n[models.mobility]\n"
      "network = \"generated\"\ndemand = \"synthetic\"\nsignals = true\n"
      "[models.mobility.replanning]\niterations = 3\nrelative_gap = 0.0\n";
  io::Simulation one(io::Scenario::from_text(text), {{}, 1}, mobility_registry());
  io::Simulation two(io::Scenario::from_text(text), {{}, 2}, mobility_registry());
  one.run();
  two.run();
  EXPECT_TRUE(one.engine().state().bitwise_equal(two.engine().state()));
  std::int64_t residents = 0;
  for (const std::int32_t r : one.city().buildings.residents) residents += r;
  EXPECT_DOUBLE_EQ(kpi(one, "persons"), static_cast<double>(residents));
  const auto departure = column(one.engine(), "departure_s");
  EXPECT_GT(departure.size(), static_cast<std::size_t>(residents));  // > 1 trip per resident
  EXPECT_DOUBLE_EQ(kpi(one, "trips_arrived") + kpi(one, "trips_not_arrived"),
                   static_cast<double>(departure.size()));
  // trips still out at midnight are reported, and are only late-evening departures
  const auto arrival = column(one.engine(), "arrival_s");
  std::int64_t n_out = 0;
  for (std::size_t v = 0; v < arrival.size(); ++v) {
    if (!std::isnan(arrival[v])) continue;
    ++n_out;
    EXPECT_GT(departure[v], 22.0 * 3600.0) << "trip " << v;
  }
  EXPECT_DOUBLE_EQ(kpi(one, "trips_not_arrived"), static_cast<double>(n_out));
  EXPECT_NEAR(kpi(one, "car_share_frac") + kpi(one, "bike_share_frac") + kpi(one, "walk_share_frac"), 1.0, 1e-12);
  EXPECT_GT(kpi(one, "car_share_frac"), 0.0);
  EXPECT_GT(kpi(one, "walk_share_frac"), 0.0);
  EXPECT_DOUBLE_EQ(kpi(one, "replanning_iterations"), 4.0);  // iteration 0 and 3 re-plannings
  const auto gap = column(one.engine(), "relative_gap");
  ASSERT_EQ(gap.size(), 4U);
  for (const double g : gap) EXPECT_GE(g, 0.0);
}
}  // namespace
}  // namespace citytwin::mobility
