#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <citytwin/sim/model.hpp>
#include <citytwin/sim/model_registry.hpp>
#include <citytwin/sim/state.hpp>
#include <citytwin/solar/irradiance.hpp>
#include <citytwin/solar/pv_chain.hpp>
#include <citytwin/solar/readers/weather.hpp>
#include <citytwin/solar/roof_samples.hpp>
#include <citytwin/solar/shading.hpp>

namespace citytwin::solar {

/// How the roofs are shaded by the 3D city (docs/models/solar.md#model).
enum class ShadingMode : std::uint8_t {
  kBinned = 0,  ///< "binned": visibility tables on a sun grid, interpolated each step
  kExact = 1,   ///< "exact": one ray per sample toward the sun, every step
  kNone = 2,    ///< "none": no obstruction (sky view factor 1)
};

/// The cell temperature model.
enum class TemperatureModel : std::uint8_t {
  kSapm = 0,    ///< "sapm": King et al. (2004) with a mounting preset
  kFaiman = 1,  ///< "faiman": Faiman (2008)
};

/// How the weather of a step is taken from the rows of the weather series.
enum class WeatherInterpolation : std::uint8_t {
  kStep = 0,    ///< "step": the row whose interval holds the middle of the model step
  kLinear = 1,  ///< "linear": linear between the middles of the two nearest rows
};

/// Settings of [models.solar]; the defaults here are the documented defaults
/// (docs/models/solar.md#scenario-keys).
struct SolarConfig {
  std::string weather = "clear-sky";  ///< "clear-sky" or an .epw / TMY3 .csv path (resolved)
  std::string weather_written = "clear-sky";  ///< `weather` as written (for messages)
  double linke_turbidity = 3.0;       ///< [1] Linke turbidity of the clear sky
  double clear_sky_temp_air_c = 20.0;     ///< [degC] air temperature with the clear sky
  double clear_sky_wind_speed_mps = 1.0;  ///< [m/s] wind speed with the clear sky
  std::optional<double> weather_utc_offset_h;  ///< [h] clock of the weather file, overrides its header
  std::string time_zone_policy = "error";      ///< "error", "detect" or "declared"
  WeatherInterpolation weather_interpolation = WeatherInterpolation::kStep;  ///< row selection
  SkyModel sky_model = SkyModel::kPerez;       ///< sky diffuse model
  std::optional<double> albedo_frac;  ///< [0..1] ground albedo; unset: the file's, else 0.2
  double sample_spacing_m = 1.0;      ///< [m] roof sample grid step
  double sun_elevation_step_deg = 2.0;  ///< [deg] sun-grid step of the binned shading
  double sun_azimuth_step_deg = 3.0;    ///< [deg] sun-grid step of the binned shading
  std::int32_t sky_patch_subdivision = 2;  ///< [1] m x m rays per Tregenza patch and sample
  ShadingMode shading = ShadingMode::kBinned;  ///< shading mode
  double module_efficiency_frac = 0.20;  ///< [0..1] STC efficiency: kWp per m2 of module
  std::optional<double> kwp_per_m2;       ///< [kW m-2] replaces module_efficiency_frac if set
  double gamma_pdc_per_c = -0.0037;       ///< [1/degC] power temperature coefficient
  TemperatureModel temperature_model = TemperatureModel::kSapm;  ///< cell temperature model
  std::string mounting = "auto";          ///< SAPM preset; "auto": racks on flat, close on pitched
  double faiman_u0_w_m2k = 25.0;          ///< [W m-2 K-1] Faiman u0
  double faiman_u1_w_s_m3k = 6.84;        ///< [W s m-3 K-1] Faiman u1
  double system_losses_frac = 0.14;       ///< [0..1] DC losses before the inverter (PVWatts)
  double dc_ac_ratio = 1.2;               ///< [1] array kWp per inverter kW AC
  double eta_inv_nom_frac = 0.96;         ///< [0..1] nominal inverter efficiency
  double min_face_area_m2 = 10.0;         ///< [m2] smaller roof faces get no PV
  double max_tilt_deg = 60.0;             ///< [deg] steeper roof faces get no PV
  std::optional<double> min_annual_irradiation_kwh_m2;  ///< [kWh m-2] faces below get no PV
  double setback_m = 0.5;                 ///< [m] edge setback: usable = area - perimeter x setback
  double flat_packing_frac = 0.7;         ///< [0..1] module per usable area, racks on flat roofs
  double pitched_packing_frac = 0.9;      ///< [0..1] module per usable area, pitched roofs
  double flat_module_tilt_deg = 15.0;     ///< [deg] rack tilt on flat roofs (0 = lying flat)
  double flat_module_azimuth_deg = 180.0;  ///< [deg] rack azimuth on flat roofs, east of north
  bool exclude_north_facing = true;       ///< pitched faces within the north window get no PV
  double north_window_deg = 90.0;         ///< [deg] full width of the window centred on north
  std::vector<double> potential_thresholds_kwh_m2{800.0, 1000.0, 1200.0};  ///< class edges
  std::int64_t period_s = 3600;           ///< [s] model step, a whole multiple of time.dt_s
};

/// Reads and validates [models.solar] (every problem goes to the reader's Diagnostics with
/// file:line and key path; unknown keys are reported by the caller's finish()). Paths resolve
/// against ctx.data_dir ("${data}/...") and ctx.scenario_dir. Not thread-safe (load time).
[[nodiscard]] SolarConfig read_solar_config(const sim::ModelContext& ctx);

/// Immutable per-step inputs of the model: the sun and the weather at the middle of each model
/// step of the run (n_steps entries each).
struct SolarStepInputs {
  std::vector<double> apparent_zenith_deg;  ///< [deg] sun, refraction included
  std::vector<double> azimuth_deg;          ///< [deg] sun, east of north
  std::vector<double> dni_extra_wm2;        ///< [W m-2] extraterrestrial normal irradiance
  std::vector<double> airmass;              ///< [1] relative airmass (NaN at night)
  std::vector<double> ghi_wm2;              ///< [W m-2]
  std::vector<double> dni_wm2;              ///< [W m-2]
  std::vector<double> dhi_wm2;              ///< [W m-2]
  std::vector<double> temp_air_c;           ///< [degC]
  std::vector<double> wind_speed_mps;       ///< [m s-1]
  std::vector<double> albedo_frac;          ///< [0..1]
  [[nodiscard]] std::int64_t size() const { return static_cast<std::int64_t>(ghi_wm2.size()); }
};

/// Per roof face, the PV system the model places on it (all n_faces long, face order of
/// RoofSamples: the city's roof surfaces in surface order).
struct RoofPv {
  std::vector<std::int32_t> building_idx;    ///< owning building
  std::vector<double> perimeter_m;           ///< [m] outer ring plus holes
  std::vector<double> usable_area_m2;        ///< [m2] after the rules and the setback
  std::vector<double> kwp;                   ///< [kW] STC power of the modules placed
  std::vector<double> module_tilt_deg;       ///< [deg] module plane (racks on flat roofs)
  std::vector<double> module_azimuth_deg;    ///< [deg] module plane, east of north
  std::vector<double> sapm_a;                ///< [1] SAPM a of the face's mounting
  std::vector<double> sapm_b_s_per_m;        ///< [s m-1] SAPM b
  std::vector<double> sapm_delta_t_c;        ///< [degC] SAPM deltaT
  std::vector<double> sky_view_factor;       ///< [0..1] svf of the shading tables (1 unshaded)
  std::vector<double> horizon_visibility_frac;  ///< [0..1] lowest sky band seen
  std::vector<double> ground_factor;         ///< [1] ground-reflected multiplier
};

/// Builds the sun and the weather at the middle of `n_steps` steps of `step_s` seconds from
/// `start_utc_s` (Unix seconds) for a city at (latitude_deg, longitude_deg, altitude_m). The
/// sun comes from solar_position() at the step middle (pressure altitude_to_pressure_pa(
/// altitude_m)); the weather from the row of `weather` whose interval holds the step middle
/// (or linear between row middles). A typical year (weather.typical_year) is mapped onto the
/// calendar years of the run by map_to_year(); a 29 February missing from it takes 28 February.
/// `albedo_frac` replaces the rows' albedo; rows without one take 0.2. Throws
/// std::invalid_argument naming the instant when a real-year series does not cover a step.
[[nodiscard]] SolarStepInputs build_step_inputs(const WeatherSeries& weather, double latitude_deg,
                                                double longitude_deg, double altitude_m,
                                                std::int64_t start_utc_s, std::int64_t step_s,
                                                std::int64_t n_steps,
                                                WeatherInterpolation interpolation,
                                                std::optional<double> albedo_frac);

/// The rooftop-PV model `solar` (docs/models/solar.md#model): the hourly yield of every roof
/// face of the city, shaded by its 3D neighbourhood, summed per building into `ac_power_kw`
/// (the column the energy model reads). The factory precomputes everything immutable: roof
/// faces and their PV systems, the city mesh, roof samples and shading tables (OpenMP), the
/// sun and the weather of every step. step() is const and thread-safe to call for distinct
/// states; it runs OpenMP loops over faces and buildings.
class SolarModel : public sim::Model {
 public:
  /// The registry factory: reads the config, the weather and the geometry, precomputes the
  /// tables. Returns nullptr (problems recorded in ctx.config) when the input is bad.
  static std::unique_ptr<sim::Model> from_config(const sim::ModelContext& ctx);

  /// Builds the model from a validated config for `city` (must outlive the model): roof faces,
  /// mesh, samples, shading tables (OpenMP) and PV systems. `inputs` holds the sun and weather
  /// of each model step of the run (step k covers [start_utc_s + k period_s, + period_s));
  /// `annual_inputs` one year of hourly steps, used only by min_annual_irradiation_kwh_m2.
  /// Throws std::invalid_argument on inconsistent arguments, citytwin::InputError on geometry
  /// that cannot be triangulated.
  SolarModel(SolarConfig config, const sim::City& city, std::int64_t start_utc_s,
             std::int32_t dt_s, SolarStepInputs inputs,
             const SolarStepInputs* annual_inputs = nullptr);
  ~SolarModel() override;
  SolarModel(const SolarModel&) = delete;
  SolarModel& operator=(const SolarModel&) = delete;
  SolarModel(SolarModel&&) = delete;
  SolarModel& operator=(SolarModel&&) = delete;

  [[nodiscard]] std::string_view name() const override { return "solar"; }
  [[nodiscard]] int period_ticks() const override { return period_ticks_; }
  void declare(sim::StateLayout& layout) override;
  void init(const sim::StepContext& ctx, sim::StateWriter& state) const override;
  void step(const sim::StepContext& ctx, const sim::State& now,
            sim::StateWriter& next) const override;
  void kpis(const sim::State& state, std::vector<sim::Kpi>& out) const override;

  /// The validated configuration.
  [[nodiscard]] const SolarConfig& config() const { return config_; }
  /// The roof faces (geometry and samples).
  [[nodiscard]] const RoofSamples& samples() const { return samples_; }
  /// The PV system of each face.
  [[nodiscard]] const RoofPv& pv() const { return pv_; }
  /// The sun and weather of every step.
  [[nodiscard]] const SolarStepInputs& inputs() const { return inputs_; }
  /// The shading tables (empty for shading = "none").
  [[nodiscard]] const ShadingTables& shading_tables() const { return tables_; }
  /// Timings and sizes of the precompute (benchmarks, reports).
  struct PrecomputeStats {
    double mesh_s = 0.0;          ///< [s] wall-clock time of build_mesh and the Embree scene
    double samples_s = 0.0;       ///< [s] wall-clock time of sample_roofs
    double shading_s = 0.0;       ///< [s] wall-clock time of compute_shading
    double prepass_s = 0.0;       ///< [s] wall-clock time of the annual-irradiation pre-pass
    std::int64_t n_triangles = 0;  ///< [1] triangles of the city mesh
  };
  /// Returns the precompute timings and sizes.
  [[nodiscard]] const PrecomputeStats& precompute_stats() const { return stats_; }

  /// The solar columns of State (valid after declare()).
  struct Columns {
    sim::Column<double> ac_power_kw;         ///< (building) [kW] AC output, series: the coupling
    sim::Column<double> building_kwp;        ///< (building) [kW] installed STC power, snapshot
    sim::Column<double> building_yield_kwh;  ///< (building) [kWh] AC energy so far, snapshot
    sim::Column<std::int64_t> face_building_id;  ///< (roof_face) owning building id, snapshot
    sim::Column<double> area_m2;             ///< (roof_face) [m2] sloped area, snapshot
    sim::Column<double> tilt_deg;            ///< (roof_face) [deg] roof tilt, snapshot
    sim::Column<double> azimuth_deg;         ///< (roof_face) [deg] roof azimuth, snapshot
    sim::Column<double> usable_area_m2;      ///< (roof_face) [m2] usable area, snapshot
    sim::Column<double> kwp;                 ///< (roof_face) [kW] installed STC power, snapshot
    sim::Column<double> sky_view_factor;     ///< (roof_face) [1] svf, snapshot
    sim::Column<double> poa_global_wm2;      ///< (roof_face) [W m-2] shaded POA this step
    sim::Column<double> face_dc_power_kw;    ///< (roof_face) [kW] DC after losses this step
    sim::Column<double> annual_irradiation_kwh_m2;  ///< (roof_face) [kWh m-2] so far, snapshot
    sim::Column<double> annual_yield_kwh;    ///< (roof_face) [kWh] AC share so far, snapshot
    sim::Column<double> specific_yield_kwh_per_kwp;  ///< (roof_face) [kWh/kWp] so far, snapshot
    sim::Column<std::int32_t> potential_class;  ///< (roof_face) [1] 0..3 annualised, snapshot
    sim::Column<double> total_ac_power_kw;   ///< (total) [kW] city AC output, series
    sim::Column<double> total_dc_power_kw;   ///< (total) [kW] city DC after losses, series
    sim::Column<double> ghi_wm2;             ///< (total) [W m-2] weather GHI of the step, series
    sim::Column<double> poa_mean_wm2;        ///< (total) [W m-2] area-mean shaded POA, series
    sim::Column<double> energy_kwh;          ///< (total) [kWh] city AC energy so far, snapshot
    sim::Column<double> simulated_h;         ///< (total) [h] time simulated so far, snapshot
  };
  /// Returns the column handles (valid after declare()).
  [[nodiscard]] const Columns& columns() const { return columns_; }

 private:
  void build_pv();
  void annual_prepass(const SolarStepInputs& annual);

  SolarConfig config_;
  const sim::City* city_;
  std::int64_t start_utc_s_;
  int period_ticks_ = 1;
  SolarStepInputs inputs_;
  RoofSamples samples_;
  std::unique_ptr<RayScene> scene_;  // exact mode only
  ShadingTables tables_;
  RoofPv pv_;
  std::vector<std::int64_t> building_face_begin_;  // n_buildings + 1 offsets into building_face_
  std::vector<std::int32_t> building_face_;        // face indices grouped by building
  std::vector<double> building_kwp_;               // [kW] per building
  double roof_area_m2_ = 0.0;                      // [m2] all roof faces, for the mean POA
  PrecomputeStats stats_;
  Columns columns_;
};

}  // namespace citytwin::solar
