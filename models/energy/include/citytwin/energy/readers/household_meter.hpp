#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace citytwin::energy {

/// One-minute household meter readings as columns, one entry per data row of the file (n_rows),
/// in file order (docs/models/energy.md#meter-data). Missing readings (`?`) are NaN.
struct MeterSeries {
  std::vector<std::int64_t> time_utc_s;  ///< [s] Unix time of the reading (start of the minute)
  std::vector<double> active_kw;         ///< [kW] global active power, NaN if missing
  std::vector<double> reactive_kvar;     ///< [kvar] global reactive power, NaN if missing
  std::vector<double> voltage_v;         ///< [V] mean voltage, NaN if missing
  std::int64_t n_missing = 0;            ///< [rows] rows whose active power is missing
  std::int64_t first_missing_utc_s = -1;  ///< [s] time of the first missing row, −1 if none

  /// Returns the number of rows.
  [[nodiscard]] std::size_t size() const { return time_utc_s.size(); }
};

/// Reads the UCI "Individual household electric power consumption" text file (`;`-separated,
/// header `Date;Time;Global_active_power;Global_reactive_power;Voltage;Global_intensity;
/// Sub_metering_1;Sub_metering_2;Sub_metering_3`, dates `dd/mm/yyyy`, times `hh:mm:ss` in local
/// civil time of `time_zone`, e.g. "Europe/Paris"). `?` marks a missing value: it is kept as NaN
/// and counted. Times are converted to UTC with sim::Clock::unix_from_local.
/// Throws citytwin::InputError listing every malformed line with file:line:column, the field
/// name and a fix hint; std::invalid_argument for an unknown time zone. Thread-safe.
[[nodiscard]] MeterSeries read_household_meter(const std::filesystem::path& path,
                                               const std::string& time_zone);

/// A meter series averaged over fixed steps, one entry per step (n_steps).
struct ResampledSeries {
  std::int64_t start_utc_s = 0;           ///< [s] Unix time of the start of step 0
  std::int64_t step_s = 0;                ///< [s] step length
  std::vector<double> active_kw;          ///< [kW] mean of the present readings, NaN if none
  std::vector<double> reactive_kvar;      ///< [kvar] mean of the present readings, NaN if none
  std::vector<double> missing_frac;       ///< [0..1] share of the step's minutes without reading
};

/// Averages `series` over n_steps steps of step_s seconds from start_utc_s: a reading at time t
/// belongs to step floor((t − start)/step_s). The mean is taken over the present readings of the
/// step; missing_frac counts the step's expected one-minute slots (step_s/60) that have no
/// present reading, including minutes absent from the file. Throws std::invalid_argument for
/// step_s < 60, step_s not a multiple of 60 or n_steps < 0. Thread-safe.
[[nodiscard]] ResampledSeries resample_mean(const MeterSeries& series, std::int64_t start_utc_s,
                                            std::int64_t step_s, std::int64_t n_steps);

/// A summary of the gaps of a meter series, for the model to print.
struct MissingReport {
  std::int64_t n_missing = 0;              ///< [rows] readings marked missing (`?`)
  std::int64_t first_missing_utc_s = -1;   ///< [s] time of the first missing reading, −1 if none
  std::int64_t n_steps_with_gap = 0;       ///< [steps] resampled steps with missing_frac > 0
  std::vector<std::int64_t> gap_step_idx;  ///< indices of those steps, ascending
};

/// Builds the report of `series` and its resampling `resampled`. Thread-safe.
[[nodiscard]] MissingReport missing_report(const MeterSeries& series,
                                           const ResampledSeries& resampled);

/// Formats `report` as one line, e.g. "2 missing readings (first 2006-12-21T10:39:00Z), 1 of
/// 264 steps with gaps".
[[nodiscard]] std::string format_missing_report(const MissingReport& report,
                                                std::int64_t n_steps);

}  // namespace citytwin::energy
