#include <citytwin/energy/load_profiles.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <numbers>

namespace citytwin::energy {
namespace {

constexpr std::size_t kNUses = 8;
// year types: leap (0/1) × weekday of 1 January (0 = Monday .. 6)
constexpr std::size_t kNYearTypes = 14;

using Hours = std::array<double, 24>;

/// Relative hourly weights of one use before normalisation (docs/models/energy.md#load-profiles).
struct ShapeSource {
  Hours weekday;                  // [-] relative demand per local hour, Monday..Friday
  Hours weekend;                  // [-] relative demand per local hour, Saturday and Sunday
  double annual_kwh_per_m2;       // [kWh m-2 a-1] annual electricity intensity
  double weekend_day_factor;      // [-] weekend day energy / weekday energy
  double seasonal_amplitude_frac; // [0..1] cosine seasonal amplitude
  int peak_day_of_year;           // [day] seasonal maximum
  double power_factor;            // [-] cos φ
};

Hours normalised(const Hours& weights) {
  double total = 0.0;
  for (const double w : weights) total += w;
  Hours out{};
  for (std::size_t h = 0; h < 24; ++h) out[h] = weights[h] / total;
  return out;
}

Hours flat(double value) {
  Hours out{};
  out.fill(value);
  return out;
}

std::array<ShapeSource, kNUses> shape_sources() {
  // residential: shape after BDEW H0 (workday / weekend), intensity from Ofgem TDCV
  const ShapeSource residential{
      {60, 50, 45, 43, 43, 48, 70, 100, 105, 95, 92, 95, 108, 105, 95, 90, 95, 120, 150, 160, 150,
       130, 105, 80},
      {70, 58, 50, 46, 44, 45, 52, 70, 100, 120, 125, 130, 140, 125, 110, 100, 102, 120, 145, 155,
       145, 130, 110, 85},
      30.0, 1.10, 0.20, 15, 0.95};
  // commercial: shops open 9–20 (after BDEW G4), intensity CIBSE TM46 "general retail"
  const ShapeSource commercial{
      {35, 33, 32, 32, 32, 35, 45, 70, 110, 135, 140, 140, 140, 140, 140, 140, 140, 140, 135, 110,
       70, 50, 40, 37},
      {35, 33, 32, 32, 32, 34, 40, 60, 95, 120, 125, 125, 125, 125, 125, 125, 120, 115, 100, 80,
       55, 45, 38, 36},
      165.0, 0.60, 0.05, 15, 0.90};
  // office: working hours 8–18 (after BDEW G1), intensity CIBSE TM46 "general office"
  const ShapeSource office{
      {30, 30, 30, 30, 30, 35, 50, 90, 130, 140, 140, 140, 130, 135, 140, 135, 120, 90, 60, 45,
       40, 35, 32, 30},
      flat(1.0), 95.0, 0.35, 0.05, 15, 0.90};
  // industrial: two shifts 6–22 (after BDEW G0), intensity CIBSE TM46 "workshop"
  const ShapeSource industrial{
      {45, 45, 45, 45, 45, 70, 120, 130, 130, 130, 130, 125, 125, 130, 130, 125, 120, 115, 110,
       105, 100, 95, 60, 48},
      flat(1.0), 35.0, 0.40, 0.03, 15, 0.85};
  // school: lessons 8–16, intensity CIBSE TM46 "schools and seasonal public buildings"
  const ShapeSource school{
      {25, 25, 25, 25, 25, 28, 40, 90, 150, 160, 160, 155, 140, 150, 145, 120, 80, 50, 40, 35, 30,
       28, 26, 25},
      flat(1.0), 40.0, 0.30, 0.15, 15, 0.90};
  // public: long opening hours, intensity CIBSE TM46 "clinic" / "cultural activities"
  const ShapeSource public_use{
      {50, 48, 47, 47, 48, 55, 70, 100, 125, 130, 130, 128, 125, 128, 128, 125, 120, 115, 105, 95,
       85, 75, 62, 55},
      {50, 48, 47, 47, 48, 52, 60, 75, 95, 110, 115, 115, 115, 112, 110, 108, 105, 100, 95, 88,
       78, 68, 60, 54},
      70.0, 0.70, 0.10, 15, 0.90};
  // other: storage and ancillary buildings, intensity CIBSE TM46 "storage facility"
  const ShapeSource other{
      {60, 60, 60, 60, 60, 65, 80, 110, 120, 120, 120, 118, 118, 120, 120, 118, 110, 95, 80, 72,
       68, 65, 62, 60},
      flat(1.0), 35.0, 0.60, 0.10, 15, 0.90};

  // mixed: 75 % of the floor area residential, 25 % commercial, energies added hour by hour
  constexpr double kResidentialShare = 0.75;
  const auto blend = [&](const Hours& res, const Hours& com, double res_day, double com_day) {
    const Hours res_frac = normalised(res);
    const Hours com_frac = normalised(com);
    Hours out{};
    for (std::size_t h = 0; h < 24; ++h) {
      out[h] = kResidentialShare * residential.annual_kwh_per_m2 * res_day * res_frac[h] +
               (1.0 - kResidentialShare) * commercial.annual_kwh_per_m2 * com_day * com_frac[h];
    }
    return out;
  };
  const Hours mixed_weekday = blend(residential.weekday, commercial.weekday, 1.0, 1.0);
  const Hours mixed_weekend =
      blend(residential.weekend, commercial.weekend, residential.weekend_day_factor,
            commercial.weekend_day_factor);
  double mixed_weekday_sum = 0.0;
  double mixed_weekend_sum = 0.0;
  for (std::size_t h = 0; h < 24; ++h) {
    mixed_weekday_sum += mixed_weekday[h];
    mixed_weekend_sum += mixed_weekend[h];
  }
  const ShapeSource mixed{
      mixed_weekday,
      mixed_weekend,
      kResidentialShare * residential.annual_kwh_per_m2 +
          (1.0 - kResidentialShare) * commercial.annual_kwh_per_m2,
      mixed_weekend_sum / mixed_weekday_sum,
      0.12,
      15,
      0.92};

  return {residential, commercial, office, industrial, school, public_use, mixed, other};
}

/// The normalised shapes plus, per year type, the sum over the days of the year of
/// seasonal factor × day weight (the divisor that makes a year integrate exactly).
struct ShapeTable {
  std::array<LoadShape, kNUses> shapes;
  std::array<std::array<double, kNYearTypes>, kNUses> year_day_sum;
  std::array<double, kNUses> peak_w_per_m2;
};

bool is_leap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

double seasonal_of(const LoadShape& shape, int day_of_year, int days_in_year) {
  const double phase = 2.0 * std::numbers::pi * static_cast<double>(day_of_year - shape.peak_day_of_year) /
                       static_cast<double>(days_in_year);
  return 1.0 + shape.seasonal_amplitude_frac * std::cos(phase);
}

double day_weight(const LoadShape& shape, int weekday) {
  return weekday >= 5 ? shape.weekend_day_factor : 1.0;
}

std::size_t year_type(int year, int day_of_year, int weekday) {
  const int jan1_weekday = ((weekday - (day_of_year - 1)) % 7 + 7) % 7;
  return static_cast<std::size_t>((is_leap(year) ? 7 : 0) + jan1_weekday);
}

double sum_over_year(const LoadShape& shape, bool leap, int jan1_weekday) {
  const int n_days = leap ? 366 : 365;
  double total = 0.0;
  for (int day = 1; day <= n_days; ++day) {
    const int weekday = (jan1_weekday + day - 1) % 7;
    total += seasonal_of(shape, day, n_days) * day_weight(shape, weekday);
  }
  return total;
}

double hour_value_w_per_m2(const LoadShape& shape, double year_sum, int day_of_year,
                           int days_in_year, int weekday, int hour) {
  const auto h = static_cast<std::size_t>(std::clamp(hour, 0, 23));
  const double frac = weekday >= 5 ? shape.weekend_frac[h] : shape.weekday_frac[h];
  return shape.annual_kwh_per_m2 * 1000.0 * seasonal_of(shape, day_of_year, days_in_year) *
         day_weight(shape, weekday) * frac / year_sum;
}

ShapeTable build_table() {
  ShapeTable table{};
  const std::array<ShapeSource, kNUses> sources = shape_sources();
  for (std::size_t u = 0; u < kNUses; ++u) {
    // normalised hourly fractions and the seasonal parameters
    const ShapeSource& src = sources[u];
    const double tan_phi = std::sqrt(1.0 - src.power_factor * src.power_factor) / src.power_factor;
    table.shapes[u] = LoadShape{normalised(src.weekday), normalised(src.weekend),
                                src.annual_kwh_per_m2,  src.weekend_day_factor,
                                src.seasonal_amplitude_frac, src.peak_day_of_year, tan_phi};

    // divisor per year type
    for (std::size_t t = 0; t < kNYearTypes; ++t) {
      table.year_day_sum[u][t] =
          sum_over_year(table.shapes[u], t >= 7, static_cast<int>(t % 7));
    }

    // peak over a non-leap year starting on a Monday (year type 0)
    double peak = 0.0;
    for (int day = 1; day <= 365; ++day) {
      for (int hour = 0; hour < 24; ++hour) {
        peak = std::max(peak, hour_value_w_per_m2(table.shapes[u], table.year_day_sum[u][0], day,
                                                  365, (day - 1) % 7, hour));
      }
    }
    table.peak_w_per_m2[u] = peak;
  }
  return table;
}

const ShapeTable& table() {
  static const ShapeTable kTable = build_table();
  return kTable;
}

std::size_t use_idx(sim::BuildingUse use) {
  return std::min(static_cast<std::size_t>(use), kNUses - 1);
}

}  // namespace

const LoadShape& load_shape(sim::BuildingUse use) { return table().shapes[use_idx(use)]; }

double seasonal_factor(sim::BuildingUse use, int day_of_year, int days_in_year) {
  return seasonal_of(load_shape(use), day_of_year, days_in_year);
}

double load_w_per_m2(sim::BuildingUse use, const sim::CivilTime& local) {
  const std::size_t u = use_idx(use);
  const std::size_t t = year_type(local.year, local.day_of_year, local.weekday);
  const int days_in_year = is_leap(local.year) ? 366 : 365;
  return hour_value_w_per_m2(table().shapes[u], table().year_day_sum[u][t], local.day_of_year,
                             days_in_year, local.weekday, local.hour);
}

double reactive_ratio(sim::BuildingUse use) { return load_shape(use).reactive_ratio; }

double peak_w_per_m2(sim::BuildingUse use) { return table().peak_w_per_m2[use_idx(use)]; }

}  // namespace citytwin::energy
