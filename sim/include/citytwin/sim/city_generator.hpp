#pragma once

#include <cstdint>

#include <citytwin/sim/city.hpp>

namespace citytwin::sim {

/// Parameters of the synthetic city (scenario section [city.generator]).
struct CityGeneratorOptions {
  std::uint64_t seed = 1;               ///< generator seed (independent of the run seed)
  std::int64_t n_buildings = 500;       ///< [1] target number of buildings (actual is within ±10 %)
  double block_size_m = 120.0;          ///< [m] side of a block, street axis to street axis
  std::int32_t arterial_every = 5;      ///< [1] every n-th street is an arterial
  double origin_lat_deg = 45.7640;      ///< [deg] latitude of the city centre (Lyon by default)
  double origin_lon_deg = 4.8357;       ///< [deg] longitude of the city centre
  double terrain_relief_m = 20.0;       ///< [m] peak-to-peak amplitude of the gentle terrain
  double residents_per_m2 = 1.0 / 40.0; ///< [m-2] residents per m2 of residential floor area
  double jobs_per_m2 = 1.0 / 25.0;      ///< [m-2] jobs per m2 of non-residential floor area
};

/// Generates a plausible synthetic city: a grid of streets (arterials with 2 lanes each way at
/// 50 km/h, local streets with 1 lane each way at 30 km/h), blocks of buildings of mixed use with
/// flat and pitched roofs, population and jobs, and gentle terrain. Deterministic: the same
/// options always give the same city, bit for bit, on any thread count.
/// Invariants: footprints never overlap, and every building fronts a street of its block.
[[nodiscard]] City generate_city(const CityGeneratorOptions& options);

}  // namespace citytwin::sim
