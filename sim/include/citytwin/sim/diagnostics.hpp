#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <citytwin/sim/error.hpp>

namespace citytwin::sim {

/// Collects input problems (so that one run reports them all) and counts numerical warnings
/// per model and column. Input collection is single-threaded (load time); warn() is thread-safe.
class Diagnostics {
 public:
  /// Records an input problem; nothing is thrown until throw_if_errors().
  void error(InputIssue issue);
  /// Records an input problem at a location.
  void error(const std::string& file, int line, int column, const std::string& key,
             const std::string& message);
  /// Throws InputError holding every recorded problem, if there is any.
  void throw_if_errors() const;
  /// Returns true when an input problem was recorded.
  [[nodiscard]] bool has_errors() const { return !errors_.empty(); }
  /// Returns the recorded input problems.
  [[nodiscard]] const std::vector<InputIssue>& errors() const { return errors_; }

  /// Counts a numerical warning (NaN, negative stock...) of a model column for an entity at a tick.
  /// The first occurrence per (model, column) keeps its entity id, tick and message. Thread-safe.
  void warn(std::string_view model, std::string_view column, std::int64_t entity_id,
            std::int64_t tick, std::string_view message);

  /// A warning counter: how often, and the first occurrence.
  struct WarningCount {
    std::int64_t count = 0;            ///< number of occurrences
    std::int64_t first_entity_id = 0;  ///< entity of the first occurrence
    std::int64_t first_tick = 0;       ///< tick of the first occurrence
    std::string first_message;         ///< message of the first occurrence
  };
  /// Returns the warning counters keyed by "model.column", in key order. Not thread-safe.
  [[nodiscard]] const std::map<std::string, WarningCount>& warnings() const { return warnings_; }
  /// Returns the total number of warnings.
  [[nodiscard]] std::int64_t n_warnings() const;

 private:
  std::vector<InputIssue> errors_;
  std::mutex warn_mutex_;
  std::map<std::string, WarningCount> warnings_;
};

/// Returns the Levenshtein distance between two strings (for "did you mean" hints).
[[nodiscard]] std::size_t edit_distance(std::string_view a, std::string_view b);

/// Returns the candidate closest to `word` if it is close enough to be a plausible typo, else "".
[[nodiscard]] std::string closest_match(std::string_view word,
                                        const std::vector<std::string>& candidates);

}  // namespace citytwin::sim
