#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <citytwin/mobility/street_network.hpp>
#include <citytwin/sim/city.hpp>

namespace citytwin::mobility {

/// Options of the OpenStreetMap reader.
struct OsmReadOptions {
  double storey_height_m = 3.0;          ///< [m] height of one storey for `building:levels`
  bool buildings_require_height = true;  ///< keep only buildings tagged height or levels
};

/// Bicycle-rental stations (`amenity=bicycle_rental` nodes), indexed by rental_idx.
struct BicycleRentals {
  std::vector<std::int64_t> osm_node_id;  ///< OSM node id
  std::vector<std::string> ref;           ///< `ref` (the operator's station id), empty if none
  std::vector<std::string> name;          ///< `name`, empty if none
  std::vector<std::int32_t> capacity;     ///< [docks] `capacity`, -1 if untagged or unreadable
  std::vector<double> lat_deg;            ///< [deg] WGS84 latitude
  std::vector<double> lon_deg;            ///< [deg] WGS84 longitude
  std::vector<double> x_m;                ///< [m] projected x
  std::vector<double> y_m;                ///< [m] projected y

  [[nodiscard]] std::int64_t size() const { return static_cast<std::int64_t>(osm_node_id.size()); }
};

/// What the reader saw and what it left out, for logs and tests.
struct OsmImportStats {
  std::int64_t n_nodes_read = 0;            ///< [1] nodes in the file
  std::int64_t n_ways_read = 0;             ///< [1] ways in the file
  std::int64_t n_relations_read = 0;        ///< [1] relations in the file
  std::int64_t n_missing_node_refs = 0;     ///< [1] way→node references to nodes not in the file
  std::int64_t n_routable_ways = 0;         ///< [1] highway ways turned into links
  std::int64_t n_ways_clipped = 0;          ///< [1] routable ways cut to their longest present run
  std::int64_t n_ways_dropped = 0;          ///< [1] highway ways with < 2 nodes in the file
  std::int64_t n_ways_no_mode = 0;          ///< [1] highway ways closed to every mode (access=no)
  std::int64_t n_restrictions_read = 0;     ///< [1] `type=restriction` relations
  std::int64_t n_restrictions_via_way = 0;  ///< [1] ignored: the via member is a way
  std::int64_t n_restrictions_skipped =
      0;                            ///< [1] ignored: unknown kind, members missing or ambiguous
  std::int64_t n_signal_nodes = 0;  ///< [1] `highway=traffic_signals` nodes on the network
  std::int64_t n_maxspeed_unparsed = 0;    ///< [1] `maxspeed` values replaced by the class default
  std::int64_t n_building_candidates = 0;  ///< [1] closed ways and multipolygons tagged building
  std::int64_t n_buildings_unassembled = 0;  ///< [1] candidates without a valid polygon (clipped)
  std::int64_t n_buildings_without_height = 0;  ///< [1] assembled, but no height nor levels
  std::int64_t n_building_outers_dropped = 0;   ///< [1] extra outer rings of multipolygons
};

/// Everything read from an OpenStreetMap extract. Coordinates are metres in `crs`, a transverse
/// Mercator centred on the bounding box of the file's nodes (docs/models/mobility.md#projection).
struct OsmData {
  StreetNetwork network;           ///< the routable network, finalized
  sim::Buildings buildings;        ///< buildings with height or levels, sim::City compatible
  BicycleRentals bicycle_rentals;  ///< bike-share stations
  std::string crs;                 ///< PROJ string of the projection
  double origin_lat_deg = 0.0;     ///< [deg] latitude of (0, 0)
  double origin_lon_deg = 0.0;     ///< [deg] longitude of (0, 0)
  OsmImportStats stats;            ///< counts of what was read and left out
};

/// Reads an OpenStreetMap extract, XML (`.osm`, `.osm.bz2`, `.osm.gz`) or PBF (`.osm.pbf`),
/// into the street network, buildings and bicycle-rental stations. Both formats of the same data
/// give identical results. Tag mapping, splitting, clipping and restrictions:
/// docs/models/mobility.md#street-network. Throws InputError (file, line and column for XML
/// syntax errors) when the file is missing or unreadable. Thread-safe (uses its own threads).
[[nodiscard]] OsmData read_osm(const std::filesystem::path& path,
                               const OsmReadOptions& options = {});

/// [m s-1] speed of an OSM `maxspeed` value ("50", "30 mph", "FI:urban", "none", "walk");
/// returns a negative value when the text is not understood. Pure, thread-safe.
[[nodiscard]] double parse_osm_maxspeed_mps(const std::string& text);

}  // namespace citytwin::mobility
