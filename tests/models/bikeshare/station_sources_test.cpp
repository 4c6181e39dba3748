#include <citytwin/bikeshare/station_sources.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <citytwin/bikeshare/readers/osm_stations.hpp>
#include <citytwin/sim/error.hpp>

#include "test_data.hpp"

namespace citytwin::bikeshare {
namespace {

// metres per degree of the placement's local frame (IUGG mean radius, about latitude 60)
constexpr double kPi = 3.14159265358979323846;
const double kMPerDegLat = 6371008.8 * kPi / 180.0;
const double kMPerDegLon60 = kMPerDegLat * std::cos(60.0 * kPi / 180.0);

TEST(OsmStations, ReadsHelsinkiCentreExtract) {
  CITYTWIN_DATA_FILE(path, "osm/helsinki/helsinki_centre.osm.pbf");
  const StationTable table = read_osm_bike_stations(path);
  // 15 amenity=bicycle_rental nodes, no ways (counted independently in the XML version)
  ASSERT_EQ(table.n_stations(), 15u);
  EXPECT_EQ(table.n_missing_capacity, 0);
  EXPECT_EQ(std::accumulate(table.capacity.begin(), table.capacity.end(), 0), 332);
  // every station has a unique ref, so refs are the ids
  const std::int32_t kiasma = table.find("023");
  ASSERT_GE(kiasma, 0);
  const auto k = static_cast<std::size_t>(kiasma);
  EXPECT_EQ(table.name[k], "Kiasma kaupunkipyöräasema");
  EXPECT_EQ(table.capacity[k], 30);
  EXPECT_NEAR(table.lat_deg[k], 60.1713103, 1e-7);
  EXPECT_NEAR(table.lon_deg[k], 24.9374326, 1e-7);
  EXPECT_EQ(table.station_id.front(), "021");
}

TEST(OsmStations, XmlAndPbfAgree) {
  CITYTWIN_DATA_FILE(xml, "osm/helsinki/helsinki_centre.osm");
  CITYTWIN_DATA_FILE(pbf, "osm/helsinki/helsinki_centre.osm.pbf");
  const StationTable a = read_osm_bike_stations(xml);
  const StationTable b = read_osm_bike_stations(pbf);
  EXPECT_EQ(a.station_id, b.station_id);
  EXPECT_EQ(a.capacity, b.capacity);
  EXPECT_EQ(a.lat_deg, b.lat_deg);
}

TEST(OsmStations, NodesClosedWaysRefsAndCapacities) {
  const std::filesystem::path path =
      std::filesystem::path(testing::TempDir()) / "citytwin_rental_stations.osm";
  std::ofstream(path) << R"(<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="hand">
 <node id="1" version="1" lat="60.0100000" lon="25.0100000">
  <tag k="amenity" v="bicycle_rental"/><tag k="ref" v="A"/><tag k="name" v="One"/>
  <tag k="capacity" v="10"/>
 </node>
 <node id="2" version="1" lat="60.0200000" lon="25.0200000">
  <tag k="amenity" v="bicycle_rental"/><tag k="ref" v="A"/>
 </node>
 <node id="3" version="1" lat="60.0300000" lon="25.0300000">
  <tag k="amenity" v="bicycle_rental"/><tag k="ref" v="B"/><tag k="capacity" v="many"/>
 </node>
 <node id="4" version="1" lat="60.0000000" lon="25.0000000"/>
 <node id="5" version="1" lat="60.0000000" lon="25.0020000"/>
 <node id="6" version="1" lat="60.0020000" lon="25.0020000"/>
 <node id="7" version="1" lat="60.0020000" lon="25.0000000"/>
 <node id="8" version="1" lat="60.0500000" lon="25.0500000">
  <tag k="amenity" v="cafe"/>
 </node>
 <way id="10" version="1">
  <nd ref="4"/><nd ref="5"/><nd ref="6"/><nd ref="7"/><nd ref="4"/>
  <tag k="amenity" v="bicycle_rental"/><tag k="name" v="Square"/><tag k="capacity" v="8"/>
 </way>
 <way id="11" version="1">
  <nd ref="4"/><nd ref="5"/><nd ref="6"/>
  <tag k="amenity" v="bicycle_rental"/>
 </way>
</osm>
)";
  const StationTable t = read_osm_bike_stations(path);
  ASSERT_EQ(t.n_stations(), 4u);
  // ref "A" is used twice, so both fall back to the OSM id; "B" is unique
  EXPECT_EQ(t.station_id, (std::vector<std::string>{"osm:node/1", "osm:node/2", "B", "osm:way/10"}));
  EXPECT_EQ(t.name[0], "One");
  EXPECT_EQ(t.name[1], "");
  EXPECT_EQ(t.capacity, (std::vector<std::int32_t>{10, -1, -1, 8}));
  EXPECT_EQ(t.n_missing_capacity, 2);
  EXPECT_EQ(t.find("B"), 2);
  // the closed way sits at the mean of its 4 distinct corners
  EXPECT_NEAR(t.lat_deg[3], 60.001, 1e-9);
  EXPECT_NEAR(t.lon_deg[3], 25.001, 1e-9);
  EXPECT_NEAR(t.lat_deg[0], 60.01, 1e-9);
  EXPECT_EQ(t.source_file, path.string());
}

TEST(OsmStations, ErrorsNameTheFile) {
  const std::filesystem::path missing = std::filesystem::path(testing::TempDir()) / "no_such.osm";
  try {
    (void)read_osm_bike_stations(missing);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.first().file, missing.string());
  }
  const std::filesystem::path garbage = std::filesystem::path(testing::TempDir()) / "garbage.osm";
  std::ofstream(garbage) << "<osm version=\"0.6\"><node id=\"1\" lat=\"x";
  try {
    (void)read_osm_bike_stations(garbage);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.first().file, garbage.string());
    EXPECT_NE(std::string(e.what()).find("cannot parse"), std::string::npos);
  }
}

/// Demand points on the parallel 60 N, `east_m` metres east of 25 E.
struct Demand {
  std::vector<double> lat, lon, weight;
  void add(double east_m, double north_m, double w) {
    lat.push_back(60.0 + north_m / kMPerDegLat);
    lon.push_back(25.0 + east_m / kMPerDegLon60);
    weight.push_back(w);
  }
};

/// Three clusters: A (5 x weight 1) at 0 m, B (3 x weight 2) at 1000 m, C (4 x weight 1) at 2000 m.
Demand three_clusters() {
  Demand d;
  for (int i = 0; i < 5; ++i) d.add(10.0 * i, 0.0, 1.0);           // 0..4
  for (int i = 0; i < 3; ++i) d.add(1000.0 + 10.0 * i, 0.0, 2.0);  // 5..7
  for (int i = 0; i < 4; ++i) d.add(2000.0 + 10.0 * i, 0.0, 1.0);  // 8..11
  return d;
}

TEST(PlaceNewStations, GreedyPicksLargestUncoveredClusterFirst) {
  const Demand d = three_clusters();
  const StationTable none;
  const StationTable two = place_new_stations(none, d.lat, d.lon, d.weight, 2, PlacementConfig{});
  ASSERT_EQ(two.n_stations(), 2u);
  // B covers 6, A 5, C 4; ties inside a cluster go to its first point
  EXPECT_EQ(two.station_id, (std::vector<std::string>{"new-1", "new-2"}));
  EXPECT_DOUBLE_EQ(two.lon_deg[0], d.lon[5]);
  EXPECT_DOUBLE_EQ(two.lon_deg[1], d.lon[0]);
  EXPECT_EQ(two.capacity, (std::vector<std::int32_t>{20, 20}));
  EXPECT_EQ(two.find("new-2"), 1);

  // asking for more than useful: only 3 stations come back
  const StationTable all = place_new_stations(none, d.lat, d.lon, d.weight, 10, PlacementConfig{});
  ASSERT_EQ(all.n_stations(), 3u);
  EXPECT_DOUBLE_EQ(all.lon_deg[2], d.lon[8]);
}

TEST(PlaceNewStations, ExistingStationsCoverDemandAndKeepSpacing) {
  const Demand d = three_clusters();
  StationTable existing;
  existing.station_id = {"old"};
  existing.lat_deg = {60.0};
  existing.lon_deg = {d.lon[6]};  // inside cluster B
  existing.capacity = {10};
  const StationTable added = place_new_stations(existing, d.lat, d.lon, d.weight, 5, PlacementConfig{});
  ASSERT_EQ(added.n_stations(), 2u);
  EXPECT_DOUBLE_EQ(added.lon_deg[0], d.lon[0]);
  EXPECT_DOUBLE_EQ(added.lon_deg[1], d.lon[8]);

  // spacing: X (5) at 0 m, Y (4) at 200 m, Z (1) at 600 m; radius 100, spacing 250 -> X, Z
  Demand s;
  s.add(0.0, 0.0, 5.0);
  s.add(200.0, 0.0, 4.0);
  s.add(600.0, 0.0, 1.0);
  PlacementConfig config;
  config.coverage_radius_m = 100.0;
  config.min_spacing_m = 250.0;
  config.capacity = 12;
  const StationTable spaced = place_new_stations(StationTable{}, s.lat, s.lon, s.weight, 3, config);
  ASSERT_EQ(spaced.n_stations(), 2u);
  EXPECT_DOUBLE_EQ(spaced.lon_deg[0], s.lon[0]);
  EXPECT_DOUBLE_EQ(spaced.lon_deg[1], s.lon[2]);
  EXPECT_EQ(spaced.capacity[1], 12);
  // without the spacing rule Y comes second
  config.min_spacing_m = 0.0;
  const StationTable dense = place_new_stations(StationTable{}, s.lat, s.lon, s.weight, 3, config);
  ASSERT_EQ(dense.n_stations(), 3u);
  EXPECT_DOUBLE_EQ(dense.lon_deg[1], s.lon[1]);
}

TEST(PlaceNewStations, GridCandidates) {
  // two points 100 m apart; 100 m grid -> centres (50, 50) and (150, 50) from the south-west
  Demand d;
  d.add(0.0, 0.0, 1.0);
  d.add(100.0, 0.0, 1.0);
  PlacementConfig config;
  config.grid_cell_m = 100.0;
  config.coverage_radius_m = 80.0;  // (50, 50) is 70.7 m from both points
  const StationTable t = place_new_stations(StationTable{}, d.lat, d.lon, d.weight, 3, config);
  ASSERT_EQ(t.n_stations(), 1u);
  EXPECT_NEAR(t.lat_deg[0], 60.0 + 50.0 / kMPerDegLat, 1e-10);
  EXPECT_NEAR(t.lon_deg[0], 25.0 + 50.0 / kMPerDegLon60, 1e-10);
}

TEST(PlaceNewStations, RejectsBadArguments) {
  const Demand d = three_clusters();
  const std::vector<double> short_weight(3, 1.0);
  EXPECT_THROW((void)place_new_stations(StationTable{}, d.lat, d.lon, short_weight, 1, {}),
               std::invalid_argument);
  EXPECT_THROW((void)place_new_stations(StationTable{}, d.lat, d.lon, d.weight, -1, {}),
               std::invalid_argument);
  PlacementConfig bad;
  bad.coverage_radius_m = 0.0;
  EXPECT_THROW((void)place_new_stations(StationTable{}, d.lat, d.lon, d.weight, 1, bad),
               std::invalid_argument);
  EXPECT_EQ(place_new_stations(StationTable{}, d.lat, d.lon, d.weight, 0, {}).n_stations(), 0u);
}

}  // namespace
}  // namespace citytwin::bikeshare
