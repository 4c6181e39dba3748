#include <algorithm>
#include <cmath>
#include <complex>
#include <numbers>
#include <stdexcept>

#include <gtest/gtest.h>

#include <citytwin/energy/power_flow.hpp>
#include <citytwin/energy/readers/network_csv.hpp>

#include "tables_builder.hpp"
#include "test_data.hpp"

namespace citytwin::energy {
namespace {

using Complex = std::complex<double>;
using test::add_bus;
using test::add_ext_grid;
using test::add_line;
using test::add_load;
using test::add_sgen;
using test::add_storage;
using test::add_trafo;

constexpr double kRadToDeg = 180.0 / std::numbers::pi;

PowerFlowOptions newton(double tolerance_mva = 1e-8) {
  return {PowerFlowMethod::kNewtonRaphson, tolerance_mva, 0};
}
PowerFlowOptions zbus(double tolerance_mva = 1e-8) {
  return {PowerFlowMethod::kImplicitZbus, tolerance_mva, 0};
}

// receiving-end voltage of a source V0 = 1 feeding S = P + jQ through z = r + jx (all pu):
// |V|⁴ + (2(rP + xQ) − 1)|V|² + |z|²|S|² = 0, larger root; angle from V0 = V + z·conj(S)/V
Complex analytic_receiving_end(Complex z, Complex s) {
  const double b = 2.0 * (z.real() * s.real() + z.imag() * s.imag()) - 1.0;
  const double c = std::norm(z) * std::norm(s);
  const double vm = std::sqrt((-b + std::sqrt(b * b - 4.0 * c)) / 2.0);
  const double delta = -std::arg(vm + z * std::conj(s) / vm);
  return std::polar(vm, delta);
}

// slack bus 0 at 10 kV, 1 km line of 1 + 2j Ω (z = 0.01 + 0.02j pu on 1 MVA), load at bus 1
NetworkTables two_bus(double p_mw, double q_mvar, double const_z_percent = 0.0) {
  NetworkTables t;
  t.sn_mva = 1.0;
  add_bus(t, 10.0);
  add_bus(t, 10.0);
  add_line(t, 0, 1, 1.0, 1.0, 2.0, 0.0, 0.5);
  add_ext_grid(t, 0);
  add_load(t, 1, p_mw, q_mvar, const_z_percent);
  return t;
}

double max_voltage_difference(const PowerFlowResult& a, const PowerFlowResult& b) {
  double worst = 0.0;
  for (std::size_t n = 0; n < a.node_v_pu.size(); ++n) {
    worst = std::max(worst, std::abs(a.node_v_pu[n] - b.node_v_pu[n]));
  }
  return worst;
}

// ext_grid P − (Σ load − Σ sgen + Σ storage + losses) [MW]
double balance_error_mw(const Network& net, const Injections& inj, const PowerFlowResult& r) {
  double ext = 0.0;
  for (double p : r.ext_grid.p_mw) ext += p;
  double demand = r.loss_p_mw;
  for (double p : r.load.p_mw) demand += p;
  for (std::size_t i = 0; i < inj.sgen_p_mw.size(); ++i) {
    if (net.tables().sgens.in_service[i] != 0) demand -= inj.sgen_p_mw[i];
  }
  for (std::size_t i = 0; i < inj.storage_p_mw.size(); ++i) {
    if (net.tables().storages.in_service[i] != 0) demand += inj.storage_p_mw[i];
  }
  return ext - demand;
}

TEST(PowerFlow, TwoBusMatchesAnalyticSolution) {
  const Network net(two_bus(2.0, 1.0));
  const Complex z(0.01, 0.02);
  const Complex expected = analytic_receiving_end(z, Complex(2.0, 1.0));
  PowerFlow solver(net);
  for (const PowerFlowOptions& options : {newton(1e-11), zbus(1e-11)}) {
    const PowerFlowResult r = solver.solve(net.default_injections(), options);
    ASSERT_TRUE(r.converged);
    EXPECT_NEAR(r.bus.vm_pu[1], std::abs(expected), 1e-10);
    EXPECT_NEAR(r.bus.va_degree[1], std::arg(expected) * kRadToDeg, 1e-8);
    EXPECT_DOUBLE_EQ(r.bus.vm_pu[0], 1.0);
    // losses r·|S|²/|V|² on 1 MVA, and the source supplies load plus losses
    const double loss_mw = z.real() * 5.0 / std::norm(expected);
    EXPECT_NEAR(r.loss_p_mw, loss_mw, 1e-10);
    EXPECT_NEAR(r.ext_grid.p_mw[0], 2.0 + loss_mw, 1e-10);
    EXPECT_NEAR(r.ext_grid.q_mvar[0], 1.0 + 2.0 * loss_mw, 1e-10);
    EXPECT_NEAR(r.bus.p_mw[1], -2.0, 1e-12);
    // line current √(P² + Q²)/|V| pu on I_base = 1 MVA / (√3·10 kV)
    const double i_ka = std::sqrt(5.0) / std::abs(expected) / (std::sqrt(3.0) * 10.0);
    EXPECT_NEAR(r.line.i_ka[0], i_ka, 1e-12);
    EXPECT_NEAR(r.line.loading_percent[0], 100.0 * i_ka / 0.5, 1e-9);
  }
}

TEST(PowerFlow, ConstantImpedanceLoadIsAVoltageDivider) {
  // 100 % constant-Z load: Z_L = 1/conj(S) at 1 pu, so V = Z_L / (z + Z_L)
  const Network net(two_bus(2.0, 1.0, 100.0));
  const Complex z_load = 1.0 / std::conj(Complex(2.0, 1.0));
  const Complex expected = z_load / (Complex(0.01, 0.02) + z_load);
  for (const PowerFlowOptions& options : {newton(1e-11), zbus(1e-11)}) {
    const PowerFlowResult r = power_flow(net, net.default_injections(), options);
    ASSERT_TRUE(r.converged);
    EXPECT_NEAR(r.bus.vm_pu[1], std::abs(expected), 1e-10);
    EXPECT_NEAR(r.load.p_mw[0], 2.0 * std::norm(expected), 1e-10);
  }
}

TEST(PowerFlow, NewtonConvergesQuadratically) {
  const Network net(two_bus(2.0, 1.0));
  const PowerFlowResult r = power_flow(net, net.default_injections(), newton());
  ASSERT_TRUE(r.converged);
  EXPECT_LE(r.iterations, 4);
  EXPECT_LT(r.max_mismatch_mva, 1e-8);
}

TEST(PowerFlow, NonConvergenceIsReportedWithWorstBus) {
  // far beyond the nose of the PV curve: no solution exists
  const Network net(two_bus(40.0, 20.0));
  for (const PowerFlowOptions& options : {newton(), zbus()}) {
    const PowerFlowResult r = power_flow(net, net.default_injections(), options);
    EXPECT_FALSE(r.converged);
    EXPECT_EQ(r.worst_bus_idx, 1);
    EXPECT_FALSE(r.max_mismatch_mva <= 1e-8);
    EXPECT_EQ(r.iterations, options.method == PowerFlowMethod::kNewtonRaphson ? 10 : 100);
  }
}

TEST(PowerFlow, RejectsInjectionsOfTheWrongSize) {
  const Network net(two_bus(1.0, 0.5));
  Injections inj = net.default_injections();
  inj.load_p_mw.push_back(1.0);
  EXPECT_THROW((void)power_flow(net, inj), std::invalid_argument);
}

TEST(PowerFlow, InjectionsChangeWithoutRebuildingTheTopology) {
  const Network net(two_bus(2.0, 1.0));
  PowerFlow solver(net);
  Injections inj = net.default_injections();
  inj.load_p_mw[0] = 1.0;
  inj.load_q_mvar[0] = 0.25;
  const PowerFlowResult r = solver.solve(inj, newton(1e-11));
  EXPECT_NEAR(r.bus.vm_pu[1], std::abs(analytic_receiving_end({0.01, 0.02}, {1.0, 0.25})), 1e-10);
}

// 20/0.4 kV, 0.4 MVA, vk 4 %, vkr 1 %: z_k = 0.1 pu on 1 MVA, r = 0.025 pu
NetworkTables trafo_only(double p_mw, double q_mvar, double shift_degree) {
  NetworkTables t;
  t.sn_mva = 1.0;
  add_bus(t, 20.0);
  add_bus(t, 0.4);
  add_trafo(t, 0, 1, 0.4, 20.0, 0.4, 4.0, 1.0, shift_degree);
  add_ext_grid(t, 0);
  add_load(t, 1, p_mw, q_mvar);
  return t;
}

TEST(PowerFlow, TransformerOnlyCase) {
  const Network net(trafo_only(0.2, 0.1, 150.0));
  const Complex z_k(0.025, std::sqrt(0.1 * 0.1 - 0.025 * 0.025));
  const Complex expected = analytic_receiving_end(z_k, Complex(0.2, 0.1));
  for (const PowerFlowOptions& options : {newton(1e-11), zbus(1e-11)}) {
    const PowerFlowResult r = power_flow(net, net.default_injections(), options);
    ASSERT_TRUE(r.converged);
    EXPECT_NEAR(r.bus.vm_pu[1], std::abs(expected), 1e-10);
    // the LV side lags the HV side by the vector-group shift
    EXPECT_NEAR(r.bus.va_degree[1], -150.0 + std::arg(expected) * kRadToDeg, 1e-8);
    const double loss_mw = z_k.real() * 0.05 / std::norm(expected);
    EXPECT_NEAR(r.trafo.pl_mw[0], loss_mw, 1e-10);
    EXPECT_NEAR(r.trafo.p_hv_mw[0], 0.2 + loss_mw, 1e-10);
    EXPECT_NEAR(r.trafo.p_lv_mw[0], -0.2, 1e-10);
    // current-based loading: |I| = |S|/|V| pu on the 0.4 MVA rating
    EXPECT_NEAR(r.trafo.loading_percent[0], 100.0 * std::sqrt(0.05) / std::abs(expected) / 0.4,
                1e-8);
    EXPECT_NEAR(r.trafo.i_lv_ka[0], std::sqrt(0.05) / std::abs(expected) / (std::sqrt(3.0) * 0.4),
                1e-10);
  }
}

TEST(PowerFlow, TransformerTapSetsTheNoLoadRatio) {
  NetworkTables t = trafo_only(0.0, 0.0, 0.0);
  t.trafos.tap_side[0] = TapSide::kHv;
  t.trafos.tap_pos[0] = 2.0;
  t.trafos.tap_step_percent[0] = 2.5;
  const Network net(std::move(t));
  const PowerFlowResult r = power_flow(net, net.default_injections(), newton(1e-12));
  ASSERT_TRUE(r.converged);
  EXPECT_NEAR(r.bus.vm_pu[1], 1.0 / 1.05, 1e-12);
}

TEST(PowerFlow, TransformerMagnetisingBranchSitsInTheMiddleOfTheT) {
  // no load: HV draws V²·conj(Y_in), Y_in = 1/(z_k/2 + 1/y_m), y_m = (pfe − jQ0)/sn on 1 MVA
  NetworkTables t = trafo_only(0.0, 0.0, 0.0);
  t.trafos.pfe_kw[0] = 1.0;
  t.trafos.i0_percent[0] = 0.5;
  const Network net(std::move(t));
  const Complex z_k(0.025, std::sqrt(0.1 * 0.1 - 0.025 * 0.025));
  const Complex y_m(0.001, -std::sqrt(0.002 * 0.002 - 0.001 * 0.001));
  const Complex y_in = 1.0 / (z_k / 2.0 + 1.0 / y_m);
  const PowerFlowResult r = power_flow(net, net.default_injections(), newton(1e-12));
  ASSERT_TRUE(r.converged);
  EXPECT_NEAR(r.trafo.p_hv_mw[0], y_in.real(), 1e-12);
  EXPECT_NEAR(r.trafo.q_hv_mvar[0], -y_in.imag(), 1e-12);
  EXPECT_NEAR(r.bus.vm_pu[1], std::abs((1.0 / y_m) / (z_k / 2.0 + 1.0 / y_m)), 1e-12);
}

TEST(PowerFlow, SgenAndStorageEnterTheBalance) {
  NetworkTables t = two_bus(0.5, 0.2);
  add_sgen(t, 1, 0.3, 0.05);
  add_storage(t, 1, 0.1, 0.0);
  const Network net(std::move(t));
  const PowerFlowResult r = power_flow(net, net.default_injections(), newton(1e-11));
  ASSERT_TRUE(r.converged);
  // net consumption 0.3 + j0.15 at bus 1
  EXPECT_NEAR(r.bus.vm_pu[1], std::abs(analytic_receiving_end({0.01, 0.02}, {0.3, 0.15})), 1e-10);
  EXPECT_NEAR(balance_error_mw(net, net.default_injections(), r), 0.0, 1e-12);
}

TEST(PowerFlow, Case33bwMatchesPublishedValues) {
  CITYTWIN_DATA_FILE(folder, "grid/case33bw/network");
  const Network net(read_network_csv(folder));
  const Injections inj = net.default_injections();
  PowerFlow solver(net);
  const PowerFlowResult r = solver.solve(inj, newton());
  ASSERT_TRUE(r.converged);
  const auto lowest = std::min_element(r.bus.vm_pu.begin(), r.bus.vm_pu.end());
  EXPECT_EQ(lowest - r.bus.vm_pu.begin(), 17);
  EXPECT_NEAR(*lowest, 0.9131, 0.5e-4);        // Baran & Wu 1989; MATPOWER case33bw
  EXPECT_NEAR(r.loss_p_mw * 1e3, 202.7, 0.1);  // [kW]
  EXPECT_NEAR(balance_error_mw(net, inj, r), 0.0, 1e-9);

  // the fast iteration agrees with Newton–Raphson
  const PowerFlowResult tight_newton = solver.solve(inj, newton(1e-10));
  const PowerFlowResult fast = solver.solve(inj, zbus(1e-10));
  ASSERT_TRUE(fast.converged);
  EXPECT_LT(max_voltage_difference(tight_newton, fast), 1e-8);
  EXPECT_NEAR(balance_error_mw(net, inj, fast), 0.0, 1e-9);
}

TEST(PowerFlow, CigreLvShiftFusedBusesAndAgreement) {
  CITYTWIN_DATA_FILE(folder, "grid/cigre_lv/network");
  const Network net(read_network_csv(folder));
  const NetworkTables& t = net.tables();
  const Injections inj = net.default_injections();
  PowerFlow solver(net);
  const PowerFlowResult r = solver.solve(inj, newton());
  ASSERT_TRUE(r.converged);

  // LV buses lag the 20 kV side by the 30° vector group, plus a small drop
  for (std::size_t b = 0; b < t.buses.size(); ++b) {
    if (t.buses.vn_kv[b] < 1.0) {
      EXPECT_LT(r.bus.va_degree[b], -30.0) << "bus " << b;
      EXPECT_GT(r.bus.va_degree[b], -33.0) << "bus " << b;
    } else {
      EXPECT_NEAR(r.bus.va_degree[b], 0.0, 0.05) << "bus " << b;
    }
  }

  // buses 0, 1, 20 and 23 are joined by closed switches: one node, one voltage
  for (const int b : {1, 20, 23}) {
    EXPECT_EQ(r.bus.vm_pu[static_cast<std::size_t>(b)], r.bus.vm_pu[0]);
    EXPECT_EQ(r.bus.va_degree[static_cast<std::size_t>(b)], r.bus.va_degree[0]);
  }

  // the balance holds to the sum of the nodal mismatches, hence the tighter tolerance here
  const PowerFlowResult tight_newton = solver.solve(inj, newton(1e-10));
  EXPECT_NEAR(balance_error_mw(net, inj, tight_newton), 0.0, 1e-9);
  const PowerFlowResult fast = solver.solve(inj, zbus(1e-10));
  ASSERT_TRUE(fast.converged);
  EXPECT_LT(max_voltage_difference(tight_newton, fast), 1e-8);
}

TEST(PowerFlow, TimeSeriesWarmStartAgreesWithFreshNewton) {
  CITYTWIN_DATA_FILE(folder, "grid/ts_cigre_lv_pv_battery/network");
  const Network net(read_network_csv(folder));
  const Injections base = net.default_injections();
  PowerFlow solver(net);
  PowerFlowResult previous;
  // (load profile, PV profile, battery MW) of hours 7, 12 and 18 of spec.json, battery made up
  const double steps[3][3] = {{0.75, 0.25, 0.0}, {0.5, 0.97, 0.02}, {1.0, 0.1, -0.02}};
  int fast_iterations_first = 0;
  for (int k = 0; k < 3; ++k) {
    Injections inj = base;
    for (double& p : inj.load_p_mw) p *= steps[k][0];
    for (double& q : inj.load_q_mvar) q *= steps[k][0];
    for (double& p : inj.sgen_p_mw) p *= steps[k][1];
    inj.storage_p_mw[0] = steps[k][2];
    const PowerFlowResult fresh = solver.solve(inj, newton(1e-10));
    const PowerFlowResult fast = solver.solve(inj, zbus(1e-10), k == 0 ? nullptr : &previous);
    ASSERT_TRUE(fresh.converged && fast.converged);
    EXPECT_LT(max_voltage_difference(fresh, fast), 1e-8);
    EXPECT_NEAR(balance_error_mw(net, inj, fresh), 0.0, 1e-9);
    if (k == 0) fast_iterations_first = fast.iterations;
    previous = fast;
  }

  // restarting from a solution of the same injections takes a single iteration
  const PowerFlowResult again = solver.solve(net.default_injections(), zbus(1e-8), nullptr);
  const PowerFlowResult warm = solver.solve(net.default_injections(), zbus(1e-8), &again);
  EXPECT_EQ(warm.iterations, 1);
  EXPECT_GT(fast_iterations_first, 1);
}

}  // namespace
}  // namespace citytwin::energy
