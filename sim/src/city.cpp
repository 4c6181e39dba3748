#include <citytwin/sim/city.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <citytwin/sim/error.hpp>

namespace citytwin::sim {

namespace {

// message for a column whose length differs from its table's
std::string size_message(const char* table, const char* column, std::size_t got,
                         std::size_t expected) {
  return std::string(table) + "." + column + " has " + std::to_string(got) + " entries, expected " +
         std::to_string(expected);
}

// every column of a table has the table's length
void check_size(const char* table, const char* column, std::size_t got, std::size_t expected) {
  CITYTWIN_CHECK(got == expected, size_message(table, column, got, expected));
}

// ragged offsets: n_owners + 1 entries, start at 0, never decrease, end at n_items, and every
// owner holds at least min_items
void check_offsets(const char* table, const char* column, const std::vector<std::int64_t>& begin,
                   std::size_t n_owners, std::size_t n_items, std::int64_t min_items) {
  check_size(table, column, begin.size(), n_owners + 1);
  CITYTWIN_CHECK(begin.front() == 0, std::string(table) + "." + column + " must start at 0");
  CITYTWIN_CHECK(begin.back() == static_cast<std::int64_t>(n_items),
                 std::string(table) + "." + column + " ends at " + std::to_string(begin.back()) +
                     ", expected " + std::to_string(n_items));
  for (std::size_t i = 0; i < n_owners; ++i) {
    CITYTWIN_CHECK(begin[i + 1] - begin[i] >= min_items,
                   std::string(table) + "." + column + "[" + std::to_string(i) + "] holds " +
                       std::to_string(begin[i + 1] - begin[i]) + " items, expected at least " +
                       std::to_string(min_items));
  }
}

// every index lies in [lowest, n)
void check_indices(const char* table, const char* column, const std::vector<std::int32_t>& idx,
                   std::int32_t lowest, std::int64_t n) {
  for (std::size_t i = 0; i < idx.size(); ++i) {
    CITYTWIN_CHECK(idx[i] >= lowest && idx[i] < n,
                   std::string(table) + "." + column + "[" + std::to_string(i) +
                       "] = " + std::to_string(idx[i]) + " is outside [" + std::to_string(lowest) +
                       ", " + std::to_string(n) + ")");
  }
}

// stable ids are unique within their table
void check_unique_ids(const char* table, const char* column, std::vector<std::int64_t> ids) {
  std::sort(ids.begin(), ids.end());
  const auto duplicate = std::adjacent_find(ids.begin(), ids.end());
  CITYTWIN_CHECK(duplicate == ids.end(),
                 std::string(table) + "." + column + " " +
                     (duplicate == ids.end() ? std::string() : std::to_string(*duplicate)) +
                     " appears more than once");
}

// enumerators stay inside their enum's range
template <typename Enum>
void check_enum(const char* table, const char* column, const std::vector<Enum>& values,
                std::size_t n_names) {
  for (std::size_t i = 0; i < values.size(); ++i) {
    CITYTWIN_CHECK(static_cast<std::size_t>(values[i]) < n_names,
                   std::string(table) + "." + column + "[" + std::to_string(i) + "] = " +
                       std::to_string(static_cast<int>(values[i])) + " is not a valid value");
  }
}

}  // namespace

const std::vector<std::string>& building_use_names() {
  static const std::vector<std::string> names{"residential", "commercial", "office", "industrial",
                                              "school",      "public",     "mixed",  "other"};
  return names;
}

const std::vector<std::string>& roof_shape_names() {
  static const std::vector<std::string> names{"flat", "gabled", "hipped", "shed", "other"};
  return names;
}

const std::vector<std::string>& surface_type_names() {
  static const std::vector<std::string> names{"roof", "wall", "ground"};
  return names;
}

const std::vector<std::string>& street_class_names() {
  static const std::vector<std::string> names{"arterial", "collector", "local", "path"};
  return names;
}

double Terrain::elevation_at(double x_m, double y_m) const {
  // an empty grid is flat at 0 m
  if (nx <= 0 || ny <= 0 || elevation_m.empty()) return 0.0;
  if (std::isnan(x_m) || std::isnan(y_m)) return std::numeric_limits<double>::quiet_NaN();

  // fractional grid coordinates, clamped to the grid
  const double fx = std::clamp((x_m - origin_x_m) / cell_m, 0.0, static_cast<double>(nx - 1));
  const double fy = std::clamp((y_m - origin_y_m) / cell_m, 0.0, static_cast<double>(ny - 1));

  // lower-left grid point of the cell; the last row and column reuse the cell before them
  const std::int32_t i0 = std::min(static_cast<std::int32_t>(fx), std::max(nx - 2, 0));
  const std::int32_t j0 = std::min(static_cast<std::int32_t>(fy), std::max(ny - 2, 0));
  const std::int32_t i1 = std::min(i0 + 1, nx - 1);
  const std::int32_t j1 = std::min(j0 + 1, ny - 1);
  const double wx = fx - static_cast<double>(i0);
  const double wy = fy - static_cast<double>(j0);

  // bilinear blend of the four corners
  const auto at = [this](std::int32_t i, std::int32_t j) {
    return elevation_m[static_cast<std::size_t>(j) * static_cast<std::size_t>(nx) +
                       static_cast<std::size_t>(i)];
  };
  const double south_m = at(i0, j0) + wx * (at(i1, j0) - at(i0, j0));
  const double north_m = at(i0, j1) + wx * (at(i1, j1) - at(i0, j1));
  return south_m + wy * (north_m - south_m);
}

std::int32_t City::building_idx(std::int64_t building_id) const {
  const auto it = building_index_.find(building_id);
  return it == building_index_.end() ? -1 : it->second;
}

void City::index_ids() {
  // building ids map to dense int32 indices
  const std::int64_t n_buildings = buildings.size();
  CITYTWIN_CHECK(n_buildings <= std::numeric_limits<std::int32_t>::max(),
                 "too many buildings for int32 indices: " + std::to_string(n_buildings));
  building_index_.clear();
  building_index_.reserve(static_cast<std::size_t>(n_buildings));
  for (std::int32_t b = 0; b < static_cast<std::int32_t>(n_buildings); ++b) {
    const std::int64_t id = buildings.building_id[static_cast<std::size_t>(b)];
    const bool inserted = building_index_.emplace(id, b).second;
    CITYTWIN_CHECK(inserted,
                   "buildings.building_id " + std::to_string(id) + " appears more than once");
  }
}

void City::check_consistency() const {
  // buildings: one entry per building in every column, ragged rings and vertices
  const Buildings& b = buildings;
  const std::size_t n_b = b.building_id.size();
  check_size("buildings", "height_m", b.height_m.size(), n_b);
  check_size("buildings", "eaves_height_m", b.eaves_height_m.size(), n_b);
  check_size("buildings", "ground_elevation_m", b.ground_elevation_m.size(), n_b);
  check_size("buildings", "footprint_area_m2", b.footprint_area_m2.size(), n_b);
  check_size("buildings", "floor_area_m2", b.floor_area_m2.size(), n_b);
  check_size("buildings", "n_floors", b.n_floors.size(), n_b);
  check_size("buildings", "residents", b.residents.size(), n_b);
  check_size("buildings", "jobs", b.jobs.size(), n_b);
  check_size("buildings", "use", b.use.size(), n_b);
  check_size("buildings", "roof_shape", b.roof_shape.size(), n_b);
  check_size("buildings", "roof_pitch_deg", b.roof_pitch_deg.size(), n_b);
  check_size("buildings", "centroid_x_m", b.centroid_x_m.size(), n_b);
  check_size("buildings", "centroid_y_m", b.centroid_y_m.size(), n_b);
  check_size("buildings", "block_idx", b.block_idx.size(), n_b);
  check_size("buildings", "zone_idx", b.zone_idx.size(), n_b);
  CITYTWIN_CHECK(!b.vertex_begin.empty(), "buildings.vertex_begin must hold at least one offset");
  const std::size_t n_rings = b.vertex_begin.size() - 1;
  check_offsets("buildings", "ring_begin", b.ring_begin, n_b, n_rings, 1);
  check_size("buildings", "vertex_y_m", b.vertex_y_m.size(), b.vertex_x_m.size());
  check_offsets("buildings", "vertex_begin", b.vertex_begin, n_rings, b.vertex_x_m.size(), 3);
  check_enum("buildings", "use", b.use, building_use_names().size());
  check_enum("buildings", "roof_shape", b.roof_shape, roof_shape_names().size());
  check_indices("buildings", "block_idx", b.block_idx, -1, blocks.size());
  check_indices("buildings", "zone_idx", b.zone_idx, -1, zones.size());
  check_unique_ids("buildings", "building_id", b.building_id);

  // surfaces: owned by existing buildings, ragged rings and vertices
  const Surfaces& s = surfaces;
  const std::size_t n_s = s.surface_id.size();
  check_size("surfaces", "building_idx", s.building_idx.size(), n_s);
  check_size("surfaces", "type", s.type.size(), n_s);
  check_size("surfaces", "area_m2", s.area_m2.size(), n_s);
  check_size("surfaces", "tilt_deg", s.tilt_deg.size(), n_s);
  check_size("surfaces", "azimuth_deg", s.azimuth_deg.size(), n_s);
  check_size("surfaces", "vertex_y_m", s.vertex_y_m.size(), s.vertex_x_m.size());
  check_size("surfaces", "vertex_z_m", s.vertex_z_m.size(), s.vertex_x_m.size());
  CITYTWIN_CHECK(!s.vertex_begin.empty(), "surfaces.vertex_begin must hold at least one offset");
  const std::size_t n_surface_rings = s.vertex_begin.size() - 1;
  check_offsets("surfaces", "ring_begin", s.ring_begin, n_s, n_surface_rings, 1);
  check_offsets("surfaces", "vertex_begin", s.vertex_begin, n_surface_rings, s.vertex_x_m.size(),
                3);
  check_enum("surfaces", "type", s.type, surface_type_names().size());
  check_indices("surfaces", "building_idx", s.building_idx, 0, buildings.size());
  check_unique_ids("surfaces", "surface_id", s.surface_id);

  // streets: node columns, segment columns, segment ends on existing nodes
  const Streets& st = streets;
  const std::size_t n_nodes = st.node_id.size();
  check_size("streets", "node_x_m", st.node_x_m.size(), n_nodes);
  check_size("streets", "node_y_m", st.node_y_m.size(), n_nodes);
  check_size("streets", "node_z_m", st.node_z_m.size(), n_nodes);
  check_size("streets", "node_signalised", st.node_signalised.size(), n_nodes);
  const std::size_t n_streets = st.street_id.size();
  check_size("streets", "from_node_idx", st.from_node_idx.size(), n_streets);
  check_size("streets", "to_node_idx", st.to_node_idx.size(), n_streets);
  check_size("streets", "length_m", st.length_m.size(), n_streets);
  check_size("streets", "lanes_forward", st.lanes_forward.size(), n_streets);
  check_size("streets", "lanes_backward", st.lanes_backward.size(), n_streets);
  check_size("streets", "speed_limit_mps", st.speed_limit_mps.size(), n_streets);
  check_size("streets", "width_m", st.width_m.size(), n_streets);
  check_size("streets", "street_class", st.street_class.size(), n_streets);
  check_indices("streets", "from_node_idx", st.from_node_idx, 0, st.n_nodes());
  check_indices("streets", "to_node_idx", st.to_node_idx, 0, st.n_nodes());
  check_enum("streets", "street_class", st.street_class, street_class_names().size());
  check_unique_ids("streets", "node_id", st.node_id);
  check_unique_ids("streets", "street_id", st.street_id);

  // blocks and zones
  const std::size_t n_blocks = blocks.min_x_m.size();
  check_size("blocks", "min_y_m", blocks.min_y_m.size(), n_blocks);
  check_size("blocks", "max_x_m", blocks.max_x_m.size(), n_blocks);
  check_size("blocks", "max_y_m", blocks.max_y_m.size(), n_blocks);
  check_size("blocks", "zone_idx", blocks.zone_idx.size(), n_blocks);
  check_indices("blocks", "zone_idx", blocks.zone_idx, -1, zones.size());
  const std::size_t n_zones = zones.zone_id.size();
  check_size("zones", "name", zones.name.size(), n_zones);
  check_size("zones", "min_x_m", zones.min_x_m.size(), n_zones);
  check_size("zones", "min_y_m", zones.min_y_m.size(), n_zones);
  check_size("zones", "max_x_m", zones.max_x_m.size(), n_zones);
  check_size("zones", "max_y_m", zones.max_y_m.size(), n_zones);
  check_unique_ids("zones", "zone_id", zones.zone_id);

  // terrain grid
  CITYTWIN_CHECK(terrain.nx >= 0 && terrain.ny >= 0,
                 "terrain has a negative size: " + std::to_string(terrain.nx) + " x " +
                     std::to_string(terrain.ny));
  check_size("terrain", "elevation_m", terrain.elevation_m.size(),
             static_cast<std::size_t>(terrain.nx) * static_cast<std::size_t>(terrain.ny));
  CITYTWIN_CHECK(terrain.elevation_m.empty() || terrain.cell_m > 0.0,
                 "terrain.cell_m must be > 0, got " + std::to_string(terrain.cell_m));
}

}  // namespace citytwin::sim
