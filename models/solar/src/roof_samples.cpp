#include <algorithm>
#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

#include <citytwin/solar/roof_samples.hpp>

namespace citytwin::solar {
namespace {

// vertices [begin, end) of one ring of a surface
struct Ring {
  std::int64_t begin = 0;
  std::int64_t end = 0;
};

// rings of a surface: the outer ring first, then its holes
std::vector<Ring> surface_rings(const sim::Surfaces& surfaces, std::int64_t surface_idx) {
  const auto s = static_cast<std::size_t>(surface_idx);
  std::vector<Ring> rings;
  for (std::int64_t r = surfaces.ring_begin[s]; r < surfaces.ring_begin[s + 1]; ++r) {
    const auto ri = static_cast<std::size_t>(r);
    rings.push_back(Ring{surfaces.vertex_begin[ri], surfaces.vertex_begin[ri + 1]});
  }
  return rings;
}

struct Vec3 {
  double x = 0.0;
  double y = 0.0;
  double z = 0.0;
};

Vec3 cross(const Vec3& a, const Vec3& b) {
  return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x};
}

double dot(const Vec3& a, const Vec3& b) { return a.x * b.x + a.y * b.y + a.z * b.z; }

Vec3 normalized(const Vec3& a) {
  const double length = std::sqrt(dot(a, a));
  return {a.x / length, a.y / length, a.z / length};
}

// a polygon with holes in its own plane: 2D rings in the (u, v) basis around vertex 0
struct PlanarPolygon {
  Vec3 p0;                              // [m] first outer vertex, absolute
  Vec3 u, v, n;                         // in-plane basis and unit outward normal
  std::vector<std::size_t> ring_begin;  // n_rings + 1 offsets into pu/pv
  std::vector<double> pu, pv;           // [m] vertex coordinates in the plane
};

PlanarPolygon to_plane(const sim::Surfaces& surfaces, std::int64_t surface_idx) {
  const std::vector<Ring> rings = surface_rings(surfaces, surface_idx);
  const auto at = [&](std::int64_t i) {
    const auto k = static_cast<std::size_t>(i);
    return Vec3{surfaces.vertex_x_m[k], surfaces.vertex_y_m[k], surfaces.vertex_z_m[k]};
  };
  PlanarPolygon poly;
  poly.p0 = at(rings[0].begin);

  // newell normal of the outer ring, coordinates relative to its first vertex
  Vec3 sum;
  for (std::int64_t i = rings[0].begin + 1; i + 1 < rings[0].end; ++i) {
    const Vec3 a = at(i);
    const Vec3 b = at(i + 1);
    const Vec3 c = cross(Vec3{a.x - poly.p0.x, a.y - poly.p0.y, a.z - poly.p0.z},
                         Vec3{b.x - poly.p0.x, b.y - poly.p0.y, b.z - poly.p0.z});
    sum = Vec3{sum.x + c.x, sum.y + c.y, sum.z + c.z};
  }
  poly.n = normalized(sum);

  // in-plane basis: u horizontal along the plane (x for a horizontal face), v = n x u
  const double horizontal = std::hypot(poly.n.x, poly.n.y);
  poly.u = horizontal < 1e-9 ? Vec3{1.0, 0.0, 0.0} : normalized(Vec3{-poly.n.y, poly.n.x, 0.0});
  poly.v = cross(poly.n, poly.u);

  // every ring in plane coordinates
  poly.ring_begin.push_back(0);
  for (const Ring& ring : rings) {
    for (std::int64_t i = ring.begin; i < ring.end; ++i) {
      const Vec3 p = at(i);
      const Vec3 d{p.x - poly.p0.x, p.y - poly.p0.y, p.z - poly.p0.z};
      poly.pu.push_back(dot(d, poly.u));
      poly.pv.push_back(dot(d, poly.v));
    }
    poly.ring_begin.push_back(poly.pu.size());
  }
  return poly;
}

// even-odd rule over all rings, so holes are outside
bool inside(const PlanarPolygon& poly, double u, double v) {
  bool in = false;
  for (std::size_t r = 0; r + 1 < poly.ring_begin.size(); ++r) {
    const std::size_t begin = poly.ring_begin[r];
    const std::size_t end = poly.ring_begin[r + 1];
    for (std::size_t i = begin, j = end - 1; i < end; j = i++) {
      const bool crosses = (poly.pv[i] > v) != (poly.pv[j] > v);
      if (crosses && u < (poly.pu[j] - poly.pu[i]) * (v - poly.pv[i]) / (poly.pv[j] - poly.pv[i]) +
                             poly.pu[i]) {
        in = !in;
      }
    }
  }
  return in;
}

// area centroid of the outer ring minus its holes (vertex mean when degenerate)
void centroid(const PlanarPolygon& poly, double& cu, double& cv) {
  double area_sum = 0.0;
  double moment_u = 0.0;
  double moment_v = 0.0;
  double mean_u = 0.0;
  double mean_v = 0.0;
  for (std::size_t r = 0; r + 1 < poly.ring_begin.size(); ++r) {
    const std::size_t begin = poly.ring_begin[r];
    const std::size_t end = poly.ring_begin[r + 1];
    double a = 0.0;
    double mu = 0.0;
    double mv = 0.0;
    for (std::size_t i = begin, j = end - 1; i < end; j = i++) {
      const double c = poly.pu[j] * poly.pv[i] - poly.pu[i] * poly.pv[j];
      a += c;
      mu += (poly.pu[j] + poly.pu[i]) * c;
      mv += (poly.pv[j] + poly.pv[i]) * c;
      if (r == 0) {
        mean_u += poly.pu[i];
        mean_v += poly.pv[i];
      }
    }
    // the outer ring adds, holes subtract, whatever their orientation
    const double sign = (r == 0) == (a > 0.0) ? 1.0 : -1.0;
    area_sum += sign * 0.5 * a;
    moment_u += sign * mu / 6.0;
    moment_v += sign * mv / 6.0;
  }
  const auto n_outer = static_cast<double>(poly.ring_begin[1]);
  if (std::abs(area_sum) > 1e-12) {
    cu = moment_u / area_sum;
    cv = moment_v / area_sum;
  } else {
    cu = mean_u / n_outer;
    cv = mean_v / n_outer;
  }
}

// grid positions along one axis: cell centres of step spacing, centred on [lo, hi]
std::vector<double> grid_axis(double lo, double hi, double spacing_m) {
  const double width = hi - lo;
  const auto n = static_cast<std::int64_t>(std::max(1.0, std::ceil(width / spacing_m - 1e-9)));
  const double first = lo + 0.5 * (width - static_cast<double>(n - 1) * spacing_m);
  std::vector<double> out(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    out[static_cast<std::size_t>(i)] = first + static_cast<double>(i) * spacing_m;
  }
  return out;
}

}  // namespace

RoofSamples sample_roofs(const sim::City& city, double origin_x_m, double origin_y_m,
                         double origin_z_m, const RoofSampleOptions& options) {
  if (!(options.spacing_m > 0.0)) {
    throw std::invalid_argument("sample_roofs: spacing_m must be > 0 (got " +
                                std::to_string(options.spacing_m) + ")");
  }
  if (!(options.normal_offset_m >= 0.0)) {
    throw std::invalid_argument("sample_roofs: normal_offset_m must be >= 0 (got " +
                                std::to_string(options.normal_offset_m) + ")");
  }
  const sim::Surfaces& surfaces = city.surfaces;
  RoofSamples out;
  std::vector<double> us;
  std::vector<double> vs;
  for (std::int64_t s = 0; s < surfaces.size(); ++s) {
    const auto si = static_cast<std::size_t>(s);
    if (surfaces.type[si] != sim::SurfaceType::kRoof) continue;
    const PlanarPolygon poly = to_plane(surfaces, s);

    // grid points of the bounding box that fall inside the polygon
    double u_lo = poly.pu[0];
    double u_hi = poly.pu[0];
    double v_lo = poly.pv[0];
    double v_hi = poly.pv[0];
    for (std::size_t i = 0; i < poly.pu.size(); ++i) {
      u_lo = std::min(u_lo, poly.pu[i]);
      u_hi = std::max(u_hi, poly.pu[i]);
      v_lo = std::min(v_lo, poly.pv[i]);
      v_hi = std::max(v_hi, poly.pv[i]);
    }
    us.clear();
    vs.clear();
    for (const double v : grid_axis(v_lo, v_hi, options.spacing_m)) {
      for (const double u : grid_axis(u_lo, u_hi, options.spacing_m)) {
        if (!inside(poly, u, v)) continue;
        us.push_back(u);
        vs.push_back(v);
      }
    }

    // a face the grid misses gets its centroid
    if (us.empty()) {
      double cu = 0.0;
      double cv = 0.0;
      centroid(poly, cu, cv);
      us.push_back(cu);
      vs.push_back(cv);
    }

    // the face and its lifted samples, relative to the origin
    const auto face_idx = static_cast<std::int32_t>(out.face_surface_idx.size());
    out.face_surface_idx.push_back(static_cast<std::int32_t>(s));
    out.face_area_m2.push_back(surfaces.area_m2[si]);
    out.face_tilt_deg.push_back(surfaces.tilt_deg[si]);
    out.face_azimuth_deg.push_back(surfaces.azimuth_deg[si]);
    out.face_normal_x.push_back(poly.n.x);
    out.face_normal_y.push_back(poly.n.y);
    out.face_normal_z.push_back(poly.n.z);
    const double sample_area_m2 = surfaces.area_m2[si] / static_cast<double>(us.size());
    const double lift_m = options.normal_offset_m;
    for (std::size_t i = 0; i < us.size(); ++i) {
      out.sample_face_idx.push_back(face_idx);
      out.x_m.push_back(poly.p0.x + us[i] * poly.u.x + vs[i] * poly.v.x + lift_m * poly.n.x -
                        origin_x_m);
      out.y_m.push_back(poly.p0.y + us[i] * poly.u.y + vs[i] * poly.v.y + lift_m * poly.n.y -
                        origin_y_m);
      out.z_m.push_back(poly.p0.z + us[i] * poly.u.z + vs[i] * poly.v.z + lift_m * poly.n.z -
                        origin_z_m);
      out.area_m2.push_back(sample_area_m2);
    }
    out.sample_begin.push_back(static_cast<std::int64_t>(out.sample_face_idx.size()));
  }
  return out;
}

}  // namespace citytwin::solar
