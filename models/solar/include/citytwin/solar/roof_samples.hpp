#pragma once

#include <cstdint>
#include <vector>

#include <citytwin/sim/city.hpp>

namespace citytwin::solar {

/// Options of the roof sampling (docs/models/solar.md#roof-samples).
struct RoofSampleOptions {
  double spacing_m = 1.0;         ///< [m] grid step in the roof plane, > 0
  double normal_offset_m = 0.05;  ///< [m] lift of every point along the outward normal, >= 0
};

/// Sample points on every roof surface of a city, as columns. Faces are the roof surfaces in
/// surface order (dense face_idx); the samples of face f are [sample_begin[f],
/// sample_begin[f+1]). Positions are relative to the origin passed to sample_roofs() (use the
/// TriangleMesh origin so that rays start in the mesh's frame). Immutable once built.
struct RoofSamples {
  // faces (n_faces)
  std::vector<std::int32_t> face_surface_idx;  ///< city surface of each face
  std::vector<double> face_area_m2;            ///< [m2] true (sloped) area of the face
  std::vector<double> face_tilt_deg;           ///< [deg] 0 = facing up, 90 = vertical
  std::vector<double> face_azimuth_deg;        ///< [deg] outward normal, east of north
  std::vector<double> face_normal_x;           ///< [1] unit outward normal, east component
  std::vector<double> face_normal_y;           ///< [1] unit outward normal, north component
  std::vector<double> face_normal_z;           ///< [1] unit outward normal, up component
  std::vector<std::int64_t> sample_begin{0};   ///< n_faces + 1 offsets into the sample columns
  // samples (n_samples)
  std::vector<std::int32_t> sample_face_idx;  ///< face the sample lies on
  std::vector<double> x_m;                    ///< [m] x relative to the origin, lifted
  std::vector<double> y_m;                    ///< [m] y relative to the origin, lifted
  std::vector<double> z_m;                    ///< [m] z relative to the origin, lifted
  std::vector<double> area_m2;                ///< [m2] face area / samples of the face

  [[nodiscard]] std::int64_t n_faces() const {
    return static_cast<std::int64_t>(face_surface_idx.size());
  }
  [[nodiscard]] std::int64_t n_samples() const {
    return static_cast<std::int64_t>(sample_face_idx.size());
  }
};

/// Samples every roof surface of `city` on a regular grid of step `options.spacing_m` in the
/// surface's plane, clipped to the polygon (outer ring minus holes, even-odd rule). A face whose
/// grid misses it (tiny or thin) gets one point at its area centroid. Each point is lifted by
/// `options.normal_offset_m` along the outward normal (against self-hits) and expressed
/// relative to (origin_x_m, origin_y_m, origin_z_m). Throws std::invalid_argument for a
/// non-positive spacing or a negative offset. Pure; deterministic; not parallel.
[[nodiscard]] RoofSamples sample_roofs(const sim::City& city, double origin_x_m, double origin_y_m,
                                       double origin_z_m, const RoofSampleOptions& options = {});

}  // namespace citytwin::solar
