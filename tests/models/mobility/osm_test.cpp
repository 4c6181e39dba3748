#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include <gtest/gtest.h>

#include <citytwin/mobility/readers/osm.hpp>
#include <citytwin/sim/error.hpp>

#include "expect_same_network.hpp"
#include "test_data.hpp"

namespace citytwin::mobility {
namespace {

constexpr double kPi = 3.14159265358979323846;

// [m] distance between two close points on the WGS84 ellipsoid, from the meridian (M) and prime
// vertical (N) radii at the mean latitude: exact to ~1e-6 relative over a few hundred metres
double local_distance_m(double lat1_deg, double lon1_deg, double lat2_deg, double lon2_deg) {
  const double a_m = 6378137.0;
  const double f = 1.0 / 298.257223563;
  const double e2 = f * (2.0 - f);
  const double phi = 0.5 * (lat1_deg + lat2_deg) * kPi / 180.0;
  const double w = 1.0 - e2 * std::sin(phi) * std::sin(phi);
  const double m_m = a_m * (1.0 - e2) / (w * std::sqrt(w));
  const double n_m = a_m / std::sqrt(w);
  const double dy_m = m_m * (lat2_deg - lat1_deg) * kPi / 180.0;
  const double dx_m = n_m * std::cos(phi) * (lon2_deg - lon1_deg) * kPi / 180.0;
  return std::hypot(dx_m, dy_m);
}

// [m2] area of a lon/lat box, same local radii
double local_box_area_m2(double lat0, double lon0, double lat1, double lon1) {
  return local_distance_m(lat0, lon0, lat1, lon0) * local_distance_m(lat0, lon0, lat0, lon1);
}

// writes `text` to a fresh file in the temp folder and returns its path
std::filesystem::path write_temp(const std::string& name, const std::string& text) {
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("citytwin_mobility_" + name);
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

// A T-junction (ways 10, 11, 12) with traffic signals mid-way on way 10 (node 8), a oneway side
// street (11), a roundabout (13) split by a cycleway (14), a way clipped at the border (15:
// node 100 is missing), a no_left_turn 10 → 11 at node 2, a via-way restriction, two buildings
// (one a multipolygon with a courtyard), one without height, and a bike-share station.
const char* const kTinyOsm = R"(<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6" generator="hand">
  <node id="1" version="1" lat="60.0000" lon="25.0000"/>
  <node id="2" version="1" lat="60.0000" lon="25.0030"/>
  <node id="3" version="1" lat="60.0000" lon="25.0050"/>
  <node id="4" version="1" lat="60.0015" lon="25.0030"/>
  <node id="5" version="1" lat="59.9995" lon="25.0055"/>
  <node id="6" version="1" lat="59.9990" lon="25.0050"/>
  <node id="7" version="1" lat="59.9980" lon="25.0050"/>
  <node id="8" version="1" lat="60.0000" lon="25.0015"><tag k="highway" v="traffic_signals"/></node>
  <node id="9" version="1" lat="60.0030" lon="25.0030"/>
  <node id="10" version="1" lat="60.0025" lon="25.0040"/>
  <node id="11" version="1" lat="60.0005" lon="25.0005"/>
  <node id="12" version="1" lat="60.0005" lon="25.0010"/>
  <node id="13" version="1" lat="60.0008" lon="25.0010"/>
  <node id="14" version="1" lat="60.0008" lon="25.0005"/>
  <node id="15" version="1" lat="60.0010" lon="25.0060"/>
  <node id="16" version="1" lat="60.0010" lon="25.0070"/>
  <node id="17" version="1" lat="60.0016" lon="25.0070"/>
  <node id="18" version="1" lat="60.0016" lon="25.0060"/>
  <node id="19" version="1" lat="60.0012" lon="25.0063"/>
  <node id="20" version="1" lat="60.0012" lon="25.0067"/>
  <node id="21" version="1" lat="60.0014" lon="25.0067"/>
  <node id="22" version="1" lat="60.0014" lon="25.0063"/>
  <node id="23" version="1" lat="60.0001" lon="25.0031">
    <tag k="amenity" v="bicycle_rental"/><tag k="ref" v="042"/><tag k="name" v="Test Square"/>
    <tag k="capacity" v="20"/>
  </node>
  <node id="24" version="1" lat="60.0020" lon="25.0000"/>
  <node id="25" version="1" lat="60.0020" lon="25.0002"/>
  <node id="26" version="1" lat="60.0022" lon="25.0002"/>
  <way id="10" version="1">
    <nd ref="1"/><nd ref="8"/><nd ref="2"/>
    <tag k="highway" v="primary"/><tag k="name" v="Main Street"/><tag k="lanes" v="4"/>
    <tag k="maxspeed" v="50"/>
  </way>
  <way id="11" version="1">
    <nd ref="2"/><nd ref="4"/>
    <tag k="highway" v="residential"/><tag k="oneway" v="yes"/><tag k="maxspeed" v="30"/>
    <tag k="name" v="Side Street"/>
  </way>
  <way id="12" version="1">
    <nd ref="2"/><nd ref="3"/>
    <tag k="highway" v="primary"/><tag k="lanes" v="2"/><tag k="maxspeed" v="25 mph"/>
  </way>
  <way id="13" version="1">
    <nd ref="3"/><nd ref="5"/><nd ref="6"/><nd ref="3"/>
    <tag k="highway" v="tertiary"/><tag k="junction" v="roundabout"/>
  </way>
  <way id="14" version="1">
    <nd ref="6"/><nd ref="7"/>
    <tag k="highway" v="cycleway"/>
  </way>
  <way id="15" version="1">
    <nd ref="9"/><nd ref="100"/><nd ref="4"/><nd ref="10"/>
    <tag k="highway" v="residential"/>
  </way>
  <way id="16" version="1">
    <nd ref="11"/><nd ref="12"/><nd ref="13"/><nd ref="14"/><nd ref="11"/>
    <tag k="building" v="apartments"/><tag k="building:levels" v="4"/>
  </way>
  <way id="17" version="1">
    <nd ref="15"/><nd ref="16"/><nd ref="17"/><nd ref="18"/><nd ref="15"/>
  </way>
  <way id="18" version="1">
    <nd ref="19"/><nd ref="20"/><nd ref="21"/><nd ref="22"/><nd ref="19"/>
  </way>
  <way id="19" version="1">
    <nd ref="24"/><nd ref="25"/><nd ref="26"/><nd ref="24"/>
    <tag k="building" v="yes"/>
  </way>
  <relation id="20" version="1">
    <member type="way" ref="10" role="from"/><member type="node" ref="2" role="via"/>
    <member type="way" ref="11" role="to"/>
    <tag k="type" v="restriction"/><tag k="restriction" v="no_left_turn"/>
  </relation>
  <relation id="21" version="1">
    <member type="way" ref="10" role="from"/><member type="way" ref="12" role="via"/>
    <member type="way" ref="13" role="to"/>
    <tag k="type" v="restriction"/><tag k="restriction" v="no_u_turn"/>
  </relation>
  <relation id="22" version="1">
    <member type="way" ref="17" role="outer"/><member type="way" ref="18" role="inner"/>
    <tag k="type" v="multipolygon"/><tag k="building" v="office"/><tag k="height" v="20"/>
  </relation>
</osm>
)";

class TinyOsmTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { data_ = new OsmData(read_osm(write_temp("tiny.osm", kTinyOsm))); }
  static void TearDownTestSuite() {
    delete data_;
    data_ = nullptr;
  }
  static std::int32_t link(const std::string& external_id) {
    const std::int32_t l = data_->network.link_idx(external_id);
    EXPECT_GE(l, 0) << external_id;
    return l;
  }
  static OsmData* data_;
};
OsmData* TinyOsmTest::data_ = nullptr;

TEST_F(TinyOsmTest, NodesAreJunctionsEndsAndSignals) {
  const StreetNetwork& net = data_->network;
  // 5 is inside the roundabout, 9 is cut off by the clip
  ASSERT_EQ(net.n_nodes(), 8);
  const std::vector<std::int64_t> expected{1, 2, 3, 4, 6, 7, 8, 10};
  EXPECT_EQ(net.node_id, expected);
  EXPECT_EQ(net.node_signalised[static_cast<std::size_t>(net.node_idx(std::int64_t{8}))], 1);
  EXPECT_EQ(net.node_signalised[static_cast<std::size_t>(net.node_idx(std::int64_t{2}))], 0);
  EXPECT_EQ(data_->stats.n_signal_nodes, 1);
  EXPECT_EQ(data_->stats.n_missing_node_refs, 1);
  EXPECT_EQ(data_->stats.n_ways_clipped, 1);
  EXPECT_EQ(data_->stats.n_routable_ways, 6);
}

TEST_F(TinyOsmTest, LinksHaveExactAttributes) {
  const StreetNetwork& net = data_->network;
  ASSERT_EQ(net.n_links(), 16);

  // way 10, split at the signal: 2 lanes each way from lanes=4, 50 km/h, primary capacity
  const std::int32_t l10 = link("10:0:f");
  EXPECT_EQ(net.link_id[static_cast<std::size_t>(l10)], 10 * 4096 + 0);
  EXPECT_EQ(net.link_id[static_cast<std::size_t>(link("10:1:b"))], 10 * 4096 + 2 + 1);
  for (const char* id : {"10:0:f", "10:0:b", "10:1:f", "10:1:b"}) {
    const auto l = static_cast<std::size_t>(link(id));
    EXPECT_EQ(net.lanes[l], 2) << id;
    EXPECT_DOUBLE_EQ(net.free_speed_mps[l], 50.0 / 3.6) << id;
    EXPECT_DOUBLE_EQ(net.flow_capacity_veh_per_h[l], 3600.0) << id;
    EXPECT_EQ(net.modes[l], kModeAll) << id;
    EXPECT_EQ(net.highway_class[l], HighwayClass::kPrimary) << id;
    EXPECT_EQ(net.name[l], "Main Street") << id;
  }
  const auto l10f = static_cast<std::size_t>(l10);
  EXPECT_EQ(net.node_id[static_cast<std::size_t>(net.from_node_idx[l10f])], 1);
  EXPECT_EQ(net.node_id[static_cast<std::size_t>(net.to_node_idx[l10f])], 8);
  EXPECT_NEAR(net.length_m[l10f], local_distance_m(60.0, 25.0, 60.0, 25.0015),
              1e-3 * net.length_m[l10f]);
  EXPECT_NEAR(net.storage_capacity_veh[l10f], net.length_m[l10f] * 2 / 7.5, 1e-9);

  // oneway side street: cars one way, pedestrians both ways
  const auto side_f = static_cast<std::size_t>(link("11:0:f"));
  const auto side_b = static_cast<std::size_t>(link("11:0:b"));
  EXPECT_EQ(net.modes[side_f], kModeAll);
  EXPECT_EQ(net.modes[side_b], kModeWalk);
  EXPECT_DOUBLE_EQ(net.free_speed_mps[side_f], 30.0 / 3.6);
  EXPECT_DOUBLE_EQ(net.free_speed_mps[side_b], kWalkFreeSpeedMps);
  EXPECT_DOUBLE_EQ(net.flow_capacity_veh_per_h[side_f], 1200.0);
  EXPECT_DOUBLE_EQ(net.flow_capacity_veh_per_h[side_b], 2000.0);
  EXPECT_NEAR(net.length_m[side_f], local_distance_m(60.0, 25.003, 60.0015, 25.003),
              1e-3 * net.length_m[side_f]);

  // way 12: lanes=2 two-way gives one lane each way, 25 mph
  const auto l12 = static_cast<std::size_t>(link("12:0:b"));
  EXPECT_EQ(net.lanes[l12], 1);
  EXPECT_NEAR(net.free_speed_mps[l12], 25.0 * 1609.344 / 3600.0, 1e-12);
  EXPECT_DOUBLE_EQ(net.flow_capacity_veh_per_h[l12], 1800.0);

  // roundabout: oneway implied, split at the cycleway; the first part runs 3 → 5 → 6
  const auto r0 = static_cast<std::size_t>(link("13:0:f"));
  EXPECT_EQ(net.modes[r0], kModeAll);
  EXPECT_EQ(net.modes[static_cast<std::size_t>(link("13:0:b"))], kModeWalk);
  EXPECT_EQ(net.highway_class[r0], HighwayClass::kTertiary);
  EXPECT_DOUBLE_EQ(net.flow_capacity_veh_per_h[r0], 1500.0);
  EXPECT_DOUBLE_EQ(net.free_speed_mps[r0], 50.0 / 3.6);
  const double ring0_m = local_distance_m(60.0, 25.005, 59.9995, 25.0055) +
                         local_distance_m(59.9995, 25.0055, 59.999, 25.005);
  EXPECT_NEAR(net.length_m[r0], ring0_m, 1e-3 * ring0_m);
  EXPECT_EQ(net.node_id[static_cast<std::size_t>(net.to_node_idx[r0])], 6);
  EXPECT_EQ(net.node_id[static_cast<std::size_t>(
                net.to_node_idx[static_cast<std::size_t>(link("13:1:f"))])],
            3);

  // cycleway: bicycles only, both ways, at 20 km/h
  for (const char* id : {"14:0:f", "14:0:b"}) {
    const auto l = static_cast<std::size_t>(link(id));
    EXPECT_EQ(net.modes[l], kModeBike) << id;
    EXPECT_DOUBLE_EQ(net.free_speed_mps[l], 20.0 / 3.6) << id;
    EXPECT_EQ(net.highway_class[l], HighwayClass::kCycleway) << id;
  }

  // clipped way: only 4 → 10 remains, residential defaults
  const auto c = static_cast<std::size_t>(link("15:0:f"));
  EXPECT_EQ(net.node_id[static_cast<std::size_t>(net.from_node_idx[c])], 4);
  EXPECT_EQ(net.node_id[static_cast<std::size_t>(net.to_node_idx[c])], 10);
  EXPECT_DOUBLE_EQ(net.free_speed_mps[c], 30.0 / 3.6);
  EXPECT_NEAR(net.length_m[c], local_distance_m(60.0015, 25.003, 60.0025, 25.004),
              1e-3 * net.length_m[c]);
}

TEST_F(TinyOsmTest, RestrictionLinksEnterAndLeaveTheViaNode) {
  const StreetNetwork& net = data_->network;
  ASSERT_EQ(net.n_restrictions(), 1);
  EXPECT_EQ(net.restriction_from_link_idx[0], link("10:1:f"));
  EXPECT_EQ(net.restriction_to_link_idx[0], link("11:0:f"));
  EXPECT_EQ(net.restriction_via_node_idx[0], net.node_idx(std::int64_t{2}));
  EXPECT_EQ(net.restriction_kind[0], TurnRestrictionKind::kNoLeftTurn);
  EXPECT_FALSE(is_mandatory(net.restriction_kind[0]));
  EXPECT_EQ(data_->stats.n_restrictions_read, 2);
  EXPECT_EQ(data_->stats.n_restrictions_via_way, 1);
}

TEST_F(TinyOsmTest, ProjectionKeepsDistances) {
  const StreetNetwork& net = data_->network;
  const auto a = static_cast<std::size_t>(net.node_idx(std::int64_t{1}));
  const auto b = static_cast<std::size_t>(net.node_idx(std::int64_t{4}));
  const double d_m =
      std::hypot(net.node_x_m[b] - net.node_x_m[a], net.node_y_m[b] - net.node_y_m[a]);
  const double expected_m = local_distance_m(60.0, 25.0, 60.0015, 25.003);
  EXPECT_NEAR(d_m, expected_m, 1e-3 * expected_m);
  // north is +y, east is +x
  EXPECT_GT(net.node_y_m[b], net.node_y_m[a]);
  EXPECT_GT(net.node_x_m[b], net.node_x_m[a]);
  EXPECT_NE(data_->crs.find("+proj=tmerc"), std::string::npos);
}

TEST_F(TinyOsmTest, BuildingsWithHeightOrLevels) {
  const sim::Buildings& b = data_->buildings;
  ASSERT_EQ(b.size(), 2);
  EXPECT_EQ(data_->stats.n_building_candidates, 3);
  EXPECT_EQ(data_->stats.n_buildings_without_height, 1);
  EXPECT_EQ(data_->stats.n_buildings_unassembled, 0);

  // way 16 (area id 32): 4 levels of 3 m, flat, apartments
  EXPECT_EQ(b.building_id[0], 32);
  EXPECT_DOUBLE_EQ(b.height_m[0], 12.0);
  EXPECT_EQ(b.n_floors[0], 4);
  EXPECT_EQ(b.use[0], sim::BuildingUse::kResidential);
  const double area0 = local_box_area_m2(60.0005, 25.0005, 60.0008, 25.0010);
  EXPECT_NEAR(b.footprint_area_m2[0], area0, 1e-3 * area0);
  EXPECT_NEAR(b.floor_area_m2[0], 4 * b.footprint_area_m2[0], 1e-9);

  // relation 22 (area id 45): 20 m office with a courtyard
  EXPECT_EQ(b.building_id[1], 45);
  EXPECT_DOUBLE_EQ(b.height_m[1], 20.0);
  EXPECT_EQ(b.n_floors[1], 7);
  EXPECT_EQ(b.use[1], sim::BuildingUse::kOffice);
  const double area1 = local_box_area_m2(60.0010, 25.0060, 60.0016, 25.0070) -
                       local_box_area_m2(60.0012, 25.0063, 60.0014, 25.0067);
  EXPECT_NEAR(b.footprint_area_m2[1], area1, 1e-3 * area1);
  ASSERT_EQ(b.ring_begin, (std::vector<std::int64_t>{0, 1, 3}));
  EXPECT_EQ(b.vertex_begin, (std::vector<std::int64_t>{0, 4, 8, 12}));

  // the courtyard is centred in the outer ring, so is the centroid
  double cx = 0.0, cy = 0.0;
  for (std::size_t v = 4; v < 8; ++v) {
    cx += 0.25 * b.vertex_x_m[v];
    cy += 0.25 * b.vertex_y_m[v];
  }
  EXPECT_NEAR(b.centroid_x_m[1], cx, 0.05);
  EXPECT_NEAR(b.centroid_y_m[1], cy, 0.05);

  // they fit a City
  sim::City city;
  city.buildings = b;
  EXPECT_NO_THROW(city.check_consistency());
}

TEST_F(TinyOsmTest, BicycleRentalStation) {
  const BicycleRentals& r = data_->bicycle_rentals;
  ASSERT_EQ(r.size(), 1);
  EXPECT_EQ(r.osm_node_id[0], 23);
  EXPECT_EQ(r.ref[0], "042");
  EXPECT_EQ(r.name[0], "Test Square");
  EXPECT_EQ(r.capacity[0], 20);
  EXPECT_DOUBLE_EQ(r.lat_deg[0], 60.0001);
}

TEST(OsmMaxspeed, ParsesNumbersUnitsAndZones) {
  EXPECT_DOUBLE_EQ(parse_osm_maxspeed_mps("30"), 30.0 / 3.6);
  EXPECT_NEAR(parse_osm_maxspeed_mps("50 mph"), 50.0 * 1.609344 / 3.6, 1e-12);
  EXPECT_DOUBLE_EQ(parse_osm_maxspeed_mps("FR:urban"), 50.0 / 3.6);
  EXPECT_DOUBLE_EQ(parse_osm_maxspeed_mps("FI:rural"), 80.0 / 3.6);
  EXPECT_DOUBLE_EQ(parse_osm_maxspeed_mps("DE:zone30"), 30.0 / 3.6);
  EXPECT_DOUBLE_EQ(parse_osm_maxspeed_mps("walk"), 7.0 / 3.6);
  EXPECT_LT(parse_osm_maxspeed_mps("signals"), 0.0);
  EXPECT_LT(parse_osm_maxspeed_mps("fast"), 0.0);
}

TEST(OsmErrors, MissingFileNamesThePath) {
  try {
    static_cast<void>(read_osm("/nonexistent/city.osm.pbf"));
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/city.osm.pbf: error: cannot open"),
              std::string::npos)
        << e.what();
  }
}

TEST(OsmErrors, BrokenXmlNamesLineAndColumn) {
  const std::filesystem::path path = write_temp(
      "broken.osm", "<?xml version='1.0'?>\n<osm version=\"0.6\">\n  <node id=\"1\" lat=>\n");
  try {
    static_cast<void>(read_osm(path));
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.first().line, 3) << e.what();
    EXPECT_GT(e.first().column, 0) << e.what();
    EXPECT_NE(std::string(e.what()).find(path.string() + ":3:"), std::string::npos) << e.what();
  }
}

TEST(OsmErrors, GarbagePbfIsAnInputError) {
  const std::filesystem::path path = write_temp("garbage.osm.pbf", "this is not a protobuf file");
  try {
    static_cast<void>(read_osm(path));
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot read the OpenStreetMap file"), std::string::npos)
        << e.what();
  }
}

// --- the real Helsinki extract (© OpenStreetMap contributors, ODbL 1.0) -----------------------

// every link leaves its from node and enters its to node exactly once in the stars
void expect_stars_consistent(const StreetNetwork& net) {
  ASSERT_EQ(net.out_begin.size(), static_cast<std::size_t>(net.n_nodes()) + 1);
  ASSERT_EQ(net.in_begin.size(), static_cast<std::size_t>(net.n_nodes()) + 1);
  EXPECT_EQ(net.out_begin.back(), net.n_links());
  EXPECT_EQ(net.in_begin.back(), net.n_links());
  for (std::int64_t n = 0; n < net.n_nodes(); ++n) {
    const auto i = static_cast<std::size_t>(n);
    for (std::int64_t k = net.out_begin[i]; k < net.out_begin[i + 1]; ++k) {
      const auto l = static_cast<std::size_t>(net.out_link_idx[static_cast<std::size_t>(k)]);
      EXPECT_EQ(net.from_node_idx[l], n);
    }
    for (std::int64_t k = net.in_begin[i]; k < net.in_begin[i + 1]; ++k) {
      const auto l = static_cast<std::size_t>(net.in_link_idx[static_cast<std::size_t>(k)]);
      EXPECT_EQ(net.to_node_idx[l], n);
    }
  }
}

class OsmHelsinki : public ::testing::Test {
 protected:
  // the PBF, read once for the suite (the import time is printed)
  static const OsmData* pbf_data() {
    static const OsmData data = [] {
      const std::filesystem::path pbf = test::data_dir() / "osm/helsinki/helsinki_centre.osm.pbf";
      const auto t0 = std::chrono::steady_clock::now();
      OsmData d = read_osm(pbf);
      const auto t1 = std::chrono::steady_clock::now();
      std::cout << "Helsinki PBF import: " << std::chrono::duration<double>(t1 - t0).count()
                << " s\n";
      return d;
    }();
    return &data;
  }
};

TEST_F(OsmHelsinki, PbfImportsWithPlausibleCounts) {
  CITYTWIN_DATA_FILE(pbf, "osm/helsinki/helsinki_centre.osm.pbf");
  const OsmData& data = *pbf_data();
  const StreetNetwork& net = data.network;
  const OsmImportStats& s = data.stats;
  std::cout << net.n_nodes() << " nodes, " << net.n_links() << " links, " << net.n_restrictions()
            << " restrictions, " << s.n_signal_nodes << " signals, " << data.buildings.size()
            << " buildings, " << data.bicycle_rentals.size() << " rental stations; read "
            << s.n_nodes_read << "/" << s.n_ways_read << "/" << s.n_relations_read
            << " n/w/r, routable ways " << s.n_routable_ways << ", clipped " << s.n_ways_clipped
            << ", dropped " << s.n_ways_dropped << ", closed to all modes " << s.n_ways_no_mode
            << ", missing refs " << s.n_missing_node_refs << ", restrictions read "
            << s.n_restrictions_read << " (via way " << s.n_restrictions_via_way << ", skipped "
            << s.n_restrictions_skipped << "), maxspeed unparsed " << s.n_maxspeed_unparsed
            << ", building candidates " << s.n_building_candidates << " (unassembled "
            << s.n_buildings_unassembled << ", without height " << s.n_buildings_without_height
            << ")\n";

  // the file's content, as listed in ../shared/data/SOURCES.md
  EXPECT_EQ(s.n_nodes_read, 24260);
  EXPECT_EQ(s.n_ways_read, 5130);
  EXPECT_EQ(s.n_relations_read, 620);
  EXPECT_EQ(s.n_missing_node_refs, 4525);
  EXPECT_EQ(data.buildings.size(), 154);

  // 2,650 highway ways, split at junctions, mostly two-way: a few thousand links
  EXPECT_GT(s.n_routable_ways, 2000);
  EXPECT_LE(s.n_routable_ways, 2650);
  EXPECT_GT(net.n_links(), 2000);
  EXPECT_LT(net.n_links(), 20000);
  EXPECT_GT(net.n_nodes(), 1000);
  EXPECT_LT(net.n_nodes(), net.n_links());
  // a city centre: dozens to a few hundred signals, a few dozen turn restrictions
  EXPECT_GT(s.n_signal_nodes, 50);
  EXPECT_LT(s.n_signal_nodes, 400);
  EXPECT_GT(net.n_restrictions(), 20);
  EXPECT_LE(net.n_restrictions() + s.n_restrictions_skipped, 2 * s.n_restrictions_read);

  // geometry: the bbox is 1.0 km x 1.7 km around (0, 0); links are short and have a length
  for (std::int64_t n = 0; n < net.n_nodes(); ++n) {
    EXPECT_LT(std::abs(net.node_x_m[static_cast<std::size_t>(n)]), 600.0);
    EXPECT_LT(std::abs(net.node_y_m[static_cast<std::size_t>(n)]), 900.0);
  }
  for (std::int64_t l = 0; l < net.n_links(); ++l) {
    EXPECT_GT(net.length_m[static_cast<std::size_t>(l)], 0.0);
    EXPECT_LT(net.length_m[static_cast<std::size_t>(l)], 2000.0);
  }
  expect_stars_consistent(net);
  for (std::int64_t r = 0; r < net.n_restrictions(); ++r) {
    const auto i = static_cast<std::size_t>(r);
    const auto from = static_cast<std::size_t>(net.restriction_from_link_idx[i]);
    const auto to = static_cast<std::size_t>(net.restriction_to_link_idx[i]);
    EXPECT_EQ(net.to_node_idx[from], net.restriction_via_node_idx[i]);
    EXPECT_EQ(net.from_node_idx[to], net.restriction_via_node_idx[i]);
    EXPECT_NE(net.modes[from] & kModeCar, 0);
    EXPECT_NE(net.modes[to] & kModeCar, 0);
  }
  const sim::City city = [&] {
    sim::City c;
    c.buildings = data.buildings;
    return c;
  }();
  EXPECT_NO_THROW(city.check_consistency());
  for (std::int64_t b = 0; b < data.buildings.size(); ++b) {
    EXPECT_GT(data.buildings.height_m[static_cast<std::size_t>(b)], 0.0);
    EXPECT_GT(data.buildings.footprint_area_m2[static_cast<std::size_t>(b)], 1.0);
  }
}

TEST_F(OsmHelsinki, BicycleRentalStationsCarryHslIds) {
  CITYTWIN_DATA_FILE(pbf, "osm/helsinki/helsinki_centre.osm.pbf");
  const BicycleRentals& r = pbf_data()->bicycle_rentals;
  std::vector<std::string> refs = r.ref;
  std::sort(refs.begin(), refs.end());
  const std::vector<std::string> expected{"008", "010", "011", "014", "017", "018", "019", "020",
                                          "021", "022", "023", "024", "027", "040", "161"};
  EXPECT_EQ(refs, expected);
  for (std::int64_t i = 0; i < r.size(); ++i) {
    EXPECT_GT(r.capacity[static_cast<std::size_t>(i)], 0);
    EXPECT_FALSE(r.name[static_cast<std::size_t>(i)].empty());
  }
}

TEST_F(OsmHelsinki, XmlAndPbfGiveIdenticalResults) {
  CITYTWIN_DATA_FILE(xml, "osm/helsinki/helsinki_centre.osm");
  CITYTWIN_DATA_FILE(pbf, "osm/helsinki/helsinki_centre.osm.pbf");
  const OsmData& a = *pbf_data();
  const auto t0 = std::chrono::steady_clock::now();
  const OsmData b = read_osm(xml);
  const auto t1 = std::chrono::steady_clock::now();
  std::cout << "Helsinki XML import: " << std::chrono::duration<double>(t1 - t0).count() << " s\n";
  testing::expect_same_network(a.network, b.network);
  EXPECT_EQ(a.buildings.building_id, b.buildings.building_id);
  EXPECT_EQ(a.buildings.vertex_x_m, b.buildings.vertex_x_m);
  EXPECT_EQ(a.buildings.height_m, b.buildings.height_m);
  EXPECT_EQ(a.bicycle_rentals.ref, b.bicycle_rentals.ref);
  EXPECT_EQ(a.crs, b.crs);
}

}  // namespace
}  // namespace citytwin::mobility
