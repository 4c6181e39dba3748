#include <citytwin/solar/solar_model.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <citytwin/io/scenario.hpp>
#include <citytwin/io/simulation.hpp>
#include <citytwin/sim/city.hpp>
#include <citytwin/sim/clock.hpp>
#include <citytwin/sim/config_reader.hpp>
#include <citytwin/sim/diagnostics.hpp>
#include <citytwin/sim/engine.hpp>
#include <citytwin/solar/clear_sky.hpp>
#include <citytwin/solar/irradiance.hpp>
#include <citytwin/solar/pv_chain.hpp>
#include <citytwin/solar/register.hpp>
#include <citytwin/solar/solar_position.hpp>

#include "sim_test.hpp"
#include "test_data.hpp"

namespace citytwin::solar {
namespace {

constexpr double kLatDeg = 45.764;  // Lyon, as the generated city
constexpr double kLonDeg = 4.8357;

// a flat-roofed box: x0, y0, width (x), depth (y), height
struct Box {
  double x0_m, y0_m, w_m, d_m, h_m;
};

// appends one planar surface given its outer ring (counter-clockwise seen from outside)
void add_surface(sim::City& city, std::int32_t building_idx, sim::SurfaceType type,
                 const std::vector<std::array<double, 3>>& ring, double area_m2, double tilt_deg,
                 double azimuth_deg) {
  sim::Surfaces& s = city.surfaces;
  s.surface_id.push_back(static_cast<std::int64_t>(s.surface_id.size()) + 1);
  s.building_idx.push_back(building_idx);
  s.type.push_back(type);
  s.area_m2.push_back(area_m2);
  s.tilt_deg.push_back(tilt_deg);
  s.azimuth_deg.push_back(azimuth_deg);
  for (const auto& p : ring) {
    s.vertex_x_m.push_back(p[0]);
    s.vertex_y_m.push_back(p[1]);
    s.vertex_z_m.push_back(p[2]);
  }
  s.vertex_begin.push_back(static_cast<std::int64_t>(s.vertex_x_m.size()));
  s.ring_begin.push_back(static_cast<std::int64_t>(s.vertex_begin.size()) - 1);
}

// a city of flat-roofed boxes on flat ground at (kLatDeg, kLonDeg)
sim::City box_city(const std::vector<Box>& boxes) {
  sim::City city;
  city.name = "boxes";
  city.crs = "+proj=tmerc +lat_0=45.764 +lon_0=4.8357 +k=1 +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs";
  city.origin_lat_deg = kLatDeg;
  city.origin_lon_deg = kLonDeg;
  sim::Buildings& b = city.buildings;
  for (std::size_t i = 0; i < boxes.size(); ++i) {
    const Box& x = boxes[i];
    const auto idx = static_cast<std::int32_t>(i);
    const double x1 = x.x0_m + x.w_m;
    const double y1 = x.y0_m + x.d_m;
    b.building_id.push_back(static_cast<std::int64_t>(100 + i));
    b.height_m.push_back(x.h_m);
    b.eaves_height_m.push_back(x.h_m);
    b.ground_elevation_m.push_back(0.0);
    b.footprint_area_m2.push_back(x.w_m * x.d_m);
    b.floor_area_m2.push_back(x.w_m * x.d_m);
    b.n_floors.push_back(1);
    b.residents.push_back(0);
    b.jobs.push_back(0);
    b.use.push_back(sim::BuildingUse::kOffice);
    b.roof_shape.push_back(sim::RoofShape::kFlat);
    b.roof_pitch_deg.push_back(0.0);
    b.centroid_x_m.push_back(x.x0_m + x.w_m / 2);
    b.centroid_y_m.push_back(x.y0_m + x.d_m / 2);
    b.block_idx.push_back(-1);
    b.zone_idx.push_back(-1);
    for (const auto& [px, py] : std::vector<std::pair<double, double>>{{x.x0_m, x.y0_m}, {x1, x.y0_m}, {x1, y1}, {x.x0_m, y1}}) {
      b.vertex_x_m.push_back(px);
      b.vertex_y_m.push_back(py);
    }
    b.vertex_begin.push_back(static_cast<std::int64_t>(b.vertex_x_m.size()));
    b.ring_begin.push_back(static_cast<std::int64_t>(b.vertex_begin.size()) - 1);

    // roof up, ground down, four walls out
    add_surface(city, idx, sim::SurfaceType::kRoof,
                {{x.x0_m, x.y0_m, x.h_m}, {x1, x.y0_m, x.h_m}, {x1, y1, x.h_m}, {x.x0_m, y1, x.h_m}},
                x.w_m * x.d_m, 0.0, 0.0);
    add_surface(city, idx, sim::SurfaceType::kGround,
                {{x.x0_m, x.y0_m, 0.0}, {x.x0_m, y1, 0.0}, {x1, y1, 0.0}, {x1, x.y0_m, 0.0}},
                x.w_m * x.d_m, 180.0, 0.0);
    const std::array<std::array<double, 2>, 4> c{{{x.x0_m, x.y0_m}, {x1, x.y0_m}, {x1, y1}, {x.x0_m, y1}}};
    const std::array<double, 4> azimuth{180.0, 90.0, 0.0, 270.0};
    for (std::size_t e = 0; e < 4; ++e) {
      const auto& p = c[e];
      const auto& q = c[(e + 1) % 4];
      const double length = std::hypot(q[0] - p[0], q[1] - p[1]);
      add_surface(city, idx, sim::SurfaceType::kWall,
                  {{p[0], p[1], 0.0}, {q[0], q[1], 0.0}, {q[0], q[1], x.h_m}, {p[0], p[1], x.h_m}},
                  length * x.h_m, 90.0, azimuth[e]);
    }
  }
  city.index_ids();
  city.check_consistency();
  return city;
}

// a model on `city` for n_hours hourly steps from start_utc_s under a clear sky
std::unique_ptr<SolarModel> clear_sky_model(const sim::City& city, SolarConfig config,
                                            std::int64_t start_utc_s, std::int64_t n_hours) {
  const WeatherSeries weather =
      clear_sky_series(start_utc_s, start_utc_s + n_hours * 3600, 3600, city.origin_lat_deg,
                       city.origin_lon_deg, 0.0, ClearSkySeriesOptions{});
  SolarStepInputs inputs = build_step_inputs(weather, city.origin_lat_deg, city.origin_lon_deg, 0.0,
                                             start_utc_s, 3600, n_hours, WeatherInterpolation::kStep,
                                             config.albedo_frac);
  return std::make_unique<SolarModel>(std::move(config), city, start_utc_s, 3600, std::move(inputs));
}

// runs the model alone on an engine; returns the engine at the end of the run
std::unique_ptr<sim::Engine> run_engine(const sim::City& city, std::unique_ptr<SolarModel> model,
                                        std::int64_t start_utc_s, std::int64_t n_hours) {
  std::vector<std::unique_ptr<sim::Model>> models;
  models.push_back(std::move(model));
  auto engine = std::make_unique<sim::Engine>(sim::Clock(start_utc_s, 3600, n_hours, "UTC"),
                                              std::move(models), &city, 42);
  while (!engine->done()) engine->step();
  return engine;
}

const SolarModel& solar_of(const sim::Engine& engine) {
  return dynamic_cast<const SolarModel&>(*engine.models().front());
}

constexpr std::int64_t kJune21UtcS = 1718928000;  // 2024-06-21T00:00:00Z
constexpr std::int64_t kMarch20UtcS = 1710892800;  // 2024-03-20T00:00:00Z

TEST(SolarModel, UnshadedFlatRoofMatchesThePhysicsFunctions) {
  // one 20 m x 20 m box: its flat roof sees the whole sky
  const sim::City city = box_city({{0.0, 0.0, 20.0, 20.0, 10.0}});
  SolarConfig config;
  const std::int64_t n_hours = 48;
  auto model = clear_sky_model(city, config, kJune21UtcS, n_hours);
  const SolarModel* solar = model.get();
  ASSERT_EQ(solar->samples().n_faces(), 1);
  // usable (400 m2 - 80 m x 0.5 m) x packing 0.7 x 0.2 kWp/m2
  EXPECT_NEAR(solar->pv().usable_area_m2[0], 360.0, 1e-9);
  EXPECT_NEAR(solar->pv().kwp[0], 360.0 * 0.7 * 0.2, 1e-12);
  EXPECT_DOUBLE_EQ(solar->pv().sky_view_factor[0], 1.0);

  // step by step against pvlib-named functions
  std::vector<std::unique_ptr<sim::Model>> models;
  models.push_back(std::move(model));
  sim::Engine engine(sim::Clock(kJune21UtcS, 3600, n_hours, "UTC"), std::move(models), &city, 42);
  const auto ac = engine.layout().get<double>("solar.ac_power_kw");
  const double kwp = 360.0 * 0.7 * 0.2;
  double energy_kwh = 0.0;
  double max_ac_kw = 0.0;
  for (std::int64_t h = 0; h < n_hours; ++h) {
    engine.step();
    // the sun at mid-hour, the clear sky of that instant
    const double t_s = static_cast<double>(kJune21UtcS + h * 3600) + 1800.0;
    const SolarPosition sun = solar_position(t_s, kLatDeg, kLonDeg, 0.0, altitude_to_pressure_pa(0.0));
    const ClearSkyIrradiance sky = clear_sky_at(t_s, kLatDeg, kLonDeg, 0.0, 3.0);
    ASSERT_EQ(solar->inputs().apparent_zenith_deg[static_cast<std::size_t>(h)], sun.apparent_zenith_deg);
    EXPECT_NEAR(solar->inputs().ghi_wm2[static_cast<std::size_t>(h)], sky.ghi_wm2, 1e-9);
    const auto k = static_cast<std::size_t>(h);
    const double ghi = solar->inputs().ghi_wm2[k];
    const double dni = solar->inputs().dni_wm2[k];
    const double dhi = solar->inputs().dhi_wm2[k];
    double expected_kw = 0.0;
    if (ghi > 0.0 || dni > 0.0 || dhi > 0.0) {
      // racks at 15 deg facing south on the flat roof
      const PoaIrradiance poa = poa_irradiance(15.0, 180.0, sun.apparent_zenith_deg, sun.azimuth_deg, dni, ghi,
                                               dhi, extra_radiation(t_s), relative_airmass(sun.apparent_zenith_deg),
                                               0.2, SkyModel::kPerez);
      const double sky_diffuse = poa.sky_circumsolar_wm2 + poa.sky_isotropic_wm2 + poa.sky_horizon_wm2;
      EXPECT_NEAR(sky_diffuse, poa.poa_sky_diffuse_wm2, 1e-9);
      const double global = poa.poa_direct_wm2 + sky_diffuse + poa.poa_ground_diffuse_wm2;
      const double iam = poa.poa_direct_wm2 > 0.0 ? iam_physical(aoi(15.0, 180.0, sun.apparent_zenith_deg, sun.azimuth_deg)) : 1.0;
      const double effective = poa.poa_direct_wm2 * iam + sky_diffuse + poa.poa_ground_diffuse_wm2;
      const double t_cell = sapm_cell_temperature(global, 20.0, 1.0, kSapmOpenRackGlassPolymer.a,
                                                  kSapmOpenRackGlassPolymer.b_s_per_m, kSapmOpenRackGlassPolymer.delta_t_c);
      const double dc_w = pvwatts_dc(effective, t_cell, kwp * 1000.0, -0.0037) * (1.0 - 0.14);
      expected_kw = pvwatts_inverter(dc_w, kwp * 1000.0 / 1.2 / 0.96, 0.96) / 1000.0;
    }
    const double got_kw = engine.state().get(ac)[0];
    EXPECT_NEAR(got_kw, expected_kw, 1e-12 * std::max(1.0, expected_kw)) << "hour " << h;  // 1e-12: bilinear weights sum to 1 +- 1 ulp
    energy_kwh += got_kw;
    max_ac_kw = std::max(max_ac_kw, got_kw);
  }
  // a clear June day in Lyon: about 7 kWh/kWp a day, the inverter clips near kwp / 1.2
  EXPECT_GT(energy_kwh / kwp / 2.0, 6.0);
  EXPECT_LT(energy_kwh / kwp / 2.0, 8.5);
  EXPECT_LE(max_ac_kw, kwp / 1.2 + 1e-9);
  EXPECT_NEAR(engine.state().get(engine.layout().get<double>("solar.energy_kwh"))[0], energy_kwh, 1e-9);
}

TEST(SolarModel, ATallBuildingToTheSouthReducesTheYield) {
  // the same 10 m x 10 m, 6 m box alone and with a 40 m tower 5 m south of it
  const Box small{0.0, 0.0, 10.0, 10.0, 6.0};
  const sim::City alone = box_city({small});
  const sim::City shaded = box_city({small, {-5.0, -25.0, 20.0, 20.0, 40.0}});
  SolarConfig config;
  config.sample_spacing_m = 1.0;
  config.min_face_area_m2 = 1.0;
  const auto e_alone = run_engine(alone, clear_sky_model(alone, config, kMarch20UtcS, 72), kMarch20UtcS, 72);
  const auto e_shaded = run_engine(shaded, clear_sky_model(shaded, config, kMarch20UtcS, 72), kMarch20UtcS, 72);
  const auto yield = e_alone->layout().get<double>("solar.building_yield_kwh");
  const double y_alone = e_alone->state().get(yield)[0];
  const double y_shaded = e_shaded->state().get(e_shaded->layout().get<double>("solar.building_yield_kwh"))[0];
  std::printf("March yield of the small box: alone %.2f kWh, behind the tower %.2f kWh (%.0f %%)\n", y_alone,
              y_shaded, 100.0 * y_shaded / y_alone);
  EXPECT_GT(y_alone, 0.0);
  EXPECT_LT(y_shaded, 0.5 * y_alone);  // in March the 40 m tower hides the sun most of the day
  // the same modules: the loss is the shade, not the area
  EXPECT_DOUBLE_EQ(solar_of(*e_alone).pv().kwp[0], solar_of(*e_shaded).pv().kwp[0]);
  EXPECT_LT(solar_of(*e_shaded).pv().sky_view_factor[0], 0.95);
  EXPECT_DOUBLE_EQ(solar_of(*e_alone).pv().sky_view_factor[0], 1.0);
}

// a generated city with the solar model, as scenario text
std::string generated_scenario(int n_buildings, const std::string& solar_keys, const std::string& duration = "2d") {
  return "name = \"solar-test\"\n"
         "[time]\n"
         "start = 2024-06-20T00:00:00\n"
         "time_zone = \"Europe/Paris\"\n"
         "dt_s = 900\n"
         "duration = \"" + duration + "\"\n"
         "[city.generator]\n"
         "n_buildings = " + std::to_string(n_buildings) + "\n"
         "[models.solar]\n" + solar_keys;
}

io::Simulation make_simulation(const std::string& text, int threads) {
  sim::ModelRegistry registry;
  register_solar(registry);
  return io::Simulation(io::Scenario::from_text(text, "inline.toml"), {{}, threads}, registry);
}

TEST(SolarModel, BuildingPowerAddsUpToTheCityTotal) {
  io::Simulation simulation = make_simulation(generated_scenario(80, "sample_spacing_m = 2.0\n"), 2);
  const sim::Engine& engine = simulation.engine();
  const auto ac = engine.layout().get<double>("solar.ac_power_kw");
  const auto total = engine.layout().get<double>("solar.total_ac_power_kw");
  double max_total_kw = 0.0;
  while (!simulation.engine().done()) {
    simulation.step(4);
    double sum_kw = 0.0;
    for (const double kw : engine.state().get(ac)) sum_kw += kw;
    const double total_kw = engine.state().get(total)[0];
    EXPECT_NEAR(sum_kw, total_kw, 1e-9 * std::max(1.0, total_kw));  // 1e-9: chunked summation
    max_total_kw = std::max(max_total_kw, total_kw);
  }
  EXPECT_GT(max_total_kw, 0.0);
  // energies: buildings, faces and the city agree
  double buildings_kwh = 0.0;
  for (const double kwh : engine.state().get(engine.layout().get<double>("solar.building_yield_kwh"))) buildings_kwh += kwh;
  double faces_kwh = 0.0;
  for (const double kwh : engine.state().get(engine.layout().get<double>("solar.annual_yield_kwh"))) faces_kwh += kwh;
  const double city_kwh = engine.state().get(engine.layout().get<double>("solar.energy_kwh"))[0];
  EXPECT_GT(city_kwh, 0.0);
  EXPECT_NEAR(buildings_kwh, city_kwh, 1e-9 * city_kwh);
  EXPECT_NEAR(faces_kwh, city_kwh, 1e-9 * city_kwh);
  // the model steps hourly: 2 days of 15-min ticks
  EXPECT_DOUBLE_EQ(engine.state().get(engine.layout().get<double>("solar.simulated_h"))[0], 48.0);
  EXPECT_EQ(simulation.engine().diagnostics().n_warnings(), 0);
}

TEST(SolarModel, OneAndTwoThreadsGiveIdenticalStates) {
  // shaded tables on a small city; a city above 4096 roof faces (unshaded) for the parallel step
  for (const std::string& text : {generated_scenario(120, "sample_spacing_m = 2.0\n", "1d"),
                                  generated_scenario(2600, "shading = \"none\"\nsample_spacing_m = 20.0\n", "1d")}) {
    io::Simulation one = make_simulation(text, 1);
    io::Simulation two = make_simulation(text, 2);
    one.step(96);
    two.step(96);
    EXPECT_TRUE(one.engine().state().bitwise_equal(two.engine().state()));
    const auto kpis_one = one.kpis();
    const auto kpis_two = two.kpis();
    ASSERT_EQ(kpis_one.size(), kpis_two.size());
    for (std::size_t i = 0; i < kpis_one.size(); ++i) EXPECT_EQ(kpis_one[i].second.value, kpis_two[i].second.value);
    EXPECT_GT(kpis_one.back().second.value, 0.0);
  }
}

TEST(SolarModel, ConfigErrorsNameFileLineAndKey) {
  // an unknown key, with its hint
  EXPECT_INPUT_ERROR(make_simulation(generated_scenario(20, "sample_spacing = 2.0\n"), 1),
                     "inline.toml:10:1: error: unknown key 'models.solar.sample_spacing' \\(did you mean 'sample_spacing_m'\\?\\)");
  // a weather file that does not exist
  EXPECT_INPUT_ERROR(make_simulation(generated_scenario(20, "weather = \"no/such/lyon.epw\"\n"), 1),
                     "inline.toml:10:1: error: models.solar.weather names '.*no/such/lyon.epw', which does not exist");
  // not a weather format
  EXPECT_INPUT_ERROR(make_simulation(generated_scenario(20, "weather = \"sunny\"\n"), 1),
                     "inline.toml:10:1: error: models.solar.weather must be \"clear-sky\" or the path of an .epw");
  // a range, a choice and a key that does not go with the weather, all at once
  const std::string message = test::input_error_message([] {
    (void)make_simulation(generated_scenario(20, "system_losses_frac = 1.5\nsky_model = \"klucher\"\n"
                                                 "weather_utc_offset_h = 1.0\n"), 1);
  });
  EXPECT_NE(message.find("inline.toml:10:1: error: models.solar.system_losses_frac must be"), std::string::npos) << message;
  EXPECT_NE(message.find("inline.toml:11:1: error: models.solar.sky_model"), std::string::npos) << message;
  EXPECT_NE(message.find("inline.toml:12:1: error: models.solar.weather_utc_offset_h is used only with a weather file"),
            std::string::npos) << message;
  // a period that is not a whole number of ticks
  EXPECT_INPUT_ERROR(make_simulation(generated_scenario(20, "period = \"20min\"\n"), 1),
                     "inline.toml:10:1: error: models.solar.period must be a whole multiple of time.dt_s = 900 s");
}

// a week of a real city, annualised; prints the figures
struct RealRun {
  double specific_kwh_per_kwp = 0.0;  // over the week
  double annualised_kwh_per_kwp = 0.0;
  double best_faces_annualised_kwh_per_kwp = 0.0;  // median of the faces in class >= 2
  double total_kwp = 0.0;
  std::int64_t n_faces = 0;
};

RealRun run_real(const std::string& text) {
  io::Simulation simulation = make_simulation(text, 2);
  simulation.step(simulation.settings().n_ticks);
  RealRun out;
  for (const auto& [model, kpi] : simulation.kpis()) {
    if (model != "solar") continue;
    if (kpi.name == "specific_yield_kwh_per_kwp") out.specific_kwh_per_kwp = kpi.value;
    if (kpi.name == "annualised_specific_yield_kwh_per_kwp") out.annualised_kwh_per_kwp = kpi.value;
    if (kpi.name == "total_kwp") out.total_kwp = kpi.value;
  }
  const sim::Engine& engine = simulation.engine();
  const auto specific = engine.state().get(engine.layout().get<double>("solar.specific_yield_kwh_per_kwp"));
  const auto kwp = engine.state().get(engine.layout().get<double>("solar.kwp"));
  const auto potential = engine.state().get(engine.layout().get<std::int32_t>("solar.potential_class"));
  const double hours = engine.state().get(engine.layout().get<double>("solar.simulated_h"))[0];
  std::vector<double> good;
  for (std::size_t f = 0; f < specific.size(); ++f) {
    if (kwp[f] > 0.0 && potential[f] >= 2) good.push_back(specific[f] * 8760.0 / hours);
  }
  std::sort(good.begin(), good.end());
  out.best_faces_annualised_kwh_per_kwp = good.empty() ? 0.0 : good[good.size() / 2];
  out.n_faces = static_cast<std::int64_t>(specific.size());
  EXPECT_EQ(simulation.engine().diagnostics().n_warnings(), 0);
  return out;
}

TEST(SolarModel, LyonFootprintsWithTheLyonBronWeather) {
  CITYTWIN_DATA_FILE(buildings, "city3d/lyon/lyon1er_bdtopo_buildings_epsg3946.geojson");
  CITYTWIN_DATA_FILE(weather, "weather/FRA_AR_Lyon-Bron.AP.074800_TMYx.2004-2018.epw");
  const auto scenario = [&](const std::string& start, const std::string& duration) {
    return "[time]\nstart = " + start + "\ntime_zone = \"Europe/Paris\"\ndt_s = 3600\nduration = \"" + duration +
           "\"\n[city]\nbuildings = \"" + buildings.string() + "\"\n[models.solar]\nweather = \"" + weather.string() +
           "\"\nsample_spacing_m = 4.0\nsun_elevation_step_deg = 3.0\nsun_azimuth_step_deg = 6.0\n"
           "sky_patch_subdivision = 1\n";
  };
  // the equinox week, then the whole typical year mapped onto 2023
  const RealRun week = run_real(scenario("2023-03-17T00:00:00", "7d"));
  const RealRun year = run_real(scenario("2023-01-01T00:00:00", "365d"));
  std::printf("Lyon 1er (Lyon-Bron TMYx): %lld roof faces, %.0f kWp; 17-24 March %.1f kWh/kWp (annualised %.0f); "
              "year %.0f kWh/kWp, good faces (class >= 2) median %.0f kWh/kWp\n",
              static_cast<long long>(year.n_faces), year.total_kwp, week.specific_kwh_per_kwp,
              week.annualised_kwh_per_kwp, year.specific_kwh_per_kwp, year.best_faces_annualised_kwh_per_kwp);
  EXPECT_GT(year.total_kwp, 1000.0);
  // a sunny March week of the TMY: 3 to 5 kWh/kWp a day
  EXPECT_GT(week.specific_kwh_per_kwp, 21.0);
  EXPECT_LT(week.specific_kwh_per_kwp, 35.0);
  // a year on racks at 15 deg: about 1,150-1,250 kWh/kWp unshaded in Lyon, less the shade
  EXPECT_GT(year.best_faces_annualised_kwh_per_kwp, 1000.0);
  EXPECT_LT(year.best_faces_annualised_kwh_per_kwp, 1350.0);
  EXPECT_LT(year.specific_kwh_per_kwp, year.best_faces_annualised_kwh_per_kwp + 1e-9);
}

TEST(SolarModel, HelsinkiLod2UnderAClearSky) {
  CITYTWIN_DATA_FILE(buildings, "city3d/helsinki/helsinki_kalasatama_2549_6674_lod2.city.json");
  const auto scenario = [&](const std::string& start, const std::string& duration) {
    return "[time]\nstart = " + start + "\ntime_zone = \"Europe/Helsinki\"\ndt_s = 3600\nduration = \"" + duration +
           "\"\n[city]\nbuildings = \"" + buildings.string() + "\"\n[models.solar]\nweather = \"clear-sky\"\n"
           "linke_turbidity = 3.5\nclear_sky_temp_air_c = 5.0\nsample_spacing_m = 2.0\n";
  };
  const RealRun week = run_real(scenario("2023-03-17T00:00:00", "7d"));
  const RealRun year = run_real(scenario("2023-01-01T00:00:00", "365d"));
  std::printf("Helsinki Kalasatama LoD2, clear sky TL 3.5: %lld roof faces, %.0f kWp; 17-24 March %.1f kWh/kWp "
              "(annualised %.0f); year %.0f kWh/kWp, good faces (class >= 2) median %.0f kWh/kWp\n",
              static_cast<long long>(year.n_faces), year.total_kwp, week.specific_kwh_per_kwp,
              week.annualised_kwh_per_kwp, year.specific_kwh_per_kwp, year.best_faces_annualised_kwh_per_kwp);
  EXPECT_GT(year.total_kwp, 100.0);
  // cloudless: above the real ~850 kWh/kWp of Helsinki, below a clear-sky bound
  EXPECT_GT(week.specific_kwh_per_kwp, 10.0);
  EXPECT_LT(week.specific_kwh_per_kwp, 40.0);
  EXPECT_GT(year.specific_kwh_per_kwp, 850.0);
  EXPECT_LT(year.specific_kwh_per_kwp, 1700.0);
}

}  // namespace
}  // namespace citytwin::solar
