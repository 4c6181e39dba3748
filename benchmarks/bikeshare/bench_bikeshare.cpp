// Benchmark of the bike-share model `bikeshare`: one day at 1-minute steps with 1,000 stations
// on a generated city and about 100,000 trips (city demand), e-bikes with charging, 4 trucks,
// station-to-station riding on the streets (station_network_times) included in the build time.
// Prints a table (figures in docs/benchmarks.md#bike-share).
//
//   citytwin_bench_bikeshare [--stations 1000] [--trips 100000] [--threads 1,2] [--buildings 20000]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <numeric>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <citytwin/bikeshare/bike_network.hpp>
#include <citytwin/bikeshare/bikeshare_model.hpp>
#include <citytwin/sim/city_generator.hpp>
#include <citytwin/sim/clock.hpp>
#include <citytwin/sim/engine.hpp>
#include <citytwin/sim/parallel.hpp>

namespace {

namespace ct = citytwin;
using Clock = std::chrono::steady_clock;

constexpr std::int64_t kStartUtcS = 1718920800;  // 2024-06-21T00:00:00+02:00

struct Options {
  std::int32_t stations = 1000;
  double trips = 100000.0;
  std::int64_t buildings = 20000;
  std::vector<int> threads{1, 2};
};

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
      return argv[++i];
    };
    if (a == "--stations") o.stations = std::stoi(value());
    else if (a == "--trips") o.trips = std::stod(value());
    else if (a == "--buildings") o.buildings = std::stoll(value());
    else if (a == "--threads") {
      o.threads.clear();
      std::stringstream in(value());
      std::string item;
      while (std::getline(in, item, ',')) o.threads.push_back(std::stoi(item));
    } else {
      throw std::invalid_argument("unknown option " + a);
    }
  }
  return o;
}

// stations on a regular grid over the inner 90 % of the buildings' bounding box
ct::bikeshare::BikeshareConfig make_config(const ct::sim::City& city, const Options& o) {
  const ct::sim::Buildings& b = city.buildings;
  const auto [min_x, max_x] = std::minmax_element(b.centroid_x_m.begin(), b.centroid_x_m.end());
  const auto [min_y, max_y] = std::minmax_element(b.centroid_y_m.begin(), b.centroid_y_m.end());
  const auto nx = static_cast<std::int32_t>(std::ceil(std::sqrt(static_cast<double>(o.stations))));
  const std::int32_t ny = (o.stations + nx - 1) / nx;
  std::vector<double> x;
  std::vector<double> y;
  for (std::int32_t k = 0; k < o.stations; ++k) {
    const double fx = 0.05 + 0.9 * ((k % nx) + 0.5) / nx;
    const double fy = 0.05 + 0.9 * ((k / nx) + 0.5) / ny;
    x.push_back(*min_x + fx * (*max_x - *min_x));
    y.push_back(*min_y + fy * (*max_y - *min_y));
  }
  std::vector<double> lat;
  std::vector<double> lon;
  ct::bikeshare::city_lat_lon(city, x, y, lat, lon);
  ct::bikeshare::BikeshareConfig c;
  c.stations = "none";
  for (std::int32_t k = 0; k < o.stations; ++k) {
    c.inline_stations.push_back({std::to_string(k + 1), lat[static_cast<std::size_t>(k)],
                                 lon[static_cast<std::size_t>(k)], 20});
  }
  const double people = std::accumulate(b.residents.begin(), b.residents.end(), 0.0) +
                        std::accumulate(b.jobs.begin(), b.jobs.end(), 0.0);
  c.demand_source = ct::bikeshare::DemandSource::kCity;
  c.catchment_m = 1e7;
  c.city_trips_per_person_day = o.trips / people;
  c.ebike_share_frac = 0.3;
  c.charging_all = true;
  c.trucks = 4;
  c.period_s = 60;
  c.run_s = 86400;
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  try {
    o = parse(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "citytwin_bench_bikeshare: %s\n", e.what());
    return 2;
  }
  ct::sim::CityGeneratorOptions city_options;
  city_options.n_buildings = o.buildings;
  const ct::sim::City city = ct::sim::generate_city(city_options);
  std::printf("bike-share benchmark: generated city of %lld buildings, %lld street nodes; %d stations, "
              "target %.0f trips, one day of 1-minute steps\n",
              static_cast<long long>(city.buildings.size()), static_cast<long long>(city.streets.n_nodes()),
              o.stations, o.trips);
  std::printf("%3s %10s %12s %10s %10s %8s %10s %10s %10s %10s\n", "thr", "build_s", "routed_pairs", "run_s",
              "total_s", "steps", "trips", "lost", "truck_km", "ebike_kwh");
  for (const int t : o.threads) {
    ct::sim::set_thread_count(t);
    const auto t0 = Clock::now();
    auto model = std::make_unique<ct::bikeshare::BikeshareModel>(make_config(city, o), 60, "Europe/Paris", &city);
    const double build_s = seconds_since(t0);
    const ct::bikeshare::BikeshareModel* bikes = model.get();
    std::vector<std::unique_ptr<ct::sim::Model>> models;
    models.push_back(std::move(model));
    ct::sim::Engine engine(ct::sim::Clock(kStartUtcS, 60, 1440, "Europe/Paris"), std::move(models), &city, 42);
    const auto t1 = Clock::now();
    while (!engine.done()) engine.step();
    const double run_s = seconds_since(t1);
    const auto& c = bikes->columns();
    const auto& s = engine.state();
    std::printf("%3d %10.3f %12lld %10.3f %10.3f %8d %10d %10d %10.1f %10.1f\n", t, build_s,
                static_cast<long long>(bikes->n_network_pairs()), run_s, build_s + run_s, 1440,
                s.get(c.trips_started)[0], s.get(c.lost_no_bike)[0] + s.get(c.lost_flat_ebike)[0],
                s.get(c.rebalancing_km)[0], s.get(c.ebike_charge_kwh)[0]);
    std::fflush(stdout);
  }
  return 0;
}
