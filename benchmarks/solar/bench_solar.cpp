// Benchmark of the rooftop-PV model `solar` on generated cities: the visibility precompute
// (rays/s, roof faces/s), the hourly replay (roof-hours/s), peak memory, 1 and 2 threads, and
// a full year of a 10,000-building city end to end. Prints a table (figures in docs/models/solar.md#performance).
//
//   citytwin_bench_solar [--sizes 1000,10000,100000] [--threads 1,2] [--replay-h 168]
//                        [--spacing 2.0] [--big-spacing 4.0] [--year 10000] [--no-year]
#include <sys/resource.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <stdexcept>
#include <sstream>
#include <string>
#include <vector>

#include <citytwin/sim/city_generator.hpp>
#include <citytwin/sim/clock.hpp>
#include <citytwin/sim/engine.hpp>
#include <citytwin/sim/parallel.hpp>
#include <citytwin/solar/clear_sky.hpp>
#include <citytwin/solar/solar_model.hpp>

namespace {

namespace ct = citytwin;
using Clock = std::chrono::steady_clock;

constexpr std::int64_t kStartUtcS = 1704067200;  // 2024-01-01T00:00:00Z

struct Options {
  std::vector<std::int64_t> sizes{1000, 10000, 100000};
  std::vector<int> threads{1, 2};
  std::int64_t replay_h = 168;       // [h] hourly steps replayed per size
  double spacing_m = 2.0;            // [m] roof sampling up to 10,000 buildings
  double big_spacing_m = 4.0;        // [m] roof sampling above 10,000 buildings
  std::int64_t year_buildings = 10000;
  bool year = true;
};

std::vector<std::int64_t> parse_list(const std::string& text) {
  std::vector<std::int64_t> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(std::stoll(item));
  return out;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
      return argv[++i];
    };
    if (a == "--sizes") o.sizes = parse_list(value());
    else if (a == "--threads") {
      o.threads.clear();
      for (const auto t : parse_list(value())) o.threads.push_back(static_cast<int>(t));
    } else if (a == "--replay-h") o.replay_h = std::stoll(value());
    else if (a == "--spacing") o.spacing_m = std::stod(value());
    else if (a == "--big-spacing") o.big_spacing_m = std::stod(value());
    else if (a == "--year") o.year_buildings = std::stoll(value());
    else if (a == "--no-year") o.year = false;
    else throw std::invalid_argument("unknown option " + a);
  }
  return o;
}

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// [MiB] peak resident memory of the process so far
double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

// a solar model on `city` for n_hours hourly clear-sky steps from kStartUtcS
std::unique_ptr<ct::solar::SolarModel> make_model(const ct::sim::City& city, double spacing_m,
                                                  std::int64_t n_hours) {
  ct::solar::SolarConfig config;
  config.sample_spacing_m = spacing_m;
  const ct::solar::WeatherSeries weather = ct::solar::clear_sky_series(
      kStartUtcS, kStartUtcS + n_hours * 3600, 3600, city.origin_lat_deg, city.origin_lon_deg);
  ct::solar::SolarStepInputs inputs = ct::solar::build_step_inputs(
      weather, city.origin_lat_deg, city.origin_lon_deg, 0.0, kStartUtcS, 3600, n_hours,
      ct::solar::WeatherInterpolation::kStep, std::nullopt);
  return std::make_unique<ct::solar::SolarModel>(config, city, kStartUtcS, 3600, std::move(inputs));
}

struct Figures {
  std::int64_t n_buildings = 0, n_faces = 0, n_samples = 0, n_rays = 0;
  double precompute_s = 0.0, shading_s = 0.0, replay_s = 0.0, peak_mib = 0.0;
  std::int64_t replay_steps = 0;
};

// builds the model (precompute) and replays n_hours steps on an engine
Figures measure(const ct::sim::City& city, double spacing_m, std::int64_t n_hours) {
  Figures f;
  f.n_buildings = city.buildings.size();
  auto t0 = Clock::now();
  auto model = make_model(city, spacing_m, n_hours);
  f.precompute_s = seconds_since(t0);
  f.shading_s = model->precompute_stats().shading_s;
  f.n_faces = model->samples().n_faces();
  f.n_samples = model->samples().n_samples();
  f.n_rays = model->shading_tables().n_sun_rays + model->shading_tables().n_sky_rays;
  std::vector<std::unique_ptr<ct::sim::Model>> models;
  models.push_back(std::move(model));
  ct::sim::Engine engine(ct::sim::Clock(kStartUtcS, 3600, n_hours, "UTC"), std::move(models), &city, 1);
  t0 = Clock::now();
  while (!engine.done()) engine.step();
  f.replay_s = seconds_since(t0);
  f.replay_steps = n_hours;
  f.peak_mib = peak_rss_mib();
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  try {
    o = parse(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "citytwin_bench_solar: %s\n", e.what());
    return 2;
  }
  std::printf("solar model benchmark: generated cities at 45.76 N, clear sky from 2024-01-01, "
              "sun grid 2 x 3 deg, 145 sky patches x 4 rays\n");
  std::printf("%9s %3s %7s %8s %9s %11s %10s %10s %12s %12s %14s %9s\n", "buildings", "thr",
              "spacing", "faces", "samples", "rays", "shading_s", "Mrays/s", "faces/s", "replay_h",
              "Mroof-h/s", "peak_MiB");
  for (const std::int64_t n : o.sizes) {
    ct::sim::CityGeneratorOptions options;
    options.n_buildings = n;
    const ct::sim::City city = ct::sim::generate_city(options);
    const double spacing_m = n > 10000 ? o.big_spacing_m : o.spacing_m;
    for (const int t : o.threads) {
      ct::sim::set_thread_count(t);
      const Figures f = measure(city, spacing_m, o.replay_h);
      std::printf("%9lld %3d %7.1f %8lld %9lld %11lld %10.2f %10.2f %12.0f %12lld %14.2f %9.0f\n",
                  static_cast<long long>(f.n_buildings), t, spacing_m, static_cast<long long>(f.n_faces),
                  static_cast<long long>(f.n_samples), static_cast<long long>(f.n_rays), f.shading_s,
                  static_cast<double>(f.n_rays) / f.shading_s / 1e6,
                  static_cast<double>(f.n_faces) / f.shading_s, static_cast<long long>(f.replay_steps),
                  static_cast<double>(f.n_faces * f.replay_steps) / f.replay_s / 1e6, f.peak_mib);
      std::fflush(stdout);
    }
  }

  // a year of hourly steps end to end: city, precompute, 8760 steps
  if (o.year) {
    const int t = o.threads.back();
    ct::sim::set_thread_count(t);
    const auto t0 = Clock::now();
    ct::sim::CityGeneratorOptions options;
    options.n_buildings = o.year_buildings;
    const ct::sim::City city = ct::sim::generate_city(options);
    const double city_s = seconds_since(t0);
    const Figures f = measure(city, o.spacing_m, 8760);
    const double total_s = seconds_since(t0);
    std::printf("year end to end: %lld buildings, %d thread(s), spacing %.1f m: city %.1f s, precompute "
                "%.1f s (shading %.1f s), 8760 steps %.1f s (%.2f M roof-hours/s), total %.1f s, peak %.0f MiB\n",
                static_cast<long long>(f.n_buildings), t, o.spacing_m, city_s, f.precompute_s, f.shading_s,
                f.replay_s, static_cast<double>(f.n_faces) * 8760.0 / f.replay_s / 1e6, total_s, f.peak_mib);
  }
  return 0;
}
