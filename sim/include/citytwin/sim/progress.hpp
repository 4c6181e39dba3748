#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace citytwin::sim {

/// How progress is shown.
enum class ProgressMode : std::uint8_t {
  kAuto,   ///< a bar on a terminal, log lines otherwise
  kBar,    ///< a redrawn bar with rate and ETA
  kLog,    ///< one line every few seconds
  kQuiet,  ///< nothing
};

/// Reports the progress of a run of `total` ticks on a stream (stderr by default).
/// Not thread-safe: call from the thread that drives the engine.
class ProgressReporter {
 public:
  ProgressReporter(std::int64_t total_ticks, ProgressMode mode, std::FILE* stream = stderr,
                   double log_interval_s = 5.0);
  /// Reports that `done_ticks` ticks are complete; prints only when due.
  void update(std::int64_t done_ticks);
  /// Prints the final line (100 % and the total time), once.
  void finish(std::int64_t done_ticks);
  /// Returns the text of one progress report (also used by the tests).
  [[nodiscard]] std::string line(std::int64_t done_ticks, double elapsed_s) const;
  [[nodiscard]] ProgressMode mode() const { return mode_; }

 private:
  using SteadyClock = std::chrono::steady_clock;
  std::int64_t total_;
  ProgressMode mode_;
  std::FILE* stream_;
  double interval_s_;
  SteadyClock::time_point start_;
  SteadyClock::time_point last_;
  bool finished_ = false;
};

}  // namespace citytwin::sim
