#pragma once

#include <gtest/gtest.h>

#include <citytwin/mobility/street_network.hpp>

namespace citytwin::mobility::testing {

/// Every field of two street networks, compared exactly (two readings of the same file, or of
/// one city in two formats): nodes, links, turn restrictions and signal programs.
inline void expect_same_network(const StreetNetwork& x, const StreetNetwork& y) {
  EXPECT_EQ(x.node_id, y.node_id);
  EXPECT_EQ(x.node_external_id, y.node_external_id);
  EXPECT_EQ(x.node_x_m, y.node_x_m);
  EXPECT_EQ(x.node_y_m, y.node_y_m);
  EXPECT_EQ(x.node_z_m, y.node_z_m);
  EXPECT_EQ(x.node_signalised, y.node_signalised);
  EXPECT_EQ(x.node_signal_program_idx, y.node_signal_program_idx);
  EXPECT_EQ(x.link_id, y.link_id);
  EXPECT_EQ(x.link_external_id, y.link_external_id);
  EXPECT_EQ(x.from_node_idx, y.from_node_idx);
  EXPECT_EQ(x.to_node_idx, y.to_node_idx);
  EXPECT_EQ(x.length_m, y.length_m);
  EXPECT_EQ(x.lanes, y.lanes);
  EXPECT_EQ(x.free_speed_mps, y.free_speed_mps);
  EXPECT_EQ(x.flow_capacity_veh_per_h, y.flow_capacity_veh_per_h);
  EXPECT_EQ(x.storage_capacity_veh, y.storage_capacity_veh);
  EXPECT_EQ(x.modes, y.modes);
  EXPECT_EQ(x.highway_class, y.highway_class);
  EXPECT_EQ(x.name, y.name);
  EXPECT_EQ(x.restriction_from_link_idx, y.restriction_from_link_idx);
  EXPECT_EQ(x.restriction_via_node_idx, y.restriction_via_node_idx);
  EXPECT_EQ(x.restriction_to_link_idx, y.restriction_to_link_idx);
  EXPECT_EQ(x.restriction_kind, y.restriction_kind);
  const SignalPrograms& p = x.signal_programs;
  const SignalPrograms& q = y.signal_programs;
  EXPECT_EQ(p.program_id, q.program_id);
  EXPECT_EQ(p.program_name, q.program_name);
  EXPECT_EQ(p.type, q.type);
  EXPECT_EQ(p.offset_s, q.offset_s);
  EXPECT_EQ(p.phase_begin, q.phase_begin);
  EXPECT_EQ(p.phase_duration_s, q.phase_duration_s);
  EXPECT_EQ(p.phase_state, q.phase_state);
}

}  // namespace citytwin::mobility::testing
