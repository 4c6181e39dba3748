#pragma once

#include <complex>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <Eigen/SparseCore>

namespace citytwin::energy {

/// The phase(s) a load, static generator or storage unit hangs on. The balanced power flow adds
/// a single-phase element's power to its bus as it is (see docs/models/energy.md#network-format);
/// the column is kept so that an unbalanced solver can use it later.
enum class Phase : std::uint8_t {
  kAbc = 0,  ///< three-phase element, powers are three-phase totals
  kA = 1,    ///< single-phase element on phase a
  kB = 2,    ///< single-phase element on phase b
  kC = 3,    ///< single-phase element on phase c
};

/// Which side of a two-winding transformer carries the tap changer.
enum class TapSide : std::uint8_t {
  kNone = 0,  ///< no tap changer: tap columns are ignored
  kHv = 1,    ///< tap changer on the high-voltage winding
  kLv = 2,    ///< tap changer on the low-voltage winding
};

/// The kind of element the far end of a switch refers to (pandapower's `et` column).
enum class SwitchElement : std::uint8_t {
  kBus = 0,    ///< bus–bus switch: `element_idx` is a bus
  kLine = 1,   ///< line switch at `bus`: `element_idx` is a line
  kTrafo = 2,  ///< transformer switch at `bus`: `element_idx` is a transformer
};

/// Buses, one entry per row of buses.csv (n_buses).
struct BusTable {
  std::vector<std::int64_t> bus_id;      ///< stable id: the index column of buses.csv
  std::vector<std::string> name;         ///< free text, may be empty
  std::vector<double> vn_kv;             ///< [kV] nominal line-to-line voltage, > 0
  std::vector<std::uint8_t> in_service;  ///< 1 = in service, 0 = ignored

  /// Returns the number of rows.
  [[nodiscard]] std::size_t size() const { return bus_id.size(); }
};

/// Lines (π model), one entry per row of lines.csv (n_lines).
struct LineTable {
  std::vector<std::int64_t> line_id;       ///< stable id: the index column of lines.csv
  std::vector<std::string> name;           ///< free text, may be empty
  std::vector<std::int32_t> from_bus_idx;  ///< dense index into BusTable
  std::vector<std::int32_t> to_bus_idx;    ///< dense index into BusTable
  std::vector<double> length_km;           ///< [km] line length, > 0
  std::vector<double> r_ohm_per_km;        ///< [Ω/km] series resistance of one system
  std::vector<double> x_ohm_per_km;        ///< [Ω/km] series reactance of one system
  std::vector<double> g_us_per_km;         ///< [µS/km] total shunt conductance of one system
  std::vector<double> b_us_per_km;         ///< [µS/km] total shunt susceptance of one system
  std::vector<double> max_i_ka;            ///< [kA] thermal current limit of one system, > 0
  std::vector<std::int32_t> n_parallel;    ///< [systems] number of parallel systems, >= 1
  std::vector<double> df_frac;             ///< [0..1] derating factor applied to max_i_ka
  std::vector<std::uint8_t> in_service;    ///< 1 = in service, 0 = ignored

  /// Returns the number of rows.
  [[nodiscard]] std::size_t size() const { return line_id.size(); }
};

/// Two-winding transformers, one entry per row of trafos.csv (n_trafos).
struct TrafoTable {
  std::vector<std::int64_t> trafo_id;    ///< stable id: the index column of trafos.csv
  std::vector<std::string> name;         ///< free text, may be empty
  std::vector<std::int32_t> hv_bus_idx;  ///< dense index into BusTable
  std::vector<std::int32_t> lv_bus_idx;  ///< dense index into BusTable
  std::vector<double> sn_mva;            ///< [MVA] rated apparent power of one unit, > 0
  std::vector<double> vn_hv_kv;          ///< [kV] rated HV winding voltage, > 0
  std::vector<double> vn_lv_kv;          ///< [kV] rated LV winding voltage, > 0
  std::vector<double> vk_percent;        ///< [% of sn_mva] short-circuit voltage, > 0
  std::vector<double> vkr_percent;       ///< [% of sn_mva] real part of vk_percent, 0..vk
  std::vector<double> pfe_kw;            ///< [kW] iron losses at rated voltage, >= 0
  std::vector<double> i0_percent;        ///< [% of rated current] no-load current, >= 0
  std::vector<double> shift_degree;      ///< [deg] vector-group phase shift: the LV side lags
  std::vector<TapSide> tap_side;         ///< winding with the tap changer, kNone if none
  std::vector<double> tap_neutral;       ///< [steps] neutral tap position
  std::vector<double> tap_pos;           ///< [steps] current tap position
  std::vector<double> tap_step_percent;  ///< [% of rated voltage] voltage change per step
  std::vector<double> tap_step_degree;   ///< [deg] phase change per step, 0 if none
  std::vector<std::int32_t> n_parallel;  ///< [units] number of parallel units, >= 1
  std::vector<double> df_frac;           ///< [0..1] derating factor applied to sn_mva
  std::vector<std::uint8_t> in_service;  ///< 1 = in service, 0 = ignored

  /// Returns the number of rows.
  [[nodiscard]] std::size_t size() const { return trafo_id.size(); }
};

/// Switches, one entry per row of switches.csv (n_switches).
struct SwitchTable {
  std::vector<std::int64_t> switch_id;      ///< stable id: the index column of switches.csv
  std::vector<std::string> name;            ///< free text, may be empty
  std::vector<std::int32_t> bus_idx;        ///< dense index of the bus the switch sits at
  std::vector<std::int32_t> element_idx;    ///< dense index of the bus, line or transformer
  std::vector<SwitchElement> element_type;  ///< what element_idx refers to
  std::vector<std::uint8_t> closed;         ///< 1 = closed, 0 = open
  std::vector<double> z_ohm;  ///< [Ω] resistance of a closed bus–bus switch, 0 fuses

  /// Returns the number of rows.
  [[nodiscard]] std::size_t size() const { return switch_id.size(); }
};

/// Loads (consumption positive), one entry per row of loads.csv (n_loads). The voltage
/// dependence is P(V) = P·(z·|V|² + i·|V| + (1 − z − i)) with the shares z, i below.
struct LoadTable {
  std::vector<std::int64_t> load_id;      ///< stable id: the index column of loads.csv
  std::vector<std::string> name;          ///< free text, may be empty
  std::vector<std::int32_t> bus_idx;      ///< dense index into BusTable
  std::vector<double> p_mw;               ///< [MW] active power at 1 pu, consumption positive
  std::vector<double> q_mvar;             ///< [Mvar] reactive power at 1 pu
  std::vector<double> const_z_p_percent;  ///< [%] constant-impedance share of p_mw
  std::vector<double> const_i_p_percent;  ///< [%] constant-current share of p_mw
  std::vector<double> const_z_q_percent;  ///< [%] constant-impedance share of q_mvar
  std::vector<double> const_i_q_percent;  ///< [%] constant-current share of q_mvar
  std::vector<double> scaling;            ///< [-] factor on p_mw and q_mvar, >= 0
  std::vector<Phase> phase;               ///< phase(s) the load hangs on
  std::vector<std::uint8_t> in_service;   ///< 1 = in service, 0 = ignored

  /// Returns the number of rows.
  [[nodiscard]] std::size_t size() const { return load_id.size(); }
};

/// Static generators such as PV inverters (generation positive), one entry per row of sgens.csv.
struct SgenTable {
  std::vector<std::int64_t> sgen_id;     ///< stable id: the index column of sgens.csv
  std::vector<std::string> name;         ///< free text, may be empty
  std::vector<std::int32_t> bus_idx;     ///< dense index into BusTable
  std::vector<double> p_mw;              ///< [MW] active power, generation positive
  std::vector<double> q_mvar;            ///< [Mvar] reactive power, generation positive
  std::vector<double> scaling;           ///< [-] factor on p_mw and q_mvar, >= 0
  std::vector<Phase> phase;              ///< phase(s) the generator hangs on
  std::vector<std::uint8_t> in_service;  ///< 1 = in service, 0 = ignored

  /// Returns the number of rows.
  [[nodiscard]] std::size_t size() const { return sgen_id.size(); }
};

/// Storage units (charging positive), one entry per row of storages.csv (n_storages).
struct StorageTable {
  std::vector<std::int64_t> storage_id;  ///< stable id: the index column of storages.csv
  std::vector<std::string> name;         ///< free text, may be empty
  std::vector<std::int32_t> bus_idx;     ///< dense index into BusTable
  std::vector<double> p_mw;              ///< [MW] active power, positive = charging
  std::vector<double> q_mvar;            ///< [Mvar] reactive power, consumption positive
  std::vector<double> max_e_mwh;         ///< [MWh] energy capacity (not used by the power flow)
  std::vector<double> scaling;           ///< [-] factor on p_mw and q_mvar, >= 0
  std::vector<Phase> phase;              ///< phase(s) the unit hangs on
  std::vector<std::uint8_t> in_service;  ///< 1 = in service, 0 = ignored

  /// Returns the number of rows.
  [[nodiscard]] std::size_t size() const { return storage_id.size(); }
};

/// External grids (slack buses), one entry per row of ext_grid.csv (n_ext_grids).
struct ExtGridTable {
  std::vector<std::int64_t> ext_grid_id;  ///< stable id: the index column of ext_grid.csv
  std::vector<std::string> name;          ///< free text, may be empty
  std::vector<std::int32_t> bus_idx;      ///< dense index into BusTable
  std::vector<double> vm_pu;              ///< [pu] voltage magnitude set point, > 0
  std::vector<double> va_degree;          ///< [deg] voltage angle set point
  std::vector<std::uint8_t> in_service;   ///< 1 = in service, 0 = ignored

  /// Returns the number of rows.
  [[nodiscard]] std::size_t size() const { return ext_grid_id.size(); }
};

/// Every element table of one network, as read from a folder (see readers/network_csv.hpp) or
/// built in code. Bus references are dense indices into `buses`.
struct NetworkTables {
  std::string label;       ///< free text describing the network
  double sn_mva = 1.0;     ///< [MVA] system base power of the per-unit system, > 0
  double f_hz = 50.0;      ///< [Hz] system frequency
  BusTable buses;          ///< buses
  LineTable lines;         ///< lines
  TrafoTable trafos;       ///< two-winding transformers
  SwitchTable switches;    ///< switches
  LoadTable loads;         ///< loads
  SgenTable sgens;         ///< static generators
  StorageTable storages;   ///< storage units
  ExtGridTable ext_grids;  ///< external grids (slack)
};

/// The powers of the loads, static generators and storage units for one power flow, indexed like
/// their tables. These change between calls; the topology in Network does not.
struct Injections {
  std::vector<double> load_p_mw;       ///< [MW] per load at 1 pu voltage, consumption positive
  std::vector<double> load_q_mvar;     ///< [Mvar] per load at 1 pu voltage, consumption positive
  std::vector<double> sgen_p_mw;       ///< [MW] per static generator, generation positive
  std::vector<double> sgen_q_mvar;     ///< [Mvar] per static generator, generation positive
  std::vector<double> storage_p_mw;    ///< [MW] per storage unit, charging positive
  std::vector<double> storage_q_mvar;  ///< [Mvar] per storage unit, consumption positive
};

/// Two-port admittance stamps of a set of branches in per unit on the system base, indexed like
/// the element table: I_from = y_ff·V_from + y_ft·V_to and I_to = y_tf·V_from + y_tt·V_to.
/// A branch that is out of service has both nodes −1; one open end has that node −1 and the
/// floating end eliminated into y_ff (or y_tt).
struct BranchStamps {
  std::vector<std::int32_t> from_node_idx;    ///< electrical node of the from (HV) end or −1
  std::vector<std::int32_t> to_node_idx;      ///< electrical node of the to (LV) end or −1
  std::vector<std::complex<double>> y_ff_pu;  ///< [pu] self admittance seen from the from end
  std::vector<std::complex<double>> y_ft_pu;  ///< [pu] transfer admittance
  std::vector<std::complex<double>> y_tf_pu;  ///< [pu] transfer admittance
  std::vector<std::complex<double>> y_tt_pu;  ///< [pu] self admittance seen from the to end
};

/// A distribution network ready for power flow: the element tables plus the electrical model
/// derived from them once (node mapping, per-unit branch stamps, Ybus). Immutable after
/// construction, so it may be shared between threads for reading.
///
/// Buses joined by closed zero-impedance bus–bus switches form one electrical node; buses that
/// are out of service or not connected to an in-service external grid get no node (−1).
/// See docs/models/energy.md#power-flow for the branch models.
class Network {
 public:
  /// Builds the electrical model. Throws std::invalid_argument when a table has columns of
  /// different lengths, a bus reference is out of range, or a value makes the model singular
  /// (vn_kv <= 0, zero line impedance, sn_mva <= 0); the CSV reader reports these with positions.
  explicit Network(NetworkTables tables);

  /// Returns the element tables the network was built from.
  [[nodiscard]] const NetworkTables& tables() const { return tables_; }
  /// Returns the system base power [MVA].
  [[nodiscard]] double sn_mva() const { return tables_.sn_mva; }
  /// Returns the number of electrical nodes (energised, fused buses).
  [[nodiscard]] std::int32_t n_nodes() const { return n_nodes_; }
  /// Returns, per bus, its electrical node or −1 if it is out of service or not energised.
  [[nodiscard]] const std::vector<std::int32_t>& bus_node_idx() const { return bus_node_idx_; }
  /// Returns, per node, the first bus mapped to it (the node's representative bus).
  [[nodiscard]] const std::vector<std::int32_t>& node_bus_idx() const { return node_bus_idx_; }
  /// Returns, per node, 1 if an in-service external grid fixes its voltage.
  [[nodiscard]] const std::vector<std::uint8_t>& node_is_slack() const { return node_is_slack_; }
  /// Returns, per node, the voltage set by its external grid [pu], 0 for other nodes.
  [[nodiscard]] const std::vector<std::complex<double>>& slack_voltage_pu() const {
    return slack_voltage_pu_;
  }
  /// Returns, per node, the start voltage of a fresh power flow [pu]: the magnitude of the
  /// island's external grid and its angle minus the transformer shifts on the way.
  [[nodiscard]] const std::vector<std::complex<double>>& start_voltage_pu() const {
    return start_voltage_pu_;
  }
  /// Returns, per external grid, the node it fixes (−1 if out of service or not energised).
  [[nodiscard]] const std::vector<std::int32_t>& ext_grid_node_idx() const {
    return ext_grid_node_idx_;
  }
  /// Returns the line stamps, indexed like tables().lines.
  [[nodiscard]] const BranchStamps& line_stamps() const { return line_stamps_; }
  /// Returns the transformer stamps (from = HV, to = LV), indexed like tables().trafos.
  [[nodiscard]] const BranchStamps& trafo_stamps() const { return trafo_stamps_; }
  /// Returns the stamps of closed bus–bus switches with z_ohm > 0, indexed like tables().switches.
  [[nodiscard]] const BranchStamps& switch_stamps() const { return switch_stamps_; }
  /// Returns the bus admittance matrix [pu], n_nodes × n_nodes, compressed column-major, with an
  /// explicit (possibly zero) entry on every diagonal position.
  [[nodiscard]] const Eigen::SparseMatrix<std::complex<double>>& ybus_pu() const {
    return ybus_pu_;
  }
  /// Returns the element powers written in the tables (p_mw, q_mvar times scaling).
  [[nodiscard]] Injections default_injections() const;

 private:
  NetworkTables tables_;
  std::int32_t n_nodes_ = 0;
  std::vector<std::int32_t> bus_node_idx_;
  std::vector<std::int32_t> node_bus_idx_;
  std::vector<std::uint8_t> node_is_slack_;
  std::vector<std::complex<double>> slack_voltage_pu_;
  std::vector<std::complex<double>> start_voltage_pu_;
  std::vector<std::int32_t> ext_grid_node_idx_;
  BranchStamps line_stamps_;
  BranchStamps trafo_stamps_;
  BranchStamps switch_stamps_;
  Eigen::SparseMatrix<std::complex<double>> ybus_pu_;
};

}  // namespace citytwin::energy
