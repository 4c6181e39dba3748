#include <citytwin/sim/clock.hpp>

#include <chrono>
#include <cstdio>
#include <stdexcept>

#include <date/date.h>
#include <date/tz.h>

namespace citytwin::sim {

namespace {

using Seconds = std::chrono::seconds;
using SysSeconds = date::sys_time<Seconds>;

const date::time_zone* lookup_zone(const std::string& name) {
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
    return nullptr;
  }
}

// civil fields of a local or UTC time point
template <typename Duration>
CivilTime civil_from(date::local_time<Duration> tp, int offset_s) {
  const auto day = date::floor<date::days>(tp);
  const date::year_month_day ymd{day};
  const date::hh_mm_ss<Seconds> hms{std::chrono::duration_cast<Seconds>(tp - day)};
  const date::year_month_weekday ymw{day};
  const auto jan1 = date::local_days{ymd.year() / date::January / 1};
  CivilTime t;
  t.year = static_cast<int>(ymd.year());
  t.month = static_cast<int>(static_cast<unsigned>(ymd.month()));
  t.day = static_cast<int>(static_cast<unsigned>(ymd.day()));
  t.hour = static_cast<int>(hms.hours().count());
  t.minute = static_cast<int>(hms.minutes().count());
  t.second = static_cast<int>(hms.seconds().count());
  t.day_of_year = static_cast<int>((day - jan1).count()) + 1;
  t.weekday = static_cast<int>((ymw.weekday().iso_encoding() + 6) % 7);
  t.utc_offset_s = offset_s;
  return t;
}

CivilTime civil_in_zone(std::int64_t unix_s, const date::time_zone* zone) {
  const SysSeconds sys{Seconds{unix_s}};
  if (zone == nullptr) return civil_from(date::local_time<Seconds>{Seconds{unix_s}}, 0);
  const auto info = zone->get_info(sys);
  const auto offset_s = static_cast<int>(info.offset.count());
  return civil_from(date::local_time<Seconds>{Seconds{unix_s + offset_s}}, offset_s);
}

}  // namespace

Clock::Clock(std::int64_t start_utc_s, std::int32_t dt_s, std::int64_t n_ticks, std::string time_zone)
    : start_utc_s_(start_utc_s), dt_s_(dt_s), n_ticks_(n_ticks), time_zone_(std::move(time_zone)) {
  if (dt_s_ < 1) throw std::invalid_argument("dt_s must be >= 1 (got " + std::to_string(dt_s_) + ")");
  if (n_ticks_ < 0) throw std::invalid_argument("n_ticks must be >= 0 (got " + std::to_string(n_ticks_) + ")");
  if (time_zone_ != "UTC") {
    zone_ = lookup_zone(time_zone_);
    if (zone_ == nullptr) throw std::invalid_argument("time_zone: unknown IANA zone '" + time_zone_ + "'");
  }
}

Clock::~Clock() = default;
Clock::Clock(const Clock&) = default;
Clock& Clock::operator=(const Clock&) = default;
Clock::Clock(Clock&&) noexcept = default;
Clock& Clock::operator=(Clock&&) noexcept = default;

CivilTime Clock::utc(std::int64_t tick) const { return civil_utc(utc_s(tick)); }

CivilTime Clock::local(std::int64_t tick) const {
  return civil_in_zone(utc_s(tick), static_cast<const date::time_zone*>(zone_));
}

CivilTime Clock::civil_utc(std::int64_t unix_s) { return civil_in_zone(unix_s, nullptr); }

CivilTime Clock::civil_local(std::int64_t unix_s, const std::string& time_zone) {
  if (time_zone == "UTC") return civil_utc(unix_s);
  const date::time_zone* zone = lookup_zone(time_zone);
  if (zone == nullptr) throw std::invalid_argument("time_zone: unknown IANA zone '" + time_zone + "'");
  return civil_in_zone(unix_s, zone);
}

std::int64_t Clock::unix_from_local(int year, int month, int day, int hour, int minute, int second,
                                    const std::string& time_zone) {
  const date::year_month_day ymd{date::year{year}, date::month{static_cast<unsigned>(month)},
                                 date::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) throw std::invalid_argument("invalid calendar date");
  const date::local_seconds local =
      date::local_days{ymd} + std::chrono::hours{hour} + std::chrono::minutes{minute} + Seconds{second};
  if (time_zone == "UTC") return local.time_since_epoch().count();
  const date::time_zone* zone = lookup_zone(time_zone);
  if (zone == nullptr) throw std::invalid_argument("time_zone: unknown IANA zone '" + time_zone + "'");
  const auto info = zone->get_info(local);
  if (info.result == date::local_info::nonexistent) {
    throw std::invalid_argument("local time does not exist in " + time_zone + " (clocks go forward)");
  }
  // ambiguous times take the first (earlier) offset
  return (local - info.first.offset).time_since_epoch().count();
}

bool Clock::is_valid_time_zone(const std::string& time_zone) {
  return time_zone == "UTC" || lookup_zone(time_zone) != nullptr;
}

std::string Clock::iso_utc(std::int64_t unix_s) {
  const CivilTime t = civil_utc(unix_s);
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%04d-%02d-%02dT%02d:%02d:%02dZ", t.year, t.month, t.day,
                t.hour, t.minute, t.second);
  return buffer;
}

}  // namespace citytwin::sim
