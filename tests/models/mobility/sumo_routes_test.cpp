#include <citytwin/mobility/readers/sumo_routes.hpp>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <citytwin/mobility/street_network.hpp>

#include "sim_test.hpp"

namespace citytwin::mobility {
namespace {

// a flow by period (begin 0, end 10, period 3 -> 0, 3, 6, 9), one by vehsPerHour (1800/h over
// 10 s -> 0, 2, 4, 6, 8), one by number (4 over 0..100 -> 0, 25, 50, 75), a pedestrian trip
const char* const kRoutes = R"(<routes>
  <vType id="walker" vClass="pedestrian"/>
  <route id="r" edges="A B"/>
  <flow id="p" begin="0" end="10" period="3" route="r"/>
  <flow id="h" begin="0" end="10" vehsPerHour="1800" from="A" to="C"/>
  <flow id="n" begin="0" end="100" number="4"><route edges="B"/></flow>
  <trip id="w" depart="7.5" type="walker" from="A" to="B"/>
</routes>
)";

TEST(SumoRoutes, FlowExpansionAndTrips) {
  const SumoDemand d = parse_sumo_routes(kRoutes, "flows.rou.xml");
  ASSERT_EQ(d.n_vehicles(), 4 + 5 + 4 + 1);
  EXPECT_EQ(d.vehicle_id[0], "p.0");
  EXPECT_DOUBLE_EQ(d.depart_s[3], 9.0);
  EXPECT_EQ(d.route_begin[1] - d.route_begin[0], 2);
  ASSERT_EQ(d.route_edge_idx.size(), 4 * 2 + 4 * 1U);
  EXPECT_EQ(d.edge_names[static_cast<std::size_t>(d.route_edge_idx[0])], "A");
  EXPECT_EQ(d.edge_names[static_cast<std::size_t>(d.route_edge_idx[1])], "B");
  EXPECT_EQ(d.from_edge_idx[0], -1);
  EXPECT_DOUBLE_EQ(d.depart_s[4 + 4], 8.0);
  EXPECT_EQ(d.edge_names[static_cast<std::size_t>(d.from_edge_idx[4])], "A");
  EXPECT_EQ(d.edge_names[static_cast<std::size_t>(d.to_edge_idx[4])], "C");
  // each edge id stored once, in order of first use: A B (route r), C (flow h)
  EXPECT_EQ(d.edge_names, (std::vector<std::string>{"A", "B", "C"}));
  EXPECT_EQ(d.route_edge_idx[4 * 2], 1);  // flow n: B
  EXPECT_EQ(d.route_begin[5] - d.route_begin[4], 0);  // a trip: routed by the model
  EXPECT_DOUBLE_EQ(d.depart_s[9 + 3], 75.0);
  EXPECT_EQ(d.vehicle_id[13], "w");
  EXPECT_EQ(d.mode[13], kModeWalk);
  EXPECT_EQ(d.mode[0], kModeCar);
  EXPECT_EQ(d.line[13], 7);
}

// Entities, tabs and CRLF line ends (read by pugixml) and elements spanning lines (read by the
// reader's own scanner) give the same vehicles, edge ids and lines as the file is written.
TEST(SumoRoutes, EntitiesLineEndsAndMultiLineElements) {
  const char* const text =
      "<routes>\n"
      "  <vehicle\n"
      "      id=\"a\" depart=\"1\">\n"
      "    <route edges=\"A&amp;B C\"/>\n"
      "  </vehicle>\n"
      "  <vehicle id=\"b\" depart=\"2\"><route edges=\"C\tA&amp;B\"/></vehicle>\n"
      "  <trip id=\"c\" depart=\"3\"\n from=\"D\" to=\"C\"/>\n"
      "</routes>\n";
  std::string crlf;
  for (const char* c = text; *c != '\0'; ++c) {
    crlf += *c == '\n' ? std::string("\r\n") : std::string(1, *c);
  }
  for (const std::string& xml : {std::string(text), crlf}) {
    const SumoDemand d = parse_sumo_routes(xml, "lines.rou.xml");
    ASSERT_EQ(d.n_vehicles(), 3);
    EXPECT_EQ(d.line, (std::vector<std::int32_t>{2, 6, 7}));
    EXPECT_EQ(d.edge_names, (std::vector<std::string>{"A&B", "C", "D"}));
    EXPECT_EQ(d.route_edge_idx, (std::vector<std::int32_t>{0, 1, 1, 0}));
    EXPECT_EQ(d.route_begin, (std::vector<std::int64_t>{0, 2, 4, 4}));
    EXPECT_EQ(d.from_edge_idx, (std::vector<std::int32_t>{-1, -1, 2}));
    EXPECT_EQ(d.to_edge_idx, (std::vector<std::int32_t>{-1, -1, 1}));
  }
  // without entities or tabs the scanner reads it: a later error keeps its line (8)
  const char* const plain =
      "<routes>\n"
      "  <vehicle\n"
      "      id=\"a\" depart=\"1\">\n"
      "    <route edges=\"A C\"/>\n"
      "  </vehicle>\n"
      "  <!-- a comment\n"
      "       over two lines -->\n"
      "  <vehicle id=\"b\" depart=\"-1\"><route edges=\"C\"/></vehicle>\n"
      "</routes>\n";
  EXPECT_INPUT_ERROR(parse_sumo_routes(plain, "plain.rou.xml"),
                     "plain.rou.xml:8:.*vehicle id=\"b\".*depart");
}

// every field of two readings of a route file
void expect_same_demand(const SumoDemand& a, const SumoDemand& b) {
  EXPECT_EQ(a.vehicle_id, b.vehicle_id);
  EXPECT_EQ(a.depart_s, b.depart_s);
  EXPECT_EQ(a.mode, b.mode);
  EXPECT_EQ(a.edge_names, b.edge_names);
  EXPECT_EQ(a.route_begin, b.route_begin);
  EXPECT_EQ(a.route_edge_idx, b.route_edge_idx);
  EXPECT_EQ(a.from_edge_idx, b.from_edge_idx);
  EXPECT_EQ(a.to_edge_idx, b.to_edge_idx);
  EXPECT_EQ(a.line, b.line);
}

// A route file read in pieces (cut before <vehicle>, <trip>, <flow> and <person> tags) is the
// file read whole: the flows and trips above (the vType and the route r in the head, a piece
// per flow and trip at 1 byte), duarouter's 400 vehicles of the 4 x 4 grid, and a cut inside a
// comment, which reads the whole document.
TEST(SumoRoutes, PiecesReadTheWholeFile) {
  const SumoDemand whole = parse_sumo_routes(kRoutes, "flows.rou.xml", 0);
  EXPECT_EQ(whole.n_pieces, 1);
  const SumoDemand pieces = parse_sumo_routes(kRoutes, "flows.rou.xml", 1);
  EXPECT_EQ(pieces.n_pieces, 4);
  ASSERT_EQ(pieces.n_vehicles(), 14);
  EXPECT_EQ(pieces.line[13], 7);
  expect_same_demand(pieces, whole);

  const char* source = std::getenv("CITYTWIN_SOURCE_DIR");
  const std::filesystem::path path = std::filesystem::path(source != nullptr ? source : ".") /
                                     "tests/models/mobility/data/grid4.rou.xml";
  std::ifstream in(path, std::ios::binary);
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  const SumoDemand grid_whole = parse_sumo_routes(text, "grid4.rou.xml", 0);
  ASSERT_EQ(grid_whole.n_vehicles(), 400);
  EXPECT_EQ(grid_whole.vehicle_id[399], "399");
  EXPECT_DOUBLE_EQ(grid_whole.depart_s[399], 1795.5);  // 399 x 4.5 s
  const SumoDemand grid_pieces = parse_sumo_routes(text, "grid4.rou.xml", 2048);
  EXPECT_GT(grid_pieces.n_pieces, 15);
  expect_same_demand(grid_pieces, grid_whole);
  expect_same_demand(read_sumo_routes(path), grid_whole);

  std::string commented = kRoutes;
  commented.insert(commented.find("  <trip"),
                   "  <!-- an old <vehicle id=\"x\" depart=\"1\"/> -->\n");
  const SumoDemand fallback = parse_sumo_routes(commented, "flows.rou.xml", 1);
  EXPECT_EQ(fallback.n_pieces, 1);
  EXPECT_EQ(fallback.n_vehicles(), 14);
  EXPECT_EQ(fallback.line[13], 8);
}

TEST(SumoRoutes, ErrorsNameFileLineAndId) {
  const char* const bad = R"(<routes>
  <vehicle id="a" depart="x" route="r"/>
  <vehicle id="b" depart="1" route="missing"/>
  <flow id="f" begin="0" end="10"><route edges="A"/></flow>
</routes>
)";
  EXPECT_INPUT_ERROR(parse_sumo_routes(bad, "bad.rou.xml"),
                     "bad.rou.xml:2:.*vehicle id=\"a\".*depart");
  EXPECT_INPUT_ERROR(parse_sumo_routes(bad, "bad.rou.xml"),
                     "bad.rou.xml:3:.*unknown route 'missing'");
  EXPECT_INPUT_ERROR(parse_sumo_routes(bad, "bad.rou.xml"),
                     "bad.rou.xml:4:.*flow id=\"f\".*exactly one of period");
  EXPECT_INPUT_ERROR(parse_sumo_routes("<routes>\n<vehicle id=\"a\"\n</routes>", "cut.rou.xml"),
                     "cut.rou.xml:[0-9]+:.*XML syntax error");
  EXPECT_INPUT_ERROR(read_sumo_routes("/nonexistent/x.rou.xml"), "x.rou.xml.*cannot open");
  // the same messages when the file is read in pieces (a syntax error reads it whole)
  EXPECT_INPUT_ERROR(parse_sumo_routes(bad, "bad.rou.xml", 1),
                     "bad.rou.xml:3:.*unknown route 'missing'");
  EXPECT_INPUT_ERROR(parse_sumo_routes(bad, "bad.rou.xml", 1),
                     "bad.rou.xml:4:.*flow id=\"f\".*exactly one of period");
  EXPECT_INPUT_ERROR(parse_sumo_routes("<routes>\n<vehicle id=\"a\"\n</routes>", "cut.rou.xml", 1),
                     "cut.rou.xml:[0-9]+:.*XML syntax error");
}

}  // namespace
}  // namespace citytwin::mobility
