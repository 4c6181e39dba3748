#include <citytwin/sim/city_generator.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <citytwin/sim/error.hpp>
#include <citytwin/sim/rng.hpp>

// Rules and sources of every figure below: docs/city.md.
namespace citytwin::sim {

namespace {

// streets (docs/city.md#streets)
constexpr double kSidewalkM = 2.5;         // [m] between carriageway and block edge
constexpr double kArterialWidthM = 14.0;   // [m] 2 x 2 lanes of 3.5 m
constexpr double kCollectorWidthM = 10.0;  // [m] 2 lanes of 3.5 m plus cycle lanes
constexpr double kLocalWidthM = 8.0;       // [m] 2 lanes of 3 m plus a parking lane
constexpr double kArterialSpeedMps = 50.0 / 3.6;
constexpr double kCollectorSpeedMps = 40.0 / 3.6;
constexpr double kLocalSpeedMps = 30.0 / 3.6;

// buildings (docs/city.md#buildings)
constexpr double kStoreyHeightM = 3.0;             // [m] floor-to-floor height
constexpr double kIndustrialStoreyHeightM = 6.0;   // [m] tall storey of a hall
constexpr double kGapM = 1.0;                      // [m] least free space between two buildings
constexpr double kMinBuildingSideM = 4.0;          // [m] narrower plots stay empty
constexpr double kMinCourtyardM = 8.0;             // [m] smallest side of a courtyard
constexpr double kMaxPitchedSpanM = 16.0;          // [m] wider buildings get flat roofs
constexpr double kResidentsPerSchool = 1500.0;     // [1] residents served by one school
constexpr double kSchoolMinFootprintM2 = 250.0;    // [m2] preferred school footprints:
constexpr double kSchoolMaxFootprintM2 = 2500.0;   // [m2] from a small to a large school
constexpr double kSchoolPlacesPerM2 = 1.0 / 10.0;  // [m-2] school places per m2 of floor area
constexpr std::int32_t kMaxFloors = 12;

// terrain (docs/city.md#terrain)
constexpr double kTerrainCellM = 50.0;            // [m] grid spacing up to kMaxTerrainPoints
constexpr std::int32_t kMaxTerrainPoints = 2000;  // [1] grid points along one axis at most
constexpr int kTerrainWaves = 3;

constexpr double kPi = std::numbers::pi;
constexpr double kDegPerRad = 180.0 / kPi;

// options accepted by generate_city (docs/city.md#options)
constexpr std::int64_t kMaxBuildings = 5'000'000;
constexpr double kMinBlockM = 50.0;
constexpr double kMaxBlockM = 500.0;

/// How a block is built up.
enum class Layout : std::uint8_t { kPark, kCentral, kInner, kHouses, kIndustrial };

/// Footprint kinds the generator draws.
enum class Shape : std::uint8_t { kRect, kL, kCourtyard };

/// An axis-aligned rectangle.
struct Rect {
  double x0_m = 0.0;  ///< [m] west edge
  double y0_m = 0.0;  ///< [m] south edge
  double x1_m = 0.0;  ///< [m] east edge
  double y1_m = 0.0;  ///< [m] north edge
};

/// A right-handed local frame along one side of a block: s runs along the street from the
/// origin, q runs into the block (q axis = s axis turned 90 degrees counter-clockwise). The
/// axes are unit vectors along x or y, so mapping to world coordinates is exact.
struct Frame {
  double ox_m = 0.0;  ///< [m] origin x
  double oy_m = 0.0;  ///< [m] origin y
  double tx = 1.0;    ///< s axis, x component (-1, 0 or 1)
  double ty = 0.0;    ///< s axis, y component (-1, 0 or 1)

  [[nodiscard]] double x(double s_m, double q_m) const { return ox_m + s_m * tx - q_m * ty; }
  [[nodiscard]] double y(double s_m, double q_m) const { return oy_m + s_m * ty + q_m * tx; }
};

/// One planned building: footprint rings and what stands on them.
struct BuildingSpec {
  Shape shape = Shape::kRect;
  std::int32_t n_outer = 4;          ///< [1] vertices of the outer ring (4 or 6)
  std::array<double, 6> x_m{};       ///< [m] outer ring, counter-clockwise; a rectangle starts
  std::array<double, 6> y_m{};       ///<     with a long edge (the ridge runs along it)
  std::array<double, 4> hole_x_m{};  ///< [m] courtyard ring, clockwise (courtyards only)
  std::array<double, 4> hole_y_m{};
  BuildingUse use = BuildingUse::kResidential;
  RoofShape roof = RoofShape::kFlat;
  double pitch_deg = 0.0;     ///< [deg] roof slope, 0 for flat
  std::int32_t n_floors = 1;  ///< [1] storeys above ground
  double storey_height_m = kStoreyHeightM;
};

/// What the generator decided for one block before placing buildings.
struct BlockPlan {
  Rect inner;  ///< [m] buildable area (inside the sidewalks)
  Layout layout = Layout::kPark;
  double r_frac = 0.0;  ///< [1] distance to the centre over the city half-size
  bool centre = false;  ///< the block nearest the centre (courtyard, town hall)
  std::int32_t zone_idx = -1;
  std::int32_t cap = std::numeric_limits<std::int32_t>::max();  ///< [1] most buildings kept
};

/// The street grid: lines of constant x (west to east) and of constant y (south to north).
struct Grid {
  std::int32_t bx = 1;                     ///< [1] blocks along x
  std::int32_t by = 1;                     ///< [1] blocks along y
  std::vector<double> x_line_m, y_line_m;  ///< [m] bx + 1 and by + 1 street axes
  std::vector<StreetClass> x_line_class, y_line_class;
  std::int32_t zone_blocks = 2;   ///< [1] blocks per zone side
  std::int32_t nzx = 1, nzy = 1;  ///< [1] zones along x and y
  std::vector<BlockPlan> blocks;  ///< bx * by, row-major from south-west
};

/// Reusable buffers of plan_block.
struct Scratch {
  std::array<std::vector<double>, 4> edges_m;  ///< parcel boundaries along each block side
};

// carriageway width of a street class
double street_width_m(StreetClass c) {
  switch (c) {
    case StreetClass::kArterial:
      return kArterialWidthM;
    case StreetClass::kCollector:
      return kCollectorWidthM;
    default:
      return kLocalWidthM;
  }
}

// class of street line `line` (0..n_lines-1) when every `every`-th line from the central one is an
// arterial and, from every = 4 on, the lines halfway between arterials are collectors
StreetClass line_class(std::int32_t line, std::int32_t n_lines, std::int32_t every) {
  const std::int32_t centre = (n_lines - 1) / 2;
  const std::int32_t offset = ((line - centre) % every + every) % every;
  if (offset == 0) return StreetClass::kArterial;
  if (every >= 4 && offset == every / 2) return StreetClass::kCollector;
  return StreetClass::kLocal;
}

double uniform(Rng& rng, double lo, double hi) { return lo + (hi - lo) * rng.uniform(); }

std::int32_t uniform_int(Rng& rng, std::int32_t lo, std::int32_t hi) {
  const auto n_values = static_cast<std::uint64_t>(hi - lo) + 1;
  return lo + static_cast<std::int32_t>(rng.uniform_int(n_values));
}

// shape number k of the growing grid sequence 1x1, 2x1, 2x2, 3x2, 3x3, ...
std::pair<std::int32_t, std::int32_t> grid_shape(std::int32_t k) {
  return {k / 2 + 1 + k % 2, k / 2 + 1};
}

// --- block layout --------------------------------------------------------------------------

// main use of a building, by district (docs/city.md#uses)
BuildingUse choose_use(const BlockPlan& block, Rng& rng) {
  const double u = rng.uniform();
  switch (block.layout) {
    case Layout::kIndustrial:
      if (u < 0.85) return BuildingUse::kIndustrial;
      if (u < 0.93) return BuildingUse::kOffice;
      if (u < 0.97) return BuildingUse::kCommercial;
      return BuildingUse::kOther;
    case Layout::kHouses:
      if (u < 0.03) return BuildingUse::kCommercial;
      if (u < 0.05) return BuildingUse::kPublic;
      if (u < 0.09) return BuildingUse::kOther;
      if (u < 0.11) return BuildingUse::kMixed;
      return BuildingUse::kResidential;
    default: {
      // centrality: 1 at the centre, falling off over a third of the half-size
      const double c = std::exp(-(block.r_frac / 0.35) * (block.r_frac / 0.35));
      const double p_office = 0.05 + 0.30 * c;
      const double p_commercial = p_office + 0.05 + 0.10 * c;
      const double p_mixed = p_commercial + 0.10 + 0.25 * c;
      const double p_public = p_mixed + 0.03;
      const double p_other = p_public + 0.02;
      if (u < p_office) return BuildingUse::kOffice;
      if (u < p_commercial) return BuildingUse::kCommercial;
      if (u < p_mixed) return BuildingUse::kMixed;
      if (u < p_public) return BuildingUse::kPublic;
      if (u < p_other) return BuildingUse::kOther;
      return BuildingUse::kResidential;
    }
  }
}

// storeys by use and distance to the centre (docs/city.md#heights)
std::int32_t choose_floors(const BlockPlan& block, BuildingUse use, bool large, Rng& rng) {
  const double c = std::exp(-(block.r_frac / 0.35) * (block.r_frac / 0.35));
  const auto bonus = static_cast<std::int32_t>(std::lround(3.0 * c));
  std::int32_t n = 1;
  switch (use) {
    case BuildingUse::kIndustrial:
      n = uniform_int(rng, 1, 2);
      break;
    case BuildingUse::kCommercial:
      n = uniform_int(rng, 1, block.layout == Layout::kCentral ? 4 : 2);
      break;
    case BuildingUse::kPublic:
      n = uniform_int(rng, 2, 4);
      break;
    case BuildingUse::kSchool:
      n = uniform_int(rng, 2, 3);
      break;
    case BuildingUse::kOther:
      n = uniform_int(rng, 1, 2);
      break;
    case BuildingUse::kOffice:
      if (block.layout == Layout::kCentral) {
        n = uniform_int(rng, 5 + bonus, 9 + bonus);
      } else if (block.layout == Layout::kInner) {
        n = uniform_int(rng, 3, 6);
      } else {
        n = uniform_int(rng, 2, 3);
      }
      break;
    case BuildingUse::kResidential:
    case BuildingUse::kMixed:
      if (block.layout == Layout::kCentral) {
        n = uniform_int(rng, 4 + bonus, 7 + bonus);
      } else if (block.layout == Layout::kInner || large) {
        n = uniform_int(rng, 3, 6);
      } else {
        n = uniform_int(rng, 1, 2);
      }
      break;
  }
  return std::clamp(n, 1, kMaxFloors);
}

// roof shape and pitch (docs/city.md#roofs); spans are the rectangle's sides
void choose_roof(const BlockPlan& block, BuildingSpec& b, double long_m, double short_m, Rng& rng) {
  const double u = rng.uniform();
  const double pitch_draw = rng.uniform();
  b.roof = RoofShape::kFlat;
  b.pitch_deg = 0.0;
  const bool dwelling = b.use == BuildingUse::kResidential || b.use == BuildingUse::kMixed ||
                        b.use == BuildingUse::kOther;
  if (b.shape != Shape::kRect || !dwelling || short_m > kMaxPitchedSpanM) return;
  double p_gabled = 0.0;
  double p_hipped = 0.0;
  double pitch_lo_deg = 25.0;
  double pitch_hi_deg = 40.0;
  switch (block.layout) {
    case Layout::kHouses:
      p_gabled = 0.55;
      p_hipped = 0.30;
      pitch_lo_deg = 30.0;
      pitch_hi_deg = 45.0;
      break;
    case Layout::kInner:
      p_gabled = 0.25;
      p_hipped = 0.25;
      break;
    case Layout::kCentral:
      p_gabled = 0.10;
      p_hipped = 0.05;
      break;
    default:
      return;
  }
  if (u < p_gabled) {
    b.roof = RoofShape::kGabled;
  } else if (u < p_gabled + p_hipped) {
    // a hipped roof needs a ridge: the rectangle must be clearly longer than wide
    b.roof = long_m >= 1.2 * short_m ? RoofShape::kHipped : RoofShape::kGabled;
  } else {
    return;
  }
  b.pitch_deg = pitch_lo_deg + (pitch_hi_deg - pitch_lo_deg) * pitch_draw;
}

// use, storeys and roof of a planned building
void dress(const BlockPlan& block, BuildingSpec& b, double long_m, double short_m, bool large,
           Rng& rng) {
  b.use = choose_use(block, rng);
  b.n_floors = choose_floors(block, b.use, large, rng);
  b.storey_height_m = b.use == BuildingUse::kIndustrial ? kIndustrialStoreyHeightM : kStoreyHeightM;
  choose_roof(block, b, long_m, short_m, rng);
}

// the rectangle [s0, s1] x [q0, q1] of a frame as a counter-clockwise ring that starts with a
// long edge
void set_rect(BuildingSpec& b, const Frame& f, double s0_m, double s1_m, double q0_m, double q1_m) {
  b.shape = Shape::kRect;
  b.n_outer = 4;
  std::array<double, 4> s{s0_m, s1_m, s1_m, s0_m};
  std::array<double, 4> q{q0_m, q0_m, q1_m, q1_m};
  if (q1_m - q0_m > s1_m - s0_m) {
    s = {s1_m, s1_m, s0_m, s0_m};
    q = {q0_m, q1_m, q1_m, q0_m};
  }
  for (std::size_t i = 0; i < 4; ++i) {
    b.x_m[i] = f.x(s[i], q[i]);
    b.y_m[i] = f.y(s[i], q[i]);
  }
}

// an axis-aligned courtyard building: outer ring counter-clockwise, hole clockwise
void set_courtyard(BuildingSpec& b, const Rect& outer, double depth_m) {
  b.shape = Shape::kCourtyard;
  b.n_outer = 4;
  b.x_m = {outer.x0_m, outer.x1_m, outer.x1_m, outer.x0_m, 0.0, 0.0};
  b.y_m = {outer.y0_m, outer.y0_m, outer.y1_m, outer.y1_m, 0.0, 0.0};
  const double hx0_m = outer.x0_m + depth_m;
  const double hx1_m = outer.x1_m - depth_m;
  const double hy0_m = outer.y0_m + depth_m;
  const double hy1_m = outer.y1_m - depth_m;
  b.hole_x_m = {hx0_m, hx0_m, hx1_m, hx1_m};
  b.hole_y_m = {hy0_m, hy1_m, hy1_m, hy0_m};
}

/// Parameters of a perimeter layout: parcels in a strip along the four sides of the block.
struct PerimeterStyle {
  double strip_lo_m, strip_hi_m;      ///< [m] depth of the strip of parcels
  double frontage_m;                  ///< [m] mean parcel width along the street
  double setback_lo_m, setback_hi_m;  ///< [m] building front to block edge
  double depth_lo_m, depth_hi_m;      ///< [m] building depth (0: the whole strip)
  double side_lo_m, side_hi_m;        ///< [m] building side to parcel side
  double p_corner_l;                  ///< probability of an L-shaped corner building
  double p_large;                     ///< probability of merging two parcels
};

// buildings on parcels along the block perimeter; emit(spec) receives each, in order
template <typename Emit>
void plan_perimeter(const BlockPlan& block, const PerimeterStyle& style, Rng& rng, Scratch& scratch,
                    Emit& emit) {
  const Rect& r = block.inner;
  const double width_m = r.x1_m - r.x0_m;
  const double height_m = r.y1_m - r.y0_m;
  const double strip_m = std::min(uniform(rng, style.strip_lo_m, style.strip_hi_m),
                                  0.5 * std::min(width_m, height_m) - 1.0);
  if (strip_m < 6.0) return;
  const double rear_m = strip_m - 0.5 * kGapM;

  // the four strips, pinwheel style: each owns the corner at its start
  const std::array<Frame, 4> frames{
      Frame{r.x0_m, r.y0_m, 1.0, 0.0}, Frame{r.x1_m, r.y0_m, 0.0, 1.0},
      Frame{r.x1_m, r.y1_m, -1.0, 0.0}, Frame{r.x0_m, r.y1_m, 0.0, -1.0}};
  const std::array<double, 4> side_m{width_m, height_m, width_m, height_m};

  // parcel boundaries along each strip, random widths around the style's frontage
  for (std::size_t k = 0; k < 4; ++k) {
    const double length_m = side_m[k] - strip_m;
    const auto n = std::max<std::int64_t>(1, std::lround(length_m / style.frontage_m));
    std::vector<double>& edges = scratch.edges_m[k];
    edges.assign(1, 0.0);
    double total = 0.0;
    for (std::int64_t p = 0; p < n; ++p) {
      total += uniform(rng, 0.75, 1.25);
      edges.push_back(total);
    }
    for (double& e : edges) e *= length_m / total;
    edges.back() = length_m;
  }
  const auto n_parcels = [&](std::size_t k) { return scratch.edges_m[k].size() - 1; };
  const auto parcel_m = [&](std::size_t k, std::size_t p) {
    return scratch.edges_m[k][p + 1] - scratch.edges_m[k][p];
  };

  // corner k joins the last parcel of strip k and the first of strip k + 1 into an L
  std::array<bool, 4> corner_l{false, false, false, false};
  for (std::size_t k = 0; k < 4; ++k) {
    const bool draw = rng.bernoulli(style.p_corner_l);
    const std::size_t next = (k + 1) % 4;
    const bool last_free = n_parcels(k) > 1 || !corner_l[(k + 3) % 4];
    const bool first_free = n_parcels(next) > 1 || next != 0 || !corner_l[0];
    corner_l[k] = draw && last_free && first_free && parcel_m(k, n_parcels(k) - 1) >= 6.0 + kGapM &&
                  parcel_m(next, 0) >= strip_m + 6.0;
  }

  // buildings, strip by strip
  BuildingSpec b;
  for (std::size_t k = 0; k < 4; ++k) {
    const Frame& f = frames[k];
    const std::size_t n = n_parcels(k);
    for (std::size_t p = 0; p < n; ++p) {
      if (p == 0 && corner_l[(k + 3) % 4]) continue;  // part of the previous corner's L
      const double a_m = scratch.edges_m[k][p];
      double b_m = scratch.edges_m[k][p + 1];
      if (p + 1 == n && corner_l[k]) {
        // L-shaped corner building, full strip depth, fronting two streets
        const std::size_t next = (k + 1) % 4;
        const double s0_m = a_m + 0.5 * kGapM;
        const double arm_m = parcel_m(next, 0) - 0.5 * kGapM;
        const std::array<double, 6> s{
            s0_m, side_m[k], side_m[k], side_m[k] - rear_m, side_m[k] - rear_m, s0_m};
        const std::array<double, 6> q{0.0, 0.0, arm_m, arm_m, rear_m, rear_m};
        b.shape = Shape::kL;
        b.n_outer = 6;
        for (std::size_t i = 0; i < 6; ++i) {
          b.x_m[i] = f.x(s[i], q[i]);
          b.y_m[i] = f.y(s[i], q[i]);
        }
        dress(block, b, std::max(side_m[k] - s0_m, arm_m), rear_m, false, rng);
        emit(b);
        continue;
      }
      // a larger building on two merged parcels
      const bool large = p + 2 < n && rng.bernoulli(style.p_large);
      if (large) b_m = scratch.edges_m[k][p + 2];
      const double side_gap_m =
          std::max(uniform(rng, style.side_lo_m, style.side_hi_m), 0.5 * kGapM);
      const double setback_m = uniform(rng, style.setback_lo_m, style.setback_hi_m);
      const double depth_draw_m = uniform(rng, style.depth_lo_m, style.depth_hi_m);
      const double depth_m =
          style.depth_hi_m <= 0.0 ? rear_m - setback_m : (large ? 1.6 : 1.0) * depth_draw_m;
      const double s0_m = a_m + side_gap_m;
      const double s1_m = b_m - side_gap_m;
      const double q0_m = setback_m;
      const double q1_m = std::min(setback_m + depth_m, rear_m);
      if (large) ++p;
      if (s1_m - s0_m < kMinBuildingSideM || q1_m - q0_m < kMinBuildingSideM) continue;
      set_rect(b, f, s0_m, s1_m, q0_m, q1_m);
      dress(block, b, std::max(s1_m - s0_m, q1_m - q0_m), std::min(s1_m - s0_m, q1_m - q0_m), large,
            rng);
      emit(b);
    }
  }
}

// one courtyard building on the whole block
template <typename Emit>
bool plan_courtyard(const BlockPlan& block, Rng& rng, Emit& emit) {
  const Rect& r = block.inner;
  const double depth_m = uniform(rng, 12.0, 16.0);
  if (std::min(r.x1_m - r.x0_m, r.y1_m - r.y0_m) - 2.0 * depth_m < kMinCourtyardM) return false;
  BuildingSpec b;
  set_courtyard(b, r, depth_m);
  dress(block, b, 0.0, 0.0, true, rng);
  emit(b);
  return true;
}

// four courtyard buildings, one per quarter of the block
template <typename Emit>
void plan_quarters(const BlockPlan& block, Rng& rng, Emit& emit) {
  const Rect& r = block.inner;
  const double xm_m = 0.5 * (r.x0_m + r.x1_m);
  const double ym_m = 0.5 * (r.y0_m + r.y1_m);
  const double h = 0.5 * kGapM;
  const std::array<Rect, 4> quarters{
      Rect{r.x0_m, r.y0_m, xm_m - h, ym_m - h}, Rect{xm_m + h, r.y0_m, r.x1_m, ym_m - h},
      Rect{xm_m + h, ym_m + h, r.x1_m, r.y1_m}, Rect{r.x0_m, ym_m + h, xm_m - h, r.y1_m}};
  BuildingSpec b;
  for (const Rect& q : quarters) {
    const double depth_m = uniform(rng, 10.0, 13.0);
    const double w_m = q.x1_m - q.x0_m;
    const double l_m = q.y1_m - q.y0_m;
    if (std::min(w_m, l_m) < kMinBuildingSideM) continue;
    if (std::min(w_m, l_m) - 2.0 * depth_m >= kMinCourtyardM) {
      set_courtyard(b, q, depth_m);
    } else {
      set_rect(b, Frame{q.x0_m, q.y0_m, 1.0, 0.0}, 0.0, w_m, 0.0, l_m);
    }
    dress(block, b, std::max(w_m, l_m), std::min(w_m, l_m), true, rng);
    emit(b);
  }
}

// halls on large lots, two rows of lots, each fronting its street
template <typename Emit>
void plan_industrial(const BlockPlan& block, Rng& rng, Emit& emit) {
  const Rect& r = block.inner;
  const double width_m = r.x1_m - r.x0_m;
  const double ym_m = 0.5 * (r.y0_m + r.y1_m);
  const auto n_cols = static_cast<std::int32_t>(
      std::max<std::int64_t>(1, std::lround(width_m / uniform(rng, 40.0, 60.0))));
  const Frame world{0.0, 0.0, 1.0, 0.0};
  BuildingSpec b;
  for (std::int32_t row = 0; row < 2; ++row) {
    for (std::int32_t col = 0; col < n_cols; ++col) {
      const double xa_m = r.x0_m + width_m * col / n_cols;
      const double xb_m = col + 1 == n_cols ? r.x1_m : r.x0_m + width_m * (col + 1) / n_cols;
      const double side_m = uniform(rng, 2.0, 4.0);
      const double setback_m = uniform(rng, 3.0, 5.0);
      const double rear_m = uniform(rng, 2.0, 5.0);
      const double y0_m = row == 0 ? r.y0_m + setback_m : ym_m + rear_m;
      const double y1_m = row == 0 ? ym_m - rear_m : r.y1_m - setback_m;
      const double x0_m = xa_m + side_m;
      const double x1_m = xb_m - side_m;
      if (x1_m - x0_m < kMinBuildingSideM || y1_m - y0_m < kMinBuildingSideM) continue;
      set_rect(b, world, x0_m, x1_m, y0_m, y1_m);
      dress(block, b, std::max(x1_m - x0_m, y1_m - y0_m), std::min(x1_m - x0_m, y1_m - y0_m), true,
            rng);
      emit(b);
    }
  }
}

// every building of a block, in a fixed order; the same block and rng give the same buildings
template <typename Emit>
void plan_block(const BlockPlan& block, Rng& rng, Scratch& scratch, Emit& emit) {
  static constexpr PerimeterStyle kCentralStyle{12.0, 16.0, 20.0, 0.0, 0.0, 0.0,
                                                0.0,  0.5,  0.5,  0.6, 0.0};
  static constexpr PerimeterStyle kInnerStyle{10.0, 14.0, 16.0, 0.0, 0.0, 0.0,
                                              0.0,  0.5,  0.5,  0.3, 0.0};
  static constexpr PerimeterStyle kHouseStyle{24.0, 30.0, 16.0, 3.0, 5.0, 8.0,
                                              12.0, 1.5,  3.0,  0.0, 0.06};
  // which buildings the town hall rule and the cap keep
  std::int32_t n_emitted = 0;
  auto capped = [&](BuildingSpec& b) {
    if (n_emitted >= block.cap) return;
    if (block.centre && n_emitted == 0) b.use = BuildingUse::kPublic;  // the town hall
    ++n_emitted;
    emit(b);
  };
  switch (block.layout) {
    case Layout::kPark:
      return;
    case Layout::kIndustrial:
      plan_industrial(block, rng, capped);
      return;
    case Layout::kHouses:
      plan_perimeter(block, kHouseStyle, rng, scratch, capped);
      return;
    case Layout::kInner: {
      const double u = rng.uniform();
      if (u < 0.06 && plan_courtyard(block, rng, capped)) return;
      if (u < 0.12) {
        plan_quarters(block, rng, capped);
        return;
      }
      plan_perimeter(block, kInnerStyle, rng, scratch, capped);
      return;
    }
    case Layout::kCentral: {
      const double u = rng.uniform();
      if ((block.centre || u < 0.15) && plan_courtyard(block, rng, capped)) return;
      if (block.centre || u < 0.35) {
        plan_quarters(block, rng, capped);
        return;
      }
      plan_perimeter(block, kCentralStyle, rng, scratch, capped);
      return;
    }
  }
}

// --- grid ---------------------------------------------------------------------------------

// streets, layouts and zones of a bx x by grid of blocks centred on (0, 0)
Grid make_grid(std::int32_t bx, std::int32_t by, const CityGeneratorOptions& options) {
  Grid g;
  g.bx = bx;
  g.by = by;
  const double block_m = options.block_size_m;

  // street axes and classes
  for (std::int32_t i = 0; i <= bx; ++i) {
    g.x_line_m.push_back((i - 0.5 * bx) * block_m);
    g.x_line_class.push_back(line_class(i, bx + 1, options.arterial_every));
  }
  for (std::int32_t j = 0; j <= by; ++j) {
    g.y_line_m.push_back((j - 0.5 * by) * block_m);
    g.y_line_class.push_back(line_class(j, by + 1, options.arterial_every));
  }

  // zones: square groups of blocks, larger for larger cities
  const double n_blocks = static_cast<double>(bx) * by;
  g.zone_blocks =
      std::clamp(static_cast<std::int32_t>(std::lround(std::sqrt(n_blocks) / 10.0)), 2, 8);
  g.nzx = (bx + g.zone_blocks - 1) / g.zone_blocks;
  g.nzy = (by + g.zone_blocks - 1) / g.zone_blocks;

  // the industrial cluster: a disc 0.6 half-sizes from the centre in a seeded direction
  const double half_m = 0.5 * std::max(bx, by) * block_m;
  Rng cluster_rng = rng_for(options.seed, stream_id("city.industry"), 0, 0);
  const double angle_rad = uniform(cluster_rng, 0.0, 2.0 * kPi);
  const double cluster_x_m = 0.6 * half_m * std::cos(angle_rad);
  const double cluster_y_m = 0.6 * half_m * std::sin(angle_rad);
  const double cluster_r_m = 0.32 * half_m;

  // block boxes, districts and the blocks nearest the centre and the cluster
  g.blocks.resize(static_cast<std::size_t>(bx) * static_cast<std::size_t>(by));
  std::size_t centre_idx = 0;
  std::size_t cluster_idx = 0;
  double centre_best_m = std::numeric_limits<double>::infinity();
  double cluster_best_m = std::numeric_limits<double>::infinity();
  for (std::int32_t j = 0; j < by; ++j) {
    for (std::int32_t i = 0; i < bx; ++i) {
      const std::size_t idx =
          static_cast<std::size_t>(j) * static_cast<std::size_t>(bx) + static_cast<std::size_t>(i);
      const auto ui = static_cast<std::size_t>(i);
      const auto uj = static_cast<std::size_t>(j);
      BlockPlan& p = g.blocks[idx];
      p.inner.x0_m = g.x_line_m[ui] + 0.5 * street_width_m(g.x_line_class[ui]) + kSidewalkM;
      p.inner.x1_m = g.x_line_m[ui + 1] - 0.5 * street_width_m(g.x_line_class[ui + 1]) - kSidewalkM;
      p.inner.y0_m = g.y_line_m[uj] + 0.5 * street_width_m(g.y_line_class[uj]) + kSidewalkM;
      p.inner.y1_m = g.y_line_m[uj + 1] - 0.5 * street_width_m(g.y_line_class[uj + 1]) - kSidewalkM;
      p.zone_idx = (j / g.zone_blocks) * g.nzx + i / g.zone_blocks;
      const double cx_m = 0.5 * (g.x_line_m[ui] + g.x_line_m[ui + 1]);
      const double cy_m = 0.5 * (g.y_line_m[uj] + g.y_line_m[uj + 1]);
      p.r_frac = std::hypot(cx_m, cy_m) / half_m;
      Rng rng = rng_for(options.seed, stream_id("city.district"), idx, 0);
      const double r_jitter = p.r_frac + 0.16 * (rng.uniform() - 0.5);
      const double cluster_m = std::hypot(cx_m - cluster_x_m, cy_m - cluster_y_m);
      if (cluster_m <= cluster_r_m) {
        p.layout = Layout::kIndustrial;
      } else if (r_jitter < 0.4) {
        p.layout = Layout::kCentral;
      } else if (r_jitter < 0.7) {
        p.layout = Layout::kInner;
      } else {
        p.layout = Layout::kHouses;
      }
      const double centre_m = std::hypot(cx_m, cy_m);
      if (centre_m < centre_best_m) {
        centre_best_m = centre_m;
        centre_idx = idx;
      }
      if (cluster_m < cluster_best_m) {
        cluster_best_m = cluster_m;
        cluster_idx = idx;
      }
    }
  }
  // at least one industrial block; the centre block is always the courtyard core
  g.blocks[cluster_idx].layout = Layout::kIndustrial;
  g.blocks[centre_idx].layout = Layout::kCentral;
  g.blocks[centre_idx].centre = true;
  return g;
}

// buildings each block would get
std::vector<std::int32_t> count_buildings(const Grid& g, std::uint64_t seed) {
  std::vector<std::int32_t> counts(g.blocks.size(), 0);
  Scratch scratch;
  for (std::size_t idx = 0; idx < g.blocks.size(); ++idx) {
    Rng rng = rng_for(seed, stream_id("city.block"), idx, 0);
    std::int32_t n = 0;
    auto count = [&n](const BuildingSpec&) { ++n; };
    plan_block(g.blocks[idx], rng, scratch, count);
    counts[idx] = n;
  }
  return counts;
}

std::int64_t sum(const std::vector<std::int32_t>& counts) {
  std::int64_t total = 0;
  for (const std::int32_t c : counts) total += c;
  return total;
}

// turns blocks into parks (and one into a partly built block) until exactly `target` remain
void trim_to_target(Grid& g, std::vector<std::int32_t>& counts, std::int64_t target,
                    std::uint64_t seed) {
  std::int64_t excess = sum(counts) - target;
  if (excess <= 0) return;

  // candidates in a seeded order: outer districts first, then the rest, the centre last
  std::vector<std::size_t> order;
  order.reserve(g.blocks.size());
  for (std::size_t idx = 0; idx < g.blocks.size(); ++idx) {
    const Layout l = g.blocks[idx].layout;
    if ((l == Layout::kInner || l == Layout::kHouses) && !g.blocks[idx].centre)
      order.push_back(idx);
  }
  Rng rng = rng_for(seed, stream_id("city.parks"), 0, 0);
  for (std::size_t i = order.size(); i > 1; --i) {
    const auto j = static_cast<std::size_t>(rng.uniform_int(i));
    std::swap(order[i - 1], order[j]);
  }
  for (std::size_t idx = 0; idx < g.blocks.size(); ++idx) {
    const Layout l = g.blocks[idx].layout;
    if (l != Layout::kInner && l != Layout::kHouses && !g.blocks[idx].centre) order.push_back(idx);
  }
  for (std::size_t idx = 0; idx < g.blocks.size(); ++idx) {
    if (g.blocks[idx].centre) order.push_back(idx);
  }

  // whole blocks become parks while they fit in the excess, one block keeps part of its plots
  for (const std::size_t idx : order) {
    if (excess == 0) break;
    if (counts[idx] == 0) continue;
    if (counts[idx] <= excess) {
      excess -= counts[idx];
      counts[idx] = 0;
      g.blocks[idx].layout = Layout::kPark;
    } else {
      counts[idx] -= static_cast<std::int32_t>(excess);
      g.blocks[idx].cap = counts[idx];
      excess = 0;
    }
  }
}

// the smallest grid of the sequence whose plans hold at least `target` buildings, trimmed
Grid size_grid(const CityGeneratorOptions& options) {
  const std::int64_t target = options.n_buildings;

  // first guess from a typical 18 buildings per block, then from the measured density
  const auto guess = [](double blocks) {
    const double side = std::max(1.0, std::sqrt(blocks));
    return std::max(0, static_cast<std::int32_t>(std::lround(2.0 * (side - 1.0))));
  };
  std::int32_t k = guess(static_cast<double>(target) / 18.0);
  {
    const auto [bx, by] = grid_shape(k);
    const Grid g = make_grid(bx, by, options);
    const double per_block =
        static_cast<double>(std::max<std::int64_t>(1, sum(count_buildings(g, options.seed)))) /
        static_cast<double>(g.blocks.size());
    k = guess(static_cast<double>(target) / per_block);
  }

  // walk down while the smaller grid still suffices, up until the grid suffices
  const auto grid_at = [&](std::int32_t kk) {
    const auto [bx, by] = grid_shape(kk);
    return make_grid(bx, by, options);
  };
  Grid g = grid_at(k);
  std::vector<std::int32_t> counts = count_buildings(g, options.seed);
  if (sum(counts) >= target) {
    while (k > 0) {
      Grid smaller = grid_at(k - 1);
      std::vector<std::int32_t> smaller_counts = count_buildings(smaller, options.seed);
      if (sum(smaller_counts) < target) break;
      g = std::move(smaller);
      counts = std::move(smaller_counts);
      --k;
    }
  } else {
    while (sum(counts) < target) {
      ++k;
      g = grid_at(k);
      counts = count_buildings(g, options.seed);
    }
  }
  trim_to_target(g, counts, target, options.seed);
  return g;
}

// --- terrain ------------------------------------------------------------------------------

// gentle relief: a few seeded long waves scaled to a peak-to-peak of relief_m, minimum 0
Terrain make_terrain(const Grid& g, const CityGeneratorOptions& options) {
  Terrain t;
  const double x0_m = g.x_line_m.front();
  const double y0_m = g.y_line_m.front();
  const double width_m = g.x_line_m.back() - x0_m;
  const double height_m = g.y_line_m.back() - y0_m;
  t.cell_m = std::max(
      {kTerrainCellM, width_m / (kMaxTerrainPoints - 3), height_m / (kMaxTerrainPoints - 3)});
  t.origin_x_m = x0_m - t.cell_m;
  t.origin_y_m = y0_m - t.cell_m;
  t.nx = static_cast<std::int32_t>(std::ceil(width_m / t.cell_m)) + 3;
  t.ny = static_cast<std::int32_t>(std::ceil(height_m / t.cell_m)) + 3;

  // waves: period 3-8 km, any direction and phase, weights 0.5-1
  Rng rng = rng_for(options.seed, stream_id("city.terrain"), 0, 0);
  struct Wave {
    double kx_per_m, ky_per_m;  // [rad m-1] wave vector
    double phase_rad, weight;
  };
  std::array<Wave, kTerrainWaves> waves{};
  double total_weight = 0.0;
  for (Wave& w : waves) {
    const double period_m = uniform(rng, 3000.0, 8000.0);
    const double dir_rad = uniform(rng, 0.0, 2.0 * kPi);
    w.kx_per_m = 2.0 * kPi * std::cos(dir_rad) / period_m;
    w.ky_per_m = 2.0 * kPi * std::sin(dir_rad) / period_m;
    w.phase_rad = uniform(rng, 0.0, 2.0 * kPi);
    w.weight = uniform(rng, 0.5, 1.0);
    total_weight += w.weight;
  }

  // elevations at the grid points
  t.elevation_m.resize(static_cast<std::size_t>(t.nx) * static_cast<std::size_t>(t.ny));
  for (std::int32_t j = 0; j < t.ny; ++j) {
    const double y_m = t.origin_y_m + j * t.cell_m;
    for (std::int32_t i = 0; i < t.nx; ++i) {
      const double x_m = t.origin_x_m + i * t.cell_m;
      double wave = 0.0;
      for (const Wave& w : waves) {
        wave += w.weight * std::sin(w.kx_per_m * x_m + w.ky_per_m * y_m + w.phase_rad);
      }
      t.elevation_m[static_cast<std::size_t>(j) * static_cast<std::size_t>(t.nx) +
                    static_cast<std::size_t>(i)] =
          0.5 * options.terrain_relief_m * (1.0 + wave / total_weight);
    }
  }
  return t;
}

// --- streets, blocks, zones ---------------------------------------------------------------

void build_streets(const Grid& g, City& city) {
  Streets& s = city.streets;
  const auto nxl = static_cast<std::size_t>(g.bx) + 1;
  const auto nyl = static_cast<std::size_t>(g.by) + 1;

  // intersections, row-major from the south-west; arterial crossings are signalised
  s.node_id.reserve(nxl * nyl);
  for (std::size_t j = 0; j < nyl; ++j) {
    for (std::size_t i = 0; i < nxl; ++i) {
      const StreetClass cx = g.x_line_class[i];
      const StreetClass cy = g.y_line_class[j];
      const bool arterial_x = cx == StreetClass::kArterial;
      const bool arterial_y = cy == StreetClass::kArterial;
      const bool signalised =
          (arterial_x && cy != StreetClass::kLocal) || (arterial_y && cx != StreetClass::kLocal);
      s.node_id.push_back(static_cast<std::int64_t>(s.node_id.size()) + 1);
      s.node_x_m.push_back(g.x_line_m[i]);
      s.node_y_m.push_back(g.y_line_m[j]);
      s.node_z_m.push_back(city.terrain.elevation_at(g.x_line_m[i], g.y_line_m[j]));
      s.node_signalised.push_back(signalised ? 1 : 0);
    }
  }

  // one segment between consecutive intersections of a line
  const auto add_segment = [&](std::size_t from, std::size_t to, StreetClass c, double length_m) {
    s.street_id.push_back(static_cast<std::int64_t>(s.street_id.size()) + 1);
    s.from_node_idx.push_back(static_cast<std::int32_t>(from));
    s.to_node_idx.push_back(static_cast<std::int32_t>(to));
    s.length_m.push_back(length_m);
    const std::int32_t lanes = c == StreetClass::kArterial ? 2 : 1;
    s.lanes_forward.push_back(lanes);
    s.lanes_backward.push_back(lanes);
    s.speed_limit_mps.push_back(c == StreetClass::kArterial    ? kArterialSpeedMps
                                : c == StreetClass::kCollector ? kCollectorSpeedMps
                                                               : kLocalSpeedMps);
    s.width_m.push_back(street_width_m(c));
    s.street_class.push_back(c);
  };
  const std::size_t n_segments = nyl * (nxl - 1) + nxl * (nyl - 1);
  s.street_id.reserve(n_segments);
  s.from_node_idx.reserve(n_segments);
  s.to_node_idx.reserve(n_segments);
  for (std::size_t j = 0; j < nyl; ++j) {
    for (std::size_t i = 0; i + 1 < nxl; ++i) {
      add_segment(j * nxl + i, j * nxl + i + 1, g.y_line_class[j],
                  g.x_line_m[i + 1] - g.x_line_m[i]);
    }
  }
  for (std::size_t i = 0; i < nxl; ++i) {
    for (std::size_t j = 0; j + 1 < nyl; ++j) {
      add_segment(j * nxl + i, (j + 1) * nxl + i, g.x_line_class[i],
                  g.y_line_m[j + 1] - g.y_line_m[j]);
    }
  }
}

// zone names with at least two digits: zone_01, zone_02, ..., zone_100
std::string zone_name(std::int64_t zone_id) {
  std::string digits = std::to_string(zone_id);
  if (digits.size() < 2) digits.insert(0, 2 - digits.size(), '0');
  return "zone_" + digits;
}

void build_blocks_and_zones(const Grid& g, City& city) {
  // blocks: the buildable boxes, parks included
  Blocks& b = city.blocks;
  for (const BlockPlan& p : g.blocks) {
    b.min_x_m.push_back(p.inner.x0_m);
    b.min_y_m.push_back(p.inner.y0_m);
    b.max_x_m.push_back(p.inner.x1_m);
    b.max_y_m.push_back(p.inner.y1_m);
    b.zone_idx.push_back(p.zone_idx);
  }

  // zones: street axis to street axis around their blocks
  Zones& z = city.zones;
  for (std::int32_t zj = 0; zj < g.nzy; ++zj) {
    for (std::int32_t zi = 0; zi < g.nzx; ++zi) {
      const auto i0 = static_cast<std::size_t>(zi) * static_cast<std::size_t>(g.zone_blocks);
      const auto j0 = static_cast<std::size_t>(zj) * static_cast<std::size_t>(g.zone_blocks);
      const auto i1 = static_cast<std::size_t>(std::min((zi + 1) * g.zone_blocks, g.bx));
      const auto j1 = static_cast<std::size_t>(std::min((zj + 1) * g.zone_blocks, g.by));
      z.zone_id.push_back(static_cast<std::int64_t>(z.zone_id.size()) + 1);
      z.name.push_back(zone_name(z.zone_id.back()));
      z.min_x_m.push_back(g.x_line_m[i0]);
      z.min_y_m.push_back(g.y_line_m[j0]);
      z.max_x_m.push_back(g.x_line_m[i1]);
      z.max_y_m.push_back(g.y_line_m[j1]);
    }
  }
}

// --- buildings and surfaces ---------------------------------------------------------------

/// A 3D point.
struct Point3 {
  double x_m, y_m, z_m;
};

/// Exact sizes of the building and surface columns, for reserving them.
struct Totals {
  std::int64_t buildings = 0, rings = 0, vertices = 0, surfaces = 0, surface_rings = 0,
               surface_vertices = 0;

  void add(const BuildingSpec& b) {
    ++buildings;
    const bool courtyard = b.shape == Shape::kCourtyard;
    rings += courtyard ? 2 : 1;
    const std::int64_t edges = b.n_outer + (courtyard ? 4 : 0);
    vertices += edges;
    switch (b.roof) {
      case RoofShape::kGabled:
        surfaces += 2 + 4 + 1;
        surface_rings += 2 + 4 + 1;
        surface_vertices += 8 + 18 + 4;
        break;
      case RoofShape::kHipped:
        surfaces += 4 + 4 + 1;
        surface_rings += 4 + 4 + 1;
        surface_vertices += 14 + 16 + 4;
        break;
      default:
        // roof and ground with the courtyard as a hole, one wall per edge
        surfaces += 2 + edges;
        surface_rings += 2 * (courtyard ? 2 : 1) + edges;
        surface_vertices += 2 * edges + 4 * edges;
    }
  }
};

/// Appends buildings and their surfaces to a city.
class CityWriter {
 public:
  CityWriter(City& city, const CityGeneratorOptions& options) : city_(city), options_(options) {}

  void reserve(const Totals& t) {
    Buildings& b = city_.buildings;
    const auto n = static_cast<std::size_t>(t.buildings);
    b.building_id.reserve(n);
    b.height_m.reserve(n);
    b.eaves_height_m.reserve(n);
    b.ground_elevation_m.reserve(n);
    b.footprint_area_m2.reserve(n);
    b.floor_area_m2.reserve(n);
    b.n_floors.reserve(n);
    b.residents.reserve(n);
    b.jobs.reserve(n);
    b.use.reserve(n);
    b.roof_shape.reserve(n);
    b.roof_pitch_deg.reserve(n);
    b.centroid_x_m.reserve(n);
    b.centroid_y_m.reserve(n);
    b.block_idx.reserve(n);
    b.zone_idx.reserve(n);
    b.ring_begin.reserve(n + 1);
    b.vertex_begin.reserve(static_cast<std::size_t>(t.rings) + 1);
    b.vertex_x_m.reserve(static_cast<std::size_t>(t.vertices));
    b.vertex_y_m.reserve(static_cast<std::size_t>(t.vertices));
    Surfaces& s = city_.surfaces;
    const auto ns = static_cast<std::size_t>(t.surfaces);
    const auto nv = static_cast<std::size_t>(t.surface_vertices);
    s.surface_id.reserve(ns);
    s.building_idx.reserve(ns);
    s.type.reserve(ns);
    s.area_m2.reserve(ns);
    s.tilt_deg.reserve(ns);
    s.azimuth_deg.reserve(ns);
    s.ring_begin.reserve(ns + 1);
    s.vertex_begin.reserve(static_cast<std::size_t>(t.surface_rings) + 1);
    s.vertex_x_m.reserve(nv);
    s.vertex_y_m.reserve(nv);
    s.vertex_z_m.reserve(nv);
  }

  void add(const BuildingSpec& spec, std::int32_t block_idx, std::int32_t zone_idx) {
    Buildings& b = city_.buildings;
    const auto building_idx = static_cast<std::int32_t>(b.building_id.size());

    // footprint rings
    const auto n_outer = static_cast<std::size_t>(spec.n_outer);
    for (std::size_t i = 0; i < n_outer; ++i) {
      b.vertex_x_m.push_back(spec.x_m[i]);
      b.vertex_y_m.push_back(spec.y_m[i]);
    }
    b.vertex_begin.push_back(static_cast<std::int64_t>(b.vertex_x_m.size()));
    const bool courtyard = spec.shape == Shape::kCourtyard;
    if (courtyard) {
      for (std::size_t i = 0; i < 4; ++i) {
        b.vertex_x_m.push_back(spec.hole_x_m[i]);
        b.vertex_y_m.push_back(spec.hole_y_m[i]);
      }
      b.vertex_begin.push_back(static_cast<std::int64_t>(b.vertex_x_m.size()));
    }
    b.ring_begin.push_back(static_cast<std::int64_t>(b.vertex_begin.size()) - 1);

    // area and centroid (shoelace, relative to the first vertex for precision)
    const double rx_m = spec.x_m[0];
    const double ry_m = spec.y_m[0];
    double twice_area_m2 = 0.0;
    double cx_sum = 0.0;
    double cy_sum = 0.0;
    const auto accumulate = [&](const double* xs, const double* ys, std::size_t n) {
      for (std::size_t i = 0; i < n; ++i) {
        const std::size_t k = (i + 1) % n;
        const double xi = xs[i] - rx_m;
        const double yi = ys[i] - ry_m;
        const double xk = xs[k] - rx_m;
        const double yk = ys[k] - ry_m;
        const double cross = xi * yk - xk * yi;
        twice_area_m2 += cross;
        cx_sum += (xi + xk) * cross;
        cy_sum += (yi + yk) * cross;
      }
    };
    accumulate(spec.x_m.data(), spec.y_m.data(), n_outer);
    if (courtyard) accumulate(spec.hole_x_m.data(), spec.hole_y_m.data(), 4);
    const double area_m2 = 0.5 * twice_area_m2;
    const double centroid_x_m = rx_m + cx_sum / (3.0 * twice_area_m2);
    const double centroid_y_m = ry_m + cy_sum / (3.0 * twice_area_m2);

    // heights: eaves from the storeys, ridge from the span and pitch
    const double ground_m = city_.terrain.elevation_at(centroid_x_m, centroid_y_m);
    const double eaves_m = spec.n_floors * spec.storey_height_m;
    double ridge_rise_m = 0.0;
    if (spec.roof == RoofShape::kGabled || spec.roof == RoofShape::kHipped) {
      const double span_m = std::hypot(spec.x_m[3] - spec.x_m[0], spec.y_m[3] - spec.y_m[0]);
      ridge_rise_m = 0.5 * span_m * std::tan(spec.pitch_deg / kDegPerRad);
    }

    // attributes, people and jobs
    const double floor_m2 = spec.n_floors * area_m2;
    b.building_id.push_back(static_cast<std::int64_t>(building_idx) + 1);
    b.height_m.push_back(eaves_m + ridge_rise_m);
    b.eaves_height_m.push_back(eaves_m);
    b.ground_elevation_m.push_back(ground_m);
    b.footprint_area_m2.push_back(area_m2);
    b.floor_area_m2.push_back(floor_m2);
    b.n_floors.push_back(spec.n_floors);
    b.residents.push_back(0);
    b.jobs.push_back(0);
    b.use.push_back(spec.use);
    b.roof_shape.push_back(spec.roof);
    b.roof_pitch_deg.push_back(spec.pitch_deg);
    b.centroid_x_m.push_back(centroid_x_m);
    b.centroid_y_m.push_back(centroid_y_m);
    b.block_idx.push_back(block_idx);
    b.zone_idx.push_back(zone_idx);
    set_occupancy(static_cast<std::size_t>(building_idx));

    // surfaces
    add_surfaces(spec, building_idx, ground_m, ground_m + eaves_m,
                 ground_m + eaves_m + ridge_rise_m);
  }

  // residents and jobs of building b from its use and floor area (docs/city.md#occupancy)
  void set_occupancy(std::size_t b) {
    Buildings& bl = city_.buildings;
    const double footprint_m2 = bl.footprint_area_m2[b];
    const double floor_m2 = bl.floor_area_m2[b];
    double residents = 0.0;
    double jobs = 0.0;
    switch (bl.use[b]) {
      case BuildingUse::kResidential:
        residents = floor_m2 * options_.residents_per_m2;
        break;
      case BuildingUse::kMixed:
        residents = (floor_m2 - footprint_m2) * options_.residents_per_m2;
        jobs = footprint_m2 * options_.jobs_per_m2;
        break;
      case BuildingUse::kSchool:
        jobs = floor_m2 * kSchoolPlacesPerM2;
        break;
      default:
        jobs = floor_m2 * options_.jobs_per_m2;
        break;
    }
    bl.residents[b] = static_cast<std::int32_t>(std::lround(residents));
    bl.jobs[b] = static_cast<std::int32_t>(std::lround(jobs));
  }

 private:
  // one planar polygon, optionally with one hole (clockwise seen from outside); area, tilt and
  // azimuth from its Newell normal, the hole's (opposite) normal included
  void add_surface(SurfaceType type, std::int32_t building_idx, const Point3* p, std::size_t n,
                   const Point3* hole = nullptr, std::size_t n_hole = 0) {
    Surfaces& s = city_.surfaces;
    const auto from_first = [&](const Point3& q) {
      return Point3{q.x_m - p[0].x_m, q.y_m - p[0].y_m, q.z_m - p[0].z_m};
    };
    double nx = 0.0;
    double ny = 0.0;
    double nz = 0.0;
    const auto add_cross = [&](const Point3& a, const Point3& b) {
      nx += a.y_m * b.z_m - a.z_m * b.y_m;
      ny += a.z_m * b.x_m - a.x_m * b.z_m;
      nz += a.x_m * b.y_m - a.y_m * b.x_m;
    };
    for (std::size_t i = 1; i + 1 < n; ++i) add_cross(from_first(p[i]), from_first(p[i + 1]));
    for (std::size_t i = 0; i < n_hole; ++i) {
      add_cross(from_first(hole[i]), from_first(hole[(i + 1) % n_hole]));
    }
    const double horizontal = std::hypot(nx, ny);
    const double length = std::hypot(horizontal, nz);
    double tilt_deg = std::atan2(horizontal, nz) * kDegPerRad;
    double azimuth_deg = 0.0;
    if (horizontal <= 1e-12 * length) {
      // horizontal surface: straight up or down, azimuth 0 by convention
      tilt_deg = nz > 0.0 ? 0.0 : 180.0;
    } else {
      azimuth_deg = std::atan2(nx, ny) * kDegPerRad;
      if (azimuth_deg < 0.0) azimuth_deg += 360.0;
      if (azimuth_deg >= 360.0 || azimuth_deg == 0.0) azimuth_deg = 0.0;
    }
    s.surface_id.push_back(static_cast<std::int64_t>(s.surface_id.size()) + 1);
    s.building_idx.push_back(building_idx);
    s.type.push_back(type);
    s.area_m2.push_back(0.5 * length);
    s.tilt_deg.push_back(tilt_deg);
    s.azimuth_deg.push_back(azimuth_deg);
    const auto add_ring = [&](const Point3* ring, std::size_t n_ring) {
      for (std::size_t i = 0; i < n_ring; ++i) {
        s.vertex_x_m.push_back(ring[i].x_m);
        s.vertex_y_m.push_back(ring[i].y_m);
        s.vertex_z_m.push_back(ring[i].z_m);
      }
      s.vertex_begin.push_back(static_cast<std::int64_t>(s.vertex_x_m.size()));
    };
    add_ring(p, n);
    if (n_hole > 0) add_ring(hole, n_hole);
    s.ring_begin.push_back(static_cast<std::int64_t>(s.vertex_begin.size()) - 1);
  }

  // one wall per edge of a ring, counter-clockwise seen from outside
  void add_walls(std::int32_t building_idx, const double* xs, const double* ys, std::size_t n,
                 double ground_m, double top_m) {
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t k = (i + 1) % n;
      const std::array<Point3, 4> wall{Point3{xs[i], ys[i], ground_m},
                                       Point3{xs[k], ys[k], ground_m}, Point3{xs[k], ys[k], top_m},
                                       Point3{xs[i], ys[i], top_m}};
      add_surface(SurfaceType::kWall, building_idx, wall.data(), wall.size());
    }
  }

  // a horizontal polygon with an optional hole: as given (outer counter-clockwise from above,
  // hole clockwise) for a roof, both rings reversed for a ground
  void add_flat(SurfaceType type, std::int32_t building_idx, const double* xs, const double* ys,
                std::size_t n, double z_m, const double* hole_xs = nullptr,
                const double* hole_ys = nullptr, std::size_t n_hole = 0) {
    const auto fill = [&](const double* rx, const double* ry, std::size_t n_ring, Point3* out) {
      for (std::size_t i = 0; i < n_ring; ++i) {
        const std::size_t src = type == SurfaceType::kGround ? n_ring - 1 - i : i;
        out[i] = Point3{rx[src], ry[src], z_m};
      }
    };
    std::array<Point3, 6> poly{};
    std::array<Point3, 4> hole{};
    fill(xs, ys, n, poly.data());
    if (n_hole > 0) fill(hole_xs, hole_ys, n_hole, hole.data());
    add_surface(type, building_idx, poly.data(), n, hole.data(), n_hole);
  }

  void add_surfaces(const BuildingSpec& spec, std::int32_t building_idx, double ground_m,
                    double eaves_m, double ridge_m) {
    const auto n_outer = static_cast<std::size_t>(spec.n_outer);
    const double* xs = spec.x_m.data();
    const double* ys = spec.y_m.data();
    const auto corner = [&](std::size_t i, double z_m) { return Point3{xs[i], ys[i], z_m}; };
    const auto mid = [&](std::size_t i, std::size_t k, double z_m) {
      return Point3{0.5 * (xs[i] + xs[k]), 0.5 * (ys[i] + ys[k]), z_m};
    };

    if (spec.roof == RoofShape::kGabled) {
      // two planes meeting at a ridge along the first edge; the end walls carry the gables
      const Point3 m0 = mid(3, 0, ridge_m);
      const Point3 m1 = mid(1, 2, ridge_m);
      const std::array<Point3, 4> front{corner(0, eaves_m), corner(1, eaves_m), m1, m0};
      const std::array<Point3, 4> back{corner(2, eaves_m), corner(3, eaves_m), m0, m1};
      add_surface(SurfaceType::kRoof, building_idx, front.data(), 4);
      add_surface(SurfaceType::kRoof, building_idx, back.data(), 4);
      const std::array<Point3, 4> wall0{corner(0, ground_m), corner(1, ground_m),
                                        corner(1, eaves_m), corner(0, eaves_m)};
      const std::array<Point3, 5> wall1{corner(1, ground_m), corner(2, ground_m),
                                        corner(2, eaves_m), m1, corner(1, eaves_m)};
      const std::array<Point3, 4> wall2{corner(2, ground_m), corner(3, ground_m),
                                        corner(3, eaves_m), corner(2, eaves_m)};
      const std::array<Point3, 5> wall3{corner(3, ground_m), corner(0, ground_m),
                                        corner(0, eaves_m), m0, corner(3, eaves_m)};
      add_surface(SurfaceType::kWall, building_idx, wall0.data(), 4);
      add_surface(SurfaceType::kWall, building_idx, wall1.data(), 5);
      add_surface(SurfaceType::kWall, building_idx, wall2.data(), 4);
      add_surface(SurfaceType::kWall, building_idx, wall3.data(), 5);
      add_flat(SurfaceType::kGround, building_idx, xs, ys, 4, ground_m);
      return;
    }

    if (spec.roof == RoofShape::kHipped) {
      // two trapezoids along the long sides, two triangles over the short ones, same pitch
      const double long_m = std::hypot(xs[1] - xs[0], ys[1] - ys[0]);
      const double half_span_m = 0.5 * std::hypot(xs[3] - xs[0], ys[3] - ys[0]);
      const double ux = (xs[1] - xs[0]) / long_m;
      const double uy = (ys[1] - ys[0]) / long_m;
      const Point3 m0 = mid(3, 0, ridge_m);
      const Point3 m1 = mid(1, 2, ridge_m);
      const Point3 r0{m0.x_m + half_span_m * ux, m0.y_m + half_span_m * uy, ridge_m};
      const Point3 r1{m1.x_m - half_span_m * ux, m1.y_m - half_span_m * uy, ridge_m};
      const std::array<Point3, 4> front{corner(0, eaves_m), corner(1, eaves_m), r1, r0};
      const std::array<Point3, 3> right{corner(1, eaves_m), corner(2, eaves_m), r1};
      const std::array<Point3, 4> back{corner(2, eaves_m), corner(3, eaves_m), r0, r1};
      const std::array<Point3, 3> left{corner(3, eaves_m), corner(0, eaves_m), r0};
      add_surface(SurfaceType::kRoof, building_idx, front.data(), 4);
      add_surface(SurfaceType::kRoof, building_idx, right.data(), 3);
      add_surface(SurfaceType::kRoof, building_idx, back.data(), 4);
      add_surface(SurfaceType::kRoof, building_idx, left.data(), 3);
      add_walls(building_idx, xs, ys, 4, ground_m, eaves_m);
      add_flat(SurfaceType::kGround, building_idx, xs, ys, 4, ground_m);
      return;
    }

    if (spec.shape == Shape::kCourtyard) {
      // flat roof and ground with the courtyard as a hole; walls outside and around the courtyard
      const double* hx = spec.hole_x_m.data();
      const double* hy = spec.hole_y_m.data();
      add_flat(SurfaceType::kRoof, building_idx, xs, ys, 4, eaves_m, hx, hy, 4);
      add_walls(building_idx, xs, ys, 4, ground_m, eaves_m);
      add_walls(building_idx, hx, hy, 4, ground_m, eaves_m);
      add_flat(SurfaceType::kGround, building_idx, xs, ys, 4, ground_m, hx, hy, 4);
      return;
    }

    // flat roof on a simple polygon
    add_flat(SurfaceType::kRoof, building_idx, xs, ys, n_outer, eaves_m);
    add_walls(building_idx, xs, ys, n_outer, ground_m, eaves_m);
    add_flat(SurfaceType::kGround, building_idx, xs, ys, n_outer, ground_m);
  }

  City& city_;
  const CityGeneratorOptions& options_;
};

// schools: about one per kResidentsPerSchool residents of each zone, in its larger dwellings
void place_schools(City& city, CityWriter& writer) {
  Buildings& b = city.buildings;
  const auto n_zones = static_cast<std::size_t>(city.zones.size());
  std::vector<double> residents(n_zones, 0.0);
  std::vector<std::vector<std::size_t>> large(n_zones);  // dwellings of a school's footprint
  std::vector<std::vector<std::size_t>> small(n_zones);  // smaller dwellings
  for (std::size_t i = 0; i < b.building_id.size(); ++i) {
    const auto z = static_cast<std::size_t>(b.zone_idx[i]);
    residents[z] += b.residents[i];
    if (b.use[i] != BuildingUse::kResidential && b.use[i] != BuildingUse::kMixed) continue;
    const double area_m2 = b.footprint_area_m2[i];
    if (area_m2 > kSchoolMaxFootprintM2) continue;
    (area_m2 >= kSchoolMinFootprintM2 ? large : small)[z].push_back(i);
  }
  const auto make_school = [&](std::size_t i) {
    b.use[i] = BuildingUse::kSchool;
    writer.set_occupancy(i);
  };
  const auto larger = [&](std::size_t i, std::size_t k) {
    return b.footprint_area_m2[i] > b.footprint_area_m2[k] ||
           (b.footprint_area_m2[i] == b.footprint_area_m2[k] && i < k);
  };

  // schools per zone: the running total of residents / kResidentsPerSchool, rounded, so that
  // small zones share schools and the city gets round(residents / kResidentsPerSchool), at least 1
  std::vector<std::size_t> wanted(n_zones, 0);
  double running = 0.5;
  for (std::size_t z = 0; z < n_zones; ++z) {
    const double before = std::floor(running);
    running += residents[z] / kResidentsPerSchool;
    wanted[z] = static_cast<std::size_t>(std::floor(running) - before);
  }
  if (std::floor(running) < 1.0 && n_zones > 0) {
    ++wanted[static_cast<std::size_t>(std::max_element(residents.begin(), residents.end()) -
                                      residents.begin())];
  }

  for (std::size_t z = 0; z < n_zones; ++z) {
    // evenly spaced large dwellings (buildings are in block order, so spread over the zone)
    const std::size_t n_large = large[z].size();
    const std::size_t n = std::min(wanted[z], n_large);
    for (std::size_t m = 0; m < n; ++m) make_school(large[z][(2 * m + 1) * n_large / (2 * n)]);
    // then the largest of the smaller dwellings
    const std::size_t rest = std::min(wanted[z] - n, small[z].size());
    std::partial_sort(small[z].begin(), small[z].begin() + static_cast<std::ptrdiff_t>(rest),
                      small[z].end(), larger);
    for (std::size_t m = 0; m < rest; ++m) make_school(small[z][m]);
  }
}

// "45.764" rather than "45.764000": shortest round-trip decimal
std::string format_deg(double value_deg) {
  std::array<char, 32> buffer{};
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value_deg);
  return {buffer.data(), result.ptr};
}

void validate(const CityGeneratorOptions& o) {
  const auto fail = [](const std::string& what) { throw std::invalid_argument(what); };
  if (o.n_buildings < 1 || o.n_buildings > kMaxBuildings) {
    fail("n_buildings must be in [1, " + std::to_string(kMaxBuildings) + "], got " +
         std::to_string(o.n_buildings));
  }
  if (!(o.block_size_m >= kMinBlockM && o.block_size_m <= kMaxBlockM)) {
    fail("block_size_m must be in [50, 500] m, got " + std::to_string(o.block_size_m));
  }
  if (o.arterial_every < 1) {
    fail("arterial_every must be >= 1, got " + std::to_string(o.arterial_every));
  }
  if (!(o.origin_lat_deg >= -85.0 && o.origin_lat_deg <= 85.0)) {
    fail("origin_lat_deg must be in [-85, 85], got " + std::to_string(o.origin_lat_deg));
  }
  if (!(o.origin_lon_deg >= -180.0 && o.origin_lon_deg <= 180.0)) {
    fail("origin_lon_deg must be in [-180, 180], got " + std::to_string(o.origin_lon_deg));
  }
  if (!(o.terrain_relief_m >= 0.0 && o.terrain_relief_m <= 1000.0)) {
    fail("terrain_relief_m must be in [0, 1000] m, got " + std::to_string(o.terrain_relief_m));
  }
  if (!(o.residents_per_m2 >= 0.0 && o.residents_per_m2 <= 1.0)) {
    fail("residents_per_m2 must be in [0, 1], got " + std::to_string(o.residents_per_m2));
  }
  if (!(o.jobs_per_m2 >= 0.0 && o.jobs_per_m2 <= 1.0)) {
    fail("jobs_per_m2 must be in [0, 1], got " + std::to_string(o.jobs_per_m2));
  }
}

}  // namespace

City generate_city(const CityGeneratorOptions& options) {
  validate(options);

  // grid of blocks holding exactly n_buildings
  Grid grid = size_grid(options);

  // identity, terrain, streets, blocks, zones
  City city;
  city.name = "generated";
  city.origin_lat_deg = options.origin_lat_deg;
  city.origin_lon_deg = options.origin_lon_deg;
  city.crs = "+proj=tmerc +lat_0=" + format_deg(options.origin_lat_deg) +
             " +lon_0=" + format_deg(options.origin_lon_deg) +
             " +k=1 +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs";
  city.terrain = make_terrain(grid, options);
  build_streets(grid, city);
  build_blocks_and_zones(grid, city);

  // exact column sizes, then the buildings and their surfaces block by block
  Scratch scratch;
  Totals totals;
  for (std::size_t idx = 0; idx < grid.blocks.size(); ++idx) {
    Rng rng = rng_for(options.seed, stream_id("city.block"), idx, 0);
    auto count = [&totals](const BuildingSpec& b) { totals.add(b); };
    plan_block(grid.blocks[idx], rng, scratch, count);
  }
  CityWriter writer(city, options);
  writer.reserve(totals);
  for (std::size_t idx = 0; idx < grid.blocks.size(); ++idx) {
    Rng rng = rng_for(options.seed, stream_id("city.block"), idx, 0);
    const BlockPlan& block = grid.blocks[idx];
    auto write = [&](const BuildingSpec& b) {
      writer.add(b, static_cast<std::int32_t>(idx), block.zone_idx);
    };
    plan_block(block, rng, scratch, write);
  }
  CITYTWIN_CHECK(city.buildings.size() == options.n_buildings,
                 "generated " + std::to_string(city.buildings.size()) + " buildings, expected " +
                     std::to_string(options.n_buildings));
  place_schools(city, writer);

  city.index_ids();
  city.check_consistency();
  return city;
}

}  // namespace citytwin::sim
