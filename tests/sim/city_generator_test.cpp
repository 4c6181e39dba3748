#include <citytwin/sim/city_generator.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <limits>
#include <map>
#include <numbers>
#include <ostream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <citytwin/sim/city.hpp>

namespace citytwin::sim {
namespace {

constexpr double kDegPerRad = 180.0 / std::numbers::pi;
// distance from a building to a street axis of its block, at most (docs/city.md#invariants):
// half an arterial (7 m) + sidewalk (2.5 m) + largest setback (5 m) = 14.5 m
constexpr double kFrontageLimitM = 15.0;

// --- geometry helpers ---------------------------------------------------------------------

struct Pt {
  double x, y;
};
using Ring = std::vector<Pt>;
using Polygon = std::vector<Ring>;  // outer ring first, then holes

Polygon footprint(const City& city, std::size_t b) {
  const Buildings& bl = city.buildings;
  Polygon poly;
  for (auto r = bl.ring_begin[b]; r < bl.ring_begin[b + 1]; ++r) {
    Ring ring;
    const auto ru = static_cast<std::size_t>(r);
    for (auto v = bl.vertex_begin[ru]; v < bl.vertex_begin[ru + 1]; ++v) {
      ring.push_back(
          {bl.vertex_x_m[static_cast<std::size_t>(v)], bl.vertex_y_m[static_cast<std::size_t>(v)]});
    }
    poly.push_back(ring);
  }
  return poly;
}

double signed_area(const Ring& r) {
  double twice = 0.0;
  for (std::size_t i = 0; i < r.size(); ++i) {
    const Pt& a = r[i];
    const Pt& b = r[(i + 1) % r.size()];
    twice += a.x * b.y - b.x * a.y;
  }
  return 0.5 * twice;
}

// sign of the turn a -> b -> c
int orientation(Pt a, Pt b, Pt c) {
  const double v = (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x);
  return (v > 0.0) - (v < 0.0);
}

bool on_segment(Pt a, Pt b, Pt p) {
  return std::min(a.x, b.x) <= p.x && p.x <= std::max(a.x, b.x) && std::min(a.y, b.y) <= p.y &&
         p.y <= std::max(a.y, b.y);
}

// closed segments intersect (touching counts)
bool segments_intersect(Pt a, Pt b, Pt c, Pt d) {
  const int o1 = orientation(a, b, c), o2 = orientation(a, b, d);
  const int o3 = orientation(c, d, a), o4 = orientation(c, d, b);
  if (o1 != o2 && o3 != o4) return true;
  return (o1 == 0 && on_segment(a, b, c)) || (o2 == 0 && on_segment(a, b, d)) ||
         (o3 == 0 && on_segment(c, d, a)) || (o4 == 0 && on_segment(c, d, b));
}

bool point_in_ring(const Ring& r, Pt p) {
  bool inside = false;
  for (std::size_t i = 0, j = r.size() - 1; i < r.size(); j = i++) {
    if ((r[i].y > p.y) != (r[j].y > p.y) &&
        p.x < (r[j].x - r[i].x) * (p.y - r[i].y) / (r[j].y - r[i].y) + r[i].x) {
      inside = !inside;
    }
  }
  return inside;
}

bool point_in_polygon(const Polygon& poly, Pt p) {
  if (!point_in_ring(poly[0], p)) return false;
  for (std::size_t h = 1; h < poly.size(); ++h) {
    if (point_in_ring(poly[h], p)) return false;
  }
  return true;
}

// two polygons share any point: crossing or touching edges, or one inside the other
bool polygons_overlap(const Polygon& a, const Polygon& b) {
  for (const Ring& ra : a) {
    for (std::size_t i = 0; i < ra.size(); ++i) {
      for (const Ring& rb : b) {
        for (std::size_t k = 0; k < rb.size(); ++k) {
          if (segments_intersect(ra[i], ra[(i + 1) % ra.size()], rb[k], rb[(k + 1) % rb.size()])) {
            return true;
          }
        }
      }
    }
  }
  return point_in_polygon(b, a[0][0]) || point_in_polygon(a, b[0][0]);
}

struct Box {
  double x0, y0, x1, y1;
};

Box bounds(const Polygon& p) {
  Box box{std::numeric_limits<double>::infinity(), std::numeric_limits<double>::infinity(),
          -std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity()};
  for (const Pt& v : p[0]) {
    box.x0 = std::min(box.x0, v.x);
    box.y0 = std::min(box.y0, v.y);
    box.x1 = std::max(box.x1, v.x);
    box.y1 = std::max(box.y1, v.y);
  }
  return box;
}

double point_segment_distance(Pt p, Pt a, Pt b) {
  const double dx = b.x - a.x, dy = b.y - a.y;
  const double len2 = dx * dx + dy * dy;
  const double t =
      len2 == 0.0 ? 0.0 : std::clamp(((p.x - a.x) * dx + (p.y - a.y) * dy) / len2, 0.0, 1.0);
  return std::hypot(p.x - (a.x + t * dx), p.y - (a.y + t * dy));
}

double polygon_segment_distance(const Polygon& poly, Pt a, Pt b) {
  double best = std::numeric_limits<double>::infinity();
  for (const Ring& r : poly) {
    for (std::size_t i = 0; i < r.size(); ++i) {
      const Pt p = r[i], q = r[(i + 1) % r.size()];
      if (segments_intersect(p, q, a, b)) return 0.0;
      best = std::min({best, point_segment_distance(p, a, b), point_segment_distance(a, p, q),
                       point_segment_distance(b, p, q)});
    }
  }
  return best;
}

// Newell normal of surface s, holes included (not normalised)
std::array<double, 3> surface_normal(const City& city, std::size_t s) {
  const Surfaces& sf = city.surfaces;
  std::array<double, 3> n{0.0, 0.0, 0.0};
  for (auto r = sf.ring_begin[s]; r < sf.ring_begin[s + 1]; ++r) {
    const auto v0 = static_cast<std::size_t>(sf.vertex_begin[static_cast<std::size_t>(r)]);
    const auto v1 = static_cast<std::size_t>(sf.vertex_begin[static_cast<std::size_t>(r) + 1]);
    for (std::size_t i = v0; i < v1; ++i) {
      const std::size_t k = i + 1 == v1 ? v0 : i + 1;
      n[0] += (sf.vertex_y_m[i] - sf.vertex_y_m[k]) * (sf.vertex_z_m[i] + sf.vertex_z_m[k]);
      n[1] += (sf.vertex_z_m[i] - sf.vertex_z_m[k]) * (sf.vertex_x_m[i] + sf.vertex_x_m[k]);
      n[2] += (sf.vertex_x_m[i] - sf.vertex_x_m[k]) * (sf.vertex_y_m[i] + sf.vertex_y_m[k]);
    }
  }
  return n;
}

// vertex range [first, end) of all rings of surface s
std::pair<std::size_t, std::size_t> surface_vertices(const Surfaces& sf, std::size_t s) {
  const auto r0 = static_cast<std::size_t>(sf.ring_begin[s]);
  const auto r1 = static_cast<std::size_t>(sf.ring_begin[s + 1]);
  return {static_cast<std::size_t>(sf.vertex_begin[r0]),
          static_cast<std::size_t>(sf.vertex_begin[r1])};
}

// difference of two angles in degrees, folded into [0, 180]
double angle_diff_deg(double a, double b) {
  const double d = std::fmod(std::fabs(a - b), 360.0);
  return std::min(d, 360.0 - d);
}

// surfaces of each building, in order
std::vector<std::vector<std::size_t>> surfaces_by_building(const City& city) {
  std::vector<std::vector<std::size_t>> out(static_cast<std::size_t>(city.buildings.size()));
  for (std::size_t s = 0; s < static_cast<std::size_t>(city.surfaces.size()); ++s) {
    out[static_cast<std::size_t>(city.surfaces.building_idx[s])].push_back(s);
  }
  return out;
}

// --- generated cities, built once per option set ------------------------------------------

struct Case {
  std::int64_t n_buildings;
  double block_size_m;
  std::int32_t arterial_every;
  std::uint64_t seed;
};

std::ostream& operator<<(std::ostream& os, const Case& c) {
  return os << c.n_buildings << "_buildings_block_" << c.block_size_m << "_seed_" << c.seed;
}

CityGeneratorOptions options_for(const Case& c) {
  CityGeneratorOptions o;
  o.n_buildings = c.n_buildings;
  o.block_size_m = c.block_size_m;
  o.arterial_every = c.arterial_every;
  o.seed = c.seed;
  return o;
}

const City& city_for(const Case& c) {
  static std::map<std::tuple<std::int64_t, double, std::int32_t, std::uint64_t>, City> cache;
  const auto key = std::make_tuple(c.n_buildings, c.block_size_m, c.arterial_every, c.seed);
  auto it = cache.find(key);
  if (it == cache.end()) it = cache.emplace(key, generate_city(options_for(c))).first;
  return it->second;
}

const City& default_city() { return city_for({500, 120.0, 5, 1}); }

// first building with the given roof
std::size_t first_with_roof(const City& city, RoofShape roof) {
  for (std::size_t b = 0; b < static_cast<std::size_t>(city.buildings.size()); ++b) {
    if (city.buildings.roof_shape[b] == roof) return b;
  }
  return static_cast<std::size_t>(city.buildings.size());
}

// --- hand-checked cases on the default city -----------------------------------------------

TEST(CityGenerator, IdentityCrsAndOrigin) {
  const City& city = default_city();
  EXPECT_EQ(city.name, "generated");
  EXPECT_EQ(city.crs,
            "+proj=tmerc +lat_0=45.764 +lon_0=4.8357 +k=1 +x_0=0 +y_0=0 +ellps=WGS84 +units=m "
            "+no_defs");
  EXPECT_EQ(city.origin_lat_deg, 45.764);
  EXPECT_EQ(city.origin_lon_deg, 4.8357);
  // centred on (0, 0): the street grid is symmetric
  const auto [x_min, x_max] =
      std::minmax_element(city.streets.node_x_m.begin(), city.streets.node_x_m.end());
  const auto [y_min, y_max] =
      std::minmax_element(city.streets.node_y_m.begin(), city.streets.node_y_m.end());
  EXPECT_DOUBLE_EQ(*x_min, -*x_max);
  EXPECT_DOUBLE_EQ(*y_min, -*y_max);
}

TEST(CityGenerator, GabledRoofMatchesHandComputation) {
  const City& city = default_city();
  const std::size_t b = first_with_roof(city, RoofShape::kGabled);
  ASSERT_LT(b, static_cast<std::size_t>(city.buildings.size()));
  const Polygon fp = footprint(city, b);
  ASSERT_EQ(fp.size(), 1u);
  ASSERT_EQ(fp[0].size(), 4u);

  // the ridge runs along the first (long) edge; the span is the short edge
  const Ring& r = fp[0];
  const double length_m = std::hypot(r[1].x - r[0].x, r[1].y - r[0].y);
  const double span_m = std::hypot(r[3].x - r[0].x, r[3].y - r[0].y);
  ASSERT_GE(length_m, span_m);
  const double pitch_deg = city.buildings.roof_pitch_deg[b];
  ASSERT_GE(pitch_deg, 25.0);
  ASSERT_LE(pitch_deg, 45.0);
  const double pitch_rad = pitch_deg / kDegPerRad;
  const double eaves_m = city.buildings.eaves_height_m[b];
  const double rise_m = 0.5 * span_m * std::tan(pitch_rad);
  EXPECT_NEAR(city.buildings.height_m[b], eaves_m + rise_m, 1e-9);
  EXPECT_NEAR(eaves_m, 3.0 * city.buildings.n_floors[b], 1e-12);

  // first edge direction -> the front plane faces its right-hand side, the back plane the left
  const double edge_azimuth_deg = std::atan2(r[1].x - r[0].x, r[1].y - r[0].y) * kDegPerRad;
  const double front_azimuth_deg = std::fmod(edge_azimuth_deg + 90.0 + 360.0, 360.0);
  const double back_azimuth_deg = std::fmod(front_azimuth_deg + 180.0, 360.0);

  const auto surfaces = surfaces_by_building(city)[b];
  ASSERT_EQ(surfaces.size(), 7u);  // 2 roof planes, 4 walls, 1 ground
  const Surfaces& s = city.surfaces;
  const double plane_area_m2 = length_m * 0.5 * span_m / std::cos(pitch_rad);
  for (std::size_t k = 0; k < 2; ++k) {
    EXPECT_EQ(s.type[surfaces[k]], SurfaceType::kRoof);
    EXPECT_NEAR(s.area_m2[surfaces[k]], plane_area_m2, 1e-9 * plane_area_m2);
    EXPECT_NEAR(s.tilt_deg[surfaces[k]], pitch_deg, 1e-9);
  }
  EXPECT_LT(angle_diff_deg(s.azimuth_deg[surfaces[0]], front_azimuth_deg), 1e-9);
  EXPECT_LT(angle_diff_deg(s.azimuth_deg[surfaces[1]], back_azimuth_deg), 1e-9);

  // long walls are rectangles to the eaves, end walls carry the gable triangle
  const double long_wall_m2 = length_m * eaves_m;
  const double gable_wall_m2 = span_m * eaves_m + 0.5 * span_m * rise_m;
  EXPECT_NEAR(s.area_m2[surfaces[2]], long_wall_m2, 1e-9 * long_wall_m2);
  EXPECT_NEAR(s.area_m2[surfaces[3]], gable_wall_m2, 1e-9 * gable_wall_m2);
  EXPECT_NEAR(s.area_m2[surfaces[4]], long_wall_m2, 1e-9 * long_wall_m2);
  EXPECT_NEAR(s.area_m2[surfaces[5]], gable_wall_m2, 1e-9 * gable_wall_m2);
  for (std::size_t k = 2; k < 6; ++k) EXPECT_NEAR(s.tilt_deg[surfaces[k]], 90.0, 1e-9);
  EXPECT_LT(angle_diff_deg(s.azimuth_deg[surfaces[2]], front_azimuth_deg), 1e-9);
  EXPECT_LT(angle_diff_deg(s.azimuth_deg[surfaces[4]], back_azimuth_deg), 1e-9);

  // ground: the footprint, facing down
  EXPECT_EQ(s.type[surfaces[6]], SurfaceType::kGround);
  EXPECT_NEAR(s.area_m2[surfaces[6]], length_m * span_m, 1e-9 * length_m * span_m);
  EXPECT_EQ(s.tilt_deg[surfaces[6]], 180.0);
  EXPECT_EQ(s.azimuth_deg[surfaces[6]], 0.0);

  // ridge vertices sit at ground + height
  const auto v0 = surface_vertices(s, surfaces[0]).first;
  EXPECT_NEAR(s.vertex_z_m[v0 + 2],
              city.buildings.ground_elevation_m[b] + city.buildings.height_m[b], 1e-9);
}

TEST(CityGenerator, CourtyardRoofAndGroundAreOnePolygonWithAHole) {
  const City& city = default_city();
  const Buildings& b = city.buildings;
  std::size_t i = 0;
  while (i < static_cast<std::size_t>(b.size()) && b.ring_begin[i + 1] - b.ring_begin[i] < 2) ++i;
  ASSERT_LT(i, static_cast<std::size_t>(b.size())) << "no courtyard building";
  const Polygon poly = footprint(city, i);
  ASSERT_EQ(poly.size(), 2u);

  // 1 roof, 4 + 4 walls, 1 ground; roof and ground hold the footprint rings (ground reversed)
  const auto surfaces = surfaces_by_building(city)[i];
  ASSERT_EQ(surfaces.size(), 10u);
  const Surfaces& s = city.surfaces;
  const std::size_t roof = surfaces.front();
  const std::size_t ground = surfaces.back();
  EXPECT_EQ(s.type[roof], SurfaceType::kRoof);
  EXPECT_EQ(s.type[ground], SurfaceType::kGround);
  for (const std::size_t k : {roof, ground}) {
    ASSERT_EQ(s.ring_begin[k + 1] - s.ring_begin[k], 2);
    const auto r = static_cast<std::size_t>(s.ring_begin[k]);
    for (std::size_t h = 0; h < 2; ++h) {
      const Ring& ring = poly[h];
      const auto v0 = static_cast<std::size_t>(s.vertex_begin[r + h]);
      ASSERT_EQ(static_cast<std::size_t>(s.vertex_begin[r + h + 1]) - v0, ring.size());
      for (std::size_t v = 0; v < ring.size(); ++v) {
        const std::size_t src = k == roof ? v : ring.size() - 1 - v;
        EXPECT_EQ(s.vertex_x_m[v0 + v], ring[src].x);
        EXPECT_EQ(s.vertex_y_m[v0 + v], ring[src].y);
      }
    }
    // 1e-9 relative: Newell sums against the footprint shoelace
    EXPECT_NEAR(s.area_m2[k], b.footprint_area_m2[i], 1e-9 * b.footprint_area_m2[i]);
  }
  EXPECT_EQ(s.tilt_deg[roof], 0.0);
  EXPECT_EQ(s.tilt_deg[ground], 180.0);
}

TEST(CityGenerator, HippedRoofMatchesHandComputation) {
  const City& city = default_city();
  const std::size_t b = first_with_roof(city, RoofShape::kHipped);
  ASSERT_LT(b, static_cast<std::size_t>(city.buildings.size()));
  const Ring r = footprint(city, b)[0];
  ASSERT_EQ(r.size(), 4u);
  const double length_m = std::hypot(r[1].x - r[0].x, r[1].y - r[0].y);
  const double span_m = std::hypot(r[3].x - r[0].x, r[3].y - r[0].y);
  ASSERT_GE(length_m, 1.2 * span_m);
  const double pitch_deg = city.buildings.roof_pitch_deg[b];
  const double slope = 1.0 / std::cos(pitch_deg / kDegPerRad);  // sloped / horizontal area

  // trapezoids: (L + (L - W)) / 2 x W / 2; triangles: W x (W / 2) / 2; all at the same pitch
  const double trapezoid_m2 = 0.5 * (2.0 * length_m - span_m) * 0.5 * span_m * slope;
  const double triangle_m2 = 0.25 * span_m * span_m * slope;
  const auto surfaces = surfaces_by_building(city)[b];
  ASSERT_EQ(surfaces.size(), 9u);  // 4 roof planes, 4 walls, 1 ground
  const Surfaces& s = city.surfaces;
  EXPECT_NEAR(s.area_m2[surfaces[0]], trapezoid_m2, 1e-9 * trapezoid_m2);
  EXPECT_NEAR(s.area_m2[surfaces[1]], triangle_m2, 1e-9 * triangle_m2);
  EXPECT_NEAR(s.area_m2[surfaces[2]], trapezoid_m2, 1e-9 * trapezoid_m2);
  EXPECT_NEAR(s.area_m2[surfaces[3]], triangle_m2, 1e-9 * triangle_m2);
  const double edge_azimuth_deg = std::atan2(r[1].x - r[0].x, r[1].y - r[0].y) * kDegPerRad;
  for (std::size_t k = 0; k < 4; ++k) {
    EXPECT_EQ(s.type[surfaces[k]], SurfaceType::kRoof);
    EXPECT_NEAR(s.tilt_deg[surfaces[k]], pitch_deg, 1e-9);
    // planes face right of edges 0, 1, 2, 3: counter-clockwise edges turn the azimuth by -90
    EXPECT_LT(angle_diff_deg(s.azimuth_deg[surfaces[k]],
                             edge_azimuth_deg + 90.0 - 90.0 * static_cast<double>(k)),
              1e-9);
  }
  EXPECT_NEAR(city.buildings.height_m[b] - city.buildings.eaves_height_m[b],
              0.5 * span_m * std::tan(pitch_deg / kDegPerRad), 1e-9);
}

TEST(CityGenerator, FlatRectangleWallsFaceTheFourCompassPoints) {
  const City& city = default_city();
  const auto by_building = surfaces_by_building(city);
  std::size_t checked = 0;
  for (std::size_t b = 0; b < static_cast<std::size_t>(city.buildings.size()); ++b) {
    const Polygon fp = footprint(city, b);
    if (city.buildings.roof_shape[b] != RoofShape::kFlat || fp.size() != 1 || fp[0].size() != 4) {
      continue;
    }
    // counter-clockwise axis-aligned rectangle: each wall faces 90 degrees left of the one before
    std::vector<double> azimuths;
    for (const std::size_t s : by_building[b]) {
      if (city.surfaces.type[s] == SurfaceType::kWall)
        azimuths.push_back(city.surfaces.azimuth_deg[s]);
    }
    ASSERT_EQ(azimuths.size(), 4u);
    for (std::size_t k = 0; k < 4; ++k) {
      EXPECT_LT(angle_diff_deg(azimuths[(k + 1) % 4], azimuths[k] - 90.0), 1e-9);
      EXPECT_LT(std::fabs(std::remainder(azimuths[k], 90.0)), 1e-9);
    }
    std::sort(azimuths.begin(), azimuths.end());
    EXPECT_NEAR(azimuths[0], 0.0, 1e-9);
    EXPECT_NEAR(azimuths[1], 90.0, 1e-9);
    EXPECT_NEAR(azimuths[2], 180.0, 1e-9);
    EXPECT_NEAR(azimuths[3], 270.0, 1e-9);
    ++checked;
  }
  EXPECT_GT(checked, 10u);
}

TEST(CityGenerator, SameOptionsGiveBitwiseIdenticalCity) {
  CityGeneratorOptions o;
  o.n_buildings = 3000;
  o.seed = 42;
  const City a = generate_city(o);
  const City b = generate_city(o);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.crs, b.crs);
  const Buildings& ba = a.buildings;
  const Buildings& bb = b.buildings;
  EXPECT_EQ(ba.building_id, bb.building_id);
  EXPECT_EQ(ba.height_m, bb.height_m);
  EXPECT_EQ(ba.eaves_height_m, bb.eaves_height_m);
  EXPECT_EQ(ba.ground_elevation_m, bb.ground_elevation_m);
  EXPECT_EQ(ba.footprint_area_m2, bb.footprint_area_m2);
  EXPECT_EQ(ba.floor_area_m2, bb.floor_area_m2);
  EXPECT_EQ(ba.n_floors, bb.n_floors);
  EXPECT_EQ(ba.residents, bb.residents);
  EXPECT_EQ(ba.jobs, bb.jobs);
  EXPECT_EQ(ba.use, bb.use);
  EXPECT_EQ(ba.roof_shape, bb.roof_shape);
  EXPECT_EQ(ba.roof_pitch_deg, bb.roof_pitch_deg);
  EXPECT_EQ(ba.centroid_x_m, bb.centroid_x_m);
  EXPECT_EQ(ba.centroid_y_m, bb.centroid_y_m);
  EXPECT_EQ(ba.block_idx, bb.block_idx);
  EXPECT_EQ(ba.zone_idx, bb.zone_idx);
  EXPECT_EQ(ba.ring_begin, bb.ring_begin);
  EXPECT_EQ(ba.vertex_begin, bb.vertex_begin);
  EXPECT_EQ(ba.vertex_x_m, bb.vertex_x_m);
  EXPECT_EQ(ba.vertex_y_m, bb.vertex_y_m);
  const Surfaces& sa = a.surfaces;
  const Surfaces& sb = b.surfaces;
  EXPECT_EQ(sa.surface_id, sb.surface_id);
  EXPECT_EQ(sa.building_idx, sb.building_idx);
  EXPECT_EQ(sa.type, sb.type);
  EXPECT_EQ(sa.area_m2, sb.area_m2);
  EXPECT_EQ(sa.tilt_deg, sb.tilt_deg);
  EXPECT_EQ(sa.azimuth_deg, sb.azimuth_deg);
  EXPECT_EQ(sa.ring_begin, sb.ring_begin);
  EXPECT_EQ(sa.vertex_begin, sb.vertex_begin);
  EXPECT_EQ(sa.vertex_x_m, sb.vertex_x_m);
  EXPECT_EQ(sa.vertex_y_m, sb.vertex_y_m);
  EXPECT_EQ(sa.vertex_z_m, sb.vertex_z_m);
  const Streets& ta = a.streets;
  const Streets& tb = b.streets;
  EXPECT_EQ(ta.node_id, tb.node_id);
  EXPECT_EQ(ta.node_x_m, tb.node_x_m);
  EXPECT_EQ(ta.node_y_m, tb.node_y_m);
  EXPECT_EQ(ta.node_z_m, tb.node_z_m);
  EXPECT_EQ(ta.node_signalised, tb.node_signalised);
  EXPECT_EQ(ta.street_id, tb.street_id);
  EXPECT_EQ(ta.from_node_idx, tb.from_node_idx);
  EXPECT_EQ(ta.to_node_idx, tb.to_node_idx);
  EXPECT_EQ(ta.length_m, tb.length_m);
  EXPECT_EQ(ta.lanes_forward, tb.lanes_forward);
  EXPECT_EQ(ta.lanes_backward, tb.lanes_backward);
  EXPECT_EQ(ta.speed_limit_mps, tb.speed_limit_mps);
  EXPECT_EQ(ta.width_m, tb.width_m);
  EXPECT_EQ(ta.street_class, tb.street_class);
  EXPECT_EQ(a.blocks.min_x_m, b.blocks.min_x_m);
  EXPECT_EQ(a.blocks.min_y_m, b.blocks.min_y_m);
  EXPECT_EQ(a.blocks.max_x_m, b.blocks.max_x_m);
  EXPECT_EQ(a.blocks.max_y_m, b.blocks.max_y_m);
  EXPECT_EQ(a.blocks.zone_idx, b.blocks.zone_idx);
  EXPECT_EQ(a.zones.zone_id, b.zones.zone_id);
  EXPECT_EQ(a.zones.name, b.zones.name);
  EXPECT_EQ(a.zones.min_x_m, b.zones.min_x_m);
  EXPECT_EQ(a.zones.max_y_m, b.zones.max_y_m);
  EXPECT_EQ(a.terrain.elevation_m, b.terrain.elevation_m);
  EXPECT_EQ(a.terrain.origin_x_m, b.terrain.origin_x_m);
  EXPECT_EQ(a.terrain.cell_m, b.terrain.cell_m);

  // another seed gives another city of the same size
  o.seed = 43;
  const City c = generate_city(o);
  EXPECT_EQ(c.buildings.size(), a.buildings.size());
  EXPECT_NE(c.buildings.vertex_x_m, a.buildings.vertex_x_m);
  EXPECT_NE(c.buildings.use, a.buildings.use);
  EXPECT_NE(c.terrain.elevation_m, a.terrain.elevation_m);
}

TEST(CityGenerator, ExactCountForSmallTargets) {
  for (const std::int64_t n : {1, 2, 37, 499}) {
    CityGeneratorOptions o;
    o.n_buildings = n;
    EXPECT_EQ(generate_city(o).buildings.size(), n) << n;
  }
}

TEST(CityGenerator, OccupancyFollowsTheRatios) {
  const City& city = default_city();
  const Buildings& b = city.buildings;
  for (std::size_t i = 0; i < static_cast<std::size_t>(b.size()); ++i) {
    const double floor_m2 = b.floor_area_m2[i];
    EXPECT_NEAR(floor_m2, b.n_floors[i] * b.footprint_area_m2[i], 1e-9 * floor_m2);
    switch (b.use[i]) {
      case BuildingUse::kResidential:
        EXPECT_EQ(b.residents[i], std::lround(floor_m2 / 40.0));
        EXPECT_EQ(b.jobs[i], 0);
        break;
      case BuildingUse::kMixed:
        EXPECT_EQ(b.residents[i], std::lround((floor_m2 - b.footprint_area_m2[i]) / 40.0));
        EXPECT_EQ(b.jobs[i], std::lround(b.footprint_area_m2[i] / 25.0));
        break;
      case BuildingUse::kSchool:
        EXPECT_EQ(b.residents[i], 0);
        EXPECT_EQ(b.jobs[i], std::lround(floor_m2 / 10.0));
        break;
      default:
        EXPECT_EQ(b.residents[i], 0);
        EXPECT_EQ(b.jobs[i], std::lround(floor_m2 / 25.0));
    }
  }
}

TEST(CityGenerator, DistrictsShapeUsesAndHeights) {
  const City& city = city_for({20000, 120.0, 5, 7});
  const Buildings& b = city.buildings;
  double half_m = 0.0;
  for (const double x : city.streets.node_x_m) half_m = std::max(half_m, std::fabs(x));

  // offices concentrate in the centre, residents in the belts
  std::array<int, 2> offices{0, 0}, totals{0, 0};
  std::array<double, 2> floors{0.0, 0.0};
  for (std::size_t i = 0; i < static_cast<std::size_t>(b.size()); ++i) {
    const double r = std::hypot(b.centroid_x_m[i], b.centroid_y_m[i]) / half_m;
    if (r > 0.3 && r < 0.7) continue;
    const std::size_t ring = r <= 0.3 ? 0 : 1;
    ++totals[ring];
    offices[ring] += b.use[i] == BuildingUse::kOffice ? 1 : 0;
    floors[ring] += b.n_floors[i];
  }
  const double central_office_frac = static_cast<double>(offices[0]) / totals[0];
  const double outer_office_frac = static_cast<double>(offices[1]) / totals[1];
  EXPECT_GT(central_office_frac, 0.15);
  EXPECT_LT(outer_office_frac, 0.05);
  EXPECT_GT(floors[0] / totals[0], 2.0 * floors[1] / totals[1]);  // taller centre

  // the industrial buildings form a cluster: within 0.5 half-sizes of their mean position
  double mx = 0.0, my = 0.0;
  int n_industrial = 0;
  for (std::size_t i = 0; i < static_cast<std::size_t>(b.size()); ++i) {
    if (b.use[i] != BuildingUse::kIndustrial) continue;
    mx += b.centroid_x_m[i];
    my += b.centroid_y_m[i];
    ++n_industrial;
  }
  ASSERT_GT(n_industrial, 0);
  mx /= n_industrial;
  my /= n_industrial;
  int far = 0;
  for (std::size_t i = 0; i < static_cast<std::size_t>(b.size()); ++i) {
    if (b.use[i] == BuildingUse::kIndustrial &&
        std::hypot(b.centroid_x_m[i] - mx, b.centroid_y_m[i] - my) > 0.5 * half_m) {
      ++far;
    }
  }
  EXPECT_LT(far, n_industrial / 10);  // a few industrial halls stand outside the cluster
}

TEST(CityGenerator, RejectsBadOptionsNamingTheArgument) {
  const auto message = [](CityGeneratorOptions o) -> std::string {
    try {
      (void)generate_city(o);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "<no invalid_argument thrown>";
  };
  CityGeneratorOptions o;
  o.n_buildings = 0;
  EXPECT_EQ(message(o), "n_buildings must be in [1, 5000000], got 0");
  o = {};
  o.block_size_m = 20.0;
  EXPECT_EQ(message(o), "block_size_m must be in [50, 500] m, got 20.000000");
  o = {};
  o.arterial_every = 0;
  EXPECT_EQ(message(o), "arterial_every must be >= 1, got 0");
  o = {};
  o.terrain_relief_m = -1.0;
  EXPECT_EQ(message(o), "terrain_relief_m must be in [0, 1000] m, got -1.000000");
  o = {};
  o.residents_per_m2 = std::nan("");
  EXPECT_EQ(message(o), "residents_per_m2 must be in [0, 1], got nan");
  o = {};
  o.origin_lat_deg = 91.0;
  EXPECT_EQ(message(o), "origin_lat_deg must be in [-85, 85], got 91.000000");
}

// --- invariants on generated cities of several sizes ------------------------------------

class CityGeneratorInvariants : public ::testing::TestWithParam<Case> {
 protected:
  const City& city() const { return city_for(GetParam()); }
};

TEST_P(CityGeneratorInvariants, CountsTotalsAndVariety) {
  const City& c = city();
  const Buildings& b = c.buildings;
  const auto target = GetParam().n_buildings;
  EXPECT_GE(b.size(), target * 9 / 10);
  EXPECT_LE(b.size(), target * 11 / 10);

  // people and jobs, every use, holes, flat and pitched roofs, L shapes
  std::int64_t residents = 0, jobs = 0;
  std::array<int, 8> uses{};
  std::array<int, 5> roofs{};
  int with_holes = 0, l_shapes = 0;
  for (std::size_t i = 0; i < static_cast<std::size_t>(b.size()); ++i) {
    residents += b.residents[i];
    jobs += b.jobs[i];
    ++uses[static_cast<std::size_t>(b.use[i])];
    ++roofs[static_cast<std::size_t>(b.roof_shape[i])];
    with_holes += b.ring_begin[i + 1] - b.ring_begin[i] > 1 ? 1 : 0;
    const auto r = static_cast<std::size_t>(b.ring_begin[i]);
    l_shapes += b.vertex_begin[r + 1] - b.vertex_begin[r] == 6 ? 1 : 0;
  }
  EXPECT_GT(residents, 0);
  EXPECT_GT(jobs, 0);
  for (std::size_t u = 0; u < uses.size(); ++u) EXPECT_GT(uses[u], 0) << building_use_names()[u];
  EXPECT_GT(with_holes, 0);
  EXPECT_GT(l_shapes, 0);
  EXPECT_GT(roofs[static_cast<std::size_t>(RoofShape::kFlat)], 0);
  EXPECT_GT(roofs[static_cast<std::size_t>(RoofShape::kGabled)] +
                roofs[static_cast<std::size_t>(RoofShape::kHipped)],
            0);

  // about one school per 1,500 residents
  const double schools_per_resident = static_cast<double>(uses[4]) / static_cast<double>(residents);
  EXPECT_GT(schools_per_resident, 0.5 / 1500.0);
  EXPECT_LT(schools_per_resident, 1.5 / 1500.0);

  // dense stable ids
  for (std::size_t i = 0; i < static_cast<std::size_t>(b.size()); ++i) {
    ASSERT_EQ(b.building_id[i], static_cast<std::int64_t>(i) + 1);
    ASSERT_EQ(c.building_idx(b.building_id[i]), static_cast<std::int32_t>(i));
  }
}

TEST_P(CityGeneratorInvariants, FootprintsNeverOverlapOrTouch) {
  const City& c = city();
  const auto n = static_cast<std::size_t>(c.buildings.size());
  std::vector<Polygon> polys(n);
  std::vector<Box> boxes(n);
  for (std::size_t b = 0; b < n; ++b) {
    polys[b] = footprint(c, b);
    // boxes grown by 1.5 m, so that neighbours 1 m apart go through the exact test too
    boxes[b] = bounds(polys[b]);
    boxes[b] = {boxes[b].x0 - 1.5, boxes[b].y0 - 1.5, boxes[b].x1 + 1.5, boxes[b].y1 + 1.5};
  }

  // spatial grid of bounding boxes, 50 m cells
  constexpr double kCellM = 50.0;
  std::map<std::pair<std::int64_t, std::int64_t>, std::vector<std::size_t>> cells;
  for (std::size_t b = 0; b < n; ++b) {
    const auto i0 = static_cast<std::int64_t>(std::floor(boxes[b].x0 / kCellM));
    const auto i1 = static_cast<std::int64_t>(std::floor(boxes[b].x1 / kCellM));
    const auto j0 = static_cast<std::int64_t>(std::floor(boxes[b].y0 / kCellM));
    const auto j1 = static_cast<std::int64_t>(std::floor(boxes[b].y1 / kCellM));
    for (auto i = i0; i <= i1; ++i) {
      for (auto j = j0; j <= j1; ++j) cells[{i, j}].push_back(b);
    }
  }

  // exact test of every pair whose (closed) boxes meet
  std::size_t n_pairs = 0;
  std::size_t n_overlaps = 0;
  for (const auto& [cell, members] : cells) {
    for (std::size_t p = 0; p < members.size(); ++p) {
      for (std::size_t q = p + 1; q < members.size(); ++q) {
        const Box& a = boxes[members[p]];
        const Box& b = boxes[members[q]];
        if (a.x1 < b.x0 || b.x1 < a.x0 || a.y1 < b.y0 || b.y1 < a.y0) continue;
        // count each pair once: in the cell holding the lower-left corner of the boxes' overlap
        const auto ci = static_cast<std::int64_t>(std::floor(std::max(a.x0, b.x0) / kCellM));
        const auto cj = static_cast<std::int64_t>(std::floor(std::max(a.y0, b.y0) / kCellM));
        if (ci != cell.first || cj != cell.second) continue;
        ++n_pairs;
        if (polygons_overlap(polys[members[p]], polys[members[q]])) {
          ++n_overlaps;
          ADD_FAILURE() << "buildings " << members[p] << " and " << members[q] << " overlap";
        }
      }
    }
  }
  EXPECT_EQ(n_overlaps, 0u);
  // the exact test ran on many pairs of close neighbours (perimeter blocks, L corners)
  EXPECT_GT(n_pairs, n / 5);
}

TEST_P(CityGeneratorInvariants, BuildingsInsideTheirBlockAndFrontingAStreet) {
  const City& c = city();
  const Streets& st = c.streets;
  const Blocks& bl = c.blocks;

  // the four street segments around each block: axes within 10 m of a block edge
  std::vector<std::vector<std::size_t>> block_streets(static_cast<std::size_t>(bl.size()));
  for (std::size_t s = 0; s < static_cast<std::size_t>(st.size()); ++s) {
    const auto f = static_cast<std::size_t>(st.from_node_idx[s]);
    const auto t = static_cast<std::size_t>(st.to_node_idx[s]);
    const double mx = 0.5 * (st.node_x_m[f] + st.node_x_m[t]);
    const double my = 0.5 * (st.node_y_m[f] + st.node_y_m[t]);
    const bool along_x = std::fabs(st.node_y_m[f] - st.node_y_m[t]) < 1e-9;
    for (std::size_t k = 0; k < block_streets.size(); ++k) {
      const bool inside_x = mx > bl.min_x_m[k] && mx < bl.max_x_m[k];
      const bool inside_y = my > bl.min_y_m[k] && my < bl.max_y_m[k];
      const bool near_y =
          std::fabs(my - bl.min_y_m[k]) < 10.0 || std::fabs(my - bl.max_y_m[k]) < 10.0;
      const bool near_x =
          std::fabs(mx - bl.min_x_m[k]) < 10.0 || std::fabs(mx - bl.max_x_m[k]) < 10.0;
      if ((along_x && inside_x && near_y) || (!along_x && inside_y && near_x)) {
        block_streets[k].push_back(s);
      }
    }
  }
  for (const auto& streets : block_streets) ASSERT_EQ(streets.size(), 4u);

  // every vertex inside the block box, the footprint within kFrontageLimitM of a block street
  double worst_m = 0.0;
  for (std::size_t b = 0; b < static_cast<std::size_t>(c.buildings.size()); ++b) {
    const auto k = static_cast<std::size_t>(c.buildings.block_idx[b]);
    ASSERT_LT(k, block_streets.size());
    EXPECT_EQ(c.buildings.zone_idx[b], bl.zone_idx[k]);
    const Polygon poly = footprint(c, b);
    for (const Ring& r : poly) {
      for (const Pt& p : r) {
        ASSERT_GE(p.x, bl.min_x_m[k] - 1e-9);
        ASSERT_LE(p.x, bl.max_x_m[k] + 1e-9);
        ASSERT_GE(p.y, bl.min_y_m[k] - 1e-9);
        ASSERT_LE(p.y, bl.max_y_m[k] + 1e-9);
      }
    }
    double nearest_m = std::numeric_limits<double>::infinity();
    for (const std::size_t s : block_streets[k]) {
      const auto f = static_cast<std::size_t>(st.from_node_idx[s]);
      const auto t = static_cast<std::size_t>(st.to_node_idx[s]);
      nearest_m =
          std::min(nearest_m, polygon_segment_distance(poly, {st.node_x_m[f], st.node_y_m[f]},
                                                       {st.node_x_m[t], st.node_y_m[t]}));
    }
    EXPECT_LT(nearest_m, kFrontageLimitM) << "building " << b;
    worst_m = std::max(worst_m, nearest_m);
  }
  EXPECT_GT(worst_m, 4.0);  // sidewalks and setbacks keep buildings off the carriageway
}

TEST_P(CityGeneratorInvariants, StreetGridIsConnectedWithClassRules) {
  const City& c = city();
  const Streets& st = c.streets;
  const auto n_nodes = static_cast<std::size_t>(st.n_nodes());

  // breadth-first search over the undirected segments
  std::vector<std::vector<std::size_t>> adjacent(n_nodes);
  for (std::size_t s = 0; s < static_cast<std::size_t>(st.size()); ++s) {
    const auto f = static_cast<std::size_t>(st.from_node_idx[s]);
    const auto t = static_cast<std::size_t>(st.to_node_idx[s]);
    adjacent[f].push_back(t);
    adjacent[t].push_back(f);
  }
  std::vector<bool> seen(n_nodes, false);
  std::deque<std::size_t> queue{0};
  seen[0] = true;
  std::size_t n_seen = 1;
  while (!queue.empty()) {
    const std::size_t v = queue.front();
    queue.pop_front();
    for (const std::size_t w : adjacent[v]) {
      if (seen[w]) continue;
      seen[w] = true;
      ++n_seen;
      queue.push_back(w);
    }
  }
  EXPECT_EQ(n_seen, n_nodes);

  // a grid: nodes x nodes, one segment per block side; lengths equal the block size
  std::size_t n_arterial = 0;
  for (std::size_t s = 0; s < static_cast<std::size_t>(st.size()); ++s) {
    EXPECT_NEAR(st.length_m[s], GetParam().block_size_m, 1e-9);
    ASSERT_EQ(st.street_id[s], static_cast<std::int64_t>(s) + 1);
    switch (st.street_class[s]) {
      case StreetClass::kArterial:
        EXPECT_EQ(st.lanes_forward[s], 2);
        EXPECT_EQ(st.lanes_backward[s], 2);
        EXPECT_NEAR(st.speed_limit_mps[s], 50.0 / 3.6, 1e-12);
        EXPECT_EQ(st.width_m[s], 14.0);
        ++n_arterial;
        break;
      case StreetClass::kCollector:
        EXPECT_EQ(st.lanes_forward[s], 1);
        EXPECT_NEAR(st.speed_limit_mps[s], 40.0 / 3.6, 1e-12);
        break;
      case StreetClass::kLocal:
        EXPECT_EQ(st.lanes_forward[s], 1);
        EXPECT_EQ(st.lanes_backward[s], 1);
        EXPECT_NEAR(st.speed_limit_mps[s], 30.0 / 3.6, 1e-12);
        EXPECT_EQ(st.width_m[s], 8.0);
        break;
      case StreetClass::kPath:
        ADD_FAILURE() << "the generator makes no paths";
    }
  }
  EXPECT_GT(n_arterial, 0u);

  // signalised nodes are exactly the crossings of an arterial with an arterial or collector
  constexpr int kNone = -1;
  std::vector<int> x_class(n_nodes, kNone),
      y_class(n_nodes, kNone);  // class of the line along x / y
  for (std::size_t s = 0; s < static_cast<std::size_t>(st.size()); ++s) {
    const auto f = static_cast<std::size_t>(st.from_node_idx[s]);
    const auto t = static_cast<std::size_t>(st.to_node_idx[s]);
    std::vector<int>& line = st.node_y_m[f] == st.node_y_m[t] ? x_class : y_class;
    line[f] = static_cast<int>(st.street_class[s]);
    line[t] = static_cast<int>(st.street_class[s]);
  }
  std::size_t n_signalised = 0;
  const int arterial = static_cast<int>(StreetClass::kArterial);
  const int local = static_cast<int>(StreetClass::kLocal);
  for (std::size_t v = 0; v < n_nodes; ++v) {
    const bool expected = (x_class[v] == arterial && y_class[v] != local && y_class[v] != kNone) ||
                          (y_class[v] == arterial && x_class[v] != local && x_class[v] != kNone);
    EXPECT_EQ(st.node_signalised[v], expected ? 1 : 0) << "node " << v;
    n_signalised += st.node_signalised[v];
  }
  EXPECT_GT(n_signalised, 0u);

  // node elevations come from the terrain
  for (std::size_t v = 0; v < n_nodes; ++v) {
    EXPECT_EQ(st.node_z_m[v], c.terrain.elevation_at(st.node_x_m[v], st.node_y_m[v]));
  }
}

TEST_P(CityGeneratorInvariants, RingsAreOrientedAndAreasAgree) {
  const City& c = city();
  const Buildings& b = c.buildings;
  for (std::size_t i = 0; i < static_cast<std::size_t>(b.size()); ++i) {
    const Polygon poly = footprint(c, i);
    double area_m2 = signed_area(poly[0]);
    ASSERT_GT(area_m2, 0.0) << "outer ring of building " << i << " must be counter-clockwise";
    for (std::size_t h = 1; h < poly.size(); ++h) {
      const double hole_m2 = signed_area(poly[h]);
      ASSERT_LT(hole_m2, 0.0) << "hole of building " << i << " must be clockwise";
      area_m2 += hole_m2;
      for (const Pt& p : poly[h]) ASSERT_TRUE(point_in_ring(poly[0], p));
    }
    EXPECT_NEAR(b.footprint_area_m2[i], area_m2, 1e-9 * area_m2);
    EXPECT_GT(area_m2, 16.0);
  }
}

TEST_P(CityGeneratorInvariants, RoofProjectionsEqualFootprints) {
  const City& c = city();
  const Buildings& b = c.buildings;
  const Surfaces& s = c.surfaces;
  std::vector<double> roof_m2(static_cast<std::size_t>(b.size()), 0.0);
  std::vector<double> ground_m2(static_cast<std::size_t>(b.size()), 0.0);
  for (std::size_t k = 0; k < static_cast<std::size_t>(s.size()); ++k) {
    const auto i = static_cast<std::size_t>(s.building_idx[k]);
    const double projected_m2 = s.area_m2[k] * std::cos(s.tilt_deg[k] / kDegPerRad);
    if (s.type[k] == SurfaceType::kRoof) roof_m2[i] += projected_m2;
    if (s.type[k] == SurfaceType::kGround) ground_m2[i] -= projected_m2;
  }
  for (std::size_t i = 0; i < static_cast<std::size_t>(b.size()); ++i) {
    const double fp = b.footprint_area_m2[i];
    // 1e-9 relative: summation order of the roof parts and the footprint shoelace
    EXPECT_NEAR(roof_m2[i], fp, 1e-9 * fp) << "building " << i;
    EXPECT_NEAR(ground_m2[i], fp, 1e-9 * fp) << "building " << i;
  }
}

TEST_P(CityGeneratorInvariants, SurfacesFaceOutwardsWithConsistentAngles) {
  const City& c = city();
  const Buildings& b = c.buildings;
  const Surfaces& s = c.surfaces;
  const auto by_building = surfaces_by_building(c);
  for (std::size_t i = 0; i < static_cast<std::size_t>(b.size()); ++i) {
    // walls follow the footprint edges, outer ring then holes; each faces right of its edge
    const Polygon poly = footprint(c, i);
    std::vector<double> edge_normal_deg;
    for (const Ring& r : poly) {
      for (std::size_t k = 0; k < r.size(); ++k) {
        const Pt p = r[k], q = r[(k + 1) % r.size()];
        // right-hand normal of the edge (dx, dy) is (dy, -dx); azimuth = atan2(east, north)
        edge_normal_deg.push_back(std::atan2(q.y - p.y, -(q.x - p.x)) * kDegPerRad);
      }
    }
    std::size_t wall = 0;
    double min_z = std::numeric_limits<double>::infinity();
    double max_z = -std::numeric_limits<double>::infinity();
    for (const std::size_t k : by_building[i]) {
      const auto n = surface_normal(c, k);
      const double len = std::hypot(n[0], n[1], n[2]);
      ASSERT_GT(len, 0.0);
      EXPECT_NEAR(s.area_m2[k], 0.5 * len, 1e-9 * s.area_m2[k]);
      EXPECT_NEAR(s.tilt_deg[k], std::acos(std::clamp(n[2] / len, -1.0, 1.0)) * kDegPerRad, 1e-6);
      EXPECT_GE(s.azimuth_deg[k], 0.0);
      EXPECT_LT(s.azimuth_deg[k], 360.0);
      if (std::hypot(n[0], n[1]) > 1e-9 * len) {
        EXPECT_LT(angle_diff_deg(s.azimuth_deg[k], std::atan2(n[0], n[1]) * kDegPerRad), 1e-6);
      }
      switch (s.type[k]) {
        case SurfaceType::kWall:
          ASSERT_LT(wall, edge_normal_deg.size());
          EXPECT_NEAR(s.tilt_deg[k], 90.0, 1e-9);
          EXPECT_LT(angle_diff_deg(s.azimuth_deg[k], edge_normal_deg[wall]), 1e-9)
              << "building " << i << " wall " << wall;
          ++wall;
          break;
        case SurfaceType::kRoof:
          EXPECT_LT(s.tilt_deg[k], 46.0);
          if (b.roof_shape[i] == RoofShape::kFlat) {
            EXPECT_EQ(s.tilt_deg[k], 0.0);
          }
          break;
        case SurfaceType::kGround:
          EXPECT_EQ(s.tilt_deg[k], 180.0);
          break;
      }
      const auto [v0, v1] = surface_vertices(s, k);
      for (std::size_t v = v0; v < v1; ++v) {
        min_z = std::min(min_z, s.vertex_z_m[v]);
        max_z = std::max(max_z, s.vertex_z_m[v]);
      }
    }
    EXPECT_EQ(wall, edge_normal_deg.size());
    EXPECT_NEAR(min_z, b.ground_elevation_m[i], 1e-9);
    EXPECT_NEAR(max_z, b.ground_elevation_m[i] + b.height_m[i], 1e-9);
  }
}

TEST_P(CityGeneratorInvariants, HeightsFloorsAndRoofs) {
  const City& c = city();
  const Buildings& b = c.buildings;
  for (std::size_t i = 0; i < static_cast<std::size_t>(b.size()); ++i) {
    EXPECT_GE(b.n_floors[i], 1);
    EXPECT_LE(b.n_floors[i], 12);
    const double storey_m = b.use[i] == BuildingUse::kIndustrial ? 6.0 : 3.0;
    EXPECT_NEAR(b.eaves_height_m[i], storey_m * b.n_floors[i], 1e-12);
    if (b.use[i] == BuildingUse::kIndustrial) {
      EXPECT_LE(b.n_floors[i], 2);
    }
    if (b.roof_shape[i] == RoofShape::kFlat) {
      EXPECT_EQ(b.height_m[i], b.eaves_height_m[i]);
      EXPECT_EQ(b.roof_pitch_deg[i], 0.0);
    } else {
      EXPECT_GE(b.roof_pitch_deg[i], 25.0);
      EXPECT_LE(b.roof_pitch_deg[i], 45.0);
      EXPECT_GT(b.height_m[i], b.eaves_height_m[i]);
      EXPECT_EQ(b.ring_begin[i + 1] - b.ring_begin[i], 1);  // pitched roofs on rectangles only
    }
    EXPECT_EQ(b.ground_elevation_m[i],
              c.terrain.elevation_at(b.centroid_x_m[i], b.centroid_y_m[i]));
  }
}

TEST_P(CityGeneratorInvariants, ZonesBlocksAndTerrainCoverTheCity) {
  const City& c = city();
  ASSERT_GT(c.zones.size(), 0);
  for (std::size_t z = 0; z < static_cast<std::size_t>(c.zones.size()); ++z) {
    ASSERT_EQ(c.zones.zone_id[z], static_cast<std::int64_t>(z) + 1);
    std::string expected = std::to_string(z + 1);
    if (expected.size() < 2) expected.insert(0, "0");
    EXPECT_EQ(c.zones.name[z], "zone_" + expected);
  }

  // each block lies inside its zone
  for (std::size_t k = 0; k < static_cast<std::size_t>(c.blocks.size()); ++k) {
    const auto z = static_cast<std::size_t>(c.blocks.zone_idx[k]);
    EXPECT_GE(c.blocks.min_x_m[k], c.zones.min_x_m[z]);
    EXPECT_LE(c.blocks.max_x_m[k], c.zones.max_x_m[z]);
    EXPECT_GE(c.blocks.min_y_m[k], c.zones.min_y_m[z]);
    EXPECT_LE(c.blocks.max_y_m[k], c.zones.max_y_m[z]);
  }

  // terrain: 50-100 m grid over the whole street grid, relief within [0, 20] m
  const Terrain& t = c.terrain;
  EXPECT_GE(t.cell_m, 50.0);
  EXPECT_LE(t.cell_m, 100.0);
  const auto [x_min, x_max] =
      std::minmax_element(c.streets.node_x_m.begin(), c.streets.node_x_m.end());
  EXPECT_LE(t.origin_x_m, *x_min);
  EXPECT_GE(t.origin_x_m + (t.nx - 1) * t.cell_m, *x_max);
  const auto [e_min, e_max] = std::minmax_element(t.elevation_m.begin(), t.elevation_m.end());
  EXPECT_GE(*e_min, 0.0);
  EXPECT_LE(*e_max, 20.0);
  EXPECT_GT(*e_max - *e_min, 0.0);
}

INSTANTIATE_TEST_SUITE_P(CityGen, CityGeneratorInvariants,
                         ::testing::Values(Case{500, 120.0, 5, 1}, Case{20000, 120.0, 5, 7},
                                           Case{3000, 60.0, 3, 11}, Case{3000, 300.0, 1, 5}),
                         [](const ::testing::TestParamInfo<Case>& param_info) {
                           return std::to_string(param_info.param.n_buildings) + "_block" +
                                  std::to_string(static_cast<int>(param_info.param.block_size_m)) +
                                  "_seed" + std::to_string(param_info.param.seed);
                         });

}  // namespace
}  // namespace citytwin::sim
