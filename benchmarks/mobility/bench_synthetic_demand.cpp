// Benchmark of the synthetic activity-based demand (mobility): a generated city, its street
// network, and one synthetic day of the whole population with mode choice and routes. Prints
// the time of each stage, the trip counts, mode and purpose shares, and the peak memory.
// Figures: docs/models/mobility.md#synthetic-demand-and-mode-choice.
//
//   citytwin_bench_synthetic_demand [n_buildings = 500000] [residents_per_m2 = 0.004566]
//                                   [bike_share = 0]
#include <sys/resource.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <string>

#include <citytwin/mobility/router.hpp>
#include <citytwin/mobility/street_network.hpp>
#include <citytwin/mobility/synthetic_demand.hpp>
#include <citytwin/sim/city_generator.hpp>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace {

namespace ct = citytwin;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // KiB on Linux
}

}  // namespace

int main(int argc, char** argv) {
  ct::sim::CityGeneratorOptions options;
  options.n_buildings = argc > 1 ? std::atoll(argv[1]) : 500000;
  // about 1 million residents on 500,000 buildings (the default 1/40 m2 gives about 5.5 million)
  options.residents_per_m2 = argc > 2 ? std::atof(argv[2]) : 1.0 / 219.0;
  ct::mobility::SyntheticDemandConfig config;
  config.bike_share = argc > 3 && std::atoi(argv[3]) != 0;
#ifdef _OPENMP
  std::printf("threads: %d\n", omp_get_max_threads());
#endif

  auto t0 = Clock::now();
  const ct::sim::City city = ct::sim::generate_city(options);
  const double t_city = seconds_since(t0);
  t0 = Clock::now();
  const ct::mobility::StreetNetwork network = ct::mobility::build_street_network(city);
  const double t_net = seconds_since(t0);
  t0 = Clock::now();
  const ct::mobility::SyntheticDemand d = ct::mobility::synthesize_demand(
      city, network, ct::mobility::link_graph_of(network), config, 1);
  const double t_demand = seconds_since(t0);

  const auto& res = city.buildings.residents;
  std::printf("buildings %lld  residents %lld  nodes %lld  links %lld\n",
              static_cast<long long>(city.buildings.size()),
              static_cast<long long>(std::accumulate(res.begin(), res.end(), std::int64_t{0})),
              static_cast<long long>(network.n_nodes()), static_cast<long long>(network.n_links()));
  std::printf("city %.2f s  network %.2f s  synthetic demand %.2f s\n", t_city, t_net, t_demand);
  std::printf("persons %lld  stay home %lld  trips %lld  unroutable %lld  no mode %lld  "
              "route links %zu\n",
              static_cast<long long>(d.n_persons), static_cast<long long>(d.n_stay_home),
              static_cast<long long>(d.size()), static_cast<long long>(d.n_unroutable),
              static_cast<long long>(d.n_no_mode), d.trips.route_link_idx.size());
  std::array<double, ct::mobility::kNumChoices> mode_trips{};
  std::array<double, 5> purpose_trips{};
  double beeline_km = 0.0;
  for (std::int64_t i = 0; i < d.size(); ++i) {
    const auto k = static_cast<std::size_t>(i);
    mode_trips[d.choice[k]] += 1.0;
    purpose_trips[d.purpose[k]] += 1.0;
    beeline_km += std::hypot(d.destination_x_m[k] - d.origin_x_m[k],
                             d.destination_y_m[k] - d.origin_y_m[k]) / 1000.0;
  }
  const double n = static_cast<double>(d.size());
  std::printf("mode shares: car %.3f  bike %.3f  walk %.3f  bike-share %.3f\n", mode_trips[0] / n,
              mode_trips[1] / n, mode_trips[2] / n, mode_trips[3] / n);
  std::printf("purposes: home %.3f  work %.3f  school %.3f  shop %.3f  other %.3f\n",
              purpose_trips[0] / n, purpose_trips[1] / n, purpose_trips[2] / n,
              purpose_trips[3] / n, purpose_trips[4] / n);
  std::printf("trips per person %.2f  mean beeline %.2f km\n",
              n / static_cast<double>(d.n_persons), beeline_km / n);
  std::printf("peak memory %.0f MiB\n", peak_rss_mib());
  return 0;
}
