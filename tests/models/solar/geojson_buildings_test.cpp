#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include <gtest/gtest.h>

#include <citytwin/sim/city.hpp>
#include <citytwin/sim/error.hpp>
#include <citytwin/solar/readers/city3d.hpp>

#include "test_data.hpp"

namespace citytwin::solar {
namespace {

using sim::SurfaceType;

template <typename F>
std::string input_error_message(F&& fn) {
  try {
    fn();
  } catch (const InputError& e) {
    return e.what();
  }
  return "<no InputError thrown>";
}

// three buildings in Lyon (EPSG:3946): a 20 m x 20 m courtyard block (10 m x 10 m courtyard,
// clockwise outer ring as BD TOPO writes it) with HAUTEUR; a 10 m x 10 m box with 4 storeys
// and no Z_MIN_SOL (vertex z 212 = eaves); a box with nothing (default height, 2D)
const char* kTiny = R"({"type": "FeatureCollection",
 "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3946"}},
 "features": [
  {"type": "Feature", "properties": {"ID": "A", "HAUTEUR": 12.0, "Z_MIN_SOL": 170.0,
   "USAGE1": "Résidentiel", "NB_ETAGES": 4},
   "geometry": {"type": "MultiPolygon", "coordinates": [[
     [[1842000, 5176000, 182], [1842000, 5176020, 182], [1842020, 5176020, 182],
      [1842020, 5176000, 182], [1842000, 5176000, 182]],
     [[1842005, 5176005, 182], [1842015, 5176005, 182], [1842015, 5176015, 182],
      [1842005, 5176015, 182], [1842005, 5176005, 182]]]]}},
  {"type": "Feature", "properties": {"ID": "B", "HAUTEUR": null, "NB_ETAGES": 4},
   "geometry": {"type": "Polygon", "coordinates": [
     [[1842100, 5176000, 212], [1842110, 5176000, 212], [1842110, 5176010, 212],
      [1842100, 5176010, 212], [1842100, 5176000, 212]]]}},
  {"type": "Feature", "properties": {"ID": "C"},
   "geometry": {"type": "Polygon", "coordinates": [
     [[1842200, 5176000], [1842210, 5176000], [1842210, 5176010], [1842200, 5176010]]]}}
 ]})";

TEST(GeoJsonBuildings, ExtrudesWithEveryFallbackCounted) {
  const City3d c = parse_geojson_buildings(kTiny, "tiny.geojson");
  const sim::City& city = c.city;
  const ReadReport& r = c.report;
  ASSERT_EQ(city.buildings.size(), 3);
  EXPECT_EQ(city.crs, "EPSG:3946");
  EXPECT_EQ(r.n_height_from_hauteur, 1);
  EXPECT_EQ(r.n_from_floors, 1);
  EXPECT_EQ(r.n_default, 1);
  EXPECT_EQ(r.n_base_from_vertices, 1);
  EXPECT_EQ(r.n_base_zero, 1);
  EXPECT_EQ(r.n_reoriented, 2);  // A's clockwise outer ring and counter-clockwise hole
  EXPECT_EQ(r.building_source_id, (std::vector<std::string>{"A", "B", "C"}));

  // heights and bases
  const sim::Buildings& b = city.buildings;
  EXPECT_DOUBLE_EQ(b.height_m[0], 12.0);
  EXPECT_DOUBLE_EQ(b.ground_elevation_m[0], 170.0);
  EXPECT_DOUBLE_EQ(b.height_m[1], 12.0);             // 4 x 3 m
  EXPECT_DOUBLE_EQ(b.ground_elevation_m[1], 200.0);  // 212 - 12
  EXPECT_DOUBLE_EQ(b.height_m[2], 10.0);
  EXPECT_DOUBLE_EQ(b.ground_elevation_m[2], 0.0);
  EXPECT_EQ(b.use[0], sim::BuildingUse::kResidential);
  EXPECT_EQ(b.n_floors[0], 4);
  EXPECT_DOUBLE_EQ(b.footprint_area_m2[0], 300.0);
  EXPECT_EQ(b.residents[0], 30);  // 4 x 300 m2 / 40 m2

  // building A: roof with the courtyard hole, 4 + 4 walls, ground with the hole
  const sim::Surfaces& s = city.surfaces;
  std::vector<std::size_t> a;
  for (std::size_t k = 0; k < static_cast<std::size_t>(s.size()); ++k) {
    if (s.building_idx[k] == 0) a.push_back(k);
  }
  ASSERT_EQ(a.size(), 10u);
  EXPECT_EQ(s.type[a[0]], SurfaceType::kRoof);
  EXPECT_EQ(s.ring_begin[a[0] + 1] - s.ring_begin[a[0]], 2);
  EXPECT_NEAR(s.area_m2[a[0]], 300.0, 1e-9);
  EXPECT_EQ(s.tilt_deg[a[0]], 0.0);
  EXPECT_EQ(s.type[a[9]], SurfaceType::kGround);
  EXPECT_NEAR(s.area_m2[a[9]], 300.0, 1e-9);
  EXPECT_EQ(s.tilt_deg[a[9]], 180.0);
  // outer walls (repaired ring starts at the south-east corner) face E, N, W, S; courtyard
  // walls face into it: S, W, N, E
  const std::vector<double> azimuths{90.0, 0.0, 270.0, 180.0, 180.0, 270.0, 0.0, 90.0};
  for (std::size_t w = 0; w < 8; ++w) {
    const std::size_t k = a[1 + w];
    EXPECT_EQ(s.type[k], SurfaceType::kWall);
    EXPECT_NEAR(s.tilt_deg[k], 90.0, 1e-9);
    EXPECT_NEAR(s.azimuth_deg[k], azimuths[w], 1e-9) << "wall " << w;
    EXPECT_NEAR(s.area_m2[k], (w < 4 ? 20.0 : 10.0) * 12.0, 1e-6) << "wall " << w;
  }
}

TEST(GeoJsonBuildings, MissingCrsAndBadCoordinatesAreReported) {
  std::string text = kTiny;
  const auto at = text.find("\"crs\"");
  const std::string no_crs = text.substr(0, at) + "\"_crs\"" + text.substr(at + 5);
  const std::string m1 =
      input_error_message([&] { (void)parse_geojson_buildings(no_crs, "tiny.geojson"); });
  EXPECT_NE(m1.find("tiny.geojson: error: crs: names no CRS"), std::string::npos) << m1;
  City3dOptions options;
  options.crs = "EPSG:3946";
  EXPECT_EQ(parse_geojson_buildings(no_crs, "tiny.geojson", options).city.buildings.size(), 3);

  std::string bad = kTiny;
  bad.replace(bad.find("[1842100, 5176000, 212]"), 23, "[1842100, \"x\"]");
  const std::string m2 =
      input_error_message([&] { (void)parse_geojson_buildings(bad, "tiny.geojson"); });
  EXPECT_NE(m2.find("features[1].geometry.coordinates[0][0]: must be a position"),
            std::string::npos)
      << m2;
}

TEST(GeoJsonBuildings, LyonBdTopoExtrudesWithCourtyards) {
  CITYTWIN_DATA_FILE(path, "city3d/lyon/lyon1er_bdtopo_buildings_epsg3946.geojson");
  const City3d c = read_geojson_buildings(path);
  const sim::City& city = c.city;
  const ReadReport& r = c.report;
  EXPECT_EQ(r.n_objects, 2576);
  EXPECT_EQ(city.buildings.size(), 2576);
  EXPECT_EQ(city.crs, "EPSG:3946");
  // every feature has HAUTEUR; 5 lack Z_MIN_SOL; nothing skipped or degenerate
  EXPECT_EQ(r.n_height_from_hauteur, 2576);
  EXPECT_EQ(r.n_from_floors, 0);
  EXPECT_EQ(r.n_default, 0);
  EXPECT_EQ(r.n_base_from_vertices, 5);
  EXPECT_EQ(r.n_skipped, 0);
  EXPECT_EQ(r.n_degenerate, 0);
  EXPECT_EQ(r.n_floors_estimated, 809 + 17);  // NB_ETAGES null for 809, 0 for 17

  // the 121 inner rings: holes in roofs and grounds, one courtyard wall per edge
  const sim::Surfaces& s = city.surfaces;
  std::int64_t roof_holes = 0;
  std::int64_t ground_holes = 0;
  for (std::size_t k = 0; k < static_cast<std::size_t>(s.size()); ++k) {
    const std::int64_t holes = s.ring_begin[k + 1] - s.ring_begin[k] - 1;
    if (s.type[k] == SurfaceType::kRoof) roof_holes += holes;
    if (s.type[k] == SurfaceType::kGround) ground_holes += holes;
  }
  EXPECT_EQ(roof_holes, 121);
  EXPECT_EQ(ground_holes, 121);
  EXPECT_EQ(r.n_roof, 2576);
  EXPECT_EQ(r.n_ground, 2576);
  EXPECT_EQ(r.n_wall, 33121);                      // one per ring edge, courtyards included
  EXPECT_NEAR(city.origin_lat_deg, 45.770, 0.01);  // Lyon 1er
  EXPECT_NEAR(city.origin_lon_deg, 4.826, 0.01);

  // roofs are flat at base + HAUTEUR; roof area equals footprint area
  for (std::size_t k = 0; k < static_cast<std::size_t>(s.size()); ++k) {
    if (s.type[k] != SurfaceType::kRoof) continue;
    const auto b = static_cast<std::size_t>(s.building_idx[k]);
    ASSERT_EQ(s.tilt_deg[k], 0.0);
    EXPECT_NEAR(s.area_m2[k], city.buildings.footprint_area_m2[b],
                1e-9 * city.buildings.footprint_area_m2[b]);
  }
}

}  // namespace
}  // namespace citytwin::solar
