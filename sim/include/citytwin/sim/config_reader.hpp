#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <citytwin/sim/config_node.hpp>
#include <citytwin/sim/diagnostics.hpp>

namespace citytwin::sim {

/// Valid range of a numeric configuration value.
struct Range {
  double min = -std::numeric_limits<double>::infinity();  ///< lowest valid value
  double max = std::numeric_limits<double>::infinity();   ///< highest valid value
  bool min_exclusive = false;                             ///< true: value must be > min
  bool max_exclusive = false;                             ///< true: value must be < max

  static Range positive() { return {0.0, std::numeric_limits<double>::infinity(), true, false}; }
  static Range non_negative() { return {0.0, std::numeric_limits<double>::infinity()}; }
  static Range fraction() { return {0.0, 1.0}; }
  static Range between(double lo, double hi) { return {lo, hi}; }
};

/// Reads one table of the scenario into a config struct, validating as it goes. Every problem
/// goes to Diagnostics (nothing is thrown), so one run reports all of them. A missing key leaves
/// the struct's default in place: defaults live in the config struct, not here. finish() reports
/// every key that no read_* call asked for as unknown, with a "did you mean" hint.
/// Not thread-safe; used at load time.
class ConfigReader {
 public:
  /// Reads `table` (may be nullptr: an absent section) whose dotted path is `path`.
  ConfigReader(const ConfigNode* table, std::string path, Diagnostics& diagnostics);
  ConfigReader(const ConfigReader&) = delete;
  ConfigReader& operator=(const ConfigReader&) = delete;
  ConfigReader(ConfigReader&&) = default;
  ~ConfigReader() = default;

  /// Returns whether the key is present (and marks it as known).
  bool has(std::string_view key);
  /// Marks keys as known without reading them (a caller reads them another way).
  void accept(std::string_view key);
  /// Marks every key of the table as known (a disabled section is not checked further).
  void accept_all();

  /// Each read_* marks the key as known; when present and valid it overwrites `out`.
  /// They return true when the key was present and valid.
  bool read(std::string_view key, double& out, Range range = {});
  bool read(std::string_view key, std::int64_t& out, Range range = {});
  bool read(std::string_view key, int& out, Range range = {});
  bool read(std::string_view key, bool& out);
  bool read(std::string_view key, std::string& out);
  /// Reads a string that must be one of `choices`.
  bool read_choice(std::string_view key, std::string& out, const std::vector<std::string>& choices);
  /// Reads a duration: a number of seconds, or a string like "90s", "15min", "2h", "7d".
  bool read_duration_s(std::string_view key, std::int64_t& out_s, Range range = {});
  /// Reads an array of numbers.
  bool read(std::string_view key, std::vector<double>& out, Range range = {});
  /// Records an error if `key` is missing.
  bool require(std::string_view key);

  /// Returns a reader for a sub-table (absent tables read as empty). The sub-reader reports its
  /// own unknown keys when its finish() runs.
  ConfigReader section(std::string_view key);
  /// Returns the raw node of a key, or nullptr (and marks it as known).
  const ConfigNode* node(std::string_view key);

  /// Records an error about `key` of this table (the position of its value, else of the table).
  void error(std::string_view key, const std::string& message);
  /// Reports every key not asked for as unknown. Call once, after all reads.
  void finish();

  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] std::string key_path(std::string_view key) const;
  [[nodiscard]] Diagnostics& diagnostics() { return *diagnostics_; }
  [[nodiscard]] const ConfigNode* table() const { return table_; }

 private:
  const ConfigNode* lookup(std::string_view key);
  bool check_range(std::string_view key, double value, const Range& range);
  void type_error(std::string_view key, const ConfigNode& node, const char* expected);

  const ConfigNode* table_;
  std::string path_;
  Diagnostics* diagnostics_;
  std::vector<std::string> known_;
};

/// Parses a duration such as "900", "90s", "15min", "2h", "7d" into seconds.
/// Returns std::nullopt when the text is not a duration.
[[nodiscard]] std::optional<std::int64_t> parse_duration_s(std::string_view text);

}  // namespace citytwin::sim
