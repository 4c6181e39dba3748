#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <citytwin/energy/generated_network.hpp>
#include <citytwin/energy/network.hpp>
#include <citytwin/energy/power_flow.hpp>
#include <citytwin/sim/model.hpp>
#include <citytwin/sim/model_registry.hpp>
#include <citytwin/sim/state.hpp>

namespace citytwin::energy {

/// How a battery decides its power each step (docs/models/energy.md#batteries).
enum class DispatchRule : std::uint8_t {
  kSelfConsumption = 0,  ///< charge from the local PV surplus, discharge into the local deficit
  kPeakShaving = 1,      ///< hold the bus's net load at a threshold
  kSchedule = 2,         ///< follow 24 hourly set points (local hour)
};

/// One entry of [[models.energy.batteries]] (docs/models/energy.md#scenario-keys).
struct BatteryConfig {
  std::int64_t storage_id = -1;   ///< storages.csv row the battery takes over, −1 if none
  std::int64_t bus_id = -1;       ///< bus the battery connects to, −1 if none
  std::int64_t building_id = -1;  ///< building whose bus it connects to (generated), −1 if none
  double capacity_kwh = 0.0;      ///< [kWh] usable capacity; 0 = max_e_mwh of the storage row
  double power_kw = 0.0;          ///< [kW] largest charging and discharging power, > 0
  double eta_charge_frac = 0.95;  ///< [0..1] share of grid-side charging energy stored
  double eta_discharge_frac = 0.95;  ///< [0..1] grid-side energy per stored energy drawn
  double soc_min_frac = 0.1;         ///< [0..1] lowest state of charge
  double soc_max_frac = 0.9;         ///< [0..1] highest state of charge
  double initial_soc_frac = 0.5;     ///< [0..1] state of charge at the start of the run
  DispatchRule dispatch = DispatchRule::kSelfConsumption;  ///< dispatch rule
  double threshold_kw = 0.0;        ///< [kW] peak-shaving threshold of the bus's net load
  double dead_band_kw = 0.0;        ///< [kW] peak-shaving recharge dead band, >= 0
  std::vector<double> schedule_kw;  ///< [kW] 24 hourly set points (+ charging), local hour
};

/// Settings of [models.energy]; defaults here are the documented defaults
/// (docs/models/energy.md#scenario-keys).
struct EnergyConfig {
  std::string network = "generated";   ///< "generated" or a network folder (resolved path)
  std::string network_written;         ///< `network` as written in the scenario (for messages)
  std::int64_t period_s = 900;         ///< [s] model step, a whole multiple of time.dt_s
  std::vector<double> load_profile;    ///< [-] 24 hourly multipliers on the base loads (folder)
  std::vector<double> pv_profile;      ///< [-] 24 hourly multipliers on the sgens' p_mw (folder)
  double load_season_mean = 1.0;       ///< [-] mean of the seasonal factor on the loads
  double load_season_amplitude = 0.0;  ///< [-] amplitude of its cosine over the run's days
  double pv_season_mean = 1.0;         ///< [-] mean of the seasonal factor on the PV
  double pv_season_amplitude = 0.0;    ///< [-] amplitude of its cosine over the run's days
  std::string meter;                   ///< household meter file (resolved path), "" = none
  std::int64_t meter_start_utc_s = 0;  ///< [s] meter instant mapped to the run start
  std::string meter_scaling = "residents";  ///< "residents" or "floor_area"
  double meter_household_size = 2.2;        ///< [persons] residents per metered household
  double meter_household_area_m2 = 90.0;    ///< [m2] floor area per metered household
  /// [g/kWh] 1 value or 24 hourly; default: France 2023, RTE Bilan électrique 2023 (32 gCO2eq/kWh)
  std::vector<double> carbon_intensity_g_per_kwh{32.0};
  std::string output_buses = "auto";     ///< "auto", "all" or "none": bus and line series
  double tolerance_mva = 1e-8;           ///< [MVA] power-flow convergence on the nodal mismatch
  int max_iterations = 100;              ///< [1] implicit-Zbus iterations before Newton's fallback
  double voltage_band_frac = 0.10;       ///< [0..1] EN 50160 band around 1 pu
  double balance_tolerance_mw = 1e-6;    ///< [MW] energy-balance check per feeder and step
  GeneratedNetworkOptions generator;     ///< [models.energy.generator] (network = "generated")
  std::vector<BatteryConfig> batteries;  ///< [[models.energy.batteries]]
};

/// Reads and validates [models.energy] (every problem goes to the reader's Diagnostics, with
/// file:line and key). Paths are resolved against ctx.data_dir ("${data}/...") and
/// ctx.scenario_dir. Not thread-safe (load time).
[[nodiscard]] EnergyConfig read_energy_config(const sim::ModelContext& ctx);

/// The micro-grid model `energy`: a quasi-static AC power flow over time on a distribution
/// network (a folder of element tables, or one generated for the city), with loads from
/// profiles, meters or building uses, PV, dispatched batteries and chargers of other models,
/// one power flow per feeder and step (in parallel over feeders), results, accumulators and
/// indicators (docs/models/energy.md#time-series). step() is const and writes only the energy
/// columns; the object holds the immutable network plus per-feeder solver work space, so one
/// model object must not be stepped from two threads at once (the engine never does).
class EnergyModel : public sim::Model {
 public:
  /// The registry factory: reads the config, loads or generates the network. Returns nullptr
  /// (problems recorded in ctx.config) when the input is bad.
  static std::unique_ptr<sim::Model> from_config(const sim::ModelContext& ctx);

  /// Builds the model from a validated config, the network tables and, for a generated
  /// network, the building → load/bus mapping. `city` and `clock` must outlive the model.
  /// Throws std::invalid_argument on inconsistent arguments.
  EnergyModel(EnergyConfig config, NetworkTables tables,
              std::vector<std::int32_t> building_load_idx,
              std::vector<std::int32_t> building_bus_idx, const sim::City* city,
              const sim::Clock& clock);
  ~EnergyModel() override;
  EnergyModel(const EnergyModel&) = delete;
  EnergyModel& operator=(const EnergyModel&) = delete;
  EnergyModel(EnergyModel&&) = delete;
  EnergyModel& operator=(EnergyModel&&) = delete;

  [[nodiscard]] std::string_view name() const override { return "energy"; }
  [[nodiscard]] int period_ticks() const override { return period_ticks_; }
  void declare(sim::StateLayout& layout) override;
  void init(const sim::StepContext& ctx, sim::StateWriter& state) const override;
  void step(const sim::StepContext& ctx, const sim::State& now,
            sim::StateWriter& next) const override;
  void kpis(const sim::State& state, std::vector<sim::Kpi>& out) const override;

  /// Returns the network tables the model solves (PV sgens and battery storages appended).
  [[nodiscard]] const NetworkTables& tables() const { return tables_; }
  /// Returns the number of feeders (connected components solved independently).
  [[nodiscard]] std::int32_t n_feeders() const;
  /// Returns the number of dispatched batteries.
  [[nodiscard]] std::int32_t n_batteries() const;

  /// The energy columns of State (declared in declare()).
  struct Columns {
    sim::Column<double> vm_pu;                    ///< (bus) [pu] voltage magnitude
    sim::Column<double> va_degree;                ///< (bus) [deg] voltage angle
    sim::Column<double> charger_kw;               ///< (bus) [kW] charger load added this step
    sim::Column<double> bus_outside_band_h;       ///< (bus) [h] time outside ±band, snapshot
    sim::Column<double> line_loading_percent;     ///< (line) [%] current loading
    sim::Column<double> line_p_from_mw;           ///< (line) [MW] active power into the from end
    sim::Column<double> line_i_ka;                ///< (line) [kA] larger end current
    sim::Column<double> line_overload_h;          ///< (line) [h] time above 100 %, snapshot
    sim::Column<double> trafo_loading_percent;    ///< (trafo) [%] current loading
    sim::Column<double> trafo_overload_h;         ///< (trafo) [h] time above 100 %, snapshot
    sim::Column<double> battery_p_kw;             ///< (battery) [kW] grid-side power, + charging
    sim::Column<double> battery_soc_frac;         ///< (battery) [0..1] state of charge at step end
    sim::Column<double> feeder_p_import_mw;       ///< (feeder) [MW] ext-grid supply, − = export
    sim::Column<double> feeder_losses_mw;         ///< (feeder) [MW] line + trafo + switch losses
    sim::Column<std::int32_t> feeder_iterations;  ///< (feeder) [1] power-flow iterations
    sim::Column<double> import_mw;                ///< (grid) [MW] Σ feeder imports
    sim::Column<double> export_mw;                ///< (grid) [MW] Σ feeder exports
    sim::Column<double> losses_mw;                ///< (grid) [MW] Σ losses
    sim::Column<double> pv_mw;                    ///< (grid) [MW] Σ sgen generation
    sim::Column<double> load_mw;                  ///< (grid) [MW] Σ loads at the solved voltages
    sim::Column<double> storage_mw;               ///< (grid) [MW] Σ storage power, + charging
    sim::Column<double> balance_error_mw;         ///< (grid) [MW] largest feeder balance error
    sim::Column<double> meter_missing_frac;       ///< (grid) [0..1] meter gap share of the step
    sim::Column<double> energy_imported_kwh;      ///< (grid) [kWh] accumulated, snapshot
    sim::Column<double> energy_exported_kwh;      ///< (grid) [kWh] accumulated, snapshot
    sim::Column<double> losses_kwh;               ///< (grid) [kWh] accumulated, snapshot
    sim::Column<double> pv_kwh;                   ///< (grid) [kWh] accumulated, snapshot
    sim::Column<double> load_kwh;                 ///< (grid) [kWh] accumulated, snapshot
    sim::Column<double> self_consumed_kwh;        ///< (grid) [kWh] PV used in its feeder, snapshot
    sim::Column<double> co2_kg;                   ///< (grid) [kg] CO2 of the imports, snapshot
    sim::Column<double> hours_outside_band_h;     ///< (grid) [h] any bus outside ±band, snapshot
    sim::Column<double> line_overload_hours_h;    ///< (grid) [h] any line > 100 %, snapshot
    sim::Column<double> trafo_overload_hours_h;   ///< (grid) [h] any trafo > 100 %, snapshot
    sim::Column<double> peak_demand_kw;           ///< (grid) [kW] largest import, snapshot
    sim::Column<double> min_vm_pu;                ///< (grid) [pu] lowest bus voltage, snapshot
    sim::Column<double> max_vm_pu;                ///< (grid) [pu] highest bus voltage, snapshot
    sim::Column<std::int32_t> n_nonconverged;     ///< (grid) [1] feeder steps not converged
    sim::Column<std::int32_t> n_balance_violations;  ///< (grid) [1] feeder steps off balance
  };
  /// Returns the column handles (valid after declare()).
  [[nodiscard]] const Columns& columns() const { return columns_; }

 private:
  struct Feeder;
  struct Battery;
  struct Work;

  void build_feeders();
  void build_batteries();
  void solve_feeder(std::size_t f, const sim::StepContext& ctx, const sim::State& now,
                    sim::StateWriter& next) const;

  EnergyConfig config_;
  NetworkTables tables_;
  std::vector<std::int32_t> building_load_idx_;     // per building, its load row (generated)
  std::vector<std::int32_t> building_bus_idx_;      // per building, its bus (generated)
  std::vector<std::int32_t> load_building_idx_;     // per load row, its building or −1
  std::vector<std::int32_t> bus_charger_load_idx_;  // per bus, the charger load row or −1
  std::vector<std::int32_t> load_charger_bus_idx_;  // per load row, the bus it charges or −1
  std::vector<std::int32_t> bus_pv_sgen_idx_;       // per bus, the building-PV sgen row or −1
  std::vector<std::int32_t> pv_building_idx_;       // buildings with PV, grouped by sgen
  std::vector<std::int32_t> sgen_pv_begin_;         // per sgen, offsets into pv_building_idx_
  std::vector<double> meter_kw_;                    // [kW] per step, NaN without reading
  std::vector<double> meter_kvar_;                  // [kvar] per step
  std::vector<double> meter_missing_frac_;          // [0..1] per step
  std::string meter_report_;                        // the gaps, one line ("" = none)
  const sim::City* city_;
  std::int64_t start_utc_s_;
  int period_ticks_ = 1;
  bool bus_series_ = true;  // bus and line columns written as series
  std::string bus_note_;    // why not, when they are not
  std::vector<Feeder> feeders_;
  std::vector<Battery> batteries_;
  std::vector<std::int32_t> bus_feeder_idx_;  // per bus, its feeder
  std::vector<std::int32_t> bus_local_idx_;   // per bus, its row in the feeder
  const sim::StateLayout* layout_ = nullptr;  // the engine's layout (for charger columns)
  sim::Column<double> solar_kw_;              // solar.ac_power_kw (building), if declared
  Columns columns_;
  // per-feeder solver work space: topology caches (factorisations) and scratch vectors that
  // every step overwrites before reading; no value survives from one step to the next
  mutable std::vector<Work> work_;
};

/// Splits the tables into connected components (lines, transformers and bus–bus switches join
/// buses) and returns, per bus, its component in order of first appearance. Thread-safe.
[[nodiscard]] std::vector<std::int32_t> connected_components(const NetworkTables& tables,
                                                             std::int32_t& n_components);

}  // namespace citytwin::energy
