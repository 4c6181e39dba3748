#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <citytwin/sim/city.hpp>

namespace citytwin::solar {

/// Options of the 3D city readers (docs/models/solar.md#3d-city-mesh).
struct City3dOptions {
  std::string crs;                 ///< CRS when the file names none, e.g. "EPSG:28992"; ignored
                                   ///< when the file has one
  std::string lod;                 ///< CityJSON level of detail: "" = highest available, else
                                   ///< "2.2", "2", "1.2"...; "2" also accepts "2.x" (highest)
  double default_height_m = 10.0;  ///< [m] GeoJSON height without HAUTEUR or NB_ETAGES
  double storey_height_m = 3.0;    ///< [m] floor-to-floor height (floors <-> height)
  double residents_per_m2 = 1.0 / 40.0;  ///< [m-2] residents per m2 of residential floor area
  double jobs_per_m2 = 1.0 / 25.0;       ///< [m-2] jobs per m2 of non-residential floor area
};

/// What a reader did with the file: counts of every fallback and repair, for the model to print.
struct ReadReport {
  std::int64_t n_objects = 0;               ///< [1] city objects / features in the file
  std::int64_t n_buildings = 0;             ///< [1] buildings in the city
  std::int64_t n_parts_merged = 0;          ///< [1] BuildingParts merged into their Building
  std::int64_t n_non_building = 0;          ///< [1] objects ignored as not buildings (roads...)
  std::int64_t n_roof = 0;                  ///< [1] roof surfaces kept
  std::int64_t n_wall = 0;                  ///< [1] wall surfaces kept
  std::int64_t n_ground = 0;                ///< [1] ground surfaces kept
  std::int64_t n_with_holes = 0;            ///< [1] surfaces with at least one hole
  std::int64_t n_classified_by_normal = 0;  ///< [1] polygons without semantics, typed by normal
  std::int64_t n_semantic_skipped = 0;      ///< [1] polygons of other semantic types (closure...)
  std::int64_t n_degenerate = 0;            ///< [1] rings or polygons dropped (< 1e-4 m2, < 3 pts)
  std::int64_t n_reoriented = 0;            ///< [1] rings reversed by the orientation repair
  std::int64_t n_height_from_hauteur = 0;   ///< [1] GeoJSON heights from HAUTEUR
  std::int64_t n_from_floors = 0;           ///< [1] GeoJSON heights from NB_ETAGES
  std::int64_t n_default = 0;               ///< [1] GeoJSON heights from default_height_m
  std::int64_t n_base_from_vertices = 0;    ///< [1] GeoJSON bases from vertex z minus height
  std::int64_t n_base_zero = 0;             ///< [1] GeoJSON bases at 0 (no Z_MIN_SOL, 2D)
  std::int64_t n_floors_estimated = 0;      ///< [1] floor counts estimated from the height
  std::int64_t n_footprint_from_hull = 0;   ///< [1] footprint rings from the convex hull (no
                                            ///< ground; area from the roofs' projection)
  std::int64_t n_skipped = 0;               ///< [1] buildings dropped (reasons below)
  std::vector<std::string> skip_reasons;    ///< one "id: reason" per skipped building
  std::vector<std::string> building_source_id;  ///< id in the file, per building_idx

  /// Multi-line human-readable summary of the counts (one "name: value" per line).
  [[nodiscard]] std::string summary() const;
};

/// A city read from a 3D file, with what the reader did.
struct City3d {
  sim::City city;     ///< buildings and surfaces filled; streets, blocks and zones empty
  ReadReport report;  ///< counts of fallbacks and repairs
};

/// Reads a CityJSON 1.0/1.1/2.0 file: Building and BuildingPart objects (parts merged into their
/// parent), geometry types Solid, MultiSolid, CompositeSolid, MultiSurface and CompositeSurface,
/// semantic surfaces, polygons with holes, `transform`. Building ids are 1-based in CityObjects id
/// order; `report.building_source_id` keeps the file's ids. Coordinates stay in the file's
/// projected CRS (the horizontal part of a compound CRS); origin_lat/lon_deg is the bounding-box
/// centre. Throws citytwin::InputError naming the file, the object id and the key for bad input,
/// or when neither the file nor `options.crs` gives a CRS. Thread-safe (no shared state).
[[nodiscard]] City3d read_cityjson(const std::filesystem::path& path,
                                   const City3dOptions& options = {});

/// As read_cityjson, from text in memory; `file_name` names it in error messages.
[[nodiscard]] City3d parse_cityjson(std::string_view text, const std::string& file_name,
                                    const City3dOptions& options = {});

/// Reads 2.5D building footprints from GeoJSON (IGN BD TOPO layout: Polygon or MultiPolygon
/// footprints, HAUTEUR, NB_ETAGES, Z_MIN_SOL; legacy `crs` member) and extrudes each into an
/// LoD1 block: flat roof, one wall per ring edge (courtyards included), ground. Same ids,
/// coordinates and errors as read_cityjson.
[[nodiscard]] City3d read_geojson_buildings(const std::filesystem::path& path,
                                            const City3dOptions& options = {});

/// As read_geojson_buildings, from text in memory; `file_name` names it in error messages.
[[nodiscard]] City3d parse_geojson_buildings(std::string_view text, const std::string& file_name,
                                             const City3dOptions& options = {});

/// Extrudes 2D building footprints into LoD1 blocks with the rules of read_geojson_buildings: a
/// flat roof at ground_elevation_m + height_m, one wall per ring edge (holes included), a ground
/// facing down. Reads from `footprints` the rings, building_id, height_m, ground_elevation_m,
/// use and n_floors (0 = estimated from the height); the returned city's buildings are rebuilt
/// from the blocks (footprint area, centroid, flat roof, floor area, residents and jobs from the
/// ratios of `options`) and keep the input's building_id. A building with a non-positive or
/// non-finite height is skipped (report.skip_reasons). `crs` is the coordinates' CRS (EPSG code
/// or PROJ string), `name` the city's name, `source` names the input in errors. Throws InputError
/// naming `source` when no building is left, or `crs` when PROJ cannot use it. Thread-safe.
[[nodiscard]] City3d extrude_footprints(const sim::Buildings& footprints, const std::string& crs,
                                        const std::string& name, const std::string& source,
                                        const City3dOptions& options = {});

/// A geographic position on WGS 84.
struct LatLon {
  double lat_deg = 0.0;  ///< [deg] latitude, north positive
  double lon_deg = 0.0;  ///< [deg] longitude, east positive
};

/// Converts projected (x, y) in `crs` ("EPSG:3946", a URN/URL form or a PROJ string; a compound
/// CRS uses its horizontal part) to WGS 84 latitude/longitude with PROJ. Throws
/// std::invalid_argument naming the CRS when PROJ does not know it or cannot transform the
/// point. Thread-safe (each call uses its own PROJ context).
[[nodiscard]] LatLon to_lat_lon(const std::string& crs, double x_m, double y_m);

/// Normalises a CRS name: "https://www.opengis.net/def/crs/EPSG/0/7415",
/// "urn:ogc:def:crs:EPSG::7415" and "EPSG:7415" all give "EPSG:7415"; other text is returned
/// unchanged.
[[nodiscard]] std::string normalize_crs(std::string_view crs);

/// The horizontal CRS of `crs` as "AUTH:CODE" ("EPSG:7415" gives "EPSG:28992"); `crs` itself
/// (normalised) when it is not compound. Throws std::invalid_argument for an unknown CRS.
[[nodiscard]] std::string horizontal_crs(const std::string& crs);

}  // namespace citytwin::solar
