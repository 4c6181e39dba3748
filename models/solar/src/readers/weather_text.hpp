#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <citytwin/sim/error.hpp>
#include <citytwin/solar/readers/weather.hpp>

// Private helpers shared by the EPW and TMY3 readers: text splitting, numbers, civil dates,
// issue collection and the time-zone step every reader ends with.
namespace citytwin::solar::detail {

/// One comma-separated field of a line: its text and 1-based column of its first character.
struct TextField {
  std::string_view text;  ///< field text without the separating commas
  int column = 1;         ///< 1-based column of the field's first character
};

/// Splits `line` at commas into `out` (cleared first); a double-quoted field may hold commas.
void split_fields(std::string_view line, std::vector<TextField>& out);

/// Splits `text` into lines without their terminators ("\n" or "\r\n").
[[nodiscard]] std::vector<std::string_view> split_lines(std::string_view text);

/// `text` without leading and trailing spaces, tabs and double quotes.
[[nodiscard]] std::string_view trim(std::string_view text);

/// Reads a whole file; throws InputError naming the path when it cannot be opened.
[[nodiscard]] std::string read_text_file(const std::filesystem::path& path);

/// The number in `text` (after trim()), or nothing unless the whole text is one number.
[[nodiscard]] std::optional<double> parse_number(std::string_view text);

/// The integer in `text` (after trim()), or nothing unless the whole text is one integer.
[[nodiscard]] std::optional<std::int64_t> parse_integer(std::string_view text);

/// True for Gregorian leap years.
[[nodiscard]] bool is_leap_year(std::int64_t year);

/// Days in `month` (1..12) of `year`.
[[nodiscard]] int days_in_month(std::int64_t year, int month);

/// Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's days_from_civil).
[[nodiscard]] std::int64_t days_from_civil(std::int64_t year, int month, int day);

/// A proleptic Gregorian date.
struct CivilDate {
  std::int64_t year = 1970;  ///< calendar year
  int month = 1;             ///< 1..12
  int day = 1;               ///< 1..31
};

/// The date of `days` since 1970-01-01 (Hinnant's civil_from_days).
[[nodiscard]] CivilDate civil_from_days(std::int64_t days);

/// [s] Seconds of a UTC offset in hours, rounded to whole seconds.
[[nodiscard]] std::int64_t offset_s(double utc_offset_h);

/// A number as people write it: "1", "-12", "99.9", "inf".
[[nodiscard]] std::string format_number(double value);

/// "UTC+1", "UTC-5", "UTC+5.5": an offset in hours as people write it.
[[nodiscard]] std::string format_utc_offset(double utc_offset_h);

/// Collects the issues of one input file; throws them together.
class IssueList {
 public:
  /// Issues will name `file`.
  explicit IssueList(std::string file) : file_(std::move(file)) {}

  /// Adds one issue at 1-based line and column, for dotted field `key`.
  void add(int line, int column, std::string key, std::string message);

  /// True once so many issues were found that parsing should stop.
  [[nodiscard]] bool full() const { return issues_.size() >= kMaxIssues; }

  /// Throws citytwin::InputError with every issue, if there is any.
  void throw_if_any() const;

 private:
  static constexpr std::size_t kMaxIssues = 20;
  std::string file_;
  std::vector<InputIssue> issues_;
};

/// Index of a row's interval within a leap reference year (2000): day of year times
/// `slots_per_day` plus `slot_in_day`, so that consecutive rows can be checked to follow.
[[nodiscard]] std::int64_t slot_in_year(int month, int day, std::int64_t slot_in_day,
                                        std::int64_t slots_per_day);

/// True when a row at `slot` may follow one at `previous_slot` (both from slot_in_year): the
/// next slot, the next slot after skipping 29 February, or 1 January after 31 December.
[[nodiscard]] bool slot_follows(std::int64_t previous_slot, std::int64_t slot,
                                std::int64_t slots_per_day);

/// Last step of every reader: chooses the UTC offset from `options` (user override, or the
/// declared offset checked by check_time_zone() under the policy), fills time_utc_s from the
/// local standard end times `local_end_s` (seconds since 1970-01-01 on the file's clock),
/// sets typical_year, and throws the collected issues. `tz_line`/`tz_column` locate the
/// declared offset in the file for the "error" policy's message.
void finish_series(WeatherSeries& series, const std::vector<std::int64_t>& local_end_s,
                   const WeatherReadOptions& options, IssueList& issues, int tz_line,
                   int tz_column);

}  // namespace citytwin::solar::detail
