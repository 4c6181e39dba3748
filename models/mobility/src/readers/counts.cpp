#include <citytwin/mobility/readers/counts.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <variant>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <utility>

#include <citytwin/sim/clock.hpp>
#include <citytwin/sim/error.hpp>

namespace citytwin::mobility {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::size_t kMaxIssues = 50;
constexpr std::string_view kBom = "\xEF\xBB\xBF";
constexpr std::string_view kHelsinkiDateColumn = "P\xC3\xA4iv\xC3\xA4m\xC3\xA4\xC3\xA4r\xC3\xA4";

/// One field of a line with its 1-based column (in bytes).
struct Field {
  std::string_view text;
  int column = 1;
};

/// One hour of one counter before sorting.
struct Row {
  std::int64_t time_utc_s = 0;  // [s]
  double flow_veh_per_h = kNaN;
  double occupancy_frac = kNaN;
};

/// Collects every problem of a file, then throws them together.
class Issues {
 public:
  explicit Issues(std::string file) : file_(std::move(file)) {}
  void add(int line, int column, std::string key, std::string message) {
    if (issues_.size() < kMaxIssues) {
      issues_.push_back({file_, line, column, std::move(key), std::move(message)});
    }
  }
  void throw_if_any() const {
    if (!issues_.empty()) throw InputError(issues_);
  }
  [[noreturn]] void fail(int line, int column, std::string key, std::string message) {
    add(line, column, std::move(key), std::move(message));
    throw InputError(issues_);
  }
  [[nodiscard]] const std::string& file() const { return file_; }

 private:
  std::string file_;
  std::vector<InputIssue> issues_;
};

/// The whole file and its lines (CR and a leading UTF-8 BOM removed).
struct TextFile {
  std::string content;
  std::vector<std::string_view> lines;
  bool had_bom = false;
};

TextFile load_text(const std::filesystem::path& path) {
  TextFile file;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw InputError(InputIssue{path.string(), 0, 0, "file",
                                "cannot open the counts file; check the path and permissions"});
  }
  file.content.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  std::string_view rest = file.content;
  if (rest.substr(0, kBom.size()) == kBom) {
    file.had_bom = true;
    rest.remove_prefix(kBom.size());
  }
  // split into lines, tolerating CRLF and a missing final newline
  while (!rest.empty()) {
    const std::size_t end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    file.lines.push_back(line);
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
  return file;
}

/// Splits on `sep`; double quotes protect separators ("" is a literal quote).
std::vector<Field> split_fields(std::string_view line, char sep) {
  std::vector<Field> fields;
  std::size_t begin = 0;
  bool quoted = false;
  for (std::size_t i = 0; i <= line.size(); ++i) {
    if (i < line.size() && line[i] == '"') quoted = !quoted;
    if (i == line.size() || (line[i] == sep && !quoted)) {
      std::string_view text = line.substr(begin, i - begin);
      if (text.size() >= 2 && text.front() == '"' && text.back() == '"') {
        text = text.substr(1, text.size() - 2);
      }
      fields.push_back({text, static_cast<int>(begin) + 1});
      begin = i + 1;
    }
  }
  return fields;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::optional<int> parse_int(std::string_view text) {
  int value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<double> parse_double(std::string_view text) {
  double value = 0.0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() ||
      !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
std::int64_t days_from_civil(int year, int month, int day) {
  const int y = month <= 2 ? year - 1 : year;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int mp = (month + 9) % 12;
  const int doy = (153 * mp + 2) / 5 + day - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<std::int64_t>(era) * 146097 + doe - 719468;
}

bool valid_date(int year, int month, int day) {
  constexpr std::array<int, 12> kDays{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (year < 1900 || year > 2200 || month < 1 || month > 12 || day < 1) return false;
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  const int n_days = month == 2 && leap ? 29 : kDays[static_cast<std::size_t>(month - 1)];
  return day <= n_days;
}

/// A wall-clock date-time as written in a file.
struct LocalTime {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
};

bool valid_local(const LocalTime& t) {
  return valid_date(t.year, t.month, t.day) && t.hour >= 0 && t.hour < 24 && t.minute >= 0 &&
         t.minute < 60 && t.second >= 0 && t.second < 60;
}

/// Parses "YYYY-MM-DD?HH:MM:SS" where ? is `date_time_sep`; the rest of the text is returned.
std::optional<std::pair<LocalTime, std::string_view>> parse_date_time(std::string_view text,
                                                                     char date_time_sep) {
  if (text.size() < 19 || text[4] != '-' || text[7] != '-' || text[10] != date_time_sep ||
      text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  const auto year = parse_int(text.substr(0, 4));
  const auto month = parse_int(text.substr(5, 2));
  const auto day = parse_int(text.substr(8, 2));
  const auto hour = parse_int(text.substr(11, 2));
  const auto minute = parse_int(text.substr(14, 2));
  const auto second = parse_int(text.substr(17, 2));
  if (!year || !month || !day || !hour || !minute || !second) return std::nullopt;
  const LocalTime t{*year, *month, *day, *hour, *minute, *second};
  if (!valid_local(t)) return std::nullopt;
  return std::pair{t, text.substr(19)};
}

/// How a naive local time maps to UTC (docs/models/mobility.md#counts-replay).
struct LocalResolution {
  std::optional<std::int64_t> time_utc_s;  // empty: the hour does not exist (spring change)
  bool ambiguous = false;                  // the hour occurs twice (autumn change)
};

/// Naive local time → UTC: an ambiguous hour takes the earlier (summer-time) instant, a
/// non-existent hour is reported as such.
LocalResolution resolve_local(const LocalTime& t, const std::string& zone) {
  LocalResolution resolution;
  try {
    const std::int64_t utc_s =
        sim::Clock::unix_from_local(t.year, t.month, t.day, t.hour, t.minute, t.second, zone);
    resolution.time_utc_s = utc_s;
    // ambiguous when one hour later shows the same wall clock
    const sim::CivilTime later = sim::Clock::civil_local(utc_s + 3600, zone);
    resolution.ambiguous = later.hour == t.hour && later.day == t.day && later.month == t.month;
  } catch (const std::invalid_argument&) {
    resolution.time_utc_s.reset();
  }
  return resolution;
}

/// A measured value: empty = missing (NaN), otherwise a finite number.
std::optional<double> parse_value(std::string_view text) {
  const std::string_view value = trim(text);
  if (value.empty()) return kNaN;
  return parse_double(value);
}

/// Column index of `name` in a header, or -1.
int find_column(const std::vector<Field>& header, std::string_view name) {
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (trim(header[i].text) == name) return static_cast<int>(i);
  }
  return -1;
}

/// Checks the header for required columns; a header split by the wrong separator is named.
std::vector<int> require_columns(Issues& issues, std::string_view header_line, char sep,
                                 const std::vector<std::string_view>& names,
                                 std::string_view layout) {
  const std::vector<Field> header = split_fields(header_line, sep);
  const char other = sep == ',' ? ';' : ',';
  if (header.size() == 1 && header_line.find(other) != std::string_view::npos) {
    issues.fail(1, 1, "header",
                "wrong delimiter: the " + std::string(layout) + " layout is '" +
                    std::string(1, sep) + "'-separated but this header uses '" +
                    std::string(1, other) + "'; check the file type or re-export it with '" +
                    std::string(1, sep) + "'");
  }
  std::vector<int> columns;
  for (const std::string_view name : names) {
    const int idx = find_column(header, name);
    if (idx < 0) {
      issues.add(1, 1, std::string(name),
                 "missing column '" + std::string(name) + "' in the " + std::string(layout) +
                     " header; the file is not in this layout or the header was edited");
    }
    columns.push_back(idx);
  }
  issues.throw_if_any();
  return columns;
}

/// Builds a counter's series: sorted by time, repeated instants dropped (first row kept).
void append_counter(CountSeries& series, std::vector<Row> rows, bool has_occupancy) {
  CountReadReport& report = series.report;
  const std::string& id = series.counter_id.back();
  // sort ascending, keeping file order among equal instants
  const bool sorted = std::is_sorted(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return a.time_utc_s < b.time_utc_s;
  });
  if (!sorted) {
    std::stable_sort(rows.begin(), rows.end(),
                     [](const Row& a, const Row& b) { return a.time_utc_s < b.time_utc_s; });
    ++report.n_reordered;
    report.fixes.push_back("counter " + id + ": rows sorted into ascending time order");
  }
  // drop repeated instants
  std::vector<std::int64_t> time_utc_s;
  std::vector<double> flow_veh_per_h;
  std::vector<double> occupancy_frac;
  std::int64_t n_duplicates = 0;
  for (const Row& row : rows) {
    if (!time_utc_s.empty() && time_utc_s.back() == row.time_utc_s) {
      ++n_duplicates;
      continue;
    }
    time_utc_s.push_back(row.time_utc_s);
    flow_veh_per_h.push_back(row.flow_veh_per_h);
    if (has_occupancy) occupancy_frac.push_back(row.occupancy_frac);
    if (std::isnan(row.flow_veh_per_h)) ++report.n_missing_flow;
    if (has_occupancy && std::isnan(row.occupancy_frac)) ++report.n_missing_occupancy;
  }
  if (n_duplicates > 0) {
    report.n_duplicate_times += n_duplicates;
    report.fixes.push_back("counter " + id + ": " + std::to_string(n_duplicates) +
                           " rows at an already-seen instant dropped (first row kept)");
  }
  series.time_utc_s.push_back(std::move(time_utc_s));
  series.flow_veh_per_h.push_back(std::move(flow_veh_per_h));
  series.occupancy_frac.push_back(std::move(occupancy_frac));
}

/// Adds the DST fixes to the report.
void report_dst(CountReadReport& report, const std::string& zone) {
  if (report.n_ambiguous_local > 0) {
    report.fixes.push_back(std::to_string(report.n_ambiguous_local) + " ambiguous " + zone +
                           " local hours (autumn change) read as the earlier, summer-time instant");
  }
  if (report.n_nonexistent_local > 0) {
    report.fixes.push_back(std::to_string(report.n_nonexistent_local) + " rows at a " + zone +
                           " local hour that does not exist (spring change) dropped, with " +
                           std::to_string(report.n_values_dropped) + " non-empty values");
  }
}

/// Paris rows of one file grouped per arc id, in order of first appearance.
struct ParisCounters {
  std::vector<std::string> ids;
  std::vector<std::string> names;
  std::vector<std::vector<Row>> rows;
  std::vector<double> lat_deg;
  std::vector<double> lon_deg;
  std::map<std::string, std::size_t, std::less<>> index;

  std::size_t counter(std::string_view id, std::string_view name) {
    const auto it = index.find(id);
    if (it != index.end()) return it->second;
    index.emplace(std::string(id), ids.size());
    ids.emplace_back(id);
    names.emplace_back(name);
    rows.emplace_back();
    lat_deg.push_back(kNaN);
    lon_deg.push_back(kNaN);
    return ids.size() - 1;
  }

  CountSeries finish(CountReadReport report) {
    CountSeries series;
    series.report = std::move(report);
    for (std::size_t i = 0; i < ids.size(); ++i) {
      series.counter_id.push_back(ids[i]);
      series.counter_name.push_back(names[i]);
      series.mode.push_back(CountMode::kCar);
      series.lat_deg.push_back(lat_deg[i]);
      series.lon_deg.push_back(lon_deg[i]);
      series.link_id.push_back(-1);
      append_counter(series, std::move(rows[i]), true);
    }
    return series;
  }
};

/// Parses a flow or occupancy cell, recording an issue when it is not a number.
double value_or_issue(Issues& issues, int line, const Field& field, std::string_view column,
                      std::string_view unit) {
  const auto value = parse_value(field.text);
  if (!value) {
    issues.add(line, field.column, std::string(column),
               "'" + std::string(field.text) + "' is not a number (" + std::string(unit) +
                   "); leave the cell empty for a missing value");
    return kNaN;
  }
  return *value;
}

bool all_empty(const std::vector<Field>& fields) {
  return std::all_of(fields.begin(), fields.end(),
                     [](const Field& f) { return trim(f.text).empty(); });
}

constexpr std::array<std::string_view, 7> kFinnishWeekdays{"ma", "ti", "ke", "to",
                                                          "pe", "la", "su"};
constexpr std::array<std::string_view, 12> kFinnishMonths{
    "tammi", "helmi", "maalis", "huhti", "touko", "kes\xC3\xA4",
    "hein\xC3\xA4", "elo", "syys", "loka", "marras", "joulu"};

/// Parses "ke 1 tammi 2014 00:00"; on failure returns the reason.
std::variant<LocalTime, std::string> parse_finnish_time(std::string_view text) {
  std::vector<std::string_view> tokens;
  std::string_view rest = trim(text);
  while (!rest.empty()) {
    const std::size_t end = rest.find(' ');
    tokens.push_back(rest.substr(0, end));
    if (end == std::string_view::npos) break;
    rest = trim(rest.substr(end + 1));
  }
  if (tokens.size() != 5) {
    return std::string("expected 5 parts 'weekday day month year HH:MM' like 'ke 1 tammi 2014 00:00'");
  }
  const auto weekday = std::find(kFinnishWeekdays.begin(), kFinnishWeekdays.end(), tokens[0]);
  if (weekday == kFinnishWeekdays.end()) {
    return "unknown weekday '" + std::string(tokens[0]) + "' (expected ma ti ke to pe la su)";
  }
  const auto month = std::find(kFinnishMonths.begin(), kFinnishMonths.end(), tokens[2]);
  if (month == kFinnishMonths.end()) {
    return "unknown month '" + std::string(tokens[2]) +
           "' (expected tammi helmi maalis huhti touko kesä heinä elo syys loka marras joulu)";
  }
  const auto day = parse_int(tokens[1]);
  const auto year = parse_int(tokens[3]);
  const std::string_view clock = tokens[4];
  const auto hour = clock.size() == 5 && clock[2] == ':' ? parse_int(clock.substr(0, 2)) : std::nullopt;
  const auto minute = clock.size() == 5 && clock[2] == ':' ? parse_int(clock.substr(3, 2)) : std::nullopt;
  if (!day || !year || !hour || !minute) return std::string("day, year or HH:MM is not a number");
  const LocalTime t{*year, static_cast<int>(month - kFinnishMonths.begin()) + 1, *day, *hour,
                    *minute, 0};
  if (!valid_local(t)) return std::string("no such date or time");
  // 1970-01-01 was a Thursday (index 3, Monday = 0)
  const std::int64_t days = days_from_civil(t.year, t.month, t.day);
  const std::int64_t weekday_idx = ((days % 7) + 7 + 3) % 7;
  if (weekday_idx != weekday - kFinnishWeekdays.begin()) {
    return "weekday '" + std::string(tokens[0]) + "' does not match the date (it is '" +
           std::string(kFinnishWeekdays[static_cast<std::size_t>(weekday_idx)]) + "')";
  }
  return t;
}

}  // namespace

std::int64_t CountSeries::find_counter(const std::string& id) const {
  const auto it = std::find(counter_id.begin(), counter_id.end(), id);
  return it == counter_id.end() ? -1 : static_cast<std::int64_t>(it - counter_id.begin());
}

CountSeries read_paris_archive(const std::filesystem::path& path) {
  const std::string zone = "Europe/Paris";
  Issues issues(path.string());
  const TextFile file = load_text(path);
  if (file.lines.empty()) issues.fail(1, 1, "header", "empty file; expected a Paris archive header");
  const std::vector<int> col = require_columns(issues, file.lines[0], ',',
                                               {"iu_ac", "libelle", "t_1h", "q", "k"},
                                               "Paris archive");
  const std::size_t n_columns = split_fields(file.lines[0], ',').size();
  ParisCounters counters;
  CountReadReport report;
  // one row per hour and arc
  for (std::size_t line_idx = 1; line_idx < file.lines.size(); ++line_idx) {
    const int line = static_cast<int>(line_idx) + 1;
    const std::vector<Field> fields = split_fields(file.lines[line_idx], ',');
    if (all_empty(fields)) {
      ++report.n_empty_rows_skipped;
      continue;
    }
    if (fields.size() != n_columns) {
      issues.add(line, 1, "row",
                 "has " + std::to_string(fields.size()) + " ','-separated fields, the header has " +
                     std::to_string(n_columns) + "; check for a stray separator");
      continue;
    }
    ++report.n_data_rows;
    const Field& time_field = fields[static_cast<std::size_t>(col[2])];
    const auto parsed = parse_date_time(time_field.text, ' ');
    if (!parsed || !parsed->second.empty()) {
      issues.add(line, time_field.column, "t_1h",
                 "'" + std::string(time_field.text) +
                     "' is not a date-time; expected 'YYYY-MM-DD HH:MM:SS' (Europe/Paris local)");
      continue;
    }
    const double q = value_or_issue(issues, line, fields[static_cast<std::size_t>(col[3])], "q", "veh/h");
    const double k = value_or_issue(issues, line, fields[static_cast<std::size_t>(col[4])], "k", "%");
    const LocalResolution resolved = resolve_local(parsed->first, zone);
    if (!resolved.time_utc_s) {
      ++report.n_nonexistent_local;
      if (!std::isnan(q)) ++report.n_values_dropped;
      continue;
    }
    if (resolved.ambiguous) ++report.n_ambiguous_local;
    const std::size_t idx = counters.counter(trim(fields[static_cast<std::size_t>(col[0])].text),
                                             trim(fields[static_cast<std::size_t>(col[1])].text));
    counters.rows[idx].push_back({*resolved.time_utc_s, q, k / 100.0});
  }
  issues.throw_if_any();
  report_dst(report, zone);
  return counters.finish(std::move(report));
}

CountSeries read_paris_export(const std::filesystem::path& path) {
  Issues issues(path.string());
  const TextFile file = load_text(path);
  if (file.lines.empty()) issues.fail(1, 1, "header", "empty file; expected a Paris export header");
  const std::vector<int> col = require_columns(
      issues, file.lines[0], ';',
      {"Identifiant arc", "Libelle", "Date et heure de comptage", "D\xC3\xA9" "bit horaire",
       "Taux d'occupation", "geo_point_2d"},
      "Paris portal export");
  const std::size_t n_columns = split_fields(file.lines[0], ';').size();
  ParisCounters counters;
  CountReadReport report;
  if (file.had_bom) report.fixes.push_back("UTF-8 byte-order mark removed");
  // one row per hour and arc, any order
  for (std::size_t line_idx = 1; line_idx < file.lines.size(); ++line_idx) {
    const int line = static_cast<int>(line_idx) + 1;
    const std::vector<Field> fields = split_fields(file.lines[line_idx], ';');
    if (all_empty(fields)) {
      ++report.n_empty_rows_skipped;
      continue;
    }
    if (fields.size() != n_columns) {
      issues.add(line, 1, "row",
                 "has " + std::to_string(fields.size()) + " ';'-separated fields, the header has " +
                     std::to_string(n_columns) + "; check for a stray separator or quote");
      continue;
    }
    ++report.n_data_rows;
    // ISO 8601 with an offset: "2024-01-04T22:00:00+01:00" or "...Z"
    const Field& time_field = fields[static_cast<std::size_t>(col[2])];
    const auto parsed = parse_date_time(time_field.text, 'T');
    std::optional<int> offset_s;
    if (parsed) {
      const std::string_view zone_text = parsed->second;
      if (zone_text == "Z") {
        offset_s = 0;
      } else if (zone_text.size() == 6 && (zone_text[0] == '+' || zone_text[0] == '-') &&
                 zone_text[3] == ':') {
        const auto hh = parse_int(zone_text.substr(1, 2));
        const auto mm = parse_int(zone_text.substr(4, 2));
        if (hh && mm && *hh <= 14 && *mm < 60) {
          offset_s = (zone_text[0] == '-' ? -1 : 1) * (*hh * 3600 + *mm * 60);
        }
      }
    }
    if (!parsed || !offset_s) {
      issues.add(line, time_field.column, "Date et heure de comptage",
                 "'" + std::string(time_field.text) +
                     "' is not an ISO 8601 date-time with offset; expected "
                     "'YYYY-MM-DDTHH:MM:SS+HH:MM'");
      continue;
    }
    const LocalTime& t = parsed->first;
    const std::int64_t time_utc_s = days_from_civil(t.year, t.month, t.day) * 86400 +
                                    t.hour * 3600 + t.minute * 60 + t.second - *offset_s;
    const double q = value_or_issue(issues, line, fields[static_cast<std::size_t>(col[3])],
                                    "D\xC3\xA9" "bit horaire", "veh/h");
    const double k = value_or_issue(issues, line, fields[static_cast<std::size_t>(col[4])],
                                    "Taux d'occupation", "%");
    const std::size_t idx = counters.counter(trim(fields[static_cast<std::size_t>(col[0])].text),
                                             trim(fields[static_cast<std::size_t>(col[1])].text));
    counters.rows[idx].push_back({time_utc_s, q, k / 100.0});
    // location "lat, lon", taken from the first row that has one
    const Field& point = fields[static_cast<std::size_t>(col[5])];
    if (std::isnan(counters.lat_deg[idx]) && !trim(point.text).empty()) {
      const std::size_t comma = point.text.find(',');
      const auto lat = comma == std::string_view::npos ? std::nullopt
                                                       : parse_double(trim(point.text.substr(0, comma)));
      const auto lon = comma == std::string_view::npos ? std::nullopt
                                                       : parse_double(trim(point.text.substr(comma + 1)));
      if (!lat || !lon || std::abs(*lat) > 90.0 || std::abs(*lon) > 180.0) {
        issues.add(line, point.column, "geo_point_2d",
                   "'" + std::string(point.text) + "' is not a point; expected 'lat, lon' in degrees");
      } else {
        counters.lat_deg[idx] = *lat;
        counters.lon_deg[idx] = *lon;
      }
    }
  }
  issues.throw_if_any();
  return counters.finish(std::move(report));
}

CountSeries read_helsinki_bike_counts(const std::filesystem::path& path) {
  const std::string zone = "Europe/Helsinki";
  Issues issues(path.string());
  const TextFile file = load_text(path);
  if (file.lines.empty()) issues.fail(1, 1, "header", "empty file; expected a Helsinki header");
  const std::vector<int> date_col = require_columns(issues, file.lines[0], ';',
                                                    {kHelsinkiDateColumn},
                                                    "Helsinki bicycle counts");
  // counters: every named column after the date (a trailing ';' gives an unnamed one)
  const std::vector<Field> header = split_fields(file.lines[0], ';');
  std::vector<std::size_t> counter_cols;
  CountSeries series;
  for (std::size_t i = 0; i < header.size(); ++i) {
    const std::string_view name = trim(header[i].text);
    if (static_cast<int>(i) == date_col[0] || name.empty()) continue;
    counter_cols.push_back(i);
    series.counter_id.emplace_back(name);
    series.counter_name.emplace_back(name);
    series.mode.push_back(CountMode::kBike);
    series.lat_deg.push_back(kNaN);
    series.lon_deg.push_back(kNaN);
    series.link_id.push_back(-1);
  }
  std::vector<std::vector<Row>> rows(counter_cols.size());
  CountReadReport& report = series.report;
  // one row per local hour; empty rows are padding
  for (std::size_t line_idx = 1; line_idx < file.lines.size(); ++line_idx) {
    const int line = static_cast<int>(line_idx) + 1;
    const std::vector<Field> fields = split_fields(file.lines[line_idx], ';');
    if (all_empty(fields)) {
      ++report.n_empty_rows_skipped;
      continue;
    }
    if (fields.size() < header.size() - (header.back().text.empty() ? 1 : 0)) {
      issues.add(line, 1, "row",
                 "has " + std::to_string(fields.size()) + " ';'-separated fields, the header has " +
                     std::to_string(header.size()) + "; check the delimiter");
      continue;
    }
    ++report.n_data_rows;
    const Field& time_field = fields[static_cast<std::size_t>(date_col[0])];
    const auto parsed = parse_finnish_time(time_field.text);
    if (const auto* reason = std::get_if<std::string>(&parsed)) {
      issues.add(line, time_field.column, std::string(kHelsinkiDateColumn),
                 "'" + std::string(time_field.text) + "' is not a Finnish date-time: " + *reason);
      continue;
    }
    std::vector<double> values(counter_cols.size(), kNaN);
    for (std::size_t c = 0; c < counter_cols.size(); ++c) {
      values[c] = value_or_issue(issues, line, fields[counter_cols[c]], series.counter_id[c],
                                 "bikes/h");
    }
    const LocalResolution resolved = resolve_local(std::get<LocalTime>(parsed), zone);
    if (!resolved.time_utc_s) {
      ++report.n_nonexistent_local;
      report.n_values_dropped += std::count_if(values.begin(), values.end(),
                                               [](double v) { return !std::isnan(v); });
      continue;
    }
    if (resolved.ambiguous) ++report.n_ambiguous_local;
    for (std::size_t c = 0; c < counter_cols.size(); ++c) {
      rows[c].push_back({*resolved.time_utc_s, values[c], kNaN});
    }
  }
  issues.throw_if_any();
  if (report.n_empty_rows_skipped > 0) {
    report.fixes.push_back(std::to_string(report.n_empty_rows_skipped) + " empty rows skipped");
  }
  report_dst(report, zone);
  for (std::size_t c = 0; c < counter_cols.size(); ++c) {
    // append_counter reads the id of the last counter: build in a staging series
    CountSeries one;
    one.counter_id.push_back(series.counter_id[c]);
    append_counter(one, std::move(rows[c]), false);
    series.time_utc_s.push_back(std::move(one.time_utc_s.front()));
    series.flow_veh_per_h.push_back(std::move(one.flow_veh_per_h.front()));
    series.occupancy_frac.push_back(std::move(one.occupancy_frac.front()));
    report.n_missing_flow += one.report.n_missing_flow;
    report.n_duplicate_times += one.report.n_duplicate_times;
    report.n_reordered += one.report.n_reordered;
    report.fixes.insert(report.fixes.end(), one.report.fixes.begin(), one.report.fixes.end());
  }
  return series;
}

CountSeries read_counts(const std::filesystem::path& path) {
  const TextFile file = load_text(path);
  const std::string_view header = file.lines.empty() ? std::string_view() : file.lines[0];
  // the header names the layout
  if (header.find("iu_ac") != std::string_view::npos && header.find("t_1h") != std::string_view::npos) {
    return read_paris_archive(path);
  }
  if (header.find("Identifiant arc") != std::string_view::npos) return read_paris_export(path);
  if (header.starts_with(kHelsinkiDateColumn)) {
    return read_helsinki_bike_counts(path);
  }
  throw InputError(InputIssue{
      path.string(), 1, 1, "header",
      "unknown counts layout; expected a Paris archive header (iu_ac,...,t_1h,q,k), a Paris "
      "portal export header (Identifiant arc;...) or a Helsinki header (Päivämäärä;...)"});
}

}  // namespace citytwin::mobility
