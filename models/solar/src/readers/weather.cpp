#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <numbers>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <citytwin/sim/error.hpp>
#include <citytwin/solar/readers/weather.hpp>
#include <citytwin/solar/solar_position.hpp>

#include "weather_text.hpp"

// Functions on WeatherSeries (interval midpoints, calendar-year mapping, the time-zone
// check) and the text helpers shared by the readers; see docs/models/solar.md#weather.
namespace citytwin::solar {
namespace detail {

void split_fields(std::string_view line, std::vector<TextField>& out) {
  out.clear();
  // cut at commas outside double quotes
  std::size_t start = 0;
  bool quoted = false;
  for (std::size_t i = 0; i <= line.size(); ++i) {
    if (i < line.size() && line[i] == '"') quoted = !quoted;
    if (i == line.size() || (line[i] == ',' && !quoted)) {
      out.push_back({line.substr(start, i - start), static_cast<int>(start) + 1});
      start = i + 1;
    }
  }
}

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  // cut at '\n', dropping a '\r' before it; no empty line after a final terminator
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    start = end + 1;
  }
  return lines;
}

std::string_view trim(std::string_view text) {
  constexpr std::string_view kBlank = " \t\"";
  const std::size_t first = text.find_first_not_of(kBlank);
  if (first == std::string_view::npos) return {};
  const std::size_t last = text.find_last_not_of(kBlank);
  return text.substr(first, last - first + 1);
}

std::string read_text_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw InputError(InputIssue{path.string(), 0, 0, "file",
                                "cannot open the weather file; check the path (relative paths "
                                "are taken from the working directory)"});
  }
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::optional<double> parse_number(std::string_view text) {
  text = trim(text);
  if (text.empty()) return std::nullopt;
  // from_chars rejects a leading '+', which some writers emit
  if (text.front() == '+') text.remove_prefix(1);
  double value = 0.0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

std::optional<std::int64_t> parse_integer(std::string_view text) {
  text = trim(text);
  if (text.empty()) return std::nullopt;
  if (text.front() == '+') text.remove_prefix(1);
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

bool is_leap_year(std::int64_t year) {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int days_in_month(std::int64_t year, int month) {
  constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && is_leap_year(year)) return 29;
  return kDays[month - 1];
}

std::int64_t days_from_civil(std::int64_t year, int month, int day) {
  // H. Hinnant, "chrono-compatible low-level date algorithms"
  year -= month <= 2 ? 1 : 0;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const std::int64_t year_of_era = year - era * 400;
  const std::int64_t month_index = month > 2 ? month - 3 : month + 9;
  const std::int64_t day_of_year = (153 * month_index + 2) / 5 + day - 1;
  const std::int64_t day_of_era =
      year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

CivilDate civil_from_days(std::int64_t days) {
  // inverse of days_from_civil
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const std::int64_t day_of_era = days - era * 146097;
  const std::int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const std::int64_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const std::int64_t month_index = (5 * day_of_year + 2) / 153;
  const int day = static_cast<int>(day_of_year - (153 * month_index + 2) / 5 + 1);
  const int month = static_cast<int>(month_index < 10 ? month_index + 3 : month_index - 9);
  const std::int64_t year = year_of_era + era * 400 + (month <= 2 ? 1 : 0);
  return {year, month, day};
}

std::int64_t offset_s(double utc_offset_h) { return std::llround(utc_offset_h * 3600.0); }

std::string format_number(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

std::string format_utc_offset(double utc_offset_h) {
  std::ostringstream out;
  out << "UTC" << (utc_offset_h < 0.0 ? '-' : '+') << std::abs(utc_offset_h);
  return out.str();
}

void IssueList::add(int line, int column, std::string key, std::string message) {
  if (full()) return;
  issues_.push_back(InputIssue{file_, line, column, std::move(key), std::move(message)});
}

void IssueList::throw_if_any() const {
  if (!issues_.empty()) throw InputError(issues_);
}

std::int64_t slot_in_year(int month, int day, std::int64_t slot_in_day,
                          std::int64_t slots_per_day) {
  // day of year in the leap reference year 2000
  const std::int64_t day_of_year = days_from_civil(2000, month, day) - days_from_civil(2000, 1, 1);
  return day_of_year * slots_per_day + slot_in_day;
}

bool slot_follows(std::int64_t previous_slot, std::int64_t slot, std::int64_t slots_per_day) {
  const std::int64_t feb_29_first = slot_in_year(2, 29, 0, slots_per_day);
  const std::int64_t last_slot = slot_in_year(12, 31, slots_per_day - 1, slots_per_day);
  if (slot == previous_slot + 1) return true;
  // a non-leap year skips 29 February
  if (previous_slot == feb_29_first - 1 && slot == feb_29_first + slots_per_day) return true;
  // a multi-year file wraps to 1 January
  return previous_slot == last_slot && slot == 0;
}

namespace {

// time_utc_s from the file clock and one UTC offset
void fill_utc_times(WeatherSeries& series, const std::vector<std::int64_t>& local_end_s,
                    double utc_offset_h) {
  series.applied_utc_offset_h = utc_offset_h;
  series.time_utc_s.resize(local_end_s.size());
  const std::int64_t shift_s = offset_s(utc_offset_h);
  for (std::size_t i = 0; i < local_end_s.size(); ++i) {
    series.time_utc_s[i] = local_end_s[i] - shift_s;
  }
}

}  // namespace

void finish_series(WeatherSeries& series, const std::vector<std::int64_t>& local_end_s,
                   const WeatherReadOptions& options, IssueList& issues, int tz_line,
                   int tz_column) {
  issues.throw_if_any();
  // a typical year has a jump where the source year changes
  series.typical_year = false;
  for (std::size_t i = 1; i < local_end_s.size(); ++i) {
    if (local_end_s[i] - local_end_s[i - 1] != series.interval_s) series.typical_year = true;
  }
  // the user's offset wins and needs no check
  if (options.utc_offset_h.has_value()) {
    fill_utc_times(series, local_end_s, *options.utc_offset_h);
    return;
  }
  fill_utc_times(series, local_end_s, series.utc_offset_h);
  if (options.time_zone_policy == TimeZonePolicy::kDeclared) return;
  // compare the declared clock with the sun's timing in the GHI column
  const TimeZoneCheck check = check_time_zone(series);
  series.time_zone_check = check;
  if (check.agrees) return;
  if (options.time_zone_policy == TimeZonePolicy::kDetect) {
    fill_utc_times(series, local_end_s, check.best_fit_h);
    return;
  }
  std::ostringstream message;
  message << "the declared time zone " << format_utc_offset(check.declared_h)
          << " does not fit the irradiance: the timing of GHI against the sun fits "
          << format_utc_offset(check.best_fit_h) << " (estimate " << check.estimate_h << " h from "
          << check.n_rows_used << " daylight rows); if the file's clock is "
          << format_utc_offset(check.best_fit_h)
          << ", set models.solar.weather_utc_offset_h = " << check.best_fit_h
          << " (or read it with time_zone_policy \"detect\")";
  issues.add(tz_line, tz_column, "time_zone", message.str());
  issues.throw_if_any();
}

}  // namespace detail

TimeZonePolicy time_zone_policy_from_name(std::string_view name) {
  if (name == "declared") return TimeZonePolicy::kDeclared;
  if (name == "detect") return TimeZonePolicy::kDetect;
  if (name == "error") return TimeZonePolicy::kError;
  throw std::invalid_argument(
      "time_zone_policy must be \"declared\", \"detect\" or \"error\" (got \"" + std::string(name) +
      "\")");
}

WeatherSeries read_weather(const std::filesystem::path& path, const WeatherReadOptions& options) {
  std::string extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return extension == ".epw" ? read_epw(path, options) : read_tmy3(path, options);
}

double mid_interval_utc_s(const WeatherSeries& series, std::size_t i) {
  if (i >= series.size()) {
    throw std::out_of_range("mid_interval_utc_s: i = " + std::to_string(i) +
                            " but the series has " + std::to_string(series.size()) + " rows");
  }
  return static_cast<double>(series.time_utc_s[i]) - 0.5 * static_cast<double>(series.interval_s);
}

std::int64_t map_to_year(const WeatherSeries& series, std::size_t i, int year) {
  if (i >= series.size()) {
    throw std::out_of_range("map_to_year: i = " + std::to_string(i) + " but the series has " +
                            std::to_string(series.size()) + " rows");
  }
  // the row's date on the file clock, taken at the start of its interval
  const std::int64_t shift_s = detail::offset_s(series.applied_utc_offset_h);
  const std::int64_t local_start_s = series.time_utc_s[i] + shift_s - series.interval_s;
  const std::int64_t day_index =
      local_start_s >= 0 ? local_start_s / 86400 : -((-local_start_s + 86399) / 86400);
  const std::int64_t second_of_day = local_start_s - day_index * 86400;
  const detail::CivilDate date = detail::civil_from_days(day_index);
  if (date.month == 2 && date.day == 29 && !detail::is_leap_year(year)) {
    throw std::invalid_argument("map_to_year: row " + std::to_string(i) +
                                " is 29 February but year = " + std::to_string(year) +
                                " is not a leap year");
  }
  // the same date and clock time in `year`
  return detail::days_from_civil(year, date.month, date.day) * 86400 + second_of_day +
         series.interval_s - shift_s;
}

WeatherSeries with_calendar_year(const WeatherSeries& series, int year) {
  WeatherSeries mapped = series;
  for (std::size_t i = 0; i < series.size(); ++i) {
    mapped.time_utc_s[i] = map_to_year(series, i, year);
    mapped.year[i] = year;
  }
  mapped.typical_year = false;
  return mapped;
}

TimeZoneCheck check_time_zone(const WeatherSeries& series) {
  constexpr double kRadPerDeg = std::numbers::pi / 180.0;
  constexpr std::int64_t kMinDaylightRows = 24;
  TimeZoneCheck check;
  check.declared_h = series.utc_offset_h;
  // rows on the declared clock, whatever offset the series was built with
  const double shift_s =
      static_cast<double>(detail::offset_s(series.applied_utc_offset_h - series.utc_offset_h));
  // GHI-weighted circular mean of the hour angle at mid-interval
  double sum_sin = 0.0;
  double sum_cos = 0.0;
  for (std::size_t i = 0; i < series.size(); ++i) {
    const double ghi_wm2 = series.ghi_wm2[i];
    if (!(ghi_wm2 > 0.0)) continue;
    const double time_s = mid_interval_utc_s(series, i) + shift_s;
    const SpaDetail sun =
        spa_detail(time_s, series.latitude_deg, series.longitude_deg, series.elevation_m);
    sum_sin += ghi_wm2 * std::sin(sun.hour_angle_deg * kRadPerDeg);
    sum_cos += ghi_wm2 * std::cos(sun.hour_angle_deg * kRadPerDeg);
    ++check.n_rows_used;
  }
  check.conclusive = check.n_rows_used >= kMinDaylightRows;
  if (!check.conclusive) {
    check.best_fit_h = check.declared_h;
    check.estimate_h = check.declared_h;
    check.agrees = true;
    return check;
  }
  // 15 deg of hour angle per hour of clock error
  const double mean_hour_angle_deg = std::atan2(sum_sin, sum_cos) / kRadPerDeg;
  check.estimate_h = check.declared_h + mean_hour_angle_deg / 15.0;
  // nearest candidate; the declared offset wins ties
  check.best_fit_h = check.declared_h;
  double best_distance_h = std::abs(check.estimate_h - check.declared_h);
  for (int candidate_h = -12; candidate_h <= 14; ++candidate_h) {
    const double distance_h = std::abs(check.estimate_h - candidate_h);
    if (distance_h < best_distance_h) {
      best_distance_h = distance_h;
      check.best_fit_h = candidate_h;
    }
  }
  check.agrees = check.best_fit_h == check.declared_h;
  return check;
}

}  // namespace citytwin::solar
