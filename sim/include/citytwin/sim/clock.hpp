#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace citytwin::sim {

/// Broken-down civil time (UTC or local), as models receive it.
struct CivilTime {
  int year = 1970;          ///< Gregorian year
  int month = 1;            ///< 1..12
  int day = 1;              ///< 1..31
  int hour = 0;             ///< 0..23
  int minute = 0;           ///< 0..59
  int second = 0;           ///< 0..59
  int day_of_year = 1;      ///< 1..366
  int weekday = 4;          ///< 0 = Monday .. 6 = Sunday (ISO order minus one)
  int utc_offset_s = 0;     ///< [s] local minus UTC; 0 for UTC
  [[nodiscard]] double hour_of_day() const { return hour + minute / 60.0 + second / 3600.0; }
};

/// The one clock of a run: time is an integer tick count times a fixed dt_s, starting at a UTC
/// instant, with an IANA time zone for local time. Never accumulates floating-point time.
/// Immutable and thread-safe once built.
class Clock {
 public:
  /// Builds a clock. `start_utc_s` is Unix seconds, `dt_s` >= 1, `n_ticks` >= 0, `time_zone` an
  /// IANA name ("Europe/Paris") or "UTC". Throws std::invalid_argument on a bad argument.
  Clock(std::int64_t start_utc_s, std::int32_t dt_s, std::int64_t n_ticks, std::string time_zone);
  ~Clock();
  Clock(const Clock&);
  Clock& operator=(const Clock&);
  Clock(Clock&&) noexcept;
  Clock& operator=(Clock&&) noexcept;

  [[nodiscard]] std::int64_t start_utc_s() const { return start_utc_s_; }
  [[nodiscard]] std::int32_t dt_s() const { return dt_s_; }
  [[nodiscard]] double dt_h() const { return dt_s_ / 3600.0; }
  [[nodiscard]] std::int64_t n_ticks() const { return n_ticks_; }
  [[nodiscard]] const std::string& time_zone() const { return time_zone_; }

  /// [s] Unix time at the start of `tick`.
  [[nodiscard]] std::int64_t utc_s(std::int64_t tick) const { return start_utc_s_ + tick * dt_s_; }
  /// [s] time since the start of the run at `tick`.
  [[nodiscard]] std::int64_t elapsed_s(std::int64_t tick) const { return tick * dt_s_; }
  /// UTC civil time at `tick`.
  [[nodiscard]] CivilTime utc(std::int64_t tick) const;
  /// Local civil time at `tick` in the clock's time zone (daylight saving applied).
  [[nodiscard]] CivilTime local(std::int64_t tick) const;

  /// Converts Unix seconds to UTC civil time.
  [[nodiscard]] static CivilTime civil_utc(std::int64_t unix_s);
  /// Converts Unix seconds to local civil time in `time_zone`.
  [[nodiscard]] static CivilTime civil_local(std::int64_t unix_s, const std::string& time_zone);
  /// Converts a local civil date-time in `time_zone` to Unix seconds. An ambiguous time (clocks
  /// set back) takes the earlier instant; a non-existent one (clocks set forward) throws
  /// std::invalid_argument.
  [[nodiscard]] static std::int64_t unix_from_local(int year, int month, int day, int hour,
                                                    int minute, int second,
                                                    const std::string& time_zone);
  /// Returns whether `time_zone` is a known IANA zone name.
  [[nodiscard]] static bool is_valid_time_zone(const std::string& time_zone);
  /// Formats Unix seconds as "YYYY-MM-DDTHH:MM:SSZ".
  [[nodiscard]] static std::string iso_utc(std::int64_t unix_s);

 private:
  struct Zone;
  std::int64_t start_utc_s_;
  std::int32_t dt_s_;
  std::int64_t n_ticks_;
  std::string time_zone_;
  const void* zone_ = nullptr;  // const date::time_zone*, looked up once
};

}  // namespace citytwin::sim
