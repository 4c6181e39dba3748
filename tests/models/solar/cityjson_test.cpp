#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <citytwin/sim/city.hpp>
#include <citytwin/sim/error.hpp>
#include <citytwin/solar/readers/city3d.hpp>

#include "test_data.hpp"

namespace citytwin::solar {
namespace {

using sim::SurfaceType;

// message of the InputError thrown by fn, or a marker when nothing was thrown
template <typename F>
std::string input_error_message(F&& fn) {
  try {
    fn();
  } catch (const InputError& e) {
    return e.what();
  }
  return "<no InputError thrown>";
}

// difference of two angles in degrees, folded into [0, 180]
double angle_diff_deg(double a, double b) {
  const double d = std::fmod(std::fabs(a - b), 360.0);
  return std::min(d, 360.0 - d);
}

std::int64_t count_type(const sim::City& city, SurfaceType type) {
  return std::count(city.surfaces.type.begin(), city.surfaces.type.end(), type);
}

// a 1 m cube in millimetre integers: scale 0.001, translated into Delft (RD New)
std::string cube_json(const std::string& top_ring, const std::string& geometry_type = "Solid",
                      const std::string& extra_vertex = "") {
  return R"({"type": "CityJSON", "version": "2.0",
  "transform": {"scale": [0.001, 0.001, 0.001], "translate": [85000.0, 447000.0, 2.0]},
  "metadata": {"referenceSystem": "https://www.opengis.net/def/crs/EPSG/0/28992"},
  "CityObjects": {"cube": {"type": "Building", "attributes": {"measuredHeight": 1.0},
    "geometry": [{"type": ")" +
         geometry_type + R"(", "lod": "2",
      "boundaries": [[[[0, 3, 2, 1]], [)" +
         top_ring + R"(], [[0, 1, 5, 4]], [[1, 2, 6, 5]], [[2, 3, 7, 6]], [[3, 0, 4, 7]]]],
      "semantics": {"surfaces": [{"type": "GroundSurface"}, {"type": "RoofSurface"},
                                 {"type": "WallSurface"}],
                    "values": [[0, 1, 2, 2, 2, 2]]}}]}},
  "vertices": [[0, 0, 0], [1000, 0, 0], [1000, 1000, 0], [0, 1000, 0],
               [0, 0, 1000], [1000, 0, 1000], [1000, 1000, 1000], [0, 1000, 1000])" +
         extra_vertex + "]}";
}

TEST(CityJsonReader, UnitCubeHasExactAreasTiltsAndAzimuths) {
  const City3d c = parse_cityjson(cube_json("[4, 5, 6, 7]"), "cube.city.json");
  const sim::City& city = c.city;
  ASSERT_EQ(city.buildings.size(), 1);
  ASSERT_EQ(city.surfaces.size(), 6);
  EXPECT_EQ(city.crs, "EPSG:28992");
  EXPECT_EQ(c.report.building_source_id, (std::vector<std::string>{"cube"}));
  EXPECT_EQ(c.report.n_reoriented, 0);

  // ground, roof, then walls facing south, east, north, west; 1 m2 each (1e-12: mm rounding)
  const sim::Surfaces& s = city.surfaces;
  const std::vector<SurfaceType> types{SurfaceType::kGround, SurfaceType::kRoof,
                                       SurfaceType::kWall,   SurfaceType::kWall,
                                       SurfaceType::kWall,   SurfaceType::kWall};
  const std::vector<double> tilts{180.0, 0.0, 90.0, 90.0, 90.0, 90.0};
  const std::vector<double> azimuths{0.0, 0.0, 180.0, 90.0, 0.0, 270.0};
  for (std::size_t k = 0; k < 6; ++k) {
    EXPECT_EQ(s.type[k], types[k]) << k;
    EXPECT_NEAR(s.area_m2[k], 1.0, 1e-12) << k;
    EXPECT_NEAR(s.tilt_deg[k], tilts[k], 1e-9) << k;
    EXPECT_LT(angle_diff_deg(s.azimuth_deg[k], azimuths[k]), 1e-9) << k;
  }
  // the transform applies: the roof's first vertex is (85000, 447000, 3)
  const auto v =
      static_cast<std::size_t>(s.vertex_begin[static_cast<std::size_t>(s.ring_begin[1])]);
  EXPECT_DOUBLE_EQ(s.vertex_x_m[v], 85000.0);
  EXPECT_DOUBLE_EQ(s.vertex_y_m[v], 447000.0);
  EXPECT_DOUBLE_EQ(s.vertex_z_m[v], 3.0);

  // building attributes: 1 m tall, 1 m2 footprint centred on (85000.5, 447000.5), 1 floor
  const sim::Buildings& b = city.buildings;
  EXPECT_DOUBLE_EQ(b.height_m[0], 1.0);
  EXPECT_DOUBLE_EQ(b.ground_elevation_m[0], 2.0);
  EXPECT_NEAR(b.footprint_area_m2[0], 1.0, 1e-12);
  EXPECT_NEAR(b.centroid_x_m[0], 85000.5, 1e-9);
  EXPECT_NEAR(b.centroid_y_m[0], 447000.5, 1e-9);
  EXPECT_EQ(b.roof_shape[0], sim::RoofShape::kFlat);
  EXPECT_EQ(b.n_floors[0], 1);
  // origin: Delft, about 52.0 N 4.37 E (PROJ, RD New)
  EXPECT_NEAR(city.origin_lat_deg, 52.0, 0.05);
  EXPECT_NEAR(city.origin_lon_deg, 4.37, 0.05);
}

TEST(CityJsonReader, ReversedRoofIsRepaired) {
  const City3d c = parse_cityjson(cube_json("[7, 6, 5, 4]"), "cube.city.json");
  EXPECT_EQ(c.report.n_reoriented, 1);
  EXPECT_EQ(c.city.surfaces.tilt_deg[1], 0.0);
  EXPECT_NEAR(c.city.surfaces.area_m2[1], 1.0, 1e-12);
}

TEST(CityJsonReader, RoofWithAHoleLosesTheHoleArea) {
  // a 0.5 m x 0.5 m hole in the roof, given counter-clockwise: repaired to clockwise
  const std::string top = "[4, 5, 6, 7], [8, 9, 10, 11]";
  const std::string hole =
      ", [250, 250, 1000], [750, 250, 1000], [750, 750, 1000], [250, 750, 1000]";
  const City3d c = parse_cityjson(cube_json(top, "Solid", hole), "cube.city.json");
  EXPECT_EQ(c.report.n_with_holes, 1);
  EXPECT_EQ(c.report.n_reoriented, 1);
  EXPECT_EQ(c.city.surfaces.ring_begin[2] - c.city.surfaces.ring_begin[1], 2);
  EXPECT_NEAR(c.city.surfaces.area_m2[1], 0.75, 1e-12);
}

TEST(CityJsonReader, MalformedInputNamesFileObjectAndKey) {
  // missing vertices
  std::string text = cube_json("[4, 5, 6, 7]");
  const auto at = text.find("\"vertices\"");
  std::string no_vertices = text.substr(0, at) + "\"_vertices\"" + text.substr(at + 10);
  EXPECT_NE(input_error_message([&] {
              (void)parse_cityjson(no_vertices, "tiny.city.json");
            }).find("tiny.city.json: error: vertices: missing 'vertices' array"),
            std::string::npos);

  // a boundary index out of range
  const std::string bad_index = cube_json("[4, 5, 6, 99]");
  const std::string m1 =
      input_error_message([&] { (void)parse_cityjson(bad_index, "tiny.city.json"); });
  EXPECT_NE(m1.find("tiny.city.json: error: CityObjects.cube.geometry[0].boundaries[0][1][0][3]: "
                    "boundary index 99 is out of range [0, 8) in object cube"),
            std::string::npos)
      << m1;

  // an unknown geometry type
  const std::string m2 = input_error_message(
      [&] { (void)parse_cityjson(cube_json("[4, 5, 6, 7]", "Polyhedron"), "tiny.city.json"); });
  EXPECT_NE(m2.find("CityObjects.cube.geometry[0].type: unknown geometry type 'Polyhedron' in "
                    "object cube"),
            std::string::npos)
      << m2;

  // broken JSON: line and column
  const std::string m3 =
      input_error_message([&] { (void)parse_cityjson("{\n  \"type\": ,\n}", "tiny.city.json"); });
  EXPECT_NE(m3.find("tiny.city.json:2:11: error: not valid JSON"), std::string::npos) << m3;
}

TEST(CityJsonReader, HelsinkiLod2MatchesTheFileAttributes) {
  CITYTWIN_DATA_FILE(path, "city3d/helsinki/helsinki_kalasatama_2549_6674_lod2.city.json");
  const City3d c = read_cityjson(path);
  const sim::City& city = c.city;

  // 61 buildings; the 192 roof / 850 wall / 61 ground semantic objects are shared by 258 / 1073
  // / 61 polygons, one surface each; 3 polygons have holes; nothing dropped or repaired
  EXPECT_EQ(city.buildings.size(), 61);
  EXPECT_EQ(city.crs, "EPSG:3879");
  EXPECT_EQ(count_type(city, SurfaceType::kRoof), 258);
  EXPECT_EQ(count_type(city, SurfaceType::kWall), 1073);
  EXPECT_EQ(count_type(city, SurfaceType::kGround), 61);
  EXPECT_EQ(c.report.n_with_holes, 3);
  EXPECT_EQ(c.report.n_degenerate, 0);
  EXPECT_EQ(c.report.n_reoriented, 0);
  EXPECT_EQ(c.report.n_classified_by_normal, 0);
  EXPECT_NEAR(city.origin_lat_deg, 60.185, 0.01);  // Kalasatama
  EXPECT_NEAR(city.origin_lon_deg, 24.981, 0.01);

  // the file's RoofOrientation (azimuth, -1 when flat), RoofPitch (measured from the vertical:
  // 90 - tilt) and Area describe the first polygon of each roof semantic object; later polygons
  // sharing the object are pieces the attributes ignore. Reader order: CityObjects id order,
  // polygon order.
  std::ifstream in(path);
  const nlohmann::json doc = nlohmann::json::parse(in);
  struct Expected {
    bool first;
    double pitch_deg, orientation_deg, area_m2;
  };
  std::vector<Expected> expected;
  double file_roof_area_m2 = 0.0;
  for (const auto& [id, object] : doc["CityObjects"].items()) {
    const nlohmann::json& g = object["geometry"][0];
    const nlohmann::json& surfaces = g["semantics"]["surfaces"];
    std::vector<bool> seen(surfaces.size(), false);
    for (const nlohmann::json& v : g["semantics"]["values"][0]) {
      const nlohmann::json& semantic = surfaces[v.get<std::size_t>()];
      if (semantic["type"] != "RoofSurface") continue;
      expected.push_back({!seen[v.get<std::size_t>()], semantic["RoofPitch"].get<double>(),
                          semantic["RoofOrientation"].get<double>(),
                          semantic["Area"].get<double>()});
      seen[v.get<std::size_t>()] = true;
    }
    for (const nlohmann::json& semantic : surfaces) {
      if (semantic["type"] == "RoofSurface") file_roof_area_m2 += semantic["Area"].get<double>();
    }
  }
  ASSERT_EQ(expected.size(), 258u);

  // agreement on the 192 first polygons: tilt within 0.1 deg, area within 0.05 m2 (the file
  // rounds to 0.01), azimuth within 0.5 deg where the roof slopes by 2 deg or more
  const sim::Surfaces& s = city.surfaces;
  std::size_t r = 0;
  std::size_t n_first = 0;
  std::size_t n_sloped = 0;
  std::size_t n_tilt_ok = 0;
  std::size_t n_area_ok = 0;
  std::size_t n_azimuth_ok = 0;
  double first_area_m2 = 0.0;
  for (std::size_t k = 0; k < static_cast<std::size_t>(s.size()); ++k) {
    if (s.type[k] != SurfaceType::kRoof) continue;
    const Expected& e = expected[r++];
    if (!e.first) continue;
    ++n_first;
    first_area_m2 += s.area_m2[k];
    n_tilt_ok += std::abs(s.tilt_deg[k] - (90.0 - e.pitch_deg)) <= 0.1 ? 1 : 0;
    n_area_ok += std::abs(s.area_m2[k] - e.area_m2) <= 0.05 ? 1 : 0;
    if (s.tilt_deg[k] >= 2.0 && e.orientation_deg >= 0.0) {
      ++n_sloped;
      n_azimuth_ok += angle_diff_deg(s.azimuth_deg[k], e.orientation_deg) <= 0.5 ? 1 : 0;
    }
  }
  EXPECT_EQ(n_first, 192u);
  EXPECT_EQ(n_tilt_ok, 189u);  // 3 slivers differ (their pitch was computed another way)
  EXPECT_EQ(n_area_ok, 187u);  // 5 differ by more than 0.05 m2
  EXPECT_EQ(n_sloped, 65u);
  EXPECT_EQ(n_azimuth_ok, 65u);  // every sloped roof within 0.5 deg
  // total: the first polygons against the sum of the Area attributes (31 985.36 m2): 7.9 m2
  EXPECT_NEAR(first_area_m2, file_roof_area_m2, 0.0003 * file_roof_area_m2);
}

TEST(CityJsonReader, RotterdamNeedsACrsAndToleratesTextures) {
  CITYTWIN_DATA_FILE(path, "city3d/netherlands/rotterdam_subset.city.json");
  const std::string message = input_error_message([&] { (void)read_cityjson(path); });
  EXPECT_NE(message.find("rotterdam_subset.city.json: error: metadata.referenceSystem: names no "
                         "CRS"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("city.crs = \"EPSG:28992\""), std::string::npos) << message;

  City3dOptions options;
  options.crs = "EPSG:28992";
  const City3d c = read_cityjson(path, options);
  EXPECT_EQ(c.city.buildings.size(), 16);
  EXPECT_EQ(c.city.crs, "EPSG:28992");
  EXPECT_EQ(count_type(c.city, SurfaceType::kGround), 16);
  EXPECT_EQ(count_type(c.city, SurfaceType::kRoof), 41);
  EXPECT_EQ(count_type(c.city, SurfaceType::kWall), 179);
  EXPECT_EQ(c.report.n_degenerate, 12);
  EXPECT_NEAR(c.city.origin_lat_deg, 51.907, 0.01);  // Rotterdam
  EXPECT_NEAR(c.city.origin_lon_deg, 4.453, 0.01);
}

TEST(CityJsonReader, DenHaagBuildingPartsMergeIntoFourBuildings) {
  CITYTWIN_DATA_FILE(path, "city3d/netherlands/denhaag_DH_01_subs.city.json");
  City3dOptions options;
  options.crs = "EPSG:28992";
  const City3d c = read_cityjson(path, options);
  EXPECT_EQ(c.report.n_objects, 12);
  EXPECT_EQ(c.report.n_parts_merged, 8);
  EXPECT_EQ(c.city.buildings.size(), 4);
  EXPECT_EQ(count_type(c.city, SurfaceType::kGround), 9);  // one per Solid
  EXPECT_EQ(count_type(c.city, SurfaceType::kRoof), 13);
  EXPECT_EQ(count_type(c.city, SurfaceType::kWall), 48);

  // an explicit LoD that is missing skips every building
  options.lod = "1.2";
  const std::string message = input_error_message([&] { (void)read_cityjson(path, options); });
  EXPECT_NE(message.find("holds no building with usable geometry"), std::string::npos) << message;
}

TEST(CityJsonReader, DelftLod1IsClassifiedByNormal) {
  CITYTWIN_DATA_FILE(path, "city3d/netherlands/delft_lod1.city.json");
  const City3d c = read_cityjson(path);
  EXPECT_EQ(c.city.crs, "EPSG:28992");  // horizontal part of EPSG:7415
  EXPECT_EQ(c.city.buildings.size(), 160);
  EXPECT_EQ(c.report.n_non_building, 410);
  // triangulated flat tops and vertical walls, no floors (3dfier): 1283 up-facing triangles,
  // 7 of them degenerate
  EXPECT_EQ(c.report.n_classified_by_normal, 1276 + 4280);
  EXPECT_EQ(count_type(c.city, SurfaceType::kRoof), 1276);
  EXPECT_EQ(count_type(c.city, SurfaceType::kWall), 4280);
  EXPECT_EQ(count_type(c.city, SurfaceType::kGround), 0);
  EXPECT_EQ(c.report.n_degenerate, 7);
  EXPECT_EQ(c.report.n_footprint_from_hull, 160);
  EXPECT_NEAR(c.city.origin_lat_deg, 52.012, 0.01);  // Delft
  EXPECT_NEAR(c.city.origin_lon_deg, 4.367, 0.01);
}

TEST(CityJsonReader, CrsNamesAndLatLon) {
  EXPECT_EQ(normalize_crs("https://www.opengis.net/def/crs/EPSG/0/7415"), "EPSG:7415");
  EXPECT_EQ(normalize_crs("urn:ogc:def:crs:EPSG::3946"), "EPSG:3946");
  EXPECT_EQ(horizontal_crs("EPSG:7415"), "EPSG:28992");
  // the Amersfoort origin of RD New: x 155000, y 463000 -> 52.1552 N, 5.3872 E (about 1 m)
  const LatLon p = to_lat_lon("EPSG:28992", 155000.0, 463000.0);
  EXPECT_NEAR(p.lat_deg, 52.15517, 2e-5);
  EXPECT_NEAR(p.lon_deg, 5.38721, 2e-5);
  EXPECT_THROW((void)to_lat_lon("EPSG:999999", 0.0, 0.0), std::invalid_argument);
}

}  // namespace
}  // namespace citytwin::solar
