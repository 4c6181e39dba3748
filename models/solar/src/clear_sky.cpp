#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <stdexcept>
#include <string>

#include <citytwin/solar/clear_sky.hpp>
#include <citytwin/solar/irradiance.hpp>
#include <citytwin/solar/solar_position.hpp>

#include "readers/weather_text.hpp"

// Ineichen-Perez and Haurwitz clear-sky models and clear-sky weather series; equations in
// docs/models/solar.md#clear-sky.
namespace citytwin::solar {
namespace {

constexpr double kRadPerDeg = std::numbers::pi / 180.0;
constexpr double kStandardPressurePa = 101325.0;

}  // namespace

double altitude_to_pressure_pa(double altitude_m) {
  return 100.0 * std::pow((44331.514 - altitude_m) / 11880.516, 1.0 / 0.1902632);
}

double absolute_airmass(double airmass_relative, double pressure_pa) {
  return airmass_relative * pressure_pa / kStandardPressurePa;
}

ClearSkyIrradiance ineichen_clear_sky(double apparent_zenith_deg, double airmass_absolute,
                                      double linke_turbidity, double altitude_m,
                                      double dni_extra_wm2) {
  // night (NaN airmass) gives zeros, as pvlib's fmax(NaN, 0)
  if (std::isnan(airmass_absolute)) return {0.0, 0.0, 0.0};
  const double cos_zenith = std::max(std::cos(apparent_zenith_deg * kRadPerDeg), 0.0);
  const double tl = linke_turbidity;
  // altitude corrections
  const double fh1 = std::exp(-altitude_m / 8000.0);
  const double fh2 = std::exp(-altitude_m / 1250.0);
  const double cg1 = 5.09e-05 * altitude_m + 0.868;
  const double cg2 = 3.92e-05 * altitude_m + 0.0387;
  // global horizontal
  const double ghi_wm2 = cg1 * dni_extra_wm2 * cos_zenith *
                         std::exp(-cg2 * airmass_absolute * (fh1 + fh2 * (tl - 1.0)));
  // beam: the smaller of the normal beam model and the empirical correction
  const double b = 0.664 + 0.163 / fh1;
  const double bnci_wm2 = dni_extra_wm2 * b * std::exp(-0.09 * airmass_absolute * (tl - 1.0));
  const double correction = (1.0 - (0.1 - 0.2 * std::exp(-tl)) / (0.1 + 0.882 / fh1)) / cos_zenith;
  const double bnci_2_wm2 = ghi_wm2 * std::min(std::max(correction, 0.0), 1e20);
  const double dni_wm2 = std::min(bnci_wm2, bnci_2_wm2);
  return {ghi_wm2, dni_wm2, ghi_wm2 - dni_wm2 * cos_zenith};
}

double haurwitz_ghi(double apparent_zenith_deg) {
  const double cos_zenith = std::cos(apparent_zenith_deg * kRadPerDeg);
  if (!(cos_zenith > 0.0)) return 0.0;
  return 1098.0 * cos_zenith * std::exp(-0.059 / cos_zenith);
}

ClearSkyIrradiance clear_sky_at(double time_s, double latitude_deg, double longitude_deg,
                                double altitude_m, double linke_turbidity) {
  // sun, extraterrestrial irradiance and airmass as pvlib's Location.get_clearsky
  const double pressure_pa = altitude_to_pressure_pa(altitude_m);
  const SolarPosition sun =
      solar_position(time_s, latitude_deg, longitude_deg, altitude_m, pressure_pa);
  const double airmass = absolute_airmass(relative_airmass(sun.apparent_zenith_deg), pressure_pa);
  return ineichen_clear_sky(sun.apparent_zenith_deg, airmass, linke_turbidity, altitude_m,
                            extra_radiation(time_s));
}

WeatherSeries clear_sky_series(std::int64_t start_utc_s, std::int64_t end_utc_s,
                               std::int64_t interval_s, double latitude_deg, double longitude_deg,
                               double altitude_m, const ClearSkySeriesOptions& options) {
  if (interval_s <= 0) {
    throw std::invalid_argument("clear_sky_series: interval_s must be > 0 (got " +
                                std::to_string(interval_s) + ")");
  }
  if (end_utc_s <= start_utc_s || (end_utc_s - start_utc_s) % interval_s != 0) {
    throw std::invalid_argument(
        "clear_sky_series: end_utc_s - start_utc_s must be a positive multiple of interval_s "
        "(got start_utc_s = " +
        std::to_string(start_utc_s) + ", end_utc_s = " + std::to_string(end_utc_s) +
        ", interval_s = " + std::to_string(interval_s) + ")");
  }
  // metadata
  WeatherSeries series;
  series.source_format = WeatherFormat::kClearSky;
  series.data_source = "clear sky";
  series.latitude_deg = latitude_deg;
  series.longitude_deg = longitude_deg;
  series.elevation_m = altitude_m;
  series.utc_offset_h = options.utc_offset_h;
  series.applied_utc_offset_h = options.utc_offset_h;
  series.interval_s = interval_s;
  // one row per interval, the sun at mid-interval
  const auto n = static_cast<std::size_t>((end_utc_s - start_utc_s) / interval_s);
  const double pressure_pa = altitude_to_pressure_pa(altitude_m);
  const std::int64_t offset_s = detail::offset_s(options.utc_offset_h);
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t end_s = start_utc_s + static_cast<std::int64_t>(i + 1) * interval_s;
    const double mid_s = static_cast<double>(end_s) - 0.5 * static_cast<double>(interval_s);
    const ClearSkyIrradiance sky =
        clear_sky_at(mid_s, latitude_deg, longitude_deg, altitude_m, options.linke_turbidity);
    // the calendar year of the interval start on the recorded clock
    const std::int64_t local_start_s = end_s - interval_s + offset_s;
    const std::int64_t day_index =
        local_start_s >= 0 ? local_start_s / 86400 : -((-local_start_s + 86399) / 86400);
    const auto year = static_cast<std::int32_t>(detail::civil_from_days(day_index).year);
    series.time_utc_s.push_back(end_s);
    series.year.push_back(year);
    series.ghi_wm2.push_back(sky.ghi_wm2);
    series.dni_wm2.push_back(sky.dni_wm2);
    series.dhi_wm2.push_back(sky.dhi_wm2);
    series.temp_air_c.push_back(options.temp_air_c);
    series.wind_speed_mps.push_back(options.wind_speed_mps);
    series.albedo_frac.push_back(options.albedo_frac);
    series.pressure_pa.push_back(pressure_pa);
  }
  if (std::isnan(options.albedo_frac)) series.missing.albedo = static_cast<std::int64_t>(n);
  return series;
}

}  // namespace citytwin::solar
