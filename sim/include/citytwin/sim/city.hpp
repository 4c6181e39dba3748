#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace citytwin::sim {

/// Main use of a building.
enum class BuildingUse : std::uint8_t {
  kResidential = 0,
  kCommercial = 1,  ///< shops, restaurants
  kOffice = 2,
  kIndustrial = 3,
  kSchool = 4,
  kPublic = 5,      ///< town hall, hospital, sports
  kMixed = 6,       ///< shops on the ground floor, dwellings above
  kOther = 7,
};
/// Roof geometry of a building.
enum class RoofShape : std::uint8_t { kFlat = 0, kGabled = 1, kHipped = 2, kShed = 3, kOther = 4 };
/// Semantic type of a building surface.
enum class SurfaceType : std::uint8_t { kRoof = 0, kWall = 1, kGround = 2 };
/// Class of a street.
enum class StreetClass : std::uint8_t { kArterial = 0, kCollector = 1, kLocal = 2, kPath = 3 };

/// Names of the enumerators, in value order (for results' flag_meanings).
[[nodiscard]] const std::vector<std::string>& building_use_names();
[[nodiscard]] const std::vector<std::string>& roof_shape_names();
[[nodiscard]] const std::vector<std::string>& surface_type_names();
[[nodiscard]] const std::vector<std::string>& street_class_names();

/// Buildings as columns, indexed by building_idx. Footprints are polygons with holes stored as
/// ragged arrays: building b owns rings [ring_begin[b], ring_begin[b+1]); ring r owns vertices
/// [vertex_begin[r], vertex_begin[r+1]); the first ring of a building is its outer boundary
/// (counter-clockwise), the others are holes (clockwise). Rings are not closed (last != first).
struct Buildings {
  std::vector<std::int64_t> building_id;   ///< stable external id
  std::vector<double> height_m;            ///< [m] ground to highest roof point
  std::vector<double> eaves_height_m;      ///< [m] ground to the eaves (== height for flat roofs)
  std::vector<double> ground_elevation_m;  ///< [m] terrain elevation at the footprint centroid
  std::vector<double> footprint_area_m2;   ///< [m2] outer ring minus holes
  std::vector<double> floor_area_m2;       ///< [m2] gross floor area, all storeys
  std::vector<std::int32_t> n_floors;      ///< [1] storeys above ground
  std::vector<std::int32_t> residents;     ///< [1] people living in the building
  std::vector<std::int32_t> jobs;          ///< [1] workplaces (school places count as jobs)
  std::vector<BuildingUse> use;            ///< main use
  std::vector<RoofShape> roof_shape;       ///< roof geometry
  std::vector<double> roof_pitch_deg;      ///< [deg] roof slope, 0 for flat
  std::vector<double> centroid_x_m;        ///< [m] projected x of the footprint centroid
  std::vector<double> centroid_y_m;        ///< [m] projected y of the footprint centroid
  std::vector<std::int32_t> block_idx;     ///< block the building stands on, -1 if none
  std::vector<std::int32_t> zone_idx;      ///< zone it belongs to, -1 if none
  std::vector<std::int64_t> ring_begin{0};    ///< n_buildings + 1 offsets into rings
  std::vector<std::int64_t> vertex_begin{0};  ///< n_rings + 1 offsets into vertex_*
  std::vector<double> vertex_x_m;          ///< [m] projected x of footprint vertices
  std::vector<double> vertex_y_m;          ///< [m] projected y of footprint vertices

  [[nodiscard]] std::int64_t size() const { return static_cast<std::int64_t>(building_id.size()); }
};

/// Planar building surfaces (roofs, walls, grounds) as 3D polygons with holes, indexed by
/// surface_idx. Ragged like footprints: surface s owns rings [ring_begin[s], ring_begin[s+1]);
/// ring r owns vertices [vertex_begin[r], vertex_begin[r+1]). The first ring of a surface is its
/// outer boundary, counter-clockwise seen from outside the building (so the right-hand normal
/// points outwards); the others are holes, clockwise seen from outside. Rings are not closed.
struct Surfaces {
  std::vector<std::int64_t> surface_id;    ///< stable external id
  std::vector<std::int32_t> building_idx;  ///< owning building
  std::vector<SurfaceType> type;           ///< roof, wall or ground
  std::vector<double> area_m2;             ///< [m2] true (sloped) area, holes excluded
  std::vector<double> tilt_deg;            ///< [deg] 0 = facing up, 90 = vertical, 180 = down
  std::vector<double> azimuth_deg;         ///< [deg] outward normal, east of north, 0..360
  std::vector<std::int64_t> ring_begin{0};    ///< n_surfaces + 1 offsets into rings
  std::vector<std::int64_t> vertex_begin{0};  ///< n_rings + 1 offsets into vertex_*
  std::vector<double> vertex_x_m;          ///< [m] projected x
  std::vector<double> vertex_y_m;          ///< [m] projected y
  std::vector<double> vertex_z_m;          ///< [m] elevation above the vertical datum

  [[nodiscard]] std::int64_t size() const { return static_cast<std::int64_t>(surface_id.size()); }
};

/// The street network: intersections (nodes) and undirected street segments between them.
/// Directed links for traffic are built from it by the mobility model.
struct Streets {
  std::vector<std::int64_t> node_id;     ///< stable external id of an intersection
  std::vector<double> node_x_m;          ///< [m] projected x
  std::vector<double> node_y_m;          ///< [m] projected y
  std::vector<double> node_z_m;          ///< [m] terrain elevation
  std::vector<std::uint8_t> node_signalised;  ///< 1 if the intersection has traffic signals

  std::vector<std::int64_t> street_id;   ///< stable external id of a segment
  std::vector<std::int32_t> from_node_idx;  ///< start node
  std::vector<std::int32_t> to_node_idx;    ///< end node
  std::vector<double> length_m;          ///< [m] centre-line length
  std::vector<std::int32_t> lanes_forward;   ///< [1] lanes from start to end
  std::vector<std::int32_t> lanes_backward;  ///< [1] lanes from end to start (0 = one-way)
  std::vector<double> speed_limit_mps;   ///< [m s-1] legal speed
  std::vector<double> width_m;           ///< [m] carriageway width
  std::vector<StreetClass> street_class;  ///< arterial, collector, local, path

  [[nodiscard]] std::int64_t n_nodes() const { return static_cast<std::int64_t>(node_id.size()); }
  [[nodiscard]] std::int64_t size() const { return static_cast<std::int64_t>(street_id.size()); }
};

/// City blocks: the areas enclosed by streets on which buildings stand (axis-aligned boxes for
/// generated cities; empty for imported ones until a model derives them).
struct Blocks {
  std::vector<double> min_x_m, min_y_m, max_x_m, max_y_m;  ///< [m] bounding box
  std::vector<std::int32_t> zone_idx;                        ///< zone of the block
  [[nodiscard]] std::int64_t size() const { return static_cast<std::int64_t>(min_x_m.size()); }
};

/// Zones (districts, traffic zones) as axis-aligned boxes with a name.
struct Zones {
  std::vector<std::int64_t> zone_id;  ///< stable external id
  std::vector<std::string> name;      ///< display name
  std::vector<double> min_x_m, min_y_m, max_x_m, max_y_m;  ///< [m] bounding box
  [[nodiscard]] std::int64_t size() const { return static_cast<std::int64_t>(zone_id.size()); }
};

/// Terrain elevation on a regular grid (row-major, row = y), bilinear between grid points.
struct Terrain {
  double origin_x_m = 0.0;  ///< [m] x of grid point (0, 0)
  double origin_y_m = 0.0;  ///< [m] y of grid point (0, 0)
  double cell_m = 1.0;      ///< [m] grid spacing
  std::int32_t nx = 0;      ///< [1] grid points along x
  std::int32_t ny = 0;      ///< [1] grid points along y
  std::vector<double> elevation_m;  ///< [m] ny * nx elevations

  /// [m] elevation at (x, y), bilinear, clamped to the grid; 0 for an empty grid.
  [[nodiscard]] double elevation_at(double x_m, double y_m) const;
};

/// The one city container every model shares: immutable after load, stable ids everywhere.
/// Coordinates are metres in a projected CRS; `origin_*` give the geographic position of (0, 0)
/// for generated cities and a representative point otherwise.
struct City {
  std::string name;              ///< display name
  std::string crs;               ///< CRS of the coordinates: "EPSG:3946" or a PROJ string
  double origin_lat_deg = 0.0;   ///< [deg] latitude of a representative point
  double origin_lon_deg = 0.0;   ///< [deg] longitude of a representative point
  Buildings buildings;
  Surfaces surfaces;
  Streets streets;
  Blocks blocks;
  Zones zones;
  Terrain terrain;

  /// Maps a building id to its index; built by index_ids(). -1 when absent.
  [[nodiscard]] std::int32_t building_idx(std::int64_t building_id) const;
  /// (Re)builds the id maps; call once after filling the columns.
  void index_ids();
  /// Checks the ragged arrays and column lengths; throws InternalError when inconsistent.
  void check_consistency() const;

 private:
  std::unordered_map<std::int64_t, std::int32_t> building_index_;
};

}  // namespace citytwin::sim
