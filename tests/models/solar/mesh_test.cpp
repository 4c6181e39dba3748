#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <citytwin/sim/city.hpp>
#include <citytwin/sim/error.hpp>
#include <citytwin/solar/mesh.hpp>
#include <citytwin/solar/readers/city3d.hpp>

#include "test_data.hpp"

namespace citytwin::solar {
namespace {

using sim::SurfaceType;

/// A 3D point.
struct P3 {
  double x, y, z;
};

// a one-building city holding the given surface rings (first outer) as one roof
sim::City one_surface_city(const std::vector<std::vector<P3>>& rings, double area_m2) {
  sim::City city;
  city.name = "tiny";
  sim::Buildings& b = city.buildings;
  b.building_id = {42};
  b.height_m = {3.0};
  b.eaves_height_m = {3.0};
  b.ground_elevation_m = {0.0};
  b.footprint_area_m2 = {area_m2};
  b.floor_area_m2 = {area_m2};
  b.n_floors = {1};
  b.residents = {0};
  b.jobs = {0};
  b.use = {sim::BuildingUse::kOther};
  b.roof_shape = {sim::RoofShape::kFlat};
  b.roof_pitch_deg = {0.0};
  b.centroid_x_m = {5.0};
  b.centroid_y_m = {5.0};
  b.block_idx = {-1};
  b.zone_idx = {-1};
  sim::Surfaces& s = city.surfaces;
  s.surface_id = {7};
  s.building_idx = {0};
  s.type = {SurfaceType::kRoof};
  s.area_m2 = {area_m2};
  s.tilt_deg = {0.0};
  s.azimuth_deg = {0.0};
  for (const auto& ring : rings) {
    for (const P3& p : ring) {
      s.vertex_x_m.push_back(p.x);
      s.vertex_y_m.push_back(p.y);
      s.vertex_z_m.push_back(p.z);
      if (&ring == &rings.front()) {
        b.vertex_x_m.push_back(p.x);
        b.vertex_y_m.push_back(p.y);
      }
    }
    s.vertex_begin.push_back(static_cast<std::int64_t>(s.vertex_x_m.size()));
  }
  s.ring_begin.push_back(static_cast<std::int64_t>(s.vertex_begin.size()) - 1);
  b.vertex_begin.push_back(static_cast<std::int64_t>(b.vertex_x_m.size()));
  b.ring_begin.push_back(1);
  city.index_ids();
  city.check_consistency();
  return city;
}

// area and unit normal of triangle t (double, from the float vertices)
std::array<double, 4> triangle_area_normal(const TriangleMesh& m, std::size_t t) {
  std::array<std::array<double, 3>, 3> p{};
  for (std::size_t k = 0; k < 3; ++k) {
    const std::size_t v = m.triangle_vertex[3 * t + k];
    for (std::size_t d = 0; d < 3; ++d) p[k][d] = m.vertex_xyz_m[3 * v + d];
  }
  const std::array<double, 3> a{p[1][0] - p[0][0], p[1][1] - p[0][1], p[1][2] - p[0][2]};
  const std::array<double, 3> b{p[2][0] - p[0][0], p[2][1] - p[0][1], p[2][2] - p[0][2]};
  const std::array<double, 3> n{a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2],
                                a[0] * b[1] - a[1] * b[0]};
  const double len = std::sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
  return {0.5 * len, n[0] / len, n[1] / len, n[2] / len};
}

TEST(Mesh, SquareWithASquareHole) {
  // 10 m x 10 m roof at 3 m with a 4 m x 4 m hole: 84 m2, facing up
  const sim::City city = one_surface_city({{{0, 0, 3}, {10, 0, 3}, {10, 10, 3}, {0, 10, 3}},
                                           {{3, 3, 3}, {3, 7, 3}, {7, 7, 3}, {7, 3, 3}}},
                                          84.0);
  const TriangleMesh mesh = build_mesh(city);
  EXPECT_EQ(mesh.n_vertices(), 8);
  EXPECT_EQ(mesh.n_triangles(), 8);  // 8 vertices, 2 rings: V + 2 (holes) - 2 = 8 triangles
  EXPECT_DOUBLE_EQ(mesh.origin_x_m, 5.0);
  EXPECT_DOUBLE_EQ(mesh.origin_z_m, 3.0);
  double area_m2 = 0.0;
  for (std::size_t t = 0; t < static_cast<std::size_t>(mesh.n_triangles()); ++t) {
    const auto an = triangle_area_normal(mesh, t);
    area_m2 += an[0];
    EXPECT_NEAR(an[3], 1.0, 1e-12) << "triangle " << t << " must face up";
    EXPECT_EQ(mesh.triangle_surface_idx[t], 0);
  }
  EXPECT_NEAR(area_m2, 84.0, 84.0 * 1e-12);
}

TEST(Mesh, SelfIntersectingSurfaceNamesItsBuilding) {
  // a bow tie: two lobes of 12.5 m2 and 2 m2 crossing at one point
  const sim::City city = one_surface_city({{{0, 0, 0}, {10, 5, 0}, {10, 0, 0}, {0, 5, 0}}}, 10.0);
  try {
    (void)build_mesh(city);
    FAIL() << "no InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("surface 7 of building 42 cannot be triangulated"),
              std::string::npos)
        << e.what();
  }
}

TEST(Mesh, HelsinkiTrianglesCoverEverySurfaceAndFaceOutwards) {
  CITYTWIN_DATA_FILE(path, "city3d/helsinki/helsinki_kalasatama_2549_6674_lod2.city.json");
  const sim::City city = read_cityjson(path).city;
  const TriangleMesh mesh = build_mesh(city);
  const sim::Surfaces& s = city.surfaces;

  // per surface: triangle areas add up to the surface area, normals agree with the surface's
  std::vector<double> area_m2(static_cast<std::size_t>(s.size()), 0.0);
  std::size_t n_against = 0;
  for (std::size_t t = 0; t < static_cast<std::size_t>(mesh.n_triangles()); ++t) {
    const auto k = static_cast<std::size_t>(mesh.triangle_surface_idx[t]);
    const auto an = triangle_area_normal(mesh, t);
    area_m2[k] += an[0];
    const double tilt = s.tilt_deg[k] / 57.29577951308232;
    const double azimuth = s.azimuth_deg[k] / 57.29577951308232;
    const double cos_angle = an[1] * std::sin(tilt) * std::sin(azimuth) +
                             an[2] * std::sin(tilt) * std::cos(azimuth) + an[3] * std::cos(tilt);
    n_against += cos_angle > 0.0 ? 0 : 1;
  }
  EXPECT_EQ(n_against, 0u);
  // the surface area is the Newell (best-plane) area; slightly non-planar polygons have a
  // larger 3D triangle area (measured at most 1.7e-4 relative), plus float32 rounding
  for (std::size_t k = 0; k < area_m2.size(); ++k) {
    ASSERT_NEAR(area_m2[k], s.area_m2[k], 2e-4 * s.area_m2[k] + 5e-3) << "surface " << k;
  }
  // float vertices relative to the box centre stay within the 430 m tile
  const auto [lo, hi] = std::minmax_element(mesh.vertex_xyz_m.begin(), mesh.vertex_xyz_m.end());
  EXPECT_GT(*lo, -250.0f);
  EXPECT_LT(*hi, 250.0f);

  // without walls: only roofs and grounds
  MeshOptions no_walls;
  no_walls.include_walls = false;
  const TriangleMesh roofs = build_mesh(city, no_walls);
  for (const std::int32_t k : roofs.triangle_surface_idx) {
    ASSERT_NE(s.type[static_cast<std::size_t>(k)], SurfaceType::kWall);
  }
}

TEST(Mesh, LyonCourtyardsTriangulateToTheSurfaceAreas) {
  CITYTWIN_DATA_FILE(path, "city3d/lyon/lyon1er_bdtopo_buildings_epsg3946.geojson");
  const sim::City city = read_geojson_buildings(path).city;
  const TriangleMesh mesh = build_mesh(city);
  const sim::Surfaces& s = city.surfaces;
  std::vector<double> area_m2(static_cast<std::size_t>(s.size()), 0.0);
  for (std::size_t t = 0; t < static_cast<std::size_t>(mesh.n_triangles()); ++t) {
    area_m2[static_cast<std::size_t>(mesh.triangle_surface_idx[t])] +=
        triangle_area_normal(mesh, t)[0];
  }
  // planar polygons: exact up to the float32 vertices (about 3e-5 m at 600 m from the origin,
  // so up to a few mm2 on a long wall; measured at most 2.3e-3 m2)
  for (std::size_t k = 0; k < area_m2.size(); ++k) {
    ASSERT_NEAR(area_m2[k], s.area_m2[k], 1e-6 * s.area_m2[k] + 5e-3) << "surface " << k;
  }
  EXPECT_EQ(mesh.n_triangles(), 122664);
}

}  // namespace
}  // namespace citytwin::solar
