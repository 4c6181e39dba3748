// Benchmark of citytwin's mesoscopic queue model on a SUMO network and route file, the loop
// alone: reads the .net.xml and .rou.xml with citytwin's readers, maps explicit routes (and
// routes <trip>s on free-flow times) as MobilityModel does, builds the QueueModel (dt 1 s) and
// times QueueModel::run() without and with signal gating (the SUMO programs compiled as
// MobilityModel does with signals = true) on each thread count. Prints read times, loop wall
// and CPU seconds, link traversals, µs per traversal and the mean trip time of the arrived
// trips (all modes, as the mean_trip_time_s indicator), plus the mean free-flow time of the
// routes (whole ticks per link, and exact length / speed) so that trip times can be compared
// with SUMO's. benchmarks/mobility/compare_sumo.py runs it beside SUMO.
//
//   citytwin_bench_mobility NET.net.xml ROUTES.rou.xml [--threads 1,2] [--signals off,on]
//                           [--stuck-time-s 10] [--parallel-min-active N] [--json]
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <exception>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <citytwin/mobility/queue_model.hpp>
#include <citytwin/mobility/readers/sumo_net.hpp>
#include <citytwin/mobility/readers/sumo_routes.hpp>
#include <citytwin/mobility/router.hpp>
#include <citytwin/mobility/signals.hpp>
#include <citytwin/mobility/street_network.hpp>
#include <citytwin/sim/error.hpp>
#include <citytwin/sim/parallel.hpp>

namespace {

namespace ct = citytwin;
namespace mob = citytwin::mobility;
using Clock = std::chrono::steady_clock;

struct Options {
  std::filesystem::path net;
  std::filesystem::path routes;
  std::vector<int> threads{1, 2};
  std::vector<bool> signals{false, true};
  double stuck_time_s = 10.0;  // [s] the scenario default of [models.mobility]
  // [1] QueueModelConfig::parallel_min_active, -1 = the model's default (by network size)
  std::int64_t parallel_min_active = -1;
  bool json = false;
};

Options parse(int argc, char** argv) {
  Options o;
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
      return argv[++i];
    };
    if (a == "--threads") {
      o.threads.clear();
      std::stringstream in(value());
      std::string item;
      while (std::getline(in, item, ',')) o.threads.push_back(std::stoi(item));
    } else if (a == "--signals") {
      o.signals.clear();
      std::stringstream in(value());
      std::string item;
      while (std::getline(in, item, ',')) {
        if (item != "off" && item != "on")
          throw std::invalid_argument("--signals takes off, on or off,on");
        o.signals.push_back(item == "on");
      }
    } else if (a == "--stuck-time-s") {
      o.stuck_time_s = std::stod(value());
    } else if (a == "--parallel-min-active") {
      o.parallel_min_active = std::stoll(value());
    } else if (a == "--json") {
      o.json = true;
    } else if (a.rfind("--", 0) == 0) {
      throw std::invalid_argument("unknown option " + a);
    } else {
      positional.push_back(a);
    }
  }
  if (positional.size() != 2 || o.threads.empty() || o.signals.empty()) {
    throw std::invalid_argument(
        "usage: citytwin_bench_mobility NET.net.xml ROUTES.rou.xml [--threads 1,2] "
        "[--signals off,on] [--stuck-time-s 10] [--parallel-min-active N] [--json]");
  }
  o.net = positional[0];
  o.routes = positional[1];
  return o;
}

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double cpu_seconds() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

// The trips of `demand` on `net`: explicit routes mapped edge by edge, <trip>s routed on
// free-flow times from the end of their first edge to the start of their last (as
// MobilityModel does). Throws std::runtime_error on an unknown edge or an unreachable trip.
mob::Trips build_trips(const mob::StreetNetwork& net, const mob::LinkGraph& graph,
                       const mob::SumoDemand& demand) {
  // each distinct edge id mapped to its link once (-1: not in the network)
  std::vector<std::int32_t> edge_link(demand.edge_names.size());
  for (std::size_t e = 0; e < edge_link.size(); ++e) {
    edge_link[e] = net.link_idx(std::string_view(demand.edge_names[e]));
  }
  const auto link_of = [&](std::int32_t edge, std::size_t v) {
    const std::int32_t l = edge_link[static_cast<std::size_t>(edge)];
    if (l < 0) {
      throw std::runtime_error("vehicle '" + demand.vehicle_id[v] + "' (line " +
                               std::to_string(demand.line[v]) + "): edge '" +
                               demand.edge_names[static_cast<std::size_t>(edge)] +
                               "' is not in the network");
    }
    return l;
  };
  std::vector<std::int32_t> from_node;
  std::vector<std::int32_t> to_node;
  std::vector<std::size_t> query_of(static_cast<std::size_t>(demand.n_vehicles()), 0);
  for (std::size_t v = 0; v < query_of.size(); ++v) {
    if (demand.from_edge_idx[v] < 0) continue;
    query_of[v] = from_node.size();
    from_node.push_back(
        net.to_node_idx[static_cast<std::size_t>(link_of(demand.from_edge_idx[v], v))]);
    to_node.push_back(
        net.from_node_idx[static_cast<std::size_t>(link_of(demand.to_edge_idx[v], v))]);
  }
  std::vector<double> cost_s(static_cast<std::size_t>(net.n_links()));
  for (std::size_t l = 0; l < cost_s.size(); ++l)
    cost_s[l] = net.length_m[l] / net.free_speed_mps[l];
  mob::RouteSet routes;
  if (!from_node.empty()) {
    const mob::Router router(
        graph, cost_s,
        mob::RouterConfig{mob::RouteAlgorithm::kDijkstra, 1, 1, mob::LandmarkCosts::kFreeFlow});
    routes = router.route_many(from_node, to_node);
  }

  mob::Trips trips;
  std::vector<std::int32_t> links;
  for (std::size_t v = 0; v < query_of.size(); ++v) {
    links.clear();
    if (demand.from_edge_idx[v] < 0) {
      for (std::int64_t j = demand.route_begin[v]; j < demand.route_begin[v + 1]; ++j) {
        links.push_back(link_of(demand.route_edge_idx[static_cast<std::size_t>(j)], v));
      }
    } else {
      const std::size_t q = query_of[v];
      const std::int32_t a = link_of(demand.from_edge_idx[v], v);
      const std::int32_t b = link_of(demand.to_edge_idx[v], v);
      links.push_back(a);
      if (a != b) {
        if (!std::isfinite(routes.cost_s[q])) {
          throw std::runtime_error(
              "vehicle '" + demand.vehicle_id[v] + "': no path from edge '" +
              demand.edge_names[static_cast<std::size_t>(demand.from_edge_idx[v])] +
              "' to edge '" + demand.edge_names[static_cast<std::size_t>(demand.to_edge_idx[v])] +
              "'");
        }
        for (std::int64_t j = routes.path_begin[q]; j < routes.path_begin[q + 1]; ++j) {
          links.push_back(routes.link_idx[static_cast<std::size_t>(j)]);
        }
        links.push_back(b);
      }
    }
    trips.add(demand.depart_s[v], demand.mode[v], links);
  }
  return trips;
}

struct RunFigures {
  bool signals = false;
  int threads = 0;
  double loop_wall_s = 0.0;
  double loop_cpu_s = 0.0;
  std::int64_t ticks = 0;
  std::int64_t traversals = 0;
  std::int64_t stuck_releases = 0;
  std::int64_t arrived = 0;
  double mean_trip_time_s = 0.0;
  double mean_delay_s = 0.0;
};

RunFigures run_once(const mob::QueueModel& model, bool signals, int threads) {
  ct::sim::set_thread_count(threads);
  RunFigures f;
  f.signals = signals;
  f.threads = threads;
  const double cpu0 = cpu_seconds();
  const Clock::time_point t0 = Clock::now();
  const mob::QueueModelResult result = model.run();
  f.loop_wall_s = seconds_since(t0);
  f.loop_cpu_s = cpu_seconds() - cpu0;
  f.ticks = result.n_ticks;
  f.traversals = result.n_link_traversals;
  f.stuck_releases = result.n_stuck_releases;
  double sum_time = 0.0;
  double sum_delay = 0.0;
  for (std::size_t v = 0; v < result.trips.arrived.size(); ++v) {
    if (result.trips.arrived[v] == 0) continue;
    ++f.arrived;
    sum_time += result.trips.travel_time_s[v];
    sum_delay += result.trips.delay_s[v];
  }
  if (f.arrived > 0) {
    f.mean_trip_time_s = sum_time / static_cast<double>(f.arrived);
    f.mean_delay_s = sum_delay / static_cast<double>(f.arrived);
  }
  return f;
}

int run(const Options& o) {
  Clock::time_point t0 = Clock::now();
  double cpu0 = cpu_seconds();
  const mob::SumoNet sumo_net = mob::read_sumo_net(o.net);
  const double read_net_s = seconds_since(t0);
  const double read_net_cpu_s = cpu_seconds() - cpu0;
  const mob::StreetNetwork& net = sumo_net.network;
  const mob::LinkGraph graph = mob::link_graph_of(net);

  t0 = Clock::now();
  cpu0 = cpu_seconds();
  const mob::SumoDemand demand = mob::read_sumo_routes(o.routes);
  const double read_routes_s = seconds_since(t0);
  const double read_routes_cpu_s = cpu_seconds() - cpu0;

  t0 = Clock::now();
  const mob::Trips trips = build_trips(net, graph, demand);
  // signals = true of MobilityModel: the SUMO programs, the default plan for other signals
  const mob::SignalPlan plan = mob::merge_signal_plans(
      mob::signal_plan_from_sumo(net, sumo_net.connections), mob::default_signal_plan(net));
  mob::QueueModelConfig config;
  config.dt_s = 1.0;
  config.stuck_time_s = o.stuck_time_s;
  config.interval_s = 900.0;
  if (o.parallel_min_active >= 0) config.parallel_min_active = o.parallel_min_active;
  const mob::QueueModel model(graph, trips, config);
  config.signals = &plan;
  const mob::QueueModel model_signals(graph, trips, config);
  const double setup_s = seconds_since(t0);

  // the mean free-flow time of the routes: whole ticks per link (the model's) and exact
  double sum_free_ticks = 0.0;
  double sum_free_exact_s = 0.0;
  double sum_links = 0.0;
  double sum_length_m = 0.0;
  for (std::int64_t v = 0; v < trips.n_vehicles(); ++v) {
    const auto vi = static_cast<std::size_t>(v);
    for (std::int64_t j = trips.route_begin[vi]; j < trips.route_begin[vi + 1]; ++j) {
      const auto l = static_cast<std::size_t>(trips.route_link_idx[static_cast<std::size_t>(j)]);
      sum_free_ticks += static_cast<double>(model.free_ticks(static_cast<std::int64_t>(l)));
      sum_free_exact_s += net.length_m[l] / net.free_speed_mps[l];
      sum_length_m += net.length_m[l];
      sum_links += 1.0;
    }
  }
  const auto n = static_cast<double>(trips.n_vehicles());

  std::vector<RunFigures> runs;
  for (const bool signals : o.signals) {
    for (const int threads : o.threads) {
      runs.push_back(run_once(signals ? model_signals : model, signals, threads));
    }
  }

  if (o.json) {
    std::printf(
        "{\"net\": \"%s\", \"routes\": \"%s\", \"nodes\": %lld, \"links\": %lld, \"vehicles\": "
        "%lld, \"read_net_s\": %.6f, \"read_net_cpu_s\": %.6f, \"read_routes_s\": %.6f, "
        "\"read_routes_cpu_s\": %.6f, \"setup_s\": %.6f, "
        "\"mean_links_per_trip\": %.4f, \"mean_route_length_m\": %.3f, "
        "\"mean_free_flow_ticks_s\": %.4f, \"mean_free_flow_exact_s\": %.4f, \"gated_links\": "
        "%lld, "
        "\"runs\": [",
        o.net.string().c_str(), o.routes.string().c_str(), static_cast<long long>(net.n_nodes()),
        static_cast<long long>(net.n_links()), static_cast<long long>(trips.n_vehicles()),
        read_net_s, read_net_cpu_s, read_routes_s, read_routes_cpu_s, setup_s, sum_links / n,
        sum_length_m / n, sum_free_ticks / n, sum_free_exact_s / n,
        static_cast<long long>(plan.n_gates()));
    for (std::size_t i = 0; i < runs.size(); ++i) {
      const RunFigures& f = runs[i];
      std::printf(
          "%s{\"signals\": %s, \"threads\": %d, \"loop_wall_s\": %.6f, \"loop_cpu_s\": %.6f, "
          "\"ticks\": %lld, "
          "\"traversals\": %lld, \"stuck_releases\": %lld, \"arrived\": %lld, "
          "\"mean_trip_time_s\": %.4f, \"mean_delay_s\": %.4f}",
          i == 0 ? "" : ", ", f.signals ? "true" : "false", f.threads, f.loop_wall_s, f.loop_cpu_s,
          static_cast<long long>(f.ticks), static_cast<long long>(f.traversals),
          static_cast<long long>(f.stuck_releases), static_cast<long long>(f.arrived),
          f.mean_trip_time_s, f.mean_delay_s);
    }
    std::printf("]}\n");
    return 0;
  }

  std::printf("network %s: %lld nodes, %lld links (read in %.3f s, %.3f s CPU)\n",
              o.net.string().c_str(), static_cast<long long>(net.n_nodes()),
              static_cast<long long>(net.n_links()), read_net_s, read_net_cpu_s);
  std::printf(
      "routes  %s: %lld vehicles (read in %.3f s, %.3f s CPU), trips and queue model "
      "built in %.3f s\n",
      o.routes.string().c_str(), static_cast<long long>(trips.n_vehicles()), read_routes_s,
      read_routes_cpu_s, setup_s);
  std::printf(
      "routes: %.2f links, %.1f m per trip; free-flow time %.1f s in whole ticks per "
      "link, %.1f s exact (length / speed)\n\n",
      sum_links / n, sum_length_m / n, sum_free_ticks / n, sum_free_exact_s / n);
  std::printf("signal plan: %lld gated links\n", static_cast<long long>(plan.n_gates()));
  std::printf("%-8s %-8s %12s %12s %8s %12s %14s %10s %10s %12s %12s\n", "signals", "threads",
              "loop wall s", "loop CPU s", "ticks", "traversals", "µs/traversal", "stuck",
              "arrived", "mean trip s", "mean delay s");
  for (const RunFigures& f : runs) {
    std::printf("%-8s %-8d %12.3f %12.3f %8lld %12lld %14.3f %10lld %10lld %12.1f %12.1f\n",
                f.signals ? "on" : "off", f.threads, f.loop_wall_s, f.loop_cpu_s,
                static_cast<long long>(f.ticks), static_cast<long long>(f.traversals),
                f.traversals > 0 ? f.loop_wall_s * 1e6 / static_cast<double>(f.traversals) : 0.0,
                static_cast<long long>(f.stuck_releases), static_cast<long long>(f.arrived),
                f.mean_trip_time_s, f.mean_delay_s);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse(argc, argv));
  } catch (const ct::InputError& e) {
    std::fprintf(stderr, "citytwin_bench_mobility: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "citytwin_bench_mobility: %s\n", e.what());
    return 2;
  }
}
