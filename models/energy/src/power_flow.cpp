#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <string>

#include <Eigen/SparseCore>
#include <Eigen/SparseLU>

#include <citytwin/energy/power_flow.hpp>
#include <citytwin/sim/error.hpp>

namespace citytwin::energy {

namespace {

using Complex = std::complex<double>;
using RealSparse = Eigen::SparseMatrix<double>;
using ComplexSparse = Eigen::SparseMatrix<Complex>;

constexpr double kRadToDeg = 180.0 / std::numbers::pi;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kSqrt3 = std::sqrt(3.0);

// specified nodal power S(V) = s_const − s_z·|V|² − s_i·|V| in pu, generation positive
struct NodePower {
  std::vector<Complex> s_const;  // [pu] constant-power injection
  std::vector<Complex> s_z;      // [pu] constant-impedance consumption at 1 pu
  std::vector<Complex> s_i;      // [pu] constant-current consumption at 1 pu

  [[nodiscard]] Complex at(std::size_t n, double vm) const {
    return s_const[n] - s_z[n] * (vm * vm) - s_i[n] * vm;
  }
};

// throws std::invalid_argument when an injection vector does not match its table
void check_size(std::size_t actual, std::size_t expected, const char* name) {
  if (actual != expected) {
    throw std::invalid_argument(std::string("injections.") + name + " has " +
                                std::to_string(actual) + " entries, the network has " +
                                std::to_string(expected));
  }
}

// the ZIP shares of one load as fractions
struct ZipShares {
  double z_p, i_p, z_q, i_q;
};

ZipShares zip_of(const LoadTable& l, std::size_t i) {
  return {l.const_z_p_percent[i] / 100.0, l.const_i_p_percent[i] / 100.0,
          l.const_z_q_percent[i] / 100.0, l.const_i_q_percent[i] / 100.0};
}

// sums element powers per node on the system base
void node_power(const Network& net, const Injections& inj, NodePower& out) {
  const NetworkTables& t = net.tables();
  const auto n_nodes = static_cast<std::size_t>(net.n_nodes());
  out.s_const.assign(n_nodes, 0.0);
  out.s_z.assign(n_nodes, 0.0);
  out.s_i.assign(n_nodes, 0.0);
  const double sn = net.sn_mva();
  const auto node_of = [&](std::int32_t bus) {
    return net.bus_node_idx()[static_cast<std::size_t>(bus)];
  };

  // loads: split into constant power, current and impedance parts
  for (std::size_t i = 0; i < t.loads.size(); ++i) {
    const std::int32_t node = node_of(t.loads.bus_idx[i]);
    if (t.loads.in_service[i] == 0 || node < 0) continue;
    const auto n = static_cast<std::size_t>(node);
    const ZipShares zip = zip_of(t.loads, i);
    const double p = inj.load_p_mw[i] / sn;
    const double q = inj.load_q_mvar[i] / sn;
    out.s_const[n] -= Complex(p * (1.0 - zip.z_p - zip.i_p), q * (1.0 - zip.z_q - zip.i_q));
    out.s_z[n] += Complex(p * zip.z_p, q * zip.z_q);
    out.s_i[n] += Complex(p * zip.i_p, q * zip.i_q);
  }

  // static generators inject, storage units consume
  for (std::size_t i = 0; i < t.sgens.size(); ++i) {
    const std::int32_t node = node_of(t.sgens.bus_idx[i]);
    if (t.sgens.in_service[i] == 0 || node < 0) continue;
    out.s_const[static_cast<std::size_t>(node)] +=
        Complex(inj.sgen_p_mw[i], inj.sgen_q_mvar[i]) / sn;
  }
  for (std::size_t i = 0; i < t.storages.size(); ++i) {
    const std::int32_t node = node_of(t.storages.bus_idx[i]);
    if (t.storages.in_service[i] == 0 || node < 0) continue;
    out.s_const[static_cast<std::size_t>(node)] -=
        Complex(inj.storage_p_mw[i], inj.storage_q_mvar[i]) / sn;
  }
}

// I = Ybus·V over the compressed column storage
void multiply(const ComplexSparse& y, const std::vector<Complex>& v, std::vector<Complex>& out) {
  std::fill(out.begin(), out.end(), Complex(0.0, 0.0));
  for (int col = 0; col < y.outerSize(); ++col) {
    const Complex v_col = v[static_cast<std::size_t>(col)];
    for (ComplexSparse::InnerIterator it(y, col); it; ++it) {
      out[static_cast<std::size_t>(it.row())] += it.value() * v_col;
    }
  }
}

// position of entry (row, col) in a compressed column-major matrix
int slot_of(const RealSparse& m, int row, int col) {
  const int* begin = m.innerIndexPtr() + m.outerIndexPtr()[col];
  const int* end = m.innerIndexPtr() + m.outerIndexPtr()[col + 1];
  const int* hit = std::lower_bound(begin, end, row);
  CITYTWIN_CHECK(hit != end && *hit == row, "Jacobian pattern lacks an entry");
  return static_cast<int>(hit - m.innerIndexPtr());
}

}  // namespace

struct PowerFlow::Impl {
  const Network* net;
  std::vector<std::int32_t> pq_nodes;     // non-slack nodes in node order
  std::vector<std::int32_t> node_pq_pos;  // node → position among pq_nodes, −1 for slack

  // Newton–Raphson: Jacobian pattern (2×2 block per Ybus entry), slots, symbolic analysis
  bool newton_ready = false;
  RealSparse jacobian;
  std::vector<int> jac_slots;  // 4 per Ybus non-zero (dθ P, dθ Q, d|V| P, d|V| Q) or −1
  std::vector<int> ybus_diag;  // per node, position of its diagonal in Ybus's values
  Eigen::SparseLU<RealSparse, Eigen::COLAMDOrdering<int>> jacobian_lu;
  Eigen::VectorXd mismatch;
  Eigen::VectorXd step;

  // implicit Zbus: factorised Y_LL
  bool zbus_ready = false;
  Eigen::SparseLU<ComplexSparse, Eigen::COLAMDOrdering<int>> y_ll_lu;
  Eigen::VectorXcd y_l0_v0;  // [pu] Y_L0·V_0, the slack nodes' share of the load-node currents
  Eigen::VectorXcd rhs;
  Eigen::VectorXcd v_l;

  // work space shared by both methods
  NodePower power;
  std::vector<Complex> v;
  std::vector<Complex> current;

  explicit Impl(const Network& network) : net(&network) {
    const auto n_nodes = static_cast<std::size_t>(network.n_nodes());
    node_pq_pos.assign(n_nodes, -1);
    for (std::size_t n = 0; n < n_nodes; ++n) {
      if (network.node_is_slack()[n] != 0) continue;
      node_pq_pos[n] = static_cast<std::int32_t>(pq_nodes.size());
      pq_nodes.push_back(static_cast<std::int32_t>(n));
    }
    v.resize(n_nodes);
    current.resize(n_nodes);
  }

  void prepare_newton();
  void prepare_zbus();
  void run_newton(const PowerFlowOptions& options, PowerFlowResult& result);
  void run_zbus(const PowerFlowOptions& options, PowerFlowResult& result);
  void record_mismatch(const std::vector<Complex>& s_calc, PowerFlowResult& result) const;
  void fill_results(const Injections& injections, PowerFlowResult& result);
};

void PowerFlow::Impl::prepare_newton() {
  const ComplexSparse& y = net->ybus_pu();
  const auto n_pq = static_cast<int>(pq_nodes.size());

  // pattern: a 2×2 block for every Ybus entry between two PQ nodes
  std::vector<Eigen::Triplet<double, int>> triplets;
  for (int col = 0; col < y.outerSize(); ++col) {
    for (ComplexSparse::InnerIterator it(y, col); it; ++it) {
      const std::int32_t p = node_pq_pos[static_cast<std::size_t>(it.row())];
      const std::int32_t q = node_pq_pos[static_cast<std::size_t>(col)];
      if (p < 0 || q < 0) continue;
      for (int dr = 0; dr < 2; ++dr) {
        for (int dc = 0; dc < 2; ++dc) triplets.emplace_back(2 * p + dr, 2 * q + dc, 1.0);
      }
    }
  }
  jacobian.resize(2 * n_pq, 2 * n_pq);
  jacobian.setFromTriplets(triplets.begin(), triplets.end());
  jacobian.makeCompressed();

  // value slots of each Ybus entry's block, and where each node's diagonal sits
  jac_slots.assign(4 * static_cast<std::size_t>(y.nonZeros()), -1);
  ybus_diag.assign(static_cast<std::size_t>(net->n_nodes()), -1);
  for (int col = 0; col < y.outerSize(); ++col) {
    for (int k = y.outerIndexPtr()[col]; k < y.outerIndexPtr()[col + 1]; ++k) {
      const int row = y.innerIndexPtr()[k];
      if (row == col) ybus_diag[static_cast<std::size_t>(col)] = k;
      const std::int32_t p = node_pq_pos[static_cast<std::size_t>(row)];
      const std::int32_t q = node_pq_pos[static_cast<std::size_t>(col)];
      if (p < 0 || q < 0) continue;
      const auto base = 4 * static_cast<std::size_t>(k);
      jac_slots[base + 0] = slot_of(jacobian, 2 * p, 2 * q);
      jac_slots[base + 1] = slot_of(jacobian, 2 * p + 1, 2 * q);
      jac_slots[base + 2] = slot_of(jacobian, 2 * p, 2 * q + 1);
      jac_slots[base + 3] = slot_of(jacobian, 2 * p + 1, 2 * q + 1);
    }
  }
  if (n_pq > 0) jacobian_lu.analyzePattern(jacobian);
  mismatch.resize(2 * n_pq);
  step.resize(2 * n_pq);
  newton_ready = true;
}

void PowerFlow::Impl::prepare_zbus() {
  const ComplexSparse& y = net->ybus_pu();
  const auto n_pq = static_cast<int>(pq_nodes.size());

  // split Ybus into Y_LL (load nodes) and Y_L0·V_0 (slack nodes at their fixed voltage)
  std::vector<Eigen::Triplet<Complex, int>> triplets;
  y_l0_v0 = Eigen::VectorXcd::Zero(n_pq);
  for (int col = 0; col < y.outerSize(); ++col) {
    const std::int32_t q = node_pq_pos[static_cast<std::size_t>(col)];
    for (ComplexSparse::InnerIterator it(y, col); it; ++it) {
      const std::int32_t p = node_pq_pos[static_cast<std::size_t>(it.row())];
      if (p < 0) continue;
      if (q >= 0) {
        triplets.emplace_back(p, q, it.value());
      } else {
        y_l0_v0[p] += it.value() * net->slack_voltage_pu()[static_cast<std::size_t>(col)];
      }
    }
  }
  ComplexSparse y_ll(n_pq, n_pq);
  y_ll.setFromTriplets(triplets.begin(), triplets.end());
  y_ll.makeCompressed();
  if (n_pq > 0) {  // Eigen's SparseLU does not take an empty matrix
    y_ll_lu.analyzePattern(y_ll);
    y_ll_lu.factorize(y_ll);
    CITYTWIN_CHECK(y_ll_lu.info() == Eigen::Success,
                   "Y_LL is singular although every node is energised");
  }
  rhs.resize(n_pq);
  v_l.resize(n_pq);
  zbus_ready = true;
}

void PowerFlow::Impl::record_mismatch(const std::vector<Complex>& s_calc,
                                      PowerFlowResult& result) const {
  // largest |ΔP| or |ΔQ| over load nodes, in MVA, with its bus
  double worst_pu = 0.0;
  std::int32_t worst_node = -1;
  for (const std::int32_t node : pq_nodes) {
    const auto n = static_cast<std::size_t>(node);
    const Complex delta = s_calc[n] - power.at(n, std::abs(v[n]));
    const double size_pu = std::max(std::abs(delta.real()), std::abs(delta.imag()));
    if (!(size_pu <= worst_pu)) {  // NaN wins so that divergence is reported
      worst_pu = size_pu;
      worst_node = node;
    }
  }
  result.max_mismatch_mva = worst_pu * net->sn_mva();
  result.worst_bus_idx =
      worst_node < 0 ? -1 : net->node_bus_idx()[static_cast<std::size_t>(worst_node)];
}

void PowerFlow::Impl::run_newton(const PowerFlowOptions& options, PowerFlowResult& result) {
  if (!newton_ready) prepare_newton();
  const ComplexSparse& y = net->ybus_pu();
  const int max_iterations = options.max_iterations > 0 ? options.max_iterations : 10;
  std::vector<Complex> s_calc(v.size());

  for (int iteration = 0;; ++iteration) {
    // mismatch F = S(V) − S_spec(V) at the load nodes
    multiply(y, v, current);
    for (std::size_t n = 0; n < v.size(); ++n) s_calc[n] = v[n] * std::conj(current[n]);
    record_mismatch(s_calc, result);
    for (std::size_t p = 0; p < pq_nodes.size(); ++p) {
      const auto n = static_cast<std::size_t>(pq_nodes[p]);
      const Complex delta = s_calc[n] - power.at(n, std::abs(v[n]));
      mismatch[static_cast<Eigen::Index>(2 * p)] = delta.real();
      mismatch[static_cast<Eigen::Index>(2 * p + 1)] = delta.imag();
    }
    result.converged = result.max_mismatch_mva <= options.tolerance_mva;
    if (result.converged || iteration >= max_iterations ||
        !std::isfinite(result.max_mismatch_mva)) {
      return;
    }

    // Jacobian values: off-diagonal and the Ybus part of the diagonal
    double* values = jacobian.valuePtr();
    std::fill(values, values + jacobian.nonZeros(), 0.0);
    for (int col = 0; col < y.outerSize(); ++col) {
      const Complex v_col = v[static_cast<std::size_t>(col)];
      const Complex v_col_unit = v_col / std::abs(v_col);
      for (int k = y.outerIndexPtr()[col]; k < y.outerIndexPtr()[col + 1]; ++k) {
        const auto base = 4 * static_cast<std::size_t>(k);
        if (jac_slots[base] < 0) continue;
        const Complex v_row = v[static_cast<std::size_t>(y.innerIndexPtr()[k])];
        const Complex y_ik = y.valuePtr()[k];
        const Complex d_theta = Complex(0.0, -1.0) * v_row * std::conj(y_ik * v_col);
        const Complex d_vm = v_row * std::conj(y_ik * v_col_unit);
        values[jac_slots[base + 0]] += d_theta.real();
        values[jac_slots[base + 1]] += d_theta.imag();
        values[jac_slots[base + 2]] += d_vm.real();
        values[jac_slots[base + 3]] += d_vm.imag();
      }
    }

    // diagonal: the current terms and the voltage dependence of ZIP loads
    for (const std::int32_t node : pq_nodes) {
      const auto n = static_cast<std::size_t>(node);
      const auto base = 4 * static_cast<std::size_t>(ybus_diag[n]);
      const double vm = std::abs(v[n]);
      const Complex d_theta = Complex(0.0, 1.0) * v[n] * std::conj(current[n]);
      const Complex d_vm =
          std::conj(current[n]) * v[n] / vm + 2.0 * power.s_z[n] * vm + power.s_i[n];
      values[jac_slots[base + 0]] += d_theta.real();
      values[jac_slots[base + 1]] += d_theta.imag();
      values[jac_slots[base + 2]] += d_vm.real();
      values[jac_slots[base + 3]] += d_vm.imag();
    }

    // numeric factorisation on the fixed symbolic analysis, then the Newton step
    jacobian_lu.factorize(jacobian);
    if (jacobian_lu.info() != Eigen::Success) return;
    step = jacobian_lu.solve(-mismatch);
    ++result.iterations;
    for (std::size_t p = 0; p < pq_nodes.size(); ++p) {
      const auto n = static_cast<std::size_t>(pq_nodes[p]);
      const double va = std::arg(v[n]) + step[static_cast<Eigen::Index>(2 * p)];
      const double vm = std::abs(v[n]) + step[static_cast<Eigen::Index>(2 * p + 1)];
      v[n] = std::polar(vm, va);
    }
  }
}

void PowerFlow::Impl::run_zbus(const PowerFlowOptions& options, PowerFlowResult& result) {
  if (!zbus_ready) prepare_zbus();
  const int max_iterations = options.max_iterations > 0 ? options.max_iterations : 100;
  const double tolerance_pu = options.tolerance_mva / net->sn_mva();
  result.max_mismatch_mva = 0.0;
  result.worst_bus_idx = -1;
  result.converged = pq_nodes.empty();

  while (!result.converged && result.iterations < max_iterations) {
    // load-node currents at the present voltages, then V_L = Y_LL⁻¹ (I_L − Y_L0·V_0)
    for (std::size_t p = 0; p < pq_nodes.size(); ++p) {
      const auto n = static_cast<std::size_t>(pq_nodes[p]);
      const Complex s = power.at(n, std::abs(v[n]));
      current[n] = std::conj(s / v[n]);
      rhs[static_cast<Eigen::Index>(p)] = current[n] - y_l0_v0[static_cast<Eigen::Index>(p)];
    }
    v_l = y_ll_lu.solve(rhs);
    ++result.iterations;

    // mismatch at the new voltages: (Y·V_new)_L equals the currents just used
    double worst_pu = 0.0;
    std::int32_t worst_node = -1;
    for (std::size_t p = 0; p < pq_nodes.size(); ++p) {
      const auto n = static_cast<std::size_t>(pq_nodes[p]);
      v[n] = v_l[static_cast<Eigen::Index>(p)];
      const Complex delta = v[n] * std::conj(current[n]) - power.at(n, std::abs(v[n]));
      const double size_pu = std::max(std::abs(delta.real()), std::abs(delta.imag()));
      if (!(size_pu <= worst_pu)) {
        worst_pu = size_pu;
        worst_node = pq_nodes[p];
      }
    }
    result.max_mismatch_mva = worst_pu * net->sn_mva();
    result.worst_bus_idx =
        worst_node < 0 ? -1 : net->node_bus_idx()[static_cast<std::size_t>(worst_node)];
    result.converged = worst_pu <= tolerance_pu;
    if (!std::isfinite(worst_pu)) break;
  }
}

void PowerFlow::Impl::fill_results(const Injections& inj, PowerFlowResult& r) {
  const NetworkTables& t = net->tables();
  const double sn = net->sn_mva();
  const auto& bus_node = net->bus_node_idx();
  const auto volt = [&](std::int32_t node) {
    return node < 0 ? Complex(0.0, 0.0) : v[static_cast<std::size_t>(node)];
  };

  // bus voltages; fused buses share their node's voltage
  const std::size_t n_buses = t.buses.size();
  r.bus.vm_pu.assign(n_buses, kNaN);
  r.bus.va_degree.assign(n_buses, kNaN);
  r.bus.p_mw.assign(n_buses, 0.0);
  r.bus.q_mvar.assign(n_buses, 0.0);
  for (std::size_t b = 0; b < n_buses; ++b) {
    if (bus_node[b] < 0) continue;
    r.bus.vm_pu[b] = std::abs(volt(bus_node[b]));
    r.bus.va_degree[b] = std::arg(volt(bus_node[b])) * kRadToDeg;
  }

  // element powers at the solved voltages, summed per bus (generation positive)
  std::vector<Complex> node_elements(v.size(), 0.0);
  r.load.p_mw.assign(t.loads.size(), 0.0);
  r.load.q_mvar.assign(t.loads.size(), 0.0);
  for (std::size_t i = 0; i < t.loads.size(); ++i) {
    const auto b = static_cast<std::size_t>(t.loads.bus_idx[i]);
    if (t.loads.in_service[i] == 0 || bus_node[b] < 0) continue;
    const double vm = r.bus.vm_pu[b];
    const ZipShares zip = zip_of(t.loads, i);
    r.load.p_mw[i] =
        inj.load_p_mw[i] * (zip.z_p * vm * vm + zip.i_p * vm + 1.0 - zip.z_p - zip.i_p);
    r.load.q_mvar[i] =
        inj.load_q_mvar[i] * (zip.z_q * vm * vm + zip.i_q * vm + 1.0 - zip.z_q - zip.i_q);
    r.bus.p_mw[b] -= r.load.p_mw[i];
    r.bus.q_mvar[b] -= r.load.q_mvar[i];
  }
  for (std::size_t i = 0; i < t.sgens.size(); ++i) {
    const auto b = static_cast<std::size_t>(t.sgens.bus_idx[i]);
    if (t.sgens.in_service[i] == 0 || bus_node[b] < 0) continue;
    r.bus.p_mw[b] += inj.sgen_p_mw[i];
    r.bus.q_mvar[b] += inj.sgen_q_mvar[i];
  }
  for (std::size_t i = 0; i < t.storages.size(); ++i) {
    const auto b = static_cast<std::size_t>(t.storages.bus_idx[i]);
    if (t.storages.in_service[i] == 0 || bus_node[b] < 0) continue;
    r.bus.p_mw[b] -= inj.storage_p_mw[i];
    r.bus.q_mvar[b] -= inj.storage_q_mvar[i];
  }
  for (std::size_t b = 0; b < n_buses; ++b) {
    if (bus_node[b] >= 0) {
      node_elements[static_cast<std::size_t>(bus_node[b])] +=
          Complex(r.bus.p_mw[b], r.bus.q_mvar[b]);
    }
  }

  // external grids supply what the network draws at their node beyond the node's elements
  multiply(net->ybus_pu(), v, current);
  r.ext_grid.p_mw.assign(t.ext_grids.size(), 0.0);
  r.ext_grid.q_mvar.assign(t.ext_grids.size(), 0.0);
  std::vector<std::uint8_t> node_done(v.size(), 0);
  for (std::size_t g = 0; g < t.ext_grids.size(); ++g) {
    const std::int32_t node = net->ext_grid_node_idx()[g];
    if (node < 0 || node_done[static_cast<std::size_t>(node)] != 0) continue;
    const auto n = static_cast<std::size_t>(node);
    node_done[n] = 1;
    const Complex s_ext = v[n] * std::conj(current[n]) * sn - node_elements[n];
    r.ext_grid.p_mw[g] = s_ext.real();
    r.ext_grid.q_mvar[g] = s_ext.imag();
    const auto b = static_cast<std::size_t>(t.ext_grids.bus_idx[g]);
    r.bus.p_mw[b] += s_ext.real();
    r.bus.q_mvar[b] += s_ext.imag();
  }

  // branch end powers [MVA] and currents [kA] from the two-port stamps
  struct Ends {
    Complex s_from, s_to;
    double i_from_ka, i_to_ka;
  };
  const auto ends = [&](const BranchStamps& s, std::size_t i, double vn_from_kv, double vn_to_kv) {
    const Complex v_f = volt(s.from_node_idx[i]);
    const Complex v_t = volt(s.to_node_idx[i]);
    const Complex i_f = s.y_ff_pu[i] * v_f + s.y_ft_pu[i] * v_t;
    const Complex i_t = s.y_tf_pu[i] * v_f + s.y_tt_pu[i] * v_t;
    return Ends{v_f * std::conj(i_f) * sn, v_t * std::conj(i_t) * sn,
                std::abs(i_f) * sn / (kSqrt3 * vn_from_kv),
                std::abs(i_t) * sn / (kSqrt3 * vn_to_kv)};
  };
  r.loss_p_mw = 0.0;
  r.loss_q_mvar = 0.0;

  // lines
  const std::size_t n_lines = t.lines.size();
  auto& lr = r.line;
  for (auto* column : {&lr.p_from_mw, &lr.q_from_mvar, &lr.p_to_mw, &lr.q_to_mvar, &lr.pl_mw,
                       &lr.ql_mvar, &lr.i_from_ka, &lr.i_to_ka, &lr.i_ka, &lr.loading_percent}) {
    column->assign(n_lines, 0.0);
  }
  for (std::size_t i = 0; i < n_lines; ++i) {
    const double vn_from_kv = t.buses.vn_kv[static_cast<std::size_t>(t.lines.from_bus_idx[i])];
    const double vn_to_kv = t.buses.vn_kv[static_cast<std::size_t>(t.lines.to_bus_idx[i])];
    const Ends e = ends(net->line_stamps(), i, vn_from_kv, vn_to_kv);
    lr.p_from_mw[i] = e.s_from.real();
    lr.q_from_mvar[i] = e.s_from.imag();
    lr.p_to_mw[i] = e.s_to.real();
    lr.q_to_mvar[i] = e.s_to.imag();
    lr.pl_mw[i] = e.s_from.real() + e.s_to.real();
    lr.ql_mvar[i] = e.s_from.imag() + e.s_to.imag();
    lr.i_from_ka[i] = e.i_from_ka;
    lr.i_to_ka[i] = e.i_to_ka;
    lr.i_ka[i] = std::max(e.i_from_ka, e.i_to_ka);
    lr.loading_percent[i] =
        100.0 * lr.i_ka[i] /
        (t.lines.max_i_ka[i] * t.lines.df_frac[i] * static_cast<double>(t.lines.n_parallel[i]));
    r.loss_p_mw += lr.pl_mw[i];
    r.loss_q_mvar += lr.ql_mvar[i];
  }

  // transformers, loading on the rated current of the more loaded side
  const std::size_t n_trafos = t.trafos.size();
  auto& tr = r.trafo;
  for (auto* column : {&tr.p_hv_mw, &tr.q_hv_mvar, &tr.p_lv_mw, &tr.q_lv_mvar, &tr.pl_mw,
                       &tr.ql_mvar, &tr.i_hv_ka, &tr.i_lv_ka, &tr.loading_percent}) {
    column->assign(n_trafos, 0.0);
  }
  for (std::size_t i = 0; i < n_trafos; ++i) {
    const double vn_hv_kv = t.buses.vn_kv[static_cast<std::size_t>(t.trafos.hv_bus_idx[i])];
    const double vn_lv_kv = t.buses.vn_kv[static_cast<std::size_t>(t.trafos.lv_bus_idx[i])];
    const Ends e = ends(net->trafo_stamps(), i, vn_hv_kv, vn_lv_kv);
    tr.p_hv_mw[i] = e.s_from.real();
    tr.q_hv_mvar[i] = e.s_from.imag();
    tr.p_lv_mw[i] = e.s_to.real();
    tr.q_lv_mvar[i] = e.s_to.imag();
    tr.pl_mw[i] = e.s_from.real() + e.s_to.real();
    tr.ql_mvar[i] = e.s_from.imag() + e.s_to.imag();
    tr.i_hv_ka[i] = e.i_from_ka;
    tr.i_lv_ka[i] = e.i_to_ka;
    const double rated_mva =
        t.trafos.sn_mva[i] * t.trafos.df_frac[i] * static_cast<double>(t.trafos.n_parallel[i]);
    tr.loading_percent[i] =
        100.0 * kSqrt3 *
        std::max(e.i_from_ka * t.trafos.vn_hv_kv[i], e.i_to_ka * t.trafos.vn_lv_kv[i]) / rated_mva;
    r.loss_p_mw += tr.pl_mw[i];
    r.loss_q_mvar += tr.ql_mvar[i];
  }

  // impedance switches only add losses
  for (std::size_t i = 0; i < t.switches.size(); ++i) {
    const double vn_kv = t.buses.vn_kv[static_cast<std::size_t>(t.switches.bus_idx[i])];
    const Ends e = ends(net->switch_stamps(), i, vn_kv, vn_kv);
    r.loss_p_mw += e.s_from.real() + e.s_to.real();
    r.loss_q_mvar += e.s_from.imag() + e.s_to.imag();
  }
  r.node_v_pu = v;
}

PowerFlow::PowerFlow(const Network& network) : impl_(std::make_unique<Impl>(network)) {}
PowerFlow::~PowerFlow() = default;
PowerFlow::PowerFlow(PowerFlow&&) noexcept = default;
PowerFlow& PowerFlow::operator=(PowerFlow&&) noexcept = default;

PowerFlowResult PowerFlow::solve(const Injections& injections, const PowerFlowOptions& options,
                                 const PowerFlowResult* warm_start) {
  Impl& s = *impl_;
  const Network& net = *s.net;
  const NetworkTables& t = net.tables();
  check_size(injections.load_p_mw.size(), t.loads.size(), "load_p_mw");
  check_size(injections.load_q_mvar.size(), t.loads.size(), "load_q_mvar");
  check_size(injections.sgen_p_mw.size(), t.sgens.size(), "sgen_p_mw");
  check_size(injections.sgen_q_mvar.size(), t.sgens.size(), "sgen_q_mvar");
  check_size(injections.storage_p_mw.size(), t.storages.size(), "storage_p_mw");
  check_size(injections.storage_q_mvar.size(), t.storages.size(), "storage_q_mvar");
  if (!(options.tolerance_mva > 0.0)) {
    throw std::invalid_argument("options.tolerance_mva must be > 0 (got " +
                                std::to_string(options.tolerance_mva) + ")");
  }

  // start voltages: the previous solution when it fits, else the shift-aware flat start
  node_power(net, injections, s.power);
  const std::vector<Complex>& start = net.start_voltage_pu();
  const bool warm =
      warm_start != nullptr && warm_start->node_v_pu.size() == start.size() &&
      std::all_of(warm_start->node_v_pu.begin(), warm_start->node_v_pu.end(), [](Complex x) {
        return std::isfinite(x.real()) && std::isfinite(x.imag()) && x != 0.0;
      });
  s.v = warm ? warm_start->node_v_pu : start;
  for (std::size_t n = 0; n < s.v.size(); ++n) {
    if (net.node_is_slack()[n] != 0) s.v[n] = net.slack_voltage_pu()[n];
  }

  PowerFlowResult result;
  if (options.method == PowerFlowMethod::kNewtonRaphson) {
    s.run_newton(options, result);
  } else {
    s.run_zbus(options, result);
  }
  s.fill_results(injections, result);
  return result;
}

PowerFlowResult power_flow(const Network& network, const Injections& injections,
                           const PowerFlowOptions& options) {
  PowerFlow solver(network);
  return solver.solve(injections, options);
}

}  // namespace citytwin::energy
