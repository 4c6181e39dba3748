#include <citytwin/solar/clear_sky.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <stdexcept>

#include <gtest/gtest.h>

#include <citytwin/solar/irradiance.hpp>
#include <citytwin/solar/readers/weather.hpp>
#include <citytwin/solar/solar_position.hpp>

namespace citytwin::solar {
namespace {

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
constexpr double kRadPerDeg = std::numbers::pi / 180.0;

// Lyon-Bron, as in its EPW header
constexpr double kLatitudeDeg = 45.7261;
constexpr double kLongitudeDeg = 4.9378;
constexpr double kAltitudeM = 198.0;
constexpr std::int64_t kJune21Utc2021S = 1624233600;  // 2021-06-21 00:00 UTC

TEST(ClearSky, IneichenByHandAtSeaLevel) {
  // h = 0: fh1 = fh2 = 1, cg1 = 0.868, cg2 = 0.0387, b = 0.827; z = 30, AM = 1.1547, TL = 3,
  // I0 = 1364:
  //   GHI = 0.868 I0 cos z exp(-0.0387 AM 3)                   = 896.6912212583
  //   bnci = 0.827 I0 exp(-0.09 AM 2)                           = 916.3333836839
  //   bnci_2 = GHI (1 - (0.1 - 0.2 e^-3) / (0.1 + 0.882)) / cos z = 940.4699382519
  //   DNI = min(bnci, bnci_2) = 916.3333836839, DHI = GHI - DNI cos z = 103.1232326523
  const ClearSkyIrradiance sky = ineichen_clear_sky(30.0, 1.1547, 3.0, 0.0, 1364.0);
  EXPECT_NEAR(sky.ghi_wm2, 896.6912212583, 1e-9);
  EXPECT_NEAR(sky.dni_wm2, 916.3333836839, 1e-9);
  EXPECT_NEAR(sky.dhi_wm2, 103.1232326523, 1e-9);
}

TEST(ClearSky, IneichenByHandAtAltitude) {
  // h = 1500: fh1 = exp(-1500/8000) = 0.8290291182, fh2 = exp(-1500/1250) = 0.3011942119,
  // cg1 = 0.94435, cg2 = 0.0975; z = 60, AM = 1.6, TL = 4, I0 = 1400:
  //   GHI = cg1 I0 cos z exp(-cg2 AM (fh1 + 3 fh2))              = 504.4831715725
  //   bnci = (0.664 + 0.163 / fh1) I0 exp(-0.09 AM 3)            = 782.2075411115
  //   bnci_2 = GHI (1 - (0.1 - 0.2 e^-4) / (0.1 + 0.882 / fh1)) / cos z = 925.4530923827
  //   DNI = bnci, DHI = GHI - DNI / 2                            = 113.3794010167
  const ClearSkyIrradiance sky = ineichen_clear_sky(60.0, 1.6, 4.0, 1500.0, 1400.0);
  EXPECT_NEAR(sky.ghi_wm2, 504.4831715725, 1e-9);
  EXPECT_NEAR(sky.dni_wm2, 782.2075411115, 1e-9);
  EXPECT_NEAR(sky.dhi_wm2, 113.3794010167, 1e-9);
}

TEST(ClearSky, NightIsZero) {
  // the sun below the horizon: relative_airmass gives NaN, pvlib maps it to zeros
  const ClearSkyIrradiance sky = ineichen_clear_sky(95.0, absolute_airmass(relative_airmass(95.0)));
  EXPECT_EQ(sky.ghi_wm2, 0.0);
  EXPECT_EQ(sky.dni_wm2, 0.0);
  EXPECT_EQ(sky.dhi_wm2, 0.0);
  EXPECT_EQ(haurwitz_ghi(95.0), 0.0);
  EXPECT_EQ(haurwitz_ghi(kNan), 0.0);
}

TEST(ClearSky, HaurwitzByHand) {
  // 1098 cos 30 exp(-0.059 / cos 30) = 888.2713352912
  EXPECT_NEAR(haurwitz_ghi(30.0), 888.2713352912, 1e-9);
  // overhead sun: 1098 exp(-0.059) = 1035.0927...
  EXPECT_NEAR(haurwitz_ghi(0.0), 1098.0 * std::exp(-0.059), 1e-12);
}

TEST(ClearSky, PressureAndAirmass) {
  // 100 ((44331.514 - h) / 11880.516)^(1 / 0.1902632)
  EXPECT_NEAR(altitude_to_pressure_pa(0.0), 101324.9987478768, 1e-6);
  EXPECT_NEAR(altitude_to_pressure_pa(1500.0), 84556.26233880947, 1e-6);
  EXPECT_DOUBLE_EQ(absolute_airmass(2.0, 101325.0 / 2.0), 1.0);
  EXPECT_TRUE(std::isnan(absolute_airmass(kNan)));
}

TEST(ClearSky, ClearSkyAtComposesSunAirmassAndExtraRadiation) {
  // Lyon, 2021-06-21 11:30 UTC (close to solar noon)
  const double time_s = static_cast<double>(kJune21Utc2021S) + 11.5 * 3600.0;
  const double pressure_pa = altitude_to_pressure_pa(kAltitudeM);
  const SolarPosition sun =
      solar_position(time_s, kLatitudeDeg, kLongitudeDeg, kAltitudeM, pressure_pa);
  const ClearSkyIrradiance expected =
      ineichen_clear_sky(sun.apparent_zenith_deg,
                         absolute_airmass(relative_airmass(sun.apparent_zenith_deg), pressure_pa),
                         3.0, kAltitudeM, extra_radiation(time_s));
  const ClearSkyIrradiance sky = clear_sky_at(time_s, kLatitudeDeg, kLongitudeDeg, kAltitudeM);
  EXPECT_EQ(sky.ghi_wm2, expected.ghi_wm2);
  EXPECT_EQ(sky.dni_wm2, expected.dni_wm2);
  EXPECT_EQ(sky.dhi_wm2, expected.dhi_wm2);
  // a clear summer noon at 46 N: GHI between 850 and 1000 W/m^2, and DNI above GHI
  EXPECT_GT(sky.ghi_wm2, 850.0);
  EXPECT_LT(sky.ghi_wm2, 1000.0);
  EXPECT_GT(sky.dni_wm2, sky.dhi_wm2);
}

TEST(ClearSky, SeriesOfOneDay) {
  const WeatherSeries s = clear_sky_series(kJune21Utc2021S, kJune21Utc2021S + 86400, 3600,
                                           kLatitudeDeg, kLongitudeDeg, kAltitudeM);
  ASSERT_EQ(s.size(), 24u);
  EXPECT_EQ(s.source_format, WeatherFormat::kClearSky);
  EXPECT_EQ(s.interval_s, 3600);
  EXPECT_EQ(s.time_utc_s.front(), kJune21Utc2021S + 3600);  // end of the first hour
  EXPECT_EQ(s.time_utc_s.back(), kJune21Utc2021S + 86400);
  EXPECT_EQ(s.year.front(), 2021);
  EXPECT_FALSE(s.typical_year);
  EXPECT_EQ(s.missing.albedo, 24);
  const double pressure_pa = altitude_to_pressure_pa(kAltitudeM);
  double ineichen_sum_wh_m2 = 0.0;
  double haurwitz_sum_wh_m2 = 0.0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    // documented defaults
    EXPECT_EQ(s.temp_air_c[i], 20.0);
    EXPECT_EQ(s.wind_speed_mps[i], 1.0);
    EXPECT_TRUE(std::isnan(s.albedo_frac[i]));
    EXPECT_EQ(s.pressure_pa[i], pressure_pa);
    // GHI = DNI cos z + DHI within 1 %, zero at night
    const SolarPosition sun = solar_position(mid_interval_utc_s(s, i), kLatitudeDeg, kLongitudeDeg,
                                             kAltitudeM, pressure_pa);
    if (sun.apparent_zenith_deg >= 90.0) {
      EXPECT_EQ(s.ghi_wm2[i], 0.0) << "row " << i;
      EXPECT_EQ(s.dni_wm2[i], 0.0) << "row " << i;
      EXPECT_EQ(s.dhi_wm2[i], 0.0) << "row " << i;
    } else {
      const double closure_wm2 =
          s.dni_wm2[i] * std::cos(sun.apparent_zenith_deg * kRadPerDeg) + s.dhi_wm2[i];
      EXPECT_NEAR(closure_wm2, s.ghi_wm2[i], 0.01 * s.ghi_wm2[i]) << "row " << i;
      EXPECT_GE(s.dhi_wm2[i], 0.0) << "row " << i;
    }
    ineichen_sum_wh_m2 += s.ghi_wm2[i];
    haurwitz_sum_wh_m2 += haurwitz_ghi(sun.apparent_zenith_deg);
  }
  // Haurwitz cross-check of the daily clear-sky GHI (the two agree within 5 % here)
  EXPECT_NEAR(ineichen_sum_wh_m2 / haurwitz_sum_wh_m2, 1.0, 0.05);
  // night at 00:30 UTC, day at 11:30 UTC
  EXPECT_EQ(s.ghi_wm2[0], 0.0);
  EXPECT_GT(s.ghi_wm2[11], 850.0);
}

TEST(ClearSky, SeriesOptionsAndTimeZoneCheck) {
  ClearSkySeriesOptions options;
  options.linke_turbidity = 5.0;
  options.temp_air_c = 12.5;
  options.wind_speed_mps = 3.0;
  options.albedo_frac = 0.25;
  options.utc_offset_h = 1.0;
  const WeatherSeries s = clear_sky_series(kJune21Utc2021S, kJune21Utc2021S + 3 * 86400, 1800,
                                           kLatitudeDeg, kLongitudeDeg, kAltitudeM, options);
  ASSERT_EQ(s.size(), 144u);
  EXPECT_EQ(s.temp_air_c[5], 12.5);
  EXPECT_EQ(s.wind_speed_mps[5], 3.0);
  EXPECT_EQ(s.albedo_frac[5], 0.25);
  EXPECT_EQ(s.missing.albedo, 0);
  // a hazier sky lowers the noon GHI
  EXPECT_LT(s.ghi_wm2[23],
            clear_sky_at(mid_interval_utc_s(s, 23), kLatitudeDeg, kLongitudeDeg, kAltitudeM, 3.0)
                .ghi_wm2);
  // a clear sky is symmetric about solar noon: the time-zone check finds no clock error
  const TimeZoneCheck check = check_time_zone(s);
  EXPECT_TRUE(check.conclusive);
  EXPECT_TRUE(check.agrees);
  EXPECT_DOUBLE_EQ(check.best_fit_h, 1.0);
  EXPECT_NEAR(check.estimate_h, 1.0, 0.01);
}

TEST(ClearSky, SeriesRejectsBadRanges) {
  EXPECT_THROW((void)clear_sky_series(0, 3600, 0, 45.0, 5.0), std::invalid_argument);
  EXPECT_THROW((void)clear_sky_series(0, 5000, 3600, 45.0, 5.0), std::invalid_argument);
  EXPECT_THROW((void)clear_sky_series(3600, 0, 3600, 45.0, 5.0), std::invalid_argument);
}

}  // namespace
}  // namespace citytwin::solar
