#pragma once

namespace citytwin::energy {

/// Parameters of one battery energy storage system (docs/models/energy.md#batteries).
struct BatteryParams {
  double capacity_kwh;               ///< [kWh] usable energy capacity E, > 0
  double p_charge_max_kw;            ///< [kW] largest charging power at the grid side, >= 0
  double p_discharge_max_kw;         ///< [kW] largest discharging power at the grid side, >= 0
  double eta_charge_frac = 0.95;     ///< [0..1] share of grid-side charging energy stored
  double eta_discharge_frac = 0.95;  ///< [0..1] grid-side energy per unit of stored energy drawn
  double soc_min_frac = 0.1;         ///< [0..1] lowest state of charge, share of capacity_kwh
  double soc_max_frac = 0.9;         ///< [0..1] highest state of charge, share of capacity_kwh
};

/// The power of a battery over one step and its state of charge at the end of the step.
struct DispatchResult {
  double p_kw;           ///< [kW] grid-side power: + charging, − discharging
  double next_soc_frac;  ///< [0..1] state of charge at the end of the step
};

/// Applies a requested grid-side power `p_request_kw` (+ charging, − discharging) for `step_h`
/// hours, limited by the power ratings and by the SoC window: charging stores
/// p·eta_charge·step_h, discharging draws |p|/eta_discharge·step_h from storage. A state of
/// charge already outside the window is not pushed further out. Throws std::invalid_argument for
/// capacity_kwh <= 0, step_h <= 0, efficiencies outside (0, 1] or a window outside [0, 1].
/// Thread-safe (pure).
[[nodiscard]] DispatchResult dispatch_power(const BatteryParams& params, double p_request_kw,
                                            double soc_frac, double step_h);

/// Self-consumption rule: a surplus (net_load_kw < 0, i.e. PV above load at the battery's site)
/// charges the battery, a deficit (net_load_kw > 0) discharges it, each as far as power and SoC
/// limits allow (docs/models/energy.md#batteries). This is exactly the battery rule of
/// shared/data/grid/ts_cigre_lv_pv_battery/spec.json with net_load = load − PV at the bus.
/// Thread-safe (pure).
[[nodiscard]] DispatchResult dispatch_self_consumption(const BatteryParams& params,
                                                       double net_load_kw, double soc_frac,
                                                       double step_h);

/// Peak-shaving rule: when site_load_kw > threshold_kw the battery discharges
/// site_load − threshold (holding the site at the threshold as far as it can); when site_load_kw
/// < threshold_kw − dead_band_kw it recharges with the headroom threshold − site_load, so that
/// the site never exceeds the threshold because of the recharge; in between it idles.
/// dead_band_kw must be >= 0 (std::invalid_argument otherwise). Thread-safe (pure).
[[nodiscard]] DispatchResult dispatch_peak_shaving(const BatteryParams& params,
                                                   double site_load_kw, double soc_frac,
                                                   double step_h, double threshold_kw,
                                                   double dead_band_kw);

/// Schedule rule: follows a given grid-side power (+ charging, − discharging) within the power
/// and SoC limits. Thread-safe (pure).
[[nodiscard]] DispatchResult dispatch_schedule(const BatteryParams& params,
                                               double scheduled_p_kw, double soc_frac,
                                               double step_h);

}  // namespace citytwin::energy
