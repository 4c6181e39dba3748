#pragma once

#include <complex>
#include <cstdint>
#include <memory>
#include <vector>

#include <citytwin/energy/network.hpp>

namespace citytwin::energy {

/// The iteration a power flow uses (docs/models/energy.md#power-flow).
enum class PowerFlowMethod : std::uint8_t {
  kNewtonRaphson = 0,  ///< polar Newton–Raphson, quadratic convergence, one LU per iteration
  kImplicitZbus = 1,   ///< fixed-point current injection on a once-factorised Y_LL
};

/// Settings of one power flow.
struct PowerFlowOptions {
  PowerFlowMethod method = PowerFlowMethod::kNewtonRaphson;  ///< iteration scheme
  double tolerance_mva = 1e-8;  ///< [MVA] converged when every nodal |ΔP| and |ΔQ| is below
  int max_iterations = 0;       ///< [iterations] 0 = automatic: 10 (Newton), 100 (Zbus)
};

/// Bus results, indexed like NetworkTables::buses (n_buses). De-energised buses hold NaN voltages.
struct BusResult {
  std::vector<double> vm_pu;      ///< [pu] voltage magnitude on the bus's vn_kv
  std::vector<double> va_degree;  ///< [deg] voltage angle
  std::vector<double> p_mw;       ///< [MW] net injection of the bus's elements, generation positive
  std::vector<double> q_mvar;     ///< [Mvar] net injection of the bus's elements
};

/// Line results, indexed like NetworkTables::lines (n_lines). Powers flow into the line.
struct LineResult {
  std::vector<double> p_from_mw;        ///< [MW] active power into the line at from_bus
  std::vector<double> q_from_mvar;      ///< [Mvar] reactive power into the line at from_bus
  std::vector<double> p_to_mw;          ///< [MW] active power into the line at to_bus
  std::vector<double> q_to_mvar;        ///< [Mvar] reactive power into the line at to_bus
  std::vector<double> pl_mw;            ///< [MW] active losses
  std::vector<double> ql_mvar;          ///< [Mvar] reactive losses (negative when capacitive)
  std::vector<double> i_from_ka;        ///< [kA] current magnitude at from_bus
  std::vector<double> i_to_ka;          ///< [kA] current magnitude at to_bus
  std::vector<double> i_ka;             ///< [kA] the larger of i_from_ka and i_to_ka
  std::vector<double> loading_percent;  ///< [%] i_ka / (max_i_ka · df · parallel)
};

/// Transformer results, indexed like NetworkTables::trafos (n_trafos). Powers flow into it.
struct TrafoResult {
  std::vector<double> p_hv_mw;    ///< [MW] active power into the HV terminal
  std::vector<double> q_hv_mvar;  ///< [Mvar] reactive power into the HV terminal
  std::vector<double> p_lv_mw;    ///< [MW] active power into the LV terminal
  std::vector<double> q_lv_mvar;  ///< [Mvar] reactive power into the LV terminal
  std::vector<double> pl_mw;      ///< [MW] active losses (copper and iron)
  std::vector<double> ql_mvar;    ///< [Mvar] reactive losses
  std::vector<double> i_hv_ka;    ///< [kA] current magnitude at the HV terminal
  std::vector<double> i_lv_ka;    ///< [kA] current magnitude at the LV terminal
  std::vector<double>
      loading_percent;  ///< [%] current based: max(i·vn_kv) · √3 / (sn · df · parallel)
};

/// Powers drawn by the loads at the solved voltage (ZIP shares applied), indexed like loads.
struct LoadResult {
  std::vector<double> p_mw;    ///< [MW] consumption
  std::vector<double> q_mvar;  ///< [Mvar] consumption
};

/// External grid results, indexed like NetworkTables::ext_grids.
struct ExtGridResult {
  std::vector<double> p_mw;    ///< [MW] active power supplied to the network
  std::vector<double> q_mvar;  ///< [Mvar] reactive power supplied to the network
};

/// The outcome of one power flow. Every vector is indexed like its input table. When
/// `converged` is false the values are those of the last iterate and `max_mismatch_mva` and
/// `worst_bus_idx` say where the solution is off.
struct PowerFlowResult {
  bool converged = false;           ///< true when max_mismatch_mva <= tolerance_mva
  int iterations = 0;               ///< [iterations] linear solves performed
  double max_mismatch_mva = 0.0;    ///< [MVA] largest nodal |ΔP| or |ΔQ| at the final voltages
  std::int32_t worst_bus_idx = -1;  ///< bus of that largest mismatch (−1 if none)
  double loss_p_mw = 0.0;           ///< [MW] sum of line, transformer and switch active losses
  double loss_q_mvar = 0.0;         ///< [Mvar] sum of their reactive losses
  BusResult bus;                    ///< per bus
  LineResult line;                  ///< per line
  TrafoResult trafo;                ///< per transformer
  LoadResult load;                  ///< per load
  ExtGridResult ext_grid;           ///< per external grid
  std::vector<std::complex<double>> node_v_pu;  ///< [pu] complex voltage per electrical node
};

/// A power-flow solver bound to one Network. It keeps what depends on the topology only (node
/// ordering, the Jacobian's sparsity pattern and symbolic analysis, the factorised Y_LL), so
/// repeated calls with new injections are cheap. The Network must outlive the solver.
/// Not thread-safe: solve() reuses internal work space; use one solver per thread.
class PowerFlow {
 public:
  /// Binds the solver to `network`; the factorisations are made on first use of each method.
  explicit PowerFlow(const Network& network);
  ~PowerFlow();
  PowerFlow(PowerFlow&&) noexcept;
  PowerFlow& operator=(PowerFlow&&) noexcept;
  PowerFlow(const PowerFlow&) = delete;
  PowerFlow& operator=(const PowerFlow&) = delete;

  /// Solves the balanced AC power flow for `injections` (sized like the network's load, sgen and
  /// storage tables, else std::invalid_argument). Starts from `warm_start`'s node voltages when
  /// given and sized for this network, else from Network::start_voltage_pu(). Never throws on
  /// non-convergence: the result says so.
  [[nodiscard]] PowerFlowResult solve(const Injections& injections,
                                      const PowerFlowOptions& options = {},
                                      const PowerFlowResult* warm_start = nullptr);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Solves one power flow with a throw-away solver (see PowerFlow::solve).
[[nodiscard]] PowerFlowResult power_flow(const Network& network, const Injections& injections,
                                         const PowerFlowOptions& options = {});

}  // namespace citytwin::energy
