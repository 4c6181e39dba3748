#include "city3d_builder.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <limits>
#include <memory>
#include <numbers>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <proj.h>

#include <citytwin/sim/error.hpp>

// Rules and thresholds: docs/models/solar.md#3d-city-mesh.
namespace citytwin::solar {

namespace {

constexpr double kDegPerRad = 180.0 / std::numbers::pi;
constexpr double kMinAreaM2 = 1e-4;          // [m2] smaller polygons and holes are dropped
constexpr double kRoofMaxTiltDeg = 60.0;     // [deg] unsemantic polygons below are roofs
constexpr double kWallMaxOffDeg = 30.0;      // [deg] unsemantic polygons this near vertical: walls
constexpr double kFlatRoofMaxTiltDeg = 5.0;  // [deg] roofs all below this make a flat roof
constexpr double kMinVolumeM3 = 0.01;        // [m3] shells enclosing less are open surfaces
constexpr double kWallProbeM = 0.05;         // [m] step in front of a wall to test its facing
constexpr double kSchoolPlacesPerM2 = 1.0 / 10.0;  // [m-2] as the city generator

using detail::Point3;
using detail::Ring3;

/// A 3D vector.
struct Vec3 {
  double x = 0.0, y = 0.0, z = 0.0;
};

double length(const Vec3& v) { return std::sqrt(v.x * v.x + v.y * v.y + v.z * v.z); }

// Newell normal of a ring (twice its vector area), relative to `ref` for precision
Vec3 newell(const Ring3& ring, const Point3& ref) {
  Vec3 n;
  const std::size_t count = ring.size();
  for (std::size_t i = 0; i < count; ++i) {
    const Point3& a = ring[i];
    const Point3& b = ring[(i + 1) % count];
    const double ay = a.y_m - ref.y_m, az = a.z_m - ref.z_m, ax = a.x_m - ref.x_m;
    const double by = b.y_m - ref.y_m, bz = b.z_m - ref.z_m, bx = b.x_m - ref.x_m;
    n.x += (ay - by) * (az + bz);
    n.y += (az - bz) * (ax + bx);
    n.z += (ax - bx) * (ay + by);
  }
  return n;
}

// drops the closing vertex and consecutive duplicates; false when < 3 distinct vertices remain
bool clean_ring(Ring3& ring) {
  const auto same = [](const Point3& a, const Point3& b) {
    return a.x_m == b.x_m && a.y_m == b.y_m && a.z_m == b.z_m;
  };
  Ring3 out;
  out.reserve(ring.size());
  for (const Point3& p : ring) {
    if (out.empty() || !same(out.back(), p)) out.push_back(p);
  }
  while (out.size() > 1 && same(out.front(), out.back())) out.pop_back();
  ring = std::move(out);
  return ring.size() >= 3;
}

// tilt from vertical and azimuth east of north of a normal (0 azimuth when horizontal)
void tilt_azimuth(const Vec3& n, double& tilt_deg, double& azimuth_deg) {
  const double horizontal = std::hypot(n.x, n.y);
  const double len = std::hypot(horizontal, n.z);
  tilt_deg = std::atan2(horizontal, n.z) * kDegPerRad;
  azimuth_deg = 0.0;
  if (horizontal <= 1e-12 * len) {
    tilt_deg = n.z > 0.0 ? 0.0 : 180.0;
    return;
  }
  azimuth_deg = std::atan2(n.x, n.y) * kDegPerRad;
  if (azimuth_deg < 0.0) azimuth_deg += 360.0;
  if (azimuth_deg >= 360.0) azimuth_deg = 0.0;
}

// lower-case copy
std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// signed area of a 2D ring (x, y of the points), relative to its first vertex
double signed_area_xy(const Ring3& ring) {
  double twice = 0.0;
  const Point3& r = ring.front();
  for (std::size_t i = 0; i < ring.size(); ++i) {
    const Point3& a = ring[i];
    const Point3& b = ring[(i + 1) % ring.size()];
    twice += (a.x_m - r.x_m) * (b.y_m - r.y_m) - (b.x_m - r.x_m) * (a.y_m - r.y_m);
  }
  return 0.5 * twice;
}

// convex hull of the points' (x, y), counter-clockwise (Andrew's monotone chain)
Ring3 convex_hull_xy(std::vector<Point3> points) {
  std::sort(points.begin(), points.end(), [](const Point3& a, const Point3& b) {
    return a.x_m < b.x_m || (a.x_m == b.x_m && a.y_m < b.y_m);
  });
  const auto cross = [](const Point3& o, const Point3& a, const Point3& b) {
    return (a.x_m - o.x_m) * (b.y_m - o.y_m) - (a.y_m - o.y_m) * (b.x_m - o.x_m);
  };
  Ring3 hull(2 * points.size() + 1);
  std::size_t k = 0;
  for (const Point3& p : points) {
    while (k >= 2 && cross(hull[k - 2], hull[k - 1], p) <= 0.0) --k;
    hull[k++] = p;
  }
  const std::size_t lower_size = k + 1;
  for (std::size_t i = points.size(); i-- > 1;) {
    const Point3& p = points[i - 1];
    while (k >= lower_size && cross(hull[k - 2], hull[k - 1], p) <= 0.0) --k;
    hull[k++] = p;
  }
  hull.resize(k > 1 ? k - 1 : k);
  return hull;
}

/// A PROJ context and objects freed on scope exit.
struct ProjContext {
  PJ_CONTEXT* ctx = proj_context_create();
  ~ProjContext() { proj_context_destroy(ctx); }
  ProjContext() = default;
  ProjContext(const ProjContext&) = delete;
  ProjContext& operator=(const ProjContext&) = delete;
};
struct PjDeleter {
  void operator()(PJ* pj) const { proj_destroy(pj); }
};
using PjPtr = std::unique_ptr<PJ, PjDeleter>;

// the horizontal sub-CRS of a compound CRS, else the CRS itself
PjPtr horizontal_part(PJ_CONTEXT* ctx, const std::string& crs) {
  PjPtr pj(proj_create(ctx, crs.c_str()));
  if (!pj) throw std::invalid_argument("crs: PROJ does not know '" + crs + "'");
  if (proj_get_type(pj.get()) == PJ_TYPE_COMPOUND_CRS) {
    PjPtr sub(proj_crs_get_sub_crs(ctx, pj.get(), 0));
    if (sub) return sub;
  }
  return pj;
}

}  // namespace

std::string ReadReport::summary() const {
  const std::vector<std::pair<const char*, std::int64_t>> rows{
      {"objects in the file", n_objects},
      {"buildings", n_buildings},
      {"building parts merged", n_parts_merged},
      {"non-building objects ignored", n_non_building},
      {"roof surfaces", n_roof},
      {"wall surfaces", n_wall},
      {"ground surfaces", n_ground},
      {"surfaces with holes", n_with_holes},
      {"polygons classified by normal", n_classified_by_normal},
      {"polygons of other semantic types skipped", n_semantic_skipped},
      {"degenerate rings dropped", n_degenerate},
      {"rings reoriented", n_reoriented},
      {"heights from HAUTEUR", n_height_from_hauteur},
      {"heights from NB_ETAGES", n_from_floors},
      {"heights from the default", n_default},
      {"bases from vertex z minus height", n_base_from_vertices},
      {"bases at 0 m", n_base_zero},
      {"floor counts estimated", n_floors_estimated},
      {"footprints from the convex hull", n_footprint_from_hull},
      {"buildings skipped", n_skipped},
  };
  std::string out;
  for (const auto& [name, value] : rows)
    out += std::string(name) + ": " + std::to_string(value) + "\n";
  for (const std::string& reason : skip_reasons) out += "  skipped " + reason + "\n";
  return out;
}

std::string normalize_crs(std::string_view crs) {
  // URL form: .../def/crs/EPSG/0/7415
  const std::string text(crs);
  const std::string lowered = lower(text);
  if (const auto at = lowered.find("/crs/epsg/"); at != std::string::npos) {
    const auto code = text.rfind('/');
    return "EPSG:" + text.substr(code + 1);
  }
  // URN form: urn:ogc:def:crs:EPSG::7415 (or with a version between the colons)
  if (lowered.rfind("urn:ogc:def:crs:epsg:", 0) == 0) {
    return "EPSG:" + text.substr(text.rfind(':') + 1);
  }
  if (lowered.rfind("epsg:", 0) == 0) return "EPSG:" + text.substr(5);
  return text;
}

std::string horizontal_crs(const std::string& crs) {
  const std::string normal = normalize_crs(crs);
  ProjContext proj;
  const PjPtr pj = horizontal_part(proj.ctx, normal);
  const char* auth = proj_get_id_auth_name(pj.get(), 0);
  const char* code = proj_get_id_code(pj.get(), 0);
  if (auth == nullptr || code == nullptr) return normal;
  return std::string(auth) + ":" + code;
}

LatLon to_lat_lon(const std::string& crs, double x_m, double y_m) {
  // source CRS (horizontal part) to WGS 84, in longitude/latitude order
  ProjContext proj;
  const PjPtr source = horizontal_part(proj.ctx, normalize_crs(crs));
  const PjPtr target(proj_create(proj.ctx, "EPSG:4326"));
  const PjPtr raw(
      proj_create_crs_to_crs_from_pj(proj.ctx, source.get(), target.get(), nullptr, nullptr));
  if (!raw) throw std::invalid_argument("crs: PROJ cannot transform '" + crs + "' to EPSG:4326");
  const PjPtr transform(proj_normalize_for_visualization(proj.ctx, raw.get()));
  if (!transform) throw std::invalid_argument("crs: PROJ cannot normalise '" + crs + "'");

  // one point
  const PJ_COORD out = proj_trans(transform.get(), PJ_FWD, proj_coord(x_m, y_m, 0.0, 0.0));
  if (!std::isfinite(out.lp.lam) || !std::isfinite(out.lp.phi) || std::abs(out.lp.phi) > 90.0) {
    throw std::invalid_argument("crs: PROJ cannot transform (" + std::to_string(x_m) + ", " +
                                std::to_string(y_m) + ") from '" + crs + "'");
  }
  return LatLon{out.lp.phi, out.lp.lam};
}

namespace detail {

std::string read_text_file(const std::filesystem::path& path, std::string_view kind) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw InputError(InputIssue{path.string(), 0, 0, "",
                                "cannot open the " + std::string(kind) + " file; check the path"});
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void line_column(std::string_view text, std::size_t offset, int& line, int& column) {
  line = 1;
  column = 1;
  const std::size_t end = std::min(offset, text.size());
  for (std::size_t i = 0; i < end; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
}

sim::BuildingUse map_use(const std::string& use) {
  using sim::BuildingUse;
  const std::string w = lower(use);
  if (w.empty()) return BuildingUse::kOther;

  // numeric codes: CityGML/AdV 4-digit function codes ("31001_1000"), Finnish 3-digit classes
  std::string digits = w.substr(w.rfind('_') == std::string::npos ? 0 : w.rfind('_') + 1);
  const bool numeric = !digits.empty() && std::all_of(digits.begin(), digits.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) != 0;
  });
  if (numeric && digits.size() == 4) {
    const int code = std::stoi(digits);
    if (code >= 1000 && code < 1100) return BuildingUse::kResidential;
    if (code >= 1100 && code < 2000) return BuildingUse::kMixed;
    if (code >= 2020 && code < 2030) return BuildingUse::kOffice;
    if (code >= 2000 && code < 2100) return BuildingUse::kCommercial;
    if (code >= 2100 && code < 3000) return BuildingUse::kIndustrial;
    if (code >= 3020 && code < 3030) return BuildingUse::kSchool;
    if (code >= 3000 && code < 4000) return BuildingUse::kPublic;
    return BuildingUse::kOther;
  }
  if (numeric && digits.size() == 3) {
    switch (digits[0]) {
      case '0':
        return BuildingUse::kResidential;
      case '1':
        return digits[1] == '5' ? BuildingUse::kOffice : BuildingUse::kCommercial;
      case '3':
        return BuildingUse::kPublic;
      case '5':
        return BuildingUse::kSchool;
      case '6':
      case '7':
        return BuildingUse::kIndustrial;
      default:
        return BuildingUse::kOther;
    }
  }

  // words (English, French BD TOPO USAGE1, Finnish)
  const auto has = [&w](const char* word) { return w.find(word) != std::string::npos; };
  if (w == "mixed") return BuildingUse::kMixed;  // sim::building_use_names()
  if (has("résidentiel") || has("residential") || has("asuin")) return BuildingUse::kResidential;
  if (has("commerc") || has("retail") || has("shop")) return BuildingUse::kCommercial;
  if (has("office") || has("bureau")) return BuildingUse::kOffice;
  if (has("industri")) return BuildingUse::kIndustrial;
  if (has("school") || has("enseignement") || has("scolaire")) return BuildingUse::kSchool;
  if (has("religi") || has("sporti") || has("public") || has("administrati")) {
    return BuildingUse::kPublic;
  }
  return BuildingUse::kOther;
}

sim::RoofShape map_roof(const std::string& roof_type, bool* known) {
  using sim::RoofShape;
  *known = false;
  if (roof_type.empty()) return RoofShape::kOther;

  // every ';'-separated entry must agree
  RoofShape shape = RoofShape::kOther;
  std::size_t start = 0;
  bool first = true;
  while (start <= roof_type.size()) {
    const std::size_t end = std::min(roof_type.find(';', start), roof_type.size());
    const std::string entry = lower(roof_type.substr(start, end - start));
    RoofShape one = RoofShape::kOther;
    if (entry == "1000" || entry == "flat") {
      one = RoofShape::kFlat;
    } else if (entry == "1010" || entry == "shed" || entry == "monopitch") {
      one = RoofShape::kShed;
    } else if (entry == "1030" || entry == "gabled") {
      one = RoofShape::kGabled;
    } else if (entry == "1040" || entry == "hipped") {
      one = RoofShape::kHipped;
    }
    if (!first && one != shape) return RoofShape::kOther;
    shape = one;
    first = false;
    start = end + 1;
  }
  *known = true;
  return shape;
}

CityBuilder::CityBuilder(const City3dOptions& options, ReadReport& report)
    : options_(options), report_(report) {}

void CityBuilder::begin_shell() { shell_closed_.push_back(false); }

void CityBuilder::add_polygon(std::vector<Ring3> rings, Facing facing) {
  if (shell_closed_.empty()) begin_shell();
  pending_.push_back(
      Pending{std::move(rings), facing, static_cast<std::int32_t>(shell_closed_.size()) - 1});
}

void CityBuilder::skip_building(const std::string& source_id, const std::string& reason) {
  pending_.clear();
  shell_closed_.clear();
  ++report_.n_skipped;
  report_.skip_reasons.push_back(source_id + ": " + reason);
}

void CityBuilder::end_building(const BuildingAttributes& attributes) {
  /// A polygon after cleaning, with its normals.
  struct Clean {
    std::vector<Ring3> rings;
    Vec3 normal;  // outer ring's Newell normal
    Facing facing;
    std::int32_t shell;
  };

  // clean the rings; drop degenerate polygons and holes
  std::vector<Clean> polys;
  polys.reserve(pending_.size());
  for (Pending& p : pending_) {
    if (p.rings.empty() || !clean_ring(p.rings[0])) {
      ++report_.n_degenerate;
      continue;
    }
    const Point3 ref = p.rings[0][0];
    const Vec3 n = newell(p.rings[0], ref);
    if (0.5 * length(n) < kMinAreaM2) {
      ++report_.n_degenerate;
      continue;
    }
    std::vector<Ring3> rings{std::move(p.rings[0])};
    for (std::size_t h = 1; h < p.rings.size(); ++h) {
      if (!clean_ring(p.rings[h]) || 0.5 * length(newell(p.rings[h], ref)) < kMinAreaM2) {
        ++report_.n_degenerate;
        continue;
      }
      rings.push_back(std::move(p.rings[h]));
    }
    polys.push_back(Clean{std::move(rings), n, p.facing, p.shell});
  }
  pending_.clear();
  if (polys.empty()) {
    shell_closed_.clear();
    skip_building(attributes.source_id, "no usable polygon at the chosen LoD");
    return;
  }
  const auto reverse = [this](Clean& c) {
    for (Ring3& r : c.rings) std::reverse(r.begin(), r.end());
    c.normal = Vec3{-c.normal.x, -c.normal.y, -c.normal.z};
    report_.n_reoriented += static_cast<std::int64_t>(c.rings.size());
  };

  // whole shells: outward normals give a positive signed volume (divergence theorem; still
  // right for a shell without a floor or with small gaps); a shell enclosing a volume has its
  // walls trusted after this, an open one (no volume) has them tested one by one below
  const Point3 origin = polys.front().rings[0][0];
  for (std::size_t shell = 0; shell < shell_closed_.size(); ++shell) {
    double six_volume = 0.0;
    for (const Clean& c : polys) {
      if (c.shell != static_cast<std::int32_t>(shell)) continue;
      const Point3& p = c.rings[0][0];
      Vec3 n = newell(c.rings[0], p);
      for (std::size_t h = 1; h < c.rings.size(); ++h) {
        const Vec3 nh = newell(c.rings[h], p);
        const double sign = nh.x * n.x + nh.y * n.y + nh.z * n.z > 0.0 ? -1.0 : 1.0;
        n = Vec3{n.x + sign * nh.x, n.y + sign * nh.y, n.z + sign * nh.z};
      }
      six_volume +=
          (p.x_m - origin.x_m) * n.x + (p.y_m - origin.y_m) * n.y + (p.z_m - origin.z_m) * n.z;
    }
    shell_closed_[shell] = std::abs(six_volume) / 6.0 >= kMinVolumeM3;
    if (six_volume >= 0.0 || !shell_closed_[shell]) continue;
    for (Clean& c : polys) {
      if (c.shell == static_cast<std::int32_t>(shell)) reverse(c);
    }
  }

  // polygons without semantics: typed by their normal
  for (Clean& c : polys) {
    if (c.facing != Facing::kUnknown) continue;
    double tilt_deg = 0.0;
    double azimuth_deg = 0.0;
    tilt_azimuth(c.normal, tilt_deg, azimuth_deg);
    if (tilt_deg < kRoofMaxTiltDeg) {
      c.facing = Facing::kRoof;
    } else if (std::abs(tilt_deg - 90.0) < kWallMaxOffDeg) {
      c.facing = Facing::kWall;
    } else {
      c.facing = Facing::kGround;
    }
    ++report_.n_classified_by_normal;
  }

  // building centre in plan: mean of the ground vertices, else of all vertices
  double sum_x = 0.0;
  double sum_y = 0.0;
  double n_points = 0.0;
  for (const bool grounds_only : {true, false}) {
    for (const Clean& c : polys) {
      if (grounds_only && c.facing != Facing::kGround) continue;
      for (const Point3& p : c.rings[0]) {
        sum_x += p.x_m - origin.x_m;
        sum_y += p.y_m - origin.y_m;
        n_points += 1.0;
      }
    }
    if (n_points > 0.0) break;
  }
  const double centre_x_m = origin.x_m + sum_x / n_points;
  const double centre_y_m = origin.y_m + sum_y / n_points;

  // a point in plan is inside the ground polygons (crossing parity over all their rings)
  bool has_ground = false;
  for (const Clean& c : polys) has_ground = has_ground || c.facing == Facing::kGround;
  const auto inside_ground = [&polys](double x, double y) {
    bool inside = false;
    for (const Clean& c : polys) {
      if (c.facing != Facing::kGround) continue;
      for (const Ring3& r : c.rings) {
        for (std::size_t i = 0, j = r.size() - 1; i < r.size(); j = i++) {
          const bool crosses = (r[i].y_m > y) != (r[j].y_m > y);
          if (crosses &&
              x < r[j].x_m + (y - r[j].y_m) * (r[i].x_m - r[j].x_m) / (r[i].y_m - r[j].y_m)) {
            inside = !inside;
          }
        }
      }
    }
    return inside;
  };

  // orientation repair: roofs face up, grounds down, open-shell walls out of the ground
  // footprint (else away from the centre), holes opposite to their outer ring
  for (Clean& c : polys) {
    if (c.facing == Facing::kRoof && c.normal.z < 0.0) reverse(c);
    if (c.facing == Facing::kGround && c.normal.z > 0.0) reverse(c);
    if (c.facing == Facing::kWall && !shell_closed_[static_cast<std::size_t>(c.shell)]) {
      double mx = 0.0;
      double my = 0.0;
      for (const Point3& p : c.rings[0]) {
        mx += p.x_m;
        my += p.y_m;
      }
      mx /= static_cast<double>(c.rings[0].size());
      my /= static_cast<double>(c.rings[0].size());
      const double horizontal = std::hypot(c.normal.x, c.normal.y);
      bool inward = false;
      if (has_ground && horizontal > 0.0) {
        inward = inside_ground(mx + kWallProbeM * c.normal.x / horizontal,
                               my + kWallProbeM * c.normal.y / horizontal);
      } else {
        inward = c.normal.x * (mx - centre_x_m) + c.normal.y * (my - centre_y_m) < 0.0;
      }
      if (inward) reverse(c);
    }
    for (std::size_t h = 1; h < c.rings.size(); ++h) {
      const Vec3 nh = newell(c.rings[h], c.rings[0][0]);
      if (nh.x * c.normal.x + nh.y * c.normal.y + nh.z * c.normal.z > 0.0) {
        std::reverse(c.rings[h].begin(), c.rings[h].end());
        ++report_.n_reoriented;
      }
    }
  }
  shell_closed_.clear();

  // surfaces: area minus holes, tilt, azimuth; building extents from them
  const auto building_idx = static_cast<std::int32_t>(city_.buildings.building_id.size());
  std::vector<std::array<double, 3>> measures;  // area_m2, tilt_deg, azimuth_deg per polygon
  measures.reserve(polys.size());
  double min_z = std::numeric_limits<double>::infinity();
  double max_z = -std::numeric_limits<double>::infinity();
  double min_ground_z = std::numeric_limits<double>::infinity();
  double min_roof_z = std::numeric_limits<double>::infinity();
  double ground_projected_m2 = 0.0;
  double roof_area_m2 = 0.0;
  double roof_projected_m2 = 0.0;
  double roof_tilt_area = 0.0;
  double max_roof_tilt_deg = 0.0;
  const Clean* largest_ground = nullptr;
  double largest_ground_m2 = 0.0;
  for (const Clean& c : polys) {
    double area_m2 = 0.5 * length(c.normal);
    for (std::size_t h = 1; h < c.rings.size(); ++h) {
      area_m2 -= 0.5 * length(newell(c.rings[h], c.rings[0][0]));
    }
    double tilt_deg = 0.0;
    double azimuth_deg = 0.0;
    tilt_azimuth(c.normal, tilt_deg, azimuth_deg);
    double poly_min_z = std::numeric_limits<double>::infinity();
    for (const Ring3& r : c.rings) {
      for (const Point3& p : r) {
        poly_min_z = std::min(poly_min_z, p.z_m);
        max_z = std::max(max_z, p.z_m);
      }
    }
    min_z = std::min(min_z, poly_min_z);
    measures.push_back({area_m2, tilt_deg, azimuth_deg});
    switch (c.facing) {
      case Facing::kRoof:
        min_roof_z = std::min(min_roof_z, poly_min_z);
        roof_area_m2 += area_m2;
        roof_projected_m2 += area_m2 * std::cos(tilt_deg / kDegPerRad);
        roof_tilt_area += area_m2 * tilt_deg;
        max_roof_tilt_deg = std::max(max_roof_tilt_deg, tilt_deg);
        break;
      case Facing::kGround:
        min_ground_z = std::min(min_ground_z, poly_min_z);
        ground_projected_m2 += area_m2 * std::abs(std::cos(tilt_deg / kDegPerRad));
        if (area_m2 > largest_ground_m2) {
          largest_ground_m2 = area_m2;
          largest_ground = &c;
        }
        break;
      default:
        break;
    }
  }

  // footprint: the largest ground polygon seen from above, else the convex hull of all vertices
  std::vector<Ring3> footprint;
  double footprint_m2 = ground_projected_m2;
  if (largest_ground != nullptr) {
    footprint = largest_ground->rings;
  } else {
    std::vector<Point3> all;
    for (const Clean& c : polys) all.insert(all.end(), c.rings[0].begin(), c.rings[0].end());
    footprint.push_back(convex_hull_xy(std::move(all)));
    if (footprint[0].size() < 3 || signed_area_xy(footprint[0]) < kMinAreaM2) {
      skip_building(attributes.source_id, "no ground surface and no footprint area in plan");
      return;
    }
    footprint_m2 = roof_projected_m2 > 0.0 ? roof_projected_m2 : signed_area_xy(footprint[0]);
    ++report_.n_footprint_from_hull;
  }

  // the surfaces
  sim::Surfaces& s = city_.surfaces;
  for (std::size_t k = 0; k < polys.size(); ++k) {
    const Clean& c = polys[k];
    sim::SurfaceType type = sim::SurfaceType::kWall;
    if (c.facing == Facing::kRoof) {
      type = sim::SurfaceType::kRoof;
      ++report_.n_roof;
    } else if (c.facing == Facing::kGround) {
      type = sim::SurfaceType::kGround;
      ++report_.n_ground;
    } else {
      ++report_.n_wall;
    }
    if (c.rings.size() > 1) ++report_.n_with_holes;
    s.surface_id.push_back(static_cast<std::int64_t>(s.surface_id.size()) + 1);
    s.building_idx.push_back(building_idx);
    s.type.push_back(type);
    s.area_m2.push_back(measures[k][0]);
    s.tilt_deg.push_back(measures[k][1]);
    s.azimuth_deg.push_back(measures[k][2]);
    for (const Ring3& r : c.rings) {
      for (const Point3& p : r) {
        s.vertex_x_m.push_back(p.x_m);
        s.vertex_y_m.push_back(p.y_m);
        s.vertex_z_m.push_back(p.z_m);
      }
      s.vertex_begin.push_back(static_cast<std::int64_t>(s.vertex_x_m.size()));
    }
    s.ring_begin.push_back(static_cast<std::int64_t>(s.vertex_begin.size()) - 1);
  }
  for (std::size_t r = 0; r < footprint.size(); ++r) {
    const bool ccw = footprint[r].size() >= 3 && signed_area_xy(footprint[r]) > 0.0;
    if (ccw != (r == 0)) std::reverse(footprint[r].begin(), footprint[r].end());
  }
  sim::Buildings& b = city_.buildings;
  for (const Ring3& r : footprint) {
    for (const Point3& p : r) {
      b.vertex_x_m.push_back(p.x_m);
      b.vertex_y_m.push_back(p.y_m);
    }
    b.vertex_begin.push_back(static_cast<std::int64_t>(b.vertex_x_m.size()));
  }
  b.ring_begin.push_back(static_cast<std::int64_t>(b.vertex_begin.size()) - 1);

  // centroid of the footprint (shoelace over its rings, holes clockwise)
  const Point3 fref = footprint[0][0];
  double twice_area = 0.0;
  double cx_sum = 0.0;
  double cy_sum = 0.0;
  for (const Ring3& r : footprint) {
    for (std::size_t i = 0; i < r.size(); ++i) {
      const double xi = r[i].x_m - fref.x_m, yi = r[i].y_m - fref.y_m;
      const double xk = r[(i + 1) % r.size()].x_m - fref.x_m;
      const double yk = r[(i + 1) % r.size()].y_m - fref.y_m;
      const double cross = xi * yk - xk * yi;
      twice_area += cross;
      cx_sum += (xi + xk) * cross;
      cy_sum += (yi + yk) * cross;
    }
  }
  const bool has_area = std::abs(twice_area) > 0.0;
  const double centroid_x_m = has_area ? fref.x_m + cx_sum / (3.0 * twice_area) : centre_x_m;
  const double centroid_y_m = has_area ? fref.y_m + cy_sum / (3.0 * twice_area) : centre_y_m;

  // heights: base, top, eaves
  double ground_m = attributes.ground_elevation_m;
  if (!std::isfinite(ground_m)) ground_m = std::isfinite(min_ground_z) ? min_ground_z : min_z;
  double height_m = attributes.measured_height_m;
  if (!std::isfinite(height_m) || height_m <= 0.0) height_m = max_z - ground_m;
  height_m = std::max(height_m, 0.0);
  const double eaves_m =
      std::isfinite(min_roof_z) ? std::clamp(min_roof_z - ground_m, 0.0, height_m) : height_m;

  // roof shape and pitch: from the attributes, else flat when every roof face is
  bool roof_known = false;
  sim::RoofShape roof = map_roof(attributes.roof_type, &roof_known);
  if (!roof_known) {
    roof = max_roof_tilt_deg < kFlatRoofMaxTiltDeg ? sim::RoofShape::kFlat : sim::RoofShape::kOther;
  }
  const double pitch_deg =
      roof == sim::RoofShape::kFlat || roof_area_m2 <= 0.0 ? 0.0 : roof_tilt_area / roof_area_m2;

  // storeys: from the attributes, else from the eaves height
  std::int32_t n_floors = attributes.n_floors;
  if (n_floors <= 0) {
    n_floors = std::max<std::int32_t>(
        1, static_cast<std::int32_t>(std::lround(eaves_m / options_.storey_height_m)));
    ++report_.n_floors_estimated;
  }

  // columns; residents and jobs with the generator's ratios (docs/city.md#occupancy)
  const sim::BuildingUse use = map_use(attributes.use);
  const double floor_m2 = n_floors * footprint_m2;
  double residents = 0.0;
  double jobs = 0.0;
  switch (use) {
    case sim::BuildingUse::kResidential:
      residents = floor_m2 * options_.residents_per_m2;
      break;
    case sim::BuildingUse::kMixed:
      residents = (floor_m2 - footprint_m2) * options_.residents_per_m2;
      jobs = footprint_m2 * options_.jobs_per_m2;
      break;
    case sim::BuildingUse::kSchool:
      jobs = floor_m2 * kSchoolPlacesPerM2;
      break;
    default:
      jobs = floor_m2 * options_.jobs_per_m2;
      break;
  }
  b.building_id.push_back(static_cast<std::int64_t>(building_idx) + 1);
  b.height_m.push_back(height_m);
  b.eaves_height_m.push_back(roof == sim::RoofShape::kFlat ? height_m : eaves_m);
  b.ground_elevation_m.push_back(ground_m);
  b.footprint_area_m2.push_back(footprint_m2);
  b.floor_area_m2.push_back(floor_m2);
  b.n_floors.push_back(n_floors);
  b.residents.push_back(static_cast<std::int32_t>(std::lround(residents)));
  b.jobs.push_back(static_cast<std::int32_t>(std::lround(jobs)));
  b.use.push_back(use);
  b.roof_shape.push_back(roof);
  b.roof_pitch_deg.push_back(pitch_deg);
  b.centroid_x_m.push_back(centroid_x_m);
  b.centroid_y_m.push_back(centroid_y_m);
  b.block_idx.push_back(-1);
  b.zone_idx.push_back(-1);
  report_.building_source_id.push_back(attributes.source_id);
  ++report_.n_buildings;
}

sim::City CityBuilder::finish(const std::string& name, const std::string& crs,
                              const std::string& file, const std::string& crs_key) {
  sim::City city = std::move(city_);
  city_ = sim::City{};
  if (city.buildings.building_id.empty()) {
    throw InputError(InputIssue{file, 0, 0, "CityObjects",
                                "holds no building with usable geometry; check the file and the "
                                "chosen LoD (" +
                                    (options_.lod.empty() ? std::string("highest") : options_.lod) +
                                    ")"});
  }

  // CRS: the horizontal part; origin at the centre of the surfaces' bounding box
  city.name = name;
  const sim::Surfaces& s = city.surfaces;
  const auto [min_x, max_x] = std::minmax_element(s.vertex_x_m.begin(), s.vertex_x_m.end());
  const auto [min_y, max_y] = std::minmax_element(s.vertex_y_m.begin(), s.vertex_y_m.end());
  try {
    city.crs = horizontal_crs(crs);
    const LatLon origin = to_lat_lon(city.crs, 0.5 * (*min_x + *max_x), 0.5 * (*min_y + *max_y));
    city.origin_lat_deg = origin.lat_deg;
    city.origin_lon_deg = origin.lon_deg;
  } catch (const std::invalid_argument& e) {
    throw InputError(InputIssue{
        file, 0, 0, crs_key,
        std::string(e.what()) + "; give a CRS PROJ knows, e.g. city.crs = \"EPSG:28992\""});
  }
  city.index_ids();
  city.check_consistency();
  return city;
}

}  // namespace detail

}  // namespace citytwin::solar
