// Bike-share on a city: inline and new stations, city demand, street riding, charging load.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <citytwin/bikeshare/bikeshare_model.hpp>
#include <citytwin/bikeshare/register.hpp>
#include <citytwin/io/simulation.hpp>

#include "bikeshare_test_support.hpp"
#include "sim_test.hpp"

namespace citytwin::bikeshare {
namespace {

using test::bikeshare_registry;

const std::string kCityScenario =
    "name = \"bikes-city\"\nseed = 3\n[time]\nstart = 2024-06-21T06:00:00\ntime_zone = \"UTC\"\n"
    "dt_s = 300\nduration = \"6h\"\n[city.generator]\nn_buildings = 120\norigin_lat_deg = 45.764\n"
    "origin_lon_deg = 4.8357\n[models.bikeshare]\nstations = \"none\"\nnew_stations = 3\n"
    "new_station_coverage_m = 150.0\ndemand_from = \"city\"\ncatchment_m = 100000.0\n"
    "ebike_share_frac = 0.5\ncharging = true\nperiod = \"5min\"\n"
    "[[models.bikeshare.station]]\nid = 101\nlat = 45.7642\nlon = 4.8360\ncapacity = 12\n"
    "[[models.bikeshare.station]]\nid = 102\nlat = 45.7655\nlon = 4.8380\n";

const BikeshareModel& model_of(const io::Simulation& simulation) {
  return dynamic_cast<const BikeshareModel&>(*simulation.engine().models().front());
}

// inline stations first (ids, capacity given or default), then the new ones; city demand sums
// to trips per person x (residents + jobs) when every building is in a catchment; riding times
// from the streets; the charging load per building equals the stations' charging power
TEST(BikeshareCity, InlineAndNewStationsCityDemandAndChargingLoad) {
  io::Simulation simulation(io::Scenario::from_text(kCityScenario), {{}, 1}, bikeshare_registry());
  const BikeshareModel& model = model_of(simulation);
  const StationTable& stations = model.stations();
  ASSERT_GE(stations.n_stations(), 3U);
  ASSERT_LE(stations.n_stations(), 5U);
  EXPECT_EQ(stations.station_id[0], "101");
  EXPECT_EQ(stations.station_id[1], "102");
  EXPECT_EQ(stations.station_id[2], "new-1");
  EXPECT_EQ(model.capacity()[0], 12);
  EXPECT_EQ(model.capacity()[1], 20);
  EXPECT_EQ(model.initial_bikes()[0], 6);
  EXPECT_EQ(model.station_number()[0], 0);  // "new-1" is not numeric: coordinate = station_idx

  // demand: 0.02 trips per person and day, every building within the catchment
  const sim::Buildings& b = simulation.city().buildings;
  const double people = std::accumulate(b.residents.begin(), b.residents.end(), 0.0) +
                        std::accumulate(b.jobs.begin(), b.jobs.end(), 0.0);
  const std::vector<double>& rate = model.rental_rate_per_h();
  EXPECT_NEAR(std::accumulate(rate.begin(), rate.end(), 0.0), 0.02 * people, 1e-9 * people);

  // riding on the generated streets
  const std::size_t n = stations.n_stations();
  EXPECT_EQ(model.n_network_pairs(), static_cast<std::int64_t>(n * (n - 1)));
  EXPECT_GT(model.ride_distance_m()[1], 0.0);

  // charging load: one entry per host building, summing the stations' charging power
  ASSERT_FALSE(model.charger_building_id().empty());
  for (const std::int64_t id : model.charger_building_id()) EXPECT_GE(simulation.city().building_idx(id), 0);
  const sim::Engine& engine = simulation.engine();
  double charged_kw = 0.0;
  for (int k = 0; k < 72 && !engine.done(); ++k) {
    simulation.step(1);
    const auto power = engine.state().get(engine.layout().get<double>("bikeshare.charge_power_kw"));
    const auto grid = engine.state().get(engine.layout().get<double>("bikeshare.grid_load_kw"));
    const double p = std::accumulate(power.begin(), power.end(), 0.0);
    ASSERT_NEAR(std::accumulate(grid.begin(), grid.end(), 0.0), p, 1e-12);
    charged_kw += p;
  }
  EXPECT_GT(charged_kw, 0.0);
  EXPECT_GT(engine.state().get(engine.layout().get<std::int32_t>("bikeshare.trips_started"))[0], 0);
  EXPECT_EQ(simulation.engine().diagnostics().n_warnings(), 0);
}

// bad inline stations and charging lists are reported with their keys
TEST(BikeshareCity, InlineStationErrors) {
  const std::string text =
      "name = \"bikes\"\n[time]\nstart = 2024-06-21T08:00:00\ntime_zone = \"UTC\"\ndt_s = 60\n"
      "duration = \"1h\"\n[city.generator]\nn_buildings = 20\n[models.bikeshare]\nstations = \"none\"\n"
      "demand_from = \"city\"\ncharging = 3\n[[models.bikeshare.station]]\nid = 1\nlat = 95.0\n";
  const auto build = [&] { io::Simulation s(io::Scenario::from_text(text), {{}, 1}, bikeshare_registry()); };
  EXPECT_INPUT_ERROR(build(), "inline\\.toml:12:.*charging must be true, false or a list");
  EXPECT_INPUT_ERROR(build(), "inline\\.toml:15:.*station\\[0\\]\\.lat");
  EXPECT_INPUT_ERROR(build(), "station\\[0\\].*lon");
}


// demand_from = "mobility": every bike-share trip (choice 3) of the mobility model departing
// during the run is one rental request, served or lost; 1 and 2 threads agree
TEST(BikeshareCity, MobilityTripsBecomeRentals) {
  const std::string text =
      "name = \"mob-bikes\"\nseed = 5\n[time]\nstart = 2024-06-21T00:00:00\ntime_zone = \"Europe/Paris\"\n"
      "dt_s = 60\nduration = \"1d\"\n[city.generator]\nn_buildings = 150\n[models.mobility]\n"
      "network = \"generated\"\ndemand = \"synthetic\"\n[models.mobility.synthetic]\nbike_share = true\n"
      "asc_bike_share = 1.0\n[models.bikeshare]\nstations = \"none\"\nnew_stations = 6\n"
      "new_station_coverage_m = 150.0\ndemand_from = \"mobility\"\nmax_walk_m = 400.0\n";
  io::Simulation one(io::Scenario::from_text(text), {{}, 1});
  io::Simulation two(io::Scenario::from_text(text), {{}, 2});
  one.run();
  two.run();
  const sim::Engine& engine = one.engine();
  const auto choice = engine.state().get(engine.layout().get<std::int32_t>("mobility.choice"));
  const auto departure = engine.state().get(engine.layout().get<double>("mobility.departure_s"));
  std::int32_t requests = 0;
  for (std::size_t k = 0; k < choice.size(); ++k) requests += choice[k] == 3 && departure[k] < 86400.0 ? 1 : 0;
  const auto value = [](const sim::Engine& e, const char* name) {
    return e.state().get(e.layout().get<std::int32_t>(std::string("bikeshare.") + name))[0];
  };
  EXPECT_GT(requests, 100);
  EXPECT_EQ(value(engine, "trips_started") + value(engine, "lost_no_bike") + value(engine, "lost_flat_ebike"),
            requests);
  for (const char* name : {"trips_started", "trips_completed", "lost_no_bike", "walked_rentals"}) {
    EXPECT_EQ(value(engine, name), value(two.engine(), name)) << name;
  }
  EXPECT_EQ(one.engine().diagnostics().n_warnings(), 0);
}

}  // namespace
}  // namespace citytwin::bikeshare
