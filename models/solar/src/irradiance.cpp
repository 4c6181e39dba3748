#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <string>

#include <citytwin/solar/irradiance.hpp>

// Extraterrestrial irradiance, airmass, angle of incidence and the sky diffuse models;
// equations in docs/models/solar.md#sky-models.
namespace citytwin::solar {
namespace {

constexpr double kRadPerDeg = std::numbers::pi / 180.0;
constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

double cosd(double angle_deg) { return std::cos(angle_deg * kRadPerDeg); }
double sind(double angle_deg) { return std::sin(angle_deg * kRadPerDeg); }

/// Perez (1990) 'allsitescomposite1990' coefficients per clearness bin: f11, f12, f13 of the
/// circumsolar brightening F1 and f21, f22, f23 of the horizon brightening F2.
struct PerezCoefficients {
  double f11, f12, f13, f21, f22, f23;
};
constexpr std::array<PerezCoefficients, 8> kPerezAllSites1990{{
    {-0.008, 0.588, -0.062, -0.060, 0.072, -0.022},
    {0.130, 0.683, -0.151, -0.019, 0.066, -0.029},
    {0.330, 0.487, -0.221, 0.055, -0.064, -0.026},
    {0.568, 0.187, -0.295, 0.109, -0.152, -0.014},
    {0.873, -0.392, -0.362, 0.226, -0.462, 0.001},
    {1.132, -1.237, -0.412, 0.288, -0.823, 0.056},
    {1.060, -1.600, -0.359, 0.264, -1.127, 0.131},
    {0.678, -0.327, -0.250, 0.156, -1.377, 0.251},
}};

/// Lower edges of the eight Perez clearness bins (pvlib's np.digitize edges).
constexpr std::array<double, 8> kPerezEpsilonEdges{0.0, 1.065, 1.23, 1.5, 1.95, 2.8, 4.5, 6.2};

/// Element i of a column of length n, or its only element when it has length 1.
double at(std::span<const double> column, std::size_t i) {
  return column.size() == 1 ? column[0] : column[i];
}

/// Throws unless `column` has length n (or 1 when broadcasting is allowed, or 0 when the
/// column is optional).
void check_length(std::size_t size, std::size_t n, bool allow_one, bool allow_empty,
                  const char* function, const char* name) {
  if (size == n || (allow_one && size == 1) || (allow_empty && size == 0)) return;
  throw std::invalid_argument(std::string(function) + ": " + name + " has " + std::to_string(size) +
                              " elements, expected " + std::to_string(n) +
                              (allow_one ? " or 1" : "") + (allow_empty ? " or 0" : ""));
}

/// Stores `value` at i unless the optional output column is empty.
void store(std::span<double> column, std::size_t i, double value) {
  if (!column.empty()) column[i] = value;
}

}  // namespace

double extra_radiation_doy(double day_of_year, double solar_constant_wm2) {
  // spencer (1971) fourier series of (r0 / r)^2 in the day angle
  const double b_rad = 2.0 * std::numbers::pi / 365.0 * (day_of_year - 1.0);
  const double r_ratio_sq = 1.00011 + 0.034221 * std::cos(b_rad) + 0.00128 * std::sin(b_rad) +
                            0.000719 * std::cos(2.0 * b_rad) + 0.000077 * std::sin(2.0 * b_rad);
  return solar_constant_wm2 * r_ratio_sq;
}

double extra_radiation(double time_s, double solar_constant_wm2) {
  if (!std::isfinite(time_s)) return kNan;

  // integer utc day of year of the instant
  using std::chrono::days;
  using std::chrono::sys_days;
  const auto day_count = static_cast<std::int64_t>(std::floor(time_s / 86400.0));
  const sys_days day{days{day_count}};
  const std::chrono::year_month_day date{day};
  const sys_days new_year{date.year() / std::chrono::January / 1};
  const auto day_of_year = (day - new_year).count() + 1;
  return extra_radiation_doy(static_cast<double>(day_of_year), solar_constant_wm2);
}

void extra_radiation(std::span<const double> times_s, std::span<double> out_wm2,
                     double solar_constant_wm2) {
  check_length(out_wm2.size(), times_s.size(), false, false, "extra_radiation", "out_wm2");
  const auto n = static_cast<std::int64_t>(times_s.size());
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < n; ++i) {
    const auto k = static_cast<std::size_t>(i);
    out_wm2[k] = extra_radiation(times_s[k], solar_constant_wm2);
  }
}

double relative_airmass(double apparent_zenith_deg) {
  // kasten & young (1989); undefined below the horizon
  if (!(apparent_zenith_deg <= 90.0)) return kNan;
  return 1.0 / (cosd(apparent_zenith_deg) +
                0.50572 * std::pow(6.07995 + (90.0 - apparent_zenith_deg), -1.6364));
}

void relative_airmass(std::span<const double> apparent_zenith_deg, std::span<double> out) {
  check_length(out.size(), apparent_zenith_deg.size(), false, false, "relative_airmass", "out");
  const auto n = static_cast<std::int64_t>(out.size());
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < n; ++i) {
    const auto k = static_cast<std::size_t>(i);
    out[k] = relative_airmass(apparent_zenith_deg[k]);
  }
}

double aoi_projection(double surface_tilt_deg, double surface_azimuth_deg, double solar_zenith_deg,
                      double solar_azimuth_deg) {
  // dot product of the plane normal and the sun vector, clipped against rounding
  const double projection = cosd(surface_tilt_deg) * cosd(solar_zenith_deg) +
                            sind(surface_tilt_deg) * sind(solar_zenith_deg) *
                                cosd(solar_azimuth_deg - surface_azimuth_deg);
  if (std::isnan(projection)) return projection;
  return std::clamp(projection, -1.0, 1.0);
}

double aoi(double surface_tilt_deg, double surface_azimuth_deg, double solar_zenith_deg,
           double solar_azimuth_deg) {
  return std::acos(aoi_projection(surface_tilt_deg, surface_azimuth_deg, solar_zenith_deg,
                                  solar_azimuth_deg)) /
         kRadPerDeg;
}

void aoi(std::span<const double> surface_tilt_deg, std::span<const double> surface_azimuth_deg,
         std::span<const double> solar_zenith_deg, std::span<const double> solar_azimuth_deg,
         std::span<double> out_deg) {
  // inputs broadcast from length 1 to the output length
  const std::size_t n = out_deg.size();
  check_length(surface_tilt_deg.size(), n, true, false, "aoi", "surface_tilt_deg");
  check_length(surface_azimuth_deg.size(), n, true, false, "aoi", "surface_azimuth_deg");
  check_length(solar_zenith_deg.size(), n, true, false, "aoi", "solar_zenith_deg");
  check_length(solar_azimuth_deg.size(), n, true, false, "aoi", "solar_azimuth_deg");
  const auto n_elements = static_cast<std::int64_t>(n);
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < n_elements; ++i) {
    const auto k = static_cast<std::size_t>(i);
    out_deg[k] = aoi(at(surface_tilt_deg, k), at(surface_azimuth_deg, k), at(solar_zenith_deg, k),
                     at(solar_azimuth_deg, k));
  }
}

SkyModel sky_model_from_name(std::string_view model) {
  if (model == "isotropic") return SkyModel::kIsotropic;
  if (model == "haydavies") return SkyModel::kHayDavies;
  if (model == "perez") return SkyModel::kPerez;
  throw std::invalid_argument("model must be 'isotropic', 'haydavies' or 'perez' (got '" +
                              std::string(model) + "')");
}

SkyDiffuse isotropic_sky(double surface_tilt_deg, double dhi_wm2) {
  const double sky_wm2 = dhi_wm2 * (1.0 + cosd(surface_tilt_deg)) * 0.5;
  return {sky_wm2, sky_wm2, 0.0, 0.0};
}

SkyDiffuse haydavies_sky(double surface_tilt_deg, double surface_azimuth_deg, double dhi_wm2,
                         double dni_wm2, double dni_extra_wm2, double solar_zenith_deg,
                         double solar_azimuth_deg) {
  // ratio of tilted to horizontal beam, guarded near the horizon (pvlib GH 432, GH 526)
  const double cos_aoi = std::max(
      aoi_projection(surface_tilt_deg, surface_azimuth_deg, solar_zenith_deg, solar_azimuth_deg),
      0.0);
  const double rb = cos_aoi / std::max(cosd(solar_zenith_deg), 0.01745);

  // anisotropy index splits dhi into circumsolar and isotropic parts
  const double ai = dni_wm2 / dni_extra_wm2;
  const double isotropic_wm2 =
      std::max(dhi_wm2 * (1.0 - ai) * 0.5 * (1.0 + cosd(surface_tilt_deg)), 0.0);
  const double circumsolar_wm2 = std::max(dhi_wm2 * (ai * rb), 0.0);
  return {isotropic_wm2 + circumsolar_wm2, isotropic_wm2, circumsolar_wm2, 0.0};
}

int perez_clearness_bin(double dhi_wm2, double dni_wm2, double solar_zenith_deg) {
  // sky clearness epsilon with the zenith in radians
  constexpr double kKappa = 1.041;
  const double z_rad = solar_zenith_deg * kRadPerDeg;
  const double kz3 = kKappa * z_rad * z_rad * z_rad;
  const double epsilon = ((dhi_wm2 + dni_wm2) / dhi_wm2 + kz3) / (1.0 + kz3);

  // last bin whose lower edge is <= epsilon; NaN or below the first edge has no bin
  int bin = -1;
  for (std::size_t b = 0; b < kPerezEpsilonEdges.size(); ++b) {
    if (epsilon >= kPerezEpsilonEdges[b]) bin = static_cast<int>(b);
  }
  return bin;
}

SkyDiffuse perez_sky(double surface_tilt_deg, double surface_azimuth_deg, double dhi_wm2,
                     double dni_wm2, double dni_extra_wm2, double solar_zenith_deg,
                     double solar_azimuth_deg, double airmass) {
  // night (pvlib: NaN airmass) gives no sky diffuse
  if (std::isnan(airmass)) return {0.0, 0.0, 0.0, 0.0};

  // sky brightness delta and the clearness bin
  const double z_rad = solar_zenith_deg * kRadPerDeg;
  const double delta = dhi_wm2 * airmass / dni_extra_wm2;
  const int bin = perez_clearness_bin(dhi_wm2, dni_wm2, solar_zenith_deg);

  // circumsolar (f1, not negative) and horizon (f2) brightening coefficients
  double f1 = kNan;
  double f2 = kNan;
  if (bin >= 0) {
    const PerezCoefficients& c = kPerezAllSites1990[static_cast<std::size_t>(bin)];
    f1 = std::max(c.f11 + c.f12 * delta + c.f13 * z_rad, 0.0);
    f2 = c.f21 + c.f22 * delta + c.f23 * z_rad;
  }

  // geometry of the circumsolar disc on the plane and on the horizontal
  const double a = std::max(
      aoi_projection(surface_tilt_deg, surface_azimuth_deg, solar_zenith_deg, solar_azimuth_deg),
      0.0);
  const double b = std::max(cosd(solar_zenith_deg), cosd(85.0));

  // the three parts, the total clipped at zero and its parts zeroed with it
  const double term1 = 0.5 * (1.0 - f1) * (1.0 + cosd(surface_tilt_deg));
  const double term2 = f1 * a / b;
  const double term3 = f2 * sind(surface_tilt_deg);
  const double sky_wm2 = std::max(dhi_wm2 * (term1 + term2 + term3), 0.0);
  if (sky_wm2 == 0.0) return {0.0, 0.0, 0.0, 0.0};
  return {sky_wm2, dhi_wm2 * term1, dhi_wm2 * term2, dhi_wm2 * term3};
}

double ground_diffuse(double surface_tilt_deg, double ghi_wm2, double albedo_frac) {
  return ghi_wm2 * albedo_frac * (1.0 - cosd(surface_tilt_deg)) * 0.5;
}

PoaIrradiance poa_irradiance(double surface_tilt_deg, double surface_azimuth_deg,
                             double solar_zenith_deg, double solar_azimuth_deg, double dni_wm2,
                             double ghi_wm2, double dhi_wm2, double dni_extra_wm2, double airmass,
                             double albedo_frac, SkyModel model) {
  // sky diffuse of the chosen model
  SkyDiffuse sky{};
  switch (model) {
    case SkyModel::kIsotropic:
      sky = isotropic_sky(surface_tilt_deg, dhi_wm2);
      break;
    case SkyModel::kHayDavies:
      sky = haydavies_sky(surface_tilt_deg, surface_azimuth_deg, dhi_wm2, dni_wm2, dni_extra_wm2,
                          solar_zenith_deg, solar_azimuth_deg);
      break;
    case SkyModel::kPerez:
      sky = perez_sky(surface_tilt_deg, surface_azimuth_deg, dhi_wm2, dni_wm2, dni_extra_wm2,
                      solar_zenith_deg, solar_azimuth_deg, airmass);
      break;
  }

  // beam on the plane (never negative) and ground reflection
  const double aoi_deg =
      aoi(surface_tilt_deg, surface_azimuth_deg, solar_zenith_deg, solar_azimuth_deg);
  const double direct_wm2 = std::max(dni_wm2 * std::cos(aoi_deg * kRadPerDeg), 0.0);
  const double ground_wm2 = ground_diffuse(surface_tilt_deg, ghi_wm2, albedo_frac);

  // components summed as pvlib.irradiance.poa_components
  PoaIrradiance poa{};
  poa.poa_direct_wm2 = direct_wm2;
  poa.poa_sky_diffuse_wm2 = sky.sky_diffuse_wm2;
  poa.poa_ground_diffuse_wm2 = ground_wm2;
  poa.poa_diffuse_wm2 = sky.sky_diffuse_wm2 + ground_wm2;
  poa.poa_global_wm2 = direct_wm2 + poa.poa_diffuse_wm2;
  poa.sky_isotropic_wm2 = sky.isotropic_wm2;
  poa.sky_circumsolar_wm2 = sky.circumsolar_wm2;
  poa.sky_horizon_wm2 = sky.horizon_wm2;
  return poa;
}

void poa_irradiance(const PoaInputSpans& in, const PoaOutputSpans& out, SkyModel model) {
  // the element count is the longest input; shorter inputs must have length 1
  const std::array<std::size_t, 10> sizes{in.surface_tilt_deg.size(), in.surface_azimuth_deg.size(),
                                          in.solar_zenith_deg.size(), in.solar_azimuth_deg.size(),
                                          in.dni_wm2.size(),          in.ghi_wm2.size(),
                                          in.dhi_wm2.size(),          in.dni_extra_wm2.size(),
                                          in.airmass.size(),          in.albedo_frac.size()};
  const std::size_t n = *std::max_element(sizes.begin(), sizes.end());
  constexpr const char* kFn = "poa_irradiance";
  check_length(in.surface_tilt_deg.size(), n, true, false, kFn, "in.surface_tilt_deg");
  check_length(in.surface_azimuth_deg.size(), n, true, false, kFn, "in.surface_azimuth_deg");
  check_length(in.solar_zenith_deg.size(), n, true, false, kFn, "in.solar_zenith_deg");
  check_length(in.solar_azimuth_deg.size(), n, true, false, kFn, "in.solar_azimuth_deg");
  check_length(in.dni_wm2.size(), n, true, false, kFn, "in.dni_wm2");
  check_length(in.ghi_wm2.size(), n, true, false, kFn, "in.ghi_wm2");
  check_length(in.dhi_wm2.size(), n, true, false, kFn, "in.dhi_wm2");
  check_length(in.dni_extra_wm2.size(), n, true, false, kFn, "in.dni_extra_wm2");
  check_length(in.airmass.size(), n, true, false, kFn, "in.airmass");
  check_length(in.albedo_frac.size(), n, true, false, kFn, "in.albedo_frac");
  check_length(out.poa_global_wm2.size(), n, false, true, kFn, "out.poa_global_wm2");
  check_length(out.poa_direct_wm2.size(), n, false, true, kFn, "out.poa_direct_wm2");
  check_length(out.poa_diffuse_wm2.size(), n, false, true, kFn, "out.poa_diffuse_wm2");
  check_length(out.poa_sky_diffuse_wm2.size(), n, false, true, kFn, "out.poa_sky_diffuse_wm2");
  check_length(out.poa_ground_diffuse_wm2.size(), n, false, true, kFn,
               "out.poa_ground_diffuse_wm2");
  check_length(out.sky_isotropic_wm2.size(), n, false, true, kFn, "out.sky_isotropic_wm2");
  check_length(out.sky_circumsolar_wm2.size(), n, false, true, kFn, "out.sky_circumsolar_wm2");
  check_length(out.sky_horizon_wm2.size(), n, false, true, kFn, "out.sky_horizon_wm2");

  // one scalar evaluation per element
  const auto n_elements = static_cast<std::int64_t>(n);
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < n_elements; ++i) {
    const auto k = static_cast<std::size_t>(i);
    const PoaIrradiance poa = poa_irradiance(
        at(in.surface_tilt_deg, k), at(in.surface_azimuth_deg, k), at(in.solar_zenith_deg, k),
        at(in.solar_azimuth_deg, k), at(in.dni_wm2, k), at(in.ghi_wm2, k), at(in.dhi_wm2, k),
        at(in.dni_extra_wm2, k), at(in.airmass, k), at(in.albedo_frac, k), model);
    store(out.poa_global_wm2, k, poa.poa_global_wm2);
    store(out.poa_direct_wm2, k, poa.poa_direct_wm2);
    store(out.poa_diffuse_wm2, k, poa.poa_diffuse_wm2);
    store(out.poa_sky_diffuse_wm2, k, poa.poa_sky_diffuse_wm2);
    store(out.poa_ground_diffuse_wm2, k, poa.poa_ground_diffuse_wm2);
    store(out.sky_isotropic_wm2, k, poa.sky_isotropic_wm2);
    store(out.sky_circumsolar_wm2, k, poa.sky_circumsolar_wm2);
    store(out.sky_horizon_wm2, k, poa.sky_horizon_wm2);
  }
}

}  // namespace citytwin::solar
