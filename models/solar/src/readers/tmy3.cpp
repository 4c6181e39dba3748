#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <citytwin/solar/readers/weather.hpp>

#include "weather_text.hpp"

// NREL TMY3 CSV reader (Wilcox & Marion 2008, NREL/TP-581-43156): station metadata on line 1,
// column headers on line 2, then hourly rows ending at 1:00..24:00 local standard time.
// See docs/models/solar.md#weather.
namespace citytwin::solar {
namespace {

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

/// TMY3 codes missing data as -9900 (TMY3 user's manual); values at or below are missing.
constexpr double kMissingCode = -9900.0;

/// One TMY3 column this reader keeps: its header, valid range in the file's unit, the factor
/// to the column's SI unit, and the column and missing counter it fills.
struct ValueColumn {
  std::string_view header;                     ///< exact header text on line 2
  bool required;                               ///< false: a file without it gets NaN (albedo)
  double min_value;                            ///< smallest valid value, file unit
  double max_value;                            ///< largest valid value, file unit
  double scale;                                ///< file unit to column unit (mbar to Pa: 100)
  std::vector<double> WeatherSeries::*column;  ///< column filled
  std::int64_t WeatherMissingCounts::*missing_count;  ///< counter of missing values
};

const std::array<ValueColumn, 7> kValueColumns{{
    {"GHI (W/m^2)", true, 0.0, kInf, 1.0, &WeatherSeries::ghi_wm2, &WeatherMissingCounts::ghi},
    {"DNI (W/m^2)", true, 0.0, kInf, 1.0, &WeatherSeries::dni_wm2, &WeatherMissingCounts::dni},
    {"DHI (W/m^2)", true, 0.0, kInf, 1.0, &WeatherSeries::dhi_wm2, &WeatherMissingCounts::dhi},
    {"Dry-bulb (C)", true, -70.0, 70.0, 1.0, &WeatherSeries::temp_air_c,
     &WeatherMissingCounts::temp_air},
    {"Wspd (m/s)", true, 0.0, 40.0, 1.0, &WeatherSeries::wind_speed_mps,
     &WeatherMissingCounts::wind_speed},
    {"Pressure (mbar)", true, 310.0, 1200.0, 100.0, &WeatherSeries::pressure_pa,
     &WeatherMissingCounts::pressure},
    {"Alb (unitless)", false, 0.0, 1.0, 1.0, &WeatherSeries::albedo_frac,
     &WeatherMissingCounts::albedo},
}};

constexpr std::string_view kDateHeader = "Date (MM/DD/YYYY)";
constexpr std::string_view kTimeHeader = "Time (HH:MM)";

/// Index of header `name` on line 2, or nothing.
std::optional<std::size_t> find_column(const std::vector<detail::TextField>& headers,
                                       std::string_view name) {
  for (std::size_t i = 0; i < headers.size(); ++i) {
    if (detail::trim(headers[i].text) == name) return i;
  }
  return std::nullopt;
}

/// Splits "a/b/c" or "a:b" at `separator` into integers; nothing unless all parse.
std::vector<std::int64_t> split_integers(std::string_view text, char separator) {
  std::vector<std::int64_t> parts;
  text = detail::trim(text);
  while (true) {
    const std::size_t cut = text.find(separator);
    const std::optional<std::int64_t> part = detail::parse_integer(text.substr(0, cut));
    if (!part.has_value()) return {};
    parts.push_back(*part);
    if (cut == std::string_view::npos) return parts;
    text = text.substr(cut + 1);
  }
}

}  // namespace

WeatherSeries read_tmy3(const std::filesystem::path& path, const WeatherReadOptions& options) {
  const std::string text = detail::read_text_file(path);
  return parse_tmy3(text, path.string(), options);
}

WeatherSeries parse_tmy3(std::string_view text, std::string_view file_name,
                         const WeatherReadOptions& options) {
  detail::IssueList issues{std::string(file_name)};
  WeatherSeries series;
  series.source_format = WeatherFormat::kTmy3;
  series.source_path = std::string(file_name);
  series.data_source = "TMY3";
  series.interval_s = 3600;
  std::vector<std::string_view> lines = detail::split_lines(text);
  while (!lines.empty() && detail::trim(lines.back()).empty()) lines.pop_back();
  if (lines.size() < 3) {
    issues.add(static_cast<int>(lines.size()) + 1, 1, "file",
               "a TMY3 file needs a metadata line, a header line and at least one data row; "
               "the file has " +
                   std::to_string(lines.size()) + " lines");
    issues.throw_if_any();
  }

  // line 1: USAF,name,state,TZ,latitude,longitude,elevation
  std::vector<detail::TextField> fields;
  detail::split_fields(lines[0], fields);
  if (fields.size() != 7) {
    issues.add(1, 1, "metadata",
               "line 1 must hold 7 fields 'USAF,name,state,TZ,latitude,longitude,elevation' "
               "(got " +
                   std::to_string(fields.size()) + ")");
    issues.throw_if_any();
  }
  series.station_id = std::string(detail::trim(fields[0].text));
  series.station_name = std::string(detail::trim(fields[1].text));
  series.city = series.station_name;
  series.region = std::string(detail::trim(fields[2].text));
  const auto metadata_number = [&](std::size_t index, std::string_view key, double min_value,
                                   double max_value) {
    const std::optional<double> value = detail::parse_number(fields[index].text);
    if (!value.has_value() || *value < min_value || *value > max_value) {
      issues.add(1, fields[index].column, std::string(key),
                 std::string(key) + " must be a number in [" + detail::format_number(min_value) +
                     ", " + detail::format_number(max_value) + "] (got '" +
                     std::string(fields[index].text) + "'); correct line 1");
      return 0.0;
    }
    return *value;
  };
  series.utc_offset_h = metadata_number(3, "metadata.time_zone", -12.0, 14.0);
  series.latitude_deg = metadata_number(4, "metadata.latitude", -90.0, 90.0);
  series.longitude_deg = metadata_number(5, "metadata.longitude", -180.0, 180.0);
  series.elevation_m = metadata_number(6, "metadata.elevation", -1000.0, 9999.9);
  const int tz_column = fields[3].column;

  // line 2: the columns this reader needs, found by header
  std::vector<detail::TextField> headers;
  detail::split_fields(lines[1], headers);
  const std::optional<std::size_t> date_index = find_column(headers, kDateHeader);
  const std::optional<std::size_t> time_index = find_column(headers, kTimeHeader);
  std::array<std::optional<std::size_t>, kValueColumns.size()> value_index;
  for (std::size_t c = 0; c < kValueColumns.size(); ++c) {
    value_index[c] = find_column(headers, kValueColumns[c].header);
  }
  for (const auto& [index, name] :
       {std::pair{date_index, kDateHeader}, std::pair{time_index, kTimeHeader}}) {
    if (!index) {
      issues.add(2, 1, std::string(name),
                 "column '" + std::string(name) + "' is missing from the header line");
    }
  }
  for (std::size_t c = 0; c < kValueColumns.size(); ++c) {
    if (kValueColumns[c].required && !value_index[c]) {
      issues.add(2, 1, std::string(kValueColumns[c].header),
                 "column '" + std::string(kValueColumns[c].header) +
                     "' is missing from the header line; TMY3 files name it exactly so");
    }
  }
  issues.throw_if_any();

  // data rows
  std::vector<std::int64_t> local_end_s;
  std::optional<std::int64_t> previous_slot;
  std::string previous_label;
  for (std::size_t li = 2; li < lines.size() && !issues.full(); ++li) {
    const int line = static_cast<int>(li) + 1;
    detail::split_fields(lines[li], fields);
    if (fields.size() != headers.size()) {
      issues.add(line, 1, "row",
                 "data row has " + std::to_string(fields.size()) +
                     " fields but the header "
                     "line has " +
                     std::to_string(headers.size()) +
                     "; the row is cut off or has a comma too many or too few");
      continue;
    }
    // date mm/dd/yyyy and time h:mm, the end of the hour in local standard time
    const detail::TextField& date_field = fields[*date_index];
    const detail::TextField& time_field = fields[*time_index];
    const std::vector<std::int64_t> date = split_integers(date_field.text, '/');
    const std::vector<std::int64_t> clock = split_integers(time_field.text, ':');
    bool date_ok = true;
    bool values_ok = true;
    if (date.size() != 3 || date[0] < 1 || date[0] > 12 || date[1] < 1 ||
        date[1] > detail::days_in_month(date[2], static_cast<int>(date[0]))) {
      issues.add(line, date_field.column, std::string(kDateHeader),
                 "date must be an existing date written mm/dd/yyyy (got '" +
                     std::string(date_field.text) + "')");
      date_ok = false;
    }
    if (clock.size() != 2 || clock[0] < 1 || clock[0] > 24 || clock[1] != 0) {
      issues.add(line, time_field.column, std::string(kTimeHeader),
                 "time must be the end of an hour written h:00, 1:00..24:00 (got '" +
                     std::string(time_field.text) + "')");
      date_ok = false;
    }
    // measured values; -9900 is missing
    for (std::size_t c = 0; c < kValueColumns.size(); ++c) {
      const ValueColumn& value_column = kValueColumns[c];
      double stored = kNan;
      if (!value_index[c]) {
        ++(series.missing.*value_column.missing_count);
        (series.*value_column.column).push_back(stored);
        continue;
      }
      const detail::TextField& field = fields[*value_index[c]];
      const std::optional<double> value = detail::parse_number(field.text);
      if (!value.has_value()) {
        issues.add(line, field.column, std::string(value_column.header),
                   "'" + std::string(value_column.header) + "' is not a number (got '" +
                       std::string(field.text) + "'); write a value or the missing code -9900");
        values_ok = false;
      } else if (*value <= kMissingCode) {
        ++(series.missing.*value_column.missing_count);
      } else if (*value < value_column.min_value || *value > value_column.max_value) {
        issues.add(line, field.column, std::string(value_column.header),
                   "'" + std::string(value_column.header) + "' must be in [" +
                       detail::format_number(value_column.min_value) + ", " +
                       detail::format_number(value_column.max_value) + "] (got " +
                       std::string(field.text) + "); correct it or write -9900");
        values_ok = false;
      } else {
        stored = *value * value_column.scale + 0.0;
      }
      (series.*value_column.column).push_back(stored);
    }
    if (!date_ok) continue;
    // rows must follow each other hour by hour
    const int month = static_cast<int>(date[0]);
    const int day = static_cast<int>(date[1]);
    const std::int64_t slot = detail::slot_in_year(month, day, clock[0] - 1, 24);
    const std::string label = std::string(detail::trim(date_field.text)) + " " +
                              std::string(detail::trim(time_field.text));
    if (previous_slot && !detail::slot_follows(*previous_slot, slot, 24)) {
      issues.add(line, date_field.column, "row",
                 "row " + label + " does not follow the previous row (" + previous_label +
                     "): a row is missing, repeated or out of order");
    }
    previous_slot = slot;
    previous_label = label;
    if (!values_ok) continue;
    series.year.push_back(static_cast<std::int32_t>(date[2]));
    local_end_s.push_back(detail::days_from_civil(date[2], month, day) * 86400 + clock[0] * 3600);
  }
  detail::finish_series(series, local_end_s, options, issues, 1, tz_column);
  return series;
}

}  // namespace citytwin::solar
