#pragma once

#include <cstdint>
#include <vector>

#include <citytwin/energy/network.hpp>
#include <citytwin/sim/city.hpp>

namespace citytwin::energy {

/// A cable type: per-length impedance and thermal limit of one three-phase system.
struct CableType {
  double r_ohm_per_km;  ///< [Ω/km] series resistance at 20 °C
  double x_ohm_per_km;  ///< [Ω/km] series reactance at 50 Hz
  double c_nf_per_km;   ///< [nF/km] shunt capacitance
  double max_i_ka;      ///< [kA] thermal current limit (ampacity), > 0
};

/// A two-winding MV/LV transformer type (one rating of the standard series).
struct TrafoType {
  double sn_kva;        ///< [kVA] rated apparent power, > 0
  double vk_percent;    ///< [%] short-circuit voltage
  double vkr_percent;   ///< [%] real part of vk_percent (copper losses)
  double pfe_kw;        ///< [kW] iron (no-load) losses
  double i0_percent;    ///< [%] no-load current
};

/// Settings of generate_network (docs/models/energy.md#generated-network). Cable and transformer
/// defaults are pandapower standard types (from manufacturer data sheets).
struct GeneratedNetworkOptions {
  double mv_kv = 20.0;                    ///< [kV] MV (slack side) nominal voltage, > lv_kv
  double lv_kv = 0.4;                     ///< [kV] LV nominal voltage, > 0
  double buildings_per_substation = 150;  ///< [buildings] most buildings per substation area, >= 1
  double max_feeder_length_m = 800;       ///< [m] longest street-cable path busbar → tap, > 0
  double slack_vm_pu = 1.0;               ///< [pu] voltage set point of each external grid
  double trafo_max_loading_frac = 0.9;    ///< [0..1] apparent loading at the area's peak hour
  double cable_max_loading_frac = 1.0;    ///< [0..1] cable current bound / ampacity (sizing)
  double max_cable_drop_frac = 0.05;      ///< [0..1] estimated LV cable voltage drop, busbar → load
  double tap_merge_m = 5.0;               ///< [m] taps closer than this on a street share a bus
  double min_line_length_m = 1.0;         ///< [m] shortest cable written (service cables too)
  int peak_year = 2018;                   ///< [year] reference year searched for the peak hour
  CableType main_cable{0.208, 0.080, 261.0, 0.270};     ///< street cable: NAYY 4x150 SE
  CableType service_cable{0.642, 0.083, 210.0, 0.142};  ///< service cable: NAYY 4x50 SE
  /// Standard MV/LV ratings, ascending: 250/400/630 kVA 20/0.4 kV are the pandapower standard
  /// types; 1000 kVA uses the EN 50588-1 Tier 1 loss limits (docs/models/energy.md).
  std::vector<TrafoType> trafo_types{{250.0, 6.0, 1.44, 0.8, 0.32},
                                     {400.0, 6.0, 1.425, 1.35, 0.3375},
                                     {630.0, 6.0, 1.206, 1.65, 0.2619},
                                     {1000.0, 6.0, 1.05, 0.77, 0.2}};
  double trafo_shift_deg = 150.0;  ///< [deg] vector-group shift: Dyn5, as the pandapower types
};

/// A generated distribution network for a city: one connected component per substation, each
/// fed by its own external grid at an MV bus behind one MV/LV transformer, so that components
/// can be solved independently (in parallel). Feeder = substation = component.
struct GeneratedNetwork {
  Network network;                              ///< the element tables and electrical model
  std::vector<std::int32_t> building_load_idx;  ///< per city building, its load row
  std::vector<std::int32_t> building_bus_idx;   ///< per city building, its bus (service end)
  std::vector<std::int32_t> bus_feeder_idx;     ///< per bus, its substation index, −1 for MV
  std::int32_t n_feeders = 0;                   ///< number of substations (= components)
  std::vector<std::int32_t> building_feeder_idx;  ///< per city building, its substation
  std::vector<double> building_peak_kw;  ///< [kW] per building, its own yearly peak demand
  std::vector<std::int32_t> feeder_trafo_idx;     ///< per substation, its transformer row
  std::vector<std::int32_t> feeder_ext_grid_idx;  ///< per substation, its external grid row
  std::vector<std::int32_t> feeder_mv_bus_idx;    ///< per substation, its MV (slack) bus
  std::vector<std::int32_t> feeder_lv_bus_idx;    ///< per substation, its LV busbar
  std::vector<double> feeder_peak_kw;       ///< [kW] coincident peak of the area's buildings
  std::vector<std::int32_t> feeder_peak_hour;  ///< [h] hour of peak_year (0..8759) of that peak
  std::vector<double> feeder_max_length_m;  ///< [m] longest street-cable path from the busbar
};

/// Generates a radial MV/LV network for `city` (docs/models/energy.md#generated-network):
/// buildings are grouped into substation areas (recursive bisection until an area has at most
/// buildings_per_substation buildings, fits the largest transformer and reaches every building
/// within max_feeder_length_m), LV cables follow the street segments from each substation, and
/// each building hangs on its nearest street point by a service cable. Each load row holds the
/// building's demand at its area's peak hour (load_w_per_m2 × floor area), so a power flow with
/// Network::default_injections() is the peak case. Deterministic.
/// Throws std::invalid_argument for bad options or a city without buildings or streets.
[[nodiscard]] GeneratedNetwork generate_network(const sim::City& city,
                                                const GeneratedNetworkOptions& options);

}  // namespace citytwin::energy
