#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include <citytwin/mobility/queue_model.hpp>
#include <citytwin/mobility/router.hpp>

namespace citytwin::mobility {

/// How many agents re-route after an iteration (docs/models/mobility.md#re-planning).
enum class ReplanShareRule : std::uint8_t {
  kFixed = 0,  ///< the same share `reroute_share` after every iteration (MATSim's ReRoute weight)
  kMsa = 1,    ///< the method of successive averages: 1 / (k + 2) after iteration k (1/2, 1/3, ...)
};

/// Settings of the re-planning loop (docs/models/mobility.md#re-planning).
struct ReplanConfig {
  std::int32_t max_iterations = 10;   ///< [1] re-planning rounds after iteration 0, >= 0
  double relative_gap_target = 0.01;  ///< [1] stop as soon as the relative gap is <= this, >= 0
  ReplanShareRule share_rule = ReplanShareRule::kFixed;  ///< fixed share or MSA
  double reroute_share = 0.1;            ///< [1] share of agents drawn to re-route (kFixed), (0, 1]
  std::uint64_t seed = 0;                ///< seed of the draws choosing who re-routes
  double cost_interval_s = 900.0;        ///< [s] time bin of the link costs, a multiple of dt_s
  RouterConfig router{};                 ///< algorithm of the single (one-to-one) queries
  std::int32_t min_trips_per_tree = 16;  ///< [1] origins with this many trips in a bin get one
                                         ///< one-to-many tree instead of single queries, >= 1
};

/// Convergence of one iteration: the queue model run on the routes of that iteration.
struct ReplanIteration {
  std::int32_t iteration = 0;    ///< [1] 0 = the routes as given
  double relative_gap = 0.0;     ///< [1] (Σ route cost − Σ shortest-path cost) / Σ route cost
  double experienced_gap = 0.0;  ///< [1] same with experienced trip times (arrived trips only)
  double mean_travel_time_s = 0.0;    ///< [s] mean travel time of the arrived car trips
  double total_travel_time_h = 0.0;   ///< [h] summed travel time of the arrived car trips
  std::int64_t n_rerouted = 0;        ///< [1] trips given a new route before this run
  std::int64_t n_on_shortest = 0;     ///< [1] re-routable trips already on a shortest path
  std::int64_t n_arrived = 0;         ///< [1] car trips that arrived
  std::int64_t n_stuck_releases = 0;  ///< [1] forced moves of the queue model
};

/// What replan() returns.
struct ReplanResult {
  std::vector<ReplanIteration> iterations;  ///< one per queue-model run, in order
  bool converged = false;                   ///< true if the last gap is <= relative_gap_target
};

/// Iterates route choice to a dynamic user equilibrium (docs/models/mobility.md#re-planning).
/// Iteration k runs the queue model on the current routes of `trips`, turns its link statistics
/// into link travel times per `cost_interval_s` bin, routes every re-routable trip on the costs
/// of its departure bin, and records the relative gap. It stops when the gap is <=
/// relative_gap_target or after max_iterations re-planning rounds; otherwise a share of the
/// re-routable trips, drawn with sim::rng_for(seed, stream_id("mobility.replan"), vehicle, k),
/// switch to their shortest path where it is cheaper, and iteration k + 1 follows.
///
/// A trip is re-routable when reroutable[v] != 0 and it is a car trip; its new route is the
/// node-to-node path from origin_node_idx[v] to destination_node_idx[v] (as for OD trips), and
/// its current route must run between the same nodes (an empty route when they are equal).
/// Other trips keep their routes unchanged (origin and destination may then be -1). On return
/// `trips` holds the routes of the last iteration run. The spans have n_vehicles entries.
///
/// Routing is parallel (OpenMP, static schedule, one workspace per thread) and the result is
/// identical on any thread count. Throws std::invalid_argument on a bad config, span sizes,
/// nodes out of range or a route that does not join its origin and destination, and anything
/// QueueModel throws on bad trips or queue settings. Not thread-safe against other users of
/// `trips`.
[[nodiscard]] ReplanResult replan(const LinkGraph& graph, Trips& trips,
                                  std::span<const std::int32_t> origin_node_idx,
                                  std::span<const std::int32_t> destination_node_idx,
                                  std::span<const std::uint8_t> reroutable,
                                  const QueueModelConfig& queue_config, const ReplanConfig& config);

/// [s] Link travel times by entry-time bin from a queue-model run, row-major (bin, link), bins
/// as the intervals of `stats` (docs/models/mobility.md#re-planning). The statistics count cars
/// by the interval they leave a link in; each such interval with traffic gives a sample: the
/// mean time on the link (recovered exactly as Σ ticks × dt / volume) at the estimated mean
/// entry time (interval middle − that time). Bin j is the sample interpolated at its middle
/// (the nearest sample within one bin length outside their range, free flow further out); a
/// bin in which no car left is at least free flow + (mean cars held past their free-flow exit)
/// × bin length; never below the free-flow time `free_ticks` × dt_s. Links closed to cars are
/// +inf. One extra last row holds the free-flow times, for trips that depart after the last
/// bin. `run_end_s` is the end of the run (n_ticks × dt_s), the end of the last interval.
[[nodiscard]] std::vector<double> link_costs_from_stats(const LinkGraph& graph,
                                                        const LinkIntervalStats& stats,
                                                        std::span<const std::int64_t> free_ticks,
                                                        double dt_s, double run_end_s);

}  // namespace citytwin::mobility
