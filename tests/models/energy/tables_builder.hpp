#pragma once

#include <cstdint>

#include <citytwin/energy/network.hpp>

namespace citytwin::energy::test {

/// Appends a bus and returns its index.
inline std::int32_t add_bus(NetworkTables& t, double vn_kv, bool in_service = true) {
  const auto idx = static_cast<std::int32_t>(t.buses.size());
  t.buses.bus_id.push_back(idx);
  t.buses.name.emplace_back();
  t.buses.vn_kv.push_back(vn_kv);
  t.buses.in_service.push_back(in_service ? 1 : 0);
  return idx;
}

/// Appends a line without shunt admittance unless b_us_per_km is given.
inline void add_line(NetworkTables& t, std::int32_t from, std::int32_t to, double length_km,
                     double r_ohm_per_km, double x_ohm_per_km, double b_us_per_km = 0.0,
                     double max_i_ka = 1.0) {
  auto& l = t.lines;
  l.line_id.push_back(static_cast<std::int64_t>(l.size()));
  l.name.emplace_back();
  l.from_bus_idx.push_back(from);
  l.to_bus_idx.push_back(to);
  l.length_km.push_back(length_km);
  l.r_ohm_per_km.push_back(r_ohm_per_km);
  l.x_ohm_per_km.push_back(x_ohm_per_km);
  l.g_us_per_km.push_back(0.0);
  l.b_us_per_km.push_back(b_us_per_km);
  l.max_i_ka.push_back(max_i_ka);
  l.n_parallel.push_back(1);
  l.df_frac.push_back(1.0);
  l.in_service.push_back(1);
}

/// Appends a two-winding transformer without tap changer.
inline void add_trafo(NetworkTables& t, std::int32_t hv, std::int32_t lv, double sn_mva,
                      double vn_hv_kv, double vn_lv_kv, double vk_percent, double vkr_percent,
                      double shift_degree, double pfe_kw = 0.0, double i0_percent = 0.0) {
  auto& tr = t.trafos;
  tr.trafo_id.push_back(static_cast<std::int64_t>(tr.size()));
  tr.name.emplace_back();
  tr.hv_bus_idx.push_back(hv);
  tr.lv_bus_idx.push_back(lv);
  tr.sn_mva.push_back(sn_mva);
  tr.vn_hv_kv.push_back(vn_hv_kv);
  tr.vn_lv_kv.push_back(vn_lv_kv);
  tr.vk_percent.push_back(vk_percent);
  tr.vkr_percent.push_back(vkr_percent);
  tr.pfe_kw.push_back(pfe_kw);
  tr.i0_percent.push_back(i0_percent);
  tr.shift_degree.push_back(shift_degree);
  tr.tap_side.push_back(TapSide::kNone);
  tr.tap_neutral.push_back(0.0);
  tr.tap_pos.push_back(0.0);
  tr.tap_step_percent.push_back(0.0);
  tr.tap_step_degree.push_back(0.0);
  tr.n_parallel.push_back(1);
  tr.df_frac.push_back(1.0);
  tr.in_service.push_back(1);
}

/// Appends a switch.
inline void add_switch(NetworkTables& t, std::int32_t bus, std::int32_t element, SwitchElement type,
                       bool closed, double z_ohm = 0.0) {
  auto& s = t.switches;
  s.switch_id.push_back(static_cast<std::int64_t>(s.size()));
  s.name.emplace_back();
  s.bus_idx.push_back(bus);
  s.element_idx.push_back(element);
  s.element_type.push_back(type);
  s.closed.push_back(closed ? 1 : 0);
  s.z_ohm.push_back(z_ohm);
}

/// Appends a load with optional constant-impedance and constant-current shares [%].
inline void add_load(NetworkTables& t, std::int32_t bus, double p_mw, double q_mvar,
                     double const_z_percent = 0.0, double const_i_percent = 0.0) {
  auto& l = t.loads;
  l.load_id.push_back(static_cast<std::int64_t>(l.size()));
  l.name.emplace_back();
  l.bus_idx.push_back(bus);
  l.p_mw.push_back(p_mw);
  l.q_mvar.push_back(q_mvar);
  l.const_z_p_percent.push_back(const_z_percent);
  l.const_i_p_percent.push_back(const_i_percent);
  l.const_z_q_percent.push_back(const_z_percent);
  l.const_i_q_percent.push_back(const_i_percent);
  l.scaling.push_back(1.0);
  l.phase.push_back(Phase::kAbc);
  l.in_service.push_back(1);
}

/// Appends a static generator.
inline void add_sgen(NetworkTables& t, std::int32_t bus, double p_mw, double q_mvar) {
  auto& s = t.sgens;
  s.sgen_id.push_back(static_cast<std::int64_t>(s.size()));
  s.name.emplace_back();
  s.bus_idx.push_back(bus);
  s.p_mw.push_back(p_mw);
  s.q_mvar.push_back(q_mvar);
  s.scaling.push_back(1.0);
  s.phase.push_back(Phase::kAbc);
  s.in_service.push_back(1);
}

/// Appends a storage unit (charging positive).
inline void add_storage(NetworkTables& t, std::int32_t bus, double p_mw, double q_mvar) {
  auto& s = t.storages;
  s.storage_id.push_back(static_cast<std::int64_t>(s.size()));
  s.name.emplace_back();
  s.bus_idx.push_back(bus);
  s.p_mw.push_back(p_mw);
  s.q_mvar.push_back(q_mvar);
  s.max_e_mwh.push_back(0.1);
  s.scaling.push_back(1.0);
  s.phase.push_back(Phase::kAbc);
  s.in_service.push_back(1);
}

/// Appends an external grid.
inline void add_ext_grid(NetworkTables& t, std::int32_t bus, double vm_pu = 1.0,
                         double va_degree = 0.0) {
  auto& e = t.ext_grids;
  e.ext_grid_id.push_back(static_cast<std::int64_t>(e.size()));
  e.name.emplace_back();
  e.bus_idx.push_back(bus);
  e.vm_pu.push_back(vm_pu);
  e.va_degree.push_back(va_degree);
  e.in_service.push_back(1);
}

}  // namespace citytwin::energy::test
