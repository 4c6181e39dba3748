#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <limits>
#include <numbers>
#include <numeric>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>

#include <citytwin/energy/battery.hpp>
#include <citytwin/energy/energy_model.hpp>
#include <citytwin/energy/load_profiles.hpp>
#include <citytwin/energy/readers/household_meter.hpp>
#include <citytwin/energy/readers/network_csv.hpp>
#include <citytwin/sim/city.hpp>
#include <citytwin/sim/clock.hpp>
#include <citytwin/sim/config_reader.hpp>
#include <citytwin/sim/diagnostics.hpp>
#include <citytwin/sim/error.hpp>

namespace citytwin::energy {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kDegToRad = std::numbers::pi / 180.0;
constexpr std::int64_t kAutoBusSeriesLimit = 20000;  // "auto" writes bus series up to this
constexpr double kOverloadPercent = 100.0;           // thermal limit of lines and trafos

const std::vector<std::string> kDispatchNames{"self_consumption", "peak_shaving", "schedule"};

// the union–find root of a bus, with path halving
std::int32_t find_root(std::vector<std::int32_t>& parent, std::int32_t b) {
  while (parent[static_cast<std::size_t>(b)] != b) {
    auto& p = parent[static_cast<std::size_t>(b)];
    p = parent[static_cast<std::size_t>(p)];
    b = p;
  }
  return b;
}

void join(std::vector<std::int32_t>& parent, std::int32_t a, std::int32_t b) {
  const std::int32_t ra = find_root(parent, a);
  const std::int32_t rb = find_root(parent, b);
  if (ra != rb) parent[static_cast<std::size_t>(std::max(ra, rb))] = std::min(ra, rb);
}

// parses a local date-time "YYYY-MM-DD[T ]HH:MM[:SS]" into its fields
bool parse_local_date_time(const std::string& text, int (&f)[6]) {
  f[5] = 0;
  const int n = std::sscanf(text.c_str(), "%4d-%2d-%2d%*1[T ]%2d:%2d:%2d", &f[0], &f[1], &f[2],
                            &f[3], &f[4], &f[5]);
  if (n < 5) return false;
  std::size_t expected = n == 6 ? 19 : 16;
  return text.size() == expected;
}

// the seasonal factor mean + amplitude·cos(2π·day/365) of day `day` since the run start
double seasonal(double mean, double amplitude, std::int64_t day) {
  return mean + amplitude * std::cos(2.0 * std::numbers::pi * static_cast<double>(day) / 365.0);
}

// copies the rows `rows` of a column
template <typename T>
std::vector<T> pick(const std::vector<T>& column, const std::vector<std::int32_t>& rows) {
  std::vector<T> out;
  out.reserve(rows.size());
  for (const std::int32_t r : rows) out.push_back(column[static_cast<std::size_t>(r)]);
  return out;
}

// maps global bus indices to a feeder's local ones
std::vector<std::int32_t> remap(const std::vector<std::int32_t>& global_idx,
                                const std::vector<std::int32_t>& rows,
                                const std::vector<std::int32_t>& local_of_global) {
  std::vector<std::int32_t> out;
  out.reserve(rows.size());
  for (const std::int32_t r : rows) {
    out.push_back(
        local_of_global[static_cast<std::size_t>(global_idx[static_cast<std::size_t>(r)])]);
  }
  return out;
}

}  // namespace

// one connected component solved on its own: its Network and its rows in the global tables
struct EnergyModel::Feeder {
  std::unique_ptr<Network> network;    // the component's electrical model
  std::vector<std::int32_t> bus;       // local bus row → global bus row
  std::vector<std::int32_t> line;      // local line row → global line row
  std::vector<std::int32_t> trafo;     // local trafo row → global trafo row
  std::vector<std::int32_t> load;      // local load row → global load row
  std::vector<std::int32_t> sgen;      // local sgen row → global sgen row
  std::vector<std::int32_t> storage;   // local storage row → global storage row
  std::vector<std::int32_t> ext_grid;  // local ext-grid row → global row
  std::vector<std::int32_t> battery;   // batteries of the feeder (model battery index)
};

// one dispatched battery
struct EnergyModel::Battery {
  BatteryParams params{};  // capacity, power limits, efficiencies, SoC window
  DispatchRule dispatch = DispatchRule::kSelfConsumption;
  double threshold_kw = 0.0;             // [kW] peak shaving
  double dead_band_kw = 0.0;             // [kW] peak shaving
  std::vector<double> schedule_kw;       // [kW] 24 hourly set points
  double initial_soc_frac = 0.5;         // [0..1]
  std::int32_t storage_idx = -1;         // global storage row
  std::int32_t local_storage_idx = -1;   // storage row in its feeder
  std::vector<std::int32_t> site_loads;  // feeder-local load rows at the battery's bus
  std::vector<std::int32_t> site_sgens;  // feeder-local sgen rows at the battery's bus
};

// per-feeder solver and scratch; every step overwrites it before reading
struct EnergyModel::Work {
  std::unique_ptr<PowerFlow> solver;  // bound to the feeder's Network
  Injections injections;              // this step's element powers
  PowerFlowResult warm;               // node voltages of `now`, the warm start
  double import_mw = 0.0;             // [MW] ext-grid supply
  double losses_mw = 0.0;             // [MW]
  double load_mw = 0.0;               // [MW]
  double pv_mw = 0.0;                 // [MW]
  double storage_mw = 0.0;            // [MW] + charging
  double balance_error_mw = 0.0;      // [MW]
  double min_vm_pu = kNaN;            // [pu]
  double max_vm_pu = kNaN;            // [pu]
  bool outside_band = false;          // a bus outside the band
  bool line_overload = false;         // a line above 100 %
  bool trafo_overload = false;        // a trafo above 100 %
  bool converged = true;              // the power flow converged
  int iterations = 0;                 // Zbus + Newton iterations
  std::int64_t worst_bus_id = -1;     // bus of the largest mismatch
  double mismatch_mva = 0.0;          // [MVA] largest nodal mismatch
  std::string error;                  // an exception caught inside the parallel loop
};

std::vector<std::int32_t> connected_components(const NetworkTables& t, std::int32_t& n_components) {
  const auto n_buses = static_cast<std::int32_t>(t.buses.size());
  std::vector<std::int32_t> parent(static_cast<std::size_t>(n_buses));
  std::iota(parent.begin(), parent.end(), 0);
  // every line, transformer and bus–bus switch joins its buses (in service or not: a component
  // may hold more than strictly needed, never less)
  for (std::size_t i = 0; i < t.lines.size(); ++i)
    join(parent, t.lines.from_bus_idx[i], t.lines.to_bus_idx[i]);
  for (std::size_t i = 0; i < t.trafos.size(); ++i)
    join(parent, t.trafos.hv_bus_idx[i], t.trafos.lv_bus_idx[i]);
  for (std::size_t i = 0; i < t.switches.size(); ++i) {
    if (t.switches.element_type[i] == SwitchElement::kBus) {
      join(parent, t.switches.bus_idx[i], t.switches.element_idx[i]);
    }
  }
  // number the components in order of their first bus
  std::vector<std::int32_t> component(static_cast<std::size_t>(n_buses), -1);
  std::vector<std::int32_t> root_component(static_cast<std::size_t>(n_buses), -1);
  n_components = 0;
  for (std::int32_t b = 0; b < n_buses; ++b) {
    const auto root = static_cast<std::size_t>(find_root(parent, b));
    if (root_component[root] < 0) root_component[root] = n_components++;
    component[static_cast<std::size_t>(b)] = root_component[root];
  }
  return component;
}

// ---------------------------------------------------------------------------------------------
// configuration

EnergyConfig read_energy_config(const sim::ModelContext& ctx) {
  sim::ConfigReader& r = *ctx.config;
  EnergyConfig c;
  const auto resolve = [&](const std::string& written) {
    const std::string prefix = "${data}/";
    if (written.rfind(prefix, 0) == 0)
      return (ctx.data_dir / written.substr(prefix.size())).string();
    const std::filesystem::path p(written);
    return (p.is_absolute() ? p : ctx.scenario_dir / p).lexically_normal().string();
  };

  // network and period
  if (r.read("network", c.network_written)) {
    c.network = c.network_written == "generated" ? "generated" : resolve(c.network_written);
  } else {
    c.network_written = c.network;
  }
  const std::int32_t dt_s = ctx.clock != nullptr ? ctx.clock->dt_s() : 1;
  if (r.read_duration_s("period", c.period_s, sim::Range::positive()) && c.period_s % dt_s != 0) {
    r.error("period", "must be a whole multiple of time.dt_s (" + std::to_string(dt_s) +
                          " s; got " + std::to_string(c.period_s) + " s); use e.g. \"" +
                          std::to_string(std::max<std::int64_t>(1, c.period_s / dt_s) * dt_s) +
                          "s\"");
  }
  if (c.period_s < dt_s) c.period_s = dt_s;

  // profiles
  const auto read_profile = [&](const char* key, std::vector<double>& out) {
    if (r.read(key, out, sim::Range::non_negative()) && out.size() != 24) {
      r.error(key, "must hold 24 hourly values (got " + std::to_string(out.size()) + ")");
      out.clear();
    }
  };
  read_profile("load_profile", c.load_profile);
  read_profile("pv_profile", c.pv_profile);
  r.read("load_season_mean", c.load_season_mean, sim::Range::non_negative());
  r.read("load_season_amplitude", c.load_season_amplitude, sim::Range::between(-10.0, 10.0));
  r.read("pv_season_mean", c.pv_season_mean, sim::Range::non_negative());
  r.read("pv_season_amplitude", c.pv_season_amplitude, sim::Range::between(-10.0, 10.0));
  if (c.network == "generated" && !c.load_profile.empty()) {
    r.error("load_profile",
            "applies to the base loads of a network folder; the generated network "
            "takes its loads from the building uses (remove load_profile or set "
            "network to a folder)");
  }

  // household meter
  std::string meter_written;
  if (r.read("meter", meter_written)) c.meter = resolve(meter_written);
  c.meter_start_utc_s = ctx.clock != nullptr ? ctx.clock->start_utc_s() : 0;
  if (const sim::ConfigNode* node = r.node("meter_start")) {
    int f[6] = {};
    const bool is_text = node->kind() == sim::ConfigNode::Kind::kString ||
                         node->kind() == sim::ConfigNode::Kind::kDateTime;
    if (!is_text || !parse_local_date_time(node->as_string(), f)) {
      r.error("meter_start",
              "must be a local date-time such as 2006-12-17T00:00:00 (read in "
              "time.time_zone)");
    } else {
      try {
        c.meter_start_utc_s =
            sim::Clock::unix_from_local(f[0], f[1], f[2], f[3], f[4], f[5], ctx.clock->time_zone());
      } catch (const std::invalid_argument& e) {
        r.error("meter_start", std::string("is not a valid local time: ") + e.what());
      }
    }
  }
  r.read_choice("meter_scaling", c.meter_scaling, {"residents", "floor_area"});
  r.read("meter_household_size", c.meter_household_size, sim::Range::positive());
  r.read("meter_household_area_m2", c.meter_household_area_m2, sim::Range::positive());
  if (!c.meter.empty() && c.network != "generated") {
    r.error("meter",
            "scales a household to the residential buildings of the generated network; "
            "set network = \"generated\" or remove meter");
  }
  if (!c.meter.empty() && !std::filesystem::is_regular_file(c.meter)) {
    r.error("meter", "file '" + c.meter + "' does not exist (written '" + meter_written +
                         "'); check the path or set CITYTWIN_DATA");
  }

  // carbon intensity: one number or 24 hourly values
  if (const sim::ConfigNode* node = r.table() != nullptr && r.table()->is_table()
                                        ? r.table()->find("carbon_intensity_g_per_kwh")
                                        : nullptr) {
    if (node->is_array()) {
      std::vector<double> values;
      if (r.read("carbon_intensity_g_per_kwh", values, sim::Range::non_negative())) {
        if (values.size() != 24 && values.size() != 1) {
          r.error("carbon_intensity_g_per_kwh", "must be one number or 24 hourly values (got " +
                                                    std::to_string(values.size()) + ")");
        } else {
          c.carbon_intensity_g_per_kwh = values;
        }
      }
    } else {
      double value = 0.0;
      if (r.read("carbon_intensity_g_per_kwh", value, sim::Range::non_negative())) {
        c.carbon_intensity_g_per_kwh = {value};
      }
    }
  }

  // solver and reporting
  r.read_choice("output_buses", c.output_buses, {"auto", "all", "none"});
  r.read("tolerance_mva", c.tolerance_mva, {0.0, 1.0, true, false});
  r.read("max_iterations", c.max_iterations, sim::Range::between(1, 100000));
  r.read("voltage_band_frac", c.voltage_band_frac, {0.0, 1.0, true, true});
  r.read("balance_tolerance_mw", c.balance_tolerance_mw, sim::Range::positive());

  // generated network options
  {
    sim::ConfigReader g = r.section("generator");
    if (g.table() != nullptr && c.network != "generated") {
      r.error("generator", "applies only to network = \"generated\"");
    }
    GeneratedNetworkOptions& o = c.generator;
    g.read("mv_kv", o.mv_kv, sim::Range::positive());
    g.read("lv_kv", o.lv_kv, sim::Range::positive());
    g.read("buildings_per_substation", o.buildings_per_substation, sim::Range::between(1.0, 1e6));
    g.read("max_feeder_length_m", o.max_feeder_length_m, sim::Range::positive());
    g.read("slack_vm_pu", o.slack_vm_pu, sim::Range::between(0.8, 1.2));
    g.read("trafo_max_loading_frac", o.trafo_max_loading_frac, {0.0, 1.0, true, false});
    g.finish();
  }

  // batteries
  if (const sim::ConfigNode* list = r.node("batteries")) {
    if (!list->is_array()) {
      r.error("batteries", "must be an array of tables: write [[models.energy.batteries]]");
    } else {
      for (std::size_t i = 0; i < list->items().size(); ++i) {
        const sim::ConfigNode& item = list->items()[i];
        const std::string path = r.key_path("batteries") + "[" + std::to_string(i) + "]";
        if (!item.is_table()) {
          r.diagnostics().error(item.where().file, item.where().line, item.where().column, path,
                                path + " must be a table: write [[models.energy.batteries]]");
          continue;
        }
        sim::ConfigReader b(&item, path, r.diagnostics());
        BatteryConfig bc;
        const bool has_storage = b.read("storage", bc.storage_id, sim::Range::non_negative());
        const bool has_bus = b.read("bus", bc.bus_id, sim::Range::non_negative());
        const bool has_building = b.read("building", bc.building_id, sim::Range::non_negative());
        const int n_sites = int{has_storage} + int{has_bus} + int{has_building};
        if (n_sites != 1) {
          b.error(has_bus ? "bus" : "building",
                  "give exactly one of storage (a storages.csv row), bus or building (got " +
                      std::to_string(n_sites) + ")");
        }
        if (!b.read("capacity_kwh", bc.capacity_kwh, sim::Range::positive()) && !has_storage) {
          b.require("capacity_kwh");
        }
        b.require("power_kw");
        b.read("power_kw", bc.power_kw, sim::Range::positive());
        b.read("eta_charge_frac", bc.eta_charge_frac, {0.0, 1.0, true, false});
        b.read("eta_discharge_frac", bc.eta_discharge_frac, {0.0, 1.0, true, false});
        b.read("soc_min_frac", bc.soc_min_frac, sim::Range::fraction());
        b.read("soc_max_frac", bc.soc_max_frac, sim::Range::fraction());
        b.read("initial_soc_frac", bc.initial_soc_frac, sim::Range::fraction());
        if (bc.soc_min_frac > bc.soc_max_frac) {
          b.error("soc_min_frac",
                  "must be <= soc_max_frac (" + std::to_string(bc.soc_max_frac) + ")");
        }
        std::string dispatch = "self_consumption";
        if (b.read_choice("dispatch", dispatch, kDispatchNames)) {
          bc.dispatch = static_cast<DispatchRule>(
              std::find(kDispatchNames.begin(), kDispatchNames.end(), dispatch) -
              kDispatchNames.begin());
        }
        b.read("threshold_kw", bc.threshold_kw, sim::Range::non_negative());
        b.read("dead_band_kw", bc.dead_band_kw, sim::Range::non_negative());
        b.read("schedule_kw", bc.schedule_kw);
        if (bc.dispatch == DispatchRule::kPeakShaving) b.require("threshold_kw");
        if (bc.dispatch == DispatchRule::kSchedule) {
          if (b.require("schedule_kw") && bc.schedule_kw.size() != 24) {
            b.error("schedule_kw", "must hold 24 hourly values (got " +
                                       std::to_string(bc.schedule_kw.size()) + ")");
          }
        }
        b.finish();
        c.batteries.push_back(std::move(bc));
      }
    }
  }
  return c;
}

// ---------------------------------------------------------------------------------------------
// construction

std::unique_ptr<sim::Model> EnergyModel::from_config(const sim::ModelContext& ctx) {
  sim::ConfigReader& r = *ctx.config;
  sim::Diagnostics& diagnostics = r.diagnostics();
  const std::size_t errors_before = diagnostics.errors().size();
  EnergyConfig config = read_energy_config(ctx);
  if (diagnostics.errors().size() != errors_before) return nullptr;

  // the network: a folder of element tables, or generated for the city
  NetworkTables tables;
  std::vector<std::int32_t> building_load_idx;
  std::vector<std::int32_t> building_bus_idx;
  if (config.network == "generated") {
    if (ctx.city == nullptr || ctx.city->buildings.size() == 0) {
      r.error("network", "\"generated\" needs a city with buildings");
      return nullptr;
    }
    try {
      GeneratedNetwork generated = generate_network(*ctx.city, config.generator);
      tables = generated.network.tables();
      building_load_idx = std::move(generated.building_load_idx);
      building_bus_idx = std::move(generated.building_bus_idx);
    } catch (const std::invalid_argument& e) {
      r.error("network", std::string("could not be generated: ") + e.what());
      return nullptr;
    }
  } else {
    if (!std::filesystem::is_directory(config.network)) {
      r.error("network", "folder '" + config.network + "' does not exist (written '" +
                             config.network_written +
                             "'); give a folder of element tables (network.json, buses.csv...), "
                             "\"${data}/grid/<name>/network\", or \"generated\"");
      return nullptr;
    }
    try {
      tables = read_network_csv(config.network);
    } catch (const InputError& e) {
      for (const InputIssue& issue : e.issues()) diagnostics.error(issue);
      r.error("network",
              "folder '" + config.network + "' could not be read (see the errors above)");
      return nullptr;
    }
  }

  // battery references must exist
  const sim::ConfigNode* list = r.table() != nullptr ? r.table()->find("batteries") : nullptr;
  for (std::size_t i = 0; i < config.batteries.size(); ++i) {
    const BatteryConfig& b = config.batteries[i];
    sim::ConfigReader item(&list->items()[i],
                           r.key_path("batteries") + "[" + std::to_string(i) + "]", diagnostics);
    const auto has = [](const auto& ids, std::int64_t id) {
      return std::find(ids.begin(), ids.end(), id) != ids.end();
    };
    if (b.storage_id >= 0 && !has(tables.storages.storage_id, b.storage_id)) {
      item.error("storage", "is not a row of storages.csv (got " + std::to_string(b.storage_id) +
                                "); use a value of its first column");
    }
    if (b.bus_id >= 0 && !has(tables.buses.bus_id, b.bus_id)) {
      item.error("bus", "is not a bus of the network (got " + std::to_string(b.bus_id) + ")");
    }
    if (b.building_id >= 0 &&
        (building_bus_idx.empty() || ctx.city->building_idx(b.building_id) < 0)) {
      item.error("building", "is not a building of the generated network (got " +
                                 std::to_string(b.building_id) + ")");
    }
    if (b.storage_id >= 0 && b.capacity_kwh <= 0.0) {
      const auto row =
          static_cast<std::size_t>(std::find(tables.storages.storage_id.begin(),
                                             tables.storages.storage_id.end(), b.storage_id) -
                                   tables.storages.storage_id.begin());
      if (row < tables.storages.size() && !(tables.storages.max_e_mwh[row] > 0.0)) {
        item.error("storage",
                   "row " + std::to_string(b.storage_id) + " has no max_e_mwh; give capacity_kwh");
      }
    }
  }
  if (diagnostics.errors().size() != errors_before) return nullptr;

  try {
    return std::make_unique<EnergyModel>(std::move(config), std::move(tables),
                                         std::move(building_load_idx), std::move(building_bus_idx),
                                         ctx.city, *ctx.clock);
  } catch (const InputError& e) {
    for (const InputIssue& issue : e.issues()) diagnostics.error(issue);
    r.error("meter", "could not be read (see the errors above)");
  } catch (const std::invalid_argument& e) {
    r.error("network", std::string("cannot be solved: ") + e.what());
  }
  return nullptr;
}

EnergyModel::EnergyModel(EnergyConfig config, NetworkTables tables,
                         std::vector<std::int32_t> building_load_idx,
                         std::vector<std::int32_t> building_bus_idx, const sim::City* city,
                         const sim::Clock& clock)
    : config_(std::move(config)),
      tables_(std::move(tables)),
      building_load_idx_(std::move(building_load_idx)),
      building_bus_idx_(std::move(building_bus_idx)),
      city_(city),
      start_utc_s_(clock.start_utc_s()) {
  if (config_.period_s <= 0 || config_.period_s % clock.dt_s() != 0) {
    throw std::invalid_argument("EnergyConfig::period_s must be a positive multiple of dt_s (got " +
                                std::to_string(config_.period_s) + ")");
  }
  period_ticks_ = static_cast<int>(config_.period_s / clock.dt_s());
  const std::size_t n_buses = tables_.buses.size();

  // building loads, and per bus with buildings a charger load and a PV sgen (generated network)
  load_building_idx_.assign(tables_.loads.size(), -1);
  load_charger_bus_idx_.assign(tables_.loads.size(), -1);
  bus_charger_load_idx_.assign(n_buses, -1);
  bus_pv_sgen_idx_.assign(n_buses, -1);
  if (!building_bus_idx_.empty()) {
    if (city_ == nullptr ||
        static_cast<std::int64_t>(building_bus_idx_.size()) != city_->buildings.size() ||
        building_load_idx_.size() != building_bus_idx_.size()) {
      throw std::invalid_argument(
          "building_bus_idx and building_load_idx must hold one entry per city building");
    }
    for (std::size_t b = 0; b < building_load_idx_.size(); ++b) {
      if (building_load_idx_[b] >= 0)
        load_building_idx_[static_cast<std::size_t>(building_load_idx_[b])] =
            static_cast<std::int32_t>(b);
    }
    std::int64_t next_load_id =
        tables_.loads.load_id.empty()
            ? 0
            : *std::max_element(tables_.loads.load_id.begin(), tables_.loads.load_id.end()) + 1;
    std::int64_t next_sgen_id =
        tables_.sgens.sgen_id.empty()
            ? 0
            : *std::max_element(tables_.sgens.sgen_id.begin(), tables_.sgens.sgen_id.end()) + 1;
    for (const std::int32_t bus : building_bus_idx_) {
      if (bus < 0 || bus_charger_load_idx_[static_cast<std::size_t>(bus)] >= 0) continue;
      LoadTable& l = tables_.loads;
      bus_charger_load_idx_[static_cast<std::size_t>(bus)] = static_cast<std::int32_t>(l.size());
      l.load_id.push_back(next_load_id++);
      l.name.emplace_back("chargers");
      l.bus_idx.push_back(bus);
      for (auto* col : {&l.p_mw, &l.q_mvar, &l.const_z_p_percent, &l.const_i_p_percent,
                        &l.const_z_q_percent, &l.const_i_q_percent}) {
        col->push_back(0.0);
      }
      l.scaling.push_back(1.0);
      l.phase.push_back(Phase::kAbc);
      l.in_service.push_back(1);
      load_building_idx_.push_back(-1);
      load_charger_bus_idx_.resize(l.size(), -1);
      load_charger_bus_idx_.back() = bus;
      SgenTable& s = tables_.sgens;
      bus_pv_sgen_idx_[static_cast<std::size_t>(bus)] = static_cast<std::int32_t>(s.size());
      s.sgen_id.push_back(next_sgen_id++);
      s.name.emplace_back("building PV");
      s.bus_idx.push_back(bus);
      s.p_mw.push_back(0.0);
      s.q_mvar.push_back(0.0);
      s.scaling.push_back(1.0);
      s.phase.push_back(Phase::kAbc);
      s.in_service.push_back(1);
    }
  }

  // the household meter, averaged over the model steps of the run
  if (!config_.meter.empty()) {
    const std::int64_t n_steps = (clock.n_ticks() + period_ticks_ - 1) / period_ticks_;
    const MeterSeries series = read_household_meter(config_.meter, clock.time_zone());
    const ResampledSeries resampled =
        resample_mean(series, config_.meter_start_utc_s, config_.period_s, n_steps);
    meter_kw_ = resampled.active_kw;
    meter_kvar_ = resampled.reactive_kvar;
    meter_missing_frac_ = resampled.missing_frac;
    const MissingReport report = missing_report(series, resampled);
    if (report.n_missing > 0 || report.n_steps_with_gap > 0) {
      meter_report_ = format_missing_report(report, n_steps);
    }
  }

  // bus series: all up to kAutoBusSeriesLimit buses unless the config says otherwise
  if (config_.output_buses == "none") {
    bus_series_ = false;
    bus_note_ = "bus and line series not written (output_buses = \"none\")";
  } else if (config_.output_buses == "auto" &&
             static_cast<std::int64_t>(n_buses) > kAutoBusSeriesLimit) {
    bus_series_ = false;
    bus_note_ = "bus and line series not written: " + std::to_string(n_buses) + " buses > " +
                std::to_string(kAutoBusSeriesLimit) + " (set output_buses = \"all\" to write them)";
  }

  build_batteries();
  build_feeders();
}

EnergyModel::~EnergyModel() = default;

std::int32_t EnergyModel::n_feeders() const { return static_cast<std::int32_t>(feeders_.size()); }

std::int32_t EnergyModel::n_batteries() const {
  return static_cast<std::int32_t>(batteries_.size());
}

void EnergyModel::build_batteries() {
  // each configured battery takes over a storage row or gets a new one at its bus
  std::int64_t next_storage_id = tables_.storages.storage_id.empty()
                                     ? 0
                                     : *std::max_element(tables_.storages.storage_id.begin(),
                                                         tables_.storages.storage_id.end()) +
                                           1;
  for (const BatteryConfig& bc : config_.batteries) {
    StorageTable& s = tables_.storages;
    Battery b;
    if (bc.storage_id >= 0) {
      b.storage_idx = static_cast<std::int32_t>(
          std::find(s.storage_id.begin(), s.storage_id.end(), bc.storage_id) -
          s.storage_id.begin());
      if (b.storage_idx >= static_cast<std::int32_t>(s.size())) {
        throw std::invalid_argument("battery storage " + std::to_string(bc.storage_id) +
                                    " is not in the network");
      }
    } else {
      std::int32_t bus = -1;
      if (bc.bus_id >= 0) {
        const auto it =
            std::find(tables_.buses.bus_id.begin(), tables_.buses.bus_id.end(), bc.bus_id);
        if (it == tables_.buses.bus_id.end())
          throw std::invalid_argument("battery bus " + std::to_string(bc.bus_id) +
                                      " is not in the network");
        bus = static_cast<std::int32_t>(it - tables_.buses.bus_id.begin());
      } else {
        const std::int32_t building = city_ != nullptr ? city_->building_idx(bc.building_id) : -1;
        if (building < 0 || building_bus_idx_.empty())
          throw std::invalid_argument("battery building " + std::to_string(bc.building_id) +
                                      " has no bus");
        bus = building_bus_idx_[static_cast<std::size_t>(building)];
      }
      b.storage_idx = static_cast<std::int32_t>(s.size());
      s.storage_id.push_back(next_storage_id++);
      s.name.emplace_back("battery");
      s.bus_idx.push_back(bus);
      s.p_mw.push_back(0.0);
      s.q_mvar.push_back(0.0);
      s.max_e_mwh.push_back(bc.capacity_kwh / 1000.0);
      s.scaling.push_back(1.0);
      s.phase.push_back(Phase::kAbc);
      s.in_service.push_back(1);
    }
    const auto row = static_cast<std::size_t>(b.storage_idx);
    const double capacity_kwh = bc.capacity_kwh > 0.0 ? bc.capacity_kwh : s.max_e_mwh[row] * 1000.0;
    b.params =
        BatteryParams{capacity_kwh,          bc.power_kw,     bc.power_kw,    bc.eta_charge_frac,
                      bc.eta_discharge_frac, bc.soc_min_frac, bc.soc_max_frac};
    b.dispatch = bc.dispatch;
    b.threshold_kw = bc.threshold_kw;
    b.dead_band_kw = bc.dead_band_kw;
    b.schedule_kw = bc.schedule_kw;
    b.initial_soc_frac = bc.initial_soc_frac;
    batteries_.push_back(std::move(b));
  }
}

void EnergyModel::build_feeders() {
  const NetworkTables& t = tables_;
  std::int32_t n_components = 0;
  bus_feeder_idx_ = connected_components(t, n_components);
  feeders_.resize(static_cast<std::size_t>(n_components));
  bus_local_idx_.assign(t.buses.size(), -1);

  // rows of every element table per feeder, in table order
  for (std::size_t b = 0; b < t.buses.size(); ++b) {
    auto& rows = feeders_[static_cast<std::size_t>(bus_feeder_idx_[b])].bus;
    bus_local_idx_[b] = static_cast<std::int32_t>(rows.size());
    rows.push_back(static_cast<std::int32_t>(b));
  }
  const auto feeder_of = [&](std::int32_t bus) {
    return static_cast<std::size_t>(bus_feeder_idx_[static_cast<std::size_t>(bus)]);
  };
  for (std::size_t i = 0; i < t.lines.size(); ++i)
    feeders_[feeder_of(t.lines.from_bus_idx[i])].line.push_back(static_cast<std::int32_t>(i));
  for (std::size_t i = 0; i < t.trafos.size(); ++i)
    feeders_[feeder_of(t.trafos.hv_bus_idx[i])].trafo.push_back(static_cast<std::int32_t>(i));
  for (std::size_t i = 0; i < t.loads.size(); ++i)
    feeders_[feeder_of(t.loads.bus_idx[i])].load.push_back(static_cast<std::int32_t>(i));
  for (std::size_t i = 0; i < t.sgens.size(); ++i)
    feeders_[feeder_of(t.sgens.bus_idx[i])].sgen.push_back(static_cast<std::int32_t>(i));
  for (std::size_t i = 0; i < t.storages.size(); ++i)
    feeders_[feeder_of(t.storages.bus_idx[i])].storage.push_back(static_cast<std::int32_t>(i));
  for (std::size_t i = 0; i < t.ext_grids.size(); ++i)
    feeders_[feeder_of(t.ext_grids.bus_idx[i])].ext_grid.push_back(static_cast<std::int32_t>(i));
  std::vector<std::int32_t> switches_of(t.switches.size());
  std::vector<std::int32_t> line_local(t.lines.size(), -1);
  std::vector<std::int32_t> trafo_local(t.trafos.size(), -1);

  // one sub-table set and Network per feeder
  for (Feeder& f : feeders_) {
    NetworkTables s;
    s.label = t.label;
    s.sn_mva = t.sn_mva;
    s.f_hz = t.f_hz;
    s.buses = {pick(t.buses.bus_id, f.bus), pick(t.buses.name, f.bus), pick(t.buses.vn_kv, f.bus),
               pick(t.buses.in_service, f.bus)};
    const auto& L = t.lines;
    s.lines = {pick(L.line_id, f.line),
               pick(L.name, f.line),
               remap(L.from_bus_idx, f.line, bus_local_idx_),
               remap(L.to_bus_idx, f.line, bus_local_idx_),
               pick(L.length_km, f.line),
               pick(L.r_ohm_per_km, f.line),
               pick(L.x_ohm_per_km, f.line),
               pick(L.g_us_per_km, f.line),
               pick(L.b_us_per_km, f.line),
               pick(L.max_i_ka, f.line),
               pick(L.n_parallel, f.line),
               pick(L.df_frac, f.line),
               pick(L.in_service, f.line)};
    const auto& T = t.trafos;
    s.trafos = {pick(T.trafo_id, f.trafo),
                pick(T.name, f.trafo),
                remap(T.hv_bus_idx, f.trafo, bus_local_idx_),
                remap(T.lv_bus_idx, f.trafo, bus_local_idx_),
                pick(T.sn_mva, f.trafo),
                pick(T.vn_hv_kv, f.trafo),
                pick(T.vn_lv_kv, f.trafo),
                pick(T.vk_percent, f.trafo),
                pick(T.vkr_percent, f.trafo),
                pick(T.pfe_kw, f.trafo),
                pick(T.i0_percent, f.trafo),
                pick(T.shift_degree, f.trafo),
                pick(T.tap_side, f.trafo),
                pick(T.tap_neutral, f.trafo),
                pick(T.tap_pos, f.trafo),
                pick(T.tap_step_percent, f.trafo),
                pick(T.tap_step_degree, f.trafo),
                pick(T.n_parallel, f.trafo),
                pick(T.df_frac, f.trafo),
                pick(T.in_service, f.trafo)};
    for (std::size_t i = 0; i < f.line.size(); ++i)
      line_local[static_cast<std::size_t>(f.line[i])] = static_cast<std::int32_t>(i);
    for (std::size_t i = 0; i < f.trafo.size(); ++i)
      trafo_local[static_cast<std::size_t>(f.trafo[i])] = static_cast<std::int32_t>(i);
    const auto& Ld = t.loads;
    s.loads = {pick(Ld.load_id, f.load),
               pick(Ld.name, f.load),
               remap(Ld.bus_idx, f.load, bus_local_idx_),
               pick(Ld.p_mw, f.load),
               pick(Ld.q_mvar, f.load),
               pick(Ld.const_z_p_percent, f.load),
               pick(Ld.const_i_p_percent, f.load),
               pick(Ld.const_z_q_percent, f.load),
               pick(Ld.const_i_q_percent, f.load),
               pick(Ld.scaling, f.load),
               pick(Ld.phase, f.load),
               pick(Ld.in_service, f.load)};
    const auto& G = t.sgens;
    s.sgens = {pick(G.sgen_id, f.sgen),
               pick(G.name, f.sgen),
               remap(G.bus_idx, f.sgen, bus_local_idx_),
               pick(G.p_mw, f.sgen),
               pick(G.q_mvar, f.sgen),
               pick(G.scaling, f.sgen),
               pick(G.phase, f.sgen),
               pick(G.in_service, f.sgen)};
    const auto& S = t.storages;
    s.storages = {pick(S.storage_id, f.storage),
                  pick(S.name, f.storage),
                  remap(S.bus_idx, f.storage, bus_local_idx_),
                  pick(S.p_mw, f.storage),
                  pick(S.q_mvar, f.storage),
                  pick(S.max_e_mwh, f.storage),
                  pick(S.scaling, f.storage),
                  pick(S.phase, f.storage),
                  pick(S.in_service, f.storage)};
    const auto& E = t.ext_grids;
    s.ext_grids = {pick(E.ext_grid_id, f.ext_grid),
                   pick(E.name, f.ext_grid),
                   remap(E.bus_idx, f.ext_grid, bus_local_idx_),
                   pick(E.vm_pu, f.ext_grid),
                   pick(E.va_degree, f.ext_grid),
                   pick(E.in_service, f.ext_grid)};
    // switches of the feeder's buses, their far element renumbered
    for (std::size_t i = 0; i < t.switches.size(); ++i) {
      const auto bus = static_cast<std::size_t>(t.switches.bus_idx[i]);
      if (&feeders_[static_cast<std::size_t>(bus_feeder_idx_[bus])] != &f) continue;
      const SwitchElement et = t.switches.element_type[i];
      const auto element = static_cast<std::size_t>(t.switches.element_idx[i]);
      const std::int32_t local_element = et == SwitchElement::kBus    ? bus_local_idx_[element]
                                         : et == SwitchElement::kLine ? line_local[element]
                                                                      : trafo_local[element];
      if (local_element < 0) continue;  // a line or trafo of another component: cannot happen
      s.switches.switch_id.push_back(t.switches.switch_id[i]);
      s.switches.name.push_back(t.switches.name[i]);
      s.switches.bus_idx.push_back(bus_local_idx_[bus]);
      s.switches.element_idx.push_back(local_element);
      s.switches.element_type.push_back(et);
      s.switches.closed.push_back(t.switches.closed[i]);
      s.switches.z_ohm.push_back(t.switches.z_ohm[i]);
    }
    f.network = std::make_unique<Network>(std::move(s));
  }

  // each battery's feeder, storage row and site (the loads and sgens at its bus)
  std::vector<std::int32_t> storage_local(t.storages.size(), -1);
  for (const Feeder& f : feeders_) {
    for (std::size_t i = 0; i < f.storage.size(); ++i)
      storage_local[static_cast<std::size_t>(f.storage[i])] = static_cast<std::int32_t>(i);
  }
  for (std::size_t k = 0; k < batteries_.size(); ++k) {
    Battery& b = batteries_[k];
    const std::int32_t bus = t.storages.bus_idx[static_cast<std::size_t>(b.storage_idx)];
    Feeder& f = feeders_[feeder_of(bus)];
    f.battery.push_back(static_cast<std::int32_t>(k));
    b.local_storage_idx = storage_local[static_cast<std::size_t>(b.storage_idx)];
    for (std::size_t i = 0; i < f.load.size(); ++i) {
      if (t.loads.bus_idx[static_cast<std::size_t>(f.load[i])] == bus)
        b.site_loads.push_back(static_cast<std::int32_t>(i));
    }
    for (std::size_t i = 0; i < f.sgen.size(); ++i) {
      if (t.sgens.bus_idx[static_cast<std::size_t>(f.sgen[i])] == bus)
        b.site_sgens.push_back(static_cast<std::int32_t>(i));
    }
  }

  // solver work space, sized once
  work_.resize(feeders_.size());
  for (std::size_t f = 0; f < feeders_.size(); ++f) {
    const NetworkTables& s = feeders_[f].network->tables();
    Work& w = work_[f];
    w.solver = std::make_unique<PowerFlow>(*feeders_[f].network);
    w.injections.load_p_mw.assign(s.loads.size(), 0.0);
    w.injections.load_q_mvar.assign(s.loads.size(), 0.0);
    w.injections.sgen_p_mw.assign(s.sgens.size(), 0.0);
    w.injections.sgen_q_mvar.assign(s.sgens.size(), 0.0);
    w.injections.storage_p_mw.assign(s.storages.size(), 0.0);
    w.injections.storage_q_mvar.assign(s.storages.size(), 0.0);
    w.warm.node_v_pu.assign(static_cast<std::size_t>(feeders_[f].network->n_nodes()), 0.0);
  }
}

// ---------------------------------------------------------------------------------------------
// columns

void EnergyModel::declare(sim::StateLayout& layout) {
  layout_ = &layout;
  const NetworkTables& t = tables_;
  const sim::Output bus_out = bus_series_ ? sim::Output::kSeries : sim::Output::kNone;
  const sim::Output snap = sim::Output::kSnapshot;
  const sim::Output series = sim::Output::kSeries;
  const auto col = [&](const char* name, const char* dim, const char* units, const char* long_name,
                       sim::Output output) {
    return layout.add<double>({"energy", name, {}, dim, 0, units, long_name, output});
  };
  Columns& c = columns_;

  // buses and lines
  layout.add_dim({"energy", "bus", t.buses.bus_id, "bus id (first column of buses.csv)"});
  c.vm_pu = col("vm_pu", "bus", "1", "bus voltage magnitude [pu]", bus_out);
  c.va_degree = col("va_degree", "bus", "degree", "bus voltage angle", bus_out);
  c.charger_kw = col("charger_kw", "bus", "kW",
                     "charger load added at the bus (<model>.grid_load_kw columns)", bus_out);
  c.bus_outside_band_h = col("bus_outside_band_h", "bus", "h",
                             "time the bus voltage was outside the EN 50160 band", snap);
  if (t.lines.size() > 0) {
    layout.add_dim({"energy", "line", t.lines.line_id, "line id (first column of lines.csv)"});
    c.line_loading_percent =
        col("line_loading_percent", "line", "percent", "line current loading", bus_out);
    c.line_p_from_mw =
        col("line_p_from_mw", "line", "MW", "active power into the line at from_bus", bus_out);
    c.line_i_ka = col("line_i_ka", "line", "kA", "larger end current of the line", bus_out);
    c.line_overload_h =
        col("line_overload_h", "line", "h", "time the line was loaded above 100 %", snap);
  }
  if (t.trafos.size() > 0) {
    layout.add_dim(
        {"energy", "trafo", t.trafos.trafo_id, "transformer id (first column of trafos.csv)"});
    c.trafo_loading_percent =
        col("trafo_loading_percent", "trafo", "percent", "transformer current loading", series);
    c.trafo_overload_h =
        col("trafo_overload_h", "trafo", "h", "time the transformer was loaded above 100 %", snap);
  }
  if (!batteries_.empty()) {
    std::vector<std::int64_t> ids;
    for (const Battery& b : batteries_)
      ids.push_back(t.storages.storage_id[static_cast<std::size_t>(b.storage_idx)]);
    layout.add_dim({"energy", "battery", ids, "battery id (storage row id)"});
    c.battery_p_kw = col("battery_p_kw", "battery", "kW",
                         "battery grid-side power, positive = charging", series);
    c.battery_soc_frac = col("battery_soc_frac", "battery", "1",
                             "battery state of charge at the end of the step", series);
  }
  std::vector<std::int64_t> feeder_ids(feeders_.size());
  std::iota(feeder_ids.begin(), feeder_ids.end(), std::int64_t{0});
  layout.add_dim({"energy", "feeder", feeder_ids, "feeder (connected component) index"});
  c.feeder_p_import_mw =
      col("feeder_p_import_mw", "feeder", "MW",
          "power supplied by the feeder's external grid, negative = export", series);
  c.feeder_losses_mw =
      col("feeder_losses_mw", "feeder", "MW", "feeder line, transformer and switch losses", series);
  c.feeder_iterations = layout.add<std::int32_t>({"energy",
                                                  "feeder_iterations",
                                                  {},
                                                  "feeder",
                                                  0,
                                                  "1",
                                                  "power-flow iterations of the step",
                                                  sim::Output::kNone});

  // city-level totals and accumulators
  layout.add_dim({"energy",
                  "grid",
                  {0},
                  bus_note_.empty() ? "city grid totals" : "city grid totals; " + bus_note_});
  c.import_mw = col("import_mw", "grid", "MW", "power imported from the external grids", series);
  c.export_mw = col("export_mw", "grid", "MW", "power exported to the external grids", series);
  c.losses_mw = col("losses_mw", "grid", "MW", "network losses", series);
  c.pv_mw = col("pv_mw", "grid", "MW", "PV (static generator) output", series);
  c.load_mw =
      col("load_mw", "grid", "MW", "load at the solved voltages, chargers included", series);
  c.storage_mw = col("storage_mw", "grid", "MW", "storage power, positive = charging", series);
  c.balance_error_mw =
      col("balance_error_mw", "grid", "MW", "largest feeder energy-balance error", series);
  c.meter_missing_frac =
      col("meter_missing_frac", "grid", "1", "share of the step without household meter readings",
          meter_kw_.empty() ? sim::Output::kNone : series);
  c.energy_imported_kwh =
      col("energy_imported_kwh", "grid", "kWh", "energy imported since the start", snap);
  c.energy_exported_kwh =
      col("energy_exported_kwh", "grid", "kWh", "energy exported since the start", snap);
  c.losses_kwh = col("losses_kwh", "grid", "kWh", "network losses since the start", snap);
  c.pv_kwh = col("pv_kwh", "grid", "kWh", "PV energy since the start", snap);
  c.load_kwh = col("load_kwh", "grid", "kWh", "load energy since the start", snap);
  c.self_consumed_kwh =
      col("self_consumed_kwh", "grid", "kWh", "PV energy used within its feeder", snap);
  c.co2_kg = col("co2_kg", "grid", "kg", "CO2 of the imported energy", snap);
  c.hours_outside_band_h = col("hours_outside_band_h", "grid", "h",
                               "time with a bus voltage outside the EN 50160 band", snap);
  c.line_overload_hours_h =
      col("line_overload_hours_h", "grid", "h", "time with a line loaded above 100 %", snap);
  c.trafo_overload_hours_h = col("trafo_overload_hours_h", "grid", "h",
                                 "time with a transformer loaded above 100 %", snap);
  c.peak_demand_kw = col("peak_demand_kw", "grid", "kW", "largest import", snap);
  c.min_vm_pu = col("min_vm_pu", "grid", "1", "lowest bus voltage magnitude [pu]", snap);
  c.max_vm_pu = col("max_vm_pu", "grid", "1", "highest bus voltage magnitude [pu]", snap);
  c.n_nonconverged = layout.add<std::int32_t>({"energy",
                                               "n_nonconverged",
                                               {},
                                               "grid",
                                               0,
                                               "1",
                                               "feeder steps whose power flow did not converge",
                                               snap});
  c.n_balance_violations = layout.add<std::int32_t>({"energy",
                                                     "n_balance_violations",
                                                     {},
                                                     "grid",
                                                     0,
                                                     "1",
                                                     "feeder steps off the energy balance",
                                                     snap});

  // building PV from the solar model, grouped by the PV sgen of each building's bus
  const sim::ColumnId solar = layout.find("solar.ac_power_kw");
  if (solar >= 0 && !building_bus_idx_.empty()) {
    solar_kw_ = layout.get<double>("solar.ac_power_kw");
    const sim::ColumnSpec& spec = layout.spec(solar);
    const sim::DimSpec* dim = layout.find_dim(spec.model, spec.dim);
    std::vector<std::vector<std::int32_t>> per_sgen(tables_.sgens.size());
    for (std::size_t e = 0; dim != nullptr && e < dim->ids.size(); ++e) {
      const std::int32_t building = city_->building_idx(dim->ids[e]);
      if (building < 0) continue;
      const std::int32_t bus = building_bus_idx_[static_cast<std::size_t>(building)];
      if (bus < 0) continue;
      per_sgen[static_cast<std::size_t>(bus_pv_sgen_idx_[static_cast<std::size_t>(bus)])].push_back(
          static_cast<std::int32_t>(e));
    }
    sgen_pv_begin_.assign(1, 0);
    pv_building_idx_.clear();
    for (const auto& entities : per_sgen) {
      pv_building_idx_.insert(pv_building_idx_.end(), entities.begin(), entities.end());
      sgen_pv_begin_.push_back(static_cast<std::int32_t>(pv_building_idx_.size()));
    }
  }
}

void EnergyModel::init(const sim::StepContext& ctx, sim::StateWriter& state) const {
  const Columns& c = columns_;
  // flat start voltages (with the transformer shifts) as the first warm start
  auto vm = state.get(c.vm_pu);
  auto va = state.get(c.va_degree);
  for (const Feeder& f : feeders_) {
    const Network& net = *f.network;
    for (std::size_t l = 0; l < f.bus.size(); ++l) {
      const auto g = static_cast<std::size_t>(f.bus[l]);
      const std::int32_t node = net.bus_node_idx()[l];
      const std::complex<double> v = node < 0
                                         ? std::complex<double>(kNaN, kNaN)
                                         : net.start_voltage_pu()[static_cast<std::size_t>(node)];
      vm[g] = std::abs(v);
      va[g] = std::arg(v) / kDegToRad;
    }
  }
  for (std::size_t k = 0; k < batteries_.size(); ++k)
    state.get(c.battery_soc_frac)[k] = batteries_[k].initial_soc_frac;
  state.get(c.min_vm_pu)[0] = kNaN;
  state.get(c.max_vm_pu)[0] = kNaN;

  // what the model cannot use is said once, as a warning
  if (!meter_report_.empty()) {
    ctx.diagnostics->warn("energy", "meter_missing_frac", 0, ctx.tick,
                          "household meter: " + meter_report_);
  }
  if (building_bus_idx_.empty() && layout_ != nullptr) {
    for (const sim::ColumnSpec& spec : layout_->specs()) {
      if (spec.model != "energy" &&
          (spec.name == "grid_load_kw" || spec.qualified_name() == "solar.ac_power_kw")) {
        ctx.diagnostics->warn("energy", "charger_kw", 0, ctx.tick,
                              spec.qualified_name() +
                                  " is ignored: a network folder has no building → bus map (use "
                                  "network = \"generated\")");
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// stepping

void EnergyModel::solve_feeder(std::size_t f, const sim::StepContext& ctx, const sim::State& now,
                               sim::StateWriter& next) const {
  const Feeder& fd = feeders_[f];
  Work& w = work_[f];
  const Network& net = *fd.network;
  const NetworkTables& t = net.tables();
  const Columns& c = columns_;
  const int hour = ctx.local.hour;
  const std::int64_t day = (ctx.utc_s - start_utc_s_) / 86400;
  const auto step_idx = static_cast<std::size_t>(ctx.tick / period_ticks_);
  const double step_h = ctx.step_h();

  // loads: building uses (or the meter), chargers, or base loads × profile
  const double load_mult =
      (config_.load_profile.empty() ? 1.0 : config_.load_profile[static_cast<std::size_t>(hour)]) *
      seasonal(config_.load_season_mean, config_.load_season_amplitude, day);
  const auto charger_kw = next.get(c.charger_kw);
  const bool meter_now = step_idx < meter_kw_.size() && std::isfinite(meter_kw_[step_idx]);
  for (std::size_t l = 0; l < fd.load.size(); ++l) {
    const auto g = static_cast<std::size_t>(fd.load[l]);
    const std::int32_t building = load_building_idx_[g];
    double p_mw = 0.0;
    double q_mvar = 0.0;
    if (building >= 0) {
      const auto b = static_cast<std::size_t>(building);
      const sim::Buildings& bs = city_->buildings;
      const sim::BuildingUse use = bs.use[b];
      if (meter_now && use == sim::BuildingUse::kResidential) {
        const double households = config_.meter_scaling == "residents"
                                      ? bs.residents[b] / config_.meter_household_size
                                      : bs.floor_area_m2[b] / config_.meter_household_area_m2;
        p_mw = meter_kw_[step_idx] * households / 1000.0;
        const double kvar = meter_kvar_[step_idx];
        q_mvar = std::isfinite(kvar) ? kvar * households / 1000.0 : p_mw * reactive_ratio(use);
      } else {
        p_mw = load_w_per_m2(use, ctx.local) * bs.floor_area_m2[b] / 1e6;
        q_mvar = p_mw * reactive_ratio(use);
      }
    } else if (load_charger_bus_idx_[g] >= 0) {
      p_mw = charger_kw[static_cast<std::size_t>(load_charger_bus_idx_[g])] / 1000.0;
    } else {
      p_mw = tables_.loads.p_mw[g] * tables_.loads.scaling[g] * load_mult;
      q_mvar = tables_.loads.q_mvar[g] * tables_.loads.scaling[g] * load_mult;
    }
    w.injections.load_p_mw[l] = p_mw;
    w.injections.load_q_mvar[l] = q_mvar;
  }

  // PV: the solar model's building output, else the sgens × pv_profile, else none
  const double pv_mult =
      config_.pv_profile.empty()
          ? 0.0
          : config_.pv_profile[static_cast<std::size_t>(hour)] *
                seasonal(config_.pv_season_mean, config_.pv_season_amplitude, day);
  const std::span<const double> solar_kw =
      solar_kw_.valid() ? now.get(solar_kw_) : std::span<const double>{};
  for (std::size_t s = 0; s < fd.sgen.size(); ++s) {
    const auto g = static_cast<std::size_t>(fd.sgen[s]);
    const std::int32_t bus = tables_.sgens.bus_idx[g];
    double p_mw = 0.0;
    if (bus_pv_sgen_idx_[static_cast<std::size_t>(bus)] == static_cast<std::int32_t>(g)) {
      if (!sgen_pv_begin_.empty()) {
        double kw = 0.0;
        for (std::int32_t e = sgen_pv_begin_[g]; e < sgen_pv_begin_[g + 1]; ++e) {
          kw += std::max(
              0.0,
              solar_kw[static_cast<std::size_t>(pv_building_idx_[static_cast<std::size_t>(e)])]);
        }
        p_mw = kw / 1000.0;
      }
      w.injections.sgen_q_mvar[s] = 0.0;
    } else {
      p_mw = tables_.sgens.p_mw[g] * tables_.sgens.scaling[g] * pv_mult;
      w.injections.sgen_q_mvar[s] = 0.0;
    }
    w.injections.sgen_p_mw[s] = p_mw;
  }

  // storages: table set points, then each battery's dispatch from its site's net load
  for (std::size_t s = 0; s < fd.storage.size(); ++s) {
    const auto g = static_cast<std::size_t>(fd.storage[s]);
    w.injections.storage_p_mw[s] = tables_.storages.p_mw[g] * tables_.storages.scaling[g];
    w.injections.storage_q_mvar[s] = tables_.storages.q_mvar[g] * tables_.storages.scaling[g];
  }
  for (const std::int32_t k : fd.battery) {
    const Battery& b = batteries_[static_cast<std::size_t>(k)];
    double site_kw = 0.0;
    for (const std::int32_t l : b.site_loads)
      site_kw += w.injections.load_p_mw[static_cast<std::size_t>(l)] * 1000.0;
    for (const std::int32_t s : b.site_sgens)
      site_kw -= w.injections.sgen_p_mw[static_cast<std::size_t>(s)] * 1000.0;
    const double soc = now.get(c.battery_soc_frac)[static_cast<std::size_t>(k)];
    DispatchResult d{};
    switch (b.dispatch) {
      case DispatchRule::kSelfConsumption:
        d = dispatch_self_consumption(b.params, site_kw, soc, step_h);
        break;
      case DispatchRule::kPeakShaving:
        d = dispatch_peak_shaving(b.params, site_kw, soc, step_h, b.threshold_kw, b.dead_band_kw);
        break;
      case DispatchRule::kSchedule:
        d = dispatch_schedule(b.params, b.schedule_kw[static_cast<std::size_t>(hour)], soc, step_h);
        break;
    }
    next.get(c.battery_p_kw)[static_cast<std::size_t>(k)] = d.p_kw;
    next.get(c.battery_soc_frac)[static_cast<std::size_t>(k)] = d.next_soc_frac;
    w.injections.storage_p_mw[static_cast<std::size_t>(b.local_storage_idx)] = d.p_kw / 1000.0;
    w.injections.storage_q_mvar[static_cast<std::size_t>(b.local_storage_idx)] = 0.0;
  }

  // power flow: implicit Zbus warm-started from `now`, Newton–Raphson if it fails
  const auto vm_now = now.get(c.vm_pu);
  const auto va_now = now.get(c.va_degree);
  for (std::size_t n = 0; n < w.warm.node_v_pu.size(); ++n) {
    const auto g =
        static_cast<std::size_t>(fd.bus[static_cast<std::size_t>(net.node_bus_idx()[n])]);
    w.warm.node_v_pu[n] = std::polar(vm_now[g], va_now[g] * kDegToRad);
  }
  PowerFlowOptions options{PowerFlowMethod::kImplicitZbus, config_.tolerance_mva,
                           config_.max_iterations};
  PowerFlowResult r = w.solver->solve(w.injections, options, &w.warm);
  int iterations = r.iterations;
  if (!r.converged) {
    options = {PowerFlowMethod::kNewtonRaphson, config_.tolerance_mva, 0};
    r = w.solver->solve(w.injections, options, &w.warm);
    iterations += r.iterations;
  }
  w.converged = r.converged;
  w.iterations = iterations;
  w.mismatch_mva = r.max_mismatch_mva;
  w.worst_bus_id =
      r.worst_bus_idx < 0 ? -1 : t.buses.bus_id[static_cast<std::size_t>(r.worst_bus_idx)];

  // buses: voltages, the band, per-bus time outside it
  const double lo = 1.0 - config_.voltage_band_frac;
  const double hi = 1.0 + config_.voltage_band_frac;
  auto vm = next.get(c.vm_pu);
  auto va = next.get(c.va_degree);
  const auto out_now = now.get(c.bus_outside_band_h);
  auto out_next = next.get(c.bus_outside_band_h);
  w.min_vm_pu = kNaN;
  w.max_vm_pu = kNaN;
  w.outside_band = false;
  for (std::size_t l = 0; l < fd.bus.size(); ++l) {
    const auto g = static_cast<std::size_t>(fd.bus[l]);
    const double v = r.bus.vm_pu[l];
    vm[g] = v;
    va[g] = r.bus.va_degree[l];
    const bool outside = std::isfinite(v) && (v < lo || v > hi);
    out_next[g] = out_now[g] + (outside ? step_h : 0.0);
    w.outside_band = w.outside_band || outside;
    w.min_vm_pu = std::fmin(w.min_vm_pu, v);
    w.max_vm_pu = std::fmax(w.max_vm_pu, v);
  }

  // lines and transformers: loading and time above 100 %
  w.line_overload = false;
  if (!fd.line.empty()) {
    auto loading_next = next.get(c.line_loading_percent);
    auto p_from_next = next.get(c.line_p_from_mw);
    auto i_next = next.get(c.line_i_ka);
    const auto over_now = now.get(c.line_overload_h);
    auto over_next = next.get(c.line_overload_h);
    for (std::size_t l = 0; l < fd.line.size(); ++l) {
      const auto g = static_cast<std::size_t>(fd.line[l]);
      const double loading = r.line.loading_percent[l];
      loading_next[g] = loading;
      p_from_next[g] = r.line.p_from_mw[l];
      i_next[g] = r.line.i_ka[l];
      const bool over = loading > kOverloadPercent;
      over_next[g] = over_now[g] + (over ? step_h : 0.0);
      w.line_overload = w.line_overload || over;
    }
  }
  w.trafo_overload = false;
  if (!fd.trafo.empty()) {
    auto loading_next = next.get(c.trafo_loading_percent);
    const auto over_now = now.get(c.trafo_overload_h);
    auto over_next = next.get(c.trafo_overload_h);
    for (std::size_t l = 0; l < fd.trafo.size(); ++l) {
      const auto g = static_cast<std::size_t>(fd.trafo[l]);
      const double loading = r.trafo.loading_percent[l];
      loading_next[g] = loading;
      const bool over = loading > kOverloadPercent;
      over_next[g] = over_now[g] + (over ? step_h : 0.0);
      w.trafo_overload = w.trafo_overload || over;
    }
  }

  // feeder totals and its energy balance: import = load − generation + storage + losses
  const auto energised = [&](std::int32_t local_bus) {
    return net.bus_node_idx()[static_cast<std::size_t>(local_bus)] >= 0;
  };
  w.import_mw = 0.0;
  for (const double p : r.ext_grid.p_mw) w.import_mw += p;
  w.load_mw = 0.0;
  for (const double p : r.load.p_mw) w.load_mw += p;
  w.pv_mw = 0.0;
  for (std::size_t s = 0; s < t.sgens.size(); ++s) {
    if (t.sgens.in_service[s] != 0 && energised(t.sgens.bus_idx[s]))
      w.pv_mw += w.injections.sgen_p_mw[s];
  }
  w.storage_mw = 0.0;
  for (std::size_t s = 0; s < t.storages.size(); ++s) {
    if (t.storages.in_service[s] != 0 && energised(t.storages.bus_idx[s]))
      w.storage_mw += w.injections.storage_p_mw[s];
  }
  w.losses_mw = r.loss_p_mw;
  w.balance_error_mw = std::abs(w.import_mw - (w.load_mw - w.pv_mw + w.storage_mw + w.losses_mw));
  next.get(c.feeder_p_import_mw)[f] = w.import_mw;
  next.get(c.feeder_losses_mw)[f] = w.losses_mw;
  next.get(c.feeder_iterations)[f] = iterations;
}

void EnergyModel::step(const sim::StepContext& ctx, const sim::State& now,
                       sim::StateWriter& next) const {
  const Columns& c = columns_;
  const double step_h = ctx.step_h();

  // chargers: every other model's `grid_load_kw` column on building ids, summed per bus
  auto charger_kw = next.get(c.charger_kw);
  std::fill(charger_kw.begin(), charger_kw.end(), 0.0);
  if (!building_bus_idx_.empty()) {
    for (sim::ColumnId id = 0; id < layout_->n_columns(); ++id) {
      const sim::ColumnSpec& spec = layout_->spec(id);
      if (spec.name != "grid_load_kw" || spec.model == "energy") continue;
      const sim::DimSpec* dim = layout_->find_dim(spec.model, spec.dim);
      if (spec.dtype != sim::DType::kFloat64 || dim == nullptr) {
        ctx.diagnostics->warn(
            "energy", "charger_kw", 0, ctx.tick,
            spec.qualified_name() + " is not a float64 column on a declared dimension: ignored");
        continue;
      }
      const auto* values = static_cast<const double*>(now.data(id));
      for (std::size_t e = 0; e < dim->ids.size(); ++e) {
        const std::int32_t building = city_->building_idx(dim->ids[e]);
        const std::int32_t bus =
            building < 0 ? -1 : building_bus_idx_[static_cast<std::size_t>(building)];
        if (bus < 0) {
          ctx.diagnostics->warn(
              "energy", "charger_kw", dim->ids[e], ctx.tick,
              spec.qualified_name() + ": id is not a connected building: ignored");
          continue;
        }
        charger_kw[static_cast<std::size_t>(bus)] += values[e];
      }
    }
  }

  // one independent power flow per feeder; failures are recorded and reported after the loop
  const auto n_feeders = static_cast<std::int64_t>(feeders_.size());
#pragma omp parallel for schedule(static) if (n_feeders > 1)
  for (std::int64_t f = 0; f < n_feeders; ++f) {
    Work& w = work_[static_cast<std::size_t>(f)];
    w.error.clear();
    try {
      solve_feeder(static_cast<std::size_t>(f), ctx, now, next);
    } catch (const std::exception& e) {
      w.error = e.what();
    } catch (...) {
      w.error = "unknown exception";
    }
  }
  for (std::size_t f = 0; f < work_.size(); ++f) {
    if (!work_[f].error.empty()) {
      throw std::runtime_error("energy: power flow of feeder " + std::to_string(f) + " at tick " +
                               std::to_string(ctx.tick) + " failed: " + work_[f].error);
    }
  }

  // city totals in feeder order (independent of the thread count)
  double import_mw = 0.0, export_mw = 0.0, losses_mw = 0.0, pv_mw = 0.0, load_mw = 0.0;
  double storage_mw = 0.0, balance_mw = 0.0, self_consumed_mw = 0.0;
  double min_vm = kNaN, max_vm = kNaN;
  bool outside = false, line_over = false, trafo_over = false;
  std::int32_t n_nonconverged = 0, n_balance = 0;
  for (std::size_t f = 0; f < work_.size(); ++f) {
    const Work& w = work_[f];
    import_mw += std::max(0.0, w.import_mw);
    export_mw += std::max(0.0, -w.import_mw);
    losses_mw += w.losses_mw;
    pv_mw += w.pv_mw;
    load_mw += w.load_mw;
    storage_mw += w.storage_mw;
    self_consumed_mw += std::max(0.0, w.pv_mw - std::max(0.0, -w.import_mw));
    balance_mw = std::max(balance_mw, w.balance_error_mw);
    min_vm = std::fmin(min_vm, w.min_vm_pu);
    max_vm = std::fmax(max_vm, w.max_vm_pu);
    outside = outside || w.outside_band;
    line_over = line_over || w.line_overload;
    trafo_over = trafo_over || w.trafo_overload;
    if (!w.converged) {
      ++n_nonconverged;
      ctx.diagnostics->warn("energy", "vm_pu", w.worst_bus_id, ctx.tick,
                            "power flow of feeder " + std::to_string(f) +
                                " did not converge after " + std::to_string(w.iterations) +
                                " iterations (implicit Zbus, then Newton); worst bus " +
                                std::to_string(w.worst_bus_id) + ", mismatch " +
                                std::to_string(w.mismatch_mva) + " MVA");
    } else if (!(w.balance_error_mw <= config_.balance_tolerance_mw)) {
      ++n_balance;
      ctx.diagnostics->warn("energy", "balance_error_mw", static_cast<std::int64_t>(f), ctx.tick,
                            "energy balance of feeder " + std::to_string(f) + " is off by " +
                                std::to_string(w.balance_error_mw) + " MW");
    }
  }
  const auto set = [&](sim::Column<double> column, double value) { next.get(column)[0] = value; };
  const auto add = [&](sim::Column<double> column, double value) {
    next.get(column)[0] = now.get(column)[0] + value;
  };
  set(c.import_mw, import_mw);
  set(c.export_mw, export_mw);
  set(c.losses_mw, losses_mw);
  set(c.pv_mw, pv_mw);
  set(c.load_mw, load_mw);
  set(c.storage_mw, storage_mw);
  set(c.balance_error_mw, balance_mw);
  const auto step_idx = static_cast<std::size_t>(ctx.tick / period_ticks_);
  set(c.meter_missing_frac,
      step_idx < meter_missing_frac_.size() ? meter_missing_frac_[step_idx] : 0.0);

  // accumulators
  const std::vector<double>& ci = config_.carbon_intensity_g_per_kwh;
  const double ci_g_per_kwh =
      ci.size() == 24 ? ci[static_cast<std::size_t>(ctx.local.hour)] : ci[0];
  add(c.energy_imported_kwh, import_mw * 1000.0 * step_h);
  add(c.energy_exported_kwh, export_mw * 1000.0 * step_h);
  add(c.losses_kwh, losses_mw * 1000.0 * step_h);
  add(c.pv_kwh, pv_mw * 1000.0 * step_h);
  add(c.load_kwh, load_mw * 1000.0 * step_h);
  add(c.self_consumed_kwh, self_consumed_mw * 1000.0 * step_h);
  add(c.co2_kg, import_mw * 1000.0 * step_h * ci_g_per_kwh / 1000.0);
  add(c.hours_outside_band_h, outside ? step_h : 0.0);
  add(c.line_overload_hours_h, line_over ? step_h : 0.0);
  add(c.trafo_overload_hours_h, trafo_over ? step_h : 0.0);
  set(c.peak_demand_kw, std::fmax(now.get(c.peak_demand_kw)[0], import_mw * 1000.0));
  set(c.min_vm_pu, std::fmin(now.get(c.min_vm_pu)[0], min_vm));
  set(c.max_vm_pu, std::fmax(now.get(c.max_vm_pu)[0], max_vm));
  next.get(c.n_nonconverged)[0] = now.get(c.n_nonconverged)[0] + n_nonconverged;
  next.get(c.n_balance_violations)[0] = now.get(c.n_balance_violations)[0] + n_balance;
}

void EnergyModel::kpis(const sim::State& state, std::vector<sim::Kpi>& out) const {
  const Columns& c = columns_;
  const auto v = [&](sim::Column<double> column) { return state.get(column)[0]; };
  const double pv = v(c.pv_kwh);
  const double load = v(c.load_kwh);
  const double self = v(c.self_consumed_kwh);
  out.push_back({"energy_imported_kwh", v(c.energy_imported_kwh), "kWh",
                 "energy imported from the external grids"});
  out.push_back({"energy_exported_kwh", v(c.energy_exported_kwh), "kWh",
                 "energy exported to the external grids"});
  out.push_back({"self_consumption_frac", pv > 0.0 ? self / pv : 0.0, "1",
                 "PV energy used within its feeder / PV energy produced"});
  out.push_back({"self_sufficiency_frac", load > 0.0 ? self / load : 0.0, "1",
                 "PV energy used within its feeder / load energy"});
  out.push_back({"losses_kwh", v(c.losses_kwh), "kWh", "network losses"});
  out.push_back({"min_voltage_pu", v(c.min_vm_pu), "1", "lowest bus voltage magnitude [pu]"});
  out.push_back({"max_voltage_pu", v(c.max_vm_pu), "1", "highest bus voltage magnitude [pu]"});
  out.push_back({"hours_outside_10pct", v(c.hours_outside_band_h), "h",
                 "time with a bus voltage outside the EN 50160 band"});
  out.push_back({"line_overload_hours", v(c.line_overload_hours_h), "h",
                 "time with a line loaded above 100 %"});
  out.push_back({"trafo_overload_hours", v(c.trafo_overload_hours_h), "h",
                 "time with a transformer loaded above 100 %"});
  out.push_back({"peak_demand_kw", v(c.peak_demand_kw), "kW", "largest import"});
  out.push_back({"co2_kg", v(c.co2_kg), "kg", "CO2 of the imported energy"});
  out.push_back({"pv_kwh", pv, "kWh", "PV energy produced"});
  out.push_back({"load_kwh", load, "kWh", "load energy"});
  out.push_back({"bus_series_written", bus_series_ ? 1.0 : 0.0, "1",
                 bus_series_ ? "bus and line series written" : bus_note_});
}

}  // namespace citytwin::energy
