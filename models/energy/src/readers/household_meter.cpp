#include <citytwin/energy/readers/household_meter.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <fstream>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <utility>

#include <citytwin/sim/clock.hpp>
#include <citytwin/sim/error.hpp>

namespace citytwin::energy {
namespace {

constexpr std::array<std::string_view, 9> kColumns{
    "Date",           "Time",           "Global_active_power", "Global_reactive_power",
    "Voltage",        "Global_intensity", "Sub_metering_1",    "Sub_metering_2",
    "Sub_metering_3"};
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// One `;`-separated field of a line with its 1-based column.
struct Field {
  std::string_view text;
  int column = 1;
};

std::vector<Field> split_fields(std::string_view line) {
  std::vector<Field> fields;
  std::size_t begin = 0;
  while (true) {
    const std::size_t end = line.find(';', begin);
    const std::size_t stop = end == std::string_view::npos ? line.size() : end;
    fields.push_back({line.substr(begin, stop - begin), static_cast<int>(begin) + 1});
    if (end == std::string_view::npos) break;
    begin = end + 1;
  }
  return fields;
}

std::optional<int> parse_int(std::string_view text) {
  int value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

/// Parses "a<sep>b<sep>c" with each part of `width` digits.
std::optional<std::array<int, 3>> parse_triple(std::string_view text, char sep,
                                               std::array<std::size_t, 3> width) {
  if (text.size() != width[0] + width[1] + width[2] + 2 || text[width[0]] != sep ||
      text[width[0] + 1 + width[1]] != sep) {
    return std::nullopt;
  }
  const auto a = parse_int(text.substr(0, width[0]));
  const auto b = parse_int(text.substr(width[0] + 1, width[1]));
  const auto c = parse_int(text.substr(width[0] + width[1] + 2, width[2]));
  if (!a || !b || !c) return std::nullopt;
  return std::array<int, 3>{*a, *b, *c};
}

/// A value field: a number, or `?` / empty for a missing reading (NaN).
std::optional<double> parse_value(std::string_view text) {
  if (text.empty() || text == "?") return kNaN;
  double value = 0.0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

int days_in_month(int year, int month) {
  constexpr std::array<int, 12> kDays{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[static_cast<std::size_t>(month - 1)];
}

}  // namespace

MeterSeries read_household_meter(const std::filesystem::path& path, const std::string& time_zone) {
  if (!sim::Clock::is_valid_time_zone(time_zone)) {
    throw std::invalid_argument("time_zone: unknown IANA time zone '" + time_zone + "'");
  }
  const std::string file = path.string();
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw InputError(InputIssue{file, 0, 0, "", "cannot open the household meter file; check the path"});
  }

  MeterSeries series;
  std::vector<InputIssue> issues;
  const auto issue = [&](int line_no, int column, std::string_view key, std::string message) {
    issues.push_back(InputIssue{file, line_no, column, std::string(key), std::move(message)});
  };

  // the local hour whose UTC start was looked up last: one time-zone lookup per hour
  std::array<int, 4> cached_hour{-1, -1, -1, -1};
  std::int64_t cached_hour_utc_s = 0;

  std::string raw;
  int line_no = 0;
  while (std::getline(in, raw)) {
    ++line_no;
    std::string_view line(raw);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);

    // header: the nine UCI column names in order
    if (line_no == 1) {
      const std::vector<Field> fields = split_fields(line);
      for (std::size_t c = 0; c < kColumns.size(); ++c) {
        if (c >= fields.size() || fields[c].text != kColumns[c]) {
          issue(1, c < fields.size() ? fields[c].column : static_cast<int>(line.size()) + 1,
                kColumns[c],
                "header column " + std::to_string(c + 1) + " must be '" +
                    std::string(kColumns[c]) + "'; is this the UCI household power file?");
          break;
        }
      }
      if (!issues.empty()) break;
      continue;
    }
    if (line.empty()) continue;

    // fields of a data row
    const std::vector<Field> fields = split_fields(line);
    if (fields.size() != kColumns.size()) {
      issue(line_no, 1, "",
            "expected " + std::to_string(kColumns.size()) + " ';'-separated fields, found " +
                std::to_string(fields.size()) + "; check the separator and the line");
      continue;
    }

    // date dd/mm/yyyy and time hh:mm:ss in local civil time
    const auto date = parse_triple(fields[0].text, '/', {2, 2, 4});
    if (!date || (*date)[1] < 1 || (*date)[1] > 12 || (*date)[0] < 1 ||
        (*date)[0] > days_in_month((*date)[2], (*date)[1])) {
      issue(line_no, fields[0].column, kColumns[0],
            "invalid date '" + std::string(fields[0].text) + "'; expected dd/mm/yyyy");
      continue;
    }
    const auto time = parse_triple(fields[1].text, ':', {2, 2, 2});
    if (!time || (*time)[0] > 23 || (*time)[1] > 59 || (*time)[2] > 59 || (*time)[0] < 0 ||
        (*time)[1] < 0 || (*time)[2] < 0) {
      issue(line_no, fields[1].column, kColumns[1],
            "invalid time '" + std::string(fields[1].text) + "'; expected hh:mm:ss");
      continue;
    }
    const std::array<int, 4> hour_key{(*date)[2], (*date)[1], (*date)[0], (*time)[0]};
    if (hour_key != cached_hour) {
      try {
        cached_hour_utc_s = sim::Clock::unix_from_local(hour_key[0], hour_key[1], hour_key[2],
                                                        hour_key[3], 0, 0, time_zone);
      } catch (const std::invalid_argument&) {
        issue(line_no, fields[1].column, kColumns[1],
              "local time " + std::string(fields[0].text) + " " + std::string(fields[1].text) +
                  " does not exist in " + time_zone + " (clocks set forward); fix the time");
        continue;
      }
      cached_hour = hour_key;
    }
    const std::int64_t time_utc_s = cached_hour_utc_s + (*time)[1] * 60 + (*time)[2];

    // the seven value fields: numbers, or `?` / empty when missing
    std::array<double, 7> values{};
    bool row_ok = true;
    for (std::size_t c = 2; c < kColumns.size(); ++c) {
      const auto value = parse_value(fields[c].text);
      if (!value) {
        issue(line_no, fields[c].column, kColumns[c],
              "invalid number '" + std::string(fields[c].text) +
                  "'; expected a decimal number with '.' or '?' for a missing value");
        row_ok = false;
        continue;
      }
      values[c - 2] = *value;
    }
    if (!row_ok) continue;

    // store the row and count a missing active power
    series.time_utc_s.push_back(time_utc_s);
    series.active_kw.push_back(values[0]);
    series.reactive_kvar.push_back(values[1]);
    series.voltage_v.push_back(values[2]);
    if (std::isnan(values[0])) {
      if (series.n_missing == 0) series.first_missing_utc_s = time_utc_s;
      ++series.n_missing;
    }
  }
  if (line_no == 0) issue(1, 1, "", "the file is empty; expected the UCI header and data rows");
  if (!issues.empty()) throw InputError(std::move(issues));
  return series;
}

ResampledSeries resample_mean(const MeterSeries& series, std::int64_t start_utc_s,
                              std::int64_t step_s, std::int64_t n_steps) {
  if (step_s < 60 || step_s % 60 != 0) {
    throw std::invalid_argument("step_s must be a positive multiple of 60 (got " +
                                std::to_string(step_s) + ")");
  }
  if (n_steps < 0) {
    throw std::invalid_argument("n_steps must be >= 0 (got " + std::to_string(n_steps) + ")");
  }
  const auto n = static_cast<std::size_t>(n_steps);
  std::vector<double> p_sum(n, 0.0);
  std::vector<double> q_sum(n, 0.0);
  std::vector<std::int64_t> p_count(n, 0);
  std::vector<std::int64_t> q_count(n, 0);

  // sum the present readings of each step
  for (std::size_t r = 0; r < series.size(); ++r) {
    const std::int64_t offset_s = series.time_utc_s[r] - start_utc_s;
    if (offset_s < 0) continue;
    const std::int64_t step = offset_s / step_s;
    if (step >= n_steps) continue;
    const auto k = static_cast<std::size_t>(step);
    if (!std::isnan(series.active_kw[r])) {
      p_sum[k] += series.active_kw[r];
      ++p_count[k];
    }
    if (!std::isnan(series.reactive_kvar[r])) {
      q_sum[k] += series.reactive_kvar[r];
      ++q_count[k];
    }
  }

  // means and the share of minutes without a reading
  ResampledSeries out;
  out.start_utc_s = start_utc_s;
  out.step_s = step_s;
  out.active_kw.resize(n);
  out.reactive_kvar.resize(n);
  out.missing_frac.resize(n);
  const std::int64_t slots = step_s / 60;
  for (std::size_t k = 0; k < n; ++k) {
    out.active_kw[k] = p_count[k] > 0 ? p_sum[k] / static_cast<double>(p_count[k]) : kNaN;
    out.reactive_kvar[k] = q_count[k] > 0 ? q_sum[k] / static_cast<double>(q_count[k]) : kNaN;
    const std::int64_t present = std::min(p_count[k], slots);
    out.missing_frac[k] =
        static_cast<double>(slots - present) / static_cast<double>(slots);
  }
  return out;
}

MissingReport missing_report(const MeterSeries& series, const ResampledSeries& resampled) {
  MissingReport report;
  report.n_missing = series.n_missing;
  report.first_missing_utc_s = series.first_missing_utc_s;
  for (std::size_t k = 0; k < resampled.missing_frac.size(); ++k) {
    if (resampled.missing_frac[k] > 0.0) report.gap_step_idx.push_back(static_cast<std::int64_t>(k));
  }
  report.n_steps_with_gap = static_cast<std::int64_t>(report.gap_step_idx.size());
  return report;
}

std::string format_missing_report(const MissingReport& report, std::int64_t n_steps) {
  std::string text = std::to_string(report.n_missing) + " missing readings";
  if (report.first_missing_utc_s >= 0) {
    text += " (first " + sim::Clock::iso_utc(report.first_missing_utc_s) + ")";
  }
  text += ", " + std::to_string(report.n_steps_with_gap) + " of " + std::to_string(n_steps) +
          " steps with gaps";
  return text;
}

}  // namespace citytwin::energy
