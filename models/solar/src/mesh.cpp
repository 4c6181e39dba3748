#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <limits>
#include <string>
#include <vector>

#include <CGAL/Constrained_Delaunay_triangulation_2.h>
#include <CGAL/Constrained_triangulation_face_base_2.h>
#include <CGAL/Exact_predicates_inexact_constructions_kernel.h>
#include <CGAL/Triangulation_data_structure_2.h>
#include <CGAL/Triangulation_face_base_with_info_2.h>
#include <CGAL/Triangulation_vertex_base_with_info_2.h>

#include <citytwin/sim/error.hpp>
#include <citytwin/solar/mesh.hpp>

// Triangulation of the city's surfaces: docs/models/solar.md#3d-city-mesh.
namespace citytwin::solar {

namespace {

/// Where a triangulation vertex comes from and where it went in the mesh.
struct VertexInfo {
  std::int64_t source = -1;  ///< index into the surface's points; -1 for a constraint crossing
  std::int64_t mesh = -1;    ///< index into the mesh vertices once emitted
};

/// Nesting of a face: 0 outside, 1 inside the outer ring, 2 inside a hole... (odd = inside).
struct FaceInfo {
  int nesting = -1;
};

using Kernel = CGAL::Exact_predicates_inexact_constructions_kernel;
using VertexBase = CGAL::Triangulation_vertex_base_with_info_2<VertexInfo, Kernel>;
using FaceInfoBase = CGAL::Triangulation_face_base_with_info_2<FaceInfo, Kernel>;
using FaceBase = CGAL::Constrained_triangulation_face_base_2<Kernel, FaceInfoBase>;
using Tds = CGAL::Triangulation_data_structure_2<VertexBase, FaceBase>;
using Cdt = CGAL::Constrained_Delaunay_triangulation_2<Kernel, Tds, CGAL::Exact_predicates_tag>;

/// A 3D vector in double precision.
struct Vec3 {
  double x = 0.0, y = 0.0, z = 0.0;
};

Vec3 cross(const Vec3& a, const Vec3& b) {
  return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x};
}
double dot(const Vec3& a, const Vec3& b) { return a.x * b.x + a.y * b.y + a.z * b.z; }
double norm(const Vec3& a) { return std::sqrt(dot(a, a)); }
Vec3 scaled(const Vec3& a, double f) { return {a.x * f, a.y * f, a.z * f}; }
Vec3 minus(const Vec3& a, const Vec3& b) { return {a.x - b.x, a.y - b.y, a.z - b.z}; }

// Newell normal (twice the vector area) of points [begin, end)
Vec3 newell(const std::vector<Vec3>& points, std::size_t begin, std::size_t end) {
  Vec3 n;
  const Vec3& ref = points[begin];
  for (std::size_t i = begin; i < end; ++i) {
    const Vec3 a = minus(points[i], ref);
    const Vec3 b = minus(points[i + 1 == end ? begin : i + 1], ref);
    const Vec3 c = cross(a, b);
    n = Vec3{n.x + c.x, n.y + c.y, n.z + c.z};
  }
  return n;
}

// nesting levels by flood fill from the infinite face, crossing one constraint per level
void mark_nesting(Cdt& cdt) {
  for (const Cdt::Face_handle f : cdt.all_face_handles()) f->info().nesting = -1;
  std::vector<Cdt::Edge> border;
  std::vector<Cdt::Face_handle> queue;
  const auto flood = [&](Cdt::Face_handle start, int level) {
    queue.assign(1, start);
    while (!queue.empty()) {
      const Cdt::Face_handle f = queue.back();
      queue.pop_back();
      if (f->info().nesting != -1) continue;
      f->info().nesting = level;
      for (int i = 0; i < 3; ++i) {
        const Cdt::Face_handle n = f->neighbor(i);
        if (n->info().nesting != -1) continue;
        if (cdt.is_constrained(Cdt::Edge(f, i))) {
          border.emplace_back(f, i);
        } else {
          queue.push_back(n);
        }
      }
    }
  };
  flood(cdt.infinite_face(), 0);
  for (std::size_t k = 0; k < border.size(); ++k) {
    const Cdt::Edge e = border[k];
    const Cdt::Face_handle n = e.first->neighbor(e.second);
    if (n->info().nesting == -1) flood(n, e.first->info().nesting + 1);
  }
}

/// Appends triangulated surfaces to a mesh.
class MeshBuilder {
 public:
  MeshBuilder(const sim::City& city, TriangleMesh& mesh) : city_(city), mesh_(mesh) {}

  void add_surface(std::size_t s) {
    const sim::Surfaces& sf = city_.surfaces;

    // the rings relative to the mesh origin
    points_.clear();
    ring_end_.clear();
    for (auto r = sf.ring_begin[s]; r < sf.ring_begin[s + 1]; ++r) {
      const auto v0 = static_cast<std::size_t>(sf.vertex_begin[static_cast<std::size_t>(r)]);
      const auto v1 = static_cast<std::size_t>(sf.vertex_begin[static_cast<std::size_t>(r) + 1]);
      for (std::size_t v = v0; v < v1; ++v) {
        points_.push_back(Vec3{sf.vertex_x_m[v] - mesh_.origin_x_m,
                               sf.vertex_y_m[v] - mesh_.origin_y_m,
                               sf.vertex_z_m[v] - mesh_.origin_z_m});
      }
      ring_end_.push_back(points_.size());
    }

    // the plane: outer ring's normal, a right-handed basis (u, v, n), mean offset along n
    const Vec3 n_outer = newell(points_, 0, ring_end_[0]);
    const double twice_outer_m2 = norm(n_outer);
    if (!(twice_outer_m2 > 0.0)) fail(s, "its outer ring has no area");
    const Vec3 n = scaled(n_outer, 1.0 / twice_outer_m2);
    const Vec3 axis =
        std::abs(n.x) <= std::abs(n.y) && std::abs(n.x) <= std::abs(n.z)
            ? Vec3{1.0, 0.0, 0.0}
            : (std::abs(n.y) <= std::abs(n.z) ? Vec3{0.0, 1.0, 0.0} : Vec3{0.0, 0.0, 1.0});
    const Vec3 u_raw = cross(axis, n);
    const Vec3 u = scaled(u_raw, 1.0 / norm(u_raw));
    const Vec3 v = cross(n, u);
    double offset = 0.0;
    for (std::size_t i = 0; i < ring_end_[0]; ++i) offset += dot(points_[i], n);
    offset /= static_cast<double>(ring_end_[0]);

    // polygon area (holes subtracted) to check the triangulation against
    double twice_area_m2 = twice_outer_m2;
    for (std::size_t h = 1; h < ring_end_.size(); ++h) {
      twice_area_m2 -= norm(newell(points_, ring_end_[h - 1], ring_end_[h]));
    }

    // constrained Delaunay triangulation in the plane, faces inside at odd nesting levels
    Cdt cdt;
    try {
      std::size_t begin = 0;
      for (const std::size_t end : ring_end_) {
        handles_.clear();
        for (std::size_t i = begin; i < end; ++i) {
          const Cdt::Vertex_handle h =
              cdt.insert(Cdt::Point(dot(points_[i], u), dot(points_[i], v)));
          if (h->info().source < 0) h->info().source = static_cast<std::int64_t>(i);
          handles_.push_back(h);
        }
        for (std::size_t i = 0; i < handles_.size(); ++i) {
          const Cdt::Vertex_handle a = handles_[i];
          const Cdt::Vertex_handle b = handles_[(i + 1) % handles_.size()];
          if (a != b) cdt.insert_constraint(a, b);
        }
        begin = end;
      }
      mark_nesting(cdt);
    } catch (const std::exception& e) {
      fail(s, std::string("CGAL failed: ") + e.what());
    }

    // triangles, counter-clockwise in (u, v) = counter-clockwise seen along the outward normal
    const std::size_t first_triangle = mesh_.triangle_surface_idx.size();
    const std::size_t first_vertex = mesh_.vertex_xyz_m.size();
    double twice_triangles_m2 = 0.0;
    for (const Cdt::Face_handle f : cdt.finite_face_handles()) {
      if (f->info().nesting % 2 != 1) continue;
      std::array<Vec3, 3> corner{};
      for (int k = 0; k < 3; ++k) {
        const Cdt::Vertex_handle h = f->vertex(k);
        corner[static_cast<std::size_t>(k)] = position(h, u, v, n, offset);
        mesh_.triangle_vertex.push_back(emit(h, corner[static_cast<std::size_t>(k)]));
      }
      twice_triangles_m2 += norm(cross(minus(corner[1], corner[0]), minus(corner[2], corner[0])));
      mesh_.triangle_surface_idx.push_back(static_cast<std::int32_t>(s));
    }

    // the triangles must cover the polygon: a crossing or overlapping ring changes the area
    const bool covered =
        mesh_.triangle_surface_idx.size() > first_triangle &&
        std::abs(twice_triangles_m2 - twice_area_m2) <= 1e-3 * twice_area_m2 + 1e-9;
    if (!covered) {
      mesh_.triangle_surface_idx.resize(first_triangle);
      mesh_.triangle_vertex.resize(3 * first_triangle);
      mesh_.vertex_xyz_m.resize(first_vertex);
      fail(s, "triangles cover " + std::to_string(0.5 * twice_triangles_m2) + " m2 of a " +
                  std::to_string(0.5 * twice_area_m2) +
                  " m2 polygon (self-intersecting or overlapping rings)");
    }
  }

 private:
  [[noreturn]] void fail(std::size_t s, const std::string& why) const {
    const auto b = static_cast<std::size_t>(city_.surfaces.building_idx[s]);
    const std::int64_t building_id = city_.buildings.building_id[b];
    throw InputError(InputIssue{city_.name, 0, 0, "surfaces[" + std::to_string(s) + "]",
                                "surface " + std::to_string(city_.surfaces.surface_id[s]) +
                                    " of building " + std::to_string(building_id) +
                                    " cannot be triangulated: " + why +
                                    "; repair or remove this polygon in the input file"});
  }

  // 3D position of a triangulation vertex: the original point, or lifted back onto the plane
  Vec3 position(Cdt::Vertex_handle h, const Vec3& u, const Vec3& v, const Vec3& n,
                double offset) const {
    if (h->info().source >= 0) return points_[static_cast<std::size_t>(h->info().source)];
    const double pu = h->point().x();
    const double pv = h->point().y();
    return Vec3{pu * u.x + pv * v.x + offset * n.x, pu * u.y + pv * v.y + offset * n.y,
                pu * u.z + pv * v.z + offset * n.z};
  }

  // mesh index of a vertex, emitting it on first use
  std::uint32_t emit(Cdt::Vertex_handle h, const Vec3& p) {
    if (h->info().mesh < 0) {
      h->info().mesh = static_cast<std::int64_t>(mesh_.vertex_xyz_m.size() / 3);
      mesh_.vertex_xyz_m.push_back(static_cast<float>(p.x));
      mesh_.vertex_xyz_m.push_back(static_cast<float>(p.y));
      mesh_.vertex_xyz_m.push_back(static_cast<float>(p.z));
    }
    return static_cast<std::uint32_t>(h->info().mesh);
  }

  const sim::City& city_;
  TriangleMesh& mesh_;
  std::vector<Vec3> points_;
  std::vector<std::size_t> ring_end_;
  std::vector<Cdt::Vertex_handle> handles_;
};

}  // namespace

TriangleMesh build_mesh(const sim::City& city, const MeshOptions& options) {
  const sim::Surfaces& s = city.surfaces;
  const sim::Terrain& t = city.terrain;
  const bool with_terrain = options.include_ground && t.nx >= 2 && t.ny >= 2;

  // origin: centre of the bounding box of every vertex that goes into the mesh
  double lo_x = std::numeric_limits<double>::infinity();
  double lo_y = lo_x;
  double lo_z = lo_x;
  double hi_x = -lo_x;
  double hi_y = -lo_x;
  double hi_z = -lo_x;
  for (std::size_t v = 0; v < s.vertex_x_m.size(); ++v) {
    lo_x = std::min(lo_x, s.vertex_x_m[v]);
    hi_x = std::max(hi_x, s.vertex_x_m[v]);
    lo_y = std::min(lo_y, s.vertex_y_m[v]);
    hi_y = std::max(hi_y, s.vertex_y_m[v]);
    lo_z = std::min(lo_z, s.vertex_z_m[v]);
    hi_z = std::max(hi_z, s.vertex_z_m[v]);
  }
  if (with_terrain) {
    lo_x = std::min(lo_x, t.origin_x_m);
    hi_x = std::max(hi_x, t.origin_x_m + t.cell_m * (t.nx - 1));
    lo_y = std::min(lo_y, t.origin_y_m);
    hi_y = std::max(hi_y, t.origin_y_m + t.cell_m * (t.ny - 1));
    const auto [e_lo, e_hi] = std::minmax_element(t.elevation_m.begin(), t.elevation_m.end());
    lo_z = std::min(lo_z, *e_lo);
    hi_z = std::max(hi_z, *e_hi);
  }
  TriangleMesh mesh;
  if (lo_x <= hi_x) {
    mesh.origin_x_m = 0.5 * (lo_x + hi_x);
    mesh.origin_y_m = 0.5 * (lo_y + hi_y);
    mesh.origin_z_m = 0.5 * (lo_z + hi_z);
  }

  // building surfaces
  MeshBuilder builder(city, mesh);
  for (std::size_t k = 0; k < static_cast<std::size_t>(s.size()); ++k) {
    if (!options.include_walls && s.type[k] == sim::SurfaceType::kWall) continue;
    builder.add_surface(k);
  }

  // terrain grid: two triangles per cell, counter-clockwise from above
  if (with_terrain) {
    const auto first = static_cast<std::uint32_t>(mesh.vertex_xyz_m.size() / 3);
    for (std::int32_t j = 0; j < t.ny; ++j) {
      for (std::int32_t i = 0; i < t.nx; ++i) {
        const std::size_t g = static_cast<std::size_t>(j) * static_cast<std::size_t>(t.nx) +
                              static_cast<std::size_t>(i);
        mesh.vertex_xyz_m.push_back(
            static_cast<float>(t.origin_x_m + t.cell_m * i - mesh.origin_x_m));
        mesh.vertex_xyz_m.push_back(
            static_cast<float>(t.origin_y_m + t.cell_m * j - mesh.origin_y_m));
        mesh.vertex_xyz_m.push_back(static_cast<float>(t.elevation_m[g] - mesh.origin_z_m));
      }
    }
    const auto at = [&](std::int32_t i, std::int32_t j) {
      return first + static_cast<std::uint32_t>(j * t.nx + i);
    };
    for (std::int32_t j = 0; j + 1 < t.ny; ++j) {
      for (std::int32_t i = 0; i + 1 < t.nx; ++i) {
        for (const std::uint32_t idx :
             {at(i, j), at(i + 1, j), at(i + 1, j + 1), at(i, j), at(i + 1, j + 1), at(i, j + 1)}) {
          mesh.triangle_vertex.push_back(idx);
        }
        mesh.triangle_surface_idx.push_back(-1);
        mesh.triangle_surface_idx.push_back(-1);
      }
    }
  }
  return mesh;
}

}  // namespace citytwin::solar
