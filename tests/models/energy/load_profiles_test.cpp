#include <citytwin/energy/load_profiles.hpp>

#include <cmath>
#include <cstdint>
#include <numeric>

#include <gtest/gtest.h>

#include <citytwin/sim/clock.hpp>

namespace citytwin::energy {
namespace {

using sim::BuildingUse;

constexpr BuildingUse kUses[] = {BuildingUse::kResidential, BuildingUse::kCommercial,
                                 BuildingUse::kOffice,      BuildingUse::kIndustrial,
                                 BuildingUse::kSchool,      BuildingUse::kPublic,
                                 BuildingUse::kMixed,       BuildingUse::kOther};

// [kWh m-2] sum of the hourly demand over every civil hour of `year`
double year_kwh_per_m2(BuildingUse use, int year) {
  const std::int64_t start = sim::Clock::unix_from_local(year, 1, 1, 0, 0, 0, "UTC");
  const std::int64_t end = sim::Clock::unix_from_local(year + 1, 1, 1, 0, 0, 0, "UTC");
  double total_wh = 0.0;
  for (std::int64_t t = start; t < end; t += 3600) {
    total_wh += load_w_per_m2(use, sim::Clock::civil_utc(t));
  }
  return total_wh / 1000.0;
}

TEST(LoadProfiles, YearIntegratesToTheAnnualIntensity) {
  // a common year starting on Monday, a leap year, a common year starting on Sunday
  for (const BuildingUse use : kUses) {
    const double annual = load_shape(use).annual_kwh_per_m2;
    for (const int year : {2018, 2020, 2023}) {
      EXPECT_NEAR(year_kwh_per_m2(use, year) / annual, 1.0, 1e-9)
          << "use " << static_cast<int>(use) << " year " << year;
    }
  }
}

TEST(LoadProfiles, DocumentedIntensities) {
  // CIBSE TM46 electricity benchmarks; residential from Ofgem's typical consumption
  EXPECT_DOUBLE_EQ(load_shape(BuildingUse::kResidential).annual_kwh_per_m2, 30.0);
  EXPECT_DOUBLE_EQ(load_shape(BuildingUse::kCommercial).annual_kwh_per_m2, 165.0);
  EXPECT_DOUBLE_EQ(load_shape(BuildingUse::kOffice).annual_kwh_per_m2, 95.0);
  EXPECT_DOUBLE_EQ(load_shape(BuildingUse::kIndustrial).annual_kwh_per_m2, 35.0);
  EXPECT_DOUBLE_EQ(load_shape(BuildingUse::kSchool).annual_kwh_per_m2, 40.0);
  EXPECT_DOUBLE_EQ(load_shape(BuildingUse::kPublic).annual_kwh_per_m2, 70.0);
  EXPECT_DOUBLE_EQ(load_shape(BuildingUse::kMixed).annual_kwh_per_m2, 0.75 * 30.0 + 0.25 * 165.0);
  EXPECT_DOUBLE_EQ(load_shape(BuildingUse::kOther).annual_kwh_per_m2, 35.0);
}

TEST(LoadProfiles, DailyFractionsSumToOne) {
  for (const BuildingUse use : kUses) {
    const LoadShape& s = load_shape(use);
    EXPECT_NEAR(std::accumulate(s.weekday_frac.begin(), s.weekday_frac.end(), 0.0), 1.0, 1e-12);
    EXPECT_NEAR(std::accumulate(s.weekend_frac.begin(), s.weekend_frac.end(), 0.0), 1.0, 1e-12);
    for (const double f : s.weekday_frac) EXPECT_GT(f, 0.0);
  }
}

TEST(LoadProfiles, ReactiveRatiosFollowCigrePowerFactors) {
  // CIGRE LV benchmark: residential cos φ 0.95, commercial 0.90, industrial 0.85
  EXPECT_NEAR(reactive_ratio(BuildingUse::kResidential), 0.328684, 1e-6);
  EXPECT_NEAR(reactive_ratio(BuildingUse::kCommercial), 0.484322, 1e-6);
  EXPECT_NEAR(reactive_ratio(BuildingUse::kIndustrial), 0.619744, 1e-6);
}

TEST(LoadProfiles, ShapesHaveTheirDailyRhythm) {
  // Wednesday 17 January 2018 and Sunday 21 January 2018
  const sim::CivilTime wed_3h = sim::Clock::civil_utc(
      sim::Clock::unix_from_local(2018, 1, 17, 3, 0, 0, "UTC"));
  sim::CivilTime wed_19h = wed_3h;
  wed_19h.hour = 19;
  sim::CivilTime wed_10h = wed_3h;
  wed_10h.hour = 10;
  const sim::CivilTime sun_10h = sim::Clock::civil_utc(
      sim::Clock::unix_from_local(2018, 1, 21, 10, 0, 0, "UTC"));
  ASSERT_EQ(wed_3h.weekday, 2);
  ASSERT_EQ(sun_10h.weekday, 6);

  // dwellings peak in the evening, offices during working hours on weekdays only
  EXPECT_GT(load_w_per_m2(BuildingUse::kResidential, wed_19h),
            2.5 * load_w_per_m2(BuildingUse::kResidential, wed_3h));
  EXPECT_GT(load_w_per_m2(BuildingUse::kOffice, wed_10h),
            3.0 * load_w_per_m2(BuildingUse::kOffice, sun_10h));
  EXPECT_GT(load_w_per_m2(BuildingUse::kOffice, wed_10h),
            3.0 * load_w_per_m2(BuildingUse::kOffice, wed_3h));

  // hand value: residential, Wednesday 19 h, 17 January 2018
  const LoadShape& res = load_shape(BuildingUse::kResidential);
  double year_sum = 0.0;
  for (int day = 1; day <= 365; ++day) {
    const int weekday = (day - 1) % 7;  // 1 January 2018 is a Monday
    year_sum += seasonal_factor(BuildingUse::kResidential, day, 365) *
                (weekday >= 5 ? res.weekend_day_factor : 1.0);
  }
  const double expected = 30.0 * 1000.0 * seasonal_factor(BuildingUse::kResidential, 17, 365) *
                          res.weekday_frac[19] / year_sum;
  EXPECT_NEAR(load_w_per_m2(BuildingUse::kResidential, wed_19h), expected, 1e-12);
}

TEST(LoadProfiles, WintersAreHigherAndPeakBoundsTheYear) {
  EXPECT_NEAR(seasonal_factor(BuildingUse::kResidential, 15, 365), 1.2, 1e-12);
  EXPECT_LT(seasonal_factor(BuildingUse::kResidential, 197, 365), 0.81);
  for (const BuildingUse use : kUses) {
    const std::int64_t start = sim::Clock::unix_from_local(2018, 1, 1, 0, 0, 0, "UTC");
    double max_w = 0.0;
    for (std::int64_t h = 0; h < 8760; ++h) {
      max_w = std::max(max_w, load_w_per_m2(use, sim::Clock::civil_utc(start + h * 3600)));
    }
    EXPECT_NEAR(peak_w_per_m2(use), max_w, 1e-12);
  }
}

}  // namespace
}  // namespace citytwin::energy
