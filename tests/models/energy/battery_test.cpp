#include <citytwin/energy/battery.hpp>

#include <algorithm>
#include <cstddef>
#include <fstream>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_data.hpp"

namespace citytwin::energy {
namespace {

// 10 kWh, 5 kW both ways, 95 % each way, SoC window 10..90 %
BatteryParams small_battery() { return BatteryParams{10.0, 5.0, 5.0, 0.95, 0.95, 0.1, 0.9}; }

TEST(Battery, SpecRuleStepByStep) {
  CITYTWIN_DATA_FILE(path, "grid/ts_cigre_lv_pv_battery/spec.json");
  std::ifstream in(path);
  const nlohmann::json spec = nlohmann::json::parse(in);
  const nlohmann::json& bat = spec.at("battery");
  const int bus = bat.at("bus").get<int>();
  ASSERT_EQ(bus, 16);

  // PV at the battery bus from spec.json; the load at bus 16 is "Load R15", 0.0494 MW (loads.csv)
  double pv_peak_mw = 0.0;
  for (const auto& pv : spec.at("pv_sgens")) {
    if (pv.at("bus").get<int>() == bus) pv_peak_mw += pv.at("p_peak_mw").get<double>();
  }
  ASSERT_DOUBLE_EQ(pv_peak_mw, 0.05);
  const double load_mw = 0.0494;

  const double p_max_mw = bat.at("p_max_mw").get<double>();
  const double e_max_mwh = bat.at("e_max_mwh").get<double>();
  const double soc_min_mwh = bat.at("soc_min_mwh").get<double>();
  const double soc_max_mwh = bat.at("soc_max_mwh").get<double>();
  const double eta_ch = bat.at("eta_ch").get<double>();
  const double eta_dis = bat.at("eta_dis").get<double>();
  const double step_h = spec.at("step_hours").get<double>();
  const BatteryParams params{e_max_mwh * 1000.0,        p_max_mw * 1000.0,
                             p_max_mw * 1000.0,         eta_ch,
                             eta_dis,                   soc_min_mwh / e_max_mwh,
                             soc_max_mwh / e_max_mwh};

  const auto load_profile = spec.at("load_profile").get<std::vector<double>>();
  const auto pv_profile = spec.at("pv_profile").get<std::vector<double>>();
  const auto n_steps = static_cast<std::size_t>(spec.at("steps").get<int>());
  ASSERT_EQ(load_profile.size(), n_steps);

  // the rule of spec.json written out in MWh, next to dispatch_self_consumption in kW
  double soc_mwh = bat.at("soc_init_mwh").get<double>();
  double soc_frac = soc_mwh / e_max_mwh;
  std::vector<double> p_kw(n_steps);
  for (std::size_t t = 0; t < n_steps; ++t) {
    const double surplus = pv_peak_mw * pv_profile[t] - load_mw * load_profile[t];
    double p_batt = 0.0;
    if (surplus >= 0.0) {
      p_batt = std::min({surplus, p_max_mw, (soc_max_mwh - soc_mwh) / eta_ch});
    } else {
      p_batt = -std::min({-surplus, p_max_mw, (soc_mwh - soc_min_mwh) * eta_dis});
    }
    soc_mwh = p_batt >= 0.0 ? soc_mwh + p_batt * eta_ch * 1.0 : soc_mwh + p_batt / eta_dis * 1.0;

    const DispatchResult r =
        dispatch_self_consumption(params, -surplus * 1000.0, soc_frac, step_h);
    EXPECT_NEAR(r.p_kw, p_batt * 1000.0, 1e-9) << "step " << t;
    EXPECT_NEAR(r.next_soc_frac, soc_mwh / e_max_mwh, 1e-9) << "step " << t;
    soc_frac = r.next_soc_frac;
    p_kw[t] = r.p_kw;
  }

  // hand values: hour 0 drains the 6 kWh above the minimum at 95 % (5.7 kW), then it is empty
  EXPECT_NEAR(p_kw[0], -5.7, 1e-9);
  for (std::size_t t = 1; t < 9; ++t) EXPECT_NEAR(p_kw[t], 0.0, 1e-12) << "step " << t;
  // hour 9: 0.65·50 − 0.6·49.4 = 2.86 kW surplus charges fully
  EXPECT_NEAR(p_kw[9], 2.86, 1e-9);
  // by midday the 20 kW rating limits charging: 0.93·50 − 0.52·49.4 = 20.812 kW surplus
  EXPECT_NEAR(p_kw[11], 20.0, 1e-9);
}

TEST(Battery, ChargingLimits) {
  const BatteryParams b = small_battery();
  // power limit: 8 kW surplus, 5 kW charged, 4.75 kWh stored
  DispatchResult r = dispatch_self_consumption(b, -8.0, 0.2, 1.0);
  EXPECT_DOUBLE_EQ(r.p_kw, 5.0);
  EXPECT_NEAR(r.next_soc_frac, 0.675, 1e-15);
  // SoC limit: 4 kWh room below 90 % takes 4/0.95 kW for an hour
  r = dispatch_self_consumption(b, -8.0, 0.5, 1.0);
  EXPECT_NEAR(r.p_kw, 4.0 / 0.95, 1e-12);
  EXPECT_NEAR(r.next_soc_frac, 0.9, 1e-15);
  // a quarter hour: 4 kW stores 0.95 kWh
  r = dispatch_self_consumption(b, -4.0, 0.5, 0.25);
  EXPECT_DOUBLE_EQ(r.p_kw, 4.0);
  EXPECT_NEAR(r.next_soc_frac, 0.595, 1e-15);
  // full (or above the window): no charging, SoC kept
  r = dispatch_self_consumption(b, -4.0, 0.95, 1.0);
  EXPECT_DOUBLE_EQ(r.p_kw, 0.0);
  EXPECT_DOUBLE_EQ(r.next_soc_frac, 0.95);
}

TEST(Battery, DischargingLimits) {
  const BatteryParams b = small_battery();
  // power limit: 7 kW deficit, 5 kW delivered, 5/0.95 kWh drawn
  DispatchResult r = dispatch_self_consumption(b, 7.0, 0.8, 1.0);
  EXPECT_DOUBLE_EQ(r.p_kw, -5.0);
  EXPECT_NEAR(r.next_soc_frac, (8.0 - 5.0 / 0.95) / 10.0, 1e-15);
  // SoC limit: 1 kWh above the minimum delivers 0.95 kWh
  r = dispatch_self_consumption(b, 7.0, 0.2, 1.0);
  EXPECT_NEAR(r.p_kw, -0.95, 1e-12);
  EXPECT_NEAR(r.next_soc_frac, 0.1, 1e-15);
  // empty: nothing
  r = dispatch_self_consumption(b, 7.0, 0.1, 1.0);
  EXPECT_DOUBLE_EQ(r.p_kw, 0.0);
  // balanced site: idle
  r = dispatch_self_consumption(b, 0.0, 0.5, 1.0);
  EXPECT_DOUBLE_EQ(r.p_kw, 0.0);
  EXPECT_DOUBLE_EQ(r.next_soc_frac, 0.5);
}

TEST(Battery, RoundTripLosesBothEfficiencies) {
  const BatteryParams b = small_battery();
  // store 2 kW for an hour (1.9 kWh), then deliver all of it back: 1.9·0.95 kWh
  const DispatchResult in = dispatch_schedule(b, 2.0, 0.3, 1.0);
  EXPECT_NEAR(in.next_soc_frac, 0.49, 1e-15);
  const DispatchResult out = dispatch_schedule(b, -1.9 * 0.95, in.next_soc_frac, 1.0);
  EXPECT_NEAR(out.p_kw, -1.805, 1e-12);
  EXPECT_NEAR(out.next_soc_frac, 0.3, 1e-14);
}

TEST(Battery, PeakShaving) {
  const BatteryParams b = small_battery();
  // above the 10 kW threshold: discharge the excess (limited to 5 kW)
  DispatchResult r = dispatch_peak_shaving(b, 14.0, 0.8, 1.0, 10.0, 2.0);
  EXPECT_DOUBLE_EQ(r.p_kw, -4.0);
  r = dispatch_peak_shaving(b, 18.0, 0.8, 1.0, 10.0, 2.0);
  EXPECT_DOUBLE_EQ(r.p_kw, -5.0);
  // inside the dead band (8..10 kW): idle
  r = dispatch_peak_shaving(b, 9.0, 0.5, 1.0, 10.0, 2.0);
  EXPECT_DOUBLE_EQ(r.p_kw, 0.0);
  EXPECT_DOUBLE_EQ(r.next_soc_frac, 0.5);
  // below: recharge with the headroom, the site stays at or under the threshold
  r = dispatch_peak_shaving(b, 7.0, 0.3, 1.0, 10.0, 2.0);
  EXPECT_DOUBLE_EQ(r.p_kw, 3.0);
  r = dispatch_peak_shaving(b, 2.0, 0.3, 1.0, 10.0, 2.0);
  EXPECT_DOUBLE_EQ(r.p_kw, 5.0);
  // at 50 % the SoC window binds first: 4 kWh room, 3.8 kWh deliverable
  r = dispatch_peak_shaving(b, 2.0, 0.5, 1.0, 10.0, 2.0);
  EXPECT_NEAR(r.p_kw, 4.0 / 0.95, 1e-12);
  r = dispatch_peak_shaving(b, 18.0, 0.5, 1.0, 10.0, 2.0);
  EXPECT_NEAR(r.p_kw, -3.8, 1e-12);
  EXPECT_THROW((void)dispatch_peak_shaving(b, 2.0, 0.5, 1.0, 10.0, -1.0), std::invalid_argument);
}

TEST(Battery, ScheduleAndBadParameters) {
  const BatteryParams b = small_battery();
  EXPECT_DOUBLE_EQ(dispatch_schedule(b, 3.0, 0.5, 1.0).p_kw, 3.0);
  EXPECT_DOUBLE_EQ(dispatch_schedule(b, -20.0, 0.8, 1.0).p_kw, -5.0);
  BatteryParams bad = b;
  bad.capacity_kwh = 0.0;
  EXPECT_THROW((void)dispatch_schedule(bad, 1.0, 0.5, 1.0), std::invalid_argument);
  bad = b;
  bad.eta_charge_frac = 1.2;
  EXPECT_THROW((void)dispatch_schedule(bad, 1.0, 0.5, 1.0), std::invalid_argument);
  bad = b;
  bad.soc_min_frac = 0.95;
  EXPECT_THROW((void)dispatch_schedule(bad, 1.0, 0.5, 1.0), std::invalid_argument);
  EXPECT_THROW((void)dispatch_schedule(b, 1.0, 0.5, 0.0), std::invalid_argument);
}

}  // namespace
}  // namespace citytwin::energy
