#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace citytwin::bikeshare {

/// The rebalancing trucks' parameters (docs/models/bikeshare.md#rebalancing-policy).
struct TruckConfig {
  std::int32_t capacity_bikes = 20;     ///< [bikes] bikes a truck carries, > 0
  double speed_mps = 8.0;               ///< [m/s] mean driving speed between stations, > 0
  double load_time_s_per_bike = 30.0;   ///< [s] to load or to unload one bike, >= 0
  double shift_start_s = 6.0 * 3600.0;  ///< [s of day] first moment a move may start
  double shift_end_s = 22.0 * 3600.0;   ///< [s of day] every move must end by then, > start
  std::int32_t depot_station_idx = 0;   ///< station where the trucks start the day
  std::int32_t min_move_bikes = 1;      ///< [bikes] smallest move worth driving for, >= 1
};

/// Where the trucks are: one entry per truck.
struct TruckFleet {
  std::vector<std::int32_t> station_idx;  ///< [n_trucks] station at (or heading to) now
  std::vector<std::int32_t> load_bikes;   ///< [n_trucks] [bikes] bikes on board
  std::vector<double> free_at_s;          ///< [n_trucks] [s] time the truck finishes its move
};

/// One planned truck move: drive from the truck's station to `from_station`, load `n_bikes`,
/// drive to `to_station`, unload them. from_station == -1 means a drop of bikes already on
/// board (no pickup).
struct RebalanceMove {
  std::int32_t truck = 0;         ///< truck index
  std::int32_t from_station = 0;  ///< pickup station, -1 for bikes already on board
  std::int32_t to_station = 0;    ///< drop-off station
  std::int32_t n_bikes = 0;       ///< [bikes] moved, >= 1
  double depart_s = 0.0;          ///< [s] truck leaves its current station
  double pickup_s = 0.0;          ///< [s] bikes leave from_station (loading done)
  double arrive_s = 0.0;          ///< [s] bikes docked at to_station (unloading done, truck free)
};

/// Parameters of rebalancing_targets().
struct TargetConfig {
  double buffer_frac = 0.5;  ///< [-] share of the docks kept filled besides the expected outflow
};

/// "Fill to target" levels per station (docs/models/bikeshare.md#rebalancing-policy):
/// target = clamp(round((rental - return) * horizon_h + buffer_frac * capacity), 0, capacity).
/// Rates are the expected rentals and returns per hour over the coming horizon. Throws
/// std::invalid_argument for spans of different lengths or horizon_h < 0. Thread-safe.
[[nodiscard]] std::vector<std::int32_t> rebalancing_targets(
    std::span<const double> rental_rate_per_h, std::span<const double> return_rate_per_h,
    std::span<const std::int32_t> capacity, double horizon_h, const TargetConfig& config = {});

/// Plans the next move of each idle truck (free_at_s <= now_s), in truck order, greedily: a
/// truck with bikes on board drops them at the station of largest deficit (ties: nearest, then
/// lowest index); an empty truck picks up at the station of largest surplus (bikes - target;
/// ties: nearest to the truck, then lowest index) and drops at the station of largest deficit
/// (target - bikes; ties: nearest to the pickup, then lowest index), moving
/// min(capacity_bikes, surplus, deficit) bikes. Later trucks see the surplus and deficit left by
/// earlier ones. No move starts outside [shift_start_s, shift_end_s) of the day (now_s modulo
/// 86400 s) or would end after shift_end_s. `bikes` must already count the moves in progress.
/// `distance_m` is n x n row-major [m]. Throws std::invalid_argument for inconsistent sizes or
/// station indices. Pure and deterministic; thread-safe.
[[nodiscard]] std::vector<RebalanceMove> plan_rebalancing(
    double now_s, std::span<const std::int32_t> bikes, std::span<const std::int32_t> capacity,
    std::span<const std::int32_t> target, const TruckFleet& trucks,
    std::span<const double> distance_m, const TruckConfig& config);

}  // namespace citytwin::bikeshare
