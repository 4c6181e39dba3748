#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <citytwin/solar/readers/weather.hpp>

#include "weather_text.hpp"

// EnergyPlus weather (EPW) reader: 8 header lines, then one row of 35 fields per interval.
// Field numbers, names and missing-value codes are those of the EnergyPlus Auxiliary Programs
// manual ("Weather Converter Program", EPW data dictionary); see
// docs/models/solar.md#weather.
namespace citytwin::solar {
namespace {

constexpr std::size_t kFieldCount = 35;
constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

/// The keywords the 8 header lines start with, in order (some writers, PVGIS among them,
/// spell the fifth "HOLIDAYS/DAYLIGHT SAVING", so it is matched as a prefix).
constexpr std::array<std::string_view, 8> kHeaderKeywords{"LOCATION",
                                                          "DESIGN CONDITIONS",
                                                          "TYPICAL/EXTREME PERIODS",
                                                          "GROUND TEMPERATURES",
                                                          "HOLIDAYS/DAYLIGHT SAVING",
                                                          "COMMENTS 1",
                                                          "COMMENTS 2",
                                                          "DATA PERIODS"};

/// One EPW data field this reader keeps: where it is, its name and unit in the EPW data
/// dictionary, the missing-value code (values >= code are missing), the valid range of other
/// values, and the column and missing counter it fills.
struct ValueField {
  std::size_t field_number;                           ///< 1-based field of the row
  std::string_view name;                              ///< EPW data dictionary name
  std::string_view unit;                              ///< unit written in the file
  double missing_code;                                ///< values >= this are missing
  double min_value;                                   ///< smallest valid value
  double max_value;                                   ///< largest valid value
  std::vector<double> WeatherSeries::*column;         ///< column filled
  std::int64_t WeatherMissingCounts::*missing_count;  ///< counter of missing values
};

const std::array<ValueField, 7> kValueFields{{
    {7, "dry bulb temperature", "C", 99.9, -70.0, 70.0, &WeatherSeries::temp_air_c,
     &WeatherMissingCounts::temp_air},
    {10, "atmospheric station pressure", "Pa", 999999.0, 31000.0, 120000.0,
     &WeatherSeries::pressure_pa, &WeatherMissingCounts::pressure},
    {14, "global horizontal radiation", "Wh/m2", 9999.0, 0.0, kInf, &WeatherSeries::ghi_wm2,
     &WeatherMissingCounts::ghi},
    {15, "direct normal radiation", "Wh/m2", 9999.0, 0.0, kInf, &WeatherSeries::dni_wm2,
     &WeatherMissingCounts::dni},
    {16, "diffuse horizontal radiation", "Wh/m2", 9999.0, 0.0, kInf, &WeatherSeries::dhi_wm2,
     &WeatherMissingCounts::dhi},
    {22, "wind speed", "m/s", 999.0, 0.0, 40.0, &WeatherSeries::wind_speed_mps,
     &WeatherMissingCounts::wind_speed},
    {33, "albedo", "-", 999.0, 0.0, 1.0, &WeatherSeries::albedo_frac,
     &WeatherMissingCounts::albedo},
}};

/// Reads header number `fields[index]` within [min_value, max_value]; adds an issue and
/// returns nothing otherwise.
std::optional<double> header_number(const std::vector<detail::TextField>& fields, std::size_t index,
                                    std::string_view key, double min_value, double max_value,
                                    int line, detail::IssueList& issues) {
  const std::string key_text = std::string(key);
  if (index >= fields.size()) {
    issues.add(line, 1, key_text,
               key_text + " is missing: the header line has only " + std::to_string(fields.size()) +
                   " fields; write the complete header line");
    return std::nullopt;
  }
  const detail::TextField& field = fields[index];
  const std::optional<double> value = detail::parse_number(field.text);
  if (!value.has_value() || *value < min_value || *value > max_value) {
    issues.add(line, field.column, key_text,
               key_text + " must be a number in [" + detail::format_number(min_value) + ", " +
                   detail::format_number(max_value) + "] (got '" + std::string(field.text) +
                   "'); correct the header");
    return std::nullopt;
  }
  return value;
}

/// Reads integer field `fields[index]` of a row within [min_value, max_value]; adds an issue
/// and returns nothing otherwise.
std::optional<std::int64_t> row_integer(const std::vector<detail::TextField>& fields,
                                        std::size_t index, std::string_view name,
                                        std::int64_t min_value, std::int64_t max_value, int line,
                                        detail::IssueList& issues) {
  const detail::TextField& field = fields[index];
  const std::optional<std::int64_t> value = detail::parse_integer(field.text);
  if (!value.has_value() || *value < min_value || *value > max_value) {
    issues.add(line, field.column, std::string(name),
               "field " + std::to_string(index + 1) + " (" + std::string(name) +
                   ") must be an integer in [" + std::to_string(min_value) + ", " +
                   std::to_string(max_value) + "] (got '" + std::string(field.text) + "')");
    return std::nullopt;
  }
  return value;
}

/// Parses "m/d" (spaces allowed, as "1/ 1") of a DATA PERIODS date.
std::optional<std::pair<int, int>> month_day(std::string_view text) {
  const std::size_t slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const std::optional<std::int64_t> month = detail::parse_integer(text.substr(0, slash));
  std::string_view rest = text.substr(slash + 1);
  rest = rest.substr(0, rest.find('/'));
  const std::optional<std::int64_t> day = detail::parse_integer(rest);
  if (!month || !day || *month < 1 || *month > 12 || *day < 1 ||
      *day > detail::days_in_month(2000, static_cast<int>(*month))) {
    return std::nullopt;
  }
  return std::pair<int, int>{static_cast<int>(*month), static_cast<int>(*day)};
}

}  // namespace

WeatherSeries read_epw(const std::filesystem::path& path, const WeatherReadOptions& options) {
  const std::string text = detail::read_text_file(path);
  return parse_epw(text, path.string(), options);
}

WeatherSeries parse_epw(std::string_view text, std::string_view file_name,
                        const WeatherReadOptions& options) {
  detail::IssueList issues{std::string(file_name)};
  WeatherSeries series;
  series.source_format = WeatherFormat::kEpw;
  series.source_path = std::string(file_name);
  const std::vector<std::string_view> lines = detail::split_lines(text);
  std::vector<detail::TextField> fields;

  // the 8 header lines, each starting with its keyword
  for (std::size_t h = 0; h < kHeaderKeywords.size(); ++h) {
    const int line = static_cast<int>(h) + 1;
    if (h >= lines.size()) {
      issues.add(line, 1, std::string(kHeaderKeywords[h]),
                 "the file ends before header line " + std::to_string(line) + " (" +
                     std::string(kHeaderKeywords[h]) +
                     "); an EPW file has 8 header lines and then the data rows");
      issues.throw_if_any();
    }
    if (!lines[h].starts_with(kHeaderKeywords[h])) {
      issues.add(line, 1, std::string(kHeaderKeywords[h]),
                 "header line " + std::to_string(line) + " must start with '" +
                     std::string(kHeaderKeywords[h]) + "' (got '" +
                     std::string(lines[h].substr(0, 40)) + "'); is this an EPW file?");
    }
  }
  issues.throw_if_any();

  // LOCATION,city,state,country,source,WMO,latitude,longitude,time zone,elevation
  detail::split_fields(lines[0], fields);
  const auto text_at = [&fields](std::size_t index) {
    return index < fields.size() ? std::string(detail::trim(fields[index].text)) : std::string();
  };
  series.station_name = text_at(1);
  series.city = text_at(1);
  series.region = text_at(2);
  series.country = text_at(3);
  series.data_source = text_at(4);
  series.station_id = text_at(5);
  const auto latitude_deg = header_number(fields, 6, "LOCATION.latitude", -90.0, 90.0, 1, issues);
  const auto longitude_deg =
      header_number(fields, 7, "LOCATION.longitude", -180.0, 180.0, 1, issues);
  const auto utc_offset_h = header_number(fields, 8, "LOCATION.time_zone", -12.0, 14.0, 1, issues);
  const auto elevation_m =
      header_number(fields, 9, "LOCATION.elevation", -1000.0, 9999.9, 1, issues);
  const int tz_column = fields.size() > 8 ? fields[8].column : 1;

  // DATA PERIODS,n periods,records per hour,name,start weekday,start m/d,end m/d
  detail::split_fields(lines[7], fields);
  const auto n_periods =
      header_number(fields, 1, "DATA PERIODS.number_of_periods", 1.0, 1.0, 8, issues);
  const auto records_per_hour =
      header_number(fields, 2, "DATA PERIODS.records_per_hour", 1.0, 60.0, 8, issues);
  std::optional<std::pair<int, int>> period_start;
  std::optional<std::pair<int, int>> period_end;
  if (fields.size() >= 7) {
    period_start = month_day(fields[5].text);
    period_end = month_day(fields[6].text);
  }
  if (!period_start || !period_end) {
    issues.add(8, fields.size() > 5 ? fields[5].column : 1, "DATA PERIODS.start_end",
               "DATA PERIODS needs a start and an end date written m/d, as '1/ 1,12/31'");
  }
  if (records_per_hour && std::fmod(60.0, *records_per_hour) != 0.0) {
    issues.add(8, fields[2].column, "DATA PERIODS.records_per_hour",
               "records per hour must divide 60 (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30 or 60)");
  }
  issues.throw_if_any();
  (void)n_periods;
  series.latitude_deg = *latitude_deg;
  series.longitude_deg = *longitude_deg;
  series.utc_offset_h = *utc_offset_h;
  series.elevation_m = *elevation_m;
  const auto slots_per_hour = static_cast<std::int64_t>(*records_per_hour);
  series.interval_s = 3600 / slots_per_hour;
  const std::int64_t slots_per_day = 24 * slots_per_hour;

  // data rows; blank lines at the end are ignored
  std::size_t n_lines = lines.size();
  while (n_lines > kHeaderKeywords.size() && detail::trim(lines[n_lines - 1]).empty()) --n_lines;
  const std::size_t n_rows_max = n_lines - kHeaderKeywords.size();
  series.time_utc_s.reserve(n_rows_max);
  for (const ValueField& value_field : kValueFields) {
    (series.*value_field.column).reserve(n_rows_max);
  }
  std::vector<std::int64_t> local_end_s;
  local_end_s.reserve(n_rows_max);
  std::optional<std::int64_t> previous_slot;
  std::string previous_label;
  bool has_feb_29 = false;
  for (std::size_t li = kHeaderKeywords.size(); li < n_lines && !issues.full(); ++li) {
    const int line = static_cast<int>(li) + 1;
    detail::split_fields(lines[li], fields);
    // a row is exactly 35 fields
    if (fields.size() != kFieldCount) {
      issues.add(line, 1, "row",
                 "data row has " + std::to_string(fields.size()) +
                     " comma-separated fields, "
                     "expected 35 (year, month, day, hour, minute, data source flags, dry bulb "
                     "temperature, ..., liquid precipitation quantity); the row is cut off or "
                     "has a comma too many or too few");
      continue;
    }
    // date and time on the file's local standard clock
    const auto year = row_integer(fields, 0, "year", -9999, 9999, line, issues);
    const auto month = row_integer(fields, 1, "month", 1, 12, line, issues);
    const auto day = row_integer(fields, 2, "day", 1, 31, line, issues);
    const auto hour = row_integer(fields, 3, "hour", 1, 24, line, issues);
    const auto minute = row_integer(fields, 4, "minute", 0, 60, line, issues);
    bool date_ok = year && month && day && hour && minute;
    if (date_ok && *day > detail::days_in_month(*year, static_cast<int>(*month))) {
      issues.add(line, fields[2].column, "day",
                 "field 3 (day) " + std::to_string(*day) + " does not exist in month " +
                     std::to_string(*month) + " of year " + std::to_string(*year) +
                     (*month == 2 && *day == 29 ? " (29 February needs a leap year)" : ""));
      date_ok = false;
    }
    std::int64_t slot_in_hour = 0;
    if (date_ok && slots_per_hour > 1) {
      // sub-hourly rows carry the minute that ends their interval
      const std::int64_t minutes_per_slot = 60 / slots_per_hour;
      if (*minute == 0 || *minute % minutes_per_slot != 0) {
        issues.add(line, fields[4].column, "minute",
                   "field 5 (minute) must end a " + std::to_string(minutes_per_slot) +
                       "-minute interval (" + std::to_string(minutes_per_slot) + ", " +
                       std::to_string(2 * minutes_per_slot) + ", ..., 60) (got " +
                       std::to_string(*minute) + ")");
        date_ok = false;
      } else {
        slot_in_hour = *minute / minutes_per_slot - 1;
      }
    }
    // measured values; missing codes become NaN
    bool values_ok = true;
    for (const ValueField& value_field : kValueFields) {
      const detail::TextField& field = fields[value_field.field_number - 1];
      const std::optional<double> value = detail::parse_number(field.text);
      double stored = kNan;
      if (!value.has_value()) {
        issues.add(line, field.column, std::string(value_field.name),
                   "field " + std::to_string(value_field.field_number) + " (" +
                       std::string(value_field.name) + ") is not a number (got '" +
                       std::string(field.text) + "'); write a value in " +
                       std::string(value_field.unit) + " or the missing-value code " +
                       detail::format_number(value_field.missing_code));
        values_ok = false;
      } else if (*value >= value_field.missing_code) {
        ++(series.missing.*value_field.missing_count);
      } else if (*value < value_field.min_value || *value > value_field.max_value) {
        issues.add(line, field.column, std::string(value_field.name),
                   "field " + std::to_string(value_field.field_number) + " (" +
                       std::string(value_field.name) + ") must be in [" +
                       detail::format_number(value_field.min_value) + ", " +
                       detail::format_number(value_field.max_value) + "] " +
                       std::string(value_field.unit) + " (got " + std::string(field.text) +
                       "); correct it or write the missing-value code");
        values_ok = false;
      } else {
        // + 0.0 turns the "-0.00" some writers emit into +0
        stored = *value + 0.0;
      }
      (series.*value_field.column).push_back(stored);
    }
    if (!date_ok) continue;
    // rows must follow each other
    const int month_value = static_cast<int>(*month);
    const int day_value = static_cast<int>(*day);
    const std::int64_t slot = detail::slot_in_year(
        month_value, day_value, (*hour - 1) * slots_per_hour + slot_in_hour, slots_per_day);
    const std::string label = std::to_string(*month) + "/" + std::to_string(*day) + " hour " +
                              std::to_string(*hour) + " minute " + std::to_string(*minute);
    if (previous_slot && !detail::slot_follows(*previous_slot, slot, slots_per_day)) {
      issues.add(line, fields[1].column, "row",
                 "row " + label + " does not follow the previous row (" + previous_label +
                     "): a row is missing, repeated or out of order");
    }
    previous_slot = slot;
    previous_label = label;
    has_feb_29 = has_feb_29 || (month_value == 2 && day_value == 29);
    if (!values_ok) continue;
    series.year.push_back(static_cast<std::int32_t>(*year));
    local_end_s.push_back(detail::days_from_civil(*year, month_value, day_value) * 86400 +
                          (*hour - 1) * 3600 + (slot_in_hour + 1) * series.interval_s);
  }

  // the row count DATA PERIODS promises (a non-leap year, plus 29 February if present)
  if (!issues.full()) {
    const std::int64_t reference_year = has_feb_29 ? 2000 : 2001;
    const std::int64_t n_days =
        detail::days_from_civil(reference_year, period_end->first, period_end->second) -
        detail::days_from_civil(reference_year, period_start->first, period_start->second) + 1;
    const std::int64_t n_expected = n_days * slots_per_day;
    const auto n_rows = static_cast<std::int64_t>(n_rows_max);
    if (n_rows != n_expected) {
      issues.add(static_cast<int>(n_lines) + 1, 1, "DATA PERIODS",
                 "the file has " + std::to_string(n_rows) +
                     " data rows but DATA PERIODS (line "
                     "8) promises " +
                     std::to_string(n_days) + " days at " + std::to_string(slots_per_hour) +
                     " record(s) per hour = " + std::to_string(n_expected) + " rows" +
                     (n_rows < n_expected ? ": the file is truncated; restore the complete file"
                                          : ": remove the extra rows or fix DATA PERIODS"));
    }
  }
  detail::finish_series(series, local_end_s, options, issues, 1, tz_column);
  return series;
}

}  // namespace citytwin::solar
