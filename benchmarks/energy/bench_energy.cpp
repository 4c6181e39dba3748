// benchmarks/energy: the micro-grid model `energy` through io::Simulation (engine included).
//  - per-step time of case33bw, CIGRE LV and generated feeders of about 100 and 1,000 buses,
//    on 1 and 2 threads (the 877-bus network also on 4, 8 and 16), with µs per bus per step
//    (target <= 0.5);
//  - an hourly year of case33bw with PV and seasonal profiles (target < 0.2 s);
//  - 1,000 generated LV feeders, hourly, with output: a measured stretch and the year
//    extrapolated from it (target < 5 min on 2 cores);
//  - peak resident memory (getrusage) after each benchmark.
// Run: build/bin/citytwin_bench_energy   (the real networks come from ../shared/data/grid)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <sys/resource.h>

#include <benchmark/benchmark.h>

#include <citytwin/energy/register.hpp>
#include <citytwin/io/simulation.hpp>

namespace {

namespace fs = std::filesystem;
namespace io = citytwin::io;
namespace sim = citytwin::sim;

// the same hourly profiles as ../shared/data/grid/ts_case33bw_pv/spec.json and ts_cigre_lv_pv
const char* const kLoadProfile =
    "[0.45, 0.4, 0.38, 0.37, 0.38, 0.45, 0.6, 0.75, 0.7, 0.6, 0.55, 0.52, 0.5, 0.5, 0.52, 0.58, "
    "0.7, 0.85, 1.0, 0.98, 0.9, 0.78, 0.65, 0.52]";
const char* const kPvProfile =
    "[0.0, 0.0, 0.0, 0.0, 0.0, 0.02, 0.1, 0.25, 0.45, 0.65, 0.82, 0.93, 0.97, 0.93, 0.82, 0.65, "
    "0.45, 0.25, 0.1, 0.02, 0.0, 0.0, 0.0, 0.0]";

fs::path data_dir() {
  if (const char* env = std::getenv("CITYTWIN_DATA"); env != nullptr && *env != '\0') return env;
  return fs::path(CITYTWIN_SOURCE_DIR) / ".." / "shared" / "data";
}

double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

sim::ModelRegistry registry() {
  sim::ModelRegistry r;
  citytwin::energy::register_energy(r);
  return r;
}

// a scenario of `duration` at `dt_s` with the given [models.energy] body and city size
std::string scenario(const std::string& energy, const std::string& duration, int dt_s,
                     int n_buildings) {
  return "name = \"bench\"\n[time]\nstart = 2023-01-01T00:00:00\ntime_zone = \"UTC\"\ndt_s = " +
         std::to_string(dt_s) + "\nduration = \"" + duration +
         "\"\n[city.generator]\nn_buildings = " + std::to_string(n_buildings) +
         "\n[output]\ninterval = \"1h\"\n[models.energy]\n" + energy;
}

std::string folder(const char* name) {
  return "network = \"" + (data_dir() / "grid" / name / "network").string() + "\"\n";
}

std::int64_t n_buses(const io::Simulation& s) {
  return static_cast<std::int64_t>(s.engine().layout().find_dim("energy", "bus")->ids.size());
}
std::int64_t n_feeders(const io::Simulation& s) {
  return static_cast<std::int64_t>(s.engine().layout().find_dim("energy", "feeder")->ids.size());
}

// per-step time of one network: each iteration is one engine tick = one energy step
void step_time(benchmark::State& state, const std::string& energy, int n_buildings) {
  io::Simulation simulation(io::Scenario::from_text(scenario(energy, "3650d", 900, n_buildings)),
                            {{}, static_cast<int>(state.range(0))}, registry());
  const std::int64_t buses = n_buses(simulation);
  for (auto _ : state) simulation.step(1);
  const double steps = static_cast<double>(state.iterations());
  state.counters["buses"] = static_cast<double>(buses);
  state.counters["feeders"] = static_cast<double>(n_feeders(simulation));
  state.counters["us_per_step"] =
      benchmark::Counter(steps * 1e-6, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["us_per_bus_step"] =
      benchmark::Counter(steps * static_cast<double>(buses) * 1e-6,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["peak_rss_mib"] = peak_rss_mib();
}

void case33bw_step(benchmark::State& state) {
  step_time(state,
            folder("ts_case33bw_pv") + "period = \"15min\"\nload_profile = " + kLoadProfile +
                "\npv_profile = " + kPvProfile + "\n",
            10);
}
void cigre_lv_step(benchmark::State& state) {
  step_time(state,
            folder("ts_cigre_lv_pv_battery") + "period = \"15min\"\nload_profile = " +
                kLoadProfile + "\npv_profile = " + kPvProfile +
                "\n[[models.energy.batteries]]\nstorage = 0\npower_kw = 20.0\n",
            10);
}
// one generated feeder of about 100 buses, and one of about 1,000 (a large single substation)
void generated_100_step(benchmark::State& state) {
  step_time(state, "network = \"generated\"\nperiod = \"15min\"\n", 50);
}
void generated_1000_step(benchmark::State& state) {
  step_time(state,
            "network = \"generated\"\nperiod = \"15min\"\n[models.energy.generator]\n"
            "buildings_per_substation = 1000\nmax_feeder_length_m = 5000\n",
            450);
}
BENCHMARK(case33bw_step)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(cigre_lv_step)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(generated_100_step)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(generated_1000_step)
    ->Arg(1)
    ->Arg(2)
    ->Arg(4)
    ->Arg(8)
    ->Arg(16)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

// an hourly year of case33bw with PV: load_profile[k]·(1 + 0.15·cos(2πd/365)),
// PV pv_profile[k]·(0.7 − 0.3·cos(2πd/365)); without output and with an output file
void case33bw_year(benchmark::State& state) {
  const bool output = state.range(0) != 0;
  const std::string energy = folder("ts_case33bw_pv") +
                             "period = \"1h\"\nload_profile = " + kLoadProfile +
                             "\npv_profile = " + kPvProfile +
                             "\nload_season_mean = 1.0\nload_season_amplitude = 0.15\n"
                             "pv_season_mean = 0.7\npv_season_amplitude = -0.3\n";
  const fs::path path = fs::temp_directory_path() / "citytwin_bench_case33bw_year.h5";
  for (auto _ : state) {
    io::Simulation simulation(io::Scenario::from_text(scenario(energy, "365d", 3600, 10)),
                              {output ? path : fs::path{}, 1}, registry());
    simulation.run();
    state.counters["energy_imported_mwh"] =
        simulation.engine().state().get(
            simulation.engine().layout().get<double>("energy.energy_imported_kwh"))[0] /
        1000.0;
  }
  state.counters["peak_rss_mib"] = peak_rss_mib();
}
BENCHMARK(case33bw_year)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->Iterations(3);

// 1,000 generated LV feeders, hourly, with output (bus series off above 20,000 buses): a week
// is measured and the year extrapolated (×365/7); network generation is timed separately
void feeders_1000_week(benchmark::State& state) {
  const auto threads = static_cast<int>(state.range(0));
  const int n_buildings = static_cast<int>(state.range(1));
  const fs::path path = fs::temp_directory_path() / "citytwin_bench_feeders.h5";
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    io::Simulation simulation(
        io::Scenario::from_text(
            scenario("network = \"generated\"\nperiod = \"1h\"\n", "7d", 3600, n_buildings)),
        {path, threads}, registry());
    const auto t1 = std::chrono::steady_clock::now();
    simulation.run();
    const auto t2 = std::chrono::steady_clock::now();
    const double setup_s = std::chrono::duration<double>(t1 - t0).count();
    const double week_s = std::chrono::duration<double>(t2 - t1).count();
    const double buses = static_cast<double>(n_buses(simulation));
    state.counters["feeders"] = static_cast<double>(n_feeders(simulation));
    state.counters["buses"] = buses;
    state.counters["setup_s"] = setup_s;
    state.counters["week_s"] = week_s;
    state.counters["year_s_extrapolated"] = setup_s + week_s * 365.0 / 7.0;
    state.counters["us_per_bus_step"] = week_s * 1e6 / (buses * 168.0);
  }
  state.counters["peak_rss_mib"] = peak_rss_mib();
}
BENCHMARK(feeders_1000_week)
    ->Args({1, 62000})
    ->Args({2, 62000})
    ->Unit(benchmark::kSecond)
    ->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
