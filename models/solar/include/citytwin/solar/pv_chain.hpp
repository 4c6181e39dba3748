#pragma once

#include <span>

namespace citytwin::solar {

/// Incidence angle modifier of a flat glass cover, the physical (Fresnel + Bouguer) model of
/// De Soto et al. (2006) / Duffie & Beckman, pvlib.iam.physical(aoi, n, K, L) without an
/// anti-reflective coating: the average of the s- and p-polarised transmittance through one
/// air-glass interface times the absorption exp(-K L / cos theta_r), divided by the same at
/// normal incidence. Returns 1 at aoi 0, 0 for aoi >= 90 deg, NaN for NaN aoi.
/// `refractive_index` is pvlib's n, `glass_extinction_per_m` its K [1/m] and
/// `glass_thickness_m` its L [m]. Pure and thread-safe. See docs/models/solar.md#pv-chain.
[[nodiscard]] double iam_physical(double aoi_deg, double refractive_index = 1.526,
                                  double glass_extinction_per_m = 4.0,
                                  double glass_thickness_m = 0.002);

/// Array iam_physical(); throws std::invalid_argument when the lengths differ.
void iam_physical(std::span<const double> aoi_deg, std::span<double> out_frac,
                  double refractive_index = 1.526, double glass_extinction_per_m = 4.0,
                  double glass_thickness_m = 0.002);

/// Parameters of the Sandia (King et al. 2004) module temperature model.
struct SapmTemperatureParams {
  double a;          ///< [-] ln of the module-air difference per irradiance at zero wind
  double b_s_per_m;  ///< [s/m] wind-speed coefficient
  double delta_t_c;  ///< [degC] cell minus back-of-module difference at irrad_ref
};

/// King et al. (2004) Table 1 parameters, as pvlib TEMPERATURE_MODEL_PARAMETERS['sapm'].
inline constexpr SapmTemperatureParams kSapmOpenRackGlassGlass{-3.47, -0.0594, 3.0};
inline constexpr SapmTemperatureParams kSapmCloseMountGlassGlass{-2.98, -0.0471, 1.0};
inline constexpr SapmTemperatureParams kSapmOpenRackGlassPolymer{-3.56, -0.0750, 3.0};
inline constexpr SapmTemperatureParams kSapmInsulatedBackGlassPolymer{-2.81, -0.0455, 0.0};

/// Cell temperature [degC] by the Sandia Array Performance Model, pvlib
/// temperature.sapm_cell(poa_global, temp_air, wind_speed, a, b, deltaT, irrad_ref):
/// T_module = E exp(a + b ws) + T_air, T_cell = T_module + E / E0 deltaT. Night (E = 0) gives
/// the air temperature. Pure and thread-safe; NaN propagates.
[[nodiscard]] double sapm_cell_temperature(double poa_global_wm2, double temp_air_c,
                                           double wind_speed_mps, double a, double b_s_per_m,
                                           double delta_t_c, double irrad_ref_wm2 = 1000.0);

/// Array sapm_cell_temperature(): inputs of length n or 1 (broadcast), output of length n.
/// Throws std::invalid_argument on other lengths.
void sapm_cell_temperature(std::span<const double> poa_global_wm2,
                           std::span<const double> temp_air_c,
                           std::span<const double> wind_speed_mps, std::span<double> out_c,
                           double a, double b_s_per_m, double delta_t_c,
                           double irrad_ref_wm2 = 1000.0);

/// Cell temperature [degC] by Faiman (2008), pvlib temperature.faiman(poa_global, temp_air,
/// wind_speed, u0, u1): T_air + E / (u0 + u1 ws). `u0_w_m2k` [W/(m^2 K)] and `u1_w_s_m3k`
/// [W s/(m^3 K)]. Pure and thread-safe; NaN propagates.
[[nodiscard]] double faiman_cell_temperature(double poa_global_wm2, double temp_air_c,
                                             double wind_speed_mps, double u0_w_m2k = 25.0,
                                             double u1_w_s_m3k = 6.84);

/// Array faiman_cell_temperature(): inputs of length n or 1 (broadcast), output of length n.
/// Throws std::invalid_argument on other lengths.
void faiman_cell_temperature(std::span<const double> poa_global_wm2,
                             std::span<const double> temp_air_c,
                             std::span<const double> wind_speed_mps, std::span<double> out_c,
                             double u0_w_m2k = 25.0, double u1_w_s_m3k = 6.84);

/// DC power [W] by the PVWatts v5 model (Dobos 2014), pvlib pvsystem.pvwatts_dc(
/// effective_irradiance, temp_cell, pdc0, gamma_pdc, temp_ref):
/// E / 1000 pdc0 (1 + gamma (T_cell - T_ref)). `effective_irradiance_wm2` is the irradiance
/// transmitted to the cells (after the IAM); `gamma_pdc_per_c` in 1/degC (-0.0047 for
/// -0.47 %/degC). No losses and no clipping. Pure and thread-safe; NaN propagates.
[[nodiscard]] double pvwatts_dc(double effective_irradiance_wm2, double temp_cell_c, double pdc0_w,
                                double gamma_pdc_per_c, double temp_ref_c = 25.0);

/// Array pvwatts_dc(): inputs of length n or 1 (broadcast), output of length n.
/// Throws std::invalid_argument on other lengths.
void pvwatts_dc(std::span<const double> effective_irradiance_wm2,
                std::span<const double> temp_cell_c, std::span<double> out_w, double pdc0_w,
                double gamma_pdc_per_c, double temp_ref_c = 25.0);

/// AC power [W] by the PVWatts v5 inverter model (Dobos 2014), pvlib inverter.pvwatts(pdc,
/// pdc0, eta_inv_nom, eta_inv_ref): zeta = pdc / pdc0, eta = eta_nom / eta_ref
/// (-0.0162 zeta - 0.0059 / zeta + 0.9858), pac = min(eta pdc, eta_nom pdc0), never below 0
/// (so 0 for pdc <= 0). `pdc0_w` is the inverter DC input limit (AC rating / eta_inv_nom).
/// Pure and thread-safe; NaN pdc gives NaN.
[[nodiscard]] double pvwatts_inverter(double pdc_w, double pdc0_w, double eta_inv_nom_frac = 0.96,
                                      double eta_inv_ref_frac = 0.9637);

/// Array pvwatts_inverter(); throws std::invalid_argument when the lengths differ.
void pvwatts_inverter(std::span<const double> pdc_w, std::span<double> out_w, double pdc0_w,
                      double eta_inv_nom_frac = 0.96, double eta_inv_ref_frac = 0.9637);

}  // namespace citytwin::solar
