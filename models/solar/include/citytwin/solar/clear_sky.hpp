#pragma once

#include <cstdint>
#include <limits>

#include <citytwin/solar/readers/weather.hpp>

namespace citytwin::solar {

/// Clear-sky irradiance components [W/m^2].
struct ClearSkyIrradiance {
  double ghi_wm2;  ///< [W/m^2] global horizontal
  double dni_wm2;  ///< [W/m^2] direct normal
  double dhi_wm2;  ///< [W/m^2] diffuse horizontal, ghi - dni cos(zenith)
};

/// Standard atmospheric pressure at an altitude, pvlib.atmosphere.alt2pres:
/// 100 ((44331.514 - altitude_m) / 11880.516)^(1 / 0.1902632) [Pa]. Pure and thread-safe.
[[nodiscard]] double altitude_to_pressure_pa(double altitude_m);

/// Absolute (pressure-corrected) airmass, pvlib.atmosphere.get_absolute_airmass:
/// airmass_relative * pressure_pa / 101325. NaN stays NaN. Pure and thread-safe.
[[nodiscard]] double absolute_airmass(double airmass_relative, double pressure_pa = 101325.0);

/// Ineichen & Perez (2002) clear sky, pvlib.clearsky.ineichen(apparent_zenith,
/// airmass_absolute, linke_turbidity, altitude, dni_extra, perez_enhancement=False):
/// fh1 = exp(-h / 8000), fh2 = exp(-h / 1250), cg1 = 5.09e-5 h + 0.868,
/// cg2 = 3.92e-5 h + 0.0387, GHI = cg1 I0 cos z exp(-cg2 AM (fh1 + fh2 (TL - 1))),
/// DNI = min(b I0 exp(-0.09 AM (TL - 1)), GHI (1 - (0.1 - 0.2 exp(-TL)) / (0.1 + 0.882 / fh1))
/// / cos z) with b = 0.664 + 0.163 / fh1, DHI = GHI - DNI cos z; h = altitude_m, I0 =
/// dni_extra_wm2, z = apparent zenith, cos z clipped at 0. A NaN airmass (sun below the
/// horizon) gives zeros, as pvlib. See docs/models/solar.md#clear-sky. Pure and thread-safe.
[[nodiscard]] ClearSkyIrradiance ineichen_clear_sky(double apparent_zenith_deg,
                                                    double airmass_absolute,
                                                    double linke_turbidity = 3.0,
                                                    double altitude_m = 0.0,
                                                    double dni_extra_wm2 = 1364.0);

/// Haurwitz (1945) clear-sky GHI, pvlib.clearsky.haurwitz:
/// 1098 cos z exp(-0.059 / cos z) [W/m^2] for cos z > 0, else 0; z = apparent zenith [deg].
/// A cross-check of ineichen_clear_sky(). Pure and thread-safe.
[[nodiscard]] double haurwitz_ghi(double apparent_zenith_deg);

/// Ineichen clear sky at one instant and place, as pvlib Location(latitude, longitude,
/// altitude=altitude_m).get_clearsky(times, model='ineichen', linke_turbidity=...): the sun
/// from solar_position() at pressure altitude_to_pressure_pa(altitude_m), I0 from
/// extra_radiation(), airmass from relative_airmass() of the apparent zenith made absolute at
/// that pressure. `time_s` is Unix time (UTC). Pure and thread-safe.
[[nodiscard]] ClearSkyIrradiance clear_sky_at(double time_s, double latitude_deg,
                                              double longitude_deg, double altitude_m = 0.0,
                                              double linke_turbidity = 3.0);

/// Documented defaults of the weather a clear-sky series carries besides irradiance.
struct ClearSkySeriesOptions {
  double linke_turbidity = 3.0;  ///< [-] Linke turbidity TL (3 = a clean rural sky)
  double temp_air_c = 20.0;      ///< [degC] constant air temperature
  double wind_speed_mps = 1.0;   ///< [m/s] constant wind speed
  double albedo_frac = std::numeric_limits<double>::quiet_NaN();  ///< [0..1] NaN: absent
  double utc_offset_h = 0.0;  ///< [h] clock recorded as utc_offset_h (and for `year`)
};

/// A WeatherSeries of Ineichen clear sky for the intervals ending at start_utc_s + interval_s,
/// start_utc_s + 2 interval_s, ..., end_utc_s (Unix seconds), each row evaluated at its
/// mid-interval instant; pressure from altitude_to_pressure_pa(altitude_m); source_format
/// kClearSky. Throws std::invalid_argument unless interval_s > 0 and end_utc_s - start_utc_s
/// is a positive multiple of interval_s. Thread-safe.
[[nodiscard]] WeatherSeries clear_sky_series(std::int64_t start_utc_s, std::int64_t end_utc_s,
                                             std::int64_t interval_s, double latitude_deg,
                                             double longitude_deg, double altitude_m = 0.0,
                                             const ClearSkySeriesOptions& options = {});

}  // namespace citytwin::solar
