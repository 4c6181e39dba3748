#include <citytwin/bikeshare/bikeshare_model.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <citytwin/bikeshare/register.hpp>
#include <citytwin/io/simulation.hpp>

#include "bikeshare_test_support.hpp"
#include "sim_test.hpp"
#include "test_data.hpp"

namespace citytwin::bikeshare {
namespace {

namespace fs = std::filesystem;

using test::bikeshare_registry;
using test::kStartUtcS;
using test::snapshot;
using test::write_json;

// three stations about 200 m apart, 4 docks each; an initial snapshot {4, 0, 2}; a demand day
// of 15-minute snapshots with bikes moving between the stations
fs::path three_stations() {
  const fs::path dir = fs::temp_directory_path() / "citytwin_bikeshare_model_test";
  fs::create_directories(dir / "status");
  fs::create_directories(dir / "demand");
  nlohmann::json stations = nlohmann::json::array();
  const double lat[3] = {59.9100, 59.9118, 59.9100};
  const double lon[3] = {10.7500, 10.7500, 10.7536};
  for (int s = 0; s < 3; ++s) {
    stations.push_back({{"station_id", std::to_string(s + 1)},
                        {"name", "S" + std::to_string(s + 1)},
                        {"lat", lat[s]},
                        {"lon", lon[s]},
                        {"capacity", 4}});
  }
  write_json(dir / "station_information.json",
             {{"last_updated", kStartUtcS}, {"ttl", 0}, {"version", "2.2"}, {"data", {{"stations", stations}}}});
  write_json(dir / "status" / "station_status_1.json", snapshot(kStartUtcS, {4, 0, 2}, 4));
  for (int k = 0; k < 13; ++k) {
    const std::vector<int> bikes = k % 2 == 0 ? std::vector<int>{3, 1, 2} : std::vector<int>{1, 3, 2};
    write_json(dir / "demand" / ("station_status_" + std::to_string(k) + ".json"),
               snapshot(kStartUtcS - 86400 + k * 900, bikes, 4));
  }
  return dir;
}

std::string scenario_text(const fs::path& dir, const std::string& extra = "") {
  return "name = \"bikes\"\nseed = 7\n[time]\nstart = 2024-06-21T08:00:00\ntime_zone = \"UTC\"\n"
         "dt_s = 60\nduration = \"3h\"\n[city.generator]\nn_buildings = 1\n[models.bikeshare]\n"
         "stations = \"" + (dir / "station_information.json").string() + "\"\nstatus = \"" +
         (dir / "status").string() + "\"\ndemand_from = \"" + (dir / "demand").string() + "\"\n" +
         "demand_scale = 3.0\n" + extra;
}

std::int32_t total(const sim::Engine& engine, const char* column) {
  return engine.state().get(engine.layout().get<std::int32_t>(std::string("bikeshare.") + column))[0];
}

// the initial state is the status snapshot; at every step the fleet is conserved and every
// started trip is either in transit or completed
TEST(BikeshareModel, ThreeStationsConserveBikesEveryStep) {
  const fs::path dir = three_stations();
  io::Simulation simulation(io::Scenario::from_text(scenario_text(dir)), {{}, 1}, bikeshare_registry());
  const sim::Engine& engine = simulation.engine();
  const auto bikes = [&] {
    const auto span = engine.state().get(engine.layout().get<std::int32_t>("bikeshare.bikes_available"));
    return std::vector<std::int32_t>(span.begin(), span.end());
  };
  const auto docks = engine.state().get(engine.layout().get<std::int32_t>("bikeshare.docks_free"));
  EXPECT_EQ(bikes(), (std::vector<std::int32_t>{4, 0, 2}));
  EXPECT_EQ(std::vector<std::int32_t>(docks.begin(), docks.end()), (std::vector<std::int32_t>{0, 4, 2}));
  EXPECT_EQ(total(engine, "fleet"), 6);

  std::int64_t n_steps = 0;
  while (!engine.done()) {
    simulation.step(1);
    ++n_steps;
    const std::vector<std::int32_t> now = bikes();
    const std::int32_t at_stations = std::accumulate(now.begin(), now.end(), 0);
    ASSERT_EQ(at_stations + total(engine, "bikes_in_transit"), 6) << "step " << n_steps;
    ASSERT_EQ(total(engine, "trips_started"),
              total(engine, "trips_completed") + total(engine, "bikes_in_transit"))
        << "step " << n_steps;
    for (const std::int32_t b : now) ASSERT_TRUE(b >= 0 && b <= 4) << "step " << n_steps;
  }
  EXPECT_EQ(n_steps, 180);
  EXPECT_GT(total(engine, "trips_started"), 10);
  EXPECT_EQ(simulation.engine().diagnostics().n_warnings(), 0);
  const auto kpis = simulation.kpis();
  bool found = false;
  for (const auto& [model, kpi] : kpis) {
    if (kpi.name == "trips_served") {
      found = true;
      EXPECT_EQ(kpi.value, total(engine, "trips_started"));
    }
  }
  EXPECT_TRUE(found);
}

// 1 and 2 threads give bit-identical states
TEST(BikeshareModel, OneAndTwoThreadsIdentical) {
  const fs::path dir = three_stations();
  const std::string text = scenario_text(dir);
  io::Simulation one(io::Scenario::from_text(text), {{}, 1}, bikeshare_registry());
  io::Simulation two(io::Scenario::from_text(text), {{}, 2}, bikeshare_registry());
  one.run();
  two.run();
  EXPECT_GT(total(one.engine(), "trips_started"), 0);
  EXPECT_TRUE(one.engine().state().bitwise_equal(two.engine().state()));
}

// every config problem at once, with file:line, key and a hint
TEST(BikeshareModel, ConfigErrorsNameFileLineAndHint) {
  const fs::path dir = three_stations();
  const std::string text = scenario_text(dir, "ride_speed_mps = -1.0\nperiod = \"90s\"\nmax_walk = 300.0\n");
  const auto build = [&] { io::Simulation s(io::Scenario::from_text(text), {{}, 1}, bikeshare_registry()); };
  EXPECT_INPUT_ERROR(build(), "inline\\.toml:15:.*ride_speed_mps");
  EXPECT_INPUT_ERROR(build(), "inline\\.toml:16:.*period must be a whole multiple of time\\.dt_s .*\"60s\"");
  EXPECT_INPUT_ERROR(build(), "inline\\.toml:17:.*max_walk.*did you mean 'max_walk_m'");

  const std::string missing =
      "name = \"bikes\"\n[time]\nstart = 2024-06-21T08:00:00\ntime_zone = \"UTC\"\ndt_s = 60\n"
      "duration = \"1h\"\n[city.generator]\nn_buildings = 1\n[models.bikeshare]\n"
      "stations = \"/nonexistent/station_information.json\"\n";
  const auto build_missing = [&] {
    io::Simulation s(io::Scenario::from_text(missing), {{}, 1}, bikeshare_registry());
  };
  EXPECT_INPUT_ERROR(build_missing(), "inline\\.toml:10:.*stations.*does not exist.*station_information");
  EXPECT_INPUT_ERROR(build_missing(), "inline\\.toml:9:.*demand_from");
}

// the Oslo validation: both replays, RMSEs finite and plausible
TEST(BikeshareModel, OsloReplayTable) {
  CITYTWIN_DATA_FILE(root, "gbfs/oslo-bysykkel");
  const fs::path day_2022 = root / "station_status" / "2022-10-24";
  const fs::path day_2023 = root / "station_status" / "2023-06-14";
  std::ostringstream table;
  const std::vector<ReplayRow> rows = replay_table(
      root / "station_information.json",
      {{"2022-10-24 from 2023-06-14", day_2022, day_2023}, {"2023-06-14 from 2022-10-24", day_2023, day_2022}},
      {}, &table);
  std::cout << table.str();
  ASSERT_EQ(rows.size(), 2U);
  EXPECT_EQ(rows[0].label, "2022-10-24 from 2023-06-14");
  EXPECT_EQ(rows[0].n_stations, 260);
  EXPECT_EQ(rows[0].n_snapshots, 57);
  EXPECT_EQ(rows[1].n_snapshots, 68);
  for (const ReplayRow& row : rows) {
    EXPECT_GT(row.n_cells, 10000);
    EXPECT_GT(row.trips_started, 100);
    for (const double rmse : {row.rmse_model_bikes, row.rmse_persistence_bikes, row.rmse_time_of_day_bikes}) {
      EXPECT_TRUE(std::isfinite(rmse));
      EXPECT_GT(rmse, 0.5);
      EXPECT_LT(rmse, 15.0);
    }
  }
  const std::string text = table.str();
  EXPECT_NE(text.find("| replay | stations |"), std::string::npos);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 4);
}

}  // namespace
}  // namespace citytwin::bikeshare
