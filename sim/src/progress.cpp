#include <citytwin/sim/progress.hpp>

#include <unistd.h>

#include <cmath>

namespace citytwin::sim {

namespace {

std::string duration_text(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "--:--";
  const auto total = static_cast<long long>(seconds + 0.5);
  char buffer[32];
  if (total >= 3600) {
    std::snprintf(buffer, sizeof(buffer), "%lld:%02lld:%02lld", total / 3600, (total / 60) % 60, total % 60);
  } else {
    std::snprintf(buffer, sizeof(buffer), "%02lld:%02lld", total / 60, total % 60);
  }
  return buffer;
}

}  // namespace

ProgressReporter::ProgressReporter(std::int64_t total_ticks, ProgressMode mode, std::FILE* stream,
                                   double log_interval_s)
    : total_(total_ticks), mode_(mode), stream_(stream), interval_s_(log_interval_s) {
  if (mode_ == ProgressMode::kAuto) {
    mode_ = (stream_ != nullptr && isatty(fileno(stream_)) != 0) ? ProgressMode::kBar : ProgressMode::kLog;
  }
  if (stream_ == nullptr) mode_ = ProgressMode::kQuiet;
  start_ = SteadyClock::now();
  last_ = start_;
}

std::string ProgressReporter::line(std::int64_t done_ticks, double elapsed_s) const {
  const double fraction = total_ > 0 ? static_cast<double>(done_ticks) / static_cast<double>(total_) : 1.0;
  const double rate = elapsed_s > 0 ? static_cast<double>(done_ticks) / elapsed_s : 0.0;
  const double eta_s = rate > 0 ? static_cast<double>(total_ - done_ticks) / rate : -1.0;
  char numbers[160];
  std::snprintf(numbers, sizeof(numbers), "%5.1f%% %lld/%lld ticks, %.1f ticks/s, elapsed %s, ETA %s",
                100.0 * fraction, static_cast<long long>(done_ticks), static_cast<long long>(total_), rate,
                duration_text(elapsed_s).c_str(), duration_text(eta_s).c_str());
  if (mode_ != ProgressMode::kBar) return std::string("citytwin: ") + numbers;
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(std::lround(fraction * kWidth));
  std::string bar = "[";
  for (int i = 0; i < kWidth; ++i) bar += i < filled ? '#' : '.';
  bar += "] ";
  return bar + numbers;
}

void ProgressReporter::update(std::int64_t done_ticks) {
  if (mode_ == ProgressMode::kQuiet || finished_) return;
  const auto now = SteadyClock::now();
  const double since_last_s = std::chrono::duration<double>(now - last_).count();
  // a bar redraws up to 10 times a second, a log line every interval
  const double due_s = mode_ == ProgressMode::kBar ? 0.1 : interval_s_;
  if (since_last_s < due_s) return;
  last_ = now;
  const double elapsed_s = std::chrono::duration<double>(now - start_).count();
  if (mode_ == ProgressMode::kBar) {
    std::fprintf(stream_, "\r%s", line(done_ticks, elapsed_s).c_str());
  } else {
    std::fprintf(stream_, "%s\n", line(done_ticks, elapsed_s).c_str());
  }
  std::fflush(stream_);
}

void ProgressReporter::finish(std::int64_t done_ticks) {
  if (mode_ == ProgressMode::kQuiet || finished_) return;
  finished_ = true;
  const double elapsed_s = std::chrono::duration<double>(SteadyClock::now() - start_).count();
  std::fprintf(stream_, "%s%s\n", mode_ == ProgressMode::kBar ? "\r" : "", line(done_ticks, elapsed_s).c_str());
  std::fflush(stream_);
}

}  // namespace citytwin::sim
