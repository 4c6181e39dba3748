#include <citytwin/solar/solar_model.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <numbers>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>

#include <citytwin/sim/city.hpp>
#include <citytwin/sim/clock.hpp>
#include <citytwin/sim/config_reader.hpp>
#include <citytwin/sim/diagnostics.hpp>
#include <citytwin/sim/error.hpp>
#include <citytwin/sim/parallel.hpp>
#include <citytwin/solar/clear_sky.hpp>
#include <citytwin/solar/mesh.hpp>
#include <citytwin/solar/solar_position.hpp>

namespace citytwin::solar {

namespace {

constexpr double kFlatRoofMaxTiltDeg = 5.0;   // [deg] flatter roof faces count as flat
constexpr double kDefaultAlbedoFrac = 0.2;    // [0..1] when neither the key nor the file gives one
constexpr double kHoursPerYear = 8760.0;      // [h] annualisation of accumulators
constexpr std::int64_t kYearS = 365 * 86400;  // [s] the annual pre-pass covers 365 days
constexpr double kMaxStationDistanceKm = 300.0;  // [km] weather station to city, at most
constexpr double kSampleLiftM = 0.05;         // [m] roof samples lifted against self-hits
constexpr double kEarthRadiusKm = 6371.0;     // [km] mean radius, for station distances
constexpr std::int64_t kParallelMinFaces = 4096;  // fewer faces (or a dark step) run on one thread
constexpr std::int64_t kStepChunkBuildings = 256;  // buildings per chunk of the step's totals

const std::vector<std::string> kMountings{"auto", "open_rack_glass_glass", "close_mount_glass_glass",
                                          "open_rack_glass_polymer", "insulated_back_glass_polymer"};

// the SAPM parameters of a named mounting preset
SapmTemperatureParams mounting_params(const std::string& name, bool flat) {
  if (name == "open_rack_glass_glass") return kSapmOpenRackGlassGlass;
  if (name == "close_mount_glass_glass") return kSapmCloseMountGlassGlass;
  if (name == "open_rack_glass_polymer") return kSapmOpenRackGlassPolymer;
  if (name == "insulated_back_glass_polymer") return kSapmInsulatedBackGlassPolymer;
  return flat ? kSapmOpenRackGlassPolymer : kSapmCloseMountGlassGlass;  // "auto"
}

// lowercase extension of a path (".epw")
std::string lower_extension(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext;
}

// great-circle distance between two positions
double distance_km(double lat1_deg, double lon1_deg, double lat2_deg, double lon2_deg) {
  const double k = std::numbers::pi / 180.0;
  const double dlat = (lat2_deg - lat1_deg) * k;
  const double dlon = (lon2_deg - lon1_deg) * k;
  const double a = std::sin(dlat / 2) * std::sin(dlat / 2) +
                   std::cos(lat1_deg * k) * std::cos(lat2_deg * k) * std::sin(dlon / 2) *
                       std::sin(dlon / 2);
  return 2.0 * kEarthRadiusKm * std::asin(std::min(1.0, std::sqrt(a)));
}

// [m] mean ground elevation of the buildings, the altitude of the sun and clear-sky computation
double city_altitude_m(const sim::City& city) {
  const auto& g = city.buildings.ground_elevation_m;
  if (g.empty()) return 0.0;
  double sum = 0.0;
  for (const double z : g) sum += z;
  return sum / static_cast<double>(g.size());
}

// rows of a weather series ordered by the end of their interval, typical years mapped onto
// the calendar years of the run
struct RowIndex {
  std::vector<std::int64_t> end_utc_s;  // [s] end of each interval, ascending
  std::vector<std::size_t> row;         // row of the series
  std::int64_t interval_s = 3600;       // [s]
};

RowIndex index_rows(const WeatherSeries& w, std::int64_t first_s, std::int64_t last_s) {
  RowIndex index;
  index.interval_s = w.interval_s;
  std::vector<std::pair<std::int64_t, std::size_t>> rows;
  if (!w.typical_year) {
    for (std::size_t i = 0; i < w.size(); ++i) rows.emplace_back(w.time_utc_s[i], i);
  } else {
    // every calendar year the run touches, in the file's clock, plus one on each side
    const auto offset_s = static_cast<std::int64_t>(std::llround(w.applied_utc_offset_h * 3600.0));
    const int first_year = sim::Clock::civil_utc(first_s + offset_s).year - 1;
    const int last_year = sim::Clock::civil_utc(last_s + offset_s).year + 1;
    for (int year = first_year; year <= last_year; ++year) {
      for (std::size_t i = 0; i < w.size(); ++i) {
        try {
          rows.emplace_back(map_to_year(w, i, year), i);
        } catch (const std::invalid_argument&) {
          // 29 February of a typical year has no place in a common year
        }
      }
    }
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [end_s, i] : rows) {
    index.end_utc_s.push_back(end_s);
    index.row.push_back(i);
  }
  return index;
}

// position in the index of the interval (end - interval, end] holding t, or -1
std::int64_t find_interval(const RowIndex& index, double t_s) {
  const auto it = std::lower_bound(index.end_utc_s.begin(), index.end_utc_s.end(), t_s,
                                   [](std::int64_t end, double t) { return static_cast<double>(end) < t; });
  if (it == index.end_utc_s.end()) return -1;
  if (static_cast<double>(*it - index.interval_s) >= t_s) return -1;
  return it - index.end_utc_s.begin();
}

// the weather values of one instant
struct WeatherValues {
  double ghi_wm2, dni_wm2, dhi_wm2, temp_air_c, wind_speed_mps, albedo_frac;
};

WeatherValues row_values(const WeatherSeries& w, std::size_t i) {
  return {w.ghi_wm2[i], w.dni_wm2[i], w.dhi_wm2[i], w.temp_air_c[i], w.wind_speed_mps[i],
          i < w.albedo_frac.size() ? w.albedo_frac[i] : std::numeric_limits<double>::quiet_NaN()};
}

WeatherValues blend(const WeatherValues& a, const WeatherValues& b, double w) {
  const auto mix = [w](double x, double y) { return (1.0 - w) * x + w * y; };
  return {mix(a.ghi_wm2, b.ghi_wm2),     mix(a.dni_wm2, b.dni_wm2),
          mix(a.dhi_wm2, b.dhi_wm2),     mix(a.temp_air_c, b.temp_air_c),
          mix(a.wind_speed_mps, b.wind_speed_mps), mix(a.albedo_frac, b.albedo_frac)};
}

// the sun and weather of one step, as the face loop needs them
struct StepWeather {
  double zenith_deg, azimuth_deg, elevation_deg, dni_extra_wm2, airmass;
  double ghi_wm2, dni_wm2, dhi_wm2, temp_air_c, wind_speed_mps, albedo_frac;
};

StepWeather step_weather(const SolarStepInputs& in, std::int64_t s) {
  const auto k = static_cast<std::size_t>(s);
  return {in.apparent_zenith_deg[k], in.azimuth_deg[k], 90.0 - in.apparent_zenith_deg[k],
          in.dni_extra_wm2[k],       in.airmass[k],     in.ghi_wm2[k],
          in.dni_wm2[k],             in.dhi_wm2[k],     in.temp_air_c[k],
          in.wind_speed_mps[k],      in.albedo_frac[k]};
}

// whether a step's weather is usable, and whether it has any light
enum class StepLight { kDark, kLit, kMissing, kInconsistent };

StepLight step_light(const StepWeather& w, SkyModel sky) {
  for (const double v : {w.ghi_wm2, w.dni_wm2, w.dhi_wm2, w.temp_air_c, w.wind_speed_mps,
                         w.albedo_frac}) {
    if (!std::isfinite(v)) return StepLight::kMissing;
  }
  if (!(w.ghi_wm2 > 0.0 || w.dni_wm2 > 0.0 || w.dhi_wm2 > 0.0)) return StepLight::kDark;
  // Perez is undefined (0/0) without diffuse and beam (docs/models/solar.md#sky-models)
  if (sky == SkyModel::kPerez && !(w.dhi_wm2 > 0.0) && !(w.dni_wm2 > 0.0)) {
    return StepLight::kInconsistent;
  }
  return StepLight::kLit;
}

// the shaded plane-of-array irradiance of one face (docs/models/solar.md#model)
struct FacePoa {
  double global_wm2;     // [W m-2] shaded POA global
  double effective_wm2;  // [W m-2] transmitted to the cells
};

FacePoa face_poa(const StepWeather& w, double tilt_deg, double azimuth_deg, double sun_frac,
                 double svf, double horizon_frac, double ground_factor, SkyModel sky) {
  const PoaIrradiance p = poa_irradiance(tilt_deg, azimuth_deg, w.zenith_deg, w.azimuth_deg,
                                         w.dni_wm2, w.ghi_wm2, w.dhi_wm2, w.dni_extra_wm2,
                                         w.airmass, w.albedo_frac, sky);
  // each component times its shading factor; the shaded sky is not negative
  const double direct = p.poa_direct_wm2 * sun_frac;
  const double sky_diffuse = std::max(p.sky_circumsolar_wm2 * sun_frac +
                                          p.sky_isotropic_wm2 * svf + p.sky_horizon_wm2 * horizon_frac,
                                      0.0);
  const double ground = p.poa_ground_diffuse_wm2 * ground_factor;
  // cover loss on the beam only (PVWatts)
  const double iam = direct > 0.0 ? iam_physical(aoi(tilt_deg, azimuth_deg, w.zenith_deg, w.azimuth_deg)) : 1.0;
  return {direct + sky_diffuse + ground, direct * iam + sky_diffuse + ground};
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// configuration

SolarConfig read_solar_config(const sim::ModelContext& ctx) {
  sim::ConfigReader& r = *ctx.config;
  SolarConfig c;

  // weather: clear sky or a file
  if (r.read("weather", c.weather_written)) {
    if (c.weather_written == "clear-sky") {
      c.weather = c.weather_written;
    } else if (c.weather_written.empty()) {
      r.error("weather", "must be \"clear-sky\" or the path of an .epw or TMY3 .csv file (got '')");
    } else {
      const std::string prefix = "${data}";
      std::filesystem::path resolved;
      if (c.weather_written.rfind(prefix, 0) == 0) {
        std::string rest = c.weather_written.substr(prefix.size());
        while (!rest.empty() && (rest.front() == '/' || rest.front() == '\\')) rest.erase(0, 1);
        resolved = (ctx.data_dir / rest).lexically_normal();
      } else {
        const std::filesystem::path p(c.weather_written);
        resolved = (p.is_absolute() || ctx.scenario_dir.empty() ? p : ctx.scenario_dir / p).lexically_normal();
      }
      c.weather = resolved.string();
      const std::string ext = lower_extension(resolved);
      std::error_code error;
      if (ext != ".epw" && ext != ".csv") {
        r.error("weather", "must be \"clear-sky\" or the path of an .epw or TMY3 .csv file (got '" +
                               c.weather_written + "')");
      } else if (!std::filesystem::is_regular_file(resolved, error)) {
        r.error("weather", "names '" + c.weather + "', which does not exist or is not a file (written '" +
                               c.weather_written + "'; ${data} is '" + ctx.data_dir.string() +
                               "', relative paths start at the scenario's folder); give an existing "
                               ".epw or TMY3 .csv file or \"clear-sky\"");
      }
    }
  }
  const bool clear_sky = c.weather == "clear-sky";
  const auto only_with = [&](const char* key, bool wanted, const char* condition) {
    if (r.has(key) && !wanted) r.error(key, std::string("is used only with ") + condition + ": remove it");
  };
  r.read("linke_turbidity", c.linke_turbidity, sim::Range::between(1.0, 10.0));
  r.read("clear_sky_temp_air_c", c.clear_sky_temp_air_c, sim::Range::between(-60.0, 60.0));
  r.read("clear_sky_wind_speed_mps", c.clear_sky_wind_speed_mps, sim::Range::between(0.0, 60.0));
  double offset_h = 0.0;
  if (r.read("weather_utc_offset_h", offset_h, sim::Range::between(-12.0, 14.0))) c.weather_utc_offset_h = offset_h;
  r.read_choice("time_zone_policy", c.time_zone_policy, {"error", "detect", "declared"});
  only_with("linke_turbidity", clear_sky, "weather = \"clear-sky\"");
  only_with("clear_sky_temp_air_c", clear_sky, "weather = \"clear-sky\"");
  only_with("clear_sky_wind_speed_mps", clear_sky, "weather = \"clear-sky\"");
  only_with("weather_utc_offset_h", !clear_sky, "a weather file");
  only_with("time_zone_policy", !clear_sky, "a weather file");
  std::string choice;
  if (r.read_choice("weather_interpolation", choice, {"step", "linear"})) {
    c.weather_interpolation = choice == "linear" ? WeatherInterpolation::kLinear : WeatherInterpolation::kStep;
  }

  // sky and ground
  if (r.read_choice("sky_model", choice, {"perez", "haydavies", "isotropic"})) {
    c.sky_model = sky_model_from_name(choice);
  }
  double albedo = 0.0;
  if (r.read("albedo_frac", albedo, sim::Range::fraction())) c.albedo_frac = albedo;

  // shading
  r.read("sample_spacing_m", c.sample_spacing_m, sim::Range::between(0.05, 100.0));
  r.read("sun_elevation_step_deg", c.sun_elevation_step_deg, sim::Range::between(0.5, 45.0));
  r.read("sun_azimuth_step_deg", c.sun_azimuth_step_deg, sim::Range::between(0.5, 90.0));
  r.read("sky_patch_subdivision", c.sky_patch_subdivision, sim::Range::between(1, 8));
  if (r.read_choice("shading", choice, {"binned", "exact", "none"})) {
    c.shading = choice == "exact" ? ShadingMode::kExact : choice == "none" ? ShadingMode::kNone : ShadingMode::kBinned;
  }

  // modules, temperature, losses, inverter
  r.read("module_efficiency_frac", c.module_efficiency_frac, {0.0, 1.0, true, false});
  double kwp_per_m2 = 0.0;
  if (r.read("kwp_per_m2", kwp_per_m2, {0.0, 1.0, true, false})) {
    c.kwp_per_m2 = kwp_per_m2;
    if (r.has("module_efficiency_frac")) {
      r.error("kwp_per_m2", "and models.solar.module_efficiency_frac are both set: keep only one of them");
    }
  }
  r.read("gamma_pdc_per_c", c.gamma_pdc_per_c, sim::Range::between(-0.02, 0.0));
  if (r.read_choice("temperature_model", choice, {"sapm", "faiman"})) {
    c.temperature_model = choice == "faiman" ? TemperatureModel::kFaiman : TemperatureModel::kSapm;
  }
  r.read_choice("mounting", c.mounting, kMountings);
  r.read("faiman_u0_w_m2k", c.faiman_u0_w_m2k, {0.0, 200.0, true, false});
  r.read("faiman_u1_w_s_m3k", c.faiman_u1_w_s_m3k, sim::Range::between(0.0, 100.0));
  const bool sapm = c.temperature_model == TemperatureModel::kSapm;
  only_with("mounting", sapm, "temperature_model = \"sapm\"");
  only_with("faiman_u0_w_m2k", !sapm, "temperature_model = \"faiman\"");
  only_with("faiman_u1_w_s_m3k", !sapm, "temperature_model = \"faiman\"");
  r.read("system_losses_frac", c.system_losses_frac, {0.0, 1.0, false, true});
  r.read("dc_ac_ratio", c.dc_ac_ratio, sim::Range::between(0.5, 5.0));
  r.read("eta_inv_nom_frac", c.eta_inv_nom_frac, {0.0, 1.0, true, false});

  // usable roof area
  r.read("min_face_area_m2", c.min_face_area_m2, sim::Range::non_negative());
  r.read("max_tilt_deg", c.max_tilt_deg, sim::Range::between(0.0, 90.0));
  double min_irradiation = 0.0;
  if (r.read("min_annual_irradiation_kwh_m2", min_irradiation, sim::Range::between(0.0, 5000.0))) {
    c.min_annual_irradiation_kwh_m2 = min_irradiation;
  }
  r.read("setback_m", c.setback_m, sim::Range::between(0.0, 20.0));
  r.read("flat_packing_frac", c.flat_packing_frac, {0.0, 1.0, true, false});
  r.read("pitched_packing_frac", c.pitched_packing_frac, {0.0, 1.0, true, false});
  r.read("flat_module_tilt_deg", c.flat_module_tilt_deg, sim::Range::between(0.0, 60.0));
  r.read("flat_module_azimuth_deg", c.flat_module_azimuth_deg, {0.0, 360.0, false, true});
  r.read("exclude_north_facing", c.exclude_north_facing);
  r.read("north_window_deg", c.north_window_deg, sim::Range::between(0.0, 360.0));
  std::vector<double> thresholds;
  if (r.read("potential_thresholds_kwh_m2", thresholds, sim::Range::non_negative())) {
    if (thresholds.size() != 3 || !(thresholds[0] < thresholds[1] && thresholds[1] < thresholds[2])) {
      r.error("potential_thresholds_kwh_m2",
              "must hold 3 increasing annual irradiations, the lower edges of classes 1, 2 and 3 "
              "(e.g. [800.0, 1000.0, 1200.0])");
    } else {
      c.potential_thresholds_kwh_m2 = thresholds;
    }
  }

  // the model period, a whole number of ticks
  const std::int32_t dt_s = ctx.clock != nullptr ? ctx.clock->dt_s() : 1;
  const bool period_written = r.has("period");
  if (r.read_duration_s("period", c.period_s, sim::Range::positive()) || !period_written) {
    if (!period_written && c.period_s < dt_s) c.period_s = dt_s;
    if (c.period_s % dt_s != 0) {
      const std::string fix = std::to_string(std::max<std::int64_t>(1, c.period_s / dt_s) * dt_s);
      r.error("period", std::string(period_written ? "" : "(default \"1h\") ") +
                            "must be a whole multiple of time.dt_s = " + std::to_string(dt_s) +
                            " s (got " + std::to_string(c.period_s) + " s); use e.g. \"" + fix + "s\"");
    }
  }
  return c;
}

// ---------------------------------------------------------------------------------------------
// step inputs

SolarStepInputs build_step_inputs(const WeatherSeries& weather, double latitude_deg,
                                  double longitude_deg, double altitude_m,
                                  std::int64_t start_utc_s, std::int64_t step_s,
                                  std::int64_t n_steps, WeatherInterpolation interpolation,
                                  std::optional<double> albedo_frac) {
  if (step_s <= 0 || n_steps < 0) {
    throw std::invalid_argument("build_step_inputs: step_s must be > 0 and n_steps >= 0 (got " +
                                std::to_string(step_s) + ", " + std::to_string(n_steps) + ")");
  }
  const RowIndex index = index_rows(weather, start_utc_s, start_utc_s + n_steps * step_s);
  const double pressure_pa = altitude_to_pressure_pa(altitude_m);
  const auto n = static_cast<std::size_t>(n_steps);
  SolarStepInputs in;
  for (auto* column : {&in.apparent_zenith_deg, &in.azimuth_deg, &in.dni_extra_wm2, &in.airmass,
                       &in.ghi_wm2, &in.dni_wm2, &in.dhi_wm2, &in.temp_air_c, &in.wind_speed_mps,
                       &in.albedo_frac}) {
    column->resize(n);
  }
  const double interval_s = static_cast<double>(index.interval_s);
  for (std::size_t k = 0; k < n; ++k) {
    // the sun at the middle of the step
    const double t_s = static_cast<double>(start_utc_s) + (static_cast<double>(k) + 0.5) * static_cast<double>(step_s);
    const SolarPosition sun = solar_position(t_s, latitude_deg, longitude_deg, altitude_m, pressure_pa);
    in.apparent_zenith_deg[k] = sun.apparent_zenith_deg;
    in.azimuth_deg[k] = sun.azimuth_deg;
    in.dni_extra_wm2[k] = extra_radiation(t_s);
    in.airmass[k] = relative_airmass(sun.apparent_zenith_deg);

    // the row holding it (a typical year without 29 February lends 28 February)
    std::int64_t at = find_interval(index, t_s);
    if (at < 0 && weather.typical_year) at = find_interval(index, t_s - 86400.0);
    if (at < 0) {
      const std::string first = weather.size() > 0 ? sim::Clock::iso_utc(weather.time_utc_s.front() - weather.interval_s) : "-";
      const std::string last = weather.size() > 0 ? sim::Clock::iso_utc(weather.time_utc_s.back()) : "-";
      throw std::invalid_argument("the weather series '" + weather.source_path + "' has no row for " +
                                  sim::Clock::iso_utc(static_cast<std::int64_t>(t_s)) + " (it covers " +
                                  first + " to " + last + ")");
    }
    const auto a = static_cast<std::size_t>(at);
    WeatherValues v = row_values(weather, index.row[a]);
    if (interpolation == WeatherInterpolation::kLinear) {
      // the neighbour on the side of t, when it is the adjacent interval
      const double mid_s = static_cast<double>(index.end_utc_s[a]) - interval_s / 2.0;
      const bool after = t_s >= mid_s;
      const std::size_t b = after ? a + 1 : (a > 0 ? a - 1 : a);
      if (b != a && b < index.row.size() &&
          std::llabs(index.end_utc_s[b] - index.end_utc_s[a]) == index.interval_s) {
        v = blend(v, row_values(weather, index.row[b]), std::abs(t_s - mid_s) / interval_s);
      }
    }
    in.ghi_wm2[k] = v.ghi_wm2;
    in.dni_wm2[k] = v.dni_wm2;
    in.dhi_wm2[k] = v.dhi_wm2;
    in.temp_air_c[k] = v.temp_air_c;
    in.wind_speed_mps[k] = v.wind_speed_mps;
    in.albedo_frac[k] = albedo_frac ? *albedo_frac : (std::isfinite(v.albedo_frac) ? v.albedo_frac : kDefaultAlbedoFrac);
  }
  return in;
}

// ---------------------------------------------------------------------------------------------
// the model

SolarModel::SolarModel(SolarConfig config, const sim::City& city, std::int64_t start_utc_s,
                       std::int32_t dt_s, SolarStepInputs inputs,
                       const SolarStepInputs* annual_inputs)
    : config_(std::move(config)), city_(&city), start_utc_s_(start_utc_s), inputs_(std::move(inputs)) {
  if (dt_s <= 0 || config_.period_s <= 0 || config_.period_s % dt_s != 0) {
    throw std::invalid_argument("SolarModel: period_s must be a positive multiple of dt_s (got " +
                                std::to_string(config_.period_s) + " and " + std::to_string(dt_s) + ")");
  }
  period_ticks_ = static_cast<int>(config_.period_s / dt_s);
  using Clock = std::chrono::steady_clock;
  const auto seconds_since = [](Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
  };

  // the mesh and its ray scene (not needed without shading)
  auto t0 = Clock::now();
  double origin_x_m = 0.0;
  double origin_y_m = 0.0;
  double origin_z_m = 0.0;
  std::unique_ptr<RayScene> scene;
  if (config_.shading != ShadingMode::kNone) {
    const TriangleMesh mesh = build_mesh(city);
    origin_x_m = mesh.origin_x_m;
    origin_y_m = mesh.origin_y_m;
    origin_z_m = mesh.origin_z_m;
    stats_.n_triangles = mesh.n_triangles();
    scene = std::make_unique<RayScene>(mesh);
  }
  stats_.mesh_s = seconds_since(t0);

  // roof faces and their samples
  t0 = Clock::now();
  samples_ = sample_roofs(city, origin_x_m, origin_y_m, origin_z_m,
                          RoofSampleOptions{config_.sample_spacing_m, kSampleLiftM});
  stats_.samples_s = seconds_since(t0);

  // shading tables: the sun grid within the sun's band at this latitude (binned), or only the
  // sky factors (exact: a minimal sun grid)
  t0 = Clock::now();
  if (scene && samples_.n_faces() > 0) {
    ShadingOptions options;
    options.patch_subdivision = config_.sky_patch_subdivision;
    if (config_.shading == ShadingMode::kBinned) {
      options.elevation_step_deg = config_.sun_elevation_step_deg;
      options.azimuth_step_deg = config_.sun_azimuth_step_deg;
      options.latitude_deg = city.origin_lat_deg;
    } else {
      options.elevation_step_deg = 45.0;
      options.azimuth_step_deg = 90.0;
    }
    tables_ = compute_shading(*scene, samples_, options);
    // every sun of the run must fall inside the computed band; else compute every node
    const auto inside = [&](const SolarStepInputs& in) {
      for (std::int64_t s = 0; s < in.size(); ++s) {
        try {
          (void)interpolate_sun_visibility(tables_, 0, 90.0 - in.apparent_zenith_deg[static_cast<std::size_t>(s)],
                                           in.azimuth_deg[static_cast<std::size_t>(s)]);
        } catch (const std::invalid_argument&) {
          return false;
        }
      }
      return true;
    };
    if (config_.shading == ShadingMode::kBinned &&
        (!inside(inputs_) || (annual_inputs != nullptr && !inside(*annual_inputs)))) {
      options.latitude_deg = std::numeric_limits<double>::quiet_NaN();
      tables_ = compute_shading(*scene, samples_, options);
    }
  }
  if (config_.shading == ShadingMode::kExact) scene_ = std::move(scene);
  stats_.shading_s = seconds_since(t0);

  // PV systems, then the optional irradiation rule
  build_pv();
  if (config_.min_annual_irradiation_kwh_m2 && annual_inputs != nullptr) {
    t0 = Clock::now();
    annual_prepass(*annual_inputs);
    stats_.prepass_s = seconds_since(t0);
  }
}

SolarModel::~SolarModel() = default;

void SolarModel::build_pv() {
  const sim::Surfaces& s = city_->surfaces;
  const std::int64_t n_faces = samples_.n_faces();
  const auto nf = static_cast<std::size_t>(n_faces);
  const double kwp_per_m2 = config_.kwp_per_m2.value_or(config_.module_efficiency_frac);
  for (auto* column : {&pv_.perimeter_m, &pv_.usable_area_m2, &pv_.kwp, &pv_.module_tilt_deg,
                       &pv_.module_azimuth_deg, &pv_.sapm_a, &pv_.sapm_b_s_per_m, &pv_.sapm_delta_t_c,
                       &pv_.sky_view_factor, &pv_.horizon_visibility_frac, &pv_.ground_factor}) {
    column->assign(nf, 0.0);
  }
  pv_.building_idx.assign(nf, -1);
  const bool shaded = tables_.n_faces == n_faces && n_faces > 0;
  for (std::size_t f = 0; f < nf; ++f) {
    // geometry: the owning building and the perimeter of every ring
    const auto surface = static_cast<std::size_t>(samples_.face_surface_idx[f]);
    pv_.building_idx[f] = s.building_idx[surface];
    double perimeter_m = 0.0;
    for (auto r = s.ring_begin[surface]; r < s.ring_begin[surface + 1]; ++r) {
      const auto b = s.vertex_begin[static_cast<std::size_t>(r)];
      const auto e = s.vertex_begin[static_cast<std::size_t>(r) + 1];
      for (auto v = b; v < e; ++v) {
        const auto i = static_cast<std::size_t>(v);
        const auto j = static_cast<std::size_t>(v + 1 < e ? v + 1 : b);
        perimeter_m += std::hypot(s.vertex_x_m[j] - s.vertex_x_m[i], s.vertex_y_m[j] - s.vertex_y_m[i],
                                  s.vertex_z_m[j] - s.vertex_z_m[i]);
      }
    }
    pv_.perimeter_m[f] = perimeter_m;

    // the rules of the usable area (docs/models/solar.md#usable-roof-area)
    const double area_m2 = samples_.face_area_m2[f];
    const double tilt_deg = samples_.face_tilt_deg[f];
    const double azimuth_deg = samples_.face_azimuth_deg[f];
    const bool flat = tilt_deg < kFlatRoofMaxTiltDeg;
    const double from_north_deg = std::min(azimuth_deg, 360.0 - azimuth_deg);
    const bool north = !flat && config_.exclude_north_facing && from_north_deg <= config_.north_window_deg / 2.0;
    const bool usable = area_m2 >= config_.min_face_area_m2 && tilt_deg <= config_.max_tilt_deg && !north;
    pv_.usable_area_m2[f] = usable ? std::max(area_m2 - perimeter_m * config_.setback_m, 0.0) : 0.0;
    const double packing = flat ? config_.flat_packing_frac : config_.pitched_packing_frac;
    pv_.kwp[f] = pv_.usable_area_m2[f] * packing * kwp_per_m2;

    // the module plane: racks on flat roofs, on the roof elsewhere
    pv_.module_tilt_deg[f] = flat ? config_.flat_module_tilt_deg : tilt_deg;
    pv_.module_azimuth_deg[f] = flat ? config_.flat_module_azimuth_deg : azimuth_deg;
    const SapmTemperatureParams sapm = mounting_params(config_.mounting, flat);
    pv_.sapm_a[f] = sapm.a;
    pv_.sapm_b_s_per_m[f] = sapm.b_s_per_m;
    pv_.sapm_delta_t_c[f] = sapm.delta_t_c;

    // shading factors of the diffuse parts
    pv_.sky_view_factor[f] = shaded ? tables_.svf[f] : 1.0;
    pv_.horizon_visibility_frac[f] = shaded ? tables_.horizon_visibility_frac[f] : 1.0;
    pv_.ground_factor[f] = shaded ? tables_.ground_factor[f] : 1.0;
  }

  // faces grouped by building, and each building's power
  const auto nb = static_cast<std::size_t>(city_->buildings.size());
  building_face_begin_.assign(nb + 1, 0);
  for (std::size_t f = 0; f < nf; ++f) ++building_face_begin_[static_cast<std::size_t>(pv_.building_idx[f]) + 1];
  for (std::size_t b = 0; b < nb; ++b) building_face_begin_[b + 1] += building_face_begin_[b];
  building_face_.assign(nf, 0);
  std::vector<std::int64_t> fill(building_face_begin_.begin(), building_face_begin_.end() - 1);
  for (std::size_t f = 0; f < nf; ++f) {
    const auto b = static_cast<std::size_t>(pv_.building_idx[f]);
    building_face_[static_cast<std::size_t>(fill[b]++)] = static_cast<std::int32_t>(f);
  }
  building_kwp_.assign(nb, 0.0);
  for (std::size_t f = 0; f < nf; ++f) building_kwp_[static_cast<std::size_t>(pv_.building_idx[f])] += pv_.kwp[f];
  roof_area_m2_ = sim::deterministic_sum(n_faces, [&](std::int64_t f) { return samples_.face_area_m2[static_cast<std::size_t>(f)]; });
}

void SolarModel::annual_prepass(const SolarStepInputs& annual) {
  // a year of hourly steps, module-plane irradiation per face, shaded as the run is
  const std::int64_t n_faces = samples_.n_faces();
  std::vector<double> irradiation_kwh_m2(static_cast<std::size_t>(n_faces), 0.0);
  std::vector<double> sun_frac(static_cast<std::size_t>(n_faces), 1.0);
  for (std::int64_t s = 0; s < annual.size(); ++s) {
    const StepWeather w = step_weather(annual, s);
    if (step_light(w, config_.sky_model) != StepLight::kLit) continue;
    if (config_.shading == ShadingMode::kExact && n_faces > 0) {
      exact_sun_visibility(*scene_, samples_, w.elevation_deg, w.azimuth_deg, sun_frac);
    }
#pragma omp parallel for schedule(static)
    for (std::int64_t f = 0; f < n_faces; ++f) {
      const auto i = static_cast<std::size_t>(f);
      const double sun = config_.shading == ShadingMode::kBinned
                             ? interpolate_sun_visibility(tables_, f, w.elevation_deg, w.azimuth_deg)
                             : sun_frac[i];
      const FacePoa p = face_poa(w, pv_.module_tilt_deg[i], pv_.module_azimuth_deg[i], sun,
                                 pv_.sky_view_factor[i], pv_.horizon_visibility_frac[i],
                                 pv_.ground_factor[i], config_.sky_model);
      if (std::isfinite(p.global_wm2)) irradiation_kwh_m2[i] += p.global_wm2 / 1000.0;
    }
  }
  // faces below the threshold lose their modules
  const double years = static_cast<double>(annual.size()) / kHoursPerYear;
  for (std::size_t f = 0; f < irradiation_kwh_m2.size(); ++f) {
    if (irradiation_kwh_m2[f] / years >= *config_.min_annual_irradiation_kwh_m2) continue;
    building_kwp_[static_cast<std::size_t>(pv_.building_idx[f])] -= pv_.kwp[f];
    pv_.usable_area_m2[f] = 0.0;
    pv_.kwp[f] = 0.0;
  }
  for (double& kwp : building_kwp_) kwp = std::max(kwp, 0.0);
}

void SolarModel::declare(sim::StateLayout& layout) {
  // dimensions: every building, every roof face, the city
  std::vector<std::int64_t> face_ids;
  face_ids.reserve(static_cast<std::size_t>(samples_.n_faces()));
  for (const std::int32_t s : samples_.face_surface_idx) {
    face_ids.push_back(city_->surfaces.surface_id[static_cast<std::size_t>(s)]);
  }
  layout.add_dim({"solar", "building", city_->buildings.building_id, "building id"});
  layout.add_dim({"solar", "roof_face", std::move(face_ids), "roof surface id"});
  layout.add_dim({"solar", "total", {0}, "the whole city"});

  using sim::Output;
  const auto col = [&](const char* name, const char* dim, const char* units, const char* long_name,
                       Output output) {
    return layout.add<double>({"solar", name, {}, dim, 0, units, long_name, output});
  };
  Columns& c = columns_;
  c.ac_power_kw = col("ac_power_kw", "building", "kW", "AC output of the building's rooftop PV", Output::kSeries);
  c.building_kwp = col("building_kwp", "building", "kW", "installed PV power (STC) of the building", Output::kSnapshot);
  c.building_yield_kwh = col("building_yield_kwh", "building", "kWh", "AC energy of the building over the run", Output::kSnapshot);
  c.face_building_id = layout.add<std::int64_t>({"solar", "building_id", {}, "roof_face", 0, "1", "building the roof face belongs to", Output::kSnapshot});
  c.area_m2 = col("area_m2", "roof_face", "m2", "sloped area of the roof face", Output::kSnapshot);
  c.tilt_deg = col("tilt_deg", "roof_face", "degree", "tilt of the roof face from horizontal", Output::kSnapshot);
  c.azimuth_deg = col("azimuth_deg", "roof_face", "degree", "azimuth of the roof face normal, east of north", Output::kSnapshot);
  c.usable_area_m2 = col("usable_area_m2", "roof_face", "m2", "roof area usable for PV after rules and setback", Output::kSnapshot);
  c.kwp = col("kwp", "roof_face", "kW", "installed PV power (STC) on the roof face", Output::kSnapshot);
  c.sky_view_factor = col("sky_view_factor", "roof_face", "1", "sky seen by the face relative to an unobstructed face of the same tilt", Output::kSnapshot);
  c.poa_global_wm2 = col("poa_global_wm2", "roof_face", "W m-2", "shaded plane-of-array irradiance of the module plane this step", Output::kNone);
  c.face_dc_power_kw = col("dc_power_kw", "roof_face", "kW", "DC power after system losses this step", Output::kNone);
  c.annual_irradiation_kwh_m2 = col("annual_irradiation_kwh_m2", "roof_face", "kWh m-2", "module-plane irradiation over the simulated period", Output::kSnapshot);
  c.annual_yield_kwh = col("annual_yield_kwh", "roof_face", "kWh", "AC energy of the face (share of its building's inverter) over the simulated period", Output::kSnapshot);
  c.specific_yield_kwh_per_kwp = col("specific_yield_kwh_per_kwp", "roof_face", "kWh kW-1", "AC energy per installed kWp over the simulated period", Output::kSnapshot);
  c.potential_class = layout.add<std::int32_t>({"solar", "potential_class", {}, "roof_face", 0, "1", "solar potential class from the annualised irradiation: 0 unsuitable, 1 low, 2 good, 3 very good", Output::kSnapshot});
  c.total_ac_power_kw = col("total_ac_power_kw", "total", "kW", "AC output of all rooftop PV", Output::kSeries);
  c.total_dc_power_kw = col("total_dc_power_kw", "total", "kW", "DC output after system losses of all rooftop PV", Output::kSeries);
  c.ghi_wm2 = col("ghi_wm2", "total", "W m-2", "global horizontal irradiance of the weather", Output::kSeries);
  c.poa_mean_wm2 = col("poa_mean_wm2", "total", "W m-2", "area-weighted mean shaded plane-of-array irradiance of all roof faces", Output::kSeries);
  c.energy_kwh = col("energy_kwh", "total", "kWh", "AC energy of all rooftop PV over the run", Output::kSnapshot);
  c.simulated_h = col("simulated_h", "total", "h", "time simulated so far", Output::kSnapshot);
}

void SolarModel::init(const sim::StepContext& /*ctx*/, sim::StateWriter& state) const {
  // static attributes of buildings and faces
  const auto kwp_b = state.get(columns_.building_kwp);
  std::copy(building_kwp_.begin(), building_kwp_.end(), kwp_b.begin());
  const auto building_id = state.get(columns_.face_building_id);
  const auto area = state.get(columns_.area_m2);
  const auto tilt = state.get(columns_.tilt_deg);
  const auto azimuth = state.get(columns_.azimuth_deg);
  const auto usable = state.get(columns_.usable_area_m2);
  const auto kwp = state.get(columns_.kwp);
  const auto svf = state.get(columns_.sky_view_factor);
  for (std::size_t f = 0; f < static_cast<std::size_t>(samples_.n_faces()); ++f) {
    building_id[f] = city_->buildings.building_id[static_cast<std::size_t>(pv_.building_idx[f])];
    area[f] = samples_.face_area_m2[f];
    tilt[f] = samples_.face_tilt_deg[f];
    azimuth[f] = samples_.face_azimuth_deg[f];
    usable[f] = pv_.usable_area_m2[f];
    kwp[f] = pv_.kwp[f];
    svf[f] = pv_.sky_view_factor[f];
  }
}

void SolarModel::step(const sim::StepContext& ctx, const sim::State& now, sim::StateWriter& next) const {
  const std::int64_t s = ctx.tick / period_ticks_;
  CITYTWIN_CHECK(s >= 0 && s < inputs_.size(), "solar: step " + std::to_string(s) + " outside the precomputed run");
  const Columns& c = columns_;
  const double step_h = ctx.step_h();
  const std::int64_t n_faces = samples_.n_faces();
  const std::int64_t n_buildings = city_->buildings.size();

  // the step's sun and weather; missing or inconsistent weather gives no power
  const StepWeather w = step_weather(inputs_, s);
  StepLight light = step_light(w, config_.sky_model);
  if (light == StepLight::kMissing) {
    ctx.diagnostics->warn("solar", "ghi_wm2", 0, ctx.tick,
                          "weather value missing (NaN) at the middle of the step: the step produces no power");
  } else if (light == StepLight::kInconsistent) {
    ctx.diagnostics->warn("solar", "ghi_wm2", 0, ctx.tick,
                          "GHI without DNI and DHI: the Perez sky is undefined, the step produces no power");
  }
  const bool lit = light == StepLight::kLit;

  // exact mode: one ray per sample toward the sun
  std::vector<double> exact_frac;
  if (lit && config_.shading == ShadingMode::kExact && n_faces > 0) {
    exact_frac.assign(static_cast<std::size_t>(n_faces), 0.0);
    exact_sun_visibility(*scene_, samples_, w.elevation_deg, w.azimuth_deg, exact_frac);
  }

  // columns of this step
  const double simulated_h = now.get(c.simulated_h)[0] + step_h;
  const auto irr_now = now.get(c.annual_irradiation_kwh_m2);
  const auto poa = next.get(c.poa_global_wm2);
  const auto dc_kw = next.get(c.face_dc_power_kw);
  const auto irr = next.get(c.annual_irradiation_kwh_m2);
  const auto potential = next.get(c.potential_class);
  const auto ac_kw = next.get(c.ac_power_kw);
  const auto yield_b_now = now.get(c.building_yield_kwh);
  const auto yield_b = next.get(c.building_yield_kwh);
  const auto yield_f_now = now.get(c.annual_yield_kwh);
  const auto yield_f = next.get(c.annual_yield_kwh);
  const auto specific = next.get(c.specific_yield_kwh_per_kwp);
  const double annualise = kHoursPerYear / simulated_h;
  const auto& edges = config_.potential_thresholds_kwh_m2;
  const double dc_ac_ratio = config_.dc_ac_ratio;
  const double eta = config_.eta_inv_nom_frac;

  // per chunk of buildings, the faces of each building, then its inverter; every chunk keeps
  // its partial totals, added in chunk order below (thread-count independent, STYLE.md §8).
  // One loop and one barrier per step: few synchronisations on busy machines.
  const std::int64_t n_chunks = (n_buildings + kStepChunkBuildings - 1) / kStepChunkBuildings;
  std::vector<double> ac_chunk(static_cast<std::size_t>(n_chunks), 0.0);
  std::vector<double> dc_chunk(static_cast<std::size_t>(n_chunks), 0.0);
  std::vector<double> poa_chunk(static_cast<std::size_t>(n_chunks), 0.0);
#pragma omp parallel for schedule(static) if (lit && n_faces >= kParallelMinFaces)
  for (std::int64_t k = 0; k < n_chunks; ++k) {
    double ac_sum_kw = 0.0;
    double dc_sum_kw = 0.0;
    double poa_area_w = 0.0;
    for (std::int64_t b = k * kStepChunkBuildings; b < std::min(n_buildings, (k + 1) * kStepChunkBuildings); ++b) {
      const auto bi = static_cast<std::size_t>(b);
      const auto first = static_cast<std::size_t>(building_face_begin_[bi]);
      const auto last = static_cast<std::size_t>(building_face_begin_[bi + 1]);

      // each face: shaded POA, cell temperature, DC after losses, irradiation, potential class
      double dc_b_kw = 0.0;
      for (std::size_t n = first; n < last; ++n) {
        const auto i = static_cast<std::size_t>(building_face_[n]);
        double global_wm2 = 0.0;
        double dc_w = 0.0;
        if (lit) {
          const double sun = config_.shading == ShadingMode::kBinned
                                 ? interpolate_sun_visibility(tables_, static_cast<std::int64_t>(i), w.elevation_deg, w.azimuth_deg)
                                 : (config_.shading == ShadingMode::kExact ? exact_frac[i] : 1.0);
          const FacePoa p = face_poa(w, pv_.module_tilt_deg[i], pv_.module_azimuth_deg[i], sun,
                                     pv_.sky_view_factor[i], pv_.horizon_visibility_frac[i],
                                     pv_.ground_factor[i], config_.sky_model);
          global_wm2 = p.global_wm2;
          if (pv_.kwp[i] > 0.0) {
            const double temp_cell_c =
                config_.temperature_model == TemperatureModel::kSapm
                    ? sapm_cell_temperature(p.global_wm2, w.temp_air_c, w.wind_speed_mps, pv_.sapm_a[i],
                                            pv_.sapm_b_s_per_m[i], pv_.sapm_delta_t_c[i])
                    : faiman_cell_temperature(p.global_wm2, w.temp_air_c, w.wind_speed_mps,
                                              config_.faiman_u0_w_m2k, config_.faiman_u1_w_s_m3k);
            dc_w = pvwatts_dc(p.effective_wm2, temp_cell_c, pv_.kwp[i] * 1000.0, config_.gamma_pdc_per_c) *
                   (1.0 - config_.system_losses_frac);
          }
          if (!std::isfinite(global_wm2) || !std::isfinite(dc_w)) {
            ctx.diagnostics->warn("solar", "poa_global_wm2",
                                  city_->surfaces.surface_id[static_cast<std::size_t>(samples_.face_surface_idx[i])],
                                  ctx.tick, "non-finite plane-of-array irradiance or DC power: set to 0");
            global_wm2 = 0.0;
            dc_w = 0.0;
          }
        }
        poa[i] = global_wm2;
        dc_kw[i] = dc_w / 1000.0;
        irr[i] = irr_now[i] + global_wm2 * step_h / 1000.0;
        const double annual_kwh_m2 = irr[i] * annualise;
        potential[i] = annual_kwh_m2 >= edges[2] ? 3 : annual_kwh_m2 >= edges[1] ? 2 : annual_kwh_m2 >= edges[0] ? 1 : 0;
        dc_b_kw += dc_kw[i];
        poa_area_w += global_wm2 * samples_.face_area_m2[i];
      }

      // one inverter on the summed DC, its AC shared among the faces by their DC
      const double kwp_b = building_kwp_[bi];
      const double ac_b_kw = kwp_b > 0.0 && dc_b_kw > 0.0
                                 ? pvwatts_inverter(dc_b_kw * 1000.0, kwp_b * 1000.0 / dc_ac_ratio / eta, eta) / 1000.0
                                 : 0.0;
      ac_kw[bi] = ac_b_kw;
      yield_b[bi] = yield_b_now[bi] + ac_b_kw * step_h;
      for (std::size_t n = first; n < last; ++n) {
        const auto f = static_cast<std::size_t>(building_face_[n]);
        const double share = dc_b_kw > 0.0 ? dc_kw[f] / dc_b_kw : 0.0;
        yield_f[f] = yield_f_now[f] + ac_b_kw * share * step_h;
        specific[f] = pv_.kwp[f] > 0.0 ? yield_f[f] / pv_.kwp[f] : 0.0;
      }
      ac_sum_kw += ac_b_kw;
      dc_sum_kw += dc_b_kw;
    }
    ac_chunk[static_cast<std::size_t>(k)] = ac_sum_kw;
    dc_chunk[static_cast<std::size_t>(k)] = dc_sum_kw;
    poa_chunk[static_cast<std::size_t>(k)] = poa_area_w;
  }

  // city totals, chunks added in order
  double total_ac_kw = 0.0;
  for (const double v : ac_chunk) total_ac_kw += v;
  double total_dc_kw = 0.0;
  for (const double v : dc_chunk) total_dc_kw += v;
  double poa_area_w = 0.0;
  for (const double v : poa_chunk) poa_area_w += v;
  next.get(c.total_ac_power_kw)[0] = total_ac_kw;
  next.get(c.total_dc_power_kw)[0] = total_dc_kw;
  next.get(c.ghi_wm2)[0] = std::isfinite(w.ghi_wm2) ? w.ghi_wm2 : 0.0;
  next.get(c.poa_mean_wm2)[0] = roof_area_m2_ > 0.0 ? poa_area_w / roof_area_m2_ : 0.0;
  next.get(c.energy_kwh)[0] = now.get(c.energy_kwh)[0] + total_ac_kw * step_h;
  next.get(c.simulated_h)[0] = simulated_h;
}

void SolarModel::kpis(const sim::State& state, std::vector<sim::Kpi>& out) const {
  // sums in face and building order
  double total_kwp = 0.0;
  for (const double kwp : building_kwp_) total_kwp += kwp;
  double usable_m2 = 0.0;
  double area_m2 = 0.0;
  double svf_area_m2 = 0.0;
  std::int64_t n_potential = 0;
  const auto potential = state.get(columns_.potential_class);
  for (std::size_t f = 0; f < static_cast<std::size_t>(samples_.n_faces()); ++f) {
    usable_m2 += pv_.usable_area_m2[f];
    area_m2 += samples_.face_area_m2[f];
    svf_area_m2 += pv_.sky_view_factor[f] * samples_.face_area_m2[f];
    if (pv_.kwp[f] > 0.0 && potential[f] >= 2) ++n_potential;
  }
  const double energy_kwh = state.get(columns_.energy_kwh)[0];
  const double simulated_h = state.get(columns_.simulated_h)[0];
  const std::string period = "over the simulated " + std::to_string(std::llround(simulated_h)) + " h" +
                             (simulated_h < kHoursPerYear ? " (shorter than a year)" : "");
  const double specific = total_kwp > 0.0 ? energy_kwh / total_kwp : 0.0;
  out.push_back({"total_kwp", total_kwp, "kW", "installed rooftop PV power (STC)"});
  out.push_back({"annual_yield_kwh", energy_kwh, "kWh", "AC energy of all rooftop PV " + period});
  out.push_back({"specific_yield_kwh_per_kwp", specific, "kWh kW-1", "AC energy per installed kWp " + period});
  out.push_back({"annualised_specific_yield_kwh_per_kwp", simulated_h > 0.0 ? specific * kHoursPerYear / simulated_h : 0.0,
                 "kWh kW-1", "specific yield scaled to 8760 h (biased by the season when shorter than a year)"});
  out.push_back({"usable_roof_area_m2", usable_m2, "m2", "roof area usable for PV after rules and setback"});
  out.push_back({"roof_faces_with_potential", static_cast<double>(n_potential), "1",
                 "roof faces with PV and potential class >= 2 (good)"});
  out.push_back({"mean_sky_view_factor", area_m2 > 0.0 ? svf_area_m2 / area_m2 : 0.0, "1",
                 "area-weighted mean sky view factor of the roof faces"});
}

// ---------------------------------------------------------------------------------------------
// the factory

std::unique_ptr<sim::Model> SolarModel::from_config(const sim::ModelContext& ctx) {
  sim::ConfigReader& r = *ctx.config;
  const std::size_t n_errors_before = r.diagnostics().errors().size();
  SolarConfig config = read_solar_config(ctx);
  if (r.diagnostics().errors().size() != n_errors_before) return nullptr;
  CITYTWIN_CHECK(ctx.city != nullptr && ctx.clock != nullptr, "solar: the model context lacks the city or the clock");
  const sim::City& city = *ctx.city;
  const sim::Clock& clock = *ctx.clock;

  // the run's steps, and a year of hours for the irradiation rule
  const std::int64_t step_s = config.period_s;
  const std::int64_t period_ticks = step_s / clock.dt_s();
  const std::int64_t n_steps = (clock.n_ticks() + period_ticks - 1) / period_ticks;
  const bool prepass = config.min_annual_irradiation_kwh_m2.has_value();
  const std::int64_t n_annual = kYearS / 3600;
  const double altitude_m = city_altitude_m(city);

  // the weather series
  WeatherSeries weather;
  if (config.weather == "clear-sky") {
    ClearSkySeriesOptions options;
    options.linke_turbidity = config.linke_turbidity;
    options.temp_air_c = config.clear_sky_temp_air_c;
    options.wind_speed_mps = config.clear_sky_wind_speed_mps;
    std::int64_t span_s = std::max<std::int64_t>(n_steps, 1) * step_s;
    if (prepass) span_s = std::max(span_s, (kYearS + step_s - 1) / step_s * step_s);
    weather = clear_sky_series(clock.start_utc_s(), clock.start_utc_s() + span_s, step_s,
                               city.origin_lat_deg, city.origin_lon_deg, altitude_m, options);
  } else {
    WeatherReadOptions options;
    options.time_zone_policy = time_zone_policy_from_name(config.time_zone_policy);
    options.utc_offset_h = config.weather_utc_offset_h;
    try {
      weather = read_weather(config.weather, options);
    } catch (const InputError& e) {
      r.error("weather", "names '" + config.weather + "', which cannot be used: " + e.first().format());
      for (std::size_t i = 1; i < e.issues().size(); ++i) r.diagnostics().error(e.issues()[i]);
      return nullptr;
    }
    const double km = distance_km(weather.latitude_deg, weather.longitude_deg, city.origin_lat_deg, city.origin_lon_deg);
    if (km > kMaxStationDistanceKm) {
      r.error("weather", "station '" + weather.station_name + "' lies " + std::to_string(std::llround(km)) +
                             " km from the city (more than " + std::to_string(std::llround(kMaxStationDistanceKm)) +
                             " km): use a weather file of the city's region or \"clear-sky\"");
      return nullptr;
    }
  }

  // the sun and weather of every step
  SolarStepInputs inputs;
  std::optional<SolarStepInputs> annual;
  try {
    inputs = build_step_inputs(weather, city.origin_lat_deg, city.origin_lon_deg, altitude_m, clock.start_utc_s(),
                               step_s, n_steps, config.weather_interpolation, config.albedo_frac);
    if (prepass) {
      annual = build_step_inputs(weather, city.origin_lat_deg, city.origin_lon_deg, altitude_m, clock.start_utc_s(),
                                 3600, n_annual, config.weather_interpolation, config.albedo_frac);
    }
  } catch (const std::invalid_argument& e) {
    r.error("weather", std::string("does not cover the run: ") + e.what() +
                           "; use a typical-year file (mapped onto any year) or one that spans time.start to the end");
    return nullptr;
  }

  // the geometry precompute; bad geometry names its building
  try {
    return std::make_unique<SolarModel>(std::move(config), city, clock.start_utc_s(), clock.dt_s(),
                                        std::move(inputs), annual ? &*annual : nullptr);
  } catch (const InputError& e) {
    for (const InputIssue& issue : e.issues()) r.diagnostics().error(issue);
    return nullptr;
  }
}

}  // namespace citytwin::solar
