#pragma once

#include <cstdint>
#include <vector>

#include <citytwin/sim/city.hpp>

namespace citytwin::solar {

/// Options of the city mesh.
struct MeshOptions {
  bool include_walls = true;    ///< walls cast shadows; keep them unless testing
  bool include_ground = false;  ///< add the terrain grid as triangles (surface index -1)
};

/// The whole city as a triangle mesh for ray casting. Vertices are float32 relative to `origin_*`
/// (the centre of the city's bounding box) so that float precision stays at millimetres across a
/// region. Each triangle remembers the city surface it comes from (-1 for terrain).
/// Immutable once built; safe to read from many threads.
struct TriangleMesh {
  double origin_x_m = 0.0;  ///< [m] projected x subtracted from every vertex
  double origin_y_m = 0.0;  ///< [m] projected y subtracted from every vertex
  double origin_z_m = 0.0;  ///< [m] elevation subtracted from every vertex
  std::vector<float> vertex_xyz_m;                 ///< [m] 3 per vertex, relative to origin
  std::vector<std::uint32_t> triangle_vertex;      ///< 3 vertex indices per triangle, CCW from outside
  std::vector<std::int32_t> triangle_surface_idx;  ///< owning surface (city.surfaces), -1 terrain

  [[nodiscard]] std::int64_t n_vertices() const { return static_cast<std::int64_t>(vertex_xyz_m.size() / 3); }
  [[nodiscard]] std::int64_t n_triangles() const { return static_cast<std::int64_t>(triangle_surface_idx.size()); }
};

/// Triangulates every surface of the city (polygons with holes, constrained Delaunay in the
/// surface's plane, CGAL) into one mesh. Throws citytwin::InputError naming the building id of a
/// surface that cannot be triangulated (degenerate or self-intersecting).
[[nodiscard]] TriangleMesh build_mesh(const sim::City& city, const MeshOptions& options = {});

}  // namespace citytwin::solar
