#include <cmath>
#include <complex>
#include <numbers>
#include <stdexcept>

#include <gtest/gtest.h>

#include <citytwin/energy/network.hpp>
#include <citytwin/energy/power_flow.hpp>

#include "tables_builder.hpp"

namespace citytwin::energy {
namespace {

using Complex = std::complex<double>;
using test::add_bus;
using test::add_ext_grid;
using test::add_line;
using test::add_load;
using test::add_switch;
using test::add_trafo;

Complex ybus(const Network& net, int row, int col) { return net.ybus_pu().coeff(row, col); }

TEST(Network, LineIsAPiWithHalfTheShuntAtEachEnd) {
  // 10 kV, 1 MVA: Z_base = 100 Ω; 2 km of (0.5 + 1j) Ω/km and 50 µS/km
  NetworkTables t;
  add_bus(t, 10.0);
  add_bus(t, 10.0);
  add_line(t, 0, 1, 2.0, 0.5, 1.0, 50.0);
  add_ext_grid(t, 0);
  const Network net(std::move(t));
  const Complex y_series = 1.0 / Complex(0.01, 0.02);
  const Complex y_half(0.0, 0.5 * 50e-6 * 2.0 * 100.0);
  EXPECT_NEAR(std::abs(ybus(net, 0, 0) - (y_series + y_half)), 0.0, 1e-12);
  EXPECT_NEAR(std::abs(ybus(net, 1, 1) - (y_series + y_half)), 0.0, 1e-12);
  EXPECT_NEAR(std::abs(ybus(net, 0, 1) + y_series), 0.0, 1e-12);
}

TEST(Network, ParallelSystemsDivideTheImpedance) {
  NetworkTables t;
  add_bus(t, 10.0);
  add_bus(t, 10.0);
  add_line(t, 0, 1, 1.0, 1.0, 2.0);
  t.lines.n_parallel[0] = 2;
  add_ext_grid(t, 0);
  const Network net(std::move(t));
  EXPECT_NEAR(std::abs(ybus(net, 0, 1) + 2.0 / Complex(0.01, 0.02)), 0.0, 1e-9);
}

TEST(Network, TransformerShiftMakesYbusComplexRatio) {
  // shift 30°: t = e^{j30°} at the HV side, y_lh = −y/t, y_hl = −y/conj(t)
  NetworkTables t;
  add_bus(t, 20.0);
  add_bus(t, 0.4);
  add_trafo(t, 0, 1, 0.5, 20.0, 0.4, 4.0, 0.0, 30.0);
  add_ext_grid(t, 0);
  const Network net(std::move(t));
  const Complex y = 1.0 / Complex(0.0, 0.04 * 1.0 / 0.5);
  const Complex tap = std::polar(1.0, std::numbers::pi / 6.0);
  EXPECT_NEAR(std::abs(ybus(net, 1, 0) + y / tap), 0.0, 1e-12);
  EXPECT_NEAR(std::abs(ybus(net, 0, 1) + y / std::conj(tap)), 0.0, 1e-12);
  EXPECT_NEAR(std::arg(net.start_voltage_pu()[1]), -std::numbers::pi / 6.0, 1e-15);
}

TEST(Network, OffNominalBusVoltageGivesRatio) {
  // a 0.42 kV winding on a 0.4 kV bus: the ideal ratio is 0.4/0.42 at the HV side
  NetworkTables t;
  add_bus(t, 20.0);
  add_bus(t, 0.4);
  add_trafo(t, 0, 1, 0.5, 20.0, 0.42, 4.0, 0.0, 0.0);
  add_ext_grid(t, 0);
  add_load(t, 1, 0.0, 0.0);
  const Network net(std::move(t));
  const PowerFlowResult r =
      power_flow(net, net.default_injections(), {PowerFlowMethod::kNewtonRaphson, 1e-12, 0});
  EXPECT_NEAR(r.bus.vm_pu[1], 0.42 / 0.4, 1e-12);
}

TEST(Network, ClosedSwitchesFuseOpenOnesDoNot) {
  NetworkTables t;
  for (int i = 0; i < 4; ++i) add_bus(t, 10.0);
  add_switch(t, 0, 1, SwitchElement::kBus, true);
  add_switch(t, 2, 1, SwitchElement::kBus, true);
  add_switch(t, 2, 3, SwitchElement::kBus, false);
  add_line(t, 2, 3, 1.0, 1.0, 1.0);
  add_ext_grid(t, 1);
  const Network net(std::move(t));
  EXPECT_EQ(net.n_nodes(), 2);
  EXPECT_EQ(net.bus_node_idx()[0], 0);
  EXPECT_EQ(net.bus_node_idx()[1], 0);
  EXPECT_EQ(net.bus_node_idx()[2], 0);
  EXPECT_EQ(net.bus_node_idx()[3], 1);
  EXPECT_EQ(net.node_is_slack()[0], 1);
}

TEST(Network, OutOfServiceAndIsolatedBusesHaveNoNode) {
  NetworkTables t;
  add_bus(t, 10.0);
  add_bus(t, 10.0, false);
  add_bus(t, 10.0);
  add_bus(t, 10.0);
  add_line(t, 0, 1, 1.0, 1.0, 1.0);  // ends at an out-of-service bus: dropped
  add_line(t, 2, 3, 1.0, 1.0, 1.0);  // island without external grid
  add_ext_grid(t, 0);
  add_load(t, 3, 1.0, 0.0);
  const Network net(std::move(t));
  EXPECT_EQ(net.n_nodes(), 1);
  EXPECT_EQ(net.bus_node_idx()[1], -1);
  EXPECT_EQ(net.bus_node_idx()[3], -1);
  const PowerFlowResult r = power_flow(net, net.default_injections(), {});
  EXPECT_TRUE(r.converged);
  EXPECT_TRUE(std::isnan(r.bus.vm_pu[3]));
  EXPECT_EQ(r.load.p_mw[0], 0.0);
  EXPECT_EQ(r.line.p_from_mw[1], 0.0);
  // only the slack node is left: both methods converge without iterating
  const PowerFlowResult fast =
      power_flow(net, net.default_injections(), {PowerFlowMethod::kImplicitZbus, 1e-8, 0});
  EXPECT_TRUE(fast.converged);
  EXPECT_EQ(fast.iterations, 0);
  EXPECT_EQ(r.iterations, 0);
}

TEST(Network, OpenLineSwitchDisconnectsThatEnd) {
  NetworkTables t;
  add_bus(t, 10.0);
  add_bus(t, 10.0);
  add_bus(t, 10.0);
  add_line(t, 0, 1, 1.0, 1.0, 1.0);
  add_line(t, 1, 2, 1.0, 1.0, 1.0, 100.0);
  add_switch(t, 2, 1, SwitchElement::kLine, false);
  add_ext_grid(t, 0);
  const Network net(std::move(t));
  // bus 2 loses its only connection; bus 1 keeps the line's charging through the open line
  EXPECT_EQ(net.bus_node_idx()[2], -1);
  const Complex y_s = 1.0 / Complex(0.01, 0.01);
  const Complex y_h(0.0, 0.5 * 100e-6 * 100.0);
  const Complex expected = y_s + (y_s + y_h) - y_s * y_s / (y_s + y_h);
  EXPECT_NEAR(std::abs(ybus(net, 1, 1) - expected), 0.0, 1e-9);
}

TEST(Network, DefaultInjectionsApplyScaling) {
  NetworkTables t;
  add_bus(t, 10.0);
  add_ext_grid(t, 0);
  add_load(t, 0, 2.0, 1.0);
  t.loads.scaling[0] = 0.5;
  const Network net(std::move(t));
  const Injections inj = net.default_injections();
  EXPECT_DOUBLE_EQ(inj.load_p_mw[0], 1.0);
  EXPECT_DOUBLE_EQ(inj.load_q_mvar[0], 0.5);
}

TEST(Network, RejectsBadTables) {
  NetworkTables t;
  add_bus(t, 10.0);
  add_line(t, 0, 5, 1.0, 1.0, 1.0);
  EXPECT_THROW(Network{t}, std::invalid_argument);
  NetworkTables u;
  add_bus(u, 10.0);
  u.buses.vn_kv.push_back(1.0);
  EXPECT_THROW(Network{u}, std::invalid_argument);
}

}  // namespace
}  // namespace citytwin::energy
