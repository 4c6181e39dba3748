#include <citytwin/bikeshare/readers/osm_stations.hpp>

#include <charconv>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

// GCC 12 reports a false -Wstringop-overread inside libosmium after inlining
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstringop-overread"
#include <osmium/handler.hpp>
#include <osmium/handler/node_locations_for_ways.hpp>
#include <osmium/index/map/flex_mem.hpp>
#include <osmium/io/any_input.hpp>
#include <osmium/visitor.hpp>
#pragma GCC diagnostic pop

#include <citytwin/sim/error.hpp>

// Bike-share stations from OpenStreetMap (docs/models/bikeshare.md#stations-from-openstreetmap).
namespace citytwin::bikeshare {
namespace {

/// A rental station as found in the file, before ids are settled.
struct RawStation {
  std::string osm_key;  // "node/<id>" or "way/<id>"
  std::string ref;
  std::string name;
  std::string capacity;
  bool has_capacity = false;
  double lat_deg = 0.0;
  double lon_deg = 0.0;
};

/// The value of `key`, empty when absent.
std::string tag_value(const osmium::TagList& tags, const char* key) {
  const char* value = tags.get_value_by_key(key);
  return value == nullptr ? std::string() : std::string(value);
}

/// Collects amenity=bicycle_rental nodes and closed ways (mean of the distinct vertices).
class RentalHandler : public osmium::handler::Handler {
 public:
  void node(const osmium::Node& node) {
    if (!is_rental(node.tags())) return;
    const osmium::Location loc = node.location();
    if (!loc.valid()) return;
    RawStation s = describe(node.tags(), "node/" + std::to_string(node.id()));
    s.lat_deg = loc.lat();
    s.lon_deg = loc.lon();
    nodes.push_back(std::move(s));
  }

  void way(const osmium::Way& way) {
    if (!is_rental(way.tags()) || !way.is_closed()) return;
    // the closing vertex repeats the first one: leave it out of the mean
    const osmium::WayNodeList& refs = way.nodes();
    double lat_sum = 0.0, lon_sum = 0.0;
    std::size_t n = 0;
    for (std::size_t i = 0; i + 1 < refs.size(); ++i) {
      const osmium::Location loc = refs[i].location();
      if (!loc.valid()) continue;
      lat_sum += loc.lat();
      lon_sum += loc.lon();
      ++n;
    }
    if (n == 0) return;
    RawStation s = describe(way.tags(), "way/" + std::to_string(way.id()));
    s.lat_deg = lat_sum / static_cast<double>(n);
    s.lon_deg = lon_sum / static_cast<double>(n);
    ways.push_back(std::move(s));
  }

  std::vector<RawStation> nodes;
  std::vector<RawStation> ways;

 private:
  static bool is_rental(const osmium::TagList& tags) {
    const char* amenity = tags.get_value_by_key("amenity");
    return amenity != nullptr && std::string_view(amenity) == "bicycle_rental";
  }
  static RawStation describe(const osmium::TagList& tags, std::string key) {
    RawStation s;
    s.osm_key = std::move(key);
    s.ref = tag_value(tags, "ref");
    s.name = tag_value(tags, "name");
    s.has_capacity = tags.has_key("capacity");
    s.capacity = tag_value(tags, "capacity");
    return s;
  }
};

/// The capacity tag as a non-negative integer, -1 when it is not one.
std::int32_t parse_capacity(const std::string& text) {
  std::int32_t value = -1;
  const char* end = text.data() + text.size();
  const auto result = std::from_chars(text.data(), end, value);
  if (result.ec != std::errc() || result.ptr != end || value < 0) return -1;
  return value;
}

}  // namespace

StationTable read_osm_bike_stations(const std::filesystem::path& osm_file) {
  const auto fail = [&osm_file](const std::string& message) {
    InputIssue issue;
    issue.file = osm_file.string();
    issue.message = message;
    return InputError(std::move(issue));
  };
  if (!std::filesystem::is_regular_file(osm_file)) {
    throw fail("cannot open the OSM file (give an existing .osm or .osm.pbf extract)");
  }

  // one pass: node locations kept for the ways, rental nodes and ways collected
  RentalHandler handler;
  try {
    const osmium::io::File file{osm_file.string()};
    using Index = osmium::index::map::FlexMem<osmium::unsigned_object_id_type, osmium::Location>;
    Index index;
    osmium::handler::NodeLocationsForWays<Index> locations{index};
    locations.ignore_errors();
    osmium::io::Reader reader{file, osmium::osm_entity_bits::node | osmium::osm_entity_bits::way};
    osmium::apply(reader, locations, handler);
    reader.close();
  } catch (const std::exception& e) {
    throw fail(std::string("cannot parse the OSM file: ") + e.what() +
               " (give an OSM XML .osm or .osm.pbf extract)");
  }
  std::vector<RawStation> raw = std::move(handler.nodes);
  for (RawStation& s : handler.ways) raw.push_back(std::move(s));

  // a ref names a station only when no other station of the file uses it
  std::unordered_map<std::string, std::int32_t> ref_count;
  for (const RawStation& s : raw) {
    if (!s.ref.empty()) ++ref_count[s.ref];
  }

  // the table, in file order
  StationTable table;
  table.source_file = osm_file.string();
  for (const RawStation& s : raw) {
    std::string id = (!s.ref.empty() && ref_count[s.ref] == 1) ? s.ref : "osm:" + s.osm_key;
    const auto idx = static_cast<std::int32_t>(table.station_id.size());
    table.index_of.emplace(id, idx);
    table.station_id.push_back(std::move(id));
    table.name.push_back(s.name);
    table.address.emplace_back();
    table.city.emplace_back();
    table.lat_deg.push_back(s.lat_deg);
    table.lon_deg.push_back(s.lon_deg);
    const std::int32_t capacity = s.has_capacity ? parse_capacity(s.capacity) : -1;
    table.capacity.push_back(capacity);
    if (capacity < 0) ++table.n_missing_capacity;
  }
  return table;
}

}  // namespace citytwin::bikeshare
