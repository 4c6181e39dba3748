#include <citytwin/mobility/readers/od_matrix.hpp>

#include <gtest/gtest.h>

#include "sim_test.hpp"

namespace citytwin::mobility {
namespace {

const char* const kMatrix =
    "origin_zone,destination_zone,start_time,end_time,trips\n"
    "1,2,08:00,08:15,3\n"
    "2,1,3600,3660,2\n"
    "# a comment line\n"
    "1,1,0,60,0\n";

TEST(OdMatrix, ParsesTimesInBothForms) {
  const OdMatrix m = parse_od_matrix(kMatrix, "od.csv");
  ASSERT_EQ(m.size(), 3);
  EXPECT_DOUBLE_EQ(m.start_s[0], 8.0 * 3600.0);
  EXPECT_DOUBLE_EQ(m.end_s[0], 8.0 * 3600.0 + 900.0);
  EXPECT_DOUBLE_EQ(m.start_s[1], 3600.0);
  EXPECT_EQ(m.trips[0], 3);
  EXPECT_EQ(m.origin_zone[1], 2);
  EXPECT_EQ(m.line[2], 5);
}

TEST(OdMatrix, ExpandsDeterministicallyWithinBinsAndZones) {
  const OdMatrix m = parse_od_matrix(kMatrix, "od.csv");
  const std::vector<std::int64_t> zone_id{1, 2};
  const std::vector<std::vector<std::int32_t>> zone_nodes{{0, 1}, {5}};
  const OdTrips a = expand_od_matrix(m, "od.csv", zone_id, zone_nodes, 42);
  const OdTrips b = expand_od_matrix(m, "od.csv", zone_id, zone_nodes, 42);
  const OdTrips c = expand_od_matrix(m, "od.csv", zone_id, zone_nodes, 43);
  ASSERT_EQ(a.departure_s.size(), 5U);
  EXPECT_EQ(a.departure_s, b.departure_s);
  EXPECT_NE(a.departure_s, c.departure_s);
  for (std::size_t t = 0; t < 3; ++t) {
    EXPECT_GE(a.departure_s[t], 28800.0);
    EXPECT_LT(a.departure_s[t], 29700.0);
    EXPECT_TRUE(a.origin_node_idx[t] == 0 || a.origin_node_idx[t] == 1);
    EXPECT_EQ(a.destination_node_idx[t], 5);
    EXPECT_EQ(a.row[t], 0);
  }
  EXPECT_EQ(a.origin_node_idx[3], 5);
  EXPECT_GE(a.departure_s[4], 3600.0);
  EXPECT_LT(a.departure_s[4], 3660.0);
}

TEST(OdMatrix, ErrorsNameFileLineAndColumn) {
  EXPECT_INPUT_ERROR(parse_od_matrix("origin_zone,destination_zone,start_time,trips\n", "h.csv"),
                     "h.csv:1:.*missing column 'end_time'");
  EXPECT_INPUT_ERROR(parse_od_matrix("origin_zone,destination_zone,start_time,end_time,trips\n"
                                     "1,2,08:00,07:00,3\n1,2,0,60,-1\n",
                                     "r.csv"),
                     "r.csv:2:4:.*end_time must be after start_time[^]*r.csv:3:5:.*trips");
  const OdMatrix m = parse_od_matrix(kMatrix, "od.csv");
  const std::vector<std::int64_t> zone_id{1};
  const std::vector<std::vector<std::int32_t>> zone_nodes{{0}};
  EXPECT_INPUT_ERROR(expand_od_matrix(m, "od.csv", zone_id, zone_nodes, 1),
                     "od.csv:2:.*zone 2 is not a city zone");
}

}  // namespace
}  // namespace citytwin::mobility
