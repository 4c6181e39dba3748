#pragma once

#include <filesystem>

#include <citytwin/bikeshare/station_table.hpp>

namespace citytwin::bikeshare {

/// Reads the docked bike-share stations of an OpenStreetMap extract (.osm XML or .osm.pbf,
/// through libosmium): every node tagged `amenity=bicycle_rental`, and every closed way tagged
/// so (its position is the mean of its distinct vertices). station_id is the `ref` tag when it
/// is present and unique among the stations of the file, else "osm:node/<id>" or
/// "osm:way/<id>"; name is `name` (may be empty); capacity is the `capacity` tag, or -1 when
/// absent or not a non-negative integer (counted in n_missing_capacity). Stations come in file
/// order (nodes before ways, as in OSM files). Throws citytwin::InputError naming the file when
/// it cannot be opened or parsed (docs/models/bikeshare.md#stations-from-openstreetmap).
/// Not thread-safe with respect to the same output; reentrant otherwise.
[[nodiscard]] StationTable read_osm_bike_stations(const std::filesystem::path& osm_file);

}  // namespace citytwin::bikeshare
