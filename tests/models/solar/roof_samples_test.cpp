#include <array>
#include <cmath>
#include <numbers>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

#include <citytwin/solar/roof_samples.hpp>

namespace citytwin::solar {
namespace {

using Point = std::array<double, 3>;

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
  double azimuth_deg = std::atan2(nx, ny) * 180.0 / std::numbers::pi;
  if (azimuth_deg < 0.0) azimuth_deg += 360.0;
  sim::Surfaces& s = city.surfaces;
  s.surface_id.push_back(s.size() + 1);
  s.building_idx.push_back(0);
  s.type.push_back(type);
  s.area_m2.push_back(0.5 * std::hypot(horizontal, nz));
  s.tilt_deg.push_back(std::atan2(horizontal, nz) * 180.0 / std::numbers::pi);
  s.azimuth_deg.push_back(horizontal < 1e-12 ? 0.0 : azimuth_deg);
  for (const Point& v : p) {
    s.vertex_x_m.push_back(v[0]);
    s.vertex_y_m.push_back(v[1]);
    s.vertex_z_m.push_back(v[2]);
  }
  s.vertex_begin.push_back(static_cast<std::int64_t>(s.vertex_x_m.size()));
  s.ring_begin.push_back(static_cast<std::int64_t>(s.vertex_begin.size()) - 1);
}

TEST(RoofSamples, FlatRectangleOnGrid) {
  // a 10 m x 6 m flat roof at 5 m: cell centres 0.5 .. 9.5 by 0.5 .. 5.5, lifted 0.05 m
  sim::City city;
  add_surface(city, sim::SurfaceType::kRoof, {{0, 0, 5}, {10, 0, 5}, {10, 6, 5}, {0, 6, 5}});
  const RoofSamples s = sample_roofs(city, 0.0, 0.0, 0.0);
  ASSERT_EQ(s.n_faces(), 1);
  ASSERT_EQ(s.n_samples(), 60);
  EXPECT_EQ(s.sample_begin, (std::vector<std::int64_t>{0, 60}));
  EXPECT_EQ(s.face_surface_idx[0], 0);
  EXPECT_NEAR(s.face_normal_z[0], 1.0, 1e-15);
  for (std::int64_t i = 0; i < s.n_samples(); ++i) {
    const auto k = static_cast<std::size_t>(i);
    EXPECT_NEAR(s.x_m[k], 0.5 + static_cast<double>(i % 10), 1e-12);
    EXPECT_NEAR(s.y_m[k], 0.5 + static_cast<double>(i / 10), 1e-12);
    EXPECT_NEAR(s.z_m[k], 5.05, 1e-12);
    EXPECT_NEAR(s.area_m2[k], 1.0, 1e-12);
    EXPECT_EQ(s.sample_face_idx[k], 0);
  }
}

TEST(RoofSamples, OriginIsSubtracted) {
  sim::City city;
  add_surface(city, sim::SurfaceType::kRoof,
              {{1000, 2000, 105}, {1002, 2000, 105}, {1002, 2001, 105}, {1000, 2001, 105}});
  const RoofSamples s = sample_roofs(city, 1000.0, 2000.0, 100.0);
  ASSERT_EQ(s.n_samples(), 2);
  EXPECT_NEAR(s.x_m[0], 0.5, 1e-12);
  EXPECT_NEAR(s.x_m[1], 1.5, 1e-12);
  EXPECT_NEAR(s.y_m[1], 0.5, 1e-12);
  EXPECT_NEAR(s.z_m[1], 5.05, 1e-12);
}

TEST(RoofSamples, TinyFaceGetsItsCentroid) {
  // 0.3 m x 0.2 m triangle-free quad: one point at its centre carrying the whole area
  sim::City city;
  add_surface(city, sim::SurfaceType::kRoof, {{2, 3, 4}, {2.3, 3, 4}, {2.3, 3.2, 4}, {2, 3.2, 4}});
  const RoofSamples s =
      sample_roofs(city, 0.0, 0.0, 0.0, {.spacing_m = 1.0, .normal_offset_m = 0.1});
  ASSERT_EQ(s.n_samples(), 1);
  EXPECT_NEAR(s.x_m[0], 2.15, 1e-12);
  EXPECT_NEAR(s.y_m[0], 3.1, 1e-12);
  EXPECT_NEAR(s.z_m[0], 4.1, 1e-12);
  EXPECT_NEAR(s.area_m2[0], 0.06, 1e-12);

  // a thin diagonal sliver: every grid point of its box falls outside, the centroid is used
  sim::City sliver;
  add_surface(sliver, sim::SurfaceType::kRoof, {{0, 0, 0}, {3, 3, 0}, {2.9, 3.1, 0}});
  const RoofSamples t = sample_roofs(sliver, 0.0, 0.0, 0.0);
  ASSERT_EQ(t.n_samples(), 1);
  EXPECT_NEAR(t.x_m[0], 5.9 / 3.0, 1e-12);
  EXPECT_NEAR(t.y_m[0], 6.1 / 3.0, 1e-12);
  EXPECT_NEAR(t.area_m2[0], 0.3, 1e-12);
}

TEST(RoofSamples, PitchedRoofInItsPlane) {
  // south-facing roof, 30 deg pitch: 8 m along x, 6 m up the slope
  const double pitch = 30.0 * std::numbers::pi / 180.0;
  const double run = 6.0 * std::cos(pitch);
  const double rise = 6.0 * std::sin(pitch);
  sim::City city;
  add_surface(city, sim::SurfaceType::kRoof,
              {{0, 0, 3}, {8, 0, 3}, {8, run, 3 + rise}, {0, run, 3 + rise}});
  const RoofSamples s = sample_roofs(city, 0.0, 0.0, 0.0);
  ASSERT_EQ(s.n_samples(), 48);
  EXPECT_NEAR(s.face_tilt_deg[0], 30.0, 1e-9);
  EXPECT_NEAR(s.face_azimuth_deg[0], 180.0, 1e-9);
  EXPECT_NEAR(s.face_normal_y[0], -std::sin(pitch), 1e-12);
  EXPECT_NEAR(s.face_normal_z[0], std::cos(pitch), 1e-12);
  double area_m2 = 0.0;
  for (std::size_t k = 0; k < 48; ++k) {
    // signed distance to the plane through (0, 0, 3) is the 0.05 m lift
    const double dist = s.face_normal_y[0] * s.y_m[k] + s.face_normal_z[0] * (s.z_m[k] - 3.0);
    EXPECT_NEAR(dist, 0.05, 1e-12);
    area_m2 += s.area_m2[k];
  }
  EXPECT_NEAR(area_m2, 48.0, 1e-9);
}

TEST(RoofSamples, ConcavePolygonAndOnlyRoofs) {
  // an L of 4 m x 4 m minus the 2 m x 2 m north-east corner: 12 of 16 cells
  sim::City city;
  add_surface(city, sim::SurfaceType::kWall, {{0, 0, 0}, {4, 0, 0}, {4, 0, 3}, {0, 0, 3}});
  add_surface(city, sim::SurfaceType::kRoof,
              {{0, 0, 3}, {4, 0, 3}, {4, 2, 3}, {2, 2, 3}, {2, 4, 3}, {0, 4, 3}});
  add_surface(city, sim::SurfaceType::kGround, {{0, 0, 0}, {0, 4, 0}, {4, 4, 0}, {4, 0, 0}});
  const RoofSamples s = sample_roofs(city, 0.0, 0.0, 0.0);
  ASSERT_EQ(s.n_faces(), 1);
  EXPECT_EQ(s.face_surface_idx[0], 1);
  ASSERT_EQ(s.n_samples(), 12);
  for (std::size_t k = 0; k < 12; ++k) EXPECT_FALSE(s.x_m[k] > 2.0 && s.y_m[k] > 2.0);
  EXPECT_NEAR(s.area_m2[0], 1.0, 1e-12);
}

// a hole (clockwise seen from outside) in the last surface; its area leaves the surface's
void add_hole(sim::City& city, const std::vector<Point>& p, double hole_area_m2) {
  sim::Surfaces& s = city.surfaces;
  for (const Point& v : p) {
    s.vertex_x_m.push_back(v[0]);
    s.vertex_y_m.push_back(v[1]);
    s.vertex_z_m.push_back(v[2]);
  }
  s.vertex_begin.push_back(static_cast<std::int64_t>(s.vertex_x_m.size()));
  s.ring_begin.back() += 1;
  s.area_m2.back() -= hole_area_m2;
}

TEST(RoofSamples, HolesAreLeftOut) {
  // a 6 m x 6 m roof with a 2 m x 2 m courtyard in the middle: 32 of 36 cells, 1 m2 each
  sim::City city;
  add_surface(city, sim::SurfaceType::kRoof, {{0, 0, 3}, {6, 0, 3}, {6, 6, 3}, {0, 6, 3}});
  add_hole(city, {{2, 2, 3}, {2, 4, 3}, {4, 4, 3}, {4, 2, 3}}, 4.0);
  add_surface(city, sim::SurfaceType::kRoof, {{10, 0, 3}, {11, 0, 3}, {11, 1, 3}, {10, 1, 3}});
  const RoofSamples s = sample_roofs(city, 0.0, 0.0, 0.0);
  EXPECT_EQ(s.sample_begin, (std::vector<std::int64_t>{0, 32, 33}));
  for (std::size_t k = 0; k < 32; ++k) {
    const bool in_hole = s.x_m[k] > 2.0 && s.x_m[k] < 4.0 && s.y_m[k] > 2.0 && s.y_m[k] < 4.0;
    EXPECT_FALSE(in_hole) << s.x_m[k] << " " << s.y_m[k];
    EXPECT_NEAR(s.area_m2[k], 1.0, 1e-12);
  }
  EXPECT_NEAR(s.x_m[32], 10.5, 1e-12);

  // a face whose grid falls only in its hole: the centroid of the ring minus the hole
  sim::City ring;
  add_surface(ring, sim::SurfaceType::kRoof, {{0, 0, 0}, {0.8, 0, 0}, {0.8, 0.8, 0}, {0, 0.8, 0}});
  add_hole(ring, {{0.2, 0.2, 0}, {0.2, 0.8, 0}, {0.8, 0.8, 0}, {0.8, 0.2, 0}}, 0.36);
  const RoofSamples r = sample_roofs(ring, 0.0, 0.0, 0.0);
  ASSERT_EQ(r.n_samples(), 1);
  // an L of area 0.28: (0.64 * 0.4 - 0.36 * 0.5) / 0.28 in x and y
  EXPECT_NEAR(r.x_m[0], (0.64 * 0.4 - 0.36 * 0.5) / 0.28, 1e-12);
  EXPECT_NEAR(r.y_m[0], (0.64 * 0.4 - 0.36 * 0.5) / 0.28, 1e-12);
  EXPECT_NEAR(r.area_m2[0], 0.28, 1e-12);
}

TEST(RoofSamples, SpacingScalesCountAndFacesStayContiguous) {
  sim::City city;
  add_surface(city, sim::SurfaceType::kRoof, {{0, 0, 3}, {4, 0, 3}, {4, 3, 3}, {0, 3, 3}});
  add_surface(city, sim::SurfaceType::kRoof, {{10, 0, 3}, {12, 0, 3}, {12, 2, 3}, {10, 2, 3}});
  const RoofSamples s = sample_roofs(city, 0.0, 0.0, 0.0, {.spacing_m = 0.5});
  EXPECT_EQ(s.sample_begin, (std::vector<std::int64_t>{0, 48, 64}));
  EXPECT_NEAR(s.area_m2[0], 0.25, 1e-12);
  EXPECT_EQ(s.sample_face_idx[47], 0);
  EXPECT_EQ(s.sample_face_idx[48], 1);
  EXPECT_NEAR(s.x_m[48], 10.25, 1e-12);
}

TEST(RoofSamples, RejectsBadOptions) {
  sim::City city;
  try {
    (void)sample_roofs(city, 0.0, 0.0, 0.0, {.spacing_m = 0.0});
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "sample_roofs: spacing_m must be > 0 (got 0.000000)");
  }
  EXPECT_THROW((void)sample_roofs(city, 0.0, 0.0, 0.0, {.normal_offset_m = -1.0}),
               std::invalid_argument);
}

}  // namespace
}  // namespace citytwin::solar
