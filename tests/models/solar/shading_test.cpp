#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <citytwin/sim/parallel.hpp>
#include <citytwin/solar/irradiance.hpp>
#include <citytwin/solar/shading.hpp>
#include <citytwin/solar/solar_position.hpp>

namespace citytwin::solar {
namespace {

using Point = std::array<double, 3>;
constexpr double kDeg = std::numbers::pi / 180.0;

// one planar polygon (counter-clockwise seen from outside) with its Newell area, tilt, azimuth
void add_surface(sim::City& city, sim::SurfaceType type, const std::vector<Point>& p) {
  double nx = 0.0;
  double ny = 0.0;
  double nz = 0.0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const Point& a = p[i];
    const Point& b = p[(i + 1) % p.size()];
    nx += (a[1] - b[1]) * (a[2] + b[2]);
    ny += (a[2] - b[2]) * (a[0] + b[0]);
    nz += (a[0] - b[0]) * (a[1] + b[1]);
  }
  const double horizontal = std::hypot(nx, ny);
  double azimuth_deg = std::atan2(nx, ny) / kDeg;
  if (azimuth_deg < 0.0) azimuth_deg += 360.0;
  sim::Surfaces& s = city.surfaces;
  s.surface_id.push_back(s.size() + 1);
  s.building_idx.push_back(0);
  s.type.push_back(type);
  s.area_m2.push_back(0.5 * std::hypot(horizontal, nz));
  s.tilt_deg.push_back(std::atan2(horizontal, nz) / kDeg);
  s.azimuth_deg.push_back(horizontal < 1e-12 ? 0.0 : azimuth_deg);
  for (const Point& v : p) {
    s.vertex_x_m.push_back(v[0]);
    s.vertex_y_m.push_back(v[1]);
    s.vertex_z_m.push_back(v[2]);
  }
  s.vertex_begin.push_back(static_cast<std::int64_t>(s.vertex_x_m.size()));
  s.ring_begin.push_back(static_cast<std::int64_t>(s.vertex_begin.size()) - 1);
}

// a convex polygon as a triangle fan
void add_polygon(TriangleMesh& mesh, const std::vector<Point>& p) {
  const auto first = static_cast<std::uint32_t>(mesh.vertex_xyz_m.size() / 3);
  for (const Point& v : p) {
    for (const double c : v) mesh.vertex_xyz_m.push_back(static_cast<float>(c));
  }
  for (std::uint32_t i = 1; i + 1 < p.size(); ++i) {
    mesh.triangle_vertex.insert(mesh.triangle_vertex.end(), {first, first + i, first + i + 1});
    mesh.triangle_surface_idx.push_back(-1);
  }
}

// a box as six quads
void add_box(TriangleMesh& mesh, double x0, double y0, double z0, double x1, double y1, double z1) {
  add_polygon(mesh, {{x0, y0, z0}, {x0, y1, z0}, {x1, y1, z0}, {x1, y0, z0}});
  add_polygon(mesh, {{x0, y0, z1}, {x1, y0, z1}, {x1, y1, z1}, {x0, y1, z1}});
  add_polygon(mesh, {{x0, y0, z0}, {x1, y0, z0}, {x1, y0, z1}, {x0, y0, z1}});
  add_polygon(mesh, {{x1, y1, z0}, {x0, y1, z0}, {x0, y1, z1}, {x1, y1, z1}});
  add_polygon(mesh, {{x0, y1, z0}, {x0, y0, z0}, {x0, y0, z1}, {x0, y1, z1}});
  add_polygon(mesh, {{x1, y0, z0}, {x1, y1, z0}, {x1, y1, z1}, {x1, y0, z1}});
}

// a small horizontal roof face whose single sample sits at (x, y, z + 0.05)
void add_point_roof(sim::City& city, double x, double y, double z) {
  add_surface(
      city, sim::SurfaceType::kRoof,
      {{x - 0.1, y - 0.1, z}, {x + 0.1, y - 0.1, z}, {x + 0.1, y + 0.1, z}, {x - 0.1, y + 0.1, z}});
}

// the sun-grid node of (elevation row i, azimuth column j)
double node_visibility(const ShadingTables& t, std::int64_t face, std::int32_t i, std::int32_t j) {
  const std::int32_t c = t.node_column[static_cast<std::size_t>(i * t.n_azimuth_nodes + j)];
  return t.sun_visibility[static_cast<std::size_t>(c * t.n_faces + face)] / 255.0;
}

TEST(SkyPatches, TregenzaLayout) {
  const SkyPatches p = tregenza_patches();
  ASSERT_EQ(p.band.size(), static_cast<std::size_t>(kTregenzaPatches));
  std::array<int, 8> per_band{};
  double total_sr = 0.0;
  for (std::size_t k = 0; k < p.band.size(); ++k) {
    ++per_band[static_cast<std::size_t>(p.band[k])];
    total_sr += p.solid_angle_sr[k];
  }
  EXPECT_EQ(per_band, (std::array<int, 8>{30, 30, 24, 24, 18, 12, 6, 1}));
  EXPECT_NEAR(total_sr, 2.0 * std::numbers::pi, 1e-12);
  // first patch of the horizon band: centred on north, 12 deg wide, 6 deg up
  EXPECT_EQ(p.azimuth_deg[0], 0.0);
  EXPECT_EQ(p.azimuth_width_deg[0], 12.0);
  EXPECT_EQ(p.elevation_deg[0], 6.0);
  EXPECT_NEAR(p.solid_angle_sr[0], 12.0 * kDeg * std::sin(12.0 * kDeg), 1e-15);
  EXPECT_EQ(p.elevation_deg[144], 90.0);
  EXPECT_NEAR(p.solid_angle_sr[144], 2.0 * std::numbers::pi * (1.0 - std::sin(84.0 * kDeg)), 1e-14);
}

TEST(RayScene, QueriesAgreeAndRejectBadMesh) {
  TriangleMesh mesh;
  add_box(mesh, -5, 10, 0, 5, 10.2, 8);
  add_box(mesh, 20, -3, 0, 25, 3, 15);
  RayScene scene(mesh);
  EXPECT_FALSE(scene.is_visible(0.0f, 0.0f, 1.0f, 0.0f, 1.0f, 0.0f));
  EXPECT_TRUE(scene.is_visible(0.0f, 0.0f, 1.0f, 0.0f, -1.0f, 0.0f));

  // 37 origins on a line, rays toward the north-east at 20 deg: every batch form agrees
  std::vector<float> x;
  std::vector<float> y;
  std::vector<float> z;
  for (int i = 0; i < 37; ++i) {
    x.push_back(-10.0f + 0.9f * static_cast<float>(i));
    y.push_back(0.0f);
    z.push_back(0.5f);
  }
  const double e = 20.0 * kDeg;
  const auto dx = static_cast<float>(std::sin(45.0 * kDeg) * std::cos(e));
  const auto dz = static_cast<float>(std::sin(e));
  std::vector<std::uint8_t> expected(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    expected[i] = scene.is_visible(x[i], y[i], z[i], dx, dx, dz) ? 1 : 0;
  }
  int n_visible = 0;
  for (const std::uint8_t v : expected) n_visible += v;
  EXPECT_GT(n_visible, 0);
  EXPECT_LT(n_visible, 37);
  for (const RayQuery q :
       {RayQuery::kSingle, RayQuery::kPacket8, RayQuery::kPacket16, RayQuery::kStream}) {
    scene.set_query(q);
    std::vector<std::uint8_t> visible(x.size(), 7);
    scene.visible_along(x, y, z, dx, dx, dz, visible);
    EXPECT_EQ(visible, expected) << "query " << static_cast<int>(q);
  }
  std::vector<std::uint8_t> short_out(3);
  EXPECT_THROW(scene.visible_along(x, y, z, dx, dx, dz, short_out), std::invalid_argument);

  TriangleMesh bad;
  bad.vertex_xyz_m = {0, 0, 0, 1, 0, 0, 0, 1, 0};
  bad.triangle_vertex = {0, 1, 3};
  bad.triangle_surface_idx = {-1};
  try {
    RayScene broken(bad);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& err) {
    EXPECT_STREQ(err.what(), "RayScene: triangle_vertex names vertex 3 of 3");
  }
}

TEST(Shading, UnobstructedHorizontalRoof) {
  // a lone 10 m x 10 m building: its roof sees the whole sky and every sun node
  TriangleMesh mesh;
  add_box(mesh, 0, 0, 0, 10, 10, 6);
  sim::City city;
  add_surface(city, sim::SurfaceType::kRoof, {{0, 0, 6}, {10, 0, 6}, {10, 10, 6}, {0, 10, 6}});
  const RoofSamples samples = sample_roofs(city, 0.0, 0.0, 0.0, {.spacing_m = 2.0});
  const RayScene scene(mesh);
  const ShadingTables t = compute_shading(scene, samples);
  ASSERT_EQ(t.n_faces, 1);
  EXPECT_EQ(t.n_elevation_nodes, 46);
  EXPECT_EQ(t.n_azimuth_nodes, 120);
  EXPECT_EQ(t.n_columns, 46 * 120);
  EXPECT_NEAR(t.svf[0], 1.0, 1e-12);
  EXPECT_NEAR(t.sky_view_factor_deg0[0], 1.0, 1e-12);
  EXPECT_NEAR(t.horizon_visibility_frac[0], 1.0, 1e-12);
  EXPECT_NEAR(t.ground_view_frac[0], 0.0, 1e-12);
  EXPECT_EQ(t.ground_factor[0], 1.0);
  for (std::int32_t i = 1; i < t.n_elevation_nodes; ++i) {
    for (std::int32_t j = 0; j < t.n_azimuth_nodes; ++j) {
      ASSERT_EQ(node_visibility(t, 0, i, j), 1.0) << i << " " << j;
    }
  }
  for (std::size_t p = 0; p < static_cast<std::size_t>(kTregenzaPatches); ++p) {
    EXPECT_EQ(t.patch_visibility_frac[p], 1.0f);
  }
  // 25 samples; 45 rows above the horizon x 120 azimuths; 145 patches x 4 rays
  EXPECT_EQ(t.n_sun_rays, 25 * 45 * 120);
  EXPECT_EQ(t.n_sky_rays, 25 * 145 * 4);
  EXPECT_NEAR(interpolate_sun_visibility(t, 0, 33.3, 123.4), 1.0, 1e-15 /* weights' sum */);
  EXPECT_EQ(interpolate_sun_visibility(t, 0, -1.0, 123.4), 0.0);
}

TEST(Shading, UnobstructedTiltedRoof) {
  // a lone south-facing roof plane of 35 deg: svf 1 relative to its own plane,
  // (1 + cos 35) / 2 relative to the horizontal, the ground seen as an unshaded tilted plane
  const double tilt = 35.0 * kDeg;
  const std::vector<Point> roof{{0, 0, 3},
                                {8, 0, 3},
                                {8, 5 * std::cos(tilt), 3 + 5 * std::sin(tilt)},
                                {0, 5 * std::cos(tilt), 3 + 5 * std::sin(tilt)}};
  TriangleMesh mesh;
  add_polygon(mesh, roof);
  sim::City city;
  add_surface(city, sim::SurfaceType::kRoof, roof);
  const RoofSamples samples = sample_roofs(city, 0.0, 0.0, 0.0);
  const RayScene scene(mesh);
  const ShadingTables t = compute_shading(scene, samples, {.patch_subdivision = 3});
  EXPECT_NEAR(t.svf[0], 1.0, 1e-12);
  EXPECT_NEAR(t.sky_view_factor_deg0[0], 0.5 * (1.0 + std::cos(tilt)), 1e-12);
  EXPECT_NEAR(t.ground_view_frac[0], 0.5 * (1.0 - std::cos(tilt)), 1e-12);
  EXPECT_NEAR(t.ground_factor[0], 1.0, 1e-12);
  EXPECT_NEAR(t.horizon_visibility_frac[0], 1.0, 1e-12);
  // sun nodes in front of the plane are lit, those behind it count as dark
  for (std::int32_t i = 0; i < t.n_elevation_nodes; ++i) {
    for (std::int32_t j = 0; j < t.n_azimuth_nodes; ++j) {
      const double e = i * t.elevation_step_deg * kDeg;
      const double a = j * t.azimuth_step_deg * kDeg;
      const double cos_incidence =
          -std::sin(tilt) * std::cos(a) * std::cos(e) + std::cos(tilt) * std::sin(e);
      if (std::abs(cos_incidence) < 1e-9) continue;
      ASSERT_EQ(node_visibility(t, 0, i, j), cos_incidence > 0.0 ? 1.0 : 0.0) << i << " " << j;
    }
  }
}

TEST(Shading, WallNorthOfPointShadesBelowItsAngle) {
  // a 12 m wall along x, its south face at y = 10 m; the sample 0.05 m above the origin
  // is shaded exactly when tan(elevation) < h cos(azimuth) / d, h = 11.95 m, d = 10 m
  constexpr double kWallM = 12.0;
  constexpr double kDistanceM = 10.0;
  TriangleMesh mesh;
  add_box(mesh, -200, kDistanceM, 0, 200, kDistanceM + 0.3, kWallM);
  sim::City city;
  add_point_roof(city, 0.0, 0.0, 0.0);
  const RoofSamples samples = sample_roofs(city, 0.0, 0.0, 0.0);
  ASSERT_EQ(samples.n_samples(), 1);
  const RayScene scene(mesh);
  const double h = kWallM - 0.05;

  // exact mode on a fine grid of sun positions, away from the shadow edge by 0.05 deg
  std::vector<double> vis(1);
  int n_checked = 0;
  for (double a_deg = -70.0; a_deg <= 70.0; a_deg += 5.0) {
    const double edge_deg = std::atan(h * std::cos(a_deg * kDeg) / kDistanceM) / kDeg;
    for (double e_deg = 0.5; e_deg < 90.0; e_deg += 0.25) {
      if (std::abs(e_deg - edge_deg) < 0.05) continue;
      exact_sun_visibility(scene, samples, e_deg, a_deg, vis);
      ASSERT_EQ(vis[0], e_deg > edge_deg ? 1.0 : 0.0) << a_deg << " " << e_deg;
      ++n_checked;
    }
  }
  EXPECT_GT(n_checked, 10000);
  // due north the edge is atan(h / d) = 50.07 deg
  exact_sun_visibility(scene, samples, 50.0, 0.0, vis);
  EXPECT_EQ(vis[0], 0.0);
  exact_sun_visibility(scene, samples, 50.15, 0.0, vis);
  EXPECT_EQ(vis[0], 1.0);
  // south of the point nothing shades
  exact_sun_visibility(scene, samples, 3.0, 180.0, vis);
  EXPECT_EQ(vis[0], 1.0);

  // the sun grid holds the same rule at its nodes
  const ShadingTables t = compute_shading(scene, samples);
  for (std::int32_t i = 1; i < t.n_elevation_nodes; ++i) {
    for (std::int32_t j = 0; j < t.n_azimuth_nodes; ++j) {
      const double a = j * t.azimuth_step_deg * kDeg;
      const double e = i * t.elevation_step_deg * kDeg;
      const double edge = std::cos(a) > 0.0 ? std::atan(h * std::cos(a) / kDistanceM) : 0.0;
      if (std::cos(a) > 0.0 && std::abs(std::tan(a)) * kDistanceM > 190.0) continue;
      if (std::abs(e - edge) < 0.05 * kDeg) continue;
      ASSERT_EQ(node_visibility(t, 0, i, j), e > edge ? 1.0 : 0.0) << i << " " << j;
    }
  }
}

TEST(Shading, WallShadowCoversStripAsElevationDrops) {
  // a 1 m wide strip from 2 m to 20 m south of a 10 m wall: with the sun due north at
  // elevation e, the samples closer than h / tan e are shaded; samples at 2.5 .. 19.5 m
  constexpr double kWallM = 10.0;
  TriangleMesh mesh;
  add_box(mesh, -100, 0, 0, 100, 0.3, kWallM);
  sim::City city;
  add_surface(city, sim::SurfaceType::kRoof, {{0, -20, 0}, {1, -20, 0}, {1, -2, 0}, {0, -2, 0}});
  const RoofSamples samples = sample_roofs(city, 0.0, 0.0, 0.0);
  ASSERT_EQ(samples.n_samples(), 18);
  const RayScene scene(mesh);
  const double h = kWallM - 0.05;
  const auto expected = [&](double e_deg) {
    const double reach_m = h / std::tan(e_deg * kDeg);
    int lit = 0;
    for (int k = 0; k < 18; ++k) lit += 2.5 + k >= reach_m ? 1 : 0;
    return lit / 18.0;
  };
  std::vector<double> vis(1);
  for (double e_deg = 20.0; e_deg < 80.0; e_deg += 0.7) {
    exact_sun_visibility(scene, samples, e_deg, 0.0, vis);
    EXPECT_NEAR(vis[0], expected(e_deg), 1e-12) << e_deg;
  }
  // at the sun-grid nodes due north the table holds the same fraction to 1/255
  const ShadingTables t = compute_shading(scene, samples);
  for (std::int32_t i = 10; i < 40; ++i) {
    const double e_deg = i * t.elevation_step_deg;
    EXPECT_NEAR(node_visibility(t, 0, i, 0), expected(e_deg), 0.5 / 255.0 + 1e-12) << e_deg;
    EXPECT_NEAR(interpolate_sun_visibility(t, 0, e_deg, 0.0), expected(e_deg), 0.5 / 255.0 + 1e-12);
  }
}

// sky view factor at the centre of a canyon floor (walls h high, w apart, 50 w long)
ShadingTables canyon(double h, double w, std::int32_t subdivision) {
  TriangleMesh mesh;
  add_box(mesh, -25 * w, 0.5 * w, 0, 25 * w, 0.5 * w + 1.0, h);
  add_box(mesh, -25 * w, -0.5 * w - 1.0, 0, 25 * w, -0.5 * w, h);
  sim::City city;
  add_point_roof(city, 0.0, 0.0, 0.0);
  const RoofSamples samples = sample_roofs(city, 0.0, 0.0, 0.0);
  const RayScene scene(mesh);
  return compute_shading(scene, samples, {.patch_subdivision = subdivision});
}

TEST(Shading, CanyonSkyViewFactor) {
  // svf of an infinite canyon floor: cos(atan(2 h / w)), h from the sample (0.05 m up)
  for (const double aspect : {0.5, 1.0, 2.0}) {
    const double w = 10.0;
    const double h = aspect * w;
    const double expected = std::cos(std::atan(2.0 * (h - 0.05) / w));
    // 4 x 4 rays per patch: within 1.5 %; 8 x 8: within 0.5 % (docs/models/solar.md#shading)
    const ShadingTables t = canyon(h, w, 4);
    EXPECT_NEAR(t.svf[0] / expected - 1.0, 0.0, 0.015) << "h/w " << aspect;
    EXPECT_NEAR(canyon(h, w, 8).svf[0] / expected - 1.0, 0.0, 0.005) << "h/w " << aspect;
    EXPECT_NEAR(t.sky_view_factor_deg0[0], t.svf[0], 1e-15);
    EXPECT_NEAR(t.ground_view_frac[0], 1.0 - t.svf[0], 1e-15);
  }
}

// nine 12 m x 10 m buildings on a 3 x 3 grid, 6 m streets: flat roofs and gables with the
// ridge along x or y, heights 6 .. 21 m
struct SmallCity {
  sim::City city;
  TriangleMesh mesh;
};

void add_building(SmallCity& c, double x0, double y0, double height_m, int roof) {
  const double x1 = x0 + 12.0;
  const double y1 = y0 + 10.0;
  const double he = roof == 0 ? height_m : height_m - 3.0;
  const auto both = [&](sim::SurfaceType type, const std::vector<Point>& p) {
    add_polygon(c.mesh, p);
    if (type == sim::SurfaceType::kRoof) add_surface(c.city, type, p);
  };
  // walls to the eaves
  both(sim::SurfaceType::kWall, {{x0, y0, 0}, {x1, y0, 0}, {x1, y0, he}, {x0, y0, he}});
  both(sim::SurfaceType::kWall, {{x1, y1, 0}, {x0, y1, 0}, {x0, y1, he}, {x1, y1, he}});
  both(sim::SurfaceType::kWall, {{x0, y1, 0}, {x0, y0, 0}, {x0, y0, he}, {x0, y1, he}});
  both(sim::SurfaceType::kWall, {{x1, y0, 0}, {x1, y1, 0}, {x1, y1, he}, {x1, y0, he}});
  const double hr = height_m;
  if (roof == 0) {
    both(sim::SurfaceType::kRoof, {{x0, y0, he}, {x1, y0, he}, {x1, y1, he}, {x0, y1, he}});
  } else if (roof == 1) {
    // ridge along x: south and north slopes, gables east and west
    const double ym = 0.5 * (y0 + y1);
    both(sim::SurfaceType::kRoof, {{x0, y0, he}, {x1, y0, he}, {x1, ym, hr}, {x0, ym, hr}});
    both(sim::SurfaceType::kRoof, {{x1, y1, he}, {x0, y1, he}, {x0, ym, hr}, {x1, ym, hr}});
    both(sim::SurfaceType::kWall, {{x0, y1, he}, {x0, y0, he}, {x0, ym, hr}});
    both(sim::SurfaceType::kWall, {{x1, y0, he}, {x1, y1, he}, {x1, ym, hr}});
  } else {
    // ridge along y: east and west slopes, gables south and north
    const double xm = 0.5 * (x0 + x1);
    both(sim::SurfaceType::kRoof, {{x1, y0, he}, {x1, y1, he}, {xm, y1, hr}, {xm, y0, hr}});
    both(sim::SurfaceType::kRoof, {{x0, y1, he}, {x0, y0, he}, {xm, y0, hr}, {xm, y1, hr}});
    both(sim::SurfaceType::kWall, {{x0, y0, he}, {x1, y0, he}, {xm, y0, hr}});
    both(sim::SurfaceType::kWall, {{x1, y1, he}, {x0, y1, he}, {xm, y1, hr}});
  }
}

SmallCity small_city() {
  SmallCity c;
  const std::array<double, 9> height_m{9, 15, 6, 21, 12, 9, 18, 6, 12};
  for (int k = 0; k < 9; ++k) {
    add_building(c, -27.0 + 18.0 * (k % 3), -24.0 + 16.0 * (k / 3),
                 height_m[static_cast<std::size_t>(k)], k % 3);
  }
  return c;
}

// hourly sun positions of a year at Lyon and a clear-sky-like sky: Meinel beam
// dni = 1353 * 0.7^(am^0.678), dhi = 0.12 dni sin(elevation) + 30 sin(elevation)
struct Year {
  std::vector<double> elevation_deg, azimuth_deg, dni_wm2, dhi_wm2;
};

Year lyon_year() {
  Year y;
  const double start_s = 1609459200.0 + 1800.0;  // 2021-01-01 00:30 UTC
  for (int h = 0; h < 8760; ++h) {
    const SolarPosition sp = solar_position(start_s + 3600.0 * h, 45.764, 4.8357);
    y.elevation_deg.push_back(sp.apparent_elevation_deg);
    y.azimuth_deg.push_back(sp.azimuth_deg);
    const double am = relative_airmass(sp.apparent_zenith_deg);
    const double s = std::sin(std::max(sp.apparent_elevation_deg, 0.0) * kDeg);
    const double dni = std::isnan(am) ? 0.0 : 1353.0 * std::pow(0.7, std::pow(am, 0.678));
    y.dni_wm2.push_back(dni);
    y.dhi_wm2.push_back(0.12 * dni * s + 30.0 * s);
  }
  return y;
}

TEST(Shading, BinnedMatchesExactAnnuallyOnSmallCity) {
  const SmallCity c = small_city();
  const RoofSamples samples = sample_roofs(c.city, 0.0, 0.0, 0.0);
  ASSERT_EQ(samples.n_faces(), 15);
  const RayScene scene(c.mesh);
  const ShadingTables t = compute_shading(scene, samples, {.latitude_deg = 45.764});
  EXPECT_LT(t.n_columns, t.n_elevation_nodes * t.n_azimuth_nodes);
  const Year y = lyon_year();
  const BinningError err =
      binning_error(scene, samples, t, y.elevation_deg, y.azimuth_deg, y.dni_wm2, y.dhi_wm2);
  EXPECT_LT(err.max_rel_error_frac, 0.02);
  EXPECT_LT(err.mean_rel_error_frac, 0.005);
  // the city shades: some face loses more than 10 % of its sky and of its annual irradiation
  double min_svf = 1.0;
  for (const double v : t.svf) min_svf = std::min(min_svf, v);
  EXPECT_LT(min_svf, 0.9);
  double min_ratio = 1.0;
  for (std::size_t f = 0; f < err.exact_kwh_m2.size(); ++f) {
    // the same face without any shading
    double unshaded_kwh_m2 = 0.0;
    for (std::size_t h = 0; h < y.dni_wm2.size(); ++h) {
      if (!(y.elevation_deg[h] > 0.0)) continue;
      const double e = y.elevation_deg[h] * kDeg;
      const double a = y.azimuth_deg[h] * kDeg;
      const double cos_incidence = samples.face_normal_x[f] * std::sin(a) * std::cos(e) +
                                   samples.face_normal_y[f] * std::cos(a) * std::cos(e) +
                                   samples.face_normal_z[f] * std::sin(e);
      unshaded_kwh_m2 += (y.dni_wm2[h] * std::max(cos_incidence, 0.0) +
                          y.dhi_wm2[h] * 0.5 * (1.0 + samples.face_normal_z[f])) /
                         1000.0;
    }
    min_ratio = std::min(min_ratio, err.exact_kwh_m2[f] / unshaded_kwh_m2);
  }
  EXPECT_LT(min_ratio, 0.9);
}

TEST(Shading, ApplyMultipliesEachComponent) {
  const SmallCity c = small_city();
  const RoofSamples samples = sample_roofs(c.city, 0.0, 0.0, 0.0);
  const RayScene scene(c.mesh);
  const ShadingTables t = compute_shading(scene, samples, {.latitude_deg = 45.764});
  const auto n = static_cast<std::size_t>(t.n_faces);
  std::vector<double> direct(n);
  std::vector<double> circ(n);
  std::vector<double> iso(n);
  std::vector<double> hor(n);
  std::vector<double> gnd(n);
  for (std::size_t f = 0; f < n; ++f) {
    direct[f] = 500.0 + static_cast<double>(f);
    circ[f] = 50.0;
    iso[f] = 80.0;
    hor[f] = -5.0;
    gnd[f] = 10.0;
  }
  std::array<std::vector<double>, 6> out;
  for (auto& o : out) o.assign(n, -1.0);
  const ShadingInputSpans in{direct, circ, iso, hor, gnd};
  const ShadingOutputSpans os{out[0], out[1], out[2], out[3], out[4], out[5]};
  apply_shading(t, 40.0, 200.0, in, os);
  for (std::size_t f = 0; f < n; ++f) {
    const double v = interpolate_sun_visibility(t, static_cast<std::int64_t>(f), 40.0, 200.0);
    EXPECT_EQ(out[1][f], direct[f] * v);
    EXPECT_EQ(out[2][f], 50.0 * v);
    EXPECT_EQ(out[3][f], 80.0 * t.svf[f]);
    EXPECT_EQ(out[4][f], -5.0 * t.horizon_visibility_frac[f]);
    EXPECT_EQ(out[5][f], 10.0 * t.ground_factor[f]);
    EXPECT_NEAR(out[0][f], out[1][f] + out[2][f] + out[3][f] + out[4][f] + out[5][f], 1e-12);
  }
  // the sun due north at noon in Lyon never happens: outside the computed band
  try {
    apply_shading(t, 60.0, 0.0, in, os);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("outside the sun band"), std::string::npos);
  }
  const ShadingInputSpans short_in{std::span<const double>(direct).first(2), circ, iso, hor, gnd};
  try {
    apply_shading(t, 40.0, 200.0, short_in, os);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(
        std::string(e.what()),
        "apply_shading: in.poa_direct_wm2 has length 2, expected n_faces = " + std::to_string(n));
  }
}

TEST(Shading, OneAndTwoThreadsBitIdentical) {
  const SmallCity c = small_city();
  const RoofSamples samples = sample_roofs(c.city, 0.0, 0.0, 0.0, {.spacing_m = 0.7});
  const RayScene scene(c.mesh);
  const int saved = sim::thread_count();
  std::array<ShadingTables, 2> t;
  std::array<std::vector<double>, 2> exact;
  for (int k = 0; k < 2; ++k) {
    sim::set_thread_count(k + 1);
    t[static_cast<std::size_t>(k)] = compute_shading(scene, samples, {.latitude_deg = 45.764});
    exact[static_cast<std::size_t>(k)].assign(static_cast<std::size_t>(samples.n_faces()), 0.0);
    exact_sun_visibility(scene, samples, 25.0, 130.0, exact[static_cast<std::size_t>(k)]);
  }
  sim::set_thread_count(saved);
  EXPECT_EQ(t[0].sun_visibility, t[1].sun_visibility);
  EXPECT_EQ(t[0].patch_visibility_frac, t[1].patch_visibility_frac);
  EXPECT_EQ(t[0].svf, t[1].svf);
  EXPECT_EQ(t[0].horizon_visibility_frac, t[1].horizon_visibility_frac);
  EXPECT_EQ(t[0].ground_factor, t[1].ground_factor);
  EXPECT_EQ(t[0].n_sun_rays, t[1].n_sun_rays);
  EXPECT_EQ(exact[0], exact[1]);
}

TEST(Shading, RejectsBadOptions) {
  TriangleMesh mesh;
  const RayScene scene(mesh);
  const RoofSamples samples;
  try {
    (void)compute_shading(scene, samples, {.elevation_step_deg = 0.0});
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "compute_shading: elevation_step_deg must be in (0, 45] (got 0.000000)");
  }
  EXPECT_THROW((void)compute_shading(scene, samples, {.patch_subdivision = 0}),
               std::invalid_argument);
  std::vector<double> vis(3);
  EXPECT_THROW(exact_sun_visibility(scene, samples, 30.0, 180.0, vis), std::invalid_argument);
}

}  // namespace
}  // namespace citytwin::solar
