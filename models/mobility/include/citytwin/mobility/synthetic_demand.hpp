#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <citytwin/mobility/queue_model.hpp>
#include <citytwin/mobility/router.hpp>
#include <citytwin/mobility/street_network.hpp>
#include <citytwin/sim/city.hpp>
#include <citytwin/sim/config_reader.hpp>

namespace citytwin::mobility {

/// Mode alternatives of the synthetic demand's mode choice, as per-trip choice codes (not link
/// bits: the queue model gets kModeCar, kModeBike or kModeWalk, see choice_link_mode()).
inline constexpr std::uint8_t kChoiceCar = 0;        ///< private car (driver)
inline constexpr std::uint8_t kChoiceBike = 1;       ///< own bicycle
inline constexpr std::uint8_t kChoiceWalk = 2;       ///< on foot
inline constexpr std::uint8_t kChoiceBikeShare = 3;  ///< shared bicycle (walk + ride + walk)
inline constexpr std::size_t kNumChoices = 4;        ///< number of choice codes
/// The bike-share choice code (alias of kChoiceBikeShare for models that only need this one).
inline constexpr std::uint8_t kModeBikeShare = kChoiceBikeShare;

/// Trip purposes: the activity at the trip's destination (docs/models/mobility.md#synthetic-demand-and-mode-choice).
inline constexpr std::uint8_t kPurposeHome = 0;    ///< back home (second trip of every tour)
inline constexpr std::uint8_t kPurposeWork = 1;    ///< to the workplace
inline constexpr std::uint8_t kPurposeSchool = 2;  ///< to school or university
inline constexpr std::uint8_t kPurposeShop = 3;    ///< shopping
inline constexpr std::uint8_t kPurposeOther = 4;   ///< leisure, errands, visits

/// The link-mode bit the queue model moves a trip of choice code `choice` with (bike-share rides
/// a bicycle: kModeBike). Throws std::invalid_argument for an unknown code.
[[nodiscard]] std::uint8_t choice_link_mode(std::uint8_t choice);

/// Parameters of the synthetic activity-based demand, scenario table
/// [models.mobility.synthetic]; every default is documented with its source in
/// docs/models/mobility.md#synthetic-demand-and-mode-choice.
struct SyntheticDemandConfig {
  // activity participation
  double stay_home_frac = 0.15;        ///< [1] residents who make no trip on the day
  double employed_frac = 0.50;         ///< [1] residents employed (work tour candidates)
  double student_frac = 0.15;          ///< [1] residents in school or university
  double work_attendance_frac = 0.85;  ///< [1] employed who go to work on the day
  double school_attendance_frac = 0.90;  ///< [1] students who go to school on the day
  double secondary_tours_with_primary_mean = 0.8;  ///< [1 d-1] Poisson mean, after work/school
  double secondary_tours_mean = 1.7;   ///< [1 d-1] Poisson mean, persons without work/school tour
  int max_secondary_tours = 4;         ///< [1] cap on secondary tours per person and day
  double shop_frac = 0.45;             ///< [1] secondary tours that are shopping (rest: other)
  double car_available_frac = 0.75;    ///< [1] persons with a car at their disposal
  double bike_available_frac = 0.70;   ///< [1] persons with a usable own bicycle

  // time of day [h since midnight] and activity durations [h]; normal, clamped
  double work_start_mean_h = 8.0;        ///< [h] desired start of work
  double work_start_sd_h = 1.0;          ///< [h]
  double work_duration_mean_h = 8.5;     ///< [h] time at work
  double work_duration_sd_h = 1.0;       ///< [h]
  double school_start_mean_h = 8.0;      ///< [h] desired start of school
  double school_start_sd_h = 0.5;        ///< [h]
  double school_duration_mean_h = 6.0;   ///< [h] time at school
  double school_duration_sd_h = 1.0;     ///< [h]
  double secondary_start_mean_h = 14.0;  ///< [h] desired start of a secondary activity
  double secondary_start_sd_h = 3.5;     ///< [h]
  double shop_duration_mean_h = 0.5;     ///< [h] time in a shop
  double shop_duration_sd_h = 0.25;      ///< [h]
  double other_duration_mean_h = 1.5;    ///< [h] time at an other activity
  double other_duration_sd_h = 1.0;      ///< [h]

  // destination choice (gravity model on a grid of cells)
  double work_decay_km = 4.0;     ///< [km] L of the deterrence exp(-d / L), work
  double school_decay_km = 1.5;   ///< [km] school
  double shop_decay_km = 1.0;     ///< [km] shopping
  double other_decay_km = 2.5;    ///< [km] other
  double gravity_cell_m = 500.0;  ///< [m] cell side (raised so that the grid has <= 1024 cells)
  int balancing_iterations = 20;  ///< [1] doubly-constrained balancing of work and school, 0 = off

  // mode choice: multinomial logit per tour, V = asc + beta_time · t [h] + beta_cost · c [EUR]
  double asc_car = 0.0;                     ///< [1] alternative-specific constant, car
  double asc_bike = -0.95;                  ///< [1] bike
  double asc_walk = 1.1;                    ///< [1] walk
  double asc_bike_share = -1.2;             ///< [1] bike-share
  double beta_time_car_per_h = -3.0;        ///< [h-1] in-vehicle time, car
  double beta_time_bike_per_h = -4.5;       ///< [h-1] bike
  double beta_time_walk_per_h = -4.5;       ///< [h-1] walk
  double beta_time_bike_share_per_h = -4.5; ///< [h-1] bike-share (ride and walks)
  double beta_cost_per_eur = -0.3;          ///< [EUR-1] money
  double car_cost_eur_per_km = 0.20;        ///< [EUR km-1] fuel and wear, by network distance
  double car_parking_cost_eur = 1.0;        ///< [EUR] parking at the activity, per tour
  double car_access_s = 120.0;              ///< [s] to and from the parked car, per trip
  double bike_speed_mps = 15.0 / 3.6;       ///< [m s-1] cyclist speed on the flat
  double bike_grade_slowdown = 10.0;        ///< [1] k in speed = base × max(0.3, 1 − k·grade)
  double walk_speed_mps = 1.4;              ///< [m s-1] pedestrian speed
  double walk_max_m = 5000.0;               ///< [m] longest walk (time at walk speed)
  double bike_max_m = 12000.0;              ///< [m] longest bike ride (time at bike speed)
  double connector_detour_factor = 1.3;     ///< [1] street distance / beeline, building to node
  bool bike_share = false;                  ///< offer the bike-share alternative
  double bike_share_access_m = 300.0;       ///< [m] walk to the station and from it, each end
  double bike_share_fare_eur = 1.0;         ///< [EUR] fare per ride
};

/// Reads the keys of the current table (usually models.mobility.synthetic) into a config:
/// ranges checked, unknown keys reported with "did you mean" by the reader's finish(), which
/// the caller runs. Problems go to the reader's Diagnostics. Also checks employed_frac +
/// student_frac <= 1.
[[nodiscard]] SyntheticDemandConfig read_synthetic_demand_config(sim::ConfigReader& reader);

/// Inputs of one tour's mode choice: per choice code, whether it is offered, the door-to-door
/// time of both trips and the money cost of the tour.
struct ModeAlternatives {
  std::array<bool, kNumChoices> available{};   ///< offered to the person for this tour
  std::array<double, kNumChoices> time_s{};    ///< [s] outbound + return, door to door
  std::array<double, kNumChoices> cost_eur{};  ///< [EUR] tour cost
};

/// Multinomial-logit probabilities P_m = exp(V_m) / Σ_available exp(V_k) with
/// V_m = asc_m + beta_time_m · time_h + beta_cost · cost_eur; 0 for unavailable modes; all 0
/// when none is available. Pure and thread-safe.
[[nodiscard]] std::array<double, kNumChoices> mode_choice_probabilities(
    const SyntheticDemandConfig& config, const ModeAlternatives& alternatives);

/// A synthetic day of trips of the whole population, one row per trip, ordered by person and
/// then by trip sequence. Every tour is home-based: an outbound trip to the activity (purpose of
/// the activity) and a return trip (kPurposeHome) with the same mode.
struct SyntheticDemand {
  std::vector<std::int64_t> person_id;         ///< person (0 .. n_persons-1, building order)
  std::vector<std::int32_t> home_building_idx; ///< the person's home
  std::vector<std::uint8_t> purpose;           ///< kPurpose* of the destination activity
  std::vector<std::uint8_t> choice;            ///< kChoice* (0 car, 1 bike, 2 walk, 3 bike-share)
  std::vector<double> departure_s;             ///< [s] since midnight of the simulated day
  std::vector<double> travel_time_s;           ///< [s] free-flow door-to-door time of the trip
  std::vector<std::int32_t> origin_building_idx;       ///< start building
  std::vector<std::int32_t> destination_building_idx;  ///< end building
  std::vector<std::int32_t> origin_node_idx;       ///< nearest node allowing the link mode
  std::vector<std::int32_t> destination_node_idx;  ///< nearest node allowing the link mode
  std::vector<double> origin_x_m, origin_y_m;             ///< [m] origin building centroid
  std::vector<double> destination_x_m, destination_y_m;   ///< [m] destination centroid
  /// Routes for the queue model, vehicle i = trip i: link mode choice_link_mode(choice[i]),
  /// shortest free-flow path for that mode (possibly empty when both ends share a node).
  Trips trips;
  std::int64_t n_persons = 0;      ///< [1] residents planned (== Σ Buildings::residents)
  std::int64_t n_stay_home = 0;    ///< [1] residents without any trip
  std::int64_t n_unroutable = 0;   ///< [1] trips dropped: no mode has a path for their tour
  /// [1] trips dropped: paths exist, but no mode is offered to the person (no car, no bike,
  /// beyond walk_max_m); these would use public transport, which is not modelled
  std::int64_t n_no_mode = 0;

  /// Number of trips.
  [[nodiscard]] std::int64_t size() const {
    return static_cast<std::int64_t>(departure_s.size());
  }
};

/// Synthesises the day plans of every resident of `city` and their trips on `network`
/// (`graph` must view `network`, usually link_graph_of(network)): activity participation,
/// gravity destination choice on a grid of cells, tour-based logit mode choice on free-flow
/// network times and costs, times of day, and the routes of the chosen modes
/// (docs/models/mobility.md#synthetic-demand-and-mode-choice). Random draws come from
/// sim::rng_for(seed, ...) per person and per tour, so the result is bit-identical for a seed on
/// any thread count. Throws std::invalid_argument on an inconsistent city, graph or config.
[[nodiscard]] SyntheticDemand synthesize_demand(const sim::City& city,
                                                const StreetNetwork& network,
                                                const LinkGraph& graph,
                                                const SyntheticDemandConfig& config,
                                                std::uint64_t seed);

}  // namespace citytwin::mobility
