#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <citytwin/energy/energy_model.hpp>
#include <citytwin/energy/register.hpp>
#include <citytwin/io/simulation.hpp>
#include <citytwin/sim/config_reader.hpp>

#include "sim_test.hpp"
#include "test_data.hpp"

namespace citytwin::energy {
namespace {

namespace fs = std::filesystem;

// a registry with the energy model only (solar, mobility... are not needed here)
sim::ModelRegistry energy_registry() {
  sim::ModelRegistry registry;
  register_energy(registry);
  return registry;
}

// the 24 values of an array in a spec.json, as TOML text
std::string toml_array(const nlohmann::json& values) {
  std::ostringstream out;
  out.precision(17);
  out << "[";
  for (std::size_t i = 0; i < values.size(); ++i)
    out << (i == 0 ? "" : ", ") << values[i].get<double>();
  out << "]";
  return out.str();
}

nlohmann::json read_json(const fs::path& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

// a one-day hourly scenario on a network folder with the profiles of its spec.json
std::string folder_scenario(const fs::path& network, const nlohmann::json& spec,
                            const std::string& extra) {
  return "name = \"grid\"\n[time]\nstart = 2024-06-21T00:00:00\ntime_zone = \"UTC\"\ndt_s = 3600\n"
         "duration = \"1d\"\n[city.generator]\nn_buildings = 10\n"
         "[models.energy]\nnetwork = \"" +
         network.string() +
         "\"\nperiod = \"1h\"\n"
         "load_profile = " +
         toml_array(spec["load_profile"]) +
         "\n"
         "pv_profile = " +
         toml_array(spec["pv_profile"]) + "\n" + extra;
}

double value(const sim::Engine& engine, const std::string& column, std::size_t i = 0) {
  return engine.state().get(engine.layout().get<double>(column))[i];
}

// reproduces the battery rule of ts_cigre_lv_pv_battery/spec.json step by step through the model:
// the model's SoC and power must equal the rule written in the spec, evaluated here in MW/MWh
TEST(EnergyModel, CigreBatteryReproducesSpecRule) {
  CITYTWIN_DATA_FILE(dir, "grid/ts_cigre_lv_pv_battery");
  const nlohmann::json spec = read_json(dir / "spec.json");
  const nlohmann::json& bat = spec["battery"];
  const double e_max = bat["e_max_mwh"].get<double>();
  const std::string battery_toml =
      "[[models.energy.batteries]]\nstorage = 0\npower_kw = " +
      std::to_string(bat["p_max_mw"].get<double>() * 1000.0) +
      "\neta_charge_frac = " + std::to_string(bat["eta_ch"].get<double>()) +
      "\neta_discharge_frac = " + std::to_string(bat["eta_dis"].get<double>()) +
      "\nsoc_min_frac = " + std::to_string(bat["soc_min_mwh"].get<double>() / e_max) +
      "\nsoc_max_frac = " + std::to_string(bat["soc_max_mwh"].get<double>() / e_max) +
      "\ninitial_soc_frac = " + std::to_string(bat["soc_init_mwh"].get<double>() / e_max) + "\n";
  io::Simulation simulation(
      io::Scenario::from_text(folder_scenario(dir / "network", spec, battery_toml)), {},
      energy_registry());

  // the load and PV at the battery's bus, from the element tables
  const std::int64_t bus = bat["bus"].get<std::int64_t>();
  double load_base_mw = 0.0;
  double pv_peak_mw = 0.0;
  for (const auto& pv : spec["pv_sgens"]) {
    if (pv["bus"].get<std::int64_t>() == bus) pv_peak_mw += pv["p_peak_mw"].get<double>();
  }
  std::ifstream loads(dir / "network" / "loads.csv");
  std::string line;
  std::getline(loads, line);
  while (std::getline(loads, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string cell; std::getline(ss, cell, ',');) f.push_back(cell);
    if (std::stoll(f[2]) == bus) load_base_mw += std::stod(f[3]);
  }
  ASSERT_GT(load_base_mw, 0.0);

  double soc_mwh = bat["soc_init_mwh"].get<double>();
  const double p_max = bat["p_max_mw"].get<double>();
  const double soc_min = bat["soc_min_mwh"].get<double>();
  const double soc_max = bat["soc_max_mwh"].get<double>();
  const double eta_ch = bat["eta_ch"].get<double>();
  const double eta_dis = bat["eta_dis"].get<double>();
  int n_charging = 0;
  int n_discharging = 0;
  for (int t = 0; t < spec["steps"].get<int>(); ++t) {
    // the rule of spec.json "battery_rule", with 1 h steps
    const double surplus =
        pv_peak_mw * spec["pv_profile"][static_cast<std::size_t>(t)].get<double>() -
        load_base_mw * spec["load_profile"][static_cast<std::size_t>(t)].get<double>();
    const double p_batt = surplus >= 0.0
                              ? std::min({surplus, p_max, (soc_max - soc_mwh) / eta_ch})
                              : -std::min({-surplus, p_max, (soc_mwh - soc_min) * eta_dis});
    soc_mwh += p_batt >= 0.0 ? p_batt * eta_ch : p_batt / eta_dis;
    n_charging += p_batt > 1e-9 ? 1 : 0;
    n_discharging += p_batt < -1e-9 ? 1 : 0;

    simulation.step(1);
    const sim::Engine& engine = simulation.engine();
    // 1e-12: the rule in kW/fractions versus MW/MWh differs only by rounding
    EXPECT_NEAR(value(engine, "energy.battery_p_kw") / 1000.0, p_batt, 1e-12) << "step " << t;
    EXPECT_NEAR(value(engine, "energy.battery_soc_frac") * e_max, soc_mwh, 1e-12) << "step " << t;
    EXPECT_NEAR(value(engine, "energy.storage_mw"), p_batt, 1e-12) << "step " << t;
  }
  // the day exercises both directions and both SoC limits' neighbourhood
  EXPECT_GT(n_charging, 3);
  EXPECT_GT(n_discharging, 3);
  EXPECT_EQ(simulation.engine().diagnostics().n_warnings(), 0);
}

// energy balance of every step: import = load − PV + storage + losses, and the loads follow the
// profile exactly (constant power)
TEST(EnergyModel, Case33bwTimeSeriesBalancesEveryStep) {
  CITYTWIN_DATA_FILE(dir, "grid/ts_case33bw_pv");
  const nlohmann::json spec = read_json(dir / "spec.json");
  io::Simulation simulation(
      io::Scenario::from_text(folder_scenario(dir / "network", spec, "tolerance_mva = 1e-11\n")),
      {}, energy_registry());
  const double base_load_mw = 3.715;  // case33bw total load (Baran & Wu 1989)
  double worst_mw = 0.0;
  for (int t = 0; t < 24; ++t) {
    simulation.step(1);
    const sim::Engine& e = simulation.engine();
    const double import_mw = value(e, "energy.import_mw") - value(e, "energy.export_mw");
    const double balance_mw =
        import_mw - (value(e, "energy.load_mw") - value(e, "energy.pv_mw") +
                     value(e, "energy.storage_mw") + value(e, "energy.losses_mw"));
    worst_mw = std::max(worst_mw, std::abs(balance_mw));
    EXPECT_LE(std::abs(balance_mw), 1e-9) << "step " << t;
    EXPECT_LE(value(e, "energy.balance_error_mw"), 1e-9) << "step " << t;
    EXPECT_NEAR(value(e, "energy.load_mw"),
                base_load_mw * spec["load_profile"][static_cast<std::size_t>(t)].get<double>(),
                1e-9);
    EXPECT_NEAR(value(e, "energy.pv_mw"),
                1.8 * spec["pv_profile"][static_cast<std::size_t>(t)].get<double>(), 1e-12);
  }
  std::cout << "case33bw: largest balance error over 24 steps " << worst_mw << " MW\n";
  // at the evening peak (profile 1.0) the network is the published base case
  EXPECT_EQ(simulation.engine().diagnostics().n_warnings(), 0);
  std::vector<std::pair<std::string, sim::Kpi>> kpis = simulation.kpis();
  const auto kpi = [&](const std::string& name) {
    for (const auto& [model, k] : kpis) {
      if (model == "energy" && k.name == name) return k.value;
    }
    return std::nan("");
  };
  // the evening peak (load 1.0) has 10 % PV: a little above the published 0.9131 pu of the base
  // case
  EXPECT_GT(kpi("min_voltage_pu"), 0.91309);
  EXPECT_LT(kpi("min_voltage_pu"), 0.92);
  EXPECT_GT(kpi("self_consumption_frac"), 0.99);  // 1.8 MW of PV never exceeds the load
  EXPECT_GT(kpi("co2_kg"), 0.0);
  EXPECT_NEAR(kpi("co2_kg"), kpi("energy_imported_kwh") * 32.0 / 1000.0, 1e-9);
}

// a generated city with several feeders: 1 and 2 threads give bit-identical states
TEST(EnergyModel, GeneratedFeedersIdenticalOnOneAndTwoThreads) {
  const std::string text =
      "name = \"gen\"\n[time]\nstart = 2024-01-15T00:00:00\ntime_zone = \"Europe/Paris\"\ndt_s = "
      "900\n"
      "duration = \"6h\"\n[city.generator]\nn_buildings = 600\n"
      "[models.energy]\nnetwork = \"generated\"\nperiod = \"30min\"\n";
  io::Simulation one(io::Scenario::from_text(text), {{}, 1}, energy_registry());
  io::Simulation two(io::Scenario::from_text(text), {{}, 2}, energy_registry());
  one.run();
  two.run();
  EXPECT_GT(one.engine().layout().find_dim("energy", "feeder")->ids.size(), 2U);
  EXPECT_TRUE(one.engine().state().bitwise_equal(two.engine().state()));
  EXPECT_GT(value(one.engine(), "energy.energy_imported_kwh"), 0.0);
  EXPECT_LE(value(one.engine(), "energy.balance_error_mw"), 1e-6);
  EXPECT_EQ(value(one.engine(), "energy.pv_kwh"), 0.0);  // no solar model, no PV
}

// the config errors name the file, line and key, with a fix hint
TEST(EnergyModel, ConfigErrorsNameFileLineAndKey) {
  const std::string head =
      "name = \"e\"\n[time]\ndt_s = 900\n[city.generator]\nn_buildings = 20\n[models.energy]\n";
  const auto build = [&](const std::string& body) {
    io::Simulation s(io::Scenario::from_text(head + body, "inline.toml"), {}, energy_registry());
  };
  EXPECT_INPUT_ERROR(build("period = \"7min\"\n"),
                     "inline.toml:7:1: error: models.energy.period must be a whole multiple of "
                     "time.dt_s \\(900 s; got 420 s\\)");
  EXPECT_INPUT_ERROR(
      build("perod = \"30min\"\n"),
      "inline.toml:7:1: error: unknown key 'models.energy.perod' \\(did you mean 'period'\\?\\)");
  EXPECT_INPUT_ERROR(
      build("network = \"no/such/folder\"\n"),
      "inline.toml:7:1: error: models.energy.network folder '.*no/such/folder' does not exist");
  EXPECT_INPUT_ERROR(build("load_profile = [1.0, 2.0]\n"),
                     "inline.toml:7:1: error: models.energy.load_profile");
  EXPECT_INPUT_ERROR(build("[[models.energy.batteries]]\nbus = 1\n"),
                     "models.energy.batteries\\[0\\].*capacity_kwh");
  EXPECT_INPUT_ERROR(build("output_buses = \"some\"\n"),
                     "inline.toml:7:1: error: models.energy.output_buses");
}

// a model that declares `<model>.grid_load_kw` on building ids: the energy model adds it to
// the building's bus (one tick later, as every coupling through State)
class ChargerModel : public sim::Model {
 public:
  ChargerModel(std::int64_t building_id, double kw) : building_id_(building_id), kw_(kw) {}
  [[nodiscard]] std::string_view name() const override { return "chargers"; }
  [[nodiscard]] int period_ticks() const override { return 1; }
  void declare(sim::StateLayout& layout) override {
    layout.add_dim({"chargers", "station", {building_id_}, "building hosting the charger"});
    load_ =
        layout.add<double>({"chargers", "grid_load_kw", {}, "station", 0, "kW", "charging power"});
  }
  void step(const sim::StepContext&, const sim::State&, sim::StateWriter& next) const override {
    next.get(load_)[0] = kw_;
  }

 private:
  std::int64_t building_id_;
  double kw_;
  sim::Column<double> load_;
};

TEST(EnergyModel, ChargerColumnsAddToTheBuildingsBus) {
  const std::string text =
      "name = \"c\"\n[time]\nstart = 2024-01-15T00:00:00\ndt_s = 900\nduration = \"1h\"\n"
      "[city.generator]\nn_buildings = 60\n[models.energy]\n";
  const io::Scenario scenario = io::Scenario::from_text(text + "[models.chargers]\n");
  const sim::City city = io::build_city(scenario, scenario.settings());
  const std::int64_t building_id = city.buildings.building_id[7];
  sim::ModelRegistry registry = energy_registry();
  registry.add("chargers", [&](const sim::ModelContext&) -> std::unique_ptr<sim::Model> {
    return std::make_unique<ChargerModel>(building_id, 22.0);
  });
  io::Simulation with(scenario, {}, registry);
  io::Simulation without(io::Scenario::from_text(text), {}, energy_registry());
  with.step(2);
  without.step(2);
  const sim::Engine& e = with.engine();
  const auto charger = e.state().get(e.layout().get<double>("energy.charger_kw"));
  double total_kw = 0.0;
  for (const double kw : charger) total_kw += kw;
  EXPECT_DOUBLE_EQ(total_kw, 22.0);
  EXPECT_NEAR(value(e, "energy.load_mw") - value(without.engine(), "energy.load_mw"), 0.022, 1e-12);
  EXPECT_GT(value(e, "energy.losses_mw"), value(without.engine(), "energy.losses_mw"));
}

}  // namespace
}  // namespace citytwin::energy
