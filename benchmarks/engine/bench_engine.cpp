// benchmarks/engine: engine overhead per tick with empty models, HDF5 result write throughput
// with and without compression, and generation time of synthetic cities.
// Run: build/bin/citytwin_bench_engine   (add --benchmark_filter=... to select)
#include <filesystem>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include <citytwin/io/result_writer.hpp>
#include <citytwin/sim/city_generator.hpp>
#include <citytwin/sim/engine.hpp>
#include <citytwin/sim/parallel.hpp>

namespace {

namespace sim = citytwin::sim;

// a model that owns one column and does nothing in step(): what remains is engine overhead
class EmptyModel : public sim::Model {
 public:
  explicit EmptyModel(int index) : name_("empty" + std::to_string(index)) {}
  [[nodiscard]] std::string_view name() const override { return name_; }
  [[nodiscard]] int period_ticks() const override { return 1; }
  void declare(sim::StateLayout& layout) override {
    layout.add_dim({name_, "entity", {1}, "entity"});
    (void)layout.add<double>({name_, "value", {}, "entity", 0, "1", "unused"});
  }
  void step(const sim::StepContext&, const sim::State&, sim::StateWriter&) const override {}

 private:
  std::string name_;
};

void engine_tick_overhead(benchmark::State& state) {
  const auto n_models = static_cast<int>(state.range(0));
  std::vector<std::unique_ptr<sim::Model>> models;
  for (int i = 0; i < n_models; ++i) models.push_back(std::make_unique<EmptyModel>(i));
  sim::Engine engine(sim::Clock(0, 1, 1LL << 40, "Europe/Paris"), std::move(models), nullptr, 1);
  for (auto _ : state) engine.step();
  state.counters["ticks_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(engine_tick_overhead)->Arg(0)->Arg(1)->Arg(4)->Arg(16)->Unit(benchmark::kNanosecond);

void hdf5_write_throughput(benchmark::State& state) {
  const int compression = static_cast<int>(state.range(0));
  const std::int64_t n_entities = 100000;
  const int n_columns = 8;
  const int n_steps = 96;
  // smooth but not constant data, like a model's state
  sim::StateLayout layout;
  std::vector<std::int64_t> ids(static_cast<std::size_t>(n_entities));
  std::iota(ids.begin(), ids.end(), std::int64_t{1});
  layout.add_dim({"bench", "entity", ids, "entity id"});
  std::vector<sim::Column<double>> columns;
  for (int c = 0; c < n_columns; ++c) {
    columns.push_back(layout.add<double>({"bench", "x" + std::to_string(c), {}, "entity", 0, "1", "bench data"}));
  }
  sim::State st(layout);
  const auto path = std::filesystem::temp_directory_path() / "citytwin_bench_write.h5";
  std::int64_t bytes = 0;
  for (auto _ : state) {
    citytwin::io::ResultWriter writer(path, {}, layout, {compression, 24, 1e9});
    for (int t = 0; t < n_steps; ++t) {
      state.PauseTiming();
      for (int c = 0; c < n_columns; ++c) {
        auto values = st.get_mutable(columns[static_cast<std::size_t>(c)]);
        auto rng = sim::rng_for(1, 2, static_cast<std::uint64_t>(c), static_cast<std::uint64_t>(t));
        for (std::size_t i = 0; i < values.size(); ++i) values[i] = 20.0 + 0.01 * static_cast<double>(i % 1000) + 0.001 * rng.uniform();
      }
      state.ResumeTiming();
      writer.append(t, t * 900, st);
    }
    writer.close(true);
    bytes += static_cast<std::int64_t>(n_steps) * n_columns * n_entities * 8;
  }
  state.SetBytesProcessed(bytes);
  state.counters["file_MB"] = static_cast<double>(std::filesystem::file_size(path)) / 1e6;
  std::filesystem::remove(path);
}
BENCHMARK(hdf5_write_throughput)->Arg(0)->Arg(1)->Arg(4)->Unit(benchmark::kMillisecond)->UseRealTime();

// bytes held by the vectors of a container struct
template <typename... V>
double vector_bytes(const V&... v) {
  return (0.0 + ... + static_cast<double>(v.capacity() * sizeof(typename V::value_type)));
}

double city_megabytes(const sim::City& c) {
  const auto& b = c.buildings;
  const auto& s = c.surfaces;
  const double bytes =
      vector_bytes(b.building_id, b.height_m, b.eaves_height_m, b.ground_elevation_m, b.footprint_area_m2,
                   b.floor_area_m2, b.n_floors, b.residents, b.jobs, b.use, b.roof_shape, b.roof_pitch_deg,
                   b.centroid_x_m, b.centroid_y_m, b.block_idx, b.zone_idx, b.ring_begin, b.vertex_begin,
                   b.vertex_x_m, b.vertex_y_m) +
      vector_bytes(s.surface_id, s.building_idx, s.type, s.area_m2, s.tilt_deg, s.azimuth_deg,
                   s.ring_begin, s.vertex_begin, s.vertex_x_m, s.vertex_y_m, s.vertex_z_m) +
      vector_bytes(c.streets.node_x_m, c.streets.node_y_m, c.streets.node_z_m, c.streets.street_id,
                   c.streets.length_m, c.terrain.elevation_m);
  return bytes / 1e6;
}

void city_generation(benchmark::State& state) {
  sim::CityGeneratorOptions options;
  options.n_buildings = state.range(0);
  sim::City city;
  for (auto _ : state) {
    city = sim::generate_city(options);
    benchmark::DoNotOptimize(city.buildings.height_m.data());
  }
  const auto n = city.buildings.size();
  state.counters["buildings"] = static_cast<double>(n);
  state.counters["city_MB"] = city_megabytes(city);
  state.counters["buildings_per_s"] =
      benchmark::Counter(static_cast<double>(n) * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(city_generation)->Arg(500)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(city_generation)->Arg(50000)->Arg(500000)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
