#include <citytwin/energy/battery.hpp>

#include <algorithm>
#include <stdexcept>
#include <string>

namespace citytwin::energy {
namespace {

void check_params(const BatteryParams& params, double step_h) {
  const auto fail = [](const std::string& what) { throw std::invalid_argument(what); };
  if (!(params.capacity_kwh > 0.0)) {
    fail("BatteryParams::capacity_kwh must be > 0 (got " + std::to_string(params.capacity_kwh) +
         ")");
  }
  if (!(params.p_charge_max_kw >= 0.0) || !(params.p_discharge_max_kw >= 0.0)) {
    fail("BatteryParams power limits must be >= 0 (got charge " +
         std::to_string(params.p_charge_max_kw) + ", discharge " +
         std::to_string(params.p_discharge_max_kw) + ")");
  }
  if (!(params.eta_charge_frac > 0.0 && params.eta_charge_frac <= 1.0) ||
      !(params.eta_discharge_frac > 0.0 && params.eta_discharge_frac <= 1.0)) {
    fail("BatteryParams efficiencies must be in (0, 1] (got charge " +
         std::to_string(params.eta_charge_frac) + ", discharge " +
         std::to_string(params.eta_discharge_frac) + ")");
  }
  if (!(params.soc_min_frac >= 0.0 && params.soc_min_frac <= params.soc_max_frac &&
        params.soc_max_frac <= 1.0)) {
    fail("BatteryParams SoC window must satisfy 0 <= soc_min_frac <= soc_max_frac <= 1 (got " +
         std::to_string(params.soc_min_frac) + ", " + std::to_string(params.soc_max_frac) + ")");
  }
  if (!(step_h > 0.0)) fail("step_h must be > 0 (got " + std::to_string(step_h) + ")");
}

}  // namespace

DispatchResult dispatch_power(const BatteryParams& params, double p_request_kw, double soc_frac,
                              double step_h) {
  check_params(params, step_h);
  const double e_kwh = soc_frac * params.capacity_kwh;

  // charging: limited by the rating and by the room left below soc_max
  if (p_request_kw >= 0.0) {
    const double room_kwh = std::max(0.0, params.soc_max_frac * params.capacity_kwh - e_kwh);
    const double p_kw = std::min({p_request_kw, params.p_charge_max_kw,
                                  room_kwh / (params.eta_charge_frac * step_h)});
    const double next_e_kwh = e_kwh + p_kw * params.eta_charge_frac * step_h;
    return {p_kw, next_e_kwh / params.capacity_kwh};
  }

  // discharging: limited by the rating and by the energy left above soc_min
  const double avail_kwh = std::max(0.0, e_kwh - params.soc_min_frac * params.capacity_kwh);
  const double p_abs_kw = std::min({-p_request_kw, params.p_discharge_max_kw,
                                    avail_kwh * params.eta_discharge_frac / step_h});
  const double next_e_kwh = e_kwh - p_abs_kw / params.eta_discharge_frac * step_h;
  return {-p_abs_kw, next_e_kwh / params.capacity_kwh};
}

DispatchResult dispatch_self_consumption(const BatteryParams& params, double net_load_kw,
                                         double soc_frac, double step_h) {
  // a surplus (net load <= 0) charges, a deficit discharges
  return dispatch_power(params, -net_load_kw, soc_frac, step_h);
}

DispatchResult dispatch_peak_shaving(const BatteryParams& params, double site_load_kw,
                                     double soc_frac, double step_h, double threshold_kw,
                                     double dead_band_kw) {
  if (!(dead_band_kw >= 0.0)) {
    throw std::invalid_argument("dead_band_kw must be >= 0 (got " + std::to_string(dead_band_kw) +
                                ")");
  }
  // above the threshold: discharge the excess
  if (site_load_kw > threshold_kw) {
    return dispatch_power(params, threshold_kw - site_load_kw, soc_frac, step_h);
  }
  // well below it: recharge with the headroom, never pushing the site over the threshold
  if (site_load_kw < threshold_kw - dead_band_kw) {
    return dispatch_power(params, threshold_kw - site_load_kw, soc_frac, step_h);
  }
  // inside the dead band: idle
  return dispatch_power(params, 0.0, soc_frac, step_h);
}

DispatchResult dispatch_schedule(const BatteryParams& params, double scheduled_p_kw,
                                 double soc_frac, double step_h) {
  return dispatch_power(params, scheduled_p_kw, soc_frac, step_h);
}

}  // namespace citytwin::energy
