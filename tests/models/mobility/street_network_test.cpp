#include <cmath>

#include <gtest/gtest.h>

#include <citytwin/mobility/street_network.hpp>
#include <citytwin/sim/city_generator.hpp>
#include <citytwin/sim/error.hpp>

namespace citytwin::mobility {
namespace {

sim::City small_city() {
  sim::CityGeneratorOptions options;
  options.n_buildings = 150;
  return sim::generate_city(options);
}

// every link appears once in the forward star of its from node and the backward star of its to
// node, in increasing link index
void expect_stars_consistent(const StreetNetwork& net) {
  ASSERT_EQ(net.out_begin.size(), static_cast<std::size_t>(net.n_nodes()) + 1);
  ASSERT_EQ(net.in_begin.size(), static_cast<std::size_t>(net.n_nodes()) + 1);
  EXPECT_EQ(net.out_begin.front(), 0);
  EXPECT_EQ(net.out_begin.back(), net.n_links());
  EXPECT_EQ(net.in_begin.back(), net.n_links());
  std::vector<int> seen_out(static_cast<std::size_t>(net.n_links()), 0);
  std::vector<int> seen_in(static_cast<std::size_t>(net.n_links()), 0);
  for (std::size_t n = 0; n < static_cast<std::size_t>(net.n_nodes()); ++n) {
    for (auto k = static_cast<std::size_t>(net.out_begin[n]);
         k < static_cast<std::size_t>(net.out_begin[n + 1]); ++k) {
      const auto l = static_cast<std::size_t>(net.out_link_idx[k]);
      EXPECT_EQ(net.from_node_idx[l], static_cast<std::int32_t>(n));
      if (k > static_cast<std::size_t>(net.out_begin[n])) {
        EXPECT_LT(net.out_link_idx[k - 1], net.out_link_idx[k]);
      }
      ++seen_out[l];
    }
    for (auto k = static_cast<std::size_t>(net.in_begin[n]);
         k < static_cast<std::size_t>(net.in_begin[n + 1]); ++k) {
      const auto l = static_cast<std::size_t>(net.in_link_idx[k]);
      EXPECT_EQ(net.to_node_idx[l], static_cast<std::int32_t>(n));
      ++seen_in[l];
    }
  }
  for (std::size_t l = 0; l < seen_out.size(); ++l) {
    EXPECT_EQ(seen_out[l], 1) << l;
    EXPECT_EQ(seen_in[l], 1) << l;
  }
}

TEST(StreetNetwork, GeneratedCityGivesTwoLinksPerTwoWaySegment) {
  sim::City city = small_city();
  // make the first segment one-way to count both cases
  city.streets.lanes_backward[0] = 0;
  const sim::Streets& s = city.streets;
  const StreetNetwork net = build_street_network(city);

  std::int64_t expected_links = 0;
  for (std::int64_t k = 0; k < s.size(); ++k) {
    expected_links += (s.lanes_forward[static_cast<std::size_t>(k)] > 0 ? 1 : 0) +
                      (s.lanes_backward[static_cast<std::size_t>(k)] > 0 ? 1 : 0);
  }
  EXPECT_EQ(net.n_links(), 2 * s.size() - 1);
  EXPECT_EQ(net.n_links(), expected_links);
  EXPECT_EQ(net.n_nodes(), s.n_nodes());
  EXPECT_EQ(net.node_id, s.node_id);
  EXPECT_EQ(net.node_signalised, s.node_signalised);

  // per segment: lengths, directions, lanes, speeds and capacities by class
  for (std::int64_t k = 0; k < s.size(); ++k) {
    const auto i = static_cast<std::size_t>(k);
    const double per_lane = s.street_class[i] == sim::StreetClass::kArterial    ? 1800.0
                            : s.street_class[i] == sim::StreetClass::kCollector ? 1500.0
                            : s.street_class[i] == sim::StreetClass::kLocal     ? 1200.0
                                                                                : 2000.0;
    const std::int32_t f = net.link_idx(2 * s.street_id[i]);
    const std::int32_t b = net.link_idx(2 * s.street_id[i] + 1);
    ASSERT_GE(f, 0);
    const auto fi = static_cast<std::size_t>(f);
    EXPECT_EQ(net.from_node_idx[fi], s.from_node_idx[i]);
    EXPECT_EQ(net.to_node_idx[fi], s.to_node_idx[i]);
    EXPECT_DOUBLE_EQ(net.length_m[fi], s.length_m[i]);
    EXPECT_EQ(net.lanes[fi], s.lanes_forward[i]);
    EXPECT_DOUBLE_EQ(net.free_speed_mps[fi], s.speed_limit_mps[i]);
    EXPECT_DOUBLE_EQ(net.flow_capacity_veh_per_h[fi], per_lane * s.lanes_forward[i]);
    EXPECT_DOUBLE_EQ(net.storage_capacity_veh[fi], s.length_m[i] * s.lanes_forward[i] / 7.5);
    const double rise_m = s.node_z_m[static_cast<std::size_t>(s.to_node_idx[i])] -
                          s.node_z_m[static_cast<std::size_t>(s.from_node_idx[i])];
    EXPECT_DOUBLE_EQ(net.grade_frac[fi], rise_m / s.length_m[i]);
    if (k == 0) {
      EXPECT_EQ(b, -1);
      continue;
    }
    ASSERT_GE(b, 0);
    const auto bi = static_cast<std::size_t>(b);
    EXPECT_EQ(net.from_node_idx[bi], s.to_node_idx[i]);
    EXPECT_DOUBLE_EQ(net.length_m[bi], s.length_m[i]);
    EXPECT_DOUBLE_EQ(net.grade_frac[bi], -net.grade_frac[fi]);
  }

  // an arterial link: 2 lanes at 1800 veh/h each
  for (std::int64_t l = 0; l < net.n_links(); ++l) {
    if (net.highway_class[static_cast<std::size_t>(l)] != HighwayClass::kPrimary) continue;
    EXPECT_DOUBLE_EQ(net.flow_capacity_veh_per_h[static_cast<std::size_t>(l)], 3600.0);
    break;
  }
  expect_stars_consistent(net);
}

TEST(StreetNetwork, TerrainSetsElevationsAndGrades) {
  // a plane rising 1 m per 100 m eastwards
  sim::Terrain terrain;
  terrain.origin_x_m = -1000.0;
  terrain.origin_y_m = -1000.0;
  terrain.cell_m = 1000.0;
  terrain.nx = 3;
  terrain.ny = 3;
  for (int j = 0; j < 3; ++j) {
    for (int i = 0; i < 3; ++i) terrain.elevation_m.push_back(10.0 * (i - 1));
  }
  StreetNetwork net;
  net.add_node(1, 0.0, 0.0, 0.0, false);
  net.add_node(2, 200.0, 0.0, 0.0, false);
  StreetNetwork::LinkSpec spec;
  spec.link_id = 7;
  spec.from_node_idx = 0;
  spec.to_node_idx = 1;
  spec.length_m = 200.0;
  net.add_link(spec);
  net.apply_terrain(terrain);
  EXPECT_NEAR(net.node_z_m[1], 2.0, 1e-12);
  EXPECT_NEAR(net.grade_frac[0], 0.01, 1e-12);
  EXPECT_EQ(net.link_idx(std::int64_t{7}), 0);
  EXPECT_EQ(net.link_idx(std::int64_t{8}), -1);
}

TEST(StreetNetwork, FinalizeRejectsBrokenColumns) {
  StreetNetwork net;
  net.add_node(1, 0.0, 0.0, 0.0, false);
  StreetNetwork::LinkSpec spec;
  spec.link_id = 1;
  spec.from_node_idx = 0;
  spec.to_node_idx = 3;
  net.add_link(spec);
  EXPECT_THROW(net.finalize(), InternalError);
}

TEST(StreetNetwork, ClassNamesAndCapacities) {
  EXPECT_EQ(highway_class_from_name("primary_link"), HighwayClass::kPrimary);
  EXPECT_EQ(highway_class_from_name("living_street"), HighwayClass::kLivingStreet);
  EXPECT_EQ(highway_class_from_name("bus_stop"), HighwayClass::kOther);
  EXPECT_EQ(highway_class_names().size(), 16U);
  EXPECT_DOUBLE_EQ(highway_class_defaults(HighwayClass::kPrimary).capacity_veh_per_h_per_lane,
                   1800.0);
  EXPECT_DOUBLE_EQ(highway_class_defaults(HighwayClass::kResidential).capacity_veh_per_h_per_lane,
                   1200.0);
  EXPECT_EQ(highway_class_defaults(HighwayClass::kFootway).modes, kModeWalk);
  EXPECT_DOUBLE_EQ(capacity_veh_per_h_per_lane_for_speed(30.0 / 3.6), 1200.0);
  EXPECT_DOUBLE_EQ(capacity_veh_per_h_per_lane_for_speed(13.89), 1800.0);
  EXPECT_DOUBLE_EQ(capacity_veh_per_h_per_lane_for_speed(80.0 / 3.6), 1900.0);
  EXPECT_DOUBLE_EQ(capacity_veh_per_h_per_lane_for_speed(120.0 / 3.6), 2000.0);
  TurnRestrictionKind kind = TurnRestrictionKind::kNoLeftTurn;
  EXPECT_TRUE(turn_restriction_kind_from_name("only_straight_on", kind));
  EXPECT_EQ(kind, TurnRestrictionKind::kOnlyStraightOn);
  EXPECT_TRUE(is_mandatory(kind));
  EXPECT_FALSE(turn_restriction_kind_from_name("no_parking", kind));
}

}  // namespace
}  // namespace citytwin::mobility
