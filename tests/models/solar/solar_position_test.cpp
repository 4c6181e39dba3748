#include <citytwin/solar/solar_position.hpp>

#include <cmath>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace citytwin::solar {
namespace {

// the worked example of Reda & Andreas (2004), NREL/TP-560-34302, Table A5.1:
// 2003-10-17 12:30:30 local at UTC-7, i.e. 19:30:30 UTC
constexpr double kExampleTimeS = 1066419030.0;
constexpr double kExampleLatitudeDeg = 39.742476;
constexpr double kExampleLongitudeDeg = -105.1786;
constexpr double kExampleAltitudeM = 1830.14;
constexpr double kExamplePressurePa = 82000.0;
constexpr double kExampleTemperatureC = 11.0;
constexpr double kExampleDeltaTS = 67.0;
constexpr double kExampleAtmosRefractDeg = 0.5667;

SpaDetail example_detail() {
  return spa_detail(kExampleTimeS, kExampleLatitudeDeg, kExampleLongitudeDeg, kExampleAltitudeM,
                    kExamplePressurePa, kExampleTemperatureC, kExampleDeltaTS,
                    kExampleAtmosRefractDeg);
}

TEST(SolarPosition, SpaPaperExampleIntermediateValues) {
  const SpaDetail d = example_detail();
  // tolerances are half a unit in the last digit the paper prints
  EXPECT_NEAR(d.julian_day, 2452930.312847, 5e-7);
  EXPECT_NEAR(d.heliocentric_longitude_deg, 24.0182616917, 5e-11);
  EXPECT_NEAR(d.heliocentric_latitude_deg, -0.0001011219, 5e-11);
  EXPECT_NEAR(d.earth_radius_au, 0.9965422974, 5e-11);
  EXPECT_NEAR(d.hour_angle_deg, 11.105902, 5e-7);
  EXPECT_NEAR(d.nutation_longitude_deg, -0.00399840, 5e-9);
  EXPECT_NEAR(d.nutation_obliquity_deg, 0.00166657, 5e-9);
  EXPECT_NEAR(d.true_obliquity_deg, 23.440465, 5e-7);
  EXPECT_NEAR(d.apparent_sun_longitude_deg, 204.0085519281, 5e-11);
  EXPECT_NEAR(d.apparent_sidereal_time_deg, 318.5119, 5e-5);
  EXPECT_NEAR(d.right_ascension_deg, 202.22741, 5e-6);
  EXPECT_NEAR(d.declination_deg, -9.31434, 5e-6);
}

TEST(SolarPosition, SpaPaperExampleTopocentricZenithAndAzimuth) {
  const SolarPosition p = solar_position(
      kExampleTimeS, kExampleLatitudeDeg, kExampleLongitudeDeg, kExampleAltitudeM,
      kExamplePressurePa, kExampleTemperatureC, kExampleDeltaTS, kExampleAtmosRefractDeg);
  // the paper's topocentric zenith includes refraction: pvlib's apparent_zenith
  EXPECT_NEAR(p.apparent_zenith_deg, 50.11162, 5e-6);
  EXPECT_NEAR(p.azimuth_deg, 194.34024, 5e-6);
  EXPECT_DOUBLE_EQ(p.apparent_elevation_deg, 90.0 - p.apparent_zenith_deg);
  EXPECT_DOUBLE_EQ(p.elevation_deg, 90.0 - p.zenith_deg);
  // the refraction correction lifts the sun: a positive, sub-degree difference
  EXPECT_GT(p.zenith_deg - p.apparent_zenith_deg, 0.0);
  EXPECT_LT(p.zenith_deg - p.apparent_zenith_deg, 0.05);
}

TEST(SolarPosition, EquationOfTimeFromThePaperValues) {
  // eq. A1 evaluated by hand with the paper's published alpha, delta psi and epsilon, and the
  // sun mean longitude M of eq. A2 at the example's JME
  const double jme = (2452930.312847 + 67.0 / 86400.0 - 2451545.0) / 365250.0;
  const double m_deg = std::fmod(280.4664567 + 360007.6982779 * jme + 0.03032028 * jme * jme +
                                     std::pow(jme, 3) / 49931.0 - std::pow(jme, 4) / 15300.0 -
                                     std::pow(jme, 5) / 2000000.0,
                                 360.0);
  const double e_deg = m_deg - 0.0057183 - 202.22741 +
                       (-0.00399840) * std::cos(23.440465 * std::numbers::pi / 180.0);
  const double expected_min = std::remainder(4.0 * e_deg, 1440.0);
  const SpaDetail d = example_detail();
  // 1e-4 min covers the 5e-6 deg rounding of the printed alpha (2e-5 min) and of JD
  EXPECT_NEAR(d.position.equation_of_time_min, expected_min, 1e-4);
  // mid-October: the sun runs about 14.6 minutes fast (almanac value, 0.2 min tolerance)
  EXPECT_NEAR(d.position.equation_of_time_min, 14.6, 0.2);
}

TEST(SolarPosition, DefaultsArePvlibDefaults) {
  const SolarPosition implicit = solar_position(kExampleTimeS, 52.5, 13.4);
  const SolarPosition explicit_args =
      solar_position(kExampleTimeS, 52.5, 13.4, 0.0, 101325.0, 12.0, 67.0, 0.5667);
  EXPECT_EQ(implicit.apparent_zenith_deg, explicit_args.apparent_zenith_deg);
  EXPECT_EQ(implicit.azimuth_deg, explicit_args.azimuth_deg);
}

TEST(SolarPosition, NoRefractionFarBelowTheHorizon) {
  // 2003-10-18 07:00 UTC is local midnight in Denver: the sun is far below the horizon
  const SpaDetail d =
      spa_detail(kExampleTimeS + 11.5 * 3600.0, kExampleLatitudeDeg, kExampleLongitudeDeg);
  EXPECT_LT(d.position.elevation_deg, -(0.26667 + 0.5667));
  EXPECT_EQ(d.refraction_correction_deg, 0.0);
  EXPECT_EQ(d.position.apparent_zenith_deg, d.position.zenith_deg);
}

TEST(SolarPosition, NanTimeGivesNan) {
  const SolarPosition p =
      solar_position(std::numeric_limits<double>::quiet_NaN(), kExampleLatitudeDeg, 0.0);
  EXPECT_TRUE(std::isnan(p.apparent_zenith_deg));
  EXPECT_TRUE(std::isnan(p.azimuth_deg));
  EXPECT_TRUE(std::isnan(p.equation_of_time_min));
}

TEST(SolarPosition, ArrayEqualsScalarElementByElement) {
  // one year every 37 minutes, from the paper's instant on
  std::vector<double> times_s;
  for (int i = 0; i < 14205; ++i) times_s.push_back(kExampleTimeS + 37.0 * 60.0 * i);
  const std::size_t n = times_s.size();
  std::vector<double> app_zen(n), zen(n), app_el(n), el(n), azi(n), eot(n);
  solar_position(times_s, kExampleLatitudeDeg, kExampleLongitudeDeg,
                 SolarPositionSpans{app_zen, zen, app_el, el, azi, eot}, kExampleAltitudeM,
                 kExamplePressurePa, kExampleTemperatureC);
  for (std::size_t i = 0; i < n; ++i) {
    const SolarPosition p =
        solar_position(times_s[i], kExampleLatitudeDeg, kExampleLongitudeDeg, kExampleAltitudeM,
                       kExamplePressurePa, kExampleTemperatureC);
    ASSERT_EQ(app_zen[i], p.apparent_zenith_deg) << i;
    ASSERT_EQ(zen[i], p.zenith_deg) << i;
    ASSERT_EQ(app_el[i], p.apparent_elevation_deg) << i;
    ASSERT_EQ(el[i], p.elevation_deg) << i;
    ASSERT_EQ(azi[i], p.azimuth_deg) << i;
    ASSERT_EQ(eot[i], p.equation_of_time_min) << i;
    // ranges of the pvlib columns
    ASSERT_GE(p.azimuth_deg, 0.0);
    ASSERT_LT(p.azimuth_deg, 360.0);
    ASSERT_LE(std::fabs(p.equation_of_time_min), 20.0);
  }
}

TEST(SolarPosition, ArrayRejectsMismatchedOutput) {
  const std::vector<double> times_s{kExampleTimeS, kExampleTimeS + 60.0};
  std::vector<double> two(2), one(1);
  try {
    solar_position(times_s, 0.0, 0.0, SolarPositionSpans{two, two, two, two, one, two});
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()),
              "solar_position: out.azimuth_deg has 1 elements, times_s has 2");
  }
}

}  // namespace
}  // namespace citytwin::solar
