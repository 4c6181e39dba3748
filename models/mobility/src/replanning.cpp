#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <numeric>
#include <stdexcept>
#include <string>

#include <citytwin/mobility/replanning.hpp>
#include <citytwin/sim/parallel.hpp>
#include <citytwin/sim/rng.hpp>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace citytwin::mobility {

namespace {

// random stream of the draws choosing who re-routes
constexpr std::uint32_t kReplanStream = sim::stream_id("mobility.replan");
constexpr double kInf = std::numeric_limits<double>::infinity();

[[noreturn]] void bad_argument(const std::string& what) { throw std::invalid_argument(what); }

std::string number(double value) { return std::to_string(value); }

// [1] ticks of one cost bin; cost_interval_s must be a whole multiple of dt_s
std::int64_t interval_ticks_of(const ReplanConfig& config, double dt_s) {
  if (!(dt_s > 0.0) || !std::isfinite(dt_s)) {
    bad_argument("replan: queue_config.dt_s must be finite and > 0 (got " + number(dt_s) + ")");
  }
  if (!(config.cost_interval_s > 0.0) || !std::isfinite(config.cost_interval_s)) {
    bad_argument("replan: cost_interval_s must be finite and > 0 (got " +
                 number(config.cost_interval_s) + ")");
  }
  const double ticks = config.cost_interval_s / dt_s;
  const double whole = std::round(ticks);
  if (whole < 1.0 || std::abs(ticks - whole) > 1e-9 * whole) {
    bad_argument("replan: cost_interval_s must be a whole multiple of queue_config.dt_s (got " +
                 number(config.cost_interval_s) + " s and dt_s " + number(dt_s) + " s)");
  }
  return static_cast<std::int64_t>(whole);
}

void validate_config(const ReplanConfig& c) {
  if (c.max_iterations < 0) {
    bad_argument("replan: max_iterations must be >= 0 (got " + std::to_string(c.max_iterations) +
                 ")");
  }
  if (!(c.relative_gap_target >= 0.0) || !std::isfinite(c.relative_gap_target)) {
    bad_argument("replan: relative_gap_target must be finite and >= 0 (got " +
                 number(c.relative_gap_target) + ")");
  }
  if (!(c.reroute_share > 0.0 && c.reroute_share <= 1.0)) {
    bad_argument("replan: reroute_share must be in (0, 1] (got " + number(c.reroute_share) + ")");
  }
  if (c.share_rule != ReplanShareRule::kFixed && c.share_rule != ReplanShareRule::kMsa) {
    bad_argument("replan: share_rule must be kFixed or kMsa (got " +
                 std::to_string(static_cast<int>(c.share_rule)) + ")");
  }
  if (c.min_trips_per_tree < 1) {
    bad_argument("replan: min_trips_per_tree must be >= 1 (got " +
                 std::to_string(c.min_trips_per_tree) + ")");
  }
}

// the re-routable trips (car, flagged), after checking their nodes and current routes
std::vector<std::int32_t> agents_of(const LinkGraph& graph, const Trips& trips,
                                    std::span<const std::int32_t> origin,
                                    std::span<const std::int32_t> destination,
                                    std::span<const std::uint8_t> reroutable) {
  const auto nv = static_cast<std::size_t>(trips.n_vehicles());
  const auto check_size = [&](const char* name, std::size_t size) {
    if (size != nv) {
      bad_argument(std::string("replan: ") + name + " has " + std::to_string(size) +
                   " entries, expected one per vehicle (" + std::to_string(nv) + ")");
    }
  };
  check_size("origin_node_idx", origin.size());
  check_size("destination_node_idx", destination.size());
  check_size("reroutable", reroutable.size());
  if (trips.mode.size() != nv || trips.route_begin.size() != nv + 1 ||
      trips.route_begin.back() != static_cast<std::int64_t>(trips.route_link_idx.size())) {
    bad_argument("replan: trips columns are inconsistent (mode, route_begin, route_link_idx)");
  }
  std::vector<std::int32_t> agents;
  for (std::size_t v = 0; v < nv; ++v) {
    if (reroutable[v] == 0 || trips.mode[v] != kModeCar) continue;
    const std::string at = "replan: vehicle " + std::to_string(v) + ": ";
    const std::int32_t o = origin[v];
    const std::int32_t d = destination[v];
    if (o < 0 || o >= graph.n_nodes || d < 0 || d >= graph.n_nodes) {
      bad_argument(at + "origin_node_idx " + std::to_string(o) + " or destination_node_idx " +
                   std::to_string(d) + " is not a node (0.." + std::to_string(graph.n_nodes - 1) +
                   ")");
    }
    const std::int64_t b = trips.route_begin[v];
    const std::int64_t e = trips.route_begin[v + 1];
    if (b == e ? o != d : false) {
      bad_argument(at + "the route is empty but origin " + std::to_string(o) + " and destination " +
                   std::to_string(d) + " differ");
    }
    if (b < e) {
      const auto first =
          static_cast<std::size_t>(trips.route_link_idx[static_cast<std::size_t>(b)]);
      const auto last =
          static_cast<std::size_t>(trips.route_link_idx[static_cast<std::size_t>(e - 1)]);
      if (first >= graph.from_node_idx.size() || last >= graph.to_node_idx.size()) {
        bad_argument(at + "the route names a link out of range");
      }
      if (graph.from_node_idx[first] != o || graph.to_node_idx[last] != d) {
        bad_argument(at + "the route runs from node " + std::to_string(graph.from_node_idx[first]) +
                     " to node " + std::to_string(graph.to_node_idx[last]) +
                     ", not from origin_node_idx " + std::to_string(o) +
                     " to destination_node_idx " + std::to_string(d) +
                     "; give the route's end nodes or clear reroutable");
      }
    }
    agents.push_back(static_cast<std::int32_t>(v));
  }
  return agents;
}

// shortest paths of the agents on the costs of their bins; paths kept only where wanted
struct Routing {
  std::vector<double> sp_cost_s;     // [s] per agent, forward sum along the path, +inf if none
  std::vector<std::int32_t> owner;   // thread buffer holding the kept path, -1 if none
  std::vector<std::int64_t> offset;  // start of the kept path in its buffer
  std::vector<std::int64_t> length;  // links of the kept path
  std::vector<std::vector<std::int32_t>> buffers;  // kept paths, one buffer per thread
};

// a group of queries: one tree from a shared origin, or a single query
struct Task {
  std::int64_t begin = 0;  // first query (position in the sorted order)
  std::int64_t end = 0;    // one past the last
  bool tree = false;
};

Routing route_agents(const LinkGraph& graph, std::span<const double> costs, std::int64_t n_bins,
                     std::span<const std::int32_t> agents, std::span<const std::int32_t> bin,
                     std::span<const std::int32_t> origin,
                     std::span<const std::int32_t> destination,
                     std::span<const double> route_cost_s, std::span<const std::uint8_t> keep_path,
                     const ReplanConfig& config) {
  const auto n_links = static_cast<std::size_t>(graph.n_links());
  const auto n_agents = static_cast<std::int64_t>(agents.size());

  // one router per bin with trips (landmarks on that bin's costs)
  std::vector<std::unique_ptr<Router>> routers(static_cast<std::size_t>(n_bins));
  for (const std::int32_t b : bin) {
    auto& router = routers[static_cast<std::size_t>(b)];
    if (router) continue;
    router = std::make_unique<Router>(
        graph, costs.subspan(static_cast<std::size_t>(b) * n_links, n_links), config.router);
  }

  // queries sorted by (bin, origin, vehicle); origins with many trips in a bin share one tree
  std::vector<std::int64_t> order(static_cast<std::size_t>(n_agents));
  std::iota(order.begin(), order.end(), std::int64_t{0});
  std::sort(order.begin(), order.end(), [&](std::int64_t x, std::int64_t y) {
    const auto a = static_cast<std::size_t>(x);
    const auto c = static_cast<std::size_t>(y);
    const auto v_a = static_cast<std::size_t>(agents[a]);
    const auto v_c = static_cast<std::size_t>(agents[c]);
    if (bin[a] != bin[c]) return bin[a] < bin[c];
    if (origin[v_a] != origin[v_c]) return origin[v_a] < origin[v_c];
    return x < y;
  });
  std::vector<std::int32_t> sorted_destination(order.size());
  for (std::size_t q = 0; q < order.size(); ++q) {
    sorted_destination[q] =
        destination[static_cast<std::size_t>(agents[static_cast<std::size_t>(order[q])])];
  }
  std::vector<Task> tasks;
  for (std::int64_t q = 0; q < n_agents;) {
    const auto a = static_cast<std::size_t>(order[static_cast<std::size_t>(q)]);
    const std::int32_t o = origin[static_cast<std::size_t>(agents[a])];
    std::int64_t end = q + 1;
    while (end < n_agents) {
      const auto c = static_cast<std::size_t>(order[static_cast<std::size_t>(end)]);
      if (bin[c] != bin[a] || origin[static_cast<std::size_t>(agents[c])] != o) break;
      ++end;
    }
    if (end - q >= config.min_trips_per_tree) {
      tasks.push_back({q, end, true});
    } else {
      for (std::int64_t s = q; s < end; ++s) tasks.push_back({s, s + 1, false});
    }
    q = end;
  }

  // one workspace and one path buffer per thread, allocated before the loop
  const int n_threads = std::max(1, sim::thread_count());
  std::vector<RouterWorkspace> workspaces;
  workspaces.reserve(static_cast<std::size_t>(n_threads));
  for (int t = 0; t < n_threads; ++t) workspaces.emplace_back(graph.n_nodes);
  Routing out;
  out.sp_cost_s.assign(static_cast<std::size_t>(n_agents), kInf);
  out.owner.assign(static_cast<std::size_t>(n_agents), -1);
  out.offset.assign(static_cast<std::size_t>(n_agents), 0);
  out.length.assign(static_cast<std::size_t>(n_agents), 0);
  out.buffers.resize(static_cast<std::size_t>(n_threads));
  std::vector<double> tree_cost_s(order.size(), kInf);
  const auto n_tasks = static_cast<std::int64_t>(tasks.size());

  // queries in parallel; a task writes only its own agents' entries
#pragma omp parallel num_threads(n_threads)
  {
#ifdef _OPENMP
    const int tid = omp_get_thread_num();
#else
    const int tid = 0;
#endif
    RouterWorkspace& ws = workspaces[static_cast<std::size_t>(tid)];
    std::vector<std::int32_t>& buffer = out.buffers[static_cast<std::size_t>(tid)];
    std::vector<std::int32_t> path;
    path.reserve(1024);

    // the path's cost summed in travel order (as the route costs), kept if wanted and cheaper
    const auto record = [&](std::size_t a) {
      const std::span<const double> row =
          costs.subspan(static_cast<std::size_t>(bin[a]) * n_links, n_links);
      double cost_s = 0.0;
      for (const std::int32_t l : path) cost_s += row[static_cast<std::size_t>(l)];
      out.sp_cost_s[a] = cost_s;
      if (keep_path[a] != 0 && cost_s < route_cost_s[a]) {
        out.owner[a] = tid;
        out.offset[a] = static_cast<std::int64_t>(buffer.size());
        out.length[a] = static_cast<std::int64_t>(path.size());
        buffer.insert(buffer.end(), path.begin(), path.end());
      }
    };

#pragma omp for schedule(static, 1)
    for (std::int64_t t = 0; t < n_tasks; ++t) {
      const Task& task = tasks[static_cast<std::size_t>(t)];
      const auto first = static_cast<std::size_t>(order[static_cast<std::size_t>(task.begin)]);
      const Router& router = *routers[static_cast<std::size_t>(bin[first])];
      const std::int32_t o = origin[static_cast<std::size_t>(agents[first])];
      if (task.tree) {
        const auto b = static_cast<std::size_t>(task.begin);
        const auto n = static_cast<std::size_t>(task.end - task.begin);
        router.one_to_many(o, std::span<const std::int32_t>(sorted_destination).subspan(b, n), ws,
                           std::span<double>(tree_cost_s).subspan(b, n));
        for (std::size_t q = b; q < b + n; ++q) {
          if (std::isinf(tree_cost_s[q])) continue;
          router.path_to(ws, sorted_destination[q], path);
          record(static_cast<std::size_t>(order[q]));
        }
      } else {
        const auto q = static_cast<std::size_t>(task.begin);
        if (std::isinf(router.route(o, sorted_destination[q], ws, path))) continue;
        record(first);
      }
    }
  }
  return out;
}

// the share of agents drawn to re-route after iteration k
double share_after(const ReplanConfig& config, std::int32_t k) {
  return config.share_rule == ReplanShareRule::kMsa ? 1.0 / static_cast<double>(k + 2)
                                                    : config.reroute_share;
}

}  // namespace

std::vector<double> link_costs_from_stats(const LinkGraph& graph, const LinkIntervalStats& stats,
                                          std::span<const std::int64_t> free_ticks, double dt_s,
                                          double run_end_s) {
  const std::int64_t n_links = graph.n_links();
  const std::int64_t n_bins = stats.n_intervals();
  if (static_cast<std::int64_t>(free_ticks.size()) != n_links ||
      (n_bins > 0 && stats.n_links != n_links) ||
      static_cast<std::int64_t>(stats.volume_veh.size()) != n_bins * n_links) {
    bad_argument("link_costs_from_stats: free_ticks and stats must cover the graph's " +
                 std::to_string(n_links) + " links");
  }
  const auto nb = static_cast<std::size_t>(n_bins);
  const auto nl = static_cast<std::size_t>(n_links);
  std::vector<double> bin_len_s(nb);
  std::vector<double> bin_mid_s(nb);
  for (std::size_t i = 0; i < nb; ++i) {
    const double end_s = i + 1 < nb ? stats.start_s[i + 1] : run_end_s;
    bin_len_s[i] = std::max(0.0, end_s - stats.start_s[i]);
    bin_mid_s[i] = stats.start_s[i] + 0.5 * bin_len_s[i];
  }
  std::vector<double> cost_s((nb + 1) * nl);

#pragma omp parallel
  {
    std::vector<double> entry_s;  // [s] mean entry time of the cars leaving in a bin
    std::vector<double> time_s;   // [s] their mean time on the link
    entry_s.reserve(nb);
    time_s.reserve(nb);
#pragma omp for schedule(static)
    for (std::int64_t li = 0; li < n_links; ++li) {
      const auto l = static_cast<std::size_t>(li);
      const double free_s = static_cast<double>(free_ticks[l]) * dt_s;
      const double length_m = graph.length_m[l];
      if (!graph.modes.empty() && (graph.modes[l] & kModeCar) == 0) {
        for (std::size_t i = 0; i <= nb; ++i) cost_s[i * nl + l] = kInf;
        continue;
      }

      // samples by exit bin: mean time on the link, recovered exactly from the mean speed
      // (volume × length / (Σ ticks × dt), Σ ticks a whole number; for a zero-length link free
      // flow + the held cars' share of the bin), placed at the estimated mean entry time (bin
      // middle − time); a FIFO link keeps them in order
      entry_s.clear();
      time_s.clear();
      for (std::size_t i = 0; i < nb; ++i) {
        const std::size_t k = i * nl + l;
        const std::int32_t volume = stats.volume_veh[k];
        if (volume <= 0) continue;
        double t_s = free_s;
        if (length_m > 0.0 && stats.mean_speed_mps[k] > 0.0) {
          const double ticks =
              std::round(static_cast<double>(volume) * length_m / (stats.mean_speed_mps[k] * dt_s));
          t_s = std::max(free_s, ticks * dt_s / static_cast<double>(volume));
        } else {
          t_s = free_s + stats.queue_veh[k] * bin_len_s[i] / static_cast<double>(volume);
        }
        const double e_s = bin_mid_s[i] - t_s;
        if (!entry_s.empty() && e_s <= entry_s.back()) continue;
        entry_s.push_back(e_s);
        time_s.push_back(t_s);
      }

      // entry bins: the samples interpolated at the bin middle (the nearest one within a bin
      // length outside their range, free flow further out); where no car left during the bin,
      // at least free flow + (mean cars held past their exit time) × bin length
      std::size_t s = 0;
      for (std::size_t j = 0; j < nb; ++j) {
        const double c_s = bin_mid_s[j];
        while (s < entry_s.size() && entry_s[s] <= c_s) ++s;
        double t_s = free_s;
        if (s > 0 && s < entry_s.size()) {
          const double w = (c_s - entry_s[s - 1]) / (entry_s[s] - entry_s[s - 1]);
          t_s = time_s[s - 1] + (time_s[s] - time_s[s - 1]) * w;
        } else if (s == 0 && !entry_s.empty() && entry_s[0] - c_s <= bin_len_s[j]) {
          t_s = time_s[0];
        } else if (s == entry_s.size() && s > 0 && c_s - entry_s[s - 1] <= bin_len_s[j]) {
          t_s = time_s[s - 1];
        }
        const std::size_t k = j * nl + l;
        if (stats.volume_veh[k] == 0)
          t_s = std::max(t_s, free_s + stats.queue_veh[k] * bin_len_s[j]);
        cost_s[k] = std::max(free_s, t_s);
      }
      cost_s[nb * nl + l] = free_s;
    }
  }
  return cost_s;
}

ReplanResult replan(const LinkGraph& graph, Trips& trips,
                    std::span<const std::int32_t> origin_node_idx,
                    std::span<const std::int32_t> destination_node_idx,
                    std::span<const std::uint8_t> reroutable, const QueueModelConfig& queue_config,
                    const ReplanConfig& config) {
  // check everything before the first run
  validate_config(config);
  validate_link_graph(graph);
  const std::int64_t interval_ticks = interval_ticks_of(config, queue_config.dt_s);
  const std::vector<std::int32_t> agents =
      agents_of(graph, trips, origin_node_idx, destination_node_idx, reroutable);
  QueueModelConfig q = queue_config;
  q.interval_s = config.cost_interval_s;
  const double dt_s = q.dt_s;
  const auto n_links = static_cast<std::size_t>(graph.n_links());
  const auto n_agents = static_cast<std::int64_t>(agents.size());
  const auto nv = static_cast<std::size_t>(trips.n_vehicles());

  ReplanResult result;
  std::int64_t n_rerouted = 0;
  std::vector<std::int64_t> free_ticks(n_links);
  std::vector<std::int32_t> bin(agents.size());
  std::vector<double> route_cost_s(agents.size());
  std::vector<std::uint8_t> drawn(agents.size());
  for (std::int32_t k = 0;; ++k) {
    // run the queue model on the current routes; link costs per bin from its statistics
    QueueModelResult run;
    {
      const QueueModel model(graph, trips, q);
      run = model.run();
      for (std::size_t l = 0; l < n_links; ++l)
        free_ticks[l] = model.free_ticks(static_cast<std::int64_t>(l));
    }
    const std::vector<double> costs = link_costs_from_stats(
        graph, run.link_stats, free_ticks, dt_s, static_cast<double>(run.n_ticks) * dt_s);
    const std::int64_t n_bins = run.link_stats.n_intervals() + 1;

    // each agent's bin (by simulated departure), current route cost and re-routing draw
    const bool last = k >= config.max_iterations;
    const double share = share_after(config, k);
#pragma omp parallel for schedule(static)
    for (std::int64_t ai = 0; ai < n_agents; ++ai) {
      const auto a = static_cast<std::size_t>(ai);
      const auto v = static_cast<std::size_t>(agents[a]);
      const auto depart_tick =
          static_cast<std::int64_t>(std::llround(run.trips.departure_s[v] / dt_s));
      bin[a] = static_cast<std::int32_t>(std::min(depart_tick / interval_ticks, n_bins - 1));
      const auto row = static_cast<std::size_t>(bin[a]) * n_links;
      double cost_s = 0.0;
      for (std::int64_t j = trips.route_begin[v]; j < trips.route_begin[v + 1]; ++j) {
        cost_s += costs[row + static_cast<std::size_t>(
                                  trips.route_link_idx[static_cast<std::size_t>(j)])];
      }
      route_cost_s[a] = cost_s;
      const double u =
          sim::rng_for(config.seed, kReplanStream, v, static_cast<std::uint64_t>(k)).uniform();
      drawn[a] = !last && u < share ? 1 : 0;
    }

    // shortest paths on the same costs (kept for the drawn agents where cheaper)
    const Routing routing = route_agents(graph, costs, n_bins, agents, bin, origin_node_idx,
                                         destination_node_idx, route_cost_s, drawn, config);

    // the gaps, in agent order (no thread-count dependence)
    ReplanIteration it;
    it.iteration = k;
    it.n_rerouted = n_rerouted;
    it.n_stuck_releases = run.n_stuck_releases;
    double sum_route_s = 0.0;
    double sum_best_s = 0.0;
    double sum_experienced_s = 0.0;
    double sum_best_arrived_s = 0.0;
    for (std::size_t a = 0; a < agents.size(); ++a) {
      const double best_s = std::min(route_cost_s[a], routing.sp_cost_s[a]);
      sum_route_s += route_cost_s[a];
      sum_best_s += best_s;
      if (route_cost_s[a] <= routing.sp_cost_s[a]) ++it.n_on_shortest;
      const auto v = static_cast<std::size_t>(agents[a]);
      if (run.trips.arrived[v] != 0) {
        sum_experienced_s += run.trips.travel_time_s[v];
        sum_best_arrived_s += best_s;
      }
    }
    it.relative_gap = sum_route_s > 0.0 ? (sum_route_s - sum_best_s) / sum_route_s : 0.0;
    it.experienced_gap = sum_experienced_s > 0.0
                             ? (sum_experienced_s - sum_best_arrived_s) / sum_experienced_s
                             : 0.0;
    double sum_travel_s = 0.0;
    for (std::size_t v = 0; v < nv; ++v) {
      if (trips.mode[v] != kModeCar || run.trips.arrived[v] == 0) continue;
      ++it.n_arrived;
      sum_travel_s += run.trips.travel_time_s[v];
    }
    it.total_travel_time_h = sum_travel_s / 3600.0;
    it.mean_travel_time_s =
        it.n_arrived > 0 ? sum_travel_s / static_cast<double>(it.n_arrived) : 0.0;
    result.iterations.push_back(it);
    result.converged = it.relative_gap <= config.relative_gap_target;
    if (result.converged || last) break;

    // the drawn agents with a cheaper path switch to it
    std::vector<std::uint8_t> switched(nv, 0);
    std::vector<std::size_t> agent_of(nv, 0);
    n_rerouted = 0;
    for (std::size_t a = 0; a < agents.size(); ++a) {
      if (routing.owner[a] < 0) continue;
      const auto v = static_cast<std::size_t>(agents[a]);
      switched[v] = 1;
      agent_of[v] = a;
      ++n_rerouted;
    }
    std::vector<std::int64_t> route_begin(nv + 1, 0);
    std::vector<std::int32_t> route_link_idx;
    route_link_idx.reserve(trips.route_link_idx.size());
    for (std::size_t v = 0; v < nv; ++v) {
      if (switched[v] != 0) {
        const std::size_t a = agent_of[v];
        const auto& buffer = routing.buffers[static_cast<std::size_t>(routing.owner[a])];
        const auto from = buffer.begin() + routing.offset[a];
        route_link_idx.insert(route_link_idx.end(), from, from + routing.length[a]);
      } else {
        const auto from = trips.route_link_idx.begin() + trips.route_begin[v];
        route_link_idx.insert(route_link_idx.end(), from,
                              trips.route_link_idx.begin() + trips.route_begin[v + 1]);
      }
      route_begin[v + 1] = static_cast<std::int64_t>(route_link_idx.size());
    }
    trips.route_begin = std::move(route_begin);
    trips.route_link_idx = std::move(route_link_idx);
  }
  return result;
}

}  // namespace citytwin::mobility
