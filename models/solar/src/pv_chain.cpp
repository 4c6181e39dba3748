#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <stdexcept>
#include <string>

#include <citytwin/solar/pv_chain.hpp>

// Glass cover, cell temperature, DC and inverter models; equations in
// docs/models/solar.md#pv-chain.
namespace citytwin::solar {
namespace {

constexpr double kRadPerDeg = std::numbers::pi / 180.0;

/// Element i of a column of length n, or its only element when it has length 1.
double at(std::span<const double> column, std::size_t i) {
  return column.size() == 1 ? column[0] : column[i];
}

/// Throws unless `size` is n (or 1 when broadcasting is allowed).
void check_length(std::size_t size, std::size_t n, bool allow_one, const char* function,
                  const char* name) {
  if (size == n || (allow_one && size == 1)) return;
  throw std::invalid_argument(std::string(function) + ": " + name + " has " + std::to_string(size) +
                              " elements, expected " + std::to_string(n) +
                              (allow_one ? " or 1" : ""));
}

}  // namespace

double iam_physical(double aoi_deg, double refractive_index, double glass_extinction_per_m,
                    double glass_thickness_m) {
  // incidence angle, light from behind the plane treated as grazing
  const double n1 = 1.0;
  const double n2 = refractive_index;
  const double cos_incident = std::max(std::cos(aoi_deg * kRadPerDeg), 0.0);
  if (std::isnan(cos_incident)) return cos_incident;
  const double sin_incident = std::sqrt(1.0 - cos_incident * cos_incident);

  // refraction angle in the glass (snell)
  const double sin_refracted = n1 / n2 * sin_incident;
  const double cos_refracted = std::sqrt(1.0 - sin_refracted * sin_refracted);

  // fresnel reflectance of the s- and p-polarised and of normal light
  const double rho_s = std::pow(
      (n1 * cos_incident - n2 * cos_refracted) / (n1 * cos_incident + n2 * cos_refracted), 2);
  const double rho_p = std::pow(
      (n1 * cos_refracted - n2 * cos_incident) / (n1 * cos_refracted + n2 * cos_incident), 2);
  const double rho_0 = std::pow((n1 - n2) / (n1 + n2), 2);

  // transmittance with absorption along the refracted path, relative to normal incidence
  const double kl = glass_extinction_per_m * glass_thickness_m;
  const double absorption = std::exp(-kl / cos_refracted);
  const double tau = 0.5 * ((1.0 - rho_s) + (1.0 - rho_p)) * absorption;
  const double tau_0 = (1.0 - rho_0) * std::exp(-kl);
  const double iam = tau / tau_0;

  // no light enters from behind when the glass does not refract (pvlib's n = 1 guard)
  if (aoi_deg >= 90.0) return 0.0;
  return iam;
}

void iam_physical(std::span<const double> aoi_deg, std::span<double> out_frac,
                  double refractive_index, double glass_extinction_per_m,
                  double glass_thickness_m) {
  check_length(out_frac.size(), aoi_deg.size(), false, "iam_physical", "out_frac");
  const auto n = static_cast<std::int64_t>(aoi_deg.size());
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < n; ++i) {
    const auto k = static_cast<std::size_t>(i);
    out_frac[k] =
        iam_physical(aoi_deg[k], refractive_index, glass_extinction_per_m, glass_thickness_m);
  }
}

double sapm_cell_temperature(double poa_global_wm2, double temp_air_c, double wind_speed_mps,
                             double a, double b_s_per_m, double delta_t_c, double irrad_ref_wm2) {
  // back-of-module temperature, then the conduction step to the cell
  const double module_c = poa_global_wm2 * std::exp(a + b_s_per_m * wind_speed_mps) + temp_air_c;
  return module_c + poa_global_wm2 / irrad_ref_wm2 * delta_t_c;
}

void sapm_cell_temperature(std::span<const double> poa_global_wm2,
                           std::span<const double> temp_air_c,
                           std::span<const double> wind_speed_mps, std::span<double> out_c,
                           double a, double b_s_per_m, double delta_t_c, double irrad_ref_wm2) {
  constexpr const char* kFn = "sapm_cell_temperature";
  check_length(poa_global_wm2.size(), out_c.size(), true, kFn, "poa_global_wm2");
  check_length(temp_air_c.size(), out_c.size(), true, kFn, "temp_air_c");
  check_length(wind_speed_mps.size(), out_c.size(), true, kFn, "wind_speed_mps");
  const auto n = static_cast<std::int64_t>(out_c.size());
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < n; ++i) {
    const auto k = static_cast<std::size_t>(i);
    out_c[k] = sapm_cell_temperature(at(poa_global_wm2, k), at(temp_air_c, k),
                                     at(wind_speed_mps, k), a, b_s_per_m, delta_t_c, irrad_ref_wm2);
  }
}

double faiman_cell_temperature(double poa_global_wm2, double temp_air_c, double wind_speed_mps,
                               double u0_w_m2k, double u1_w_s_m3k) {
  // steady-state balance of absorbed irradiance and wind-dependent heat loss
  return temp_air_c + poa_global_wm2 / (u0_w_m2k + u1_w_s_m3k * wind_speed_mps);
}

void faiman_cell_temperature(std::span<const double> poa_global_wm2,
                             std::span<const double> temp_air_c,
                             std::span<const double> wind_speed_mps, std::span<double> out_c,
                             double u0_w_m2k, double u1_w_s_m3k) {
  constexpr const char* kFn = "faiman_cell_temperature";
  check_length(poa_global_wm2.size(), out_c.size(), true, kFn, "poa_global_wm2");
  check_length(temp_air_c.size(), out_c.size(), true, kFn, "temp_air_c");
  check_length(wind_speed_mps.size(), out_c.size(), true, kFn, "wind_speed_mps");
  const auto n = static_cast<std::int64_t>(out_c.size());
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < n; ++i) {
    const auto k = static_cast<std::size_t>(i);
    out_c[k] = faiman_cell_temperature(at(poa_global_wm2, k), at(temp_air_c, k),
                                       at(wind_speed_mps, k), u0_w_m2k, u1_w_s_m3k);
  }
}

double pvwatts_dc(double effective_irradiance_wm2, double temp_cell_c, double pdc0_w,
                  double gamma_pdc_per_c, double temp_ref_c) {
  // linear in irradiance, linear temperature derating
  return effective_irradiance_wm2 * 0.001 * pdc0_w *
         (1.0 + gamma_pdc_per_c * (temp_cell_c - temp_ref_c));
}

void pvwatts_dc(std::span<const double> effective_irradiance_wm2,
                std::span<const double> temp_cell_c, std::span<double> out_w, double pdc0_w,
                double gamma_pdc_per_c, double temp_ref_c) {
  constexpr const char* kFn = "pvwatts_dc";
  check_length(effective_irradiance_wm2.size(), out_w.size(), true, kFn,
               "effective_irradiance_wm2");
  check_length(temp_cell_c.size(), out_w.size(), true, kFn, "temp_cell_c");
  const auto n = static_cast<std::int64_t>(out_w.size());
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < n; ++i) {
    const auto k = static_cast<std::size_t>(i);
    out_w[k] = pvwatts_dc(at(effective_irradiance_wm2, k), at(temp_cell_c, k), pdc0_w,
                          gamma_pdc_per_c, temp_ref_c);
  }
}

double pvwatts_inverter(double pdc_w, double pdc0_w, double eta_inv_nom_frac,
                        double eta_inv_ref_frac) {
  // no input, no output (pvlib guards the division at pdc = 0); NaN stays NaN
  if (pdc_w == 0.0 || std::isnan(pdc_w)) return pdc_w == 0.0 ? 0.0 : pdc_w;

  // part-load efficiency curve of the normalised dc input
  const double pac0_w = eta_inv_nom_frac * pdc0_w;
  const double zeta = pdc_w / pdc0_w;
  const double eta_frac =
      eta_inv_nom_frac / eta_inv_ref_frac * (-0.0162 * zeta - 0.0059 / zeta + 0.9858);

  // clip at the ac rating and never below zero (pvlib GH 541)
  return std::max(0.0, std::min(pac0_w, eta_frac * pdc_w));
}

void pvwatts_inverter(std::span<const double> pdc_w, std::span<double> out_w, double pdc0_w,
                      double eta_inv_nom_frac, double eta_inv_ref_frac) {
  check_length(out_w.size(), pdc_w.size(), false, "pvwatts_inverter", "out_w");
  const auto n = static_cast<std::int64_t>(pdc_w.size());
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < n; ++i) {
    const auto k = static_cast<std::size_t>(i);
    out_w[k] = pvwatts_inverter(pdc_w[k], pdc0_w, eta_inv_nom_frac, eta_inv_ref_frac);
  }
}

}  // namespace citytwin::solar
