#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <citytwin/sim/city.hpp>
#include <citytwin/sim/model.hpp>
#include <citytwin/sim/state.hpp>

namespace citytwin::io {

/// Root attributes of a results file.
struct ResultMetadata {
  std::string scenario_path;    ///< scenario file as given
  std::string scenario_text;    ///< fully resolved scenario (TOML)
  std::string scenario_sha256;  ///< SHA-256 of scenario_text
  std::uint64_t seed = 0;       ///< run seed
  std::int32_t dt_s = 0;        ///< [s] base tick
  std::int64_t n_ticks = 0;     ///< [1] ticks of the run
  std::int32_t threads = 1;     ///< [1] threads used
  std::int64_t start_utc_s = 0;  ///< [s] Unix time of tick 0
  std::string time_zone;        ///< IANA zone of local time
};

/// How results are written.
struct WriterOptions {
  int compression = 4;             ///< deflate level 0..9
  std::int64_t flush_every = 24;   ///< [1] output steps buffered before a flush
  double flush_interval_s = 10.0;  ///< [s] wall time after which a flush is forced
  /// [1] output steps the run will write, when known (0 = unknown): caps the rows of a chunk,
  /// so that a short run does not compress chunks of fill values at every flush
  std::int64_t expected_rows = 0;
};

/// Writes a netCDF-4-compatible HDF5 results file: one group per model with a `time` coordinate
/// (CF "seconds since" units), entity coordinates holding stable ids, every variable with
/// `units`, `long_name` and a dimension scale on every dimension. Writes to `path + ".partial"`;
/// rows are buffered in memory and written with H5Fflush on a cadence, so that a killed run
/// leaves a readable file holding every flushed step; close() renames it to `path`.
/// Single-threaded: call from the thread that drives the engine.
class ResultWriter {
 public:
  /// Creates `path.partial` with the root attributes and one group per model of `layout` that
  /// has output columns. Throws std::runtime_error when the file cannot be created.
  ResultWriter(std::filesystem::path path, const ResultMetadata& metadata,
               const sim::StateLayout& layout, WriterOptions options);
  ~ResultWriter();
  ResultWriter(const ResultWriter&) = delete;
  ResultWriter& operator=(const ResultWriter&) = delete;

  /// Writes the /city group (buildings with CF ragged footprints, streets, zones, terrain).
  void write_city(const sim::City& city);
  /// Buffers one output step of every output column; flushes when due. `changed` (one flag per
  /// column, e.g. Engine::columns_changed() since the last append; empty = all changed) lets a
  /// snapshot column that did not change keep its buffer and, at the next flush, its dataset.
  void append(std::int64_t tick, std::int64_t utc_s, const sim::State& state,
              std::span<const std::uint8_t> changed = {});
  /// Writes buffered steps and flushes the file to disk.
  void flush();
  /// Writes key indicators as scalar variables of the /kpi group ("<model>.<name>" keys).
  void write_kpis(const std::vector<std::pair<std::string, sim::Kpi>>& kpis);
  /// Flushes and closes; renames `.partial` to the final name when `success`. Idempotent.
  void close(bool success);

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  [[nodiscard]] std::filesystem::path partial_path() const;
  [[nodiscard]] std::int64_t n_steps_written() const;
  [[nodiscard]] std::int64_t n_flushes() const;
  /// [B] uncompressed bytes of variable data written so far.
  [[nodiscard]] std::int64_t bytes_written() const;

 private:
  struct Impl;
  std::filesystem::path path_;
  std::unique_ptr<Impl> impl_;
};

/// One indicator read back from a results file.
struct StoredKpi {
  std::string key;        ///< "<model>.<name>"
  double value = 0.0;
  std::string units;
  std::string long_name;
};

/// Reads the /kpi group of a results file. Throws std::runtime_error when unreadable.
[[nodiscard]] std::vector<StoredKpi> read_kpis(const std::filesystem::path& path);
/// Describes a results file for `citytwin info`: root attributes, groups, variables with shape,
/// units and long name, and the scenario it came from.
[[nodiscard]] std::string describe_results(const std::filesystem::path& path);
/// Formats the comparison table of `citytwin compare`: every indicator of the base and each
/// variant with absolute and relative change.
[[nodiscard]] std::string compare_results(const std::filesystem::path& base,
                                          const std::vector<std::filesystem::path>& variants);

}  // namespace citytwin::io
