#include <citytwin/bikeshare/rebalancing.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

// Truck rebalancing: fill-to-target levels and a greedy move planner
// (docs/models/bikeshare.md#rebalancing-policy).
namespace citytwin::bikeshare {
namespace {

constexpr double kDayS = 86400.0;

/// The station of largest `amount` (> 0); ties: smallest distance from `origin`, then lowest
/// index. -1 when no station has a positive amount.
std::int32_t pick_station(const std::vector<std::int32_t>& amount, std::span<const double> distance_m,
                          std::size_t n, std::int32_t origin) {
  std::int32_t best = -1;
  for (std::size_t s = 0; s < n; ++s) {
    if (amount[s] <= 0) continue;
    if (best < 0) {
      best = static_cast<std::int32_t>(s);
      continue;
    }
    const auto b = static_cast<std::size_t>(best);
    const auto o = static_cast<std::size_t>(origin);
    if (amount[s] > amount[b] ||
        (amount[s] == amount[b] && distance_m[o * n + s] < distance_m[o * n + b])) {
      best = static_cast<std::int32_t>(s);
    }
  }
  return best;
}

}  // namespace

std::vector<std::int32_t> rebalancing_targets(std::span<const double> rental_rate_per_h,
                                              std::span<const double> return_rate_per_h,
                                              std::span<const std::int32_t> capacity,
                                              double horizon_h, const TargetConfig& config) {
  const std::size_t n = capacity.size();
  if (rental_rate_per_h.size() != n || return_rate_per_h.size() != n) {
    throw std::invalid_argument("rebalancing_targets: rental_rate_per_h, return_rate_per_h and "
                                "capacity must have the same length, got " +
                                std::to_string(rental_rate_per_h.size()) + ", " +
                                std::to_string(return_rate_per_h.size()) + ", " +
                                std::to_string(n));
  }
  if (!(horizon_h >= 0.0) || !std::isfinite(horizon_h)) {
    throw std::invalid_argument("rebalancing_targets: horizon_h must be >= 0, got " +
                                std::to_string(horizon_h));
  }
  if (!(config.buffer_frac >= 0.0 && config.buffer_frac <= 1.0)) {
    throw std::invalid_argument("rebalancing_targets: buffer_frac must be in [0, 1], got " +
                                std::to_string(config.buffer_frac));
  }
  std::vector<std::int32_t> target(n, 0);
  for (std::size_t s = 0; s < n; ++s) {
    const double cap = std::max(0, capacity[s]);
    const double net_out = (rental_rate_per_h[s] - return_rate_per_h[s]) * horizon_h;
    const double level = std::clamp(std::round(net_out + config.buffer_frac * cap), 0.0, cap);
    target[s] = static_cast<std::int32_t>(level);
  }
  return target;
}

std::vector<RebalanceMove> plan_rebalancing(double now_s, std::span<const std::int32_t> bikes,
                                            std::span<const std::int32_t> capacity,
                                            std::span<const std::int32_t> target,
                                            const TruckFleet& trucks,
                                            std::span<const double> distance_m,
                                            const TruckConfig& config) {
  // sizes and config
  const std::size_t n = bikes.size();
  const auto fail = [](const std::string& message) {
    throw std::invalid_argument("plan_rebalancing: " + message);
  };
  if (capacity.size() != n || target.size() != n || distance_m.size() != n * n) {
    fail("bikes, capacity, target (n) and distance_m (n*n) disagree: n = " + std::to_string(n) +
         ", capacity " + std::to_string(capacity.size()) + ", target " +
         std::to_string(target.size()) + ", distance_m " + std::to_string(distance_m.size()));
  }
  const std::size_t n_trucks = trucks.station_idx.size();
  if (trucks.load_bikes.size() != n_trucks || trucks.free_at_s.size() != n_trucks) {
    fail("trucks.station_idx, load_bikes and free_at_s must have the same length");
  }
  if (config.capacity_bikes <= 0 || !(config.speed_mps > 0.0) ||
      !(config.load_time_s_per_bike >= 0.0) || config.min_move_bikes < 1 ||
      !(config.shift_end_s > config.shift_start_s)) {
    fail("bad TruckConfig (capacity_bikes > 0, speed_mps > 0, load_time_s_per_bike >= 0, "
         "min_move_bikes >= 1, shift_end_s > shift_start_s)");
  }
  for (std::size_t k = 0; k < n_trucks; ++k) {
    if (trucks.station_idx[k] < 0 || static_cast<std::size_t>(trucks.station_idx[k]) >= n) {
      fail("truck " + std::to_string(k) + " is at station " +
           std::to_string(trucks.station_idx[k]) + ", outside [0, " + std::to_string(n) + ")");
    }
  }

  // outside the shift nothing starts
  std::vector<RebalanceMove> moves;
  const double day_start_s = std::floor(now_s / kDayS) * kDayS;
  const double time_of_day_s = now_s - day_start_s;
  if (time_of_day_s < config.shift_start_s || time_of_day_s >= config.shift_end_s) return moves;
  const double shift_end_abs_s = day_start_s + config.shift_end_s;

  // surplus and deficit against the targets
  std::vector<std::int32_t> surplus(n, 0), deficit(n, 0);
  for (std::size_t s = 0; s < n; ++s) {
    const std::int32_t level = std::clamp(target[s], 0, std::max(0, capacity[s]));
    surplus[s] = std::max(0, bikes[s] - level);
    deficit[s] = std::max(0, level - bikes[s]);
  }
  const auto drive_s = [&](std::int32_t a, std::int32_t b) {
    return distance_m[static_cast<std::size_t>(a) * n + static_cast<std::size_t>(b)] / config.speed_mps;
  };

  // idle trucks in index order
  for (std::size_t k = 0; k < n_trucks; ++k) {
    if (trucks.free_at_s[k] > now_s) continue;
    const std::int32_t at = trucks.station_idx[k];
    RebalanceMove move;
    move.truck = static_cast<std::int32_t>(k);
    move.depart_s = now_s;
    if (trucks.load_bikes[k] > 0) {
      // bikes on board: drop them where they are missing most
      const std::int32_t to = pick_station(deficit, distance_m, n, at);
      if (to < 0) continue;
      const std::int32_t n_bikes = std::min(trucks.load_bikes[k], deficit[static_cast<std::size_t>(to)]);
      if (n_bikes < config.min_move_bikes) continue;
      move.from_station = -1;
      move.to_station = to;
      move.n_bikes = n_bikes;
      move.pickup_s = now_s;
      move.arrive_s = now_s + drive_s(at, to) + n_bikes * config.load_time_s_per_bike;
    } else {
      // largest surplus near the truck, then the largest deficit near that pickup
      const std::int32_t from = pick_station(surplus, distance_m, n, at);
      if (from < 0) continue;
      const std::int32_t to = pick_station(deficit, distance_m, n, from);
      if (to < 0) continue;
      const std::int32_t n_bikes =
          std::min({config.capacity_bikes, surplus[static_cast<std::size_t>(from)],
                    deficit[static_cast<std::size_t>(to)]});
      if (n_bikes < config.min_move_bikes) continue;
      const double handling_s = n_bikes * config.load_time_s_per_bike;
      move.from_station = from;
      move.to_station = to;
      move.n_bikes = n_bikes;
      move.pickup_s = now_s + drive_s(at, from) + handling_s;
      move.arrive_s = move.pickup_s + drive_s(from, to) + handling_s;
      surplus[static_cast<std::size_t>(from)] -= n_bikes;
    }
    // a move must end within the shift
    if (!(move.arrive_s <= shift_end_abs_s)) {
      if (move.from_station >= 0) surplus[static_cast<std::size_t>(move.from_station)] += move.n_bikes;
      continue;
    }
    deficit[static_cast<std::size_t>(move.to_station)] -= move.n_bikes;
    moves.push_back(move);
  }
  return moves;
}

}  // namespace citytwin::bikeshare
