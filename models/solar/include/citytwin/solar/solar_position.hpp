#pragma once

#include <span>

namespace citytwin::solar {

/// Apparent and true topocentric sun position, in pvlib's conventions (pvlib.solarposition
/// .get_position, method 'nrel_numpy'). Angles in degrees; azimuth east of north in [0, 360).
/// See docs/models/solar.md#sun-position.
struct SolarPosition {
  double apparent_zenith_deg;     ///< [deg] topocentric zenith with atmospheric refraction
  double zenith_deg;              ///< [deg] topocentric zenith without refraction
  double apparent_elevation_deg;  ///< [deg] 90 - apparent_zenith_deg
  double elevation_deg;           ///< [deg] 90 - zenith_deg
  double azimuth_deg;             ///< [deg] topocentric azimuth, east of north, [0, 360)
  double equation_of_time_min;    ///< [min] apparent minus mean solar time, in [-20, 20]
};

/// Every intermediate quantity of the NREL Solar Position Algorithm (Reda & Andreas 2004,
/// NREL/TP-560-34302), named as in the paper, so that each step can be checked against the
/// paper's worked example. See docs/models/solar.md#sun-position.
struct SpaDetail {
  double julian_day;                       ///< [d] JD (UT)
  double julian_ephemeris_day;             ///< [d] JDE = JD + delta_t / 86400
  double heliocentric_longitude_deg;       ///< [deg] L, earth heliocentric longitude, [0, 360)
  double heliocentric_latitude_deg;        ///< [deg] B, earth heliocentric latitude
  double earth_radius_au;                  ///< [AU] R, earth-sun distance
  double geocentric_longitude_deg;         ///< [deg] Theta = L + 180, [0, 360)
  double geocentric_latitude_deg;          ///< [deg] beta = -B
  double nutation_longitude_deg;           ///< [deg] delta psi
  double nutation_obliquity_deg;           ///< [deg] delta epsilon
  double true_obliquity_deg;               ///< [deg] epsilon, true obliquity of the ecliptic
  double aberration_deg;                   ///< [deg] delta tau
  double apparent_sun_longitude_deg;       ///< [deg] lambda
  double apparent_sidereal_time_deg;       ///< [deg] nu, at Greenwich
  double right_ascension_deg;              ///< [deg] alpha, geocentric, [0, 360)
  double declination_deg;                  ///< [deg] delta, geocentric
  double hour_angle_deg;                   ///< [deg] H, observer local hour angle, [0, 360)
  double topocentric_right_ascension_deg;  ///< [deg] alpha'
  double topocentric_declination_deg;      ///< [deg] delta'
  double topocentric_hour_angle_deg;       ///< [deg] H'
  double refraction_correction_deg;        ///< [deg] delta e (0 when the sun is far below)
  SolarPosition position;                  ///< the final angles and equation of time
};

/// Runs the full NREL SPA for one instant and one observer and returns every intermediate
/// value. `time_s` is Unix time (seconds since 1970-01-01 00:00:00 UTC); latitude north and
/// longitude east are in degrees; `altitude_m` above sea level; `pressure_pa` and
/// `temperature_c` are the local annual means used by the refraction correction; `delta_t_s`
/// is TT - UT; `atmos_refract_deg` is the refraction at sunrise/sunset (the correction is
/// applied only while the true elevation is above -(0.26667 + atmos_refract_deg)).
/// Valid for years -2000..6000. Pure and thread-safe. NaN inputs give NaN outputs.
[[nodiscard]] SpaDetail spa_detail(double time_s, double latitude_deg, double longitude_deg,
                                   double altitude_m = 0.0, double pressure_pa = 101325.0,
                                   double temperature_c = 12.0, double delta_t_s = 67.0,
                                   double atmos_refract_deg = 0.5667);

/// Sun position for one instant, pvlib.solarposition.get_position(times, latitude, longitude,
/// altitude, pressure, temperature, delta_t, atmos_refract) with method 'nrel_numpy'.
/// Arguments as in spa_detail(). Pure and thread-safe; NaN inputs give NaN outputs.
[[nodiscard]] SolarPosition solar_position(double time_s, double latitude_deg, double longitude_deg,
                                           double altitude_m = 0.0, double pressure_pa = 101325.0,
                                           double temperature_c = 12.0, double delta_t_s = 67.0,
                                           double atmos_refract_deg = 0.5667);

/// Output columns of the array solar_position(); each must have the length of `times_s`.
struct SolarPositionSpans {
  std::span<double> apparent_zenith_deg;     ///< [deg] (n)
  std::span<double> zenith_deg;              ///< [deg] (n)
  std::span<double> apparent_elevation_deg;  ///< [deg] (n)
  std::span<double> elevation_deg;           ///< [deg] (n)
  std::span<double> azimuth_deg;             ///< [deg] (n), east of north
  std::span<double> equation_of_time_min;    ///< [min] (n)
};

/// Sun position for n instants `times_s` (Unix seconds, UTC) at one observer, written into
/// `out`; element i equals the scalar solar_position(times_s[i], ...) bit for bit. Runs an
/// OpenMP static loop; thread-safe when the output spans do not alias each other or the input.
/// Throws std::invalid_argument when an output span's length differs from times_s.size().
void solar_position(std::span<const double> times_s, double latitude_deg, double longitude_deg,
                    const SolarPositionSpans& out, double altitude_m = 0.0,
                    double pressure_pa = 101325.0, double temperature_c = 12.0,
                    double delta_t_s = 67.0, double atmos_refract_deg = 0.5667);

/// Julian day (UT) of a Unix time in seconds: time_s / 86400 + 2440587.5.
[[nodiscard]] double julian_day(double time_s);

}  // namespace citytwin::solar
