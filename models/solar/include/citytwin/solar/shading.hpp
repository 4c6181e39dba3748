#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <vector>

#include <citytwin/solar/mesh.hpp>
#include <citytwin/solar/roof_samples.hpp>

namespace citytwin::solar {

/// How RayScene hands rays to Embree (all give the same answers; speeds differ, see
/// docs/models/solar.md#shading).
enum class RayQuery : std::uint8_t {
  kSingle = 0,    ///< rtcOccluded1, one ray at a time
  kPacket8 = 1,   ///< rtcOccluded8, packets of 8 rays
  kPacket16 = 2,  ///< rtcOccluded16, packets of 16 rays
  kStream = 3,    ///< rtcOccluded1M, a stream of coherent rays
};

/// Options of the ray-casting scene.
struct RaySceneOptions {
  bool high_quality_build = true;        ///< RTC_BUILD_QUALITY_HIGH, else MEDIUM
  RayQuery query = RayQuery::kPacket16;  ///< batch form used by visible_along()
};

/// An Embree scene (robust, watertight triangles) built from a TriangleMesh, for occlusion
/// queries in the mesh's frame (coordinates relative to the mesh origin, metres). The Embree
/// objects stay behind a pimpl. Const member functions are thread-safe.
class RayScene {
 public:
  /// Builds the scene. Throws std::runtime_error naming the Embree error code when Embree
  /// fails, std::invalid_argument when a triangle names a vertex out of range.
  explicit RayScene(const TriangleMesh& mesh, const RaySceneOptions& options = {});
  ~RayScene();
  RayScene(RayScene&& other) noexcept;
  RayScene& operator=(RayScene&& other) noexcept;
  RayScene(const RayScene&) = delete;
  RayScene& operator=(const RayScene&) = delete;

  /// True when the ray from (x, y, z) [m] along the unit direction (dx, dy, dz) hits nothing.
  [[nodiscard]] bool is_visible(float x_m, float y_m, float z_m, float dx, float dy,
                                float dz) const;

  /// Casts n rays from the origins (x_m[i], y_m[i], z_m[i]) along one unit direction and
  /// writes visible[i] = 1 when ray i hits nothing, else 0. All spans have length n (throws
  /// std::invalid_argument otherwise). Runs on the calling thread.
  void visible_along(std::span<const float> x_m, std::span<const float> y_m,
                     std::span<const float> z_m, float dx, float dy, float dz,
                     std::span<std::uint8_t> visible) const;

  /// The batch form in use.
  [[nodiscard]] RayQuery query() const;
  /// Switches the batch form (benchmarks). Not thread-safe.
  void set_query(RayQuery query);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Number of Tregenza (1987) sky patches.
inline constexpr int kTregenzaPatches = 145;

/// The 145 Tregenza sky patches as columns: 7 bands of 12 deg of elevation with 30, 30, 24,
/// 24, 18, 12 and 6 patches, and a zenith cap (84..90 deg) of 1 patch; patch j of a band is
/// centred at azimuth j * 360 / n (east of north). Solid angles add up to 2 pi.
struct SkyPatches {
  std::vector<std::int32_t> band;         ///< 0 (horizon) .. 7 (zenith cap)
  std::vector<double> elevation_deg;      ///< [deg] centre elevation (90 for the cap)
  std::vector<double> azimuth_deg;        ///< [deg] centre azimuth, east of north
  std::vector<double> elevation_lo_deg;   ///< [deg] lower edge
  std::vector<double> elevation_hi_deg;   ///< [deg] upper edge
  std::vector<double> azimuth_width_deg;  ///< [deg] width (360 for the cap)
  std::vector<double> solid_angle_sr;     ///< [sr] (sin hi - sin lo) * width in radians
};

/// The Tregenza patches (docs/models/solar.md#tregenza-sky-patches). Pure.
[[nodiscard]] SkyPatches tregenza_patches();

/// Options of the shading computation.
struct ShadingOptions {
  double elevation_step_deg = 2.0;  ///< [deg] sun-grid step, rounded so that it divides 90
  double azimuth_step_deg = 3.0;    ///< [deg] sun-grid step, rounded so that it divides 360
  /// [deg] latitude of the city: only sun-grid nodes within the sun's declination band
  /// (+-23.45 deg plus one grid diagonal) are computed. NaN computes every node.
  double latitude_deg = std::numeric_limits<double>::quiet_NaN();
  std::int32_t patch_subdivision = 2;  ///< m: m x m rays per sky patch and sample, >= 1
};

/// Shading of every roof face by the 3D neighbourhood (docs/models/solar.md#shading).
/// Sun grid: node (i, j) is the direction at elevation i * elevation_step_deg (i = 0 ..
/// n_elevation_nodes - 1, the last row at 90 deg) and azimuth j * azimuth_step_deg. Tables
/// are column-major: entry [column * n_faces + face_idx].
struct ShadingTables {
  std::int64_t n_faces = 0;               ///< roof faces (RoofSamples faces)
  std::int32_t n_elevation_nodes = 0;     ///< rows of the sun grid
  std::int32_t n_azimuth_nodes = 0;       ///< columns of the sun grid (periodic)
  double elevation_step_deg = 0.0;        ///< [deg] actual step
  double azimuth_step_deg = 0.0;          ///< [deg] actual step
  std::vector<std::int32_t> node_column;  ///< n_elevation_nodes * n_azimuth_nodes, -1 = skipped
  std::int32_t n_columns = 0;             ///< computed sun nodes
  /// n_columns * n_faces: area-weighted beam visibility of the face toward the node,
  /// round(255 * visible samples / samples); 0 when the node lies behind the face.
  std::vector<std::uint8_t> sun_visibility;
  /// 145 * n_faces: fraction of the rays toward the patch that hit nothing (0 for a patch
  /// wholly behind the face).
  std::vector<float> patch_visibility_frac;
  std::vector<double> svf;                      ///< [0..1] isotropic sky vs unshaded same plane
  std::vector<double> sky_view_factor_deg0;     ///< [0..1] isotropic sky vs unshaded horizontal
  std::vector<double> horizon_visibility_frac;  ///< [0..1] projected view of the lowest band
  std::vector<double> ground_view_frac;         ///< [0..1] view factor to everything not sky
  std::vector<double> ground_factor;            ///< [1] ground_view / ((1 - cos tilt) / 2)
  std::int64_t n_sun_rays = 0;                  ///< rays cast for the sun grid
  std::int64_t n_sky_rays = 0;                  ///< rays cast for the sky patches

  /// Bytes held by the tables above.
  [[nodiscard]] std::size_t table_bytes() const;
};

/// Computes the shading tables of every roof face: the sun grid (rays toward every computed
/// node from every sample in front of the face, parallel over nodes) and the sky patches
/// (m x m rays per patch per sample, parallel over faces). Results do not depend on the
/// thread count (integer counts per face). Throws std::invalid_argument for non-positive
/// steps or subdivision.
[[nodiscard]] ShadingTables compute_shading(const RayScene& scene, const RoofSamples& samples,
                                            const ShadingOptions& options = {});

/// Beam visibility [0..1] of face `face_idx` for the sun at (elevation, azimuth) [deg],
/// bilinear between the four surrounding sun-grid nodes; 0 below the horizon. Throws
/// std::invalid_argument when a surrounding node was skipped (sun outside the latitude band).
[[nodiscard]] double interpolate_sun_visibility(const ShadingTables& tables, std::int64_t face_idx,
                                                double sun_elevation_deg, double sun_azimuth_deg);

/// Unshaded plane-of-array components of each roof face for one hour (each n_faces long).
struct ShadingInputSpans {
  std::span<const double> poa_direct_wm2;          ///< [W/m^2] beam in the plane
  std::span<const double> sky_circumsolar_wm2;     ///< [W/m^2] circumsolar part
  std::span<const double> sky_isotropic_wm2;       ///< [W/m^2] isotropic part
  std::span<const double> sky_horizon_wm2;         ///< [W/m^2] horizon band (may be < 0)
  std::span<const double> poa_ground_diffuse_wm2;  ///< [W/m^2] ground-reflected
};

/// Shaded plane-of-array components of each roof face (each n_faces long).
struct ShadingOutputSpans {
  std::span<double> poa_global_wm2;          ///< [W/m^2] sum of the five below
  std::span<double> poa_direct_wm2;          ///< [W/m^2] beam x sun visibility
  std::span<double> sky_circumsolar_wm2;     ///< [W/m^2] circumsolar x sun visibility
  std::span<double> sky_isotropic_wm2;       ///< [W/m^2] isotropic x svf
  std::span<double> sky_horizon_wm2;         ///< [W/m^2] horizon x horizon visibility
  std::span<double> poa_ground_diffuse_wm2;  ///< [W/m^2] ground-reflected x ground factor
};

/// Shades one hour: each component of face f times its factor (sun visibility interpolated at
/// the sun position, svf, horizon visibility, ground factor). Throws std::invalid_argument when
/// a span is not n_faces long or the sun lies outside the computed band. OpenMP static loop
/// over faces; thread-safe when the outputs do not alias.
void apply_shading(const ShadingTables& tables, double sun_elevation_deg, double sun_azimuth_deg,
                   const ShadingInputSpans& in, const ShadingOutputSpans& out);

/// Exact mode: beam visibility of each face for the sun at (elevation, azimuth) [deg], one ray
/// per sample toward the sun (0 for a sun below the horizon or behind the face).
/// `visibility_frac` has n_faces entries (throws std::invalid_argument otherwise). OpenMP
/// static loop over samples; results do not depend on the thread count.
void exact_sun_visibility(const RayScene& scene, const RoofSamples& samples,
                          double sun_elevation_deg, double sun_azimuth_deg,
                          std::span<double> visibility_frac);

/// Annual irradiation of each face with binned and with exact sun visibility, and their
/// relative difference.
struct BinningError {
  std::vector<double> binned_kwh_m2;   ///< [kWh/m^2] per face, sun grid interpolated
  std::vector<double> exact_kwh_m2;    ///< [kWh/m^2] per face, one ray per sample and hour
  std::vector<double> rel_error_frac;  ///< [1] |binned - exact| / exact (0 where exact is 0)
  double max_rel_error_frac = 0.0;     ///< [1] over faces
  double mean_rel_error_frac = 0.0;    ///< [1] over faces with exact > 0
};

/// Compares binned and exact sun visibility over a series of hours: per face,
/// E = sum over hours of dt_h (dni max(cos aoi, 0) visibility + dhi sky_view_factor_deg0)
/// / 1000. All spans have one entry per hour (throws std::invalid_argument otherwise); hours
/// with the sun at or below the horizon add nothing. Deterministic; not parallel over hours.
[[nodiscard]] BinningError binning_error(const RayScene& scene, const RoofSamples& samples,
                                         const ShadingTables& tables,
                                         std::span<const double> sun_elevation_deg,
                                         std::span<const double> sun_azimuth_deg,
                                         std::span<const double> dni_wm2,
                                         std::span<const double> dhi_wm2, double dt_h = 1.0);

}  // namespace citytwin::solar
