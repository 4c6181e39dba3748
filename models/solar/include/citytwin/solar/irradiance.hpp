#pragma once

#include <span>
#include <string_view>

namespace citytwin::solar {

/// Solar constant used by pvlib.irradiance.get_extra_radiation [W/m^2].
inline constexpr double kSolarConstantWm2 = 1366.1;

/// Extraterrestrial normal irradiance for an integer or fractional day of year (1 = 1 January),
/// Spencer (1971) as pvlib's method='spencer': day angle b = 2 pi (day_of_year - 1) / 365 and
/// E = solar_constant (1.00011 + 0.034221 cos b + 0.00128 sin b + 0.000719 cos 2b +
/// 0.000077 sin 2b). See docs/models/solar.md#sky-models. Pure and thread-safe.
[[nodiscard]] double extra_radiation_doy(double day_of_year,
                                         double solar_constant_wm2 = kSolarConstantWm2);

/// Extraterrestrial normal irradiance [W/m^2] at Unix time `time_s` (UTC), pvlib
/// get_extra_radiation(times, solar_constant, method='spencer'): the integer UTC day of year
/// of `time_s` goes into extra_radiation_doy(). Pure and thread-safe; NaN gives NaN.
[[nodiscard]] double extra_radiation(double time_s, double solar_constant_wm2 = kSolarConstantWm2);

/// Array extra_radiation(): out_wm2[i] = extra_radiation(times_s[i]). Throws
/// std::invalid_argument when the lengths differ. OpenMP static loop.
void extra_radiation(std::span<const double> times_s, std::span<double> out_wm2,
                     double solar_constant_wm2 = kSolarConstantWm2);

/// Relative (not pressure-corrected) optical air mass, Kasten & Young (1989), pvlib
/// get_relative_airmass(zenith, model='kastenyoung1989'):
/// 1 / (cos z + 0.50572 (6.07995 + 90 - z)^-1.6364), z the apparent zenith [deg].
/// Returns NaN for z > 90 deg or NaN z (pvlib's convention; NaN airmass marks night in
/// perez_sky()). Pure and thread-safe.
[[nodiscard]] double relative_airmass(double apparent_zenith_deg);

/// Array relative_airmass(); throws std::invalid_argument when the lengths differ.
void relative_airmass(std::span<const double> apparent_zenith_deg, std::span<double> out);

/// Cosine of the angle of incidence of the sun on a plane, pvlib irradiance.aoi_projection:
/// cos(tilt) cos(zenith) + sin(tilt) sin(zenith) cos(solar_azimuth - surface_azimuth),
/// clipped to [-1, 1]. Tilt from horizontal, azimuths east of north, all in degrees. Negative
/// values mean the sun is behind the plane. Pure and thread-safe.
[[nodiscard]] double aoi_projection(double surface_tilt_deg, double surface_azimuth_deg,
                                    double solar_zenith_deg, double solar_azimuth_deg);

/// Angle of incidence [deg] in [0, 180] of the sun on a plane, pvlib irradiance.aoi:
/// acos(aoi_projection(...)). Pure and thread-safe; NaN in gives NaN out.
[[nodiscard]] double aoi(double surface_tilt_deg, double surface_azimuth_deg,
                         double solar_zenith_deg, double solar_azimuth_deg);

/// Array aoi(): each input has length n or 1 (a length-1 span is broadcast); `out_deg` has
/// length n. Throws std::invalid_argument on any other length. OpenMP static loop.
void aoi(std::span<const double> surface_tilt_deg, std::span<const double> surface_azimuth_deg,
         std::span<const double> solar_zenith_deg, std::span<const double> solar_azimuth_deg,
         std::span<double> out_deg);

/// The sky diffuse models of pvlib.irradiance.get_sky_diffuse.
enum class SkyModel {
  kIsotropic,  ///< "isotropic": Liu & Jordan (1963)
  kHayDavies,  ///< "haydavies": Hay & Davies (1980)
  kPerez,      ///< "perez": Perez et al. (1990), coefficients 'allsitescomposite1990'
};

/// Parses pvlib's model name ("isotropic", "haydavies", "perez"). Throws
/// std::invalid_argument naming `model` and the value received for any other name.
[[nodiscard]] SkyModel sky_model_from_name(std::string_view model);

/// Sky diffuse irradiance on a plane and its parts [W/m^2]; sky_diffuse_wm2 equals
/// isotropic_wm2 + circumsolar_wm2 + horizon_wm2 for every model.
struct SkyDiffuse {
  double sky_diffuse_wm2;  ///< [W/m^2] total sky diffuse in the plane
  double isotropic_wm2;    ///< [W/m^2] isotropic (background) part
  double circumsolar_wm2;  ///< [W/m^2] circumsolar part (0 for "isotropic")
  double horizon_wm2;      ///< [W/m^2] horizon band (Perez only; can be negative)
};

/// Isotropic sky diffuse, pvlib irradiance.isotropic: dhi (1 + cos tilt) / 2.
[[nodiscard]] SkyDiffuse isotropic_sky(double surface_tilt_deg, double dhi_wm2);

/// Hay & Davies (1980) sky diffuse, pvlib irradiance.haydavies: anisotropy index
/// ai = dni / dni_extra, rb = max(cos aoi, 0) / max(cos zenith, 0.01745); isotropic part
/// max(dhi (1 - ai) (1 + cos tilt) / 2, 0), circumsolar part max(dhi ai rb, 0).
[[nodiscard]] SkyDiffuse haydavies_sky(double surface_tilt_deg, double surface_azimuth_deg,
                                       double dhi_wm2, double dni_wm2, double dni_extra_wm2,
                                       double solar_zenith_deg, double solar_azimuth_deg);

/// Perez sky clearness bin index 0..7 (pvlib's bins: lower edges 0, 1.065, 1.23, 1.5, 1.95, 2.8,
/// 4.5, 6.2) of epsilon = ((dhi + dni) / dhi + kappa z^3) / (1 + kappa z^3), kappa = 1.041,
/// z the zenith in radians; -1 when epsilon is NaN or negative (dhi = dni = 0, or dni < 0).
[[nodiscard]] int perez_clearness_bin(double dhi_wm2, double dni_wm2, double solar_zenith_deg);

/// Perez et al. (1990) sky diffuse, pvlib irradiance.perez(model='allsitescomposite1990').
/// `airmass` is the relative airmass (pvlib default: relative_airmass(solar_zenith_deg));
/// NaN airmass (night) gives all zeros, as pvlib. Where epsilon is undefined (dhi = dni = 0
/// in daylight) the result is NaN, as pvlib. The total is clipped at 0 and all parts are 0
/// where the total is 0. See docs/models/solar.md#sky-models.
[[nodiscard]] SkyDiffuse perez_sky(double surface_tilt_deg, double surface_azimuth_deg,
                                   double dhi_wm2, double dni_wm2, double dni_extra_wm2,
                                   double solar_zenith_deg, double solar_azimuth_deg,
                                   double airmass);

/// Ground-reflected diffuse in the plane, pvlib irradiance.get_ground_diffuse:
/// ghi albedo (1 - cos tilt) / 2 [W/m^2].
[[nodiscard]] double ground_diffuse(double surface_tilt_deg, double ghi_wm2, double albedo_frac);

/// Plane-of-array irradiance and its components [W/m^2], pvlib get_total_irradiance with the
/// sky-diffuse parts of the chosen model.
struct PoaIrradiance {
  double poa_global_wm2;          ///< [W/m^2] direct + sky diffuse + ground diffuse
  double poa_direct_wm2;          ///< [W/m^2] max(dni cos aoi, 0)
  double poa_diffuse_wm2;         ///< [W/m^2] sky diffuse + ground diffuse
  double poa_sky_diffuse_wm2;     ///< [W/m^2] sky diffuse
  double poa_ground_diffuse_wm2;  ///< [W/m^2] ground-reflected diffuse
  double sky_isotropic_wm2;       ///< [W/m^2] isotropic part of the sky diffuse
  double sky_circumsolar_wm2;     ///< [W/m^2] circumsolar part of the sky diffuse
  double sky_horizon_wm2;         ///< [W/m^2] horizon part (Perez; can be negative)
};

/// Plane-of-array irradiance, pvlib.irradiance.get_total_irradiance(surface_tilt,
/// surface_azimuth, solar_zenith, solar_azimuth, dni, ghi, dhi, dni_extra, airmass, albedo,
/// model). Angles in degrees (azimuths east of north); pass the apparent zenith as
/// solar_zenith_deg (as pvlib's examples) and relative_airmass(apparent zenith) as `airmass`
/// (pvlib's default when airmass is None). `dni_extra_wm2` and `airmass` are used only by the
/// models that need them. Pure and thread-safe. See docs/models/solar.md#sky-models.
[[nodiscard]] PoaIrradiance poa_irradiance(double surface_tilt_deg, double surface_azimuth_deg,
                                           double solar_zenith_deg, double solar_azimuth_deg,
                                           double dni_wm2, double ghi_wm2, double dhi_wm2,
                                           double dni_extra_wm2, double airmass,
                                           double albedo_frac = 0.2,
                                           SkyModel model = SkyModel::kPerez);

/// Input columns of the array poa_irradiance(): each of length n, or 1 to broadcast one value.
struct PoaInputSpans {
  std::span<const double> surface_tilt_deg;     ///< [deg]
  std::span<const double> surface_azimuth_deg;  ///< [deg] east of north
  std::span<const double> solar_zenith_deg;     ///< [deg] apparent zenith
  std::span<const double> solar_azimuth_deg;    ///< [deg] east of north
  std::span<const double> dni_wm2;              ///< [W/m^2]
  std::span<const double> ghi_wm2;              ///< [W/m^2]
  std::span<const double> dhi_wm2;              ///< [W/m^2]
  std::span<const double> dni_extra_wm2;        ///< [W/m^2]
  std::span<const double> airmass;              ///< [-] relative airmass
  std::span<const double> albedo_frac;          ///< [0..1]
};

/// Output columns of the array poa_irradiance(): each of length n, or empty to skip it.
struct PoaOutputSpans {
  std::span<double> poa_global_wm2;          ///< [W/m^2] (n)
  std::span<double> poa_direct_wm2;          ///< [W/m^2] (n)
  std::span<double> poa_diffuse_wm2;         ///< [W/m^2] (n)
  std::span<double> poa_sky_diffuse_wm2;     ///< [W/m^2] (n)
  std::span<double> poa_ground_diffuse_wm2;  ///< [W/m^2] (n)
  std::span<double> sky_isotropic_wm2;       ///< [W/m^2] (n)
  std::span<double> sky_circumsolar_wm2;     ///< [W/m^2] (n)
  std::span<double> sky_horizon_wm2;         ///< [W/m^2] (n)
};

/// Array poa_irradiance() over n elements, n being the longest input; element i equals the
/// scalar function of the i-th (or broadcast) inputs. Throws std::invalid_argument naming the
/// column when an input length is neither n nor 1 or an output is neither n nor 0 long.
/// OpenMP static loop; thread-safe when outputs do not alias.
void poa_irradiance(const PoaInputSpans& in, const PoaOutputSpans& out,
                    SkyModel model = SkyModel::kPerez);

}  // namespace citytwin::solar
