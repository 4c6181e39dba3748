#include <citytwin/energy/generated_network.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <map>
#include <numeric>
#include <queue>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <citytwin/energy/power_flow.hpp>
#include <citytwin/sim/city_generator.hpp>

namespace citytwin::energy {
namespace {

struct Checked {
  double min_vm_pu = 0.0;
  double max_trafo_loading_percent = 0.0;
  double max_line_loading_percent = 0.0;
};

std::int32_t find_root(std::vector<std::int32_t>& parent, std::int32_t i) {
  while (parent[static_cast<std::size_t>(i)] != i) {
    parent[static_cast<std::size_t>(i)] =
        parent[static_cast<std::size_t>(parent[static_cast<std::size_t>(i)])];
    i = parent[static_cast<std::size_t>(i)];
  }
  return i;
}

// topology checks shared by every city size; returns nothing, asserts everything
void check_topology(const sim::City& city, const GeneratedNetwork& g,
                    const GeneratedNetworkOptions& o) {
  const NetworkTables& t = g.network.tables();
  const auto n_buses = t.buses.size();
  const auto n_buildings = static_cast<std::size_t>(city.buildings.size());

  // every building has a bus, a load on that bus and a substation
  ASSERT_EQ(g.building_bus_idx.size(), n_buildings);
  ASSERT_EQ(g.building_load_idx.size(), n_buildings);
  ASSERT_EQ(t.loads.size(), n_buildings);
  std::vector<int> load_seen(n_buildings, 0);
  for (std::size_t b = 0; b < n_buildings; ++b) {
    ASSERT_GE(g.building_bus_idx[b], 0);
    ASSERT_GE(g.building_load_idx[b], 0);
    const auto load = static_cast<std::size_t>(g.building_load_idx[b]);
    EXPECT_EQ(t.loads.bus_idx[load], g.building_bus_idx[b]);
    ++load_seen[load];
    EXPECT_GE(g.building_feeder_idx[b], 0);
    EXPECT_EQ(g.bus_feeder_idx[static_cast<std::size_t>(g.building_bus_idx[b])],
              g.building_feeder_idx[b]);
  }
  for (const int seen : load_seen) EXPECT_EQ(seen, 1);

  // components by union-find over lines and transformers
  std::vector<std::int32_t> parent(n_buses);
  std::iota(parent.begin(), parent.end(), 0);
  const auto join = [&](std::int32_t a, std::int32_t c) {
    parent[static_cast<std::size_t>(find_root(parent, a))] = find_root(parent, c);
  };
  for (std::size_t l = 0; l < t.lines.size(); ++l) join(t.lines.from_bus_idx[l], t.lines.to_bus_idx[l]);
  for (std::size_t k = 0; k < t.trafos.size(); ++k) join(t.trafos.hv_bus_idx[k], t.trafos.lv_bus_idx[k]);
  std::map<std::int32_t, int> ext_grids_of_component;
  std::size_t n_components = 0;
  for (std::size_t b = 0; b < n_buses; ++b) {
    if (find_root(parent, static_cast<std::int32_t>(b)) == static_cast<std::int32_t>(b)) ++n_components;
  }
  for (std::size_t e = 0; e < t.ext_grids.size(); ++e) {
    ++ext_grids_of_component[find_root(parent, t.ext_grids.bus_idx[e])];
  }

  // radial: one component and one slack per substation, branches = buses − components
  EXPECT_EQ(n_components, static_cast<std::size_t>(g.n_feeders));
  EXPECT_EQ(t.trafos.size(), static_cast<std::size_t>(g.n_feeders));
  EXPECT_EQ(ext_grids_of_component.size(), n_components);
  for (const auto& [root, n] : ext_grids_of_component) EXPECT_EQ(n, 1);
  EXPECT_EQ(t.lines.size() + t.trafos.size(), n_buses - n_components);

  // buses of one component share a substation index (MV buses −1)
  for (std::size_t b = 0; b < n_buses; ++b) {
    const std::int32_t f = g.bus_feeder_idx[b];
    const double vn = t.buses.vn_kv[b];
    if (f < 0) {
      EXPECT_DOUBLE_EQ(vn, o.mv_kv);
      continue;
    }
    EXPECT_DOUBLE_EQ(vn, o.lv_kv);
    EXPECT_EQ(find_root(parent, static_cast<std::int32_t>(b)),
              find_root(parent, g.feeder_lv_bus_idx[static_cast<std::size_t>(f)]));
  }

  // feeder lengths: street-cable path from the busbar to each building's tap, independently
  std::vector<std::vector<std::pair<std::int32_t, double>>> adj(n_buses);
  for (std::size_t l = 0; l < t.lines.size(); ++l) {
    adj[static_cast<std::size_t>(t.lines.from_bus_idx[l])].emplace_back(t.lines.to_bus_idx[l], t.lines.length_km[l] * 1000.0);
    adj[static_cast<std::size_t>(t.lines.to_bus_idx[l])].emplace_back(t.lines.from_bus_idx[l], t.lines.length_km[l] * 1000.0);
  }
  std::vector<double> dist_m(n_buses, -1.0);
  for (const std::int32_t busbar : g.feeder_lv_bus_idx) {
    std::queue<std::int32_t> queue;
    dist_m[static_cast<std::size_t>(busbar)] = 0.0;
    queue.push(busbar);
    while (!queue.empty()) {
      const std::int32_t b = queue.front();
      queue.pop();
      for (const auto& [next, len_m] : adj[static_cast<std::size_t>(b)]) {
        if (dist_m[static_cast<std::size_t>(next)] >= 0.0) continue;
        dist_m[static_cast<std::size_t>(next)] = dist_m[static_cast<std::size_t>(b)] + len_m;
        queue.push(next);
      }
    }
  }
  std::vector<double> service_m(n_buses, 0.0);
  for (std::size_t l = 0; l < t.lines.size(); ++l) {
    service_m[static_cast<std::size_t>(t.lines.to_bus_idx[l])] = t.lines.length_km[l] * 1000.0;
  }
  double longest_m = 0.0;
  for (std::size_t b = 0; b < n_buildings; ++b) {
    const auto bus = static_cast<std::size_t>(g.building_bus_idx[b]);
    ASSERT_GE(dist_m[bus], 0.0);
    longest_m = std::max(longest_m, dist_m[bus] - service_m[bus]);
  }
  EXPECT_LE(longest_m, o.max_feeder_length_m + 1e-6);
  const double reported_m = *std::max_element(g.feeder_max_length_m.begin(), g.feeder_max_length_m.end());
  EXPECT_NEAR(reported_m, longest_m, 1e-6);
}

Checked check_peak_power_flow(const GeneratedNetwork& g) {
  PowerFlow solver(g.network);
  const PowerFlowResult r = solver.solve(g.network.default_injections());
  EXPECT_TRUE(r.converged) << "max mismatch " << r.max_mismatch_mva;
  Checked c;
  c.min_vm_pu = *std::min_element(r.bus.vm_pu.begin(), r.bus.vm_pu.end());
  const double max_vm_pu = *std::max_element(r.bus.vm_pu.begin(), r.bus.vm_pu.end());
  EXPECT_GE(c.min_vm_pu, 0.9);
  EXPECT_LE(max_vm_pu, 1.1);
  c.max_trafo_loading_percent =
      *std::max_element(r.trafo.loading_percent.begin(), r.trafo.loading_percent.end());
  c.max_line_loading_percent =
      *std::max_element(r.line.loading_percent.begin(), r.line.loading_percent.end());
  EXPECT_LE(c.max_trafo_loading_percent, 100.0);
  EXPECT_LE(c.max_line_loading_percent, 100.0);

  // the external grids supply the coincident peaks plus the losses
  const double supplied_mw = std::accumulate(r.ext_grid.p_mw.begin(), r.ext_grid.p_mw.end(), 0.0);
  const double peak_mw =
      std::accumulate(g.feeder_peak_kw.begin(), g.feeder_peak_kw.end(), 0.0) / 1000.0;
  EXPECT_NEAR(supplied_mw, peak_mw + r.loss_p_mw, 1e-6 * peak_mw);
  return c;
}

void run_city(std::int64_t n_buildings, bool with_power_flow) {
  sim::CityGeneratorOptions co;
  co.n_buildings = n_buildings;
  const sim::City city = sim::generate_city(co);
  const GeneratedNetworkOptions o;

  const auto t0 = std::chrono::steady_clock::now();
  const GeneratedNetwork g = generate_network(city, o);
  const double gen_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  check_topology(city, g, o);

  // transformer sizes in use
  std::map<double, int> ratings;
  for (std::size_t k = 0; k < g.network.tables().trafos.size(); ++k) {
    ++ratings[g.network.tables().trafos.sn_mva[k] * 1000.0 *
              g.network.tables().trafos.n_parallel[k]];
  }
  std::string rating_text;
  for (const auto& [kva, n] : ratings) rating_text += " " + std::to_string(static_cast<int>(kva)) + "kVA×" + std::to_string(n);

  std::printf("[generated network] %lld buildings: %d substations, %zu buses, %zu lines, generated in %.3f s;%s\n",
              static_cast<long long>(city.buildings.size()), g.n_feeders,
              g.network.tables().buses.size(), g.network.tables().lines.size(), gen_s,
              rating_text.c_str());
  if (!with_power_flow) return;
  const auto t1 = std::chrono::steady_clock::now();
  const Checked c = check_peak_power_flow(g);
  const double pf_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  std::printf("[generated network] peak power flow in %.3f s: min vm %.4f pu, max trafo loading %.1f %%, max line loading %.1f %%\n",
              pf_s, c.min_vm_pu, c.max_trafo_loading_percent, c.max_line_loading_percent);
}

TEST(GeneratedNetwork, City500) { run_city(500, true); }

TEST(GeneratedNetwork, City5000) { run_city(5000, true); }

TEST(GeneratedNetwork, City50000) { run_city(50000, true); }

TEST(GeneratedNetwork, IsDeterministic) {
  sim::CityGeneratorOptions co;
  co.n_buildings = 800;
  const sim::City city = sim::generate_city(co);
  const GeneratedNetwork a = generate_network(city, {});
  const GeneratedNetwork b = generate_network(city, {});
  EXPECT_EQ(a.building_bus_idx, b.building_bus_idx);
  EXPECT_EQ(a.network.tables().lines.length_km, b.network.tables().lines.length_km);
  EXPECT_EQ(a.network.tables().lines.n_parallel, b.network.tables().lines.n_parallel);
  EXPECT_EQ(a.network.tables().loads.p_mw, b.network.tables().loads.p_mw);
  EXPECT_EQ(a.network.tables().trafos.sn_mva, b.network.tables().trafos.sn_mva);
}

TEST(GeneratedNetwork, SmallerAreasGiveMoreSubstations) {
  sim::CityGeneratorOptions co;
  co.n_buildings = 500;
  const sim::City city = sim::generate_city(co);
  GeneratedNetworkOptions o;
  o.buildings_per_substation = 40;
  o.max_feeder_length_m = 300;
  const GeneratedNetwork g = generate_network(city, o);
  check_topology(city, g, o);
  EXPECT_GE(g.n_feeders, 13);  // at least 500/40 areas
  (void)check_peak_power_flow(g);
}

TEST(GeneratedNetwork, BadOptionsAreRejected) {
  sim::CityGeneratorOptions co;
  co.n_buildings = 100;
  const sim::City city = sim::generate_city(co);
  GeneratedNetworkOptions o;
  o.mv_kv = 0.2;
  EXPECT_THROW((void)generate_network(city, o), std::invalid_argument);
  o = {};
  o.trafo_types.clear();
  EXPECT_THROW((void)generate_network(city, o), std::invalid_argument);
  o = {};
  o.buildings_per_substation = 0;
  EXPECT_THROW((void)generate_network(city, o), std::invalid_argument);
  EXPECT_THROW((void)generate_network(sim::City{}, {}), std::invalid_argument);
}

}  // namespace
}  // namespace citytwin::energy
