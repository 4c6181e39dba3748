#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <citytwin/sim/error.hpp>
#include <citytwin/solar/readers/city3d.hpp>

#include "city3d_builder.hpp"

// CityJSON 1.0 / 1.1 / 2.0 (https://www.cityjson.org/specs/); rules in
// docs/models/solar.md#3d-city-mesh.
namespace citytwin::solar {

namespace {

using detail::Facing;
using detail::Point3;
using detail::Ring3;
using nlohmann::json;

constexpr std::size_t kMaxIssues = 50;  // stop collecting problems after this many

// a JSON scalar as text: strings as they are, integers without a decimal point
std::string scalar_text(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_integer() || value.is_number_unsigned()) {
    return std::to_string(value.get<std::int64_t>());
  }
  if (value.is_number_float()) {
    const double v = value.get<double>();
    if (v == std::floor(v) && std::abs(v) < 1e15)
      return std::to_string(static_cast<std::int64_t>(v));
    std::array<char, 32> buffer{};
    const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), v);
    return {buffer.data(), result.ptr};
  }
  return {};
}

// semantic surface type -> facing; false for types that are skipped (closure, openings...)
bool semantic_facing(const std::string& type, Facing& facing) {
  if (type == "RoofSurface") {
    facing = Facing::kRoof;
  } else if (type == "WallSurface") {
    facing = Facing::kWall;
  } else if (type == "GroundSurface") {
    facing = Facing::kGround;
  } else if (type == "OuterFloorSurface" || type == "OuterCeilingSurface") {
    facing = Facing::kUnknown;  // up- or down-facing parts of the hull: by their normal
  } else {
    return false;
  }
  return true;
}

/// Reads one CityJSON document into a City.
class CityJsonReader {
 public:
  CityJsonReader(const std::string& file, const City3dOptions& options)
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
          std::string("not valid JSON: ") + e.what() + "; check the file is complete CityJSON"});
    }
    if (!doc.is_object() || doc.value("type", std::string()) != "CityJSON") {
      fail("type", "is not a CityJSON document (\"type\": \"CityJSON\" missing)");
    }
    const std::string version = doc.contains("version") ? scalar_text(doc["version"]) : "";
    if (version.rfind("1.", 0) != 0 && version.rfind("2.", 0) != 0) {
      fail("version", "CityJSON version '" + version + "' is not supported; use 1.0, 1.1 or 2.0");
    }

    // CRS: the file's, else the caller's
    std::string crs;
    std::string crs_key = "metadata.referenceSystem";
    if (doc.contains("metadata") && doc["metadata"].is_object() &&
        doc["metadata"].contains("referenceSystem")) {
      crs = scalar_text(doc["metadata"]["referenceSystem"]);
    }
    if (crs.empty()) {
      crs = options_.crs;
      crs_key = "city.crs";
    }
    if (crs.empty()) {
      fail("metadata.referenceSystem",
           "names no CRS (no metadata.referenceSystem); set city.crs to the CRS of the "
           "coordinates, e.g. city.crs = \"EPSG:28992\" for Dutch files");
    }

    // vertices, with the transform applied
    read_vertices(doc);

    // buildings: roots with their parts, in CityObjects id order
    if (!doc.contains("CityObjects") || !doc["CityObjects"].is_object()) {
      fail("CityObjects", "missing 'CityObjects' object; the file is not CityJSON");
    }
    const json& objects = doc["CityObjects"];
    report_.n_objects = static_cast<std::int64_t>(objects.size());
    std::vector<std::string> merged;  // parts reached from a Building
    for (const auto& [id, object] : objects.items()) {
      const std::string type = object.is_object() ? object.value("type", std::string()) : "";
      if (type == "Building") {
        add_building(objects, id, object, merged);
      } else if (type != "BuildingPart") {
        ++report_.n_non_building;
      }
    }
    // parts whose parent is missing stand on their own
    std::sort(merged.begin(), merged.end());
    for (const auto& [id, object] : objects.items()) {
      if (!object.is_object() || object.value("type", std::string()) != "BuildingPart") continue;
      if (!std::binary_search(merged.begin(), merged.end(), id)) {
        std::vector<std::string> own;
        add_building(objects, id, object, own);
      }
    }
    if (!issues_.empty()) throw InputError(issues_);

    // the city
    std::string name = std::filesystem::path(file_).stem().string();
    if (doc.contains("metadata") && doc["metadata"].is_object() &&
        doc["metadata"].contains("title") && doc["metadata"]["title"].is_string()) {
      name = doc["metadata"]["title"].get<std::string>();
    }
    City3d out;
    out.city = builder_.finish(name, crs, file_, crs_key);
    out.report = std::move(report_);
    return out;
  }

 private:
  [[noreturn]] void fail(const std::string& key, const std::string& message) const {
    throw InputError(InputIssue{file_, 0, 0, key, key + ": " + message});
  }

  void issue(const std::string& key, const std::string& message) {
    if (issues_.size() < kMaxIssues)
      issues_.push_back(InputIssue{file_, 0, 0, key, key + ": " + message});
  }

  void read_vertices(const json& doc) {
    if (!doc.contains("vertices") || !doc["vertices"].is_array()) {
      fail("vertices", "missing 'vertices' array; every CityJSON file lists its vertices there");
    }
    std::array<double, 3> scale{1.0, 1.0, 1.0};
    std::array<double, 3> translate{0.0, 0.0, 0.0};
    if (doc.contains("transform")) {
      const json& t = doc["transform"];
      for (const char* key : {"scale", "translate"}) {
        const bool ok =
            t.is_object() && t.contains(key) && t[key].is_array() && t[key].size() == 3 &&
            std::all_of(t[key].begin(), t[key].end(), [](const json& v) { return v.is_number(); });
        if (!ok) fail(std::string("transform.") + key, "must be an array of 3 numbers");
        auto& target = std::string_view(key) == "scale" ? scale : translate;
        for (std::size_t i = 0; i < 3; ++i) target[i] = t[key][i].get<double>();
      }
    }
    const json& vs = doc["vertices"];
    vertices_.reserve(vs.size());
    for (std::size_t i = 0; i < vs.size(); ++i) {
      const json& v = vs[i];
      if (!v.is_array() || v.size() != 3 || !v[0].is_number() || !v[1].is_number() ||
          !v[2].is_number()) {
        fail("vertices[" + std::to_string(i) + "]", "must be an array of 3 numbers");
      }
      vertices_.push_back(Point3{v[0].get<double>() * scale[0] + translate[0],
                                 v[1].get<double>() * scale[1] + translate[1],
                                 v[2].get<double>() * scale[2] + translate[2]});
    }
  }

  // a Building and its BuildingParts (through "children"), as one building
  void add_building(const json& objects, const std::string& id, const json& root,
                    std::vector<std::string>& merged) {
    // members: the root, then its parts depth-first
    std::vector<std::pair<std::string, const json*>> members{{id, &root}};
    for (std::size_t m = 0; m < members.size(); ++m) {
      const json& object = *members[m].second;
      if (!object.contains("children") || !object["children"].is_array()) continue;
      for (const json& child : object["children"]) {
        if (!child.is_string()) continue;
        const auto it = objects.find(child.get<std::string>());
        if (it == objects.end() || !it->is_object() ||
            it->value("type", std::string()) != "BuildingPart") {
          continue;
        }
        members.emplace_back(child.get<std::string>(), &*it);
        merged.push_back(child.get<std::string>());
        ++report_.n_parts_merged;
      }
    }

    // level of detail: requested, else the highest over the members
    std::vector<std::string> lods;
    for (const auto& [member_id, object] : members) {
      if (!object->contains("geometry") || !(*object)["geometry"].is_array()) continue;
      for (const json& g : (*object)["geometry"]) {
        if (g.is_object() && g.contains("lod")) lods.push_back(scalar_text(g["lod"]));
      }
    }
    const std::string lod = choose_lod(lods);
    if (lod.empty()) {
      std::string available;
      for (const std::string& l : lods) available += (available.empty() ? "" : ", ") + l;
      builder_.skip_building(id, "no geometry at LoD " +
                                     (options_.lod.empty() ? std::string("any") : options_.lod) +
                                     " (has: " + (available.empty() ? "none" : available) + ")");
      return;
    }

    // geometry of every member at that LoD
    const std::size_t issues_before = issues_.size();
    for (const auto& [member_id, object] : members) {
      if (!object->contains("geometry")) continue;
      const json& geometries = (*object)["geometry"];
      for (std::size_t g = 0; g < geometries.size(); ++g) {
        const json& geometry = geometries[g];
        if (!geometry.is_object() || !geometry.contains("lod") ||
            scalar_text(geometry["lod"]) != lod) {
          continue;
        }
        add_geometry(member_id, g, geometry);
      }
    }
    if (issues_.size() != issues_before) {
      builder_.skip_building(id, "bad geometry");
      return;
    }

    // attributes of the root
    detail::BuildingAttributes attributes;
    attributes.source_id = id;
    if (root.contains("attributes") && root["attributes"].is_object()) {
      const json& a = root["attributes"];
      const auto text_of = [&a](std::initializer_list<const char*> keys) {
        for (const char* key : keys) {
          if (a.contains(key)) {
            const std::string t = scalar_text(a[key]);
            if (!t.empty()) return t;
          }
        }
        return std::string();
      };
      if (a.contains("measuredHeight") && a["measuredHeight"].is_number()) {
        attributes.measured_height_m = a["measuredHeight"].get<double>();
      }
      attributes.roof_type = text_of({"RoofNames", "BREC_RoofNames", "roofType"});
      attributes.use = text_of({"function", "usage", "Kayttotarkoitus", "C_KAYTTARK"});
      for (const char* key : {"storeysAboveGround", "Kerroksia"}) {
        if (a.contains(key) && a[key].is_number() && a[key].get<double>() >= 1.0) {
          attributes.n_floors = static_cast<std::int32_t>(std::lround(a[key].get<double>()));
          break;
        }
      }
    }
    builder_.end_building(attributes);
  }

  // the LoD to read among those available ("" when none fits)
  std::string choose_lod(const std::vector<std::string>& lods) const {
    std::string best;
    double best_value = -1.0;
    const bool major_only = !options_.lod.empty() && options_.lod.find('.') == std::string::npos;
    for (const std::string& l : lods) {
      if (!options_.lod.empty() && l != options_.lod &&
          !(major_only && l.substr(0, l.find('.')) == options_.lod)) {
        continue;
      }
      double value = -1.0;
      std::from_chars(l.data(), l.data() + l.size(), value);
      if (value > best_value) {
        best_value = value;
        best = l;
      }
    }
    return best;
  }

  // key of a geometry for messages
  static std::string geometry_key(const std::string& object_id, std::size_t g) {
    return "CityObjects." + object_id + ".geometry[" + std::to_string(g) + "]";
  }

  void add_geometry(const std::string& object_id, std::size_t g, const json& geometry) {
    const std::string type = geometry.value("type", std::string());
    const json empty = json::array();
    const json& boundaries = geometry.contains("boundaries") ? geometry["boundaries"] : empty;
    const json* surfaces = nullptr;
    const json* values = nullptr;
    if (geometry.contains("semantics") && geometry["semantics"].is_object()) {
      const json& semantics = geometry["semantics"];
      if (semantics.contains("surfaces")) surfaces = &semantics["surfaces"];
      if (semantics.contains("values")) values = &semantics["values"];
    }
    const std::string key = geometry_key(object_id, g);
    if (!boundaries.is_array()) {
      issue(key + ".boundaries", "must be an array (object " + object_id + ")");
      return;
    }
    const auto at = [](const json* v, std::size_t i) -> const json* {
      return v != nullptr && v->is_array() && i < v->size() ? &(*v)[i] : nullptr;
    };

    if (type == "MultiSurface" || type == "CompositeSurface") {
      builder_.begin_shell();
      add_surfaces(object_id, key + ".boundaries", boundaries, surfaces, values);
    } else if (type == "Solid") {
      // the outer shell only: inner shells (cavities) are not seen from outside
      if (!boundaries.empty()) {
        builder_.begin_shell();
        add_surfaces(object_id, key + ".boundaries[0]", boundaries[0], surfaces, at(values, 0));
      }
    } else if (type == "MultiSolid" || type == "CompositeSolid") {
      for (std::size_t k = 0; k < boundaries.size(); ++k) {
        if (!boundaries[k].is_array() || boundaries[k].empty()) continue;
        builder_.begin_shell();
        add_surfaces(object_id, key + ".boundaries[" + std::to_string(k) + "][0]", boundaries[k][0],
                     surfaces, at(at(values, k), 0));
      }
    } else if (type == "GeometryInstance" || type == "MultiPoint" || type == "MultiLineString") {
      return;  // templates, points and lines carry no building surface
    } else {
      issue(key + ".type", "unknown geometry type '" + type + "' in object " + object_id +
                               "; expected Solid, MultiSolid, CompositeSolid, MultiSurface or "
                               "CompositeSurface");
    }
  }

  // polygons of a surface list (MultiSurface boundaries or a shell), semantic values alongside
  void add_surfaces(const std::string& object_id, const std::string& key, const json& polygons,
                    const json* surfaces, const json* values) {
    if (!polygons.is_array()) {
      issue(key, "must be an array of polygons (object " + object_id + ")");
      return;
    }
    for (std::size_t p = 0; p < polygons.size(); ++p) {
      const std::string pkey = key + "[" + std::to_string(p) + "]";

      // facing from the semantic object, if any
      Facing facing = Facing::kUnknown;
      if (values != nullptr && values->is_array() && p < values->size() &&
          (*values)[p].is_number_integer()) {
        const auto v = (*values)[p].get<std::int64_t>();
        if (surfaces == nullptr || !surfaces->is_array() || v < 0 ||
            v >= static_cast<std::int64_t>(surfaces->size())) {
          issue(pkey, "semantic value " + std::to_string(v) +
                          " is not an index into semantics.surfaces (object " + object_id + ")");
          continue;
        }
        const json& semantic = (*surfaces)[static_cast<std::size_t>(v)];
        const std::string type = semantic.is_object() ? semantic.value("type", std::string()) : "";
        if (!semantic_facing(type, facing)) {
          ++report_.n_semantic_skipped;
          continue;
        }
      }

      // rings: first outer, others holes
      const json& polygon = polygons[p];
      if (!polygon.is_array()) {
        issue(pkey, "must be an array of rings (object " + object_id + ")");
        continue;
      }
      std::vector<Ring3> rings;
      rings.reserve(polygon.size());
      bool ok = true;
      for (std::size_t r = 0; r < polygon.size() && ok; ++r) {
        const json& ring = polygon[r];
        if (!ring.is_array()) {
          issue(pkey + "[" + std::to_string(r) + "]",
                "must be an array of vertex indices (object " + object_id + ")");
          ok = false;
          break;
        }
        Ring3 points;
        points.reserve(ring.size());
        for (std::size_t i = 0; i < ring.size(); ++i) {
          const json& index = ring[i];
          const bool valid =
              index.is_number_integer() && index.get<std::int64_t>() >= 0 &&
              index.get<std::int64_t>() < static_cast<std::int64_t>(vertices_.size());
          if (!valid) {
            issue(pkey + "[" + std::to_string(r) + "][" + std::to_string(i) + "]",
                  "boundary index " + index.dump() + " is out of range [0, " +
                      std::to_string(vertices_.size()) + ") in object " + object_id +
                      "; the file's vertices list is incomplete or the index is wrong");
            ok = false;
            break;
          }
          points.push_back(vertices_[static_cast<std::size_t>(index.get<std::int64_t>())]);
        }
        rings.push_back(std::move(points));
      }
      if (ok) builder_.add_polygon(std::move(rings), facing);
    }
  }

  const std::string& file_;
  const City3dOptions& options_;
  ReadReport report_;
  detail::CityBuilder builder_;
  std::vector<Point3> vertices_;
  std::vector<InputIssue> issues_;
};

}  // namespace

City3d parse_cityjson(std::string_view text, const std::string& file_name,
                      const City3dOptions& options) {
  CityJsonReader reader(file_name, options);
  return reader.read(text);
}

City3d read_cityjson(const std::filesystem::path& path, const City3dOptions& options) {
  return parse_cityjson(detail::read_text_file(path, "CityJSON"), path.string(), options);
}

}  // namespace citytwin::solar
