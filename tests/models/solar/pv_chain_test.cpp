#include <citytwin/solar/pv_chain.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <numbers>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <citytwin/solar/irradiance.hpp>
#include <citytwin/solar/solar_position.hpp>

#include "test_data.hpp"

namespace citytwin::solar {
namespace {

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

// inverter dc input limit of the PVWatts reference system: 4 kW dc, dc/ac 1.2, eta_nom 0.96
constexpr double kInverterPdc0W = 4000.0 / 1.2 / 0.96;

TEST(IamPhysical, MatchesDeSotoClosedForm) {
  // De Soto (2006) eq. 14-15 evaluated by hand, n = 1.526, K = 4 /m, L = 2 mm:
  // tau = exp(-K L / cos tr) (1 - (sin^2(tr - t) / sin^2(tr + t) + tan^2(tr - t) /
  // tan^2(tr + t)) / 2), tau0 = exp(-K L) (1 - ((1 - n) / (1 + n))^2), iam = tau / tau0
  EXPECT_NEAR(iam_physical(0.0), 1.0, 1e-15);
  EXPECT_NEAR(iam_physical(30.0), 0.997886863020, 1e-11);
  EXPECT_NEAR(iam_physical(60.0), 0.946002914223, 1e-11);
  EXPECT_NEAR(iam_physical(80.0), 0.634116693237, 1e-11);
  EXPECT_NEAR(iam_physical(89.0), 0.099225193308, 1e-11);
  EXPECT_EQ(iam_physical(90.0), 0.0);
  EXPECT_EQ(iam_physical(120.0), 0.0);
  EXPECT_TRUE(std::isnan(iam_physical(kNan)));
  // symmetric in the sign of aoi
  EXPECT_EQ(iam_physical(-60.0), iam_physical(60.0));
  // no refraction (n = 1): pure absorption ratio, and 0 from behind
  EXPECT_NEAR(iam_physical(60.0, 1.0), std::exp(-0.008 / 0.5) / std::exp(-0.008), 1e-12);
  EXPECT_EQ(iam_physical(95.0, 1.0), 0.0);
}

TEST(IamPhysical, ArrayEqualsScalar) {
  std::vector<double> aoi_deg;
  for (int i = 0; i <= 200; ++i) aoi_deg.push_back(-10.0 + 0.5 * i);
  std::vector<double> out(aoi_deg.size());
  iam_physical(aoi_deg, out, 1.5, 5.0, 0.003);
  for (std::size_t i = 0; i < out.size(); ++i) {
    ASSERT_EQ(out[i], iam_physical(aoi_deg[i], 1.5, 5.0, 0.003));
  }
}

TEST(CellTemperature, SapmByHand) {
  // E = 800, T_air = 25, ws = 3, open rack glass/glass (a -3.47, b -0.0594, dT 3):
  // T_m = 800 exp(-3.47 - 0.1782) + 25 = 45.8303639532, T_c = T_m + 0.8 * 3
  const SapmTemperatureParams& p = kSapmOpenRackGlassGlass;
  EXPECT_NEAR(sapm_cell_temperature(800.0, 25.0, 3.0, p.a, p.b_s_per_m, p.delta_t_c), 48.2303639532,
              1e-9);
  // night: the air temperature
  EXPECT_EQ(sapm_cell_temperature(0.0, -5.0, 2.0, p.a, p.b_s_per_m, p.delta_t_c), -5.0);
  EXPECT_NEAR(sapm_cell_temperature(500.0, 25.0, 3.0, p.a, p.b_s_per_m, p.delta_t_c, 500.0),
              (48.2303639532 - 25.0 - 2.4) / 1.6 + 25.0 + 3.0, 1e-9);
}

TEST(CellTemperature, FaimanByHand) {
  // 25 + 800 / (25 + 6.84 * 3) = 42.5746924429
  EXPECT_NEAR(faiman_cell_temperature(800.0, 25.0, 3.0), 42.5746924429, 1e-9);
  EXPECT_EQ(faiman_cell_temperature(0.0, 12.0, 3.0), 12.0);
  EXPECT_NEAR(faiman_cell_temperature(1000.0, 0.0, 0.0, 20.0, 0.0), 50.0, 1e-12);
}

TEST(CellTemperature, ArraysBroadcastAndEqualScalar) {
  const std::vector<double> poa_wm2{0.0, 200.0, 800.0, 1100.0};
  const std::vector<double> air_c{20.0};
  const std::vector<double> wind_mps{0.0, 1.0, 3.0, 8.0};
  std::vector<double> sapm_c(4), faiman_c(4);
  sapm_cell_temperature(poa_wm2, air_c, wind_mps, sapm_c, -2.98, -0.0471, 1.0);
  faiman_cell_temperature(poa_wm2, air_c, wind_mps, faiman_c);
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(sapm_c[i], sapm_cell_temperature(poa_wm2[i], 20.0, wind_mps[i], -2.98, -0.0471, 1.0));
    EXPECT_EQ(faiman_c[i], faiman_cell_temperature(poa_wm2[i], 20.0, wind_mps[i]));
  }
  const std::vector<double> three{1.0, 2.0, 3.0};
  EXPECT_THROW(faiman_cell_temperature(poa_wm2, three, wind_mps, faiman_c), std::invalid_argument);
}

TEST(PvwattsDc, ByHand) {
  // 800 / 1000 * 4000 (1 - 0.0047 (45 - 25)) = 2899.2
  EXPECT_NEAR(pvwatts_dc(800.0, 45.0, 4000.0, -0.0047), 2899.2, 1e-9);
  EXPECT_EQ(pvwatts_dc(1000.0, 25.0, 4000.0, -0.0047), 4000.0);
  EXPECT_EQ(pvwatts_dc(0.0, 10.0, 4000.0, -0.0047), 0.0);
  EXPECT_NEAR(pvwatts_dc(1000.0, 35.0, 4000.0, -0.004, 35.0), 4000.0, 1e-12);

  const std::vector<double> irradiance_wm2{0.0, 400.0, 800.0};
  const std::vector<double> cell_c{30.0};
  std::vector<double> out_w(3);
  pvwatts_dc(irradiance_wm2, cell_c, out_w, 4000.0, -0.0047);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(out_w[i], pvwatts_dc(irradiance_wm2[i], 30.0, 4000.0, -0.0047));
  }
}

TEST(PvwattsInverter, ByHand) {
  // zeta = pdc / 3472.22, eta = 0.96 / 0.9637 (-0.0162 zeta - 0.0059 / zeta + 0.9858)
  EXPECT_NEAR(pvwatts_inverter(3000.0, kInverterPdc0W), 2883.8088091038, 1e-9);
  EXPECT_NEAR(pvwatts_inverter(100.0, kInverterPdc0W), 77.7475807547, 1e-9);
  // clipped at pac0 = 0.96 pdc0 = 3333.33 W
  EXPECT_NEAR(pvwatts_inverter(3500.0, kInverterPdc0W), 4000.0 / 1.2, 1e-9);
  // tiny input gives a negative curve value: clipped to 0 (pvlib GH 541), as is pdc <= 0
  EXPECT_EQ(pvwatts_inverter(5.0, kInverterPdc0W), 0.0);
  EXPECT_EQ(pvwatts_inverter(0.0, kInverterPdc0W), 0.0);
  EXPECT_EQ(pvwatts_inverter(-10.0, kInverterPdc0W), 0.0);
  EXPECT_TRUE(std::isnan(pvwatts_inverter(kNan, kInverterPdc0W)));

  const std::vector<double> pdc_w{0.0, 5.0, 100.0, 3000.0, 3500.0};
  std::vector<double> pac_w(5);
  pvwatts_inverter(pdc_w, pac_w, kInverterPdc0W);
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(pac_w[i], pvwatts_inverter(pdc_w[i], kInverterPdc0W));
  }
  std::vector<double> short_w(4);
  try {
    pvwatts_inverter(pdc_w, short_w, kInverterPdc0W);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), "pvwatts_inverter: out_w has 4 elements, expected 5");
  }
}

/// Annual sums of the PVWatts export next to the same sums recomputed by this chain.
struct PvwattsReplay {
  int n_hours = 0;
  double poa_file_wh_m2 = 0.0;    // [Wh/m2] sum of the file's plane-of-array column
  double poa_model_wh_m2 = 0.0;   // [Wh/m2] sum of our Perez transposition
  double dc_file_wh = 0.0;        // [Wh] sum of the file's dc column
  double ac_file_wh = 0.0;        // [Wh] sum of the file's ac column
  double dc_total_line_wh = 0.0;  // [Wh] dc value on the file's Totals line
  double ac_total_line_wh = 0.0;  // [Wh] ac value on the file's Totals line
  double dc_model_wh = 0.0;       // [Wh] sum of our dc
  double ac_model_wh = 0.0;       // [Wh] sum of our ac
};

std::vector<double> split_numbers(const std::string& line) {
  std::vector<double> values;
  std::stringstream stream(line);
  std::string cell;
  while (std::getline(stream, cell, ',')) values.push_back(std::atof(cell.c_str()));
  return values;
}

/// Replays a PVWatts v5 hourly export (Denver, 4 kW, tilt 20, azimuth 180, losses 14.08 %,
/// inverter 96 %, dc/ac 1.2) through solar_position, aoi, iam_physical, poa_irradiance,
/// pvwatts_dc and pvwatts_inverter. See docs/models/solar.md#pv-chain.
PvwattsReplay replay_pvwatts(const std::filesystem::path& csv) {
  constexpr double kLatitudeDeg = 39.73;
  constexpr double kLongitudeDeg = -105.18;
  constexpr double kAltitudeM = 1819.6;
  constexpr double kTiltDeg = 20.0;
  constexpr double kAzimuthDeg = 180.0;
  constexpr double kPdc0W = 4000.0;
  constexpr double kGammaPerC = -0.0047;
  constexpr double kLossFrac = 0.1408;
  constexpr double kRadPerDeg = std::numbers::pi / 180.0;

  std::ifstream in(csv);
  std::string line;
  // 17 metadata lines, then the column header
  for (int i = 0; i < 18; ++i) std::getline(in, line);
  EXPECT_EQ(line.rfind("Month,Day,Hour,Beam Irradiance", 0), 0u) << line;

  PvwattsReplay r;
  while (std::getline(in, line)) {
    const std::vector<double> v = split_numbers(line);
    if (line.rfind("Totals", 0) == 0) {
      r.dc_total_line_wh = v.at(9);
      r.ac_total_line_wh = v.at(10);
      break;
    }
    const double dni_wm2 = v.at(3);
    const double dhi_wm2 = v.at(4);
    const double poa_wm2 = v.at(7);
    const double cell_c = v.at(8);

    // TMY hour h (local standard time, UTC-7) covers h:00-h+1:00: the sun at its middle, in a
    // non-leap year
    using namespace std::chrono;
    const sys_days day{year{2019} / static_cast<int>(v.at(0)) / static_cast<int>(v.at(1))};
    const double time_s =
        static_cast<double>(day.time_since_epoch() / seconds{1}) + (v.at(2) + 7.0 + 0.5) * 3600.0;
    const SolarPosition sun = solar_position(time_s, kLatitudeDeg, kLongitudeDeg, kAltitudeM);

    // our own transposition of the file's beam and diffuse, for comparison with its POA
    const double zenith_deg = sun.apparent_zenith_deg;
    const double ghi_wm2 = dni_wm2 * std::max(std::cos(zenith_deg * kRadPerDeg), 0.0) + dhi_wm2;
    const PoaIrradiance poa =
        poa_irradiance(kTiltDeg, kAzimuthDeg, zenith_deg, sun.azimuth_deg, dni_wm2, ghi_wm2,
                       dhi_wm2, extra_radiation(time_s), relative_airmass(zenith_deg));
    if (zenith_deg < 90.0 && !std::isnan(poa.poa_global_wm2)) {
      r.poa_model_wh_m2 += poa.poa_global_wm2;
    }

    // the exported POA is the total before the cover: the cover loss applies to the beam only
    const double aoi_deg = aoi(kTiltDeg, kAzimuthDeg, zenith_deg, sun.azimuth_deg);
    const double beam_poa_wm2 = zenith_deg < 90.0 ? poa.poa_direct_wm2 : 0.0;
    const double transmitted_wm2 = poa_wm2 - beam_poa_wm2 * (1.0 - iam_physical(aoi_deg));
    const double dc_w = pvwatts_dc(transmitted_wm2, cell_c, kPdc0W, kGammaPerC) * (1.0 - kLossFrac);
    const double ac_w = pvwatts_inverter(dc_w, kPdc0W / 1.2 / 0.96);

    ++r.n_hours;
    r.poa_file_wh_m2 += poa_wm2;
    r.dc_file_wh += v.at(9);
    r.ac_file_wh += v.at(10);
    r.dc_model_wh += dc_w;
    r.ac_model_wh += ac_w;
  }
  return r;
}

void expect_pvwatts_replay(const std::filesystem::path& csv) {
  const PvwattsReplay r = replay_pvwatts(csv);
  ASSERT_EQ(r.n_hours, 8760);
  // the file is self-consistent: hourly sums equal its Totals line (3 decimals printed)
  EXPECT_NEAR(r.dc_file_wh, r.dc_total_line_wh, 1.0);
  EXPECT_NEAR(r.ac_file_wh, r.ac_total_line_wh, 1.0);

  // annual dc and ac within 0.1 % of PVWatts (achieved: 0.002 %)
  const double dc_error_frac = r.dc_model_wh / r.dc_total_line_wh - 1.0;
  const double ac_error_frac = r.ac_model_wh / r.ac_total_line_wh - 1.0;
  EXPECT_LT(std::fabs(dc_error_frac), 1e-3) << r.dc_model_wh << " vs " << r.dc_total_line_wh;
  EXPECT_LT(std::fabs(ac_error_frac), 1e-3) << r.ac_model_wh << " vs " << r.ac_total_line_wh;
  // our Perez transposition of the file's dni and dhi gives its annual POA within 0.1 %
  // (achieved: 0.005 %)
  const double poa_error_frac = r.poa_model_wh_m2 / r.poa_file_wh_m2 - 1.0;
  EXPECT_LT(std::fabs(poa_error_frac), 1e-3);
  std::printf("%s: annual dc error %.4f %%, ac error %.4f %%, poa error %.4f %%\n",
              csv.filename().string().c_str(), 100.0 * dc_error_frac, 100.0 * ac_error_frac,
              100.0 * poa_error_frac);
}

TEST(PvwattsReference, RoofMountAnnualDcAndAc) {
  CITYTWIN_DATA_FILE(csv, "pvwatts_reference/pvwatts_8760_roofmount.csv");
  expect_pvwatts_replay(csv);
}

TEST(PvwattsReference, RackMountAnnualDcAndAc) {
  CITYTWIN_DATA_FILE(csv, "pvwatts_reference/pvwatts_8760_rackmount.csv");
  expect_pvwatts_replay(csv);
}

}  // namespace
}  // namespace citytwin::solar
