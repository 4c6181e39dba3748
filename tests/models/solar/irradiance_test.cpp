#include <citytwin/solar/irradiance.hpp>

#include <array>
#include <cmath>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace citytwin::solar {
namespace {

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

// the hand case used by the sky-model tests: a 30 deg south roof, sun at zenith 40 deg and
// azimuth 160 deg, dni 600, dhi 150, ghi = dni cos 40 + dhi, dni_extra 1400, airmass 1.3
constexpr double kTiltDeg = 30.0;
constexpr double kSurfaceAzimuthDeg = 180.0;
constexpr double kZenithDeg = 40.0;
constexpr double kSunAzimuthDeg = 160.0;
constexpr double kDniWm2 = 600.0;
constexpr double kDhiWm2 = 150.0;
constexpr double kGhiWm2 = 609.6266658713869;
constexpr double kDniExtraWm2 = 1400.0;
constexpr double kAirmass = 1.3;
// hand values: cos aoi = 0.9654253349464652, poa_direct = 579.2552009679,
// ground = ghi 0.2 (1 - cos 30) / 2 = 8.1674486402
constexpr double kDirectWm2 = 579.2552009679;
constexpr double kGroundWm2 = 8.1674486402;

TEST(ExtraRadiation, SpencerByHand) {
  // day 1: b = 0, 1366.1 (1.00011 + 0.034221 + 0.000719) = 1413.981805
  EXPECT_NEAR(extra_radiation_doy(1.0), 1413.981805, 1e-9);
  // 2021-01-01 12:00 UTC is day 1, 2021-07-01 12:00 UTC is day 182, b = 2 pi 181 / 365
  EXPECT_NEAR(extra_radiation(1609502400.0), 1413.981805, 1e-9);
  EXPECT_NEAR(extra_radiation(1625140800.0), 1320.5371797377, 1e-9);
  // the integer day of year: the last second of a day and its first second
  EXPECT_EQ(extra_radiation(1625097600.0), extra_radiation(1625183999.0));
  EXPECT_NEAR(extra_radiation_doy(182.0, 1361.0), 1320.5371797377 * 1361.0 / 1366.1, 1e-9);
  EXPECT_TRUE(std::isnan(extra_radiation(kNan)));
}

TEST(ExtraRadiation, ArrayEqualsScalar) {
  std::vector<double> times_s;
  for (int i = 0; i < 1000; ++i) times_s.push_back(1609459200.0 + 9000.0 * i);
  std::vector<double> out(times_s.size());
  extra_radiation(times_s, out);
  for (std::size_t i = 0; i < out.size(); ++i) ASSERT_EQ(out[i], extra_radiation(times_s[i]));
}

TEST(RelativeAirmass, KastenYoungByHand) {
  // 1 / (1 + 0.50572 96.07995^-1.6364) and 1 / (0.5 + 0.50572 36.07995^-1.6364)
  EXPECT_NEAR(relative_airmass(0.0), 0.999711991856, 1e-11);
  EXPECT_NEAR(relative_airmass(60.0), 1.994292852529, 1e-11);
  EXPECT_TRUE(std::isnan(relative_airmass(90.5)));
  EXPECT_TRUE(std::isnan(relative_airmass(kNan)));
  EXPECT_FALSE(std::isnan(relative_airmass(90.0)));

  const std::vector<double> zenith_deg{0.0, 60.0, 95.0};
  std::vector<double> out(3);
  relative_airmass(zenith_deg, out);
  EXPECT_EQ(out[0], relative_airmass(0.0));
  EXPECT_EQ(out[1], relative_airmass(60.0));
  EXPECT_TRUE(std::isnan(out[2]));
}

TEST(Aoi, HandGeometries) {
  // sun along the plane normal
  EXPECT_NEAR(aoi(30.0, 180.0, 30.0, 180.0), 0.0, 1e-6);
  // horizontal plane: aoi equals the zenith
  EXPECT_NEAR(aoi(0.0, 180.0, 57.0, 90.0), 57.0, 1e-12);
  // vertical east wall, sun on the horizon due west: from behind
  EXPECT_NEAR(aoi(90.0, 90.0, 90.0, 270.0), 180.0, 1e-6);
  EXPECT_NEAR(aoi_projection(kTiltDeg, kSurfaceAzimuthDeg, kZenithDeg, kSunAzimuthDeg),
              0.9654253349464652, 1e-14);
  // SPA paper example: slope 30 deg, rotation -10 deg from south (azimuth 170), incidence
  // 25.18700 deg for its topocentric zenith 50.11162 and azimuth 194.34024
  EXPECT_NEAR(aoi(30.0, 170.0, 50.11162, 194.34024), 25.18700, 5e-6);
  EXPECT_TRUE(std::isnan(aoi(30.0, 180.0, kNan, 180.0)));
}

TEST(Aoi, ArrayBroadcastsAndEqualsScalar) {
  const std::vector<double> tilt_deg{0.0, 15.0, 30.0, 45.0, 90.0};
  const std::vector<double> azimuth_deg{180.0};
  const std::vector<double> zenith_deg{35.0};
  const std::vector<double> sun_azimuth_deg{100.0, 150.0, 200.0, 250.0, 300.0};
  std::vector<double> out(5);
  aoi(tilt_deg, azimuth_deg, zenith_deg, sun_azimuth_deg, out);
  for (std::size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(out[i], aoi(tilt_deg[i], 180.0, 35.0, sun_azimuth_deg[i]));
  }
  const std::vector<double> two{1.0, 2.0};
  try {
    aoi(tilt_deg, two, zenith_deg, sun_azimuth_deg, out);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), "aoi: surface_azimuth_deg has 2 elements, expected 5 or 1");
  }
}

TEST(SkyModel, NamesAreParsedAndUnknownNamesRejected) {
  EXPECT_EQ(sky_model_from_name("isotropic"), SkyModel::kIsotropic);
  EXPECT_EQ(sky_model_from_name("haydavies"), SkyModel::kHayDavies);
  EXPECT_EQ(sky_model_from_name("perez"), SkyModel::kPerez);
  try {
    (void)sky_model_from_name("klucher");
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()),
              "model must be 'isotropic', 'haydavies' or 'perez' (got 'klucher')");
  }
}

PoaIrradiance hand_case(SkyModel model) {
  return poa_irradiance(kTiltDeg, kSurfaceAzimuthDeg, kZenithDeg, kSunAzimuthDeg, kDniWm2, kGhiWm2,
                        kDhiWm2, kDniExtraWm2, kAirmass, 0.2, model);
}

TEST(PoaIrradiance, IsotropicByHand) {
  // sky = 150 (1 + cos 30) / 2 = 139.9519052838
  const PoaIrradiance poa = hand_case(SkyModel::kIsotropic);
  EXPECT_NEAR(poa.poa_sky_diffuse_wm2, 139.9519052838, 1e-9);
  EXPECT_NEAR(poa.poa_direct_wm2, kDirectWm2, 1e-9);
  EXPECT_NEAR(poa.poa_ground_diffuse_wm2, kGroundWm2, 1e-9);
  EXPECT_NEAR(poa.poa_global_wm2, 727.3745548919, 1e-9);
  EXPECT_EQ(poa.sky_isotropic_wm2, poa.poa_sky_diffuse_wm2);
  EXPECT_EQ(poa.sky_circumsolar_wm2, 0.0);
  EXPECT_EQ(poa.sky_horizon_wm2, 0.0);
}

TEST(PoaIrradiance, HayDaviesByHand) {
  // ai = 600 / 1400; rb = cos aoi / cos 40; iso = dhi (1 - ai) (1 + cos 30) / 2,
  // circumsolar = dhi ai rb
  const PoaIrradiance poa = hand_case(SkyModel::kHayDavies);
  EXPECT_NEAR(poa.sky_isotropic_wm2, 79.9725173050, 1e-9);
  EXPECT_NEAR(poa.sky_circumsolar_wm2, 81.0175673279, 1e-9);
  EXPECT_NEAR(poa.poa_sky_diffuse_wm2, 160.9900846330, 1e-9);
  EXPECT_EQ(poa.sky_horizon_wm2, 0.0);
}

TEST(PoaIrradiance, PerezByHandClearSky) {
  // epsilon = (750 / 150 + 1.041 z^3) / (1 + 1.041 z^3) = 3.95375 with z = 40 deg in rad:
  // bin 5 (2.8 <= epsilon < 4.5); delta = 150 * 1.3 / 1400 = 0.139286
  EXPECT_EQ(perez_clearness_bin(kDhiWm2, kDniWm2, kZenithDeg), 5);
  // F1 = 1.132 - 1.237 delta - 0.412 z = 0.672073, F2 = 0.288 - 0.823 delta + 0.056 z =
  // 0.212463
  const PoaIrradiance poa = hand_case(SkyModel::kPerez);
  EXPECT_NEAR(poa.sky_isotropic_wm2, 45.8939649610, 1e-9);
  EXPECT_NEAR(poa.sky_circumsolar_wm2, 127.0494042975, 1e-9);
  EXPECT_NEAR(poa.sky_horizon_wm2, 15.9347424291, 1e-9);
  EXPECT_NEAR(poa.poa_sky_diffuse_wm2, 188.8781116875, 1e-9);
  EXPECT_NEAR(poa.poa_global_wm2, 776.3007612956, 1e-9);
}

TEST(PoaIrradiance, PerezOvercastHasNegativeHorizonBand) {
  // dni 20, dhi 300, zenith 70: epsilon = 1.023 (bin 0), delta = 300 * 2.9 / 1400
  EXPECT_EQ(perez_clearness_bin(300.0, 20.0, 70.0), 0);
  const SkyDiffuse sky = perez_sky(60.0, 180.0, 300.0, 20.0, 1400.0, 70.0, 200.0, 2.9);
  EXPECT_NEAR(sky.isotropic_wm2, 161.6281401457, 1e-9);
  EXPECT_NEAR(sky.circumsolar_wm2, 231.1713138776, 1e-9);
  EXPECT_NEAR(sky.horizon_wm2, -10.9470495433, 1e-9);
  EXPECT_NEAR(sky.sky_diffuse_wm2, 381.8524044799, 1e-9);
}

TEST(PoaIrradiance, PerezClearnessBinEdges) {
  // at zenith 0 epsilon = (dhi + dni) / dhi exactly
  EXPECT_EQ(perez_clearness_bin(100.0, 0.0, 0.0), 0);
  EXPECT_EQ(perez_clearness_bin(100.0, 6.5, 0.0), 1);    // 1.065
  EXPECT_EQ(perez_clearness_bin(100.0, 50.0, 0.0), 3);   // 1.5
  EXPECT_EQ(perez_clearness_bin(100.0, 520.0, 0.0), 7);  // 6.2
  EXPECT_EQ(perez_clearness_bin(0.0, 500.0, 0.0), 7);    // infinite
  EXPECT_EQ(perez_clearness_bin(0.0, 0.0, 30.0), -1);    // 0 / 0
  EXPECT_EQ(perez_clearness_bin(100.0, -150.0, 0.0), -1);
}

TEST(PoaIrradiance, PerezNightAndUndefinedSkyFollowPvlib) {
  // NaN airmass (sun below the horizon): zeros
  const SkyDiffuse night = perez_sky(30.0, 180.0, 0.0, 0.0, 1400.0, 95.0, 300.0, kNan);
  EXPECT_EQ(night.sky_diffuse_wm2, 0.0);
  EXPECT_EQ(night.horizon_wm2, 0.0);
  // daylight with dhi = dni = 0: epsilon undefined, NaN as pvlib
  const SkyDiffuse dark = perez_sky(30.0, 180.0, 0.0, 0.0, 1400.0, 80.0, 250.0, 5.6);
  EXPECT_TRUE(std::isnan(dark.sky_diffuse_wm2));
  // sun behind a north wall: no circumsolar part
  const SkyDiffuse behind = perez_sky(90.0, 0.0, 100.0, 500.0, 1400.0, 30.0, 180.0, 1.15);
  EXPECT_EQ(behind.circumsolar_wm2, 0.0);
  EXPECT_GT(behind.sky_diffuse_wm2, 0.0);
}

TEST(PoaIrradiance, ComponentsSumForEveryModel) {
  // a fixed grid of geometries and skies, sun in front of and behind the plane
  for (const SkyModel model : {SkyModel::kIsotropic, SkyModel::kHayDavies, SkyModel::kPerez}) {
    for (double tilt_deg = 0.0; tilt_deg <= 90.0; tilt_deg += 15.0) {
      for (double sun_azimuth_deg = 0.0; sun_azimuth_deg < 360.0; sun_azimuth_deg += 45.0) {
        for (double zenith_deg = 5.0; zenith_deg < 90.0; zenith_deg += 20.0) {
          const double dni_wm2 = 800.0 * std::cos(zenith_deg * 0.01);
          const double dhi_wm2 = 40.0 + zenith_deg;
          const double ghi_wm2 =
              dni_wm2 * std::cos(zenith_deg * std::numbers::pi / 180.0) + dhi_wm2;
          const PoaIrradiance poa =
              poa_irradiance(tilt_deg, 180.0, zenith_deg, sun_azimuth_deg, dni_wm2, ghi_wm2,
                             dhi_wm2, 1367.0, relative_airmass(zenith_deg), 0.25, model);
          const double tol = 1e-9;  // rounding of three additions of O(1000) W/m2
          ASSERT_NEAR(poa.poa_global_wm2,
                      poa.poa_direct_wm2 + poa.poa_sky_diffuse_wm2 + poa.poa_ground_diffuse_wm2,
                      tol);
          ASSERT_NEAR(poa.poa_diffuse_wm2, poa.poa_sky_diffuse_wm2 + poa.poa_ground_diffuse_wm2,
                      tol);
          ASSERT_NEAR(poa.poa_sky_diffuse_wm2,
                      poa.sky_isotropic_wm2 + poa.sky_circumsolar_wm2 + poa.sky_horizon_wm2, tol);
          ASSERT_GE(poa.poa_direct_wm2, 0.0);
          ASSERT_GE(poa.poa_sky_diffuse_wm2, 0.0);
        }
      }
    }
  }
}

TEST(PoaIrradiance, ArrayEqualsScalarWithBroadcast) {
  const std::vector<double> tilt_deg{0.0, 10.0, 20.0, 30.0, 40.0, 50.0};
  const std::vector<double> azimuth_deg{90.0, 135.0, 180.0, 225.0, 270.0, 0.0};
  const std::vector<double> zenith_deg{kZenithDeg};
  const std::vector<double> sun_azimuth_deg{kSunAzimuthDeg};
  const std::vector<double> dni_wm2{kDniWm2};
  const std::vector<double> ghi_wm2{kGhiWm2};
  const std::vector<double> dhi_wm2{kDhiWm2};
  const std::vector<double> dni_extra_wm2{kDniExtraWm2};
  const std::vector<double> airmass{kAirmass};
  const std::vector<double> albedo_frac{0.2};
  const PoaInputSpans in{tilt_deg, azimuth_deg, zenith_deg,    sun_azimuth_deg, dni_wm2,
                         ghi_wm2,  dhi_wm2,     dni_extra_wm2, airmass,         albedo_frac};
  const std::size_t n = tilt_deg.size();
  std::vector<double> global(n), direct(n), diffuse(n), sky(n), ground(n), iso(n), circ(n), hor(n);
  poa_irradiance(in, PoaOutputSpans{global, direct, diffuse, sky, ground, iso, circ, hor});
  for (std::size_t i = 0; i < n; ++i) {
    const PoaIrradiance p = poa_irradiance(tilt_deg[i], azimuth_deg[i], kZenithDeg, kSunAzimuthDeg,
                                           kDniWm2, kGhiWm2, kDhiWm2, kDniExtraWm2, kAirmass);
    EXPECT_EQ(global[i], p.poa_global_wm2);
    EXPECT_EQ(direct[i], p.poa_direct_wm2);
    EXPECT_EQ(diffuse[i], p.poa_diffuse_wm2);
    EXPECT_EQ(sky[i], p.poa_sky_diffuse_wm2);
    EXPECT_EQ(ground[i], p.poa_ground_diffuse_wm2);
    EXPECT_EQ(iso[i], p.sky_isotropic_wm2);
    EXPECT_EQ(circ[i], p.sky_circumsolar_wm2);
    EXPECT_EQ(hor[i], p.sky_horizon_wm2);
  }

  // optional outputs may be empty; wrong lengths are named
  std::vector<double> only_global(n);
  PoaOutputSpans global_only_out{};
  global_only_out.poa_global_wm2 = only_global;
  poa_irradiance(in, global_only_out, SkyModel::kHayDavies);
  EXPECT_EQ(only_global[2],
            poa_irradiance(tilt_deg[2], azimuth_deg[2], kZenithDeg, kSunAzimuthDeg, kDniWm2,
                           kGhiWm2, kDhiWm2, kDniExtraWm2, kAirmass, 0.2, SkyModel::kHayDavies)
                .poa_global_wm2);
  std::vector<double> short_out(n - 1);
  PoaOutputSpans short_direct_out{};
  short_direct_out.poa_direct_wm2 = short_out;
  try {
    poa_irradiance(in, short_direct_out);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()),
              "poa_irradiance: out.poa_direct_wm2 has 5 elements, expected 6 or 0");
  }
}

}  // namespace
}  // namespace citytwin::solar
