#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>
#include <string>
#include <utility>

#include <citytwin/energy/network.hpp>

namespace citytwin::energy {

namespace {

using Complex = std::complex<double>;

constexpr double kDegToRad = std::numbers::pi / 180.0;

// throws std::invalid_argument when a column of a table has the wrong length
void check_length(std::size_t actual, std::size_t expected, const char* column) {
  if (actual != expected) {
    throw std::invalid_argument(std::string("NetworkTables: column '") + column + "' has " +
                                std::to_string(actual) + " entries, expected " +
                                std::to_string(expected));
  }
}

// throws std::invalid_argument when a bus reference is out of range
void check_bus(std::int32_t bus_idx, std::size_t n_buses, const char* column, std::size_t row) {
  if (bus_idx < 0 || static_cast<std::size_t>(bus_idx) >= n_buses) {
    throw std::invalid_argument(std::string("NetworkTables: ") + column + "[" +
                                std::to_string(row) + "] = " + std::to_string(bus_idx) +
                                " is not a bus index (0.." + std::to_string(n_buses) + ")");
  }
}

// every column of every table has its table's length and every bus reference exists
void validate(const NetworkTables& t) {
  if (!(t.sn_mva > 0.0)) {
    throw std::invalid_argument("NetworkTables: sn_mva must be > 0 (got " +
                                std::to_string(t.sn_mva) + ")");
  }
  const std::size_t n_buses = t.buses.size();
  check_length(t.buses.name.size(), n_buses, "buses.name");
  check_length(t.buses.vn_kv.size(), n_buses, "buses.vn_kv");
  check_length(t.buses.in_service.size(), n_buses, "buses.in_service");
  for (std::size_t i = 0; i < n_buses; ++i) {
    if (!(t.buses.vn_kv[i] > 0.0)) {
      throw std::invalid_argument("NetworkTables: buses.vn_kv[" + std::to_string(i) +
                                  "] must be > 0");
    }
  }

  const auto& l = t.lines;
  const std::size_t n_lines = l.size();
  check_length(l.name.size(), n_lines, "lines.name");
  check_length(l.from_bus_idx.size(), n_lines, "lines.from_bus_idx");
  check_length(l.to_bus_idx.size(), n_lines, "lines.to_bus_idx");
  check_length(l.length_km.size(), n_lines, "lines.length_km");
  check_length(l.r_ohm_per_km.size(), n_lines, "lines.r_ohm_per_km");
  check_length(l.x_ohm_per_km.size(), n_lines, "lines.x_ohm_per_km");
  check_length(l.g_us_per_km.size(), n_lines, "lines.g_us_per_km");
  check_length(l.b_us_per_km.size(), n_lines, "lines.b_us_per_km");
  check_length(l.max_i_ka.size(), n_lines, "lines.max_i_ka");
  check_length(l.n_parallel.size(), n_lines, "lines.n_parallel");
  check_length(l.df_frac.size(), n_lines, "lines.df_frac");
  check_length(l.in_service.size(), n_lines, "lines.in_service");
  for (std::size_t i = 0; i < n_lines; ++i) {
    check_bus(l.from_bus_idx[i], n_buses, "lines.from_bus_idx", i);
    check_bus(l.to_bus_idx[i], n_buses, "lines.to_bus_idx", i);
    if (l.r_ohm_per_km[i] == 0.0 && l.x_ohm_per_km[i] == 0.0) {
      throw std::invalid_argument("NetworkTables: line " + std::to_string(i) +
                                  " has zero series impedance");
    }
    if (!(l.length_km[i] > 0.0) || l.n_parallel[i] < 1) {
      throw std::invalid_argument("NetworkTables: line " + std::to_string(i) +
                                  " needs length_km > 0 and n_parallel >= 1");
    }
  }

  const auto& tr = t.trafos;
  const std::size_t n_trafos = tr.size();
  check_length(tr.name.size(), n_trafos, "trafos.name");
  check_length(tr.hv_bus_idx.size(), n_trafos, "trafos.hv_bus_idx");
  check_length(tr.lv_bus_idx.size(), n_trafos, "trafos.lv_bus_idx");
  check_length(tr.sn_mva.size(), n_trafos, "trafos.sn_mva");
  check_length(tr.vn_hv_kv.size(), n_trafos, "trafos.vn_hv_kv");
  check_length(tr.vn_lv_kv.size(), n_trafos, "trafos.vn_lv_kv");
  check_length(tr.vk_percent.size(), n_trafos, "trafos.vk_percent");
  check_length(tr.vkr_percent.size(), n_trafos, "trafos.vkr_percent");
  check_length(tr.pfe_kw.size(), n_trafos, "trafos.pfe_kw");
  check_length(tr.i0_percent.size(), n_trafos, "trafos.i0_percent");
  check_length(tr.shift_degree.size(), n_trafos, "trafos.shift_degree");
  check_length(tr.tap_side.size(), n_trafos, "trafos.tap_side");
  check_length(tr.tap_neutral.size(), n_trafos, "trafos.tap_neutral");
  check_length(tr.tap_pos.size(), n_trafos, "trafos.tap_pos");
  check_length(tr.tap_step_percent.size(), n_trafos, "trafos.tap_step_percent");
  check_length(tr.tap_step_degree.size(), n_trafos, "trafos.tap_step_degree");
  check_length(tr.n_parallel.size(), n_trafos, "trafos.n_parallel");
  check_length(tr.df_frac.size(), n_trafos, "trafos.df_frac");
  check_length(tr.in_service.size(), n_trafos, "trafos.in_service");
  for (std::size_t i = 0; i < n_trafos; ++i) {
    check_bus(tr.hv_bus_idx[i], n_buses, "trafos.hv_bus_idx", i);
    check_bus(tr.lv_bus_idx[i], n_buses, "trafos.lv_bus_idx", i);
    if (!(tr.sn_mva[i] > 0.0) || !(tr.vn_hv_kv[i] > 0.0) || !(tr.vn_lv_kv[i] > 0.0) ||
        !(tr.vk_percent[i] > 0.0) || tr.vkr_percent[i] > tr.vk_percent[i] || tr.n_parallel[i] < 1) {
      throw std::invalid_argument("NetworkTables: transformer " + std::to_string(i) +
                                  " needs sn_mva, vn_hv_kv, vn_lv_kv, vk_percent > 0, "
                                  "vkr_percent <= vk_percent and n_parallel >= 1");
    }
  }

  const auto& s = t.switches;
  const std::size_t n_switches = s.size();
  check_length(s.name.size(), n_switches, "switches.name");
  check_length(s.bus_idx.size(), n_switches, "switches.bus_idx");
  check_length(s.element_idx.size(), n_switches, "switches.element_idx");
  check_length(s.element_type.size(), n_switches, "switches.element_type");
  check_length(s.closed.size(), n_switches, "switches.closed");
  check_length(s.z_ohm.size(), n_switches, "switches.z_ohm");
  for (std::size_t i = 0; i < n_switches; ++i) {
    check_bus(s.bus_idx[i], n_buses, "switches.bus_idx", i);
    const std::size_t n_targets = s.element_type[i] == SwitchElement::kBus    ? n_buses
                                  : s.element_type[i] == SwitchElement::kLine ? n_lines
                                                                              : n_trafos;
    if (s.element_idx[i] < 0 || static_cast<std::size_t>(s.element_idx[i]) >= n_targets) {
      throw std::invalid_argument("NetworkTables: switches.element_idx[" + std::to_string(i) +
                                  "] is out of range");
    }
  }

  const auto& ld = t.loads;
  const std::size_t n_loads = ld.size();
  check_length(ld.name.size(), n_loads, "loads.name");
  check_length(ld.bus_idx.size(), n_loads, "loads.bus_idx");
  check_length(ld.p_mw.size(), n_loads, "loads.p_mw");
  check_length(ld.q_mvar.size(), n_loads, "loads.q_mvar");
  check_length(ld.const_z_p_percent.size(), n_loads, "loads.const_z_p_percent");
  check_length(ld.const_i_p_percent.size(), n_loads, "loads.const_i_p_percent");
  check_length(ld.const_z_q_percent.size(), n_loads, "loads.const_z_q_percent");
  check_length(ld.const_i_q_percent.size(), n_loads, "loads.const_i_q_percent");
  check_length(ld.scaling.size(), n_loads, "loads.scaling");
  check_length(ld.phase.size(), n_loads, "loads.phase");
  check_length(ld.in_service.size(), n_loads, "loads.in_service");
  for (std::size_t i = 0; i < n_loads; ++i) check_bus(ld.bus_idx[i], n_buses, "loads.bus_idx", i);

  const auto& sg = t.sgens;
  const std::size_t n_sgens = sg.size();
  check_length(sg.name.size(), n_sgens, "sgens.name");
  check_length(sg.bus_idx.size(), n_sgens, "sgens.bus_idx");
  check_length(sg.p_mw.size(), n_sgens, "sgens.p_mw");
  check_length(sg.q_mvar.size(), n_sgens, "sgens.q_mvar");
  check_length(sg.scaling.size(), n_sgens, "sgens.scaling");
  check_length(sg.phase.size(), n_sgens, "sgens.phase");
  check_length(sg.in_service.size(), n_sgens, "sgens.in_service");
  for (std::size_t i = 0; i < n_sgens; ++i) check_bus(sg.bus_idx[i], n_buses, "sgens.bus_idx", i);

  const auto& st = t.storages;
  const std::size_t n_storages = st.size();
  check_length(st.name.size(), n_storages, "storages.name");
  check_length(st.bus_idx.size(), n_storages, "storages.bus_idx");
  check_length(st.p_mw.size(), n_storages, "storages.p_mw");
  check_length(st.q_mvar.size(), n_storages, "storages.q_mvar");
  check_length(st.max_e_mwh.size(), n_storages, "storages.max_e_mwh");
  check_length(st.scaling.size(), n_storages, "storages.scaling");
  check_length(st.phase.size(), n_storages, "storages.phase");
  check_length(st.in_service.size(), n_storages, "storages.in_service");
  for (std::size_t i = 0; i < n_storages; ++i) {
    check_bus(st.bus_idx[i], n_buses, "storages.bus_idx", i);
  }

  const auto& e = t.ext_grids;
  const std::size_t n_ext = e.size();
  check_length(e.name.size(), n_ext, "ext_grids.name");
  check_length(e.bus_idx.size(), n_ext, "ext_grids.bus_idx");
  check_length(e.vm_pu.size(), n_ext, "ext_grids.vm_pu");
  check_length(e.va_degree.size(), n_ext, "ext_grids.va_degree");
  check_length(e.in_service.size(), n_ext, "ext_grids.in_service");
  for (std::size_t i = 0; i < n_ext; ++i) check_bus(e.bus_idx[i], n_buses, "ext_grids.bus_idx", i);
}

// union–find with path halving; the smaller index becomes the root so results are deterministic
std::int32_t find_root(std::vector<std::int32_t>& parent, std::int32_t i) {
  while (parent[static_cast<std::size_t>(i)] != i) {
    const auto up = static_cast<std::size_t>(parent[static_cast<std::size_t>(i)]);
    parent[static_cast<std::size_t>(i)] = parent[up];
    i = parent[static_cast<std::size_t>(i)];
  }
  return i;
}

void unite(std::vector<std::int32_t>& parent, std::int32_t a, std::int32_t b) {
  const std::int32_t root_a = find_root(parent, a);
  const std::int32_t root_b = find_root(parent, b);
  if (root_a < root_b) parent[static_cast<std::size_t>(root_b)] = root_a;
  if (root_b < root_a) parent[static_cast<std::size_t>(root_a)] = root_b;
}

// appends one branch; ends are buses here and become nodes later
void push_stamp(BranchStamps& s, std::int32_t from, std::int32_t to, Complex y_ff, Complex y_ft,
                Complex y_tf, Complex y_tt) {
  s.from_node_idx.push_back(from);
  s.to_node_idx.push_back(to);
  s.y_ff_pu.push_back(y_ff);
  s.y_ft_pu.push_back(y_ft);
  s.y_tf_pu.push_back(y_tf);
  s.y_tt_pu.push_back(y_tt);
}

// π-model line: series (r + jx)·length/parallel, shunt (g + jb)·length·parallel split half per end
void stamp_lines(const NetworkTables& t, BranchStamps& s) {
  const auto& l = t.lines;
  for (std::size_t i = 0; i < l.size(); ++i) {
    const double vn_kv = t.buses.vn_kv[static_cast<std::size_t>(l.from_bus_idx[i])];
    const double z_base_ohm = vn_kv * vn_kv / t.sn_mva;
    const double n_par = static_cast<double>(l.n_parallel[i]);
    const Complex z_ohm = Complex(l.r_ohm_per_km[i], l.x_ohm_per_km[i]) * l.length_km[i] / n_par;
    const Complex y_shunt_s =
        Complex(l.g_us_per_km[i], l.b_us_per_km[i]) * 1e-6 * l.length_km[i] * n_par;
    const Complex y_series_pu = z_base_ohm / z_ohm;
    const Complex y_half_pu = 0.5 * y_shunt_s * z_base_ohm;
    push_stamp(s, l.from_bus_idx[i], l.to_bus_idx[i], y_series_pu + y_half_pu, -y_series_pu,
               -y_series_pu, y_series_pu + y_half_pu);
  }
}

// total phase shift of a transformer [deg] including a phase-shifting tap changer
double trafo_shift_degree(const TrafoTable& tr, std::size_t i) {
  const double steps = tr.tap_pos[i] - tr.tap_neutral[i];
  if (tr.tap_side[i] == TapSide::kHv) return tr.shift_degree[i] + steps * tr.tap_step_degree[i];
  if (tr.tap_side[i] == TapSide::kLv) return tr.shift_degree[i] - steps * tr.tap_step_degree[i];
  return tr.shift_degree[i];
}

// two-winding transformer: T model referred to the LV side behind an ideal complex ratio at HV
void stamp_trafos(const NetworkTables& t, BranchStamps& s) {
  const auto& tr = t.trafos;
  for (std::size_t i = 0; i < tr.size(); ++i) {
    // rated winding voltages after the tap changer
    double vn_hv_kv = tr.vn_hv_kv[i];
    double vn_lv_kv = tr.vn_lv_kv[i];
    const double tap_factor =
        1.0 + (tr.tap_pos[i] - tr.tap_neutral[i]) * tr.tap_step_percent[i] / 100.0;
    if (tr.tap_side[i] == TapSide::kHv) vn_hv_kv *= tap_factor;
    if (tr.tap_side[i] == TapSide::kLv) vn_lv_kv *= tap_factor;
    const double bus_hv_kv = t.buses.vn_kv[static_cast<std::size_t>(tr.hv_bus_idx[i])];
    const double bus_lv_kv = t.buses.vn_kv[static_cast<std::size_t>(tr.lv_bus_idx[i])];
    const double n_par = static_cast<double>(tr.n_parallel[i]);

    // short-circuit impedance on the system base at the LV bus voltage
    const double lv_ratio_sq = (vn_lv_kv / bus_lv_kv) * (vn_lv_kv / bus_lv_kv);
    const double z_scale = t.sn_mva / tr.sn_mva[i] * lv_ratio_sq / n_par;
    const double z_k_pu = tr.vk_percent[i] / 100.0 * z_scale;
    const double r_k_pu = tr.vkr_percent[i] / 100.0 * z_scale;
    const Complex z_k(r_k_pu, std::sqrt(std::max(z_k_pu * z_k_pu - r_k_pu * r_k_pu, 0.0)));

    // magnetising admittance from iron losses and no-load current
    const double p_fe_mw = tr.pfe_kw[i] / 1000.0;
    const double s_0_mva = tr.i0_percent[i] / 100.0 * tr.sn_mva[i];
    const double q_0_mvar = std::sqrt(std::max(s_0_mva * s_0_mva - p_fe_mw * p_fe_mw, 0.0));
    const Complex y_m = Complex(p_fe_mw, -q_0_mvar) * n_par / t.sn_mva / lv_ratio_sq;

    // Kron-reduce the T midpoint: halves of z_k either side of y_m
    Complex a = 1.0 / z_k;
    Complex b = -a;
    Complex d = a;
    if (y_m != Complex(0.0, 0.0)) {
      const Complex y_half = 2.0 / z_k;
      const Complex y_sum = y_half + y_half + y_m;
      a = y_half - y_half * y_half / y_sum;
      b = -y_half * y_half / y_sum;
      d = a;
    }

    // ideal transformer with complex ratio at the HV side: the LV side lags by the shift
    const double ratio = (vn_hv_kv / bus_hv_kv) / (vn_lv_kv / bus_lv_kv);
    const Complex tap = std::polar(ratio, trafo_shift_degree(tr, i) * kDegToRad);
    push_stamp(s, tr.hv_bus_idx[i], tr.lv_bus_idx[i], a / std::norm(tap), b / std::conj(tap),
               b / tap, d);
  }
}

// eliminates the floating end of a branch whose switch at that end is open
void open_end(BranchStamps& s, std::size_t i, bool from_end) {
  if (from_end) {
    if (s.to_node_idx[i] >= 0) s.y_tt_pu[i] -= s.y_tf_pu[i] * s.y_ft_pu[i] / s.y_ff_pu[i];
    s.from_node_idx[i] = -1;
    s.y_ff_pu[i] = 0.0;
  } else {
    if (s.from_node_idx[i] >= 0) s.y_ff_pu[i] -= s.y_ft_pu[i] * s.y_tf_pu[i] / s.y_tt_pu[i];
    s.to_node_idx[i] = -1;
    s.y_tt_pu[i] = 0.0;
  }
  s.y_ft_pu[i] = 0.0;
  s.y_tf_pu[i] = 0.0;
}

// a branch whose element or one of whose buses is out of service disappears
void drop_out_of_service(BranchStamps& s, std::size_t i) {
  s.from_node_idx[i] = -1;
  s.to_node_idx[i] = -1;
  s.y_ff_pu[i] = s.y_ft_pu[i] = s.y_tf_pu[i] = s.y_tt_pu[i] = 0.0;
}

// maps bus ends to nodes (−1 where the bus has no node)
void map_to_nodes(BranchStamps& s, const std::vector<std::int32_t>& bus_node) {
  for (std::size_t i = 0; i < s.from_node_idx.size(); ++i) {
    for (std::int32_t* end : {&s.from_node_idx[i], &s.to_node_idx[i]}) {
      if (*end >= 0) *end = bus_node[static_cast<std::size_t>(*end)];
    }
    if (s.from_node_idx[i] < 0 && s.to_node_idx[i] < 0) drop_out_of_service(s, i);
  }
}

}  // namespace

Network::Network(NetworkTables tables) : tables_(std::move(tables)) {
  validate(tables_);
  const NetworkTables& t = tables_;
  const std::size_t n_buses = t.buses.size();

  // fuse buses joined by closed zero-impedance bus–bus switches
  std::vector<std::int32_t> parent(n_buses);
  for (std::size_t b = 0; b < n_buses; ++b) parent[b] = static_cast<std::int32_t>(b);
  const auto bus_on = [&](std::int32_t b) {
    return t.buses.in_service[static_cast<std::size_t>(b)] != 0;
  };
  const auto& sw = t.switches;
  for (std::size_t i = 0; i < sw.size(); ++i) {
    if (sw.element_type[i] != SwitchElement::kBus || sw.closed[i] == 0 || sw.z_ohm[i] > 0.0)
      continue;
    if (bus_on(sw.bus_idx[i]) && bus_on(sw.element_idx[i]))
      unite(parent, sw.bus_idx[i], sw.element_idx[i]);
  }

  // branch stamps with bus ends, in-service filter and open line/trafo ends
  stamp_lines(t, line_stamps_);
  stamp_trafos(t, trafo_stamps_);
  for (std::size_t i = 0; i < sw.size(); ++i) {
    const bool impedance = sw.element_type[i] == SwitchElement::kBus && sw.closed[i] != 0 &&
                           sw.z_ohm[i] > 0.0 && bus_on(sw.bus_idx[i]) && bus_on(sw.element_idx[i]);
    const double vn_kv = t.buses.vn_kv[static_cast<std::size_t>(sw.bus_idx[i])];
    const Complex y_pu = impedance ? Complex(vn_kv * vn_kv / t.sn_mva / sw.z_ohm[i], 0.0) : 0.0;
    push_stamp(switch_stamps_, impedance ? sw.bus_idx[i] : -1, impedance ? sw.element_idx[i] : -1,
               y_pu, -y_pu, -y_pu, y_pu);
  }
  for (std::size_t i = 0; i < t.lines.size(); ++i) {
    if (t.lines.in_service[i] == 0 || !bus_on(t.lines.from_bus_idx[i]) ||
        !bus_on(t.lines.to_bus_idx[i])) {
      drop_out_of_service(line_stamps_, i);
    }
  }
  for (std::size_t i = 0; i < t.trafos.size(); ++i) {
    if (t.trafos.in_service[i] == 0 || !bus_on(t.trafos.hv_bus_idx[i]) ||
        !bus_on(t.trafos.lv_bus_idx[i])) {
      drop_out_of_service(trafo_stamps_, i);
    }
  }
  for (std::size_t i = 0; i < sw.size(); ++i) {
    if (sw.closed[i] != 0 || sw.element_type[i] == SwitchElement::kBus) continue;
    BranchStamps& s = sw.element_type[i] == SwitchElement::kLine ? line_stamps_ : trafo_stamps_;
    const auto e = static_cast<std::size_t>(sw.element_idx[i]);
    if (s.from_node_idx[e] == sw.bus_idx[i])
      open_end(s, e, true);
    else if (s.to_node_idx[e] == sw.bus_idx[i])
      open_end(s, e, false);
  }

  // adjacency of fused bus groups (by root bus) over every branch with both ends connected
  std::vector<std::vector<std::pair<std::int32_t, double>>> adjacency(n_buses);
  const auto connect = [&](const BranchStamps& s, bool shifts) {
    for (std::size_t i = 0; i < s.from_node_idx.size(); ++i) {
      if (s.from_node_idx[i] < 0 || s.to_node_idx[i] < 0) continue;
      const std::int32_t a = find_root(parent, s.from_node_idx[i]);
      const std::int32_t b = find_root(parent, s.to_node_idx[i]);
      const double shift_rad = shifts ? trafo_shift_degree(t.trafos, i) * kDegToRad : 0.0;
      adjacency[static_cast<std::size_t>(a)].emplace_back(b, -shift_rad);
      adjacency[static_cast<std::size_t>(b)].emplace_back(a, shift_rad);
    }
  };
  connect(line_stamps_, false);
  connect(trafo_stamps_, true);
  connect(switch_stamps_, false);

  // energise from every in-service external grid, carrying magnitude and shifted angle
  std::vector<std::uint8_t> root_energised(n_buses, 0);
  std::vector<Complex> root_start(n_buses, 0.0);
  std::vector<std::int32_t> queue;
  const auto& eg = t.ext_grids;
  for (std::size_t g = 0; g < eg.size(); ++g) {
    if (eg.in_service[g] == 0 || !bus_on(eg.bus_idx[g])) continue;
    const auto root = static_cast<std::size_t>(find_root(parent, eg.bus_idx[g]));
    if (root_energised[root] != 0) continue;
    root_energised[root] = 1;
    root_start[root] = std::polar(eg.vm_pu[g], eg.va_degree[g] * kDegToRad);
    queue.push_back(static_cast<std::int32_t>(root));
  }
  for (std::size_t head = 0; head < queue.size(); ++head) {
    const auto from = static_cast<std::size_t>(queue[head]);
    for (const auto& [to, shift_rad] : adjacency[from]) {
      const auto to_idx = static_cast<std::size_t>(to);
      if (root_energised[to_idx] != 0) continue;
      root_energised[to_idx] = 1;
      root_start[to_idx] = root_start[from] * std::polar(1.0, shift_rad);
      queue.push_back(to);
    }
  }

  // number the energised groups in bus order
  bus_node_idx_.assign(n_buses, -1);
  std::vector<std::int32_t> root_node(n_buses, -1);
  for (std::size_t b = 0; b < n_buses; ++b) {
    if (!bus_on(static_cast<std::int32_t>(b))) continue;
    const auto root = static_cast<std::size_t>(find_root(parent, static_cast<std::int32_t>(b)));
    if (root_energised[root] == 0) continue;
    if (root_node[root] < 0) {
      root_node[root] = n_nodes_++;
      node_bus_idx_.push_back(static_cast<std::int32_t>(b));
      start_voltage_pu_.push_back(root_start[root]);
    }
    bus_node_idx_[b] = root_node[root];
  }
  map_to_nodes(line_stamps_, bus_node_idx_);
  map_to_nodes(trafo_stamps_, bus_node_idx_);
  map_to_nodes(switch_stamps_, bus_node_idx_);

  // slack nodes: the first in-service external grid of a node sets its voltage
  const auto n_nodes = static_cast<std::size_t>(n_nodes_);
  node_is_slack_.assign(n_nodes, 0);
  slack_voltage_pu_.assign(n_nodes, 0.0);
  ext_grid_node_idx_.assign(eg.size(), -1);
  for (std::size_t g = 0; g < eg.size(); ++g) {
    if (eg.in_service[g] == 0) continue;
    const std::int32_t node = bus_node_idx_[static_cast<std::size_t>(eg.bus_idx[g])];
    if (node < 0) continue;
    ext_grid_node_idx_[g] = node;
    const auto n = static_cast<std::size_t>(node);
    if (node_is_slack_[n] != 0) continue;
    node_is_slack_[n] = 1;
    slack_voltage_pu_[n] = std::polar(eg.vm_pu[g], eg.va_degree[g] * kDegToRad);
    start_voltage_pu_[n] = slack_voltage_pu_[n];
  }

  // Ybus from the stamps, with an explicit diagonal entry for every node
  std::vector<Eigen::Triplet<Complex, int>> triplets;
  for (std::int32_t n = 0; n < n_nodes_; ++n) triplets.emplace_back(n, n, Complex(0.0, 0.0));
  for (const BranchStamps* s : {&line_stamps_, &trafo_stamps_, &switch_stamps_}) {
    for (std::size_t i = 0; i < s->from_node_idx.size(); ++i) {
      const std::int32_t f = s->from_node_idx[i];
      const std::int32_t to = s->to_node_idx[i];
      if (f >= 0) triplets.emplace_back(f, f, s->y_ff_pu[i]);
      if (to >= 0) triplets.emplace_back(to, to, s->y_tt_pu[i]);
      if (f >= 0 && to >= 0) {
        triplets.emplace_back(f, to, s->y_ft_pu[i]);
        triplets.emplace_back(to, f, s->y_tf_pu[i]);
      }
    }
  }
  ybus_pu_.resize(n_nodes_, n_nodes_);
  ybus_pu_.setFromTriplets(triplets.begin(), triplets.end());
  ybus_pu_.makeCompressed();
}

Injections Network::default_injections() const {
  Injections inj;
  const NetworkTables& t = tables_;
  for (std::size_t i = 0; i < t.loads.size(); ++i) {
    inj.load_p_mw.push_back(t.loads.p_mw[i] * t.loads.scaling[i]);
    inj.load_q_mvar.push_back(t.loads.q_mvar[i] * t.loads.scaling[i]);
  }
  for (std::size_t i = 0; i < t.sgens.size(); ++i) {
    inj.sgen_p_mw.push_back(t.sgens.p_mw[i] * t.sgens.scaling[i]);
    inj.sgen_q_mvar.push_back(t.sgens.q_mvar[i] * t.sgens.scaling[i]);
  }
  for (std::size_t i = 0; i < t.storages.size(); ++i) {
    inj.storage_p_mw.push_back(t.storages.p_mw[i] * t.storages.scaling[i]);
    inj.storage_q_mvar.push_back(t.storages.q_mvar[i] * t.storages.scaling[i]);
  }
  return inj;
}

}  // namespace citytwin::energy
