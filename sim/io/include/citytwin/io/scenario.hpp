#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <citytwin/sim/city_generator.hpp>
#include <citytwin/sim/config_node.hpp>

namespace citytwin::io {

/// Settings of the [output] section.
struct OutputSettings {
  std::string path;                 ///< results file; "" = derived from the scenario name
  std::int64_t interval_s = 3600;   ///< [s] time between two output steps (multiple of dt_s)
  int compression = 4;              ///< deflate level 0..9 (0 = none)
  std::int64_t flush_every = 24;    ///< [1] output steps between two flushes to disk
  double flush_interval_s = 10.0;   ///< [s] wall-clock time between flushes, whichever first
  bool city = true;                 ///< write the /city group (buildings, streets)
};

/// The core sections of a scenario, parsed and validated ([time], [city], [output], root keys).
struct ScenarioSettings {
  std::string name = "scenario";    ///< short name, used for the default output path
  std::string description;          ///< free text
  std::uint64_t seed = 42;          ///< run seed of every random stream
  std::string start_text = "2024-01-01T00:00:00";  ///< [time] start, local time or with offset
  std::string time_zone = "UTC";    ///< [time] IANA time zone of local time
  std::int64_t start_utc_s = 0;     ///< [s] start as Unix time (derived)
  std::int32_t dt_s = 900;          ///< [s] base tick
  std::int64_t duration_s = 86400;  ///< [s] run length (from duration or end)
  std::int64_t n_ticks = 96;        ///< [1] duration_s / dt_s (derived)
  std::string city_buildings = "generated";  ///< [city] buildings: "generated" or a file path
  std::string city_crs;                      ///< [city] crs: CRS of a file that names none ("" = the file's)
  std::string city_lod = "highest";          ///< [city] lod: CityJSON level of detail, "highest" or "2.2"...
  double city_default_height_m = 10.0;       ///< [m] [city] default_height_m: footprints without height
  double city_storey_height_m = 3.0;         ///< [m] [city] storey_height_m: floor-to-floor height
  sim::CityGeneratorOptions generator;       ///< [city.generator]
  OutputSettings output;                     ///< [output]
  std::vector<std::string> models;  ///< [models.<name>] sections present, in the order written
};

/// A scenario: the merged configuration tree of a TOML file, its `extends` chain and any
/// `set()` overrides. Cheap to copy. Not thread-safe while being modified.
class Scenario {
 public:
  /// Loads a scenario file and the files it extends. Throws InputError naming file:line:col.
  static Scenario load(const std::filesystem::path& path);
  /// Parses scenario text; `file_name` names it in messages, `dir` resolves relative paths.
  static Scenario from_text(std::string_view toml, std::string file_name = "inline.toml",
                            std::filesystem::path dir = {});

  /// Applies "key.path=value" (a TOML value; a bare word is taken as a string), as --set does.
  /// Throws InputError when the assignment is malformed.
  void set(std::string_view assignment);
  /// Sets the value at a dotted key path.
  void set(std::string_view key_path, sim::ConfigNode value);

  /// Parses and validates the core sections (not the model sections). Throws InputError with
  /// every problem found.
  [[nodiscard]] ScenarioSettings settings() const;

  [[nodiscard]] const sim::ConfigNode& tree() const { return tree_; }
  /// The fully resolved scenario as TOML text (what results store).
  [[nodiscard]] std::string resolved_toml() const;
  /// SHA-256 of resolved_toml(), as 64 hex digits.
  [[nodiscard]] std::string sha256() const;
  /// The main file, or "" for a scenario given as text.
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  /// The folder that relative paths in the scenario resolve against.
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }
  /// The shared real-data folder: $CITYTWIN_DATA, else the `data_dir` key, else ../shared/data
  /// beside the repository checkout that holds the scenario.
  [[nodiscard]] std::filesystem::path data_dir() const;
  /// Resolves a path written in the scenario: "${data}/x" -> data_dir()/x, relative -> dir()/x.
  [[nodiscard]] std::filesystem::path resolve_path(const std::string& written) const;

 private:
  sim::ConfigNode tree_;
  std::filesystem::path path_;
  std::filesystem::path dir_;
};

/// Parses TOML text into a ConfigNode tree with positions. Throws InputError (file:line:col).
[[nodiscard]] sim::ConfigNode parse_toml(std::string_view text, const std::string& file_name);

/// Returns the SHA-256 of `data` as 64 lowercase hex digits.
[[nodiscard]] std::string sha256_hex(std::string_view data);

}  // namespace citytwin::io
