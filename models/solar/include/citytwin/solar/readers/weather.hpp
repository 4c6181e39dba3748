#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace citytwin::solar {

/// Where a WeatherSeries came from.
enum class WeatherFormat {
  kEpw,       ///< EnergyPlus weather file (.epw)
  kTmy3,      ///< NREL TMY3 CSV
  kClearSky,  ///< built by clear_sky_series(), no file
};

/// What a reader does with the time zone declared in the file. See
/// docs/models/solar.md#time-zone-check.
enum class TimeZonePolicy {
  kDeclared,  ///< "declared": trust the header, run no check
  kDetect,    ///< "detect": use the offset that fits the irradiance best, record the correction
  kError,     ///< "error": a mismatch between header and irradiance is an InputError
};

/// Parses "declared", "detect" or "error". Throws std::invalid_argument naming
/// `time_zone_policy` and the value received for any other name.
[[nodiscard]] TimeZonePolicy time_zone_policy_from_name(std::string_view name);

/// Options of the weather readers.
struct WeatherReadOptions {
  TimeZonePolicy time_zone_policy = TimeZonePolicy::kError;  ///< see TimeZonePolicy
  /// [h] UTC offset of the file's clock set by the user (models.solar.weather_utc_offset_h);
  /// when given it replaces the declared one and no time-zone check is run.
  std::optional<double> utc_offset_h;
};

/// Result of check_time_zone(): the declared offset and the one the irradiance fits best.
struct TimeZoneCheck {
  double declared_h = 0.0;       ///< [h] UTC offset declared in the file header
  double best_fit_h = 0.0;       ///< [h] candidate offset (-12..+14 h, or the declared one) nearest
                                 ///< to estimate_h
  double estimate_h = 0.0;       ///< [h] continuous estimate: declared + GHI-weighted mean hour
                                 ///< angle / 15 deg/h
  bool agrees = true;            ///< best_fit_h == declared_h (true when not conclusive)
  bool conclusive = false;       ///< enough daylight rows (>= 24) to judge
  std::int64_t n_rows_used = 0;  ///< rows with GHI > 0 that entered the estimate
};

/// Count of missing-value codes replaced by NaN, per column.
struct WeatherMissingCounts {
  std::int64_t ghi = 0;         ///< rows whose GHI was missing
  std::int64_t dni = 0;         ///< rows whose DNI was missing
  std::int64_t dhi = 0;         ///< rows whose DHI was missing
  std::int64_t temp_air = 0;    ///< rows whose dry-bulb temperature was missing
  std::int64_t wind_speed = 0;  ///< rows whose wind speed was missing
  std::int64_t albedo = 0;      ///< rows whose albedo was missing (or has no albedo column)
  std::int64_t pressure = 0;    ///< rows whose station pressure was missing
};

/// A weather time series with one row per interval, stored as columns (structure of arrays),
/// plus the station metadata of its file. Row i covers the interval
/// (time_utc_s[i] - interval_s, time_utc_s[i]]; the sun for row i is evaluated at
/// mid_interval_utc_s(). Missing values are NaN (counted in `missing`). Plain data; not
/// synchronised. See docs/models/solar.md#weather.
struct WeatherSeries {
  // metadata
  WeatherFormat source_format = WeatherFormat::kEpw;  ///< file format
  std::string source_path;     ///< file path as given to the reader (empty for clear sky)
  std::string station_id;      ///< WMO (EPW) or USAF (TMY3) station number, as written
  std::string station_name;    ///< station or location name (EPW "City", TMY3 station name)
  std::string city;            ///< city: the same name field (neither format separates them)
  std::string region;          ///< state or province, as written ("-" when the file has none)
  std::string country;         ///< country code, as written (EPW only; empty for TMY3)
  std::string data_source;     ///< EPW LOCATION "Data Source" field, "TMY3" or "clear sky"
  double latitude_deg = 0.0;   ///< [deg] north positive
  double longitude_deg = 0.0;  ///< [deg] east positive
  double elevation_m = 0.0;    ///< [m] above sea level
  double utc_offset_h = 0.0;   ///< [h] time zone declared by the file (local standard time)
  double applied_utc_offset_h = 0.0;  ///< [h] offset used to build time_utc_s (declared,
                                      ///< user-set, or detected)
  bool typical_year = false;          ///< the year column mixes years (a TMY): see map_to_year()
  std::int64_t interval_s = 3600;     ///< [s] length of every interval
  std::optional<TimeZoneCheck> time_zone_check;  ///< the check the reader ran, if any
  WeatherMissingCounts missing;                  ///< missing-value codes found

  // columns, one entry per row (n)
  std::vector<std::int64_t> time_utc_s;  ///< [s] Unix time of the END of each interval
  std::vector<std::int32_t> year;        ///< calendar year of the row as written in the file
  std::vector<double> ghi_wm2;           ///< [W/m^2] global horizontal irradiance (mean)
  std::vector<double> dni_wm2;           ///< [W/m^2] direct normal irradiance (mean)
  std::vector<double> dhi_wm2;           ///< [W/m^2] diffuse horizontal irradiance (mean)
  std::vector<double> temp_air_c;        ///< [degC] dry-bulb air temperature
  std::vector<double> wind_speed_mps;    ///< [m/s] wind speed
  std::vector<double> albedo_frac;       ///< [0..1] ground albedo, NaN if absent
  std::vector<double> pressure_pa;       ///< [Pa] station pressure

  /// Number of rows.
  [[nodiscard]] std::size_t size() const { return time_utc_s.size(); }
};

/// Reads an EnergyPlus weather file (EPW; EnergyPlus Auxiliary Programs, "Weather
/// Converter Program", EPW CSV format). Hour H of a row covers H-1..H local standard time
/// (UTC + declared offset, no daylight saving). Missing-value codes become NaN. Throws
/// citytwin::InputError naming file:line:column, the field and a fix for any bad header,
/// row or value, a truncated file, and (policy "error") a time zone that does not fit the
/// irradiance. Thread-safe (no shared state).
[[nodiscard]] WeatherSeries read_epw(const std::filesystem::path& path,
                                     const WeatherReadOptions& options = {});

/// read_epw() on text already in memory; `file_name` is used in messages and as source_path.
[[nodiscard]] WeatherSeries parse_epw(std::string_view text, std::string_view file_name,
                                      const WeatherReadOptions& options = {});

/// Reads an NREL TMY3 CSV file (Wilcox & Marion 2008, NREL/TP-581-43156): line 1 station
/// metadata "USAF,name,state,TZ,lat,lon,elev", line 2 column headers, then hourly rows with
/// dates mm/dd/yyyy and times 1:00..24:00 local standard time (end of the hour). Columns are
/// found by header name; pressure is converted from mbar to Pa; -9900 marks missing values.
/// Errors as read_epw(). Thread-safe.
[[nodiscard]] WeatherSeries read_tmy3(const std::filesystem::path& path,
                                      const WeatherReadOptions& options = {});

/// read_tmy3() on text already in memory; `file_name` is used in messages and as source_path.
[[nodiscard]] WeatherSeries parse_tmy3(std::string_view text, std::string_view file_name,
                                       const WeatherReadOptions& options = {});

/// Reads `path` with read_epw() when it ends in ".epw" (any case), else with read_tmy3().
[[nodiscard]] WeatherSeries read_weather(const std::filesystem::path& path,
                                         const WeatherReadOptions& options = {});

/// [s] Unix time at which the sun is evaluated for row i: the middle of its interval,
/// time_utc_s[i] - interval_s / 2 (an EPW row for hour H covers H-1..H). Throws
/// std::out_of_range when i >= series.size().
[[nodiscard]] double mid_interval_utc_s(const WeatherSeries& series, std::size_t i);

/// [s] End of row i's interval moved onto calendar year `year`: the same month, day and local
/// standard clock time as written in the file (the row's date is taken at the start of its
/// interval, so hour 24 of 31 December ends on 1 January of year + 1). Throws
/// std::invalid_argument for a 29 February row and a `year` that is not a leap year, and
/// std::out_of_range when i >= series.size().
[[nodiscard]] std::int64_t map_to_year(const WeatherSeries& series, std::size_t i, int year);

/// A copy of `series` with every row moved onto calendar year `year` by map_to_year() and the
/// year column set to the year of each row's start; typical_year becomes false. Throws as
/// map_to_year() (a typical year with 29 February needs a leap `year`).
[[nodiscard]] WeatherSeries with_calendar_year(const WeatherSeries& series, int year);

/// Checks that the declared time zone agrees with the timing of the measured GHI: the
/// GHI-weighted circular mean of the sun's hour angle, computed at each row's mid-interval
/// instant under the declared offset, is 0 when the clock is right and 15 deg per hour of
/// error otherwise. The estimate is rounded to the nearest candidate (whole hours -12..+14
/// and the declared offset). Fewer than 24 daylight rows is not conclusive (agrees = true).
/// See docs/models/solar.md#time-zone-check. Pure and thread-safe.
[[nodiscard]] TimeZoneCheck check_time_zone(const WeatherSeries& series);

}  // namespace citytwin::solar
