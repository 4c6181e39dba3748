#include <citytwin/io/simulation.hpp>

#include <hdf5.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <citytwin/sim/config_reader.hpp>

#include "sim_test.hpp"
#include "test_models.hpp"

namespace citytwin::io {
namespace {

namespace fs = std::filesystem;

// a registry with the engine's test model, configured by [models.walk] n_walkers
sim::ModelRegistry test_registry() {
  sim::ModelRegistry registry;
  registry.add("walk", [](const sim::ModelContext& ctx) -> std::unique_ptr<sim::Model> {
    std::int64_t n_walkers = 100;
    ctx.config->read("n_walkers", n_walkers, sim::Range::positive());
    return std::make_unique<test::RandomWalkModel>(n_walkers, 1);
  });
  return registry;
}

std::string scenario_text(int seed = 42, const std::string& extra = "") {
  return "name = \"walk\"\nseed = " + std::to_string(seed) +
         "\n[time]\nstart = 2024-06-21T00:00:00\ntime_zone = \"Europe/Paris\"\ndt_s = 900\nduration = \"1d\"\n"
         "[city]\nbuildings = \"generated\"\n[city.generator]\nn_buildings = 100\n"
         "[output]\ninterval = \"1h\"\nflush_every = 4\n"
         "[models.walk]\nn_walkers = 20000\n" + extra;
}

fs::path temp_file(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / "citytwin_simulation_test";
  fs::create_directories(dir);
  fs::remove(dir / name);
  fs::remove(dir / (name + ".partial"));
  return dir / name;
}

fs::path run_to_file(const std::string& text, const std::string& name, int threads) {
  const fs::path path = temp_file(name);
  Simulation simulation(Scenario::from_text(text), {path, threads}, test_registry());
  EXPECT_TRUE(simulation.run());
  return path;
}

// every dataset of a file as raw bytes (variable-length strings as their text)
std::map<std::string, std::string> read_all_datasets(const fs::path& path) {
  std::map<std::string, std::string> out;
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  EXPECT_GE(file, 0) << path;
  auto visit = [](hid_t obj, const char* name, const H5O_info_t* info, void* data) -> herr_t {
    if (info->type != H5O_TYPE_DATASET) return 0;
    auto& result = *static_cast<std::map<std::string, std::string>*>(data);
    const hid_t dset = H5Dopen2(obj, name, H5P_DEFAULT);
    const hid_t space = H5Dget_space(dset);
    const auto n = static_cast<std::size_t>(H5Sget_simple_extent_npoints(space));
    const hid_t type = H5Dget_type(dset);
    std::string bytes;
    if (H5Tget_class(type) == H5T_STRING && H5Tis_variable_str(type) > 0) {
      std::vector<char*> strings(n);
      H5Dread(dset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, strings.data());
      for (char* s : strings) bytes += std::string(s != nullptr ? s : "") + '\0';
      H5Dvlen_reclaim(type, space, H5P_DEFAULT, strings.data());
    } else {
      const hid_t native = H5Tget_native_type(type, H5T_DIR_ASCEND);
      bytes.resize(n * H5Tget_size(native));
      if (n > 0) H5Dread(dset, native, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data());
      H5Tclose(native);
    }
    H5Tclose(type);
    H5Sclose(space);
    H5Dclose(dset);
    result[name] = std::move(bytes);
    return 0;
  };
  H5Ovisit(file, H5_INDEX_NAME, H5_ITER_INC, visit, &out);
  H5Fclose(file);
  return out;
}

TEST(Simulation, IdenticalDatasetsOnOneAndTwoThreads) {
  const auto one = read_all_datasets(run_to_file(scenario_text(), "one.h5", 1));
  const auto two = read_all_datasets(run_to_file(scenario_text(), "two.h5", 2));
  ASSERT_TRUE(one.count("walk/position_m"));
  ASSERT_TRUE(one.count("city/height_m") || one.count("city/building_id"));
  EXPECT_EQ(one.size(), two.size());
  for (const auto& [name, bytes] : one) {
    ASSERT_TRUE(two.count(name)) << name;
    EXPECT_TRUE(bytes == two.at(name)) << "dataset differs between 1 and 2 threads: " << name;
  }
}

TEST(Simulation, SameSeedSameOutputOtherSeedDiffers) {
  const auto first = read_all_datasets(run_to_file(scenario_text(42), "first.h5", 2));
  const auto again = read_all_datasets(run_to_file(scenario_text(42), "again.h5", 2));
  const auto other = read_all_datasets(run_to_file(scenario_text(43), "other.h5", 2));
  EXPECT_TRUE(first == again);
  EXPECT_FALSE(first.at("walk/position_m") == other.at("walk/position_m"));
  EXPECT_TRUE(first.at("city/building_id") == other.at("city/building_id"));  // the city has its own seed
}

TEST(Simulation, OutputStepsFollowTheInterval) {
  const auto data = read_all_datasets(run_to_file(scenario_text(), "steps.h5", 1));
  // one day of 900 s ticks written every hour: t = 0, 3600, ..., 86400 -> 25 steps
  const std::string& time = data.at("walk/time");
  ASSERT_EQ(time.size(), 25 * sizeof(double));
  std::vector<double> t(25);
  std::memcpy(t.data(), time.data(), time.size());
  for (int i = 0; i < 25; ++i) EXPECT_EQ(t[static_cast<std::size_t>(i)], 3600.0 * i);
  EXPECT_EQ(data.at("walk/position_m").size(), 25u * 20000u * sizeof(double));
}

TEST(Simulation, InterruptedRunKeepsFlushedStepsInPartialFile) {
  const fs::path path = temp_file("stopped.h5");
  {
    Simulation simulation(Scenario::from_text(scenario_text()), {path, 1}, test_registry());
    // stop after 10 hours = 40 ticks: steps 0..10 written, flushed every 4 -> at least 8 on disk
    EXPECT_FALSE(simulation.run([](std::int64_t done, std::int64_t) { return done < 40; }));
    EXPECT_EQ(simulation.engine().tick(), 40);
    simulation.abandon();
  }
  EXPECT_FALSE(fs::exists(path));
  ASSERT_TRUE(fs::exists(fs::path(path.string() + ".partial")));
  const auto data = read_all_datasets(fs::path(path.string() + ".partial"));
  EXPECT_EQ(data.at("walk/time").size(), 11 * sizeof(double));  // abandon() flushes what was buffered
}

TEST(Simulation, KpisIncludeCityAndModels) {
  Simulation simulation(Scenario::from_text(scenario_text()), {}, test_registry());
  simulation.run();
  const auto kpis = simulation.kpis();
  std::map<std::string, double> by_key;
  for (const auto& [model, kpi] : kpis) by_key[model + "." + kpi.name] = kpi.value;
  EXPECT_EQ(by_key.at("city.n_buildings"), static_cast<double>(simulation.city().buildings.size()));
  EXPECT_GT(by_key.at("city.residents"), 0.0);
  EXPECT_TRUE(by_key.count("walk.mean_abs_position_m"));
}

TEST(Simulation, UnknownModelAndModelKeyTyposAreReportedTogether) {
  const std::string text = scenario_text(42, "n_walkrs = 3\n[models.wlak]\nx = 1\n");
  EXPECT_INPUT_ERROR(Simulation(Scenario::from_text(text), {}, test_registry()),
                     "inline.toml:18:1: error: unknown model 'models.wlak' \\(did you mean 'walk'\\?\\)");
  EXPECT_INPUT_ERROR(Simulation(Scenario::from_text(text), {}, test_registry()),
                     "inline.toml:17:\\d+: error: unknown key 'models.walk.n_walkrs' \\(did you mean 'n_walkers'\\?\\)");
}

TEST(Simulation, DisabledModelIsSkipped) {
  Simulation simulation(Scenario::from_text(scenario_text(42, "enabled = false\n")), {}, test_registry());
  EXPECT_TRUE(simulation.engine().models().empty());
}

}  // namespace
}  // namespace citytwin::io
