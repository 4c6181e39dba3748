#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <numbers>
#include <stdexcept>
#include <string>
#include <utility>

#include <embree3/rtcore.h>

#include <citytwin/solar/shading.hpp>

namespace citytwin::solar {
namespace {

constexpr double kRadPerDeg = std::numbers::pi / 180.0;
constexpr double kMaxDeclinationDeg = 23.45;  // [deg] the sun's declination band
constexpr float kInfinity = std::numeric_limits<float>::infinity();
constexpr std::int64_t kExactChunk = 256;  // samples per chunk of the exact mode

// unit direction toward (elevation, azimuth): x east, y north, z up
struct Direction {
  double x = 0.0;
  double y = 0.0;
  double z = 1.0;
};

Direction direction(double elevation_deg, double azimuth_deg) {
  const double e = elevation_deg * kRadPerDeg;
  const double a = azimuth_deg * kRadPerDeg;
  return {std::sin(a) * std::cos(e), std::cos(a) * std::cos(e), std::sin(e)};
}

double facing(const RoofSamples& samples, std::int64_t face_idx, const Direction& d) {
  const auto f = static_cast<std::size_t>(face_idx);
  return samples.face_normal_x[f] * d.x + samples.face_normal_y[f] * d.y +
         samples.face_normal_z[f] * d.z;
}

void check_embree(RTCDevice device, const char* step) {
  const RTCError code = rtcGetDeviceError(device);
  if (code != RTC_ERROR_NONE) {
    throw std::runtime_error(std::string("RayScene: Embree failed in ") + step + " (RTCError " +
                             std::to_string(static_cast<int>(code)) + ")");
  }
}

// one batch of rays in packets of N lanes; unused lanes are masked off
template <typename Packet, int N, typename Occluded>
void occluded_packets(RTCScene scene, RTCIntersectContext* context, const float* x, const float* y,
                      const float* z, std::size_t n, float dx, float dy, float dz,
                      std::uint8_t* visible, Occluded occluded) {
  Packet ray;
  alignas(64) std::array<int, N> valid{};
  for (std::size_t i = 0; i < n; i += N) {
    const std::size_t m = std::min<std::size_t>(N, n - i);
    for (std::size_t k = 0; k < N; ++k) {
      const std::size_t src = k < m ? i + k : i;
      valid[k] = k < m ? -1 : 0;
      ray.org_x[k] = x[src];
      ray.org_y[k] = y[src];
      ray.org_z[k] = z[src];
      ray.tnear[k] = 0.0f;
      ray.dir_x[k] = dx;
      ray.dir_y[k] = dy;
      ray.dir_z[k] = dz;
      ray.time[k] = 0.0f;
      ray.tfar[k] = kInfinity;
      ray.mask[k] = 0xFFFFFFFFu;
      ray.id[k] = 0;
      ray.flags[k] = 0;
    }
    occluded(valid.data(), scene, context, &ray);
    for (std::size_t k = 0; k < m; ++k) visible[i + k] = ray.tfar[k] >= 0.0f ? 1 : 0;
  }
}

RTCRay make_ray(float x, float y, float z, float dx, float dy, float dz) {
  RTCRay ray{};
  ray.org_x = x;
  ray.org_y = y;
  ray.org_z = z;
  ray.tnear = 0.0f;
  ray.dir_x = dx;
  ray.dir_y = dy;
  ray.dir_z = dz;
  ray.time = 0.0f;
  ray.tfar = kInfinity;
  ray.mask = 0xFFFFFFFFu;
  ray.id = 0;
  ray.flags = 0;
  return ray;
}

// the sun grid's shape from the requested steps
struct SunGrid {
  std::int32_t n_elevation_nodes = 0;
  std::int32_t n_azimuth_nodes = 0;
  double elevation_step_deg = 0.0;
  double azimuth_step_deg = 0.0;
};

SunGrid make_sun_grid(const ShadingOptions& options) {
  if (!(options.elevation_step_deg > 0.0 && options.elevation_step_deg <= 45.0)) {
    throw std::invalid_argument("compute_shading: elevation_step_deg must be in (0, 45] (got " +
                                std::to_string(options.elevation_step_deg) + ")");
  }
  if (!(options.azimuth_step_deg > 0.0 && options.azimuth_step_deg <= 90.0)) {
    throw std::invalid_argument("compute_shading: azimuth_step_deg must be in (0, 90] (got " +
                                std::to_string(options.azimuth_step_deg) + ")");
  }
  SunGrid grid;
  const auto n_rows = std::max(2L, std::lround(90.0 / options.elevation_step_deg));
  const auto n_azimuths = std::max(4L, std::lround(360.0 / options.azimuth_step_deg));
  grid.n_elevation_nodes = static_cast<std::int32_t>(n_rows + 1);
  grid.n_azimuth_nodes = static_cast<std::int32_t>(n_azimuths);
  grid.elevation_step_deg = 90.0 / static_cast<double>(n_rows);
  grid.azimuth_step_deg = 360.0 / static_cast<double>(n_azimuths);
  return grid;
}

// the four sun-grid columns around a sun position and their bilinear weights
struct SunWeights {
  std::array<std::int64_t, 4> column{0, 0, 0, 0};
  std::array<double, 4> weight{0.0, 0.0, 0.0, 0.0};
};

SunWeights sun_weights(const ShadingTables& t, double sun_elevation_deg, double sun_azimuth_deg) {
  SunWeights w;
  if (!(sun_elevation_deg > 0.0)) return w;  // night (or NaN): no beam

  // cell and position inside it; the top row is clamped, azimuth is periodic
  const double fe = std::min(sun_elevation_deg, 90.0) / t.elevation_step_deg;
  const auto i0 = std::min(static_cast<std::int32_t>(fe), t.n_elevation_nodes - 2);
  const double te = fe - static_cast<double>(i0);
  double azimuth_deg = std::fmod(sun_azimuth_deg, 360.0);
  if (azimuth_deg < 0.0) azimuth_deg += 360.0;
  const double fa = azimuth_deg / t.azimuth_step_deg;
  const auto j0 = static_cast<std::int32_t>(fa) % t.n_azimuth_nodes;
  const double ta = fa - std::floor(fa);
  const std::int32_t j1 = (j0 + 1) % t.n_azimuth_nodes;

  // corners in (row, azimuth) order
  const std::array<std::pair<std::int32_t, std::int32_t>, 4> corner{
      std::pair{i0, j0}, std::pair{i0, j1}, std::pair{i0 + 1, j0}, std::pair{i0 + 1, j1}};
  const std::array<double, 4> weight{(1.0 - te) * (1.0 - ta), (1.0 - te) * ta, te * (1.0 - ta),
                                     te * ta};
  for (std::size_t k = 0; k < 4; ++k) {
    const auto node =
        static_cast<std::size_t>(corner[k].first) * static_cast<std::size_t>(t.n_azimuth_nodes) +
        static_cast<std::size_t>(corner[k].second);
    const std::int32_t column = t.node_column[node];
    if (column < 0) {
      throw std::invalid_argument(
          "sun at elevation " + std::to_string(sun_elevation_deg) + " deg, azimuth " +
          std::to_string(sun_azimuth_deg) +
          " deg lies outside the sun band computed for ShadingOptions::latitude_deg");
    }
    w.column[k] = column;
    w.weight[k] = weight[k];
  }
  return w;
}

double weighted_visibility(const ShadingTables& t, const SunWeights& w, std::int64_t face_idx) {
  double v = 0.0;
  for (std::size_t k = 0; k < 4; ++k) {
    const auto entry = static_cast<std::size_t>(w.column[k] * t.n_faces + face_idx);
    v += w.weight[k] * static_cast<double>(t.sun_visibility[entry]);
  }
  return v / 255.0;
}

// the rays of every sky patch: m x m sub-patches of equal solid angle (equal steps of
// sin(elevation) and of azimuth), one ray through the middle of each
struct SkyRays {
  std::vector<Direction> dir;  // 145 m^2, patch-major
  std::vector<double> solid_angle_sr;
};

SkyRays sky_rays(const SkyPatches& patches, std::int32_t m) {
  SkyRays rays;
  const auto md = static_cast<double>(m);
  for (std::size_t p = 0; p < patches.band.size(); ++p) {
    const double s_lo = std::sin(patches.elevation_lo_deg[p] * kRadPerDeg);
    const double s_hi = std::sin(patches.elevation_hi_deg[p] * kRadPerDeg);
    const double width_deg = patches.azimuth_width_deg[p];
    const double a_lo_deg = patches.azimuth_deg[p] - 0.5 * width_deg;
    for (std::int32_t a = 0; a < m; ++a) {
      const double s = s_lo + (static_cast<double>(a) + 0.5) * (s_hi - s_lo) / md;
      // a single ray for the zenith cap goes straight up
      const bool zenith = m == 1 && patches.band[p] == 7;
      const double elevation_deg = zenith ? 90.0 : std::asin(s) / kRadPerDeg;
      for (std::int32_t b = 0; b < m; ++b) {
        const double azimuth_deg = a_lo_deg + (static_cast<double>(b) + 0.5) * width_deg / md;
        rays.dir.push_back(direction(elevation_deg, azimuth_deg));
        rays.solid_angle_sr.push_back(patches.solid_angle_sr[p] / (md * md));
      }
    }
  }
  return rays;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// RayScene

struct RayScene::Impl {
  RTCDevice device = nullptr;
  RTCScene scene = nullptr;
  RayQuery query = RayQuery::kPacket16;

  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() {
    if (scene != nullptr) rtcReleaseScene(scene);
    if (device != nullptr) rtcReleaseDevice(device);
  }
};

RayScene::RayScene(const TriangleMesh& mesh, const RaySceneOptions& options)
    : impl_(std::make_unique<Impl>()) {
  // validate the mesh before Embree sees it
  const std::int64_t n_vertices = mesh.n_vertices();
  const std::int64_t n_triangles = mesh.n_triangles();
  if (mesh.vertex_xyz_m.size() != static_cast<std::size_t>(3 * n_vertices) ||
      mesh.triangle_vertex.size() != static_cast<std::size_t>(3 * n_triangles)) {
    throw std::invalid_argument("RayScene: mesh columns have inconsistent lengths (vertex_xyz_m " +
                                std::to_string(mesh.vertex_xyz_m.size()) + ", triangle_vertex " +
                                std::to_string(mesh.triangle_vertex.size()) + ", triangles " +
                                std::to_string(n_triangles) + ")");
  }
  for (const std::uint32_t v : mesh.triangle_vertex) {
    if (static_cast<std::int64_t>(v) >= n_vertices) {
      throw std::invalid_argument("RayScene: triangle_vertex names vertex " + std::to_string(v) +
                                  " of " + std::to_string(n_vertices));
    }
  }
  impl_->query = options.query;

  // device and robust scene
  impl_->device = rtcNewDevice(nullptr);
  if (impl_->device == nullptr) check_embree(nullptr, "rtcNewDevice");
  impl_->scene = rtcNewScene(impl_->device);
  check_embree(impl_->device, "rtcNewScene");
  const RTCBuildQuality quality =
      options.high_quality_build ? RTC_BUILD_QUALITY_HIGH : RTC_BUILD_QUALITY_MEDIUM;
  rtcSetSceneFlags(impl_->scene, RTC_SCENE_FLAG_ROBUST);
  rtcSetSceneBuildQuality(impl_->scene, quality);

  // one triangle geometry with Embree-owned (padded) copies of the buffers
  if (n_triangles > 0) {
    RTCGeometry geometry = rtcNewGeometry(impl_->device, RTC_GEOMETRY_TYPE_TRIANGLE);
    check_embree(impl_->device, "rtcNewGeometry");
    rtcSetGeometryBuildQuality(geometry, quality);
    auto* vertices = static_cast<float*>(
        rtcSetNewGeometryBuffer(geometry, RTC_BUFFER_TYPE_VERTEX, 0, RTC_FORMAT_FLOAT3,
                                3 * sizeof(float), static_cast<std::size_t>(n_vertices)));
    auto* indices = static_cast<std::uint32_t*>(
        rtcSetNewGeometryBuffer(geometry, RTC_BUFFER_TYPE_INDEX, 0, RTC_FORMAT_UINT3,
                                3 * sizeof(std::uint32_t), static_cast<std::size_t>(n_triangles)));
    if (vertices == nullptr || indices == nullptr) {
      rtcReleaseGeometry(geometry);
      check_embree(impl_->device, "rtcSetNewGeometryBuffer");
    }
    std::memcpy(vertices, mesh.vertex_xyz_m.data(), mesh.vertex_xyz_m.size() * sizeof(float));
    std::memcpy(indices, mesh.triangle_vertex.data(),
                mesh.triangle_vertex.size() * sizeof(std::uint32_t));
    rtcCommitGeometry(geometry);
    rtcAttachGeometry(impl_->scene, geometry);
    rtcReleaseGeometry(geometry);
    check_embree(impl_->device, "rtcCommitGeometry");
  }
  rtcCommitScene(impl_->scene);
  check_embree(impl_->device, "rtcCommitScene");
}

RayScene::~RayScene() = default;
RayScene::RayScene(RayScene&& other) noexcept = default;
RayScene& RayScene::operator=(RayScene&& other) noexcept = default;

RayQuery RayScene::query() const { return impl_->query; }
void RayScene::set_query(RayQuery query) { impl_->query = query; }

bool RayScene::is_visible(float x_m, float y_m, float z_m, float dx, float dy, float dz) const {
  RTCIntersectContext context;
  rtcInitIntersectContext(&context);
  RTCRay ray = make_ray(x_m, y_m, z_m, dx, dy, dz);
  rtcOccluded1(impl_->scene, &context, &ray);
  return ray.tfar >= 0.0f;
}

void RayScene::visible_along(std::span<const float> x_m, std::span<const float> y_m,
                             std::span<const float> z_m, float dx, float dy, float dz,
                             std::span<std::uint8_t> visible) const {
  const std::size_t n = x_m.size();
  if (y_m.size() != n || z_m.size() != n || visible.size() != n) {
    throw std::invalid_argument("RayScene::visible_along: lengths differ (x_m " +
                                std::to_string(n) + ", y_m " + std::to_string(y_m.size()) +
                                ", z_m " + std::to_string(z_m.size()) + ", visible " +
                                std::to_string(visible.size()) + ")");
  }
  // coherent rays: one direction, neighbouring origins
  RTCIntersectContext context;
  rtcInitIntersectContext(&context);
  context.flags = RTC_INTERSECT_CONTEXT_FLAG_COHERENT;
  RTCScene scene = impl_->scene;
  switch (impl_->query) {
    case RayQuery::kSingle:
      for (std::size_t i = 0; i < n; ++i) {
        RTCRay ray = make_ray(x_m[i], y_m[i], z_m[i], dx, dy, dz);
        rtcOccluded1(scene, &context, &ray);
        visible[i] = ray.tfar >= 0.0f ? 1 : 0;
      }
      break;
    case RayQuery::kPacket8:
      occluded_packets<RTCRay8, 8>(scene, &context, x_m.data(), y_m.data(), z_m.data(), n, dx, dy,
                                   dz, visible.data(), rtcOccluded8);
      break;
    case RayQuery::kPacket16:
      occluded_packets<RTCRay16, 16>(scene, &context, x_m.data(), y_m.data(), z_m.data(), n, dx, dy,
                                     dz, visible.data(), rtcOccluded16);
      break;
    case RayQuery::kStream: {
      constexpr std::size_t kStreamRays = 256;
      std::array<RTCRay, kStreamRays> rays;
      for (std::size_t i = 0; i < n; i += kStreamRays) {
        const std::size_t m = std::min(kStreamRays, n - i);
        for (std::size_t k = 0; k < m; ++k) {
          rays[k] = make_ray(x_m[i + k], y_m[i + k], z_m[i + k], dx, dy, dz);
        }
        rtcOccluded1M(scene, &context, rays.data(), static_cast<unsigned int>(m), sizeof(RTCRay));
        for (std::size_t k = 0; k < m; ++k) visible[i + k] = rays[k].tfar >= 0.0f ? 1 : 0;
      }
      break;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// sky patches

SkyPatches tregenza_patches() {
  constexpr std::array<std::int32_t, 8> kPatchesPerBand{30, 30, 24, 24, 18, 12, 6, 1};
  constexpr double kBandDeg = 12.0;
  SkyPatches p;
  for (std::int32_t band = 0; band < 8; ++band) {
    const std::int32_t n = kPatchesPerBand[static_cast<std::size_t>(band)];
    const double lo_deg = kBandDeg * band;
    const double hi_deg = band < 7 ? lo_deg + kBandDeg : 90.0;
    const double width_deg = 360.0 / n;
    const double solid_angle_sr =
        width_deg * kRadPerDeg * (std::sin(hi_deg * kRadPerDeg) - std::sin(lo_deg * kRadPerDeg));
    for (std::int32_t j = 0; j < n; ++j) {
      p.band.push_back(band);
      p.elevation_deg.push_back(band < 7 ? lo_deg + 0.5 * kBandDeg : 90.0);
      p.azimuth_deg.push_back(width_deg * j);
      p.elevation_lo_deg.push_back(lo_deg);
      p.elevation_hi_deg.push_back(hi_deg);
      p.azimuth_width_deg.push_back(width_deg);
      p.solid_angle_sr.push_back(solid_angle_sr);
    }
  }
  return p;
}

// ---------------------------------------------------------------------------------------------
// tables

std::size_t ShadingTables::table_bytes() const {
  return node_column.size() * sizeof(std::int32_t) + sun_visibility.size() +
         patch_visibility_frac.size() * sizeof(float) +
         (svf.size() + sky_view_factor_deg0.size() + horizon_visibility_frac.size() +
          ground_view_frac.size() + ground_factor.size()) *
             sizeof(double);
}

ShadingTables compute_shading(const RayScene& scene, const RoofSamples& samples,
                              const ShadingOptions& options) {
  if (options.patch_subdivision < 1) {
    throw std::invalid_argument("compute_shading: patch_subdivision must be >= 1 (got " +
                                std::to_string(options.patch_subdivision) + ")");
  }
  const SunGrid grid = make_sun_grid(options);
  ShadingTables t;
  t.n_faces = samples.n_faces();
  t.n_elevation_nodes = grid.n_elevation_nodes;
  t.n_azimuth_nodes = grid.n_azimuth_nodes;
  t.elevation_step_deg = grid.elevation_step_deg;
  t.azimuth_step_deg = grid.azimuth_step_deg;
  const std::int64_t n_faces = t.n_faces;
  const std::int64_t n_samples = samples.n_samples();

  // nodes the sun can reach at this latitude (declination band plus one grid diagonal)
  const double margin_deg = std::hypot(grid.elevation_step_deg, grid.azimuth_step_deg) + 0.5;
  const bool all_nodes = std::isnan(options.latitude_deg);
  const double phi = options.latitude_deg * kRadPerDeg;
  std::vector<Direction> column_dir;
  t.node_column.assign(static_cast<std::size_t>(grid.n_elevation_nodes) *
                           static_cast<std::size_t>(grid.n_azimuth_nodes),
                       -1);
  for (std::int32_t i = 0; i < grid.n_elevation_nodes; ++i) {
    for (std::int32_t j = 0; j < grid.n_azimuth_nodes; ++j) {
      const double e = grid.elevation_step_deg * i * kRadPerDeg;
      const double a = grid.azimuth_step_deg * j * kRadPerDeg;
      const double sin_declination =
          std::sin(phi) * std::sin(e) + std::cos(phi) * std::cos(e) * std::cos(a);
      const double declination_deg = std::asin(std::clamp(sin_declination, -1.0, 1.0)) / kRadPerDeg;
      if (!all_nodes && std::abs(declination_deg) > kMaxDeclinationDeg + margin_deg) continue;
      t.node_column[static_cast<std::size_t>(i * grid.n_azimuth_nodes + j)] = t.n_columns++;
      column_dir.push_back(direction(grid.elevation_step_deg * i, grid.azimuth_step_deg * j));
    }
  }

  // ray origins in float, the mesh's precision
  std::vector<float> sx(static_cast<std::size_t>(n_samples));
  std::vector<float> sy(sx.size());
  std::vector<float> sz(sx.size());
  for (std::size_t k = 0; k < sx.size(); ++k) {
    sx[k] = static_cast<float>(samples.x_m[k]);
    sy[k] = static_cast<float>(samples.y_m[k]);
    sz[k] = static_cast<float>(samples.z_m[k]);
  }
  const auto begin_of = [&](std::int64_t f) {
    return samples.sample_begin[static_cast<std::size_t>(f)];
  };
  std::int64_t max_face_samples = 0;
  for (std::int64_t f = 0; f < n_faces; ++f) {
    max_face_samples = std::max(max_face_samples, begin_of(f + 1) - begin_of(f));
  }

  // sun grid: per node, rays from every sample of the faces in front of it
  t.sun_visibility.assign(static_cast<std::size_t>(t.n_columns * n_faces), 0);
  std::vector<std::int64_t> column_rays(static_cast<std::size_t>(t.n_columns), 0);
#pragma omp parallel
  {
    std::vector<float> bx;
    std::vector<float> by;
    std::vector<float> bz;
    std::vector<std::uint8_t> visible(static_cast<std::size_t>(n_samples));
    std::vector<std::int64_t> front;
    bx.reserve(static_cast<std::size_t>(n_samples));
    by.reserve(static_cast<std::size_t>(n_samples));
    bz.reserve(static_cast<std::size_t>(n_samples));
    front.reserve(static_cast<std::size_t>(n_faces));
#pragma omp for schedule(static)
    for (std::int64_t c = 0; c < t.n_columns; ++c) {
      const Direction& d = column_dir[static_cast<std::size_t>(c)];
      // gather the samples of the faces that face the node
      bx.clear();
      by.clear();
      bz.clear();
      front.clear();
      for (std::int64_t f = 0; f < n_faces; ++f) {
        if (facing(samples, f, d) <= 0.0) continue;
        front.push_back(f);
        const auto b = static_cast<std::size_t>(begin_of(f));
        const auto e = static_cast<std::size_t>(begin_of(f + 1));
        bx.insert(bx.end(), sx.begin() + static_cast<std::ptrdiff_t>(b),
                  sx.begin() + static_cast<std::ptrdiff_t>(e));
        by.insert(by.end(), sy.begin() + static_cast<std::ptrdiff_t>(b),
                  sy.begin() + static_cast<std::ptrdiff_t>(e));
        bz.insert(bz.end(), sz.begin() + static_cast<std::ptrdiff_t>(b),
                  sz.begin() + static_cast<std::ptrdiff_t>(e));
      }
      const std::span<std::uint8_t> vis(visible.data(), bx.size());
      scene.visible_along(bx, by, bz, static_cast<float>(d.x), static_cast<float>(d.y),
                          static_cast<float>(d.z), vis);
      // visible fraction per face (samples have equal areas), rounded to 1/255
      std::size_t k = 0;
      for (const std::int64_t f : front) {
        const auto n = static_cast<std::size_t>(begin_of(f + 1) - begin_of(f));
        std::int64_t n_visible = 0;
        for (std::size_t s = 0; s < n; ++s) n_visible += vis[k + s];
        k += n;
        t.sun_visibility[static_cast<std::size_t>(c * n_faces + f)] = static_cast<std::uint8_t>(
            (255 * n_visible + static_cast<std::int64_t>(n) / 2) / static_cast<std::int64_t>(n));
      }
      column_rays[static_cast<std::size_t>(c)] = static_cast<std::int64_t>(bx.size());
    }
  }
  for (const std::int64_t r : column_rays) t.n_sun_rays += r;

  // sky patches: per face, m x m rays per patch from every sample, projection-weighted
  const SkyPatches patches = tregenza_patches();
  const SkyRays rays = sky_rays(patches, options.patch_subdivision);
  const auto rays_per_patch =
      static_cast<std::size_t>(options.patch_subdivision * options.patch_subdivision);
  const auto nf = static_cast<std::size_t>(n_faces);
  t.patch_visibility_frac.assign(static_cast<std::size_t>(kTregenzaPatches) * nf, 0.0f);
  t.svf.assign(nf, 1.0);
  t.sky_view_factor_deg0.assign(nf, 0.0);
  t.horizon_visibility_frac.assign(nf, 1.0);
  t.ground_view_frac.assign(nf, 0.0);
  t.ground_factor.assign(nf, 1.0);
  std::vector<std::int64_t> face_rays(nf, 0);
#pragma omp parallel
  {
    std::vector<std::uint8_t> visible(static_cast<std::size_t>(max_face_samples));
#pragma omp for schedule(static)
    for (std::int64_t f = 0; f < n_faces; ++f) {
      const auto b = static_cast<std::size_t>(begin_of(f));
      const auto n = static_cast<std::size_t>(begin_of(f + 1)) - b;
      const std::span<const float> fx(sx.data() + b, n);
      const std::span<const float> fy(sy.data() + b, n);
      const std::span<const float> fz(sz.data() + b, n);
      const std::span<std::uint8_t> vis(visible.data(), n);
      double projected_sr = 0.0;
      double projected_visible_sr = 0.0;
      double horizon_sr = 0.0;
      double horizon_visible_sr = 0.0;
      for (std::size_t p = 0; p < static_cast<std::size_t>(kTregenzaPatches); ++p) {
        std::int64_t n_cast = 0;
        std::int64_t n_visible = 0;
        for (std::size_t r = p * rays_per_patch; r < (p + 1) * rays_per_patch; ++r) {
          const Direction& d = rays.dir[r];
          const double cos_incidence = facing(samples, f, d);
          if (cos_incidence <= 0.0) continue;
          scene.visible_along(fx, fy, fz, static_cast<float>(d.x), static_cast<float>(d.y),
                              static_cast<float>(d.z), vis);
          std::int64_t ray_visible = 0;
          for (const std::uint8_t v : vis) ray_visible += v;
          n_cast += static_cast<std::int64_t>(n);
          n_visible += ray_visible;
          // cos-weighted solid angle, seen and total
          const double w_sr = cos_incidence * rays.solid_angle_sr[r];
          const double seen_sr = w_sr * static_cast<double>(ray_visible) / static_cast<double>(n);
          projected_sr += w_sr;
          projected_visible_sr += seen_sr;
          if (patches.band[p] == 0) {
            horizon_sr += w_sr;
            horizon_visible_sr += seen_sr;
          }
        }
        if (n_cast > 0) {
          t.patch_visibility_frac[p * nf + static_cast<std::size_t>(f)] =
              static_cast<float>(static_cast<double>(n_visible) / static_cast<double>(n_cast));
        }
        face_rays[static_cast<std::size_t>(f)] += n_cast;
      }

      // factors of the face (docs/models/solar.md#sky-view-factor)
      const auto fi = static_cast<std::size_t>(f);
      const double cos_tilt = samples.face_normal_z[fi];
      if (projected_sr > 0.0) t.svf[fi] = projected_visible_sr / projected_sr;
      if (horizon_sr > 0.0) t.horizon_visibility_frac[fi] = horizon_visible_sr / horizon_sr;
      t.sky_view_factor_deg0[fi] = t.svf[fi] * 0.5 * (1.0 + cos_tilt);
      t.ground_view_frac[fi] = 1.0 - t.sky_view_factor_deg0[fi];
      const double unshaded_ground = 0.5 * (1.0 - cos_tilt);
      if (unshaded_ground > 1e-9) t.ground_factor[fi] = t.ground_view_frac[fi] / unshaded_ground;
    }
  }
  for (const std::int64_t r : face_rays) t.n_sky_rays += r;
  return t;
}

double interpolate_sun_visibility(const ShadingTables& tables, std::int64_t face_idx,
                                  double sun_elevation_deg, double sun_azimuth_deg) {
  if (face_idx < 0 || face_idx >= tables.n_faces) {
    throw std::invalid_argument("interpolate_sun_visibility: face_idx " + std::to_string(face_idx) +
                                " out of [0, " + std::to_string(tables.n_faces) + ")");
  }
  const SunWeights w = sun_weights(tables, sun_elevation_deg, sun_azimuth_deg);
  return weighted_visibility(tables, w, face_idx);
}

void apply_shading(const ShadingTables& tables, double sun_elevation_deg, double sun_azimuth_deg,
                   const ShadingInputSpans& in, const ShadingOutputSpans& out) {
  // every span is n_faces long
  const auto n = static_cast<std::size_t>(tables.n_faces);
  const std::array<std::pair<const char*, std::size_t>, 11> lengths{
      std::pair{"in.poa_direct_wm2", in.poa_direct_wm2.size()},
      std::pair{"in.sky_circumsolar_wm2", in.sky_circumsolar_wm2.size()},
      std::pair{"in.sky_isotropic_wm2", in.sky_isotropic_wm2.size()},
      std::pair{"in.sky_horizon_wm2", in.sky_horizon_wm2.size()},
      std::pair{"in.poa_ground_diffuse_wm2", in.poa_ground_diffuse_wm2.size()},
      std::pair{"out.poa_global_wm2", out.poa_global_wm2.size()},
      std::pair{"out.poa_direct_wm2", out.poa_direct_wm2.size()},
      std::pair{"out.sky_circumsolar_wm2", out.sky_circumsolar_wm2.size()},
      std::pair{"out.sky_isotropic_wm2", out.sky_isotropic_wm2.size()},
      std::pair{"out.sky_horizon_wm2", out.sky_horizon_wm2.size()},
      std::pair{"out.poa_ground_diffuse_wm2", out.poa_ground_diffuse_wm2.size()}};
  for (const auto& [name, size] : lengths) {
    if (size != n) {
      throw std::invalid_argument(std::string("apply_shading: ") + name + " has length " +
                                  std::to_string(size) +
                                  ", expected n_faces = " + std::to_string(n));
    }
  }
  const SunWeights w = sun_weights(tables, sun_elevation_deg, sun_azimuth_deg);

  // each component times its factor
#pragma omp parallel for schedule(static)
  for (std::int64_t f = 0; f < tables.n_faces; ++f) {
    const auto i = static_cast<std::size_t>(f);
    const double sun_frac = weighted_visibility(tables, w, f);
    const double direct = in.poa_direct_wm2[i] * sun_frac;
    const double circumsolar = in.sky_circumsolar_wm2[i] * sun_frac;
    const double isotropic = in.sky_isotropic_wm2[i] * tables.svf[i];
    const double horizon = in.sky_horizon_wm2[i] * tables.horizon_visibility_frac[i];
    const double ground = in.poa_ground_diffuse_wm2[i] * tables.ground_factor[i];
    out.poa_direct_wm2[i] = direct;
    out.sky_circumsolar_wm2[i] = circumsolar;
    out.sky_isotropic_wm2[i] = isotropic;
    out.sky_horizon_wm2[i] = horizon;
    out.poa_ground_diffuse_wm2[i] = ground;
    out.poa_global_wm2[i] = direct + circumsolar + isotropic + horizon + ground;
  }
}

void exact_sun_visibility(const RayScene& scene, const RoofSamples& samples,
                          double sun_elevation_deg, double sun_azimuth_deg,
                          std::span<double> visibility_frac) {
  const std::int64_t n_faces = samples.n_faces();
  if (visibility_frac.size() != static_cast<std::size_t>(n_faces)) {
    throw std::invalid_argument("exact_sun_visibility: visibility_frac has length " +
                                std::to_string(visibility_frac.size()) +
                                ", expected n_faces = " + std::to_string(n_faces));
  }
  std::fill(visibility_frac.begin(), visibility_frac.end(), 0.0);
  if (!(sun_elevation_deg > 0.0)) return;
  const Direction d = direction(sun_elevation_deg, sun_azimuth_deg);
  const auto dx = static_cast<float>(d.x);
  const auto dy = static_cast<float>(d.y);
  const auto dz = static_cast<float>(d.z);

  // one ray per sample toward the sun, in fixed chunks of samples
  const std::int64_t n_samples = samples.n_samples();
  std::vector<std::uint8_t> visible(static_cast<std::size_t>(n_samples), 0);
  const std::int64_t n_chunks = (n_samples + kExactChunk - 1) / kExactChunk;
#pragma omp parallel for schedule(static)
  for (std::int64_t c = 0; c < n_chunks; ++c) {
    std::array<float, kExactChunk> cx{};
    std::array<float, kExactChunk> cy{};
    std::array<float, kExactChunk> cz{};
    const std::int64_t b = c * kExactChunk;
    const auto m = static_cast<std::size_t>(std::min(kExactChunk, n_samples - b));
    for (std::size_t k = 0; k < m; ++k) {
      const auto s = static_cast<std::size_t>(b) + k;
      cx[k] = static_cast<float>(samples.x_m[s]);
      cy[k] = static_cast<float>(samples.y_m[s]);
      cz[k] = static_cast<float>(samples.z_m[s]);
    }
    scene.visible_along(std::span<const float>(cx.data(), m), std::span<const float>(cy.data(), m),
                        std::span<const float>(cz.data(), m), dx, dy, dz,
                        std::span<std::uint8_t>(visible.data() + b, m));
  }

  // visible fraction of each face in front of the sun
#pragma omp parallel for schedule(static)
  for (std::int64_t f = 0; f < n_faces; ++f) {
    if (facing(samples, f, d) <= 0.0) continue;
    const std::int64_t b = samples.sample_begin[static_cast<std::size_t>(f)];
    const std::int64_t e = samples.sample_begin[static_cast<std::size_t>(f + 1)];
    std::int64_t n_visible = 0;
    for (std::int64_t s = b; s < e; ++s) n_visible += visible[static_cast<std::size_t>(s)];
    visibility_frac[static_cast<std::size_t>(f)] =
        static_cast<double>(n_visible) / static_cast<double>(e - b);
  }
}

BinningError binning_error(const RayScene& scene, const RoofSamples& samples,
                           const ShadingTables& tables, std::span<const double> sun_elevation_deg,
                           std::span<const double> sun_azimuth_deg, std::span<const double> dni_wm2,
                           std::span<const double> dhi_wm2, double dt_h) {
  const std::size_t n_hours = sun_elevation_deg.size();
  if (sun_azimuth_deg.size() != n_hours || dni_wm2.size() != n_hours || dhi_wm2.size() != n_hours) {
    throw std::invalid_argument(
        "binning_error: lengths differ (sun_elevation_deg " + std::to_string(n_hours) +
        ", sun_azimuth_deg " + std::to_string(sun_azimuth_deg.size()) + ", dni_wm2 " +
        std::to_string(dni_wm2.size()) + ", dhi_wm2 " + std::to_string(dhi_wm2.size()) + ")");
  }
  if (tables.n_faces != samples.n_faces()) {
    throw std::invalid_argument("binning_error: tables have " + std::to_string(tables.n_faces) +
                                " faces, samples " + std::to_string(samples.n_faces()));
  }
  const auto nf = static_cast<std::size_t>(samples.n_faces());
  BinningError err;
  err.binned_kwh_m2.assign(nf, 0.0);
  err.exact_kwh_m2.assign(nf, 0.0);
  err.rel_error_frac.assign(nf, 0.0);
  std::vector<double> exact(nf, 0.0);

  // hour by hour, faces accumulate in hour order
  for (std::size_t h = 0; h < n_hours; ++h) {
    if (!(sun_elevation_deg[h] > 0.0)) continue;
    exact_sun_visibility(scene, samples, sun_elevation_deg[h], sun_azimuth_deg[h], exact);
    const SunWeights w = sun_weights(tables, sun_elevation_deg[h], sun_azimuth_deg[h]);
    const Direction d = direction(sun_elevation_deg[h], sun_azimuth_deg[h]);
    for (std::size_t f = 0; f < nf; ++f) {
      const auto fi = static_cast<std::int64_t>(f);
      const double beam_wm2 = dni_wm2[h] * std::max(facing(samples, fi, d), 0.0);
      const double diffuse_wm2 = dhi_wm2[h] * tables.sky_view_factor_deg0[f];
      const double binned = beam_wm2 * weighted_visibility(tables, w, fi) + diffuse_wm2;
      const double exact_wm2 = beam_wm2 * exact[f] + diffuse_wm2;
      err.binned_kwh_m2[f] += dt_h * binned / 1000.0;
      err.exact_kwh_m2[f] += dt_h * exact_wm2 / 1000.0;
    }
  }

  // relative differences per face, their maximum and mean
  std::size_t n_lit = 0;
  double sum = 0.0;
  for (std::size_t f = 0; f < nf; ++f) {
    if (!(err.exact_kwh_m2[f] > 0.0)) continue;
    err.rel_error_frac[f] =
        std::abs(err.binned_kwh_m2[f] - err.exact_kwh_m2[f]) / err.exact_kwh_m2[f];
    err.max_rel_error_frac = std::max(err.max_rel_error_frac, err.rel_error_frac[f]);
    sum += err.rel_error_frac[f];
    ++n_lit;
  }
  if (n_lit > 0) err.mean_rel_error_frac = sum / static_cast<double>(n_lit);
  return err;
}

}  // namespace citytwin::solar
