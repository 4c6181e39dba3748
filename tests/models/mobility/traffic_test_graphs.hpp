#pragma once

#include <cstdint>
#include <vector>

#include <citytwin/mobility/router.hpp>
#include <citytwin/mobility/street_network.hpp>
#include <citytwin/sim/rng.hpp>

namespace citytwin::mobility::testing {

/// A small owning link graph for router and queue-model tests: fill the link columns with
/// add_link(), then view() builds the stars and returns a LinkGraph over these vectors.
struct OwnedGraph {
  std::int32_t n_nodes = 0;                  ///< [1] nodes
  std::vector<std::int32_t> from_node_idx;   ///< start node
  std::vector<std::int32_t> to_node_idx;     ///< end node
  std::vector<double> length_m;              ///< [m]
  std::vector<double> free_speed_mps;        ///< [m s-1]
  std::vector<double> flow_capacity_veh_per_h;  ///< [veh h-1]
  std::vector<double> storage_capacity_veh;  ///< [veh]
  std::vector<double> grade_frac;            ///< [1]
  std::vector<std::uint8_t> modes;           ///< kMode* bits
  std::vector<std::int64_t> out_begin;       ///< stars, built by view()
  std::vector<std::int32_t> out_link_idx;
  std::vector<std::int64_t> in_begin;
  std::vector<std::int32_t> in_link_idx;

  /// Appends a link; storage defaults to length / 7.5 m per lane. Returns its link_idx.
  std::int32_t add_link(std::int32_t from, std::int32_t to, double len_m, double speed_mps,
                        double capacity_veh_per_h, double storage_veh = -1.0, double grade = 0.0) {
    from_node_idx.push_back(from);
    to_node_idx.push_back(to);
    length_m.push_back(len_m);
    free_speed_mps.push_back(speed_mps);
    flow_capacity_veh_per_h.push_back(capacity_veh_per_h);
    storage_capacity_veh.push_back(storage_veh >= 0.0 ? storage_veh : len_m / kVehicleSpaceM);
    grade_frac.push_back(grade);
    modes.push_back(kModeAll);
    return static_cast<std::int32_t>(from_node_idx.size() - 1);
  }

  /// Builds the forward and backward stars (links in increasing index) and returns the view.
  LinkGraph view() {
    const auto build = [&](const std::vector<std::int32_t>& node_of_link,
                           std::vector<std::int64_t>& begin, std::vector<std::int32_t>& idx) {
      begin.assign(static_cast<std::size_t>(n_nodes) + 1, 0);
      for (const std::int32_t n : node_of_link) ++begin[static_cast<std::size_t>(n) + 1];
      for (std::size_t n = 0; n < static_cast<std::size_t>(n_nodes); ++n) begin[n + 1] += begin[n];
      idx.assign(node_of_link.size(), -1);
      std::vector<std::int64_t> next(begin.begin(), begin.end() - 1);
      for (std::size_t l = 0; l < node_of_link.size(); ++l) {
        idx[static_cast<std::size_t>(next[static_cast<std::size_t>(node_of_link[l])]++)] =
            static_cast<std::int32_t>(l);
      }
    };
    build(from_node_idx, out_begin, out_link_idx);
    build(to_node_idx, in_begin, in_link_idx);
    LinkGraph g;
    g.n_nodes = n_nodes;
    g.from_node_idx = from_node_idx;
    g.to_node_idx = to_node_idx;
    g.length_m = length_m;
    g.free_speed_mps = free_speed_mps;
    g.flow_capacity_veh_per_h = flow_capacity_veh_per_h;
    g.storage_capacity_veh = storage_capacity_veh;
    g.grade_frac = grade_frac;
    g.modes = modes;
    g.out_begin = out_begin;
    g.out_link_idx = out_link_idx;
    g.in_begin = in_begin;
    g.in_link_idx = in_link_idx;
    return g;
  }
};

/// A signal-free grid city of nx × ny nodes (node x + nx·y), `spacing_m` apart, two links per
/// street segment (east, west, north, south order per node). Every 5th row and column is an
/// arterial (50 km/h, 2 lanes, 3600 veh/h), the rest local streets (30 km/h, 1 lane,
/// 1200 veh/h). With `jitter_seed` != 0 each length is stretched by a random 0–30 %.
inline OwnedGraph grid_city(std::int32_t nx, std::int32_t ny, double spacing_m,
                            std::uint64_t jitter_seed = 0) {
  OwnedGraph g;
  g.n_nodes = nx * ny;
  const auto add_pair = [&](std::int32_t a, std::int32_t b, bool arterial) {
    const double speed_mps = arterial ? 50.0 / 3.6 : 30.0 / 3.6;
    const double capacity = arterial ? 3600.0 : 1200.0;
    const double lanes = arterial ? 2.0 : 1.0;
    double len = spacing_m;
    if (jitter_seed != 0) {
      sim::Rng rng = sim::rng_for(jitter_seed, 1, static_cast<std::uint64_t>(g.from_node_idx.size()), 0);
      len *= 1.0 + 0.3 * rng.uniform();
    }
    g.add_link(a, b, len, speed_mps, capacity, len * lanes / kVehicleSpaceM);
    g.add_link(b, a, len, speed_mps, capacity, len * lanes / kVehicleSpaceM);
  };
  for (std::int32_t y = 0; y < ny; ++y) {
    for (std::int32_t x = 0; x < nx; ++x) {
      const std::int32_t n = x + nx * y;
      if (x + 1 < nx) add_pair(n, n + 1, y % 5 == 0);
      if (y + 1 < ny) add_pair(n, n + nx, x % 5 == 0);
    }
  }
  return g;
}

}  // namespace citytwin::mobility::testing
