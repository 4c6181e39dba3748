#pragma once

#include <cstdint>
#include <span>

#include <citytwin/bikeshare/station_table.hpp>

namespace citytwin::bikeshare {

/// Parameters of place_new_stations() (docs/models/bikeshare.md#new-station-placement).
struct PlacementConfig {
  double coverage_radius_m = 300.0;  ///< [m] a station covers demand within this distance, > 0
  double min_spacing_m = 250.0;      ///< [m] least distance between any two stations, >= 0
  std::int32_t capacity = 20;        ///< [docks] capacity given to every new station, > 0
  /// [m] 0: candidate sites are the demand points; > 0: the centres of a square grid of this
  /// spacing over the bounding box of the demand points (row by row, south-west first).
  double grid_cell_m = 0.0;
};

/// Greedy maximal covering location (Church & ReVelle 1974): chooses up to `n_new` new station
/// sites, one at a time, each the candidate covering the largest total weight of demand not yet
/// covered (demand within coverage_radius_m of an existing station counts as covered from the
/// start), skipping candidates closer than min_spacing_m to an existing or already chosen
/// station; ties go to the lowest candidate index. Stops early when no admissible candidate
/// covers positive uncovered weight, so the result can hold fewer than `n_new` stations (the
/// caller reads n_stations()). Distances are on a local equirectangular projection about the
/// mean demand latitude. Returns ONLY the new stations: ids "new-1".."new-K" in choice order,
/// name "New station k", capacity config.capacity, source_file "placement".
/// Throws std::invalid_argument for spans of different lengths, negative or non-finite weights,
/// n_new < 0 or a bad config. Deterministic; thread-safe.
[[nodiscard]] StationTable place_new_stations(const StationTable& existing,
                                              std::span<const double> demand_lat_deg,
                                              std::span<const double> demand_lon_deg,
                                              std::span<const double> demand_weight,
                                              std::int32_t n_new, const PlacementConfig& config);

}  // namespace citytwin::bikeshare
