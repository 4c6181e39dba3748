#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <citytwin/sim/error.hpp>
#include <citytwin/solar/readers/city3d.hpp>

#include "city3d_builder.hpp"

// 2.5D footprints extruded to LoD1 blocks (IGN BD TOPO layout); rules in
// docs/models/solar.md#3d-city-mesh.
namespace citytwin::solar {

namespace {

using detail::Facing;
using detail::Point3;
using detail::Ring3;
using nlohmann::json;

constexpr double kMinAreaM2 = 1e-4;  // [m2] smaller rings are dropped

/// A footprint ring in plan, with the z of its vertices when the file has them.
struct PlanRing {
  Ring3 points;
  bool has_z = false;
};

// signed area in plan (counter-clockwise positive), relative to the first vertex
double signed_area(const Ring3& ring) {
  double twice = 0.0;
  const Point3& r = ring.front();
  for (std::size_t i = 0; i < ring.size(); ++i) {
    const Point3& a = ring[i];
    const Point3& b = ring[(i + 1) % ring.size()];
    twice += (a.x_m - r.x_m) * (b.y_m - r.y_m) - (b.x_m - r.x_m) * (a.y_m - r.y_m);
  }
  return 0.5 * twice;
}

// a number property, NaN when absent or null
double number(const json& properties, const char* key) {
  if (!properties.is_object() || !properties.contains(key) || !properties[key].is_number()) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  return properties[key].get<double>();
}

// a 2.5D footprint (polygons of rings: outer counter-clockwise, holes clockwise) as one LoD1
// shell: flat roof at top_m, one wall per ring edge, ground at base_m facing down
void add_lod1_block(detail::CityBuilder& builder, const std::vector<std::vector<Ring3>>& footprint,
                    double base_m, double top_m) {
  builder.begin_shell();
  for (const std::vector<Ring3>& polygon : footprint) {
    std::vector<Ring3> roof;
    std::vector<Ring3> ground;
    for (const Ring3& ring : polygon) {
      Ring3 up = ring;
      for (Point3& p : up) p.z_m = top_m;
      Ring3 down = ring;
      for (Point3& p : down) p.z_m = base_m;
      std::reverse(down.begin(), down.end());
      roof.push_back(std::move(up));
      ground.push_back(std::move(down));
    }
    builder.add_polygon(std::move(roof), Facing::kRoof);
    for (const Ring3& pts : polygon) {
      for (std::size_t k = 0; k < pts.size(); ++k) {
        const Point3& a = pts[k];
        const Point3& b = pts[(k + 1) % pts.size()];
        builder.add_polygon({Ring3{Point3{a.x_m, a.y_m, base_m}, Point3{b.x_m, b.y_m, base_m},
                                   Point3{b.x_m, b.y_m, top_m}, Point3{a.x_m, a.y_m, top_m}}},
                            Facing::kWall);
      }
    }
    builder.add_polygon(std::move(ground), Facing::kGround);
  }
}

/// Reads one GeoJSON FeatureCollection of building footprints into a City.
class GeoJsonReader {
 public:
  GeoJsonReader(const std::string& file, const City3dOptions& options)
      : file_(file), options_(options), builder_(options, report_) {}

  City3d read(std::string_view text) {
    // the document
    json doc;
    try {
      doc = json::parse(text.begin(), text.end());
    } catch (const json::parse_error& e) {
      int line = 0;
      int column = 0;
      detail::line_column(text, e.byte > 0 ? e.byte - 1 : 0, line, column);
      throw InputError(InputIssue{
          file_, line, column, "",
          std::string("not valid JSON: ") + e.what() + "; check the file is complete GeoJSON"});
    }
    if (!doc.is_object() || doc.value("type", std::string()) != "FeatureCollection" ||
        !doc.contains("features") || !doc["features"].is_array()) {
      fail("features", "is not a GeoJSON FeatureCollection with a 'features' array");
    }

    // CRS: the legacy `crs` member, else the caller's
    std::string crs;
    std::string crs_key = "crs.properties.name";
    if (doc.contains("crs") && doc["crs"].is_object() && doc["crs"].contains("properties") &&
        doc["crs"]["properties"].is_object() && doc["crs"]["properties"].contains("name") &&
        doc["crs"]["properties"]["name"].is_string()) {
      crs = doc["crs"]["properties"]["name"].get<std::string>();
    }
    if (crs.empty()) {
      crs = options_.crs;
      crs_key = "city.crs";
    }
    if (crs.empty()) {
      fail("crs",
           "names no CRS (no legacy 'crs' member, so GeoJSON means WGS 84 degrees, which "
           "cannot be extruded in metres); reproject to a projected CRS and set city.crs, "
           "e.g. city.crs = \"EPSG:3946\"");
    }

    // one building per feature
    const json& features = doc["features"];
    report_.n_objects = static_cast<std::int64_t>(features.size());
    for (std::size_t i = 0; i < features.size(); ++i) add_feature(i, features[i]);
    if (!issues_.empty()) throw InputError(issues_);

    City3d out;
    const std::string name = doc.contains("name") && doc["name"].is_string()
                                 ? doc["name"].get<std::string>()
                                 : std::filesystem::path(file_).stem().string();
    out.city = builder_.finish(name, crs, file_, crs_key);
    out.report = std::move(report_);
    return out;
  }

 private:
  [[noreturn]] void fail(const std::string& key, const std::string& message) const {
    throw InputError(InputIssue{file_, 0, 0, key, key + ": " + message});
  }

  void issue(const std::string& key, const std::string& message) {
    if (issues_.size() < 50) issues_.push_back(InputIssue{file_, 0, 0, key, key + ": " + message});
  }

  // one ring of coordinates; false (with an issue) when malformed
  bool read_ring(const std::string& key, const json& coords, PlanRing& ring) {
    if (!coords.is_array()) {
      issue(key, "must be an array of positions");
      return false;
    }
    ring.points.clear();
    ring.has_z = true;
    for (std::size_t k = 0; k < coords.size(); ++k) {
      const json& c = coords[k];
      if (!c.is_array() || c.size() < 2 || !c[0].is_number() || !c[1].is_number() ||
          (c.size() > 2 && !c[2].is_number())) {
        issue(key + "[" + std::to_string(k) + "]", "must be a position [x, y] or [x, y, z]");
        return false;
      }
      const bool with_z = c.size() > 2;
      ring.has_z = ring.has_z && with_z;
      const Point3 p{c[0].get<double>(), c[1].get<double>(), with_z ? c[2].get<double>() : 0.0};
      if (!ring.points.empty() && ring.points.back().x_m == p.x_m &&
          ring.points.back().y_m == p.y_m) {
        continue;  // repeated vertex in plan
      }
      ring.points.push_back(p);
    }
    while (ring.points.size() > 1 && ring.points.front().x_m == ring.points.back().x_m &&
           ring.points.front().y_m == ring.points.back().y_m) {
      ring.points.pop_back();
    }
    return true;
  }

  void add_feature(std::size_t i, const json& feature) {
    const std::string key = "features[" + std::to_string(i) + "]";
    const json empty = json::object();
    const json& properties =
        feature.is_object() && feature.contains("properties") && feature["properties"].is_object()
            ? feature["properties"]
            : empty;
    std::string id = key;
    if (properties.contains("ID") && properties["ID"].is_string()) {
      id = properties["ID"].get<std::string>();
    } else if (feature.is_object() && feature.contains("id")) {
      id = feature["id"].dump();
    }

    // footprint polygons: Polygon or MultiPolygon
    if (!feature.is_object() || !feature.contains("geometry") || !feature["geometry"].is_object()) {
      builder_.skip_building(id, "no geometry");
      return;
    }
    const json& geometry = feature["geometry"];
    const std::string type = geometry.value("type", std::string());
    if (!geometry.contains("coordinates") || !geometry["coordinates"].is_array()) {
      issue(key + ".geometry.coordinates", "missing or not an array (feature " + id + ")");
      return;
    }
    std::vector<std::pair<std::string, const json*>> polygons;
    if (type == "Polygon") {
      polygons.emplace_back(key + ".geometry.coordinates", &geometry["coordinates"]);
    } else if (type == "MultiPolygon") {
      for (std::size_t p = 0; p < geometry["coordinates"].size(); ++p) {
        polygons.emplace_back(key + ".geometry.coordinates[" + std::to_string(p) + "]",
                              &geometry["coordinates"][p]);
      }
    } else {
      builder_.skip_building(id, "geometry type '" + type + "' is not a Polygon or MultiPolygon");
      return;
    }
    std::vector<std::vector<Ring3>> footprint;
    bool all_z = true;
    double min_vertex_z = std::numeric_limits<double>::infinity();
    for (const auto& [pkey, rings] : polygons) {
      if (!rings->is_array()) {
        issue(pkey, "must be an array of rings (feature " + id + ")");
        return;
      }
      std::vector<Ring3> polygon;
      for (std::size_t r = 0; r < rings->size(); ++r) {
        PlanRing ring;
        if (!read_ring(pkey + "[" + std::to_string(r) + "]", (*rings)[r], ring)) return;
        // degenerate rings: an outer one drops its polygon
        if (ring.points.size() < 3 || std::abs(signed_area(ring.points)) < kMinAreaM2) {
          ++report_.n_degenerate;
          if (r == 0) break;
          continue;
        }
        // outer rings counter-clockwise in plan, holes clockwise
        const bool ccw = signed_area(ring.points) > 0.0;
        if (ccw != (r == 0)) {
          std::reverse(ring.points.begin(), ring.points.end());
          ++report_.n_reoriented;
        }
        all_z = all_z && ring.has_z;
        for (const Point3& p : ring.points) min_vertex_z = std::min(min_vertex_z, p.z_m);
        polygon.push_back(std::move(ring.points));
      }
      if (!polygon.empty()) footprint.push_back(std::move(polygon));
    }
    if (footprint.empty()) {
      builder_.skip_building(id, "no footprint ring with an area of at least 1e-4 m2");
      return;
    }

    // height: HAUTEUR, else storeys, else the default
    double height_m = number(properties, "HAUTEUR");
    const double floors = number(properties, "NB_ETAGES");
    if (std::isfinite(height_m) && height_m > 0.0) {
      ++report_.n_height_from_hauteur;
    } else if (std::isfinite(floors) && floors >= 1.0) {
      height_m = floors * options_.storey_height_m;
      ++report_.n_from_floors;
    } else {
      height_m = options_.default_height_m;
      ++report_.n_default;
    }

    // base: Z_MIN_SOL, else the vertex z (the eaves in BD TOPO) minus the height, else 0
    double base_m = number(properties, "Z_MIN_SOL");
    if (!std::isfinite(base_m)) {
      if (all_z) {
        base_m = min_vertex_z - height_m;
        ++report_.n_base_from_vertices;
      } else {
        base_m = 0.0;
        ++report_.n_base_zero;
      }
    }
    const double top_m = base_m + height_m;

    // LoD1 block: flat roof, ground, one wall per ring edge (courtyard walls face the courtyard)
    add_lod1_block(builder_, footprint, base_m, top_m);

    // attributes
    detail::BuildingAttributes attributes;
    attributes.source_id = id;
    attributes.measured_height_m = height_m;
    attributes.ground_elevation_m = base_m;
    attributes.roof_type = "flat";
    if (properties.contains("USAGE1") && properties["USAGE1"].is_string()) {
      attributes.use = properties["USAGE1"].get<std::string>();
    }
    if (std::isfinite(floors) && floors >= 1.0) {
      attributes.n_floors = static_cast<std::int32_t>(std::lround(floors));
    }
    builder_.end_building(attributes);
  }

  const std::string& file_;
  const City3dOptions& options_;
  ReadReport report_;
  detail::CityBuilder builder_;
  std::vector<InputIssue> issues_;
};

}  // namespace

City3d parse_geojson_buildings(std::string_view text, const std::string& file_name,
                               const City3dOptions& options) {
  GeoJsonReader reader(file_name, options);
  return reader.read(text);
}

City3d read_geojson_buildings(const std::filesystem::path& path, const City3dOptions& options) {
  return parse_geojson_buildings(detail::read_text_file(path, "GeoJSON"), path.string(), options);
}

City3d extrude_footprints(const sim::Buildings& footprints, const std::string& crs,
                          const std::string& name, const std::string& source,
                          const City3dOptions& options) {
  if (footprints.size() == 0) {
    throw InputError(InputIssue{source, 0, 0, "buildings",
                                "holds no building footprint to extrude; check the file"});
  }
  ReadReport report;
  detail::CityBuilder builder(options, report);
  report.n_objects = footprints.size();
  const std::vector<std::string>& use_names = sim::building_use_names();
  std::vector<std::size_t> kept;  // input index of each output building
  for (std::size_t b = 0; b < static_cast<std::size_t>(footprints.size()); ++b) {
    // the footprint: one polygon, outer ring then holes, as given
    std::vector<Ring3> polygon;
    const auto ring_begin = static_cast<std::size_t>(footprints.ring_begin[b]);
    const auto ring_end = static_cast<std::size_t>(footprints.ring_begin[b + 1]);
    for (std::size_t r = ring_begin; r < ring_end; ++r) {
      Ring3 ring;
      const auto v_end = static_cast<std::size_t>(footprints.vertex_begin[r + 1]);
      for (auto v = static_cast<std::size_t>(footprints.vertex_begin[r]); v < v_end; ++v) {
        ring.push_back(Point3{footprints.vertex_x_m[v], footprints.vertex_y_m[v], 0.0});
      }
      polygon.push_back(std::move(ring));
    }

    // LoD1 block from the ground elevation to the top
    const double base_m = footprints.ground_elevation_m[b];
    const double height_m = footprints.height_m[b];
    const std::string id = std::to_string(footprints.building_id[b]);
    if (!(std::isfinite(base_m) && std::isfinite(height_m) && height_m > 0.0)) {
      builder.skip_building(id, "height or ground elevation is not a positive finite number");
      continue;
    }
    add_lod1_block(builder, {std::move(polygon)}, base_m, base_m + height_m);
    detail::BuildingAttributes attributes;
    attributes.source_id = id;
    attributes.measured_height_m = height_m;
    attributes.ground_elevation_m = base_m;
    attributes.roof_type = "flat";
    attributes.use = use_names[static_cast<std::size_t>(footprints.use[b])];
    attributes.n_floors = footprints.n_floors[b];
    const std::int64_t before = report.n_buildings;
    builder.end_building(attributes);
    if (report.n_buildings > before) kept.push_back(b);
  }

  if (kept.empty()) {
    throw InputError(InputIssue{source, 0, 0, "buildings",
                                "holds no footprint that makes an LoD1 block (" +
                                    std::to_string(report.n_skipped) +
                                    " skipped: degenerate rings or no height)"});
  }

  // the caller's ids replace the 1-based ones
  City3d out;
  out.city = builder.finish(name, crs, source, "crs");
  for (std::size_t k = 0; k < kept.size(); ++k) {
    out.city.buildings.building_id[k] = footprints.building_id[kept[k]];
  }
  out.city.index_ids();
  out.report = std::move(report);
  return out;
}

}  // namespace citytwin::solar
