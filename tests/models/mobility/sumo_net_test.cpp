#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <citytwin/mobility/readers/sumo_net.hpp>
#include <citytwin/mobility/readers/sumo_routes.hpp>
#include <citytwin/sim/error.hpp>

#include "expect_same_network.hpp"

namespace citytwin::mobility {
namespace {

// Two edges through a signalised junction J1: E0 (a sidewalk and a car lane, 50 km/h) and E1
// (a 30 km/h bicycle-only edge), an internal edge inside J1, a two-phase traffic light.
const char* const kTinyNet = R"(<?xml version="1.0" encoding="UTF-8"?>
<net version="1.16" junctionCornerDetail="5" limitTurnSpeed="5.50">
    <location netOffset="-385000.00,-6670000.00" convBoundary="0.00,0.00,150.00,0.00" origBoundary="24.93,60.16,24.95,60.17" projParameter="+proj=utm +zone=35 +ellps=WGS84 +datum=WGS84 +units=m +no_defs"/>
    <edge id=":J1_0" function="internal">
        <lane id=":J1_0_0" index="0" speed="8.00" length="4.00" shape="98.00,-1.60 102.00,-1.60"/>
    </edge>
    <edge id="E0" from="J0" to="J1" priority="2" type="highway.primary" name="Test Street">
        <lane id="E0_0" index="0" allow="pedestrian" speed="2.78" length="100.00" shape="0.00,-4.80 98.00,-4.80"/>
        <lane id="E0_1" index="1" disallow="pedestrian" speed="13.89" length="100.00" shape="0.00,-1.60 98.00,-1.60"/>
    </edge>
    <edge id="E1" from="J1" to="J2" priority="1">
        <lane id="E1_0" index="0" allow="bicycle" speed="8.33" length="50.50" shape="102.00,-1.60 150.00,-1.60"/>
    </edge>
    <tlLogic id="J1" type="static" programID="0" offset="5">
        <phase duration="31" state="G"/>
        <phase duration="29" state="r"/>
    </tlLogic>
    <junction id="J0" type="dead_end" x="0.00" y="0.00" z="10.00" incLanes="" intLanes="" shape="0.00,0.00"/>
    <junction id="J1" type="traffic_light" x="100.00" y="0.00" z="11.00" incLanes="E0_0 E0_1" intLanes=":J1_0_0" shape="100.00,0.00"/>
    <junction id="J2" type="dead_end" x="150.00" y="0.00" incLanes="E1_0" intLanes="" shape="150.00,0.00"/>
    <junction id=":J1_0_0" type="internal" x="100.00" y="-1.60" incLanes="" intLanes=""/>
    <connection from="E0" to="E1" fromLane="1" toLane="0" via=":J1_0_0" tl="J1" linkIndex="0" dir="s" state="O"/>
    <connection from=":J1_0" to="E1" fromLane="0" toLane="0" dir="s" state="M"/>
</net>
)";

TEST(SumoNet, TinyNetExactValues) {
  const SumoNet sumo = parse_sumo_net(kTinyNet, "tiny.net.xml");
  const StreetNetwork& net = sumo.network;

  // location
  EXPECT_DOUBLE_EQ(sumo.location.net_offset_x_m, -385000.0);
  EXPECT_DOUBLE_EQ(sumo.location.net_offset_y_m, -6670000.0);
  EXPECT_EQ(sumo.location.proj_parameter.rfind("+proj=utm +zone=35", 0), 0U);
  EXPECT_EQ(sumo.location.conv_boundary, "0.00,0.00,150.00,0.00");

  // junctions, internal ones skipped; ids are 1-based positions
  ASSERT_EQ(net.n_nodes(), 3);
  EXPECT_EQ(net.node_external_id, (std::vector<std::string>{"J0", "J1", "J2"}));
  EXPECT_EQ(net.node_id, (std::vector<std::int64_t>{1, 2, 3}));
  EXPECT_EQ(net.node_idx("J1"), 1);
  EXPECT_DOUBLE_EQ(net.node_x_m[1], 100.0);
  EXPECT_DOUBLE_EQ(net.node_z_m[1], 11.0);
  EXPECT_DOUBLE_EQ(net.node_z_m[2], 0.0);
  EXPECT_EQ(net.node_signalised, (std::vector<std::uint8_t>{0, 1, 0}));
  EXPECT_EQ(net.node_signal_program_idx, (std::vector<std::int32_t>{-1, 0, -1}));

  // edges: internal skipped
  EXPECT_EQ(sumo.n_internal_edges_skipped, 1);
  ASSERT_EQ(net.n_links(), 2);
  const auto e0 = static_cast<std::size_t>(net.link_idx("E0"));
  const auto e1 = static_cast<std::size_t>(net.link_idx("E1"));
  EXPECT_EQ(net.link_id[e0], 1);
  EXPECT_EQ(net.from_node_idx[e0], 0);
  EXPECT_EQ(net.to_node_idx[e0], 1);
  EXPECT_DOUBLE_EQ(net.length_m[e0], 100.0);
  EXPECT_EQ(net.lanes[e0], 1);  // the sidewalk is no car lane
  EXPECT_DOUBLE_EQ(net.free_speed_mps[e0], 13.89);
  EXPECT_DOUBLE_EQ(net.flow_capacity_veh_per_h[e0], 1800.0);  // 50 km/h class
  EXPECT_EQ(net.modes[e0], kModeAll);
  EXPECT_EQ(net.highway_class[e0], HighwayClass::kPrimary);
  EXPECT_EQ(net.name[e0], "Test Street");
  EXPECT_DOUBLE_EQ(net.grade_frac[e0], 1.0 / 100.0);
  EXPECT_DOUBLE_EQ(net.storage_capacity_veh[e0], 100.0 / 7.5);
  EXPECT_DOUBLE_EQ(net.length_m[e1], 50.5);
  EXPECT_EQ(net.modes[e1], kModeBike);
  EXPECT_EQ(net.lanes[e1], 1);
  EXPECT_DOUBLE_EQ(net.free_speed_mps[e1], kBikeFreeSpeedMps);
  EXPECT_DOUBLE_EQ(net.flow_capacity_veh_per_h[e1], 2000.0);
  EXPECT_EQ(net.highway_class[e1], HighwayClass::kOther);

  // connections: only the one between normal edges
  const LaneConnections& c = sumo.connections;
  ASSERT_EQ(c.size(), 1);
  EXPECT_EQ(c.from_link_idx[0], static_cast<std::int32_t>(e0));
  EXPECT_EQ(c.from_lane[0], 1);
  EXPECT_EQ(c.to_link_idx[0], static_cast<std::int32_t>(e1));
  EXPECT_EQ(c.to_lane[0], 0);
  EXPECT_EQ(c.via[0], ":J1_0_0");
  EXPECT_EQ(c.signal_program_idx[0], 0);
  EXPECT_EQ(c.link_index[0], 0);
  EXPECT_EQ(c.direction[0], 's');

  // the signal program
  const SignalPrograms& p = net.signal_programs;
  ASSERT_EQ(p.size(), 1);
  EXPECT_EQ(p.program_id[0], "J1");
  EXPECT_EQ(p.program_name[0], "0");
  EXPECT_EQ(p.type[0], "static");
  EXPECT_DOUBLE_EQ(p.offset_s[0], 5.0);
  EXPECT_EQ(p.phase_begin, (std::vector<std::int64_t>{0, 2}));
  EXPECT_EQ(p.phase_duration_s, (std::vector<double>{31.0, 29.0}));
  EXPECT_EQ(p.phase_state, (std::vector<std::string>{"G", "r"}));

  // stars
  EXPECT_EQ(net.out_begin, (std::vector<std::int64_t>{0, 1, 2, 2}));
  EXPECT_EQ(net.in_begin, (std::vector<std::int64_t>{0, 0, 1, 2}));
}

// the tiny net with one edit
std::string edited(const std::string& from, const std::string& to) {
  std::string text = kTinyNet;
  const std::size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

TEST(SumoNet, EdgeWithUnknownJunctionNamesFileAndLine) {
  // E1 is on line 11 of the document
  const std::string xml =
      edited(R"(<edge id="E1" from="J1" to="J2")", R"(<edge id="E1" from="J1" to="J9")");
  try {
    static_cast<void>(parse_sumo_net(xml, "bad.net.xml"));
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_EQ(e.first().line, 11) << what;
    EXPECT_EQ(e.first().key, "edge 'E1'.to");
    EXPECT_NE(what.find("bad.net.xml:11:"), std::string::npos) << what;
    EXPECT_NE(what.find("edge 'E1' references unknown junction 'J9' in 'to'"), std::string::npos)
        << what;
  }
}

TEST(SumoNet, CollectsEveryProblem) {
  std::string xml = edited(R"(speed="13.89")", R"(speed="fast")");
  xml.replace(xml.find(R"(tl="J1")"), 7, R"(tl="J7")");
  try {
    static_cast<void>(parse_sumo_net(xml, "bad.net.xml"));
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    const std::string what = e.what();
    ASSERT_EQ(e.issues().size(), 2U) << what;
    EXPECT_NE(what.find("bad.net.xml:9:"), std::string::npos) << what;
    EXPECT_NE(what.find("speed=\"fast\", which is not a number"), std::string::npos) << what;
    EXPECT_NE(what.find("unknown tlLogic 'J7'"), std::string::npos) << what;
  }
}

// Plain documents are indexed by the reader's own scanner; entities, tabs and line breaks in
// values, CDATA and the like send a document to pugixml. Both give the same network.
TEST(SumoNet, EntitiesAndLineBreaksReadAsPugixmlReadsThem) {
  // "Test &amp; Street" is "Test & Street"; a tab in a value becomes a space (XML 1.0
  // attribute-value normalisation), CRLF line ends change nothing
  std::string xml = edited(R"(name="Test Street")", R"(name="Test &amp;	Street")");
  std::string crlf;
  for (const char c : xml) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  for (const std::string& text : {xml, crlf}) {
    const SumoNet sumo = parse_sumo_net(text, "entity.net.xml");
    const StreetNetwork& net = sumo.network;
    ASSERT_EQ(net.n_links(), 2);
    const auto e0 = static_cast<std::size_t>(net.link_idx("E0"));
    EXPECT_EQ(net.name[e0], "Test & Street");
    EXPECT_DOUBLE_EQ(net.length_m[e0], 100.0);
    EXPECT_EQ(net.node_external_id, (std::vector<std::string>{"J0", "J1", "J2"}));
    EXPECT_EQ(sumo.connections.size(), 1);
    EXPECT_EQ(sumo.connections.via[0], ":J1_0_0");
  }
}

// positions in messages count the lines of the text as written, also where an element's
// attributes span lines (E1 starts on line 11, its junction J9 is named on line 13)
TEST(SumoNet, MultiLineElementsKeepTheirLines) {
  const std::string xml = edited(R"(<edge id="E1" from="J1" to="J2")",
                                 "<edge\n id=\"E1\" from=\"J1\"\n to=\"J9\"");
  try {
    static_cast<void>(parse_sumo_net(xml, "bad.net.xml"));
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    ASSERT_EQ(e.issues().size(), 1U) << e.what();
    EXPECT_EQ(e.first().line, 11) << e.what();
    EXPECT_EQ(e.first().column, 6) << e.what();  // the element name, after 4 spaces and '<'
    // the lane of E1 moves to line 14
    std::string bad_speed = edited(R"(<edge id="E1" from="J1" to="J2" priority="1">)",
                                   "<edge\n id=\"E1\" from=\"J1\"\n to=\"J2\">");
    bad_speed.replace(bad_speed.find(R"(speed="8.33")"), 12, R"(speed="x")");
    try {
      static_cast<void>(parse_sumo_net(bad_speed, "bad.net.xml"));
      FAIL() << "expected InputError";
    } catch (const InputError& e2) {
      ASSERT_EQ(e2.issues().size(), 1U) << e2.what();
      EXPECT_EQ(e2.first().line, 14) << e2.what();
      EXPECT_EQ(e2.first().key, "lane 'E1_0'.speed");
    }
  }
}

TEST(SumoNet, SyntaxErrorAndMissingFile) {
  try {
    static_cast<void>(parse_sumo_net("<net>\n  <edge id=\"E0\"\n</net>\n", "cut.net.xml"));
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("cut.net.xml:"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("XML syntax error"), std::string::npos) << e.what();
  }
  try {
    static_cast<void>(read_sumo_net("/nonexistent/city.net.xml"));
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/city.net.xml: error: cannot open"),
              std::string::npos)
        << e.what();
  }
}

// every field of two readings of a SUMO network
void expect_same_network(const SumoNet& a, const SumoNet& b) {
  testing::expect_same_network(a.network, b.network);
  const LaneConnections& c = a.connections;
  const LaneConnections& d = b.connections;
  EXPECT_EQ(c.from_link_idx, d.from_link_idx);
  EXPECT_EQ(c.from_lane, d.from_lane);
  EXPECT_EQ(c.to_link_idx, d.to_link_idx);
  EXPECT_EQ(c.to_lane, d.to_lane);
  EXPECT_EQ(c.via, d.via);
  EXPECT_EQ(c.signal_program_idx, d.signal_program_idx);
  EXPECT_EQ(c.link_index, d.link_index);
  EXPECT_EQ(c.direction, d.direction);
  EXPECT_EQ(a.location.net_offset_x_m, b.location.net_offset_x_m);
  EXPECT_EQ(a.location.conv_boundary, b.location.conv_boundary);
  EXPECT_EQ(a.location.proj_parameter, b.location.proj_parameter);
  EXPECT_EQ(a.n_internal_edges_skipped, b.n_internal_edges_skipped);
}

// A network read in pieces (cut before <edge>, <junction>, <connection> and <tlLogic> tags) is
// the network read whole, whatever the size of the pieces.
TEST(SumoNet, PiecesReadTheWholeNetwork) {
  const SumoNet whole = parse_sumo_net(kTinyNet, "tiny.net.xml", 0);
  EXPECT_EQ(whole.n_pieces, 1);
  ASSERT_EQ(whole.network.n_links(), 2);
  // 1 byte: a piece per element (3 edges, the program, 4 junctions, 2 connections); 400: cut
  // at the first of those tags 400 bytes or more into a piece (the 1,783-byte text is cut at
  // bytes 317, 808, 1252 and 1699)
  const std::vector<std::pair<std::size_t, std::int64_t>> sizes = {{1, 10}, {400, 4}, {900, 2}};
  for (const auto& [bytes, n_pieces] : sizes) {
    const SumoNet pieces = parse_sumo_net(kTinyNet, "tiny.net.xml", bytes);
    EXPECT_EQ(pieces.n_pieces, n_pieces) << bytes;
    expect_same_network(pieces, whole);
  }
  // with entities and CRLF line ends
  std::string crlf;
  for (const char c : edited(R"(name="Test Street")", R"(name="Test &amp;	Street")")) {
    crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  }
  const SumoNet pieces = parse_sumo_net(crlf, "crlf.net.xml", 1);
  EXPECT_EQ(pieces.n_pieces, 10);
  EXPECT_EQ(pieces.network.name[0], "Test & Street");
  expect_same_network(pieces, parse_sumo_net(crlf, "crlf.net.xml", 0));
}

// netgenerate's 4 x 4 grid (data/README.md): read whole, in its two default pieces and in pieces
// of 4 kB, the same 16 junctions, 48 edges, 192 connections and 16 programs
TEST(SumoNet, NetgenerateGridReadInPiecesIsReadWhole) {
  const char* source = std::getenv("CITYTWIN_SOURCE_DIR");
  const std::filesystem::path path = std::filesystem::path(source != nullptr ? source : ".") /
                                     "tests/models/mobility/data/grid4.net.xml";
  std::ifstream in(path, std::ios::binary);
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  ASSERT_EQ(text.size(), 140410U);
  const SumoNet whole = parse_sumo_net(text, "grid4.net.xml", 0);
  EXPECT_EQ(whole.network.n_nodes(), 16);
  EXPECT_EQ(whole.network.n_links(), 48);
  EXPECT_EQ(whole.connections.size(), 192);
  EXPECT_EQ(whole.network.signal_programs.size(), 16);
  const SumoNet by_default = read_sumo_net(path);
  EXPECT_EQ(by_default.n_pieces, 2);
  expect_same_network(by_default, whole);
  const SumoNet small = parse_sumo_net(text, "grid4.net.xml", 4096);
  EXPECT_GT(small.n_pieces, 30);
  expect_same_network(small, whole);
}

// A cut tag inside a comment or CDATA leaves a piece that does not parse: the document is then
// read whole, with the same network.
TEST(SumoNet, ACutInsideACommentOrCdataReadsTheWholeDocument) {
  const std::string in_comment =
      edited(R"(    <tlLogic)", "    <!-- an <edge id=\"X\"> -->\n    <tlLogic");
  const std::string in_cdata =
      edited(R"(    <tlLogic)",
             "    <param key=\"k\"><![CDATA[<junction id=\"X\"/>]]></param>\n    <tlLogic");
  for (const std::string& text : {in_comment, in_cdata}) {
    const SumoNet pieces = parse_sumo_net(text, "odd.net.xml", 1);
    EXPECT_EQ(pieces.n_pieces, 1);
    EXPECT_EQ(pieces.network.n_links(), 2);
    EXPECT_EQ(pieces.network.n_nodes(), 3);
    expect_same_network(pieces, parse_sumo_net(kTinyNet, "tiny.net.xml", 0));
  }
}

// Problems are reported alike (file order, lines, columns) whether the network is read whole or
// in pieces, syntax errors included.
TEST(SumoNet, PiecesReportTheSameProblems) {
  std::string two = edited(R"(speed="13.89")", R"(speed="fast")");
  two.replace(two.find(R"(tl="J1")"), 7, R"(tl="J7")");
  std::string unclosed = kTinyNet;
  unclosed.replace(unclosed.find(R"(x="150.00")"), 10, R"(x="150.00)");
  const std::vector<std::string> bad = {
      edited(R"(<edge id="E1" from="J1" to="J2")", R"(<edge id="E1" from="J1" to="J9")"),
      edited(R"(<edge id="E1" from="J1" to="J2")", "<edge\n id=\"E1\" from=\"J1\"\n to=\"J9\""),
      edited(R"(<junction id="J0" type="dead_end" x="0.00")",
             R"(<junction id="J0" type="dead_end")"),
      two, unclosed};
  for (const std::string& text : bad) {
    std::string what_whole, what_pieces;
    try {
      static_cast<void>(parse_sumo_net(text, "bad.net.xml", 0));
    } catch (const InputError& e) {
      what_whole = e.what();
    }
    try {
      static_cast<void>(parse_sumo_net(text, "bad.net.xml", 1));
    } catch (const InputError& e) {
      what_pieces = e.what();
    }
    EXPECT_NE(what_whole.find("bad.net.xml:"), std::string::npos) << what_whole;
    EXPECT_EQ(what_pieces, what_whole);
  }
}

// a folder given as either file is an input error naming it (not a stream exception)
TEST(SumoNet, AFolderIsAnInputErrorForBothReaders) {
  const std::string folder = std::filesystem::temp_directory_path().string();
  for (int reader = 0; reader < 2; ++reader) {
    try {
      if (reader == 0) static_cast<void>(read_sumo_net(folder));
      if (reader == 1) static_cast<void>(read_sumo_routes(folder));
      FAIL() << "expected InputError";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(folder + ": error: is a folder"), std::string::npos)
          << e.what();
    }
  }
}

}  // namespace
}  // namespace citytwin::mobility
