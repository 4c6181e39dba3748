#include <citytwin/io/result_writer.hpp>

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <citytwin/config.hpp>
#include <citytwin/sim/city.hpp>
#include <citytwin/sim/model.hpp>
#include <citytwin/sim/parallel.hpp>
#include <citytwin/sim/state.hpp>

namespace citytwin::io {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kStartUtcS = 1704067200;  // [s] 2024-01-01T00:00:00Z
constexpr std::int32_t kDtS = 900;               // [s] 15 min ticks

/// Owns an HDF5 identifier in a test and closes it with H5Oclose/H5Fclose/H5Aclose...
class TestHid {
 public:
  TestHid(hid_t id, herr_t (*closer)(hid_t)) : id_(id), closer_(closer) {}
  ~TestHid() {
    if (id_ >= 0) closer_(id_);
  }
  TestHid(const TestHid&) = delete;
  TestHid& operator=(const TestHid&) = delete;
  [[nodiscard]] hid_t get() const { return id_; }
  [[nodiscard]] bool valid() const { return id_ >= 0; }

 private:
  hid_t id_;
  herr_t (*closer_)(hid_t);
};

/// Opens a results file read-only (file locking off: a killed writer may have left it).
TestHid open_file(const fs::path& path) {
  const TestHid fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  H5Pset_file_locking(fapl.get(), false, true);
  return {H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get()), H5Fclose};
}

/// Opens a dataset by path.
TestHid open_dataset(hid_t file, const std::string& path) {
  return {H5Dopen2(file, path.c_str(), H5P_DEFAULT), H5Dclose};
}

/// Reads a whole dataset as `T` (converted by HDF5 from the stored type).
template <typename T>
std::vector<T> read_all(hid_t file, const std::string& path, hid_t mem_type) {
  const TestHid dataset = open_dataset(file, path);
  if (!dataset.valid()) return {};
  const TestHid space(H5Dget_space(dataset.get()), H5Sclose);
  std::vector<T> values(static_cast<std::size_t>(H5Sget_simple_extent_npoints(space.get())));
  if (!values.empty()) {
    H5Dread(dataset.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
  }
  return values;
}

std::vector<double> read_doubles(hid_t file, const std::string& path) {
  return read_all<double>(file, path, H5T_NATIVE_DOUBLE);
}
std::vector<std::int64_t> read_int64s(hid_t file, const std::string& path) {
  return read_all<std::int64_t>(file, path, H5T_NATIVE_INT64);
}
std::vector<std::int32_t> read_int32s(hid_t file, const std::string& path) {
  return read_all<std::int32_t>(file, path, H5T_NATIVE_INT32);
}

/// Shape of a dataset.
std::vector<hsize_t> shape_of(hid_t file, const std::string& path) {
  const TestHid dataset = open_dataset(file, path);
  const TestHid space(H5Dget_space(dataset.get()), H5Sclose);
  std::vector<hsize_t> dims(static_cast<std::size_t>(H5Sget_simple_extent_ndims(space.get())));
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  return dims;
}

/// Reads a scalar string attribute (fixed or variable length) of the object at `path`.
std::string string_attr(hid_t file, const std::string& path, const char* name) {
  const TestHid object(H5Oopen(file, path.c_str(), H5P_DEFAULT), H5Oclose);
  if (H5Aexists(object.get(), name) <= 0) return "<missing>";
  const TestHid attr(H5Aopen(object.get(), name, H5P_DEFAULT), H5Aclose);
  const TestHid type(H5Aget_type(attr.get()), H5Tclose);
  if (H5Tget_class(type.get()) != H5T_STRING) return "<not a string>";
  if (H5Tis_variable_str(type.get()) > 0) {
    char* text = nullptr;
    H5Aread(attr.get(), type.get(), &text);
    std::string value = text != nullptr ? text : "";
    H5free_memory(text);
    return value;
  }
  std::vector<char> buffer(H5Tget_size(type.get()));
  H5Aread(attr.get(), type.get(), buffer.data());
  return {buffer.data(), strnlen(buffer.data(), buffer.size())};
}

/// Reads a scalar numeric attribute as `T`.
template <typename T>
T number_attr(hid_t file, const std::string& path, const char* name, hid_t mem_type) {
  const TestHid object(H5Oopen(file, path.c_str(), H5P_DEFAULT), H5Oclose);
  const TestHid attr(H5Aopen(object.get(), name, H5P_DEFAULT), H5Aclose);
  T value{};
  H5Aread(attr.get(), mem_type, &value);
  return value;
}

/// A two-model layout: bikeshare (3 stations, float64 + int32 output, one internal column) and
/// energy (1 feeder, float64).
struct TestLayout {
  sim::StateLayout layout;
  sim::Column<double> fill;
  sim::Column<std::int32_t> bikes;
  sim::Column<double> internal;
  sim::Column<double> load;

  TestLayout() {
    layout.add_dim({"bikeshare", "station", {101, 102, 103}, "bike-share station id"});
    layout.add_dim({"energy", "feeder", {7}, "feeder id"});
    sim::ColumnSpec spec;
    spec.model = "bikeshare";
    spec.dim = "station";
    spec.name = "fill_frac";
    spec.units = "1";
    spec.long_name = "share of docks holding a bike";
    fill = layout.add<double>(spec);
    spec.name = "bikes_available";
    spec.long_name = "bikes available at the station";
    bikes = layout.add<std::int32_t>(spec);
    spec.name = "rebalance_target";
    spec.long_name = "internal target";
    spec.output = sim::Output::kNone;
    internal = layout.add<double>(spec);
    spec = sim::ColumnSpec{};
    spec.model = "energy";
    spec.dim = "feeder";
    spec.name = "load_kw";
    spec.units = "kW";
    spec.long_name = "feeder load";
    load = layout.add<double>(spec);
  }

  /// Fills the state of `tick` with values that identify tick and entity exactly.
  void fill_state(sim::State& state, std::int64_t tick) const {
    for (std::size_t s = 0; s < 3; ++s) {
      state.get_mutable(fill)[s] = static_cast<double>(tick) * 10.0 + static_cast<double>(s) + 0.25;
      state.get_mutable(bikes)[s] =
          static_cast<std::int32_t>(tick * 100) + static_cast<std::int32_t>(s);
      state.get_mutable(internal)[s] = -1.0;
    }
    state.get_mutable(load)[0] = 1000.5 + static_cast<double>(tick);
  }
};

ResultMetadata test_metadata(std::string scenario_text = "[run]\nseed = 42\n") {
  ResultMetadata metadata;
  metadata.scenario_path = "scenarios/test.toml";
  metadata.scenario_text = std::move(scenario_text);
  metadata.scenario_sha256 = "00ff";
  metadata.seed = 42;
  metadata.dt_s = kDtS;
  metadata.n_ticks = 96;
  metadata.threads = 2;
  metadata.start_utc_s = kStartUtcS;
  metadata.time_zone = "Europe/Paris";
  return metadata;
}

/// Options that flush on the step count only.
WriterOptions count_options(std::int64_t flush_every, int compression = 4) {
  WriterOptions options;
  options.compression = compression;
  options.flush_every = flush_every;
  options.flush_interval_s = 1e9;
  return options;
}

class ResultWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("citytwin_result_writer_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  /// Writes `n_steps` steps (ticks 0, 1, ...) and closes with `success`.
  fs::path write_steps(const std::string& name, std::int64_t n_steps, WriterOptions options,
                       bool success = true) {
    const fs::path path = dir_ / name;
    sim::State state(layout_.layout);
    ResultWriter writer(path, test_metadata(), layout_.layout, options);
    for (std::int64_t tick = 0; tick < n_steps; ++tick) {
      layout_.fill_state(state, tick);
      writer.append(tick, kStartUtcS + tick * kDtS, state);
    }
    writer.close(success);
    return path;
  }

  fs::path dir_;
  TestLayout layout_;
};

TEST_F(ResultWriterTest, WritesEveryStepOfEveryOutputColumn) {
  const fs::path path = write_steps("run.h5", 5, count_options(2));
  const TestHid file = open_file(path);
  ASSERT_TRUE(file.valid());

  // time coordinate in seconds since the start, and ticks
  EXPECT_EQ(read_doubles(file.get(), "/bikeshare/time"),
            (std::vector<double>{0, 900, 1800, 2700, 3600}));
  EXPECT_EQ(read_int64s(file.get(), "/bikeshare/tick"), (std::vector<std::int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(read_doubles(file.get(), "/energy/time"),
            (std::vector<double>{0, 900, 1800, 2700, 3600}));
  const TestHid time = open_dataset(file.get(), "/bikeshare/time");
  const TestHid time_type(H5Dget_type(time.get()), H5Tclose);
  EXPECT_GT(H5Tequal(time_type.get(), H5T_IEEE_F64LE), 0);
  EXPECT_EQ(read_int64s(file.get(), "/bikeshare/station"),
            (std::vector<std::int64_t>{101, 102, 103}));

  // (time, station) values, exactly
  EXPECT_EQ(shape_of(file.get(), "/bikeshare/fill_frac"), (std::vector<hsize_t>{5, 3}));
  const std::vector<double> fill = read_doubles(file.get(), "/bikeshare/fill_frac");
  const std::vector<std::int32_t> bikes = read_int32s(file.get(), "/bikeshare/bikes_available");
  ASSERT_EQ(fill.size(), 15u);
  ASSERT_EQ(bikes.size(), 15u);
  for (std::size_t t = 0; t < 5; ++t) {
    for (std::size_t s = 0; s < 3; ++s) {
      EXPECT_EQ(fill[t * 3 + s], static_cast<double>(t) * 10.0 + static_cast<double>(s) + 0.25);
      EXPECT_EQ(bikes[t * 3 + s], static_cast<std::int32_t>(t * 100 + s));
    }
  }
  EXPECT_EQ(read_doubles(file.get(), "/energy/load_kw"),
            (std::vector<double>{1000.5, 1001.5, 1002.5, 1003.5, 1004.5}));

  // stored types follow the columns; non-output columns are absent
  const TestHid bikes_ds = open_dataset(file.get(), "/bikeshare/bikes_available");
  const TestHid bikes_type(H5Dget_type(bikes_ds.get()), H5Tclose);
  EXPECT_GT(H5Tequal(bikes_type.get(), H5T_STD_I32LE), 0);
  EXPECT_EQ(H5Lexists(file.get(), "/bikeshare/rebalance_target", H5P_DEFAULT), 0);

  // units and long names
  EXPECT_EQ(string_attr(file.get(), "/energy/load_kw", "units"), "kW");
  EXPECT_EQ(string_attr(file.get(), "/energy/load_kw", "long_name"), "feeder load");
  EXPECT_EQ(string_attr(file.get(), "/bikeshare/station", "units"), "1");
  EXPECT_EQ(string_attr(file.get(), "/bikeshare/station", "long_name"), "bike-share station id");
}

TEST_F(ResultWriterTest, CountsStepsFlushesAndBytes) {
  const fs::path path = dir_ / "run.h5";
  sim::State state(layout_.layout);
  ResultWriter writer(path, test_metadata(), layout_.layout, count_options(2));
  for (std::int64_t tick = 0; tick < 5; ++tick) {
    layout_.fill_state(state, tick);
    writer.append(tick, kStartUtcS + tick * kDtS, state);
  }
  // flushes after steps 2 and 4; step 5 is buffered
  EXPECT_EQ(writer.n_flushes(), 2);
  EXPECT_EQ(writer.n_steps_written(), 4);
  // per step: 3 groups (run and two models) x (time + tick) x 8 B + 3 x 8 B + 3 x 4 B + 1 x 8 B
  EXPECT_EQ(writer.bytes_written(), 4 * (48 + 24 + 12 + 8));
  writer.close(true);
  EXPECT_EQ(writer.n_flushes(), 3);
  EXPECT_EQ(writer.n_steps_written(), 5);
}

TEST_F(ResultWriterTest, WritesRootAttributes) {
  // a scenario text larger than an object header message (64 KiB)
  std::string scenario;
  for (int i = 0; scenario.size() < 100 * 1024; ++i) {
    scenario += "# line " + std::to_string(i) + "\n";
  }
  ResultMetadata metadata = test_metadata(scenario);
  metadata.seed = (std::uint64_t{1} << 63) + 5;
  const fs::path path = dir_ / "run.h5";
  {
    ResultWriter writer(path, metadata, layout_.layout, count_options(4));
    writer.close(true);
  }
  const TestHid file = open_file(path);
  ASSERT_TRUE(file.valid());
  EXPECT_EQ(string_attr(file.get(), "/", "Conventions"), "CF-1.8");
  EXPECT_EQ(string_attr(file.get(), "/", "citytwin_version"), std::string(citytwin::kVersion));
  EXPECT_EQ(string_attr(file.get(), "/", "git_describe"), std::string(citytwin::kGitDescribe));
  EXPECT_EQ(string_attr(file.get(), "/", "scenario_path"), "scenarios/test.toml");
  EXPECT_EQ(string_attr(file.get(), "/", "scenario"), scenario);
  EXPECT_EQ(string_attr(file.get(), "/", "scenario_sha256"), "00ff");
  EXPECT_EQ(string_attr(file.get(), "/", "start_time"), "2024-01-01T00:00:00Z");
  EXPECT_EQ(string_attr(file.get(), "/", "time_zone"), "Europe/Paris");
  EXPECT_EQ(number_attr<std::uint64_t>(file.get(), "/", "seed", H5T_NATIVE_UINT64),
            (std::uint64_t{1} << 63) + 5);
  EXPECT_EQ(number_attr<std::int32_t>(file.get(), "/", "dt_s", H5T_NATIVE_INT32), 900);
  EXPECT_EQ(number_attr<std::int64_t>(file.get(), "/", "n_ticks", H5T_NATIVE_INT64), 96);
  EXPECT_EQ(number_attr<std::int32_t>(file.get(), "/", "threads", H5T_NATIVE_INT32), 2);

  // CF time attributes
  EXPECT_EQ(string_attr(file.get(), "/bikeshare/time", "units"),
            "seconds since 2024-01-01T00:00:00Z");
  EXPECT_EQ(string_attr(file.get(), "/bikeshare/time", "calendar"), "standard");
  EXPECT_EQ(string_attr(file.get(), "/bikeshare/time", "standard_name"), "time");
  EXPECT_EQ(string_attr(file.get(), "/energy/time", "axis"), "T");
}

TEST_F(ResultWriterTest, AttachesDimensionScales) {
  const fs::path path = write_steps("run.h5", 3, count_options(2));
  const TestHid file = open_file(path);
  const TestHid time = open_dataset(file.get(), "/bikeshare/time");
  const TestHid station = open_dataset(file.get(), "/bikeshare/station");
  const TestHid fill = open_dataset(file.get(), "/bikeshare/fill_frac");
  const TestHid energy_time = open_dataset(file.get(), "/energy/time");
  const TestHid load = open_dataset(file.get(), "/energy/load_kw");

  // coordinates are scales named after their dimension
  EXPECT_GT(H5DSis_scale(time.get()), 0);
  EXPECT_GT(H5DSis_scale(station.get()), 0);
  char name[32] = {};
  EXPECT_EQ(H5DSget_scale_name(station.get(), name, sizeof name), 7);
  EXPECT_STREQ(name, "station");

  // variables carry exactly one scale per dimension
  EXPECT_EQ(H5DSget_num_scales(fill.get(), 0), 1);
  EXPECT_EQ(H5DSget_num_scales(fill.get(), 1), 1);
  EXPECT_GT(H5DSis_attached(fill.get(), time.get(), 0), 0);
  EXPECT_GT(H5DSis_attached(fill.get(), station.get(), 1), 0);
  EXPECT_GT(H5DSis_attached(load.get(), energy_time.get(), 0), 0);
  EXPECT_EQ(H5DSis_attached(load.get(), time.get(), 0), 0);

  // time is unlimited
  const TestHid space(H5Dget_space(time.get()), H5Sclose);
  hsize_t dims[1] = {};
  hsize_t max_dims[1] = {};
  H5Sget_simple_extent_dims(space.get(), dims, max_dims);
  EXPECT_EQ(dims[0], 3u);
  EXPECT_EQ(max_dims[0], H5S_UNLIMITED);
}

TEST_F(ResultWriterTest, ChunksByFlushAndCompressesWithShuffle) {
  const fs::path compressed = write_steps("deflate.h5", 3, count_options(6, 4));
  const fs::path plain = write_steps("plain.h5", 3, count_options(6, 0));

  // chunk: flush_every rows by all 3 stations; shuffle then deflate level 4
  {
    const TestHid file = open_file(compressed);
    const TestHid fill = open_dataset(file.get(), "/bikeshare/fill_frac");
    const TestHid dcpl(H5Dget_create_plist(fill.get()), H5Pclose);
    EXPECT_EQ(H5Pget_layout(dcpl.get()), H5D_CHUNKED);
    hsize_t chunk[2] = {};
    EXPECT_EQ(H5Pget_chunk(dcpl.get(), 2, chunk), 2);
    EXPECT_EQ(chunk[0], 6u);
    EXPECT_EQ(chunk[1], 3u);
    ASSERT_EQ(H5Pget_nfilters(dcpl.get()), 2);
    unsigned flags = 0;
    std::size_t n_values = 1;
    unsigned level = 0;
    EXPECT_EQ(H5Pget_filter2(dcpl.get(), 0, &flags, &n_values, &level, 0, nullptr, nullptr),
              H5Z_FILTER_SHUFFLE);
    n_values = 1;
    EXPECT_EQ(H5Pget_filter2(dcpl.get(), 1, &flags, &n_values, &level, 0, nullptr, nullptr),
              H5Z_FILTER_DEFLATE);
    EXPECT_EQ(level, 4u);
  }
  // compression 0: chunked (time is unlimited) without filters
  const TestHid file = open_file(plain);
  const TestHid fill = open_dataset(file.get(), "/bikeshare/fill_frac");
  const TestHid dcpl(H5Dget_create_plist(fill.get()), H5Pclose);
  EXPECT_EQ(H5Pget_layout(dcpl.get()), H5D_CHUNKED);
  EXPECT_EQ(H5Pget_nfilters(dcpl.get()), 0);
  EXPECT_EQ(read_doubles(file.get(), "/bikeshare/fill_frac")[8], 22.25);
}

/// Every stored chunk of a dataset: its offset, filter mask and bytes (H5Dget_chunk_info,
/// H5Dread_chunk), in offset order.
struct StoredChunk {
  std::vector<hsize_t> offset;
  std::uint32_t filter_mask = 0;
  std::vector<std::uint8_t> bytes;
  bool operator==(const StoredChunk&) const = default;
};
std::vector<StoredChunk> stored_chunks(hid_t dataset) {
  const TestHid space(H5Dget_space(dataset), H5Sclose);
  const auto rank = static_cast<std::size_t>(H5Sget_simple_extent_ndims(space.get()));
  hsize_t n_chunks = 0;
  H5Dget_num_chunks(dataset, space.get(), &n_chunks);
  std::vector<StoredChunk> out;
  for (hsize_t k = 0; k < n_chunks; ++k) {
    StoredChunk chunk;
    chunk.offset.resize(rank);
    unsigned mask = 0;
    haddr_t address = 0;
    hsize_t size = 0;
    H5Dget_chunk_info(dataset, space.get(), k, chunk.offset.data(), &mask, &address, &size);
    chunk.bytes.resize(static_cast<std::size_t>(size));
    std::uint32_t read_mask = 0;
    H5Dread_chunk(dataset, H5P_DEFAULT, chunk.offset.data(), &read_mask, chunk.bytes.data());
    chunk.filter_mask = read_mask;
    out.push_back(std::move(chunk));
  }
  std::sort(out.begin(), out.end(),
            [](const StoredChunk& a, const StoredChunk& b) { return a.offset < b.offset; });
  return out;
}

TEST_F(ResultWriterTest, PacksChunksAsHdf5sFiltersWouldOnAnyThreadCount) {
  // A series of 40,000 links (chunks of 4 rows x 32,768 links: an edge chunk of 7,232), a
  // snapshot of 140,000 trips (chunks of 131,072: an edge chunk of 8,928), a 1-byte snapshot
  // (nothing to shuffle) and a snapshot of scrambled bits that deflate cannot shrink
  constexpr std::int64_t kLinks = 40000;
  constexpr std::int64_t kTrips = 140000;
  sim::StateLayout layout;
  std::vector<std::int64_t> link_ids(kLinks);
  std::vector<std::int64_t> trip_ids(kTrips);
  for (std::int64_t i = 0; i < kLinks; ++i) link_ids[static_cast<std::size_t>(i)] = i + 1;
  for (std::int64_t i = 0; i < kTrips; ++i) trip_ids[static_cast<std::size_t>(i)] = i + 1;
  layout.add_dim({"mobility", "link", link_ids, "link id"});
  layout.add_dim({"mobility", "trip", trip_ids, "trip id"});
  const auto volume = layout.add<double>({"mobility", "volume_veh", {}, "link", 0, "1", "volume"});
  sim::ColumnSpec snap{"mobility", "arrival_s", {}, "trip", 0, "s", "arrival time"};
  snap.output = sim::Output::kSnapshot;
  const auto arrival = layout.add<double>(snap);
  snap.name = "mode";
  const auto mode = layout.add<std::uint8_t>(snap);
  snap.name = "noise";
  const auto noise = layout.add<std::int64_t>(snap);
  const auto fill = [&](sim::State& state, std::int64_t tick) {
    for (std::int64_t l = 0; l < kLinks; ++l) {
      state.get_mutable(volume)[static_cast<std::size_t>(l)] =
          static_cast<double>((l * 7 + tick * 3) % 50);
    }
    for (std::int64_t t = 0; t < kTrips; ++t) {
      const auto k = static_cast<std::size_t>(t);
      state.get_mutable(arrival)[k] = 0.5 * static_cast<double>(t % 3600 + tick);
      state.get_mutable(mode)[k] = static_cast<std::uint8_t>((t + tick) % 3);
      // splitmix64 of (trip, tick): incompressible
      std::uint64_t z = static_cast<std::uint64_t>(t * 1000 + tick) + 0x9E3779B97F4A7C15ULL;
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
      state.get_mutable(noise)[k] = static_cast<std::int64_t>(z ^ (z >> 31));
    }
  };
  // 11 steps, 4 a chunk: a flush after step 2 packs a part-filled chunk that the flush at step
  // 4 completes through HDF5; steps 4-7 are one packed chunk, 8-10 a part-filled one at close
  const auto write = [&](const fs::path& path, int threads) {
    sim::set_thread_count(threads);
    sim::State state(layout);
    ResultWriter writer(path, test_metadata(), layout, count_options(4));
    for (std::int64_t tick = 0; tick < 11; ++tick) {
      fill(state, tick);
      writer.append(tick, kStartUtcS + tick * kDtS, state);
      if (tick == 1) writer.flush();
    }
    writer.close(true);
    sim::set_thread_count(1);
  };
  const fs::path one = dir_ / "one.h5";
  const fs::path four = dir_ / "four.h5";
  write(one, 1);
  write(four, 4);

  // the values
  const TestHid file = open_file(one);
  const std::vector<double> volumes = read_doubles(file.get(), "/mobility/volume_veh");
  ASSERT_EQ(volumes.size(), static_cast<std::size_t>(11 * kLinks));
  for (std::int64_t tick = 0; tick < 11; ++tick) {
    for (const std::int64_t l :
         {std::int64_t{0}, std::int64_t{32767}, std::int64_t{32768}, kLinks - 1}) {
      EXPECT_EQ(volumes[static_cast<std::size_t>(tick * kLinks + l)],
                static_cast<double>((l * 7 + tick * 3) % 50))
          << "tick " << tick << " link " << l;
    }
  }
  sim::State last(layout);
  fill(last, 10);
  const std::vector<double> arrivals = read_doubles(file.get(), "/mobility/arrival_s");
  EXPECT_TRUE(std::equal(arrivals.begin(), arrivals.end(), last.get(arrival).begin(),
                         last.get(arrival).end()));
  const std::vector<std::int64_t> noises = read_int64s(file.get(), "/mobility/noise");
  EXPECT_TRUE(
      std::equal(noises.begin(), noises.end(), last.get(noise).begin(), last.get(noise).end()));
  const std::vector<std::uint8_t> modes =
      read_all<std::uint8_t>(file.get(), "/mobility/mode", H5T_NATIVE_UINT8);
  EXPECT_TRUE(std::equal(modes.begin(), modes.end(), last.get(mode).begin(), last.get(mode).end()));

  // the stored chunks: the same on 1 and 4 threads, and the bytes HDF5's own filters store for
  // the same values written in one go into a dataset of the same creation properties
  const TestHid file4 = open_file(four);
  const fs::path reference_path = dir_ / "reference.h5";
  const TestHid reference(
      H5Fcreate(reference_path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
  std::int64_t n_packed = 0;
  std::int64_t n_raw = 0;
  for (const char* name : {"volume_veh", "arrival_s", "mode", "noise"}) {
    const std::string path = std::string("/mobility/") + name;
    const TestHid dataset = open_dataset(file.get(), path);
    const std::vector<StoredChunk> chunks = stored_chunks(dataset.get());
    EXPECT_EQ(chunks, stored_chunks(open_dataset(file4.get(), path).get())) << name;
    const TestHid type(H5Dget_type(dataset.get()), H5Tclose);
    const TestHid space(H5Dget_space(dataset.get()), H5Sclose);
    const TestHid dcpl(H5Dget_create_plist(dataset.get()), H5Pclose);
    const TestHid copy(H5Dcreate2(reference.get(), name, type.get(), space.get(), H5P_DEFAULT,
                                  dcpl.get(), H5P_DEFAULT),
                       H5Dclose);
    const TestHid mem_type(H5Tget_native_type(type.get(), H5T_DIR_ASCEND), H5Tclose);
    std::vector<std::uint8_t> values(
        static_cast<std::size_t>(H5Sget_simple_extent_npoints(space.get())) *
        H5Tget_size(type.get()));
    H5Dread(dataset.get(), mem_type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
    H5Dwrite(copy.get(), mem_type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
    H5Fflush(reference.get(), H5F_SCOPE_GLOBAL);
    const std::vector<StoredChunk> expected = stored_chunks(copy.get());
    ASSERT_EQ(chunks.size(), expected.size()) << name;
    for (std::size_t k = 0; k < chunks.size(); ++k) {
      EXPECT_EQ(chunks[k].offset, expected[k].offset) << name;
      if (chunks[k].filter_mask == 0) {
        EXPECT_EQ(chunks[k], expected[k]) << name << " chunk " << k;
        ++n_packed;
      } else {
        // deflate does not shrink it: stored shuffled, unpacked, the deflate filter skipped
        EXPECT_EQ(chunks[k].filter_mask, 2u) << name;
        EXPECT_EQ(std::string(name), "noise");
        EXPECT_EQ(chunks[k].bytes.size(), 131072u * 8u) << name;
        ++n_raw;
      }
    }
  }
  // volume: 3 row blocks x 2 link chunks; arrival: 2 trip chunks; mode: one; noise: the edge
  // chunk (mostly zero padding) deflated, the full one stored raw
  EXPECT_EQ(n_packed, 6 + 2 + 1 + 1);
  EXPECT_EQ(n_raw, 1);
}

TEST_F(ResultWriterTest, RenamesPartialOnlyOnSuccess) {
  // success: the final name appears, the partial file is gone
  const fs::path done = write_steps("done.h5", 2, count_options(4), true);
  EXPECT_TRUE(fs::exists(done));
  EXPECT_FALSE(fs::exists(dir_ / "done.h5.partial"));

  // failure: close(false) flushes every step and leaves the partial file
  const fs::path failed = write_steps("failed.h5", 3, count_options(2), false);
  EXPECT_FALSE(fs::exists(failed));
  ASSERT_TRUE(fs::exists(dir_ / "failed.h5.partial"));
  const TestHid file = open_file(dir_ / "failed.h5.partial");
  EXPECT_EQ(read_int64s(file.get(), "/bikeshare/tick"), (std::vector<std::int64_t>{0, 1, 2}));

  // no close(): the destructor flushes and keeps the partial name
  {
    sim::State state(layout_.layout);
    ResultWriter writer(dir_ / "dropped.h5", test_metadata(), layout_.layout, count_options(8));
    EXPECT_EQ(writer.partial_path(), dir_ / "dropped.h5.partial");
    layout_.fill_state(state, 0);
    writer.append(0, kStartUtcS, state);
  }
  EXPECT_FALSE(fs::exists(dir_ / "dropped.h5"));
  const TestHid dropped = open_file(dir_ / "dropped.h5.partial");
  EXPECT_EQ(read_int64s(dropped.get(), "/bikeshare/tick"), (std::vector<std::int64_t>{0}));
}

TEST_F(ResultWriterTest, CloseIsIdempotentAndEndsWriting) {
  const fs::path path = dir_ / "run.h5";
  sim::State state(layout_.layout);
  ResultWriter writer(path, test_metadata(), layout_.layout, count_options(4));
  writer.close(true);
  writer.close(false);
  EXPECT_TRUE(fs::exists(path));
  EXPECT_THROW(writer.append(0, kStartUtcS, state), std::logic_error);
  EXPECT_THROW(writer.write_kpis({}), std::logic_error);
}

TEST_F(ResultWriterTest, KilledRunKeepsEveryFlushedStep) {
  const fs::path path = dir_ / "killed.h5";
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // child: 7 steps with a flush every 3, then SIGKILL before step 7 is written
    try {
      sim::State state(layout_.layout);
      ResultWriter writer(path, test_metadata(), layout_.layout, count_options(3));
      for (std::int64_t tick = 0; tick < 7; ++tick) {
        layout_.fill_state(state, tick);
        writer.append(tick, kStartUtcS + tick * kDtS, state);
      }
      if (writer.n_flushes() != 2) ::_exit(2);
      ::kill(::getpid(), SIGKILL);
    } catch (...) {
      ::_exit(1);
    }
    ::_exit(3);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
  EXPECT_EQ(WTERMSIG(status), SIGKILL);

  // the partial file opens and holds the 6 flushed steps, not the 7th
  EXPECT_FALSE(fs::exists(path));
  const TestHid file = open_file(dir_ / "killed.h5.partial");
  ASSERT_TRUE(file.valid());
  EXPECT_EQ(read_int64s(file.get(), "/bikeshare/tick"),
            (std::vector<std::int64_t>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(shape_of(file.get(), "/bikeshare/fill_frac"), (std::vector<hsize_t>{6, 3}));
  EXPECT_EQ(read_doubles(file.get(), "/bikeshare/fill_frac")[17], 52.25);
  EXPECT_EQ(read_doubles(file.get(), "/energy/load_kw"),
            (std::vector<double>{1000.5, 1001.5, 1002.5, 1003.5, 1004.5, 1005.5}));
  EXPECT_EQ(string_attr(file.get(), "/", "scenario_path"), "scenarios/test.toml");
}

TEST_F(ResultWriterTest, FlushesOnWallTime) {
  // an interval of 0 s is always due: every step is flushed at once
  WriterOptions options = count_options(100);
  options.flush_interval_s = 0.0;
  const fs::path path = dir_ / "run.h5";
  sim::State state(layout_.layout);
  ResultWriter writer(path, test_metadata(), layout_.layout, options);
  for (std::int64_t tick = 0; tick < 3; ++tick) {
    layout_.fill_state(state, tick);
    writer.append(tick, kStartUtcS + tick * kDtS, state);
    EXPECT_EQ(writer.n_flushes(), tick + 1);
    EXPECT_EQ(writer.n_steps_written(), tick + 1);
  }
  writer.close(true);
  const TestHid file = open_file(path);
  EXPECT_EQ(read_int64s(file.get(), "/energy/tick"), (std::vector<std::int64_t>{0, 1, 2}));
}

TEST_F(ResultWriterTest, RealignsFlushesWithChunksAfterAnEarlyFlush) {
  const fs::path path = dir_ / "run.h5";
  sim::State state(layout_.layout);
  ResultWriter writer(path, test_metadata(), layout_.layout, count_options(4));
  // an explicit flush after step 1, then the next flush at step 4 (the chunk boundary), not 5
  layout_.fill_state(state, 0);
  writer.append(0, kStartUtcS, state);
  writer.flush();
  EXPECT_EQ(writer.n_flushes(), 1);
  for (std::int64_t tick = 1; tick < 4; ++tick) {
    layout_.fill_state(state, tick);
    writer.append(tick, kStartUtcS + tick * kDtS, state);
  }
  EXPECT_EQ(writer.n_flushes(), 2);
  EXPECT_EQ(writer.n_steps_written(), 4);
  writer.close(true);
  const TestHid file = open_file(path);
  EXPECT_EQ(read_doubles(file.get(), "/energy/load_kw"),
            (std::vector<double>{1000.5, 1001.5, 1002.5, 1003.5}));
}

TEST_F(ResultWriterTest, RejectsBadArguments) {
  EXPECT_THROW(ResultWriter(dir_ / "a.h5", test_metadata(), layout_.layout, count_options(0)),
               std::invalid_argument);
  EXPECT_THROW(ResultWriter(dir_ / "b.h5", test_metadata(), layout_.layout, count_options(4, 10)),
               std::invalid_argument);

  // ticks must increase
  sim::State state(layout_.layout);
  ResultWriter writer(dir_ / "c.h5", test_metadata(), layout_.layout, count_options(4));
  writer.append(3, kStartUtcS, state);
  EXPECT_THROW(writer.append(3, kStartUtcS, state), std::invalid_argument);

  // a state of another layout
  sim::StateLayout other;
  other.add_dim({"bikeshare", "station", {1}, "one station"});
  const sim::State small(other);
  EXPECT_THROW(writer.append(4, kStartUtcS, small), std::invalid_argument);
}

TEST_F(ResultWriterTest, UncreatableFileThrowsWithPath) {
  const fs::path path = dir_ / "missing_dir" / "run.h5";
  try {
    ResultWriter writer(path, test_metadata(), layout_.layout, count_options(4));
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(path.string() + ".partial"), std::string::npos)
        << e.what();
  }
}

/// A tiny city: two buildings (the first with a hole), two surfaces (a roof with a hole and a
/// ground), three street nodes with
/// two segments, one block, one zone and a 2 x 3 terrain grid.
sim::City tiny_city() {
  sim::City city;
  city.name = "Tinyville";
  city.crs = "EPSG:3946";
  city.origin_lat_deg = 45.75;
  city.origin_lon_deg = 4.85;
  sim::Buildings& b = city.buildings;
  b.building_id = {1001, 1002};
  b.height_m = {12.0, 6.5};
  b.eaves_height_m = {12.0, 4.0};
  b.ground_elevation_m = {170.0, 171.0};
  b.footprint_area_m2 = {96.0, 50.0};
  b.floor_area_m2 = {384.0, 100.0};
  b.n_floors = {4, 2};
  b.residents = {20, 3};
  b.jobs = {0, 1};
  b.use = {sim::BuildingUse::kResidential, sim::BuildingUse::kMixed};
  b.roof_shape = {sim::RoofShape::kFlat, sim::RoofShape::kGabled};
  b.roof_pitch_deg = {0.0, 35.0};
  b.centroid_x_m = {5.0, 25.0};
  b.centroid_y_m = {5.0, 2.5};
  b.block_idx = {0, 0};
  b.zone_idx = {0, -1};
  // building 0: 10 x 10 square with a 2 x 2 triangle hole; building 1: 10 x 5 rectangle
  b.ring_begin = {0, 2, 3};
  b.vertex_begin = {0, 4, 7, 11};
  b.vertex_x_m = {0, 10, 10, 0, 4, 4, 6, 20, 30, 30, 20};
  b.vertex_y_m = {0, 0, 10, 10, 4, 6, 4, 0, 0, 5, 5};

  sim::Surfaces& s = city.surfaces;
  // surface 5001: roof of building 0 with the footprint's hole; 5002: ground of building 1
  s.surface_id = {5001, 5002};
  s.building_idx = {0, 1};
  s.type = {sim::SurfaceType::kRoof, sim::SurfaceType::kGround};
  s.area_m2 = {98.0, 50.0};
  s.tilt_deg = {0.0, 180.0};
  s.azimuth_deg = {180.0, 0.0};
  s.ring_begin = {0, 2, 3};
  s.vertex_begin = {0, 4, 7, 11};
  s.vertex_x_m = {0, 10, 10, 0, 4, 4, 6, 20, 20, 30, 30};
  s.vertex_y_m = {0, 0, 10, 10, 4, 6, 4, 0, 5, 5, 0};
  s.vertex_z_m = {182, 182, 182, 182, 182, 182, 182, 171, 171, 171, 171};

  sim::Streets& st = city.streets;
  st.node_id = {1, 2, 3};
  st.node_x_m = {0, 100, 100};
  st.node_y_m = {-5, -5, 50};
  st.node_z_m = {170, 171, 172};
  st.node_signalised = {0, 1, 0};
  st.street_id = {71, 72};
  st.from_node_idx = {0, 1};
  st.to_node_idx = {1, 2};
  st.length_m = {100.0, 55.0};
  st.lanes_forward = {2, 1};
  st.lanes_backward = {2, 0};
  st.speed_limit_mps = {13.89, 8.33};
  st.width_m = {12.0, 6.0};
  st.street_class = {sim::StreetClass::kArterial, sim::StreetClass::kLocal};

  city.blocks.min_x_m = {0};
  city.blocks.min_y_m = {0};
  city.blocks.max_x_m = {40};
  city.blocks.max_y_m = {20};
  city.blocks.zone_idx = {0};
  city.zones.zone_id = {9};
  city.zones.name = {"Centre-ville"};
  city.zones.min_x_m = {-10};
  city.zones.min_y_m = {-10};
  city.zones.max_x_m = {110};
  city.zones.max_y_m = {60};

  city.terrain.origin_x_m = -50.0;
  city.terrain.origin_y_m = -20.0;
  city.terrain.cell_m = 25.0;
  city.terrain.nx = 3;
  city.terrain.ny = 2;
  city.terrain.elevation_m = {170, 171, 172, 173, 174, 175};
  city.index_ids();
  return city;
}

TEST_F(ResultWriterTest, WritesCityGroup) {
  const fs::path path = dir_ / "city.h5";
  {
    ResultWriter writer(path, test_metadata(), layout_.layout, count_options(4));
    writer.write_city(tiny_city());
    EXPECT_THROW(writer.write_city(tiny_city()), std::logic_error);
    writer.close(true);
  }
  const TestHid file = open_file(path);
  ASSERT_TRUE(file.valid());
  const hid_t f = file.get();

  // group attributes and counts
  EXPECT_EQ(string_attr(f, "/city", "name"), "Tinyville");
  EXPECT_EQ(string_attr(f, "/city", "crs"), "EPSG:3946");
  EXPECT_EQ(number_attr<double>(f, "/city", "origin_lat_deg", H5T_NATIVE_DOUBLE), 45.75);
  EXPECT_EQ(read_int64s(f, "/city/building"), (std::vector<std::int64_t>{1001, 1002}));
  EXPECT_EQ(read_int64s(f, "/city/building_id"), (std::vector<std::int64_t>{1001, 1002}));
  EXPECT_EQ(read_int64s(f, "/city/street_id"), (std::vector<std::int64_t>{71, 72}));
  EXPECT_EQ(read_int64s(f, "/city/surface"), (std::vector<std::int64_t>{5001, 5002}));
  EXPECT_EQ(read_int64s(f, "/city/node"), (std::vector<std::int64_t>{1, 2, 3}));
  EXPECT_EQ(read_int64s(f, "/city/street"), (std::vector<std::int64_t>{71, 72}));
  EXPECT_EQ(read_int64s(f, "/city/zone"), (std::vector<std::int64_t>{9}));
  EXPECT_EQ(shape_of(f, "/city/footprint_node"), (std::vector<hsize_t>{11}));
  EXPECT_EQ(shape_of(f, "/city/footprint_part"), (std::vector<hsize_t>{3}));
  EXPECT_EQ(shape_of(f, "/city/surface_part"), (std::vector<hsize_t>{3}));
  EXPECT_EQ(shape_of(f, "/city/surface_node"), (std::vector<hsize_t>{11}));
  EXPECT_EQ(shape_of(f, "/city/terrain_elevation_m"), (std::vector<hsize_t>{2, 3}));

  // building columns, flags and the geometry link
  EXPECT_EQ(read_doubles(f, "/city/height_m"), (std::vector<double>{12.0, 6.5}));
  EXPECT_EQ(read_int32s(f, "/city/residents"), (std::vector<std::int32_t>{20, 3}));
  EXPECT_EQ(read_int32s(f, "/city/use"), (std::vector<std::int32_t>{0, 6}));
  EXPECT_EQ(read_int32s(f, "/city/zone_idx"), (std::vector<std::int32_t>{0, -1}));
  EXPECT_EQ(string_attr(f, "/city/use", "flag_meanings"),
            "residential commercial office industrial school public mixed other");
  EXPECT_EQ(string_attr(f, "/city/roof_shape", "flag_meanings"), "flat gabled hipped shed other");
  EXPECT_EQ(string_attr(f, "/city/height_m", "geometry"), "footprint");
  EXPECT_EQ(string_attr(f, "/city/height_m", "units"), "m");

  // CF polygon geometry: building 0 is an outer ring of 4 nodes and a hole of 3
  EXPECT_EQ(string_attr(f, "/city/footprint", "geometry_type"), "polygon");
  EXPECT_EQ(string_attr(f, "/city/footprint", "node_coordinates"), "footprint_x_m footprint_y_m");
  EXPECT_EQ(read_int32s(f, "/city/footprint_node_count"), (std::vector<std::int32_t>{7, 4}));
  EXPECT_EQ(read_int32s(f, "/city/footprint_part_node_count"),
            (std::vector<std::int32_t>{4, 3, 4}));
  EXPECT_EQ(read_int32s(f, "/city/footprint_interior_ring"), (std::vector<std::int32_t>{0, 1, 0}));
  const std::vector<double> x = read_doubles(f, "/city/footprint_x_m");
  const std::vector<double> y = read_doubles(f, "/city/footprint_y_m");
  EXPECT_EQ(std::vector<double>(x.begin(), x.begin() + 7),
            (std::vector<double>{0, 10, 10, 0, 4, 4, 6}));
  EXPECT_EQ(std::vector<double>(y.begin(), y.begin() + 7),
            (std::vector<double>{0, 0, 10, 10, 4, 6, 4}));

  // surfaces, streets, zones, terrain
  EXPECT_EQ(string_attr(f, "/city/surface_polygon", "part_node_count"),
            "surface_part_node_count");
  EXPECT_EQ(string_attr(f, "/city/surface_polygon", "interior_ring"), "surface_interior_ring");
  EXPECT_EQ(read_int32s(f, "/city/surface_node_count"), (std::vector<std::int32_t>{7, 4}));
  EXPECT_EQ(read_int32s(f, "/city/surface_part_node_count"),
            (std::vector<std::int32_t>{4, 3, 4}));
  EXPECT_EQ(read_int32s(f, "/city/surface_interior_ring"), (std::vector<std::int32_t>{0, 1, 0}));
  EXPECT_EQ(read_doubles(f, "/city/surface_z_m"),
            (std::vector<double>{182, 182, 182, 182, 182, 182, 182, 171, 171, 171, 171}));
  EXPECT_EQ(read_doubles(f, "/city/surface_azimuth_deg"), (std::vector<double>{180.0, 0.0}));
  EXPECT_EQ(read_int32s(f, "/city/to_node_idx"), (std::vector<std::int32_t>{1, 2}));
  EXPECT_EQ(read_doubles(f, "/city/speed_limit_mps"), (std::vector<double>{13.89, 8.33}));
  EXPECT_EQ(read_int32s(f, "/city/node_signalised"), (std::vector<std::int32_t>{0, 1, 0}));
  EXPECT_EQ(string_attr(f, "/city/street_class", "flag_meanings"), "arterial collector local path");
  EXPECT_EQ(read_doubles(f, "/city/terrain_x"), (std::vector<double>{-50, -25, 0}));
  EXPECT_EQ(read_doubles(f, "/city/terrain_y"), (std::vector<double>{-20, 5}));
  EXPECT_EQ(read_doubles(f, "/city/terrain_elevation_m"),
            (std::vector<double>{170, 171, 172, 173, 174, 175}));
  {
    const TestHid names = open_dataset(f, "/city/zone_name");
    const TestHid type(H5Dget_type(names.get()), H5Tclose);
    char* text = nullptr;
    ASSERT_GE(H5Dread(names.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, &text), 0);
    EXPECT_STREQ(text, "Centre-ville");
    H5free_memory(text);
  }

  // every dimension has a scale; dimension-only scales follow netCDF's NAME convention
  const TestHid node_dim = open_dataset(f, "/city/footprint_node");
  EXPECT_GT(H5DSis_scale(node_dim.get()), 0);
  EXPECT_EQ(string_attr(f, "/city/footprint_node", "NAME"),
            "This is a netCDF dimension but not a netCDF variable.        11");
  const TestHid fx = open_dataset(f, "/city/footprint_x_m");
  EXPECT_GT(H5DSis_attached(fx.get(), node_dim.get(), 0), 0);
  const TestHid elevation = open_dataset(f, "/city/terrain_elevation_m");
  const TestHid terrain_y = open_dataset(f, "/city/terrain_y");
  const TestHid terrain_x = open_dataset(f, "/city/terrain_x");
  EXPECT_GT(H5DSis_attached(elevation.get(), terrain_y.get(), 0), 0);
  EXPECT_GT(H5DSis_attached(elevation.get(), terrain_x.get(), 1), 0);
}

TEST_F(ResultWriterTest, WritesAndReadsKpis) {
  const fs::path path = dir_ / "run.h5";
  {
    ResultWriter writer(path, test_metadata(), layout_.layout, count_options(4));
    writer.write_kpis({{"energy", sim::Kpi{"imported_kwh", 1234.5, "kWh", "energy imported"}},
                       {"mobility", sim::Kpi{"mean_delay_s", 42.0, "s", "mean delay"}}});
    writer.close(true);
  }
  const TestHid file = open_file(path);
  EXPECT_EQ(read_doubles(file.get(), "/kpi/energy__imported_kwh"), (std::vector<double>{1234.5}));
  EXPECT_EQ(string_attr(file.get(), "/kpi/energy__imported_kwh", "model"), "energy");
  EXPECT_EQ(string_attr(file.get(), "/kpi/energy__imported_kwh", "key"), "energy.imported_kwh");

  const std::vector<StoredKpi> kpis = read_kpis(path);
  ASSERT_EQ(kpis.size(), 2u);
  EXPECT_EQ(kpis[0].key, "energy.imported_kwh");
  EXPECT_EQ(kpis[0].value, 1234.5);
  EXPECT_EQ(kpis[0].units, "kWh");
  EXPECT_EQ(kpis[0].long_name, "energy imported");
  EXPECT_EQ(kpis[1].key, "mobility.mean_delay_s");
  EXPECT_EQ(kpis[1].value, 42.0);
}

class ResultReaderTest : public ResultWriterTest {
 protected:
  /// Writes a file with only the given indicators.
  fs::path kpi_file(const std::string& name,
                    const std::vector<std::pair<std::string, sim::Kpi>>& kpis) {
    const fs::path path = dir_ / name;
    ResultWriter writer(path, test_metadata(), layout_.layout, count_options(4));
    writer.write_kpis(kpis);
    writer.close(true);
    return path;
  }
};

TEST_F(ResultReaderTest, ComparesOneVariant) {
  const fs::path base = kpi_file("base.h5", {{"energy", {"imported_kwh", 100.0, "kWh", "imported"}},
                                             {"energy", {"peak_kw", 0.0, "kW", "peak"}},
                                             {"mobility", {"delay_h", 50.0, "h", "delay"}}});
  const fs::path variant =
      kpi_file("variant.h5", {{"energy", {"imported_kwh", 110.0, "kWh", "imported"}},
                              {"energy", {"peak_kw", 5.0, "kW", "peak"}},
                              {"solar", {"yield_kwh", 3.0, "kWh", "yield"}}});
  // +10 on 100 is +10 %; a change from 0 has no percentage; missing values are "-"
  const std::string expected =
      "base:    " + base.string() + "\n" + "variant: " + variant.string() + "\n" +
      "\n"
      "| indicator           | units | base | variant | change | change % |\n"
      "|---------------------|-------|------|---------|--------|----------|\n"
      "| energy.imported_kwh | kWh   |  100 |     110 |    +10 |   +10.0% |\n"
      "| energy.peak_kw      | kW    |    0 |       5 |     +5 |        - |\n"
      "| mobility.delay_h    | h     |   50 |       - |      - |        - |\n"
      "| solar.yield_kwh     | kWh   |    - |       3 |      - |        - |\n";
  EXPECT_EQ(compare_results(base, {variant}), expected);
}

TEST_F(ResultReaderTest, ComparesSeveralVariants) {
  const fs::path base =
      kpi_file("base.h5", {{"energy", {"imported_kwh", 100.0, "kWh", "imported"}}});
  const fs::path up = kpi_file("up.h5", {{"energy", {"imported_kwh", 110.0, "kWh", "imported"}}});
  const fs::path down =
      kpi_file("down.h5", {{"energy", {"imported_kwh", 87.5, "kWh", "imported"}}});
  // 87.5 - 100 = -12.5, i.e. -12.5 %
  const std::string expected = "base:      " + base.string() + "\n" + "variant 1: " + up.string() +
                               "\n" + "variant 2: " + down.string() + "\n" +
                               "\n"
                               "| indicator           | units | base | variant 1 | change | change "
                               "% | variant 2 | change | change % |\n"
                               "|---------------------|-------|------|-----------|--------|--------"
                               "--|-----------|--------|----------|\n"
                               "| energy.imported_kwh | kWh   |  100 |       110 |    +10 |   "
                               "+10.0% |      87.5 |  -12.5 |   -12.5% |\n";
  EXPECT_EQ(compare_results(base, {up, down}), expected);
}

TEST_F(ResultReaderTest, DescribesFile) {
  const fs::path path = write_steps("run.h5", 3, count_options(2));
  const std::string text = describe_results(path);
  EXPECT_NE(text.find("results file: " + path.string() + "\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  Conventions = CF-1.8\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  seed = 42\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  dt_s = 900\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  scenario = <16 bytes, shown below>\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\n/bikeshare\n  dimensions:\n    time = 3 (unlimited)\n    station = 3\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("    bikes_available(time=3, station=3) int32 [1] bikes available at the "
                      "station\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("    time(time=3) float64 [seconds since 2024-01-01T00:00:00Z] "),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("    load_kw(time=3, feeder=1) float64 [kW] feeder load\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\nscenario:\n[run]\nseed = 42\n"), std::string::npos) << text;
}

TEST_F(ResultReaderTest, UnreadableFilesThrowWithPath) {
  const fs::path missing = dir_ / "missing.h5";
  const fs::path not_hdf5 = dir_ / "text.h5";
  std::ofstream(not_hdf5) << "not an HDF5 file\n";
  for (const fs::path& path : {missing, not_hdf5}) {
    try {
      static_cast<void>(read_kpis(path));
      ADD_FAILURE() << "no exception for " << path;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(path.string() + ": cannot open results file"),
                std::string::npos)
          << e.what();
    }
  }
  EXPECT_THROW(static_cast<void>(describe_results(missing)), std::runtime_error);
  EXPECT_THROW(static_cast<void>(compare_results(missing, {not_hdf5})), std::runtime_error);
}

}  // namespace
}  // namespace citytwin::io

namespace citytwin::io {
namespace {

TEST_F(ResultWriterTest, SnapshotColumnsHoldTheLastFlushedStep) {
  sim::StateLayout layout;
  layout.add_dim({"solar", "roof_face", {11, 12}, "roof face id"});
  sim::ColumnSpec spec{"solar", "annual_yield_kwh", {}, "roof_face", 0, "kWh", "yield so far"};
  spec.output = sim::Output::kSnapshot;
  const auto yield = layout.add<double>(spec);
  const fs::path path = dir_ / "snapshot.h5";
  sim::State state(layout);
  {
    ResultWriter writer(path, test_metadata(), layout, count_options(2));
    for (std::int64_t tick = 0; tick < 3; ++tick) {
      state.get_mutable(yield)[0] = 1.5 * static_cast<double>(tick);
      state.get_mutable(yield)[1] = 100.0 + static_cast<double>(tick);
      writer.append(tick, kStartUtcS + tick * kDtS, state);
    }
    writer.close(true);
  }
  const TestHid file = open_file(path);
  EXPECT_EQ(shape_of(file.get(), "/solar/annual_yield_kwh"), (std::vector<hsize_t>{2}));
  EXPECT_EQ(read_doubles(file.get(), "/solar/annual_yield_kwh"), (std::vector<double>{3.0, 102.0}));
  EXPECT_EQ(string_attr(file.get(), "/solar/annual_yield_kwh", "units"), "kWh");
  EXPECT_EQ(read_doubles(file.get(), "/solar/time").size(), 3u);
}

TEST_F(ResultWriterTest, SnapshotsFollowTheChangedFlags) {
  // a snapshot whose column is flagged unchanged keeps what was buffered (the state may hold
  // anything then, as long as the flags are right); flagged changed, it takes the state's values
  sim::StateLayout layout;
  layout.add_dim({"solar", "roof_face", {11, 12}, "roof face id"});
  sim::ColumnSpec spec{"solar", "annual_yield_kwh", {}, "roof_face", 0, "kWh", "yield so far"};
  spec.output = sim::Output::kSnapshot;
  const auto yield = layout.add<double>(spec);
  const fs::path path = dir_ / "flags.h5";
  sim::State state(layout);
  const std::vector<std::uint8_t> changed{1};
  const std::vector<std::uint8_t> unchanged{0};
  const auto write = [&](const fs::path& file_path, const std::vector<std::uint8_t>& last) {
    ResultWriter writer(file_path, test_metadata(), layout, count_options(1));
    state.get_mutable(yield)[0] = 7.0;
    state.get_mutable(yield)[1] = 8.0;
    writer.append(0, kStartUtcS, state, unchanged);  // the first append always takes the values
    state.get_mutable(yield)[0] = -1.0;
    writer.append(1, kStartUtcS + kDtS, state, last);
    EXPECT_THROW(writer.append(2, kStartUtcS + 2 * kDtS, state, std::vector<std::uint8_t>{1, 1}),
                 std::invalid_argument);
    writer.close(true);
  };
  write(path, unchanged);
  write(dir_ / "flags_changed.h5", changed);
  const TestHid kept = open_file(path);
  EXPECT_EQ(read_doubles(kept.get(), "/solar/annual_yield_kwh"), (std::vector<double>{7.0, 8.0}));
  const TestHid taken = open_file(dir_ / "flags_changed.h5");
  EXPECT_EQ(read_doubles(taken.get(), "/solar/annual_yield_kwh"), (std::vector<double>{-1.0, 8.0}));
}

}  // namespace
}  // namespace citytwin::io
