#pragma once

#include <array>

#include <citytwin/sim/city.hpp>
#include <citytwin/sim/clock.hpp>

namespace citytwin::energy {

/// The electric demand shape of one building use (docs/models/energy.md#load-profiles).
/// The hourly fractions of a day type sum to 1; the demand at local hour h of day d is
/// annual_kwh_per_m2 · seasonal(d) · frac[h] / mean daily energy over the year, so that the
/// demand summed over the 8760 (or 8784) hours of any year equals annual_kwh_per_m2.
struct LoadShape {
  std::array<double, 24> weekday_frac;  ///< [0..1] share of a weekday's energy in local hour h
  std::array<double, 24> weekend_frac;  ///< [0..1] share of a Saturday/Sunday's energy in hour h
  double annual_kwh_per_m2;             ///< [kWh m-2 a-1] electricity per m² of gross floor area
  double weekend_day_factor;            ///< [-] a weekend day's energy relative to a weekday's
  double seasonal_amplitude_frac;       ///< [0..1] amplitude of the cosine seasonal factor
  int peak_day_of_year;                 ///< [day] day of year of the seasonal maximum
  double reactive_ratio;                ///< [-] tan φ = Q/P of the use
};

/// Returns the load shape of `use`. The table is built once; the reference stays valid for the
/// lifetime of the program. Thread-safe.
[[nodiscard]] const LoadShape& load_shape(sim::BuildingUse use);

/// Returns the seasonal factor of `use` on `day_of_year` (1..366) of a year with
/// `days_in_year` days (365 or 366): 1 + amplitude·cos(2π(day − peak_day)/days_in_year). Its
/// mean over the days of the year is 1 up to rounding. Thread-safe.
[[nodiscard]] double seasonal_factor(sim::BuildingUse use, int day_of_year, int days_in_year);

/// Returns the electric demand per m² of gross floor area [W m-2] of a building of `use` during
/// the local hour that contains `local` (hourly step function: minutes and seconds are ignored).
/// Uses local.year, local.day_of_year, local.weekday (0 = Monday) and local.hour.
/// Summing the result over every hour of a year gives annual_kwh_per_m2 · 1000 [Wh m-2]
/// (docs/models/energy.md#load-profiles). Thread-safe.
[[nodiscard]] double load_w_per_m2(sim::BuildingUse use, const sim::CivilTime& local);

/// Returns the reactive-to-active power ratio tan φ [-] of `use` (Q = P · tan φ). Thread-safe.
[[nodiscard]] double reactive_ratio(sim::BuildingUse use);

/// Returns the peak demand per m² [W m-2] of `use` over a whole (non-leap) year of hourly
/// values of load_w_per_m2, used to size feeders and transformers. Thread-safe.
[[nodiscard]] double peak_w_per_m2(sim::BuildingUse use);

}  // namespace citytwin::energy
