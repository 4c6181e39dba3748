#include <citytwin/mobility/mobility_model.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include <citytwin/mobility/count_fit.hpp>
#include <citytwin/mobility/readers/od_matrix.hpp>
#include <citytwin/mobility/readers/osm.hpp>
#include <citytwin/mobility/readers/sumo_net.hpp>
#include <citytwin/mobility/readers/sumo_routes.hpp>
#include <citytwin/mobility/synthetic_demand.hpp>
#include <citytwin/sim/city.hpp>
#include <citytwin/sim/clock.hpp>
#include <citytwin/sim/config_reader.hpp>
#include <citytwin/sim/diagnostics.hpp>
#include <citytwin/sim/error.hpp>
#include <citytwin/sim/parallel.hpp>

namespace citytwin::mobility {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::int32_t choice_of_mode(std::uint8_t mode) {
  return mode == kModeCar ? kChoiceCar : mode == kModeBike ? kChoiceBike : kChoiceWalk;
}

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// the queue-model state held as State columns: the LinkQueue fields per link, by element type
struct I32Field {
  const char* name;
  std::int32_t LinkQueue::*member;
};
struct I64Field {
  const char* name;
  std::int64_t LinkQueue::*member;
};
const std::array<I32Field, 14> kLinkI32{{
    {"q_queue_head", &LinkQueue::queue_head},
    {"q_queue_tail", &LinkQueue::queue_tail},
    {"q_queue_last_due", &LinkQueue::queue_last_due},
    {"q_n_queue_due", &LinkQueue::n_queue_due},
    {"q_buffer_head", &LinkQueue::buffer_head},
    {"q_buffer_tail", &LinkQueue::buffer_tail},
    {"q_n_buffer", &LinkQueue::n_buffer},
    {"q_wait_head", &LinkQueue::wait_head},
    {"q_wait_tail", &LinkQueue::wait_tail},
    {"q_n_on_link", &LinkQueue::n_on_link},
    {"q_n_left", &LinkQueue::n_left},
    {"q_interval_volume_veh", &LinkQueue::interval_volume_veh},
    {"q_buffer_moved_tick", &LinkQueue::buffer_moved_tick},
    {"q_flow_credit_tick", &LinkQueue::flow_credit_tick},
}};
const std::array<I64Field, 3> kLinkI64{{
    {"q_interval_time_ticks", &LinkQueue::interval_time_ticks},
    {"q_interval_occupancy_veh", &LinkQueue::interval_occupancy_veh},
    {"q_interval_queue_veh", &LinkQueue::interval_queue_veh},
}};
// per trip: VehicleMove fields and QueueState vectors, in this order (kpis() reads
// q_stuck_count and q_depart_tick by position). q_departure_order and q_depart_tick are fixed:
// set at the start, never changed by a step, so a step does not write them back
const std::array<const char*, 4> kTripI32{
    {"q_next_vehicle_idx", "q_stuck_count", "q_departure_order", "q_next_link_idx"}};
const std::array<const char*, 5> kTripI64{
    {"q_route_pos", "q_enter_tick", "q_exit_tick", "q_depart_tick", "q_arrive_tick"}};

template <typename T>
void copy_in(std::span<const T> from, std::vector<T>& to) {
  to.assign(from.begin(), from.end());
}
// `from` (a vector or a span) into the column `to`, of the same size
template <typename From, typename T>
void copy_out(const From& from, std::span<T> to) {
  std::copy(from.begin(), from.end(), to.begin());
}

}  // namespace

struct MobilityModel::Data {
  MobilityConfig config;             // the validated section
  StreetNetwork network;             // the simulated network, finalized
  LinkGraph graph;                   // view of `network`
  Trips trips;                       // routed trips, one per vehicle
  std::vector<std::int64_t> trip_id; // stable trip ids (1-based position in the demand)
  // per trip (trip dim): who travels, why, how, from where to where
  std::vector<std::int64_t> agent_id;         // person (synthetic) or vehicle (imports)
  std::vector<std::int32_t> choice;           // kChoice* of the trip
  std::vector<std::int32_t> purpose;          // activity at the destination, -1 for imports
  std::vector<std::int32_t> origin_node;      // node the trip starts at
  std::vector<std::int32_t> destination_node; // node it ends at
  std::vector<double> origin_x_m, origin_y_m, destination_x_m, destination_y_m;
  std::vector<std::uint8_t> reroutable;       // 1 when re-planning may change the route
  LaneConnections sumo_connections;  // lane movements of a SUMO network (signal programs)
  SignalPlan signals;                // gating plan, empty when signals = false
  ReplanResult replan;               // convergence of the re-planning iterations
  std::optional<CountReplay> counts; // counters attached to links
  std::int64_t n_count_hours = 0;    // hours of the run compared with the counts
  std::vector<double> bike_count_veh;  // bikes passing counted links per (row, hour) cell
  double origin_lat_deg = kNaN;      // geographic position of the network's (0, 0)
  double origin_lon_deg = kNaN;
  std::int64_t n_persons = 0;        // residents planned (synthetic demand)
  std::int64_t n_unroutable = 0;     // synthetic trips dropped: no path for any mode
  std::int64_t n_before_start = 0;   // synthetic trips departing before the run starts
  std::int64_t n_no_mode = 0;        // synthetic trips with a path but no mode offered
  std::int64_t n_intervals = 0;      // link-statistics intervals of the run (table rows)
  std::int64_t end_tick = 0;         // [1 s] end of the run for the queue model
  std::unique_ptr<QueueModel> queue; // constants derived from graph, trips and config
};

struct MobilityModel::Columns {
  std::vector<sim::Column<std::int32_t>> link_i32;   // kLinkI32 order
  std::vector<sim::Column<std::int64_t>> link_i64;   // kLinkI64 order
  sim::Column<double> flow_credit_veh;               // [veh] per link
  sim::Column<double> link_speed_mps;                // [m s-1] per link, input
  sim::Column<double> link_capacity_veh_per_h;       // [veh h-1] per link, input
  std::vector<sim::Column<std::int32_t>> trip_i32;   // kTripI32 order
  std::vector<sim::Column<std::int64_t>> trip_i64;   // kTripI64 order
  sim::Column<std::int64_t> scalars;                 // the 5 queue_counter values
  sim::Column<double> vehicles_on_link;              // [veh] per link
  sim::Column<double> queue_length_veh;              // [veh] per link
  sim::Column<double> volume_veh;                    // [veh] per link, last interval
  sim::Column<double> mean_speed_mps;                // [m s-1] per link, last interval
  sim::Column<double> density_veh_per_km;            // [veh km-1] per link, last interval
  sim::Column<double> table_volume, table_speed, table_density, table_queue;  // per (interval, link)
  sim::Column<double> departure_s;                   // [s] per trip
  sim::Column<double> arrival_s;                     // [s] per trip, NaN until arrived
  sim::Column<double> travel_time_s;                 // [s] per trip
  sim::Column<double> distance_m;                    // [m] per trip
  sim::Column<double> delay_s;                       // [s] per trip
  sim::Column<std::int64_t> agent_id;                // per trip
  sim::Column<std::int32_t> choice;                  // per trip
  sim::Column<std::int32_t> purpose;                 // per trip
  sim::Column<double> origin_x_m, origin_y_m, destination_x_m, destination_y_m;  // per trip
  sim::Column<double> replan_gap, replan_experienced_gap, replan_mean_time_s;     // per iteration
  sim::Column<std::int64_t> replan_rerouted;                                      // per iteration
  sim::Column<std::int64_t> counter_link_id;         // per counter
  sim::Column<double> counter_distance_m;            // per counter
  sim::Column<std::int64_t> count_counter;           // per count cell: counter row (1-based)
  sim::Column<double> count_time_s;                  // per count cell: hour start since run start
  sim::Column<double> count_observed;                // per count cell [veh h-1]
  sim::Column<double> count_simulated;               // per count cell [veh h-1]
  sim::Column<double> count_geh;                     // per count cell
};

namespace {

// reads the queue state held in `state` into `s`, reusing its buffers; the derived active sets
// are dropped so that the queue model rebuilds them from the columns
void load_queue_state(const MobilityModel::Columns& c, const MobilityModel::Data& d,
                      const sim::State& state, QueueState& s, std::vector<std::int64_t>& under_way) {
  const auto nl = static_cast<std::size_t>(state.get(c.flow_credit_veh).size());
  s.link.resize(nl);
  for (std::size_t i = 0; i < kLinkI32.size(); ++i) {
    const std::span<const std::int32_t> col = state.get(c.link_i32[i]);
    const auto member = kLinkI32[i].member;
    for (std::size_t l = 0; l < nl; ++l) s.link[l].*member = col[l];
  }
  for (std::size_t i = 0; i < kLinkI64.size(); ++i) {
    const std::span<const std::int64_t> col = state.get(c.link_i64[i]);
    const auto member = kLinkI64[i].member;
    for (std::size_t l = 0; l < nl; ++l) s.link[l].*member = col[l];
  }
  const std::span<const double> credit = state.get(c.flow_credit_veh);
  for (std::size_t l = 0; l < nl; ++l) s.link[l].flow_credit_veh = credit[l];
  copy_in(state.get(c.link_speed_mps), s.link_speed_mps);
  copy_in(state.get(c.link_capacity_veh_per_h), s.link_capacity_veh_per_h);

  // vehicles: the records of the cars under way only, found in the FIFOs of the links (every
  // car in the network is in exactly one: a waiting list, a queue or a buffer); a departing
  // vehicle gets its initial record from the queue model, and the others are not read in a
  // step. `under_way` lists them, in link and FIFO order, for store_queue_state()
  const std::span<const std::int32_t> next = state.get(c.trip_i32[0]);
  const std::span<const std::int32_t> next_link = state.get(c.trip_i32[3]);
  const std::span<const std::int64_t> pos = state.get(c.trip_i64[0]);
  const std::span<const std::int64_t> enter = state.get(c.trip_i64[1]);
  const std::span<const std::int64_t> exit = state.get(c.trip_i64[2]);
  const std::span<const std::int32_t> stuck = state.get(c.trip_i32[1]);
  const std::vector<std::int64_t>& route_begin = d.trips.route_begin;
  s.vehicle.resize(next.size());
  s.stuck_count.resize(next.size());
  s.arrive_tick.resize(next.size());
  under_way.clear();
  const auto load_fifo = [&](std::int32_t head) {
    for (std::int32_t vehicle = head; vehicle >= 0;) {
      const auto v = static_cast<std::size_t>(vehicle);
      s.vehicle[v] = VehicleMove{pos[v], exit[v], static_cast<std::int32_t>(enter[v]), next[v],
                                 next_link[v], static_cast<std::int32_t>(route_begin[v + 1] - pos[v] - 1)};
      s.stuck_count[v] = stuck[v];
      s.arrive_tick[v] = -1;
      under_way.push_back(vehicle);
      vehicle = next[v];
    }
  };
  for (std::size_t l = 0; l < nl; ++l) {
    load_fifo(s.link[l].wait_head);
    load_fifo(s.link[l].queue_head);
    load_fifo(s.link[l].buffer_head);
  }
  // the fixed departure order and ticks: the queue model's own (the columns hold copies)
  s.departure_order = d.queue->departure_order();
  s.depart_tick = d.queue->depart_ticks();
  s.link_active_bits.clear();
  const std::span<const std::int64_t> sc = state.get(c.scalars);
  s.tick = sc[0];
  s.interval_start_tick = sc[1];
  s.next_departure = sc[2];
  s.n_arrived = sc[3];
  s.n_in_network = sc[4];
}

// writes the queue state and the trip table into the model's columns. At the start (`now` ==
// nullptr) every column is written, the fixed per-trip ones included. In a step `next` equals
// `now` before it, and only the trips in `moved` can have changed (those under way at the start
// of the step and those that departed in it): their entries are written, and the engine commits
// just those (StateWriter::get_entries); the trip table of each grows by the links it completed
// in the step. O(links + moved trips + links traversed)
void store_queue_state(const MobilityModel::Columns& c, const MobilityModel::Data& d,
                       const QueueState& s, sim::StateWriter& w, const sim::State* now,
                       std::span<const std::int64_t> moved) {
  const bool initial = now == nullptr;
  const std::size_t nl = s.link.size();
  for (std::size_t i = 0; i < kLinkI32.size(); ++i) {
    const std::span<std::int32_t> col = w.get(c.link_i32[i]);
    const auto member = kLinkI32[i].member;
    for (std::size_t l = 0; l < nl; ++l) col[l] = s.link[l].*member;
  }
  for (std::size_t i = 0; i < kLinkI64.size(); ++i) {
    const std::span<std::int64_t> col = w.get(c.link_i64[i]);
    const auto member = kLinkI64[i].member;
    for (std::size_t l = 0; l < nl; ++l) col[l] = s.link[l].*member;
  }
  const std::span<double> credit = w.get(c.flow_credit_veh);
  for (std::size_t l = 0; l < nl; ++l) credit[l] = s.link[l].flow_credit_veh;
  copy_out(s.link_speed_mps, w.get(c.link_speed_mps));
  copy_out(s.link_capacity_veh_per_h, w.get(c.link_capacity_veh_per_h));
  const std::span<std::int64_t> sc = w.get(c.scalars);
  sc[0] = s.tick;
  sc[1] = s.interval_start_tick;
  sc[2] = s.next_departure;
  sc[3] = s.n_arrived;
  sc[4] = s.n_in_network;

  // the per-trip columns: whole at the start, the moved trips' entries in a step
  const auto take = [&](auto column) { return initial ? w.get(column) : w.get_entries(column, moved); };
  const std::span<std::int32_t> next = take(c.trip_i32[0]);
  const std::span<std::int32_t> stuck = take(c.trip_i32[1]);
  const std::span<std::int32_t> next_link = take(c.trip_i32[3]);
  const std::span<std::int64_t> pos = take(c.trip_i64[0]);
  const std::span<std::int64_t> enter = take(c.trip_i64[1]);
  const std::span<std::int64_t> exit = take(c.trip_i64[2]);
  const std::span<std::int64_t> arrive = take(c.trip_i64[4]);
  const std::span<double> arrival = take(c.arrival_s);
  const std::span<double> travel = take(c.travel_time_s);
  const std::span<double> distance = take(c.distance_m);
  const std::span<double> delay = take(c.delay_s);
  const Trips& trips = d.trips;
  if (initial) {
    copy_out(s.departure_order, w.get(c.trip_i32[2]));
    copy_out(s.depart_tick, w.get(c.trip_i64[3]));
    const std::span<double> departure = w.get(c.departure_s);
    for (std::size_t v = 0; v < departure.size(); ++v) {
      departure[v] = static_cast<double>(s.depart_tick[v]);  // dt_s = 1 s
    }
  }
  // the route position and arrival tick of each trip before the step (at the start: the start
  // of its route, not arrived)
  const std::span<const std::int64_t> pos_before =
      initial ? std::span<const std::int64_t>(trips.route_begin.data(), s.vehicle.size())
              : now->get(c.trip_i64[0]);
  const auto write = [&](std::size_t v) {
    const VehicleMove& m = s.vehicle[v];
    next[v] = m.next_vehicle_idx;
    next_link[v] = m.next_link_idx;
    pos[v] = m.route_pos;
    enter[v] = m.enter_tick;
    exit[v] = m.exit_tick;
    stuck[v] = s.stuck_count[v];
    arrive[v] = s.arrive_tick[v];
    if (s.arrive_tick[v] >= 0) {
      arrival[v] = static_cast<double>(s.arrive_tick[v]);
      travel[v] = static_cast<double>(s.arrive_tick[v] - s.depart_tick[v]);
      // the queue model's route constants (its dt_s is 1 s)
      delay[v] = travel[v] - static_cast<double>(d.queue->route_free_ticks()[v]);
      distance[v] = d.queue->route_length_m()[v];
      return;
    }
    arrival[v] = kNaN;
    travel[v] = kNaN;
    delay[v] = kNaN;
    // the links completed in the step, added in route order to the distance before it
    double done_m = initial ? 0.0 : distance[v];
    for (std::int64_t j = pos_before[v]; j < m.route_pos; ++j) {
      done_m += d.network.length_m[static_cast<std::size_t>(trips.route_link_idx[static_cast<std::size_t>(j)])];
    }
    distance[v] = done_m;
  };
  if (initial) {
    for (std::size_t v = 0; v < s.vehicle.size(); ++v) write(v);
  } else {
    for (const std::int64_t v : moved) write(static_cast<std::size_t>(v));
  }
  const std::span<double> on_link = w.get(c.vehicles_on_link);
  const std::span<double> queued = w.get(c.queue_length_veh);
  for (std::size_t l = 0; l < on_link.size(); ++l) {
    on_link[l] = s.link[l].n_on_link;
    queued[l] = s.link[l].n_queue_due + s.link[l].n_buffer;
  }
}

// resolves "${data}/..." against the data folder and relative paths against the scenario
std::string resolve_path(const sim::ModelContext& ctx, const std::string& written) {
  const std::string prefix = "${data}/";
  if (written.rfind(prefix, 0) == 0) return (ctx.data_dir / written.substr(prefix.size())).string();
  const std::filesystem::path p(written);
  return (p.is_absolute() ? p : ctx.scenario_dir / p).lexically_normal().string();
}

void forward(sim::Diagnostics& diagnostics, const InputError& e) {
  for (const InputIssue& issue : e.issues()) diagnostics.error(issue);
}

// the node_idx of the network nodes inside each city zone's box
std::vector<std::vector<std::int32_t>> zone_nodes_of(const sim::Zones& zones,
                                                     const StreetNetwork& network) {
  std::vector<std::vector<std::int32_t>> out(static_cast<std::size_t>(zones.size()));
  for (std::size_t z = 0; z < out.size(); ++z) {
    for (std::int64_t n = 0; n < network.n_nodes(); ++n) {
      const double x = network.node_x_m[static_cast<std::size_t>(n)];
      const double y = network.node_y_m[static_cast<std::size_t>(n)];
      if (x >= zones.min_x_m[z] && x <= zones.max_x_m[z] && y >= zones.min_y_m[z] &&
          y <= zones.max_y_m[z]) {
        out[z].push_back(static_cast<std::int32_t>(n));
      }
    }
  }
  return out;
}

// free-flow link times [s]
std::vector<double> free_flow_costs(const StreetNetwork& network) {
  std::vector<double> cost_s(static_cast<std::size_t>(network.n_links()));
  for (std::size_t l = 0; l < cost_s.size(); ++l) cost_s[l] = network.length_m[l] / network.free_speed_mps[l];
  return cost_s;
}

// builds the trips of a SUMO route file: explicit routes mapped, trips routed on free flow
// the trips of a SUMO route file; `preread` holds the file when it was read already (beside the
// network), with `preread_error` set when that failed
bool sumo_trips(sim::ConfigReader& r, const std::string& path, MobilityModel::Data& d,
                std::optional<SumoDemand>& preread, const std::exception_ptr& preread_error) {
  SumoDemand demand;
  try {
    if (preread_error) std::rethrow_exception(preread_error);
    demand = preread ? std::move(*preread) : read_sumo_routes(path);
    preread.reset();
  } catch (const InputError& e) {
    forward(r.diagnostics(), e);
    r.error("demand", "route file '" + path + "' could not be read (see the errors above)");
    return false;
  }
  const StreetNetwork& net = d.network;
  std::vector<InputIssue> issues;
  // each distinct edge id mapped to its link once (-1: not in the network)
  std::vector<std::int32_t> edge_link(demand.edge_names.size());
  for (std::size_t e = 0; e < edge_link.size(); ++e) {
    edge_link[e] = net.link_idx(std::string_view(demand.edge_names[e]));
  }
  const auto link_of = [&](std::int32_t edge, std::int64_t v) {
    const std::int32_t l = edge_link[static_cast<std::size_t>(edge)];
    if (l < 0) {
      issues.push_back({path, demand.line[static_cast<std::size_t>(v)], 0, "edges",
                        "vehicle '" + demand.vehicle_id[static_cast<std::size_t>(v)] +
                            "': edge '" + demand.edge_names[static_cast<std::size_t>(edge)] +
                            "' is not in the network"});
    }
    return l;
  };
  // routing queries of the trips: from the end of the first edge to the start of the last
  std::vector<std::int32_t> from_node;
  std::vector<std::int32_t> to_node;
  std::vector<std::int64_t> query_of(static_cast<std::size_t>(demand.n_vehicles()), -1);
  for (std::int64_t v = 0; v < demand.n_vehicles(); ++v) {
    const auto vi = static_cast<std::size_t>(v);
    if (demand.from_edge_idx[vi] >= 0) {
      const std::int32_t a = link_of(demand.from_edge_idx[vi], v);
      const std::int32_t b = link_of(demand.to_edge_idx[vi], v);
      if (a < 0 || b < 0) continue;
      query_of[vi] = static_cast<std::int64_t>(from_node.size());
      from_node.push_back(net.to_node_idx[static_cast<std::size_t>(a)]);
      to_node.push_back(net.from_node_idx[static_cast<std::size_t>(b)]);
    }
  }
  const Router router(d.graph, free_flow_costs(net), RouterConfig{RouteAlgorithm::kDijkstra, 1, 1, LandmarkCosts::kFreeFlow});
  const RouteSet routes = router.route_many(from_node, to_node);
  std::vector<std::int32_t> links;
  for (std::int64_t v = 0; v < demand.n_vehicles(); ++v) {
    const auto vi = static_cast<std::size_t>(v);
    links.clear();
    if (demand.from_edge_idx[vi] < 0) {
      for (std::int64_t j = demand.route_begin[vi]; j < demand.route_begin[vi + 1]; ++j) {
        links.push_back(link_of(demand.route_edge_idx[static_cast<std::size_t>(j)], v));
      }
      if (std::find(links.begin(), links.end(), -1) != links.end()) continue;
    } else {
      const std::int64_t q = query_of[vi];
      if (q < 0) continue;
      const auto qi = static_cast<std::size_t>(q);
      const auto from_edge = static_cast<std::size_t>(demand.from_edge_idx[vi]);
      const auto to_edge = static_cast<std::size_t>(demand.to_edge_idx[vi]);
      const std::int32_t a = edge_link[from_edge];
      const std::int32_t b = edge_link[to_edge];
      if (a == b) {
        links.push_back(a);
      } else if (!std::isfinite(routes.cost_s[qi])) {
        issues.push_back({path, demand.line[vi], 0, "to",
                          "vehicle '" + demand.vehicle_id[vi] + "': no path from edge '" +
                              demand.edge_names[from_edge] + "' to edge '" +
                              demand.edge_names[to_edge] + "'"});
        continue;
      } else {
        links.push_back(a);
        for (std::int64_t j = routes.path_begin[qi]; j < routes.path_begin[qi + 1]; ++j) {
          links.push_back(routes.link_idx[static_cast<std::size_t>(j)]);
        }
        links.push_back(b);
      }
    }
    d.trips.add(demand.depart_s[vi], demand.mode[vi], links);
    d.trip_id.push_back(v + 1);
    d.agent_id.push_back(v + 1);
    d.choice.push_back(choice_of_mode(demand.mode[vi]));
    d.purpose.push_back(-1);
    d.origin_node.push_back(net.from_node_idx[static_cast<std::size_t>(links.front())]);
    d.destination_node.push_back(net.to_node_idx[static_cast<std::size_t>(links.back())]);
    d.reroutable.push_back(0);
  }
  if (!issues.empty()) {
    for (const InputIssue& issue : issues) r.diagnostics().error(issue);
    r.error("demand", "route file '" + path + "' does not match the network (see the errors above)");
    return false;
  }
  return true;
}

// builds the trips of an OD matrix: origins and destinations drawn in city zones, routed
bool od_trips(sim::ConfigReader& r, const sim::ModelContext& ctx, const std::string& path,
              MobilityModel::Data& d) {
  OdTrips od;
  try {
    const OdMatrix matrix = read_od_matrix(path);
    const std::vector<std::vector<std::int32_t>> zone_nodes =
        zone_nodes_of(ctx.city->zones, d.network);
    od = expand_od_matrix(matrix, path, ctx.city->zones.zone_id, zone_nodes, ctx.seed);
  } catch (const InputError& e) {
    forward(r.diagnostics(), e);
    r.error("demand", "OD matrix '" + path + "' could not be used (see the errors above)");
    return false;
  }
  const Router router(d.graph, free_flow_costs(d.network), RouterConfig{RouteAlgorithm::kDijkstra, 1, 1, LandmarkCosts::kFreeFlow});
  const RouteSet routes = router.route_many(od.origin_node_idx, od.destination_node_idx);
  std::vector<std::int32_t> links;
  std::int64_t n_unreachable = 0;
  for (std::size_t t = 0; t < od.departure_s.size(); ++t) {
    if (!std::isfinite(routes.cost_s[t])) {
      ++n_unreachable;
      continue;
    }
    links.assign(routes.link_idx.begin() + routes.path_begin[t],
                 routes.link_idx.begin() + routes.path_begin[t + 1]);
    d.trips.add(od.departure_s[t], kModeCar, links);
    d.trip_id.push_back(static_cast<std::int64_t>(t) + 1);
    d.agent_id.push_back(static_cast<std::int64_t>(t) + 1);
    d.choice.push_back(kChoiceCar);
    d.purpose.push_back(-1);
    d.origin_node.push_back(od.origin_node_idx[t]);
    d.destination_node.push_back(od.destination_node_idx[t]);
    d.reroutable.push_back(1);
  }
  if (n_unreachable > 0) {
    r.error("demand", std::to_string(n_unreachable) + " OD trips of '" + path +
                          "' have no path between their drawn nodes; connect the network or "
                          "shrink the zones");
    return false;
  }
  return true;
}

// builds the trips of the synthetic activity-based demand
// (docs/models/mobility.md#synthetic-demand-and-mode-choice); departures are times of day, the
// run's clock starts at its local start time
bool synthetic_trips(sim::ConfigReader& r, const sim::ModelContext& ctx, MobilityModel::Data& d) {
  if (ctx.city == nullptr || ctx.city->buildings.size() == 0) {
    r.error("demand", "\"synthetic\" needs a city with buildings (residents and jobs)");
    return false;
  }
  SyntheticDemand demand;
  try {
    demand = synthesize_demand(*ctx.city, d.network, d.graph, d.config.synthetic, ctx.seed);
  } catch (const std::invalid_argument& e) {
    r.error("demand", std::string("the synthetic demand cannot be built: ") + e.what());
    return false;
  }
  const double start_of_day_s = ctx.clock != nullptr ? ctx.clock->local(0).hour_of_day() * 3600.0 : 0.0;
  d.n_unroutable = demand.n_unroutable;
  d.n_no_mode = demand.n_no_mode;
  d.n_persons = demand.n_persons;
  const Trips& t = demand.trips;
  std::vector<std::int32_t> links;
  for (std::int64_t i = 0; i < demand.size(); ++i) {
    const auto ii = static_cast<std::size_t>(i);
    const double depart_s = demand.departure_s[ii] - start_of_day_s;
    if (depart_s < 0.0) {
      ++d.n_before_start;
      continue;
    }
    links.assign(t.route_link_idx.begin() + t.route_begin[ii], t.route_link_idx.begin() + t.route_begin[ii + 1]);
    d.trips.add(depart_s, t.mode[ii], links);
    d.trip_id.push_back(i + 1);
    d.agent_id.push_back(demand.person_id[ii] + 1);
    d.choice.push_back(demand.choice[ii]);
    d.purpose.push_back(demand.purpose[ii]);
    d.origin_node.push_back(demand.origin_node_idx[ii]);
    d.destination_node.push_back(demand.destination_node_idx[ii]);
    d.origin_x_m.push_back(demand.origin_x_m[ii]);
    d.origin_y_m.push_back(demand.origin_y_m[ii]);
    d.destination_x_m.push_back(demand.destination_x_m[ii]);
    d.destination_y_m.push_back(demand.destination_y_m[ii]);
    d.reroutable.push_back(demand.choice[ii] == kChoiceCar ? 1 : 0);
  }
  return true;
}

// origin and destination coordinates from the route ends, where the demand gave none
void fill_trip_geometry(MobilityModel::Data& d) {
  const std::size_t n = d.trip_id.size();
  const StreetNetwork& net = d.network;
  if (d.origin_x_m.size() == n) return;
  d.origin_x_m.resize(n);
  d.origin_y_m.resize(n);
  d.destination_x_m.resize(n);
  d.destination_y_m.resize(n);
  for (std::size_t v = 0; v < n; ++v) {
    const auto o = static_cast<std::size_t>(d.origin_node[v]);
    const auto e = static_cast<std::size_t>(d.destination_node[v]);
    d.origin_x_m[v] = net.node_x_m[o];
    d.origin_y_m[v] = net.node_y_m[o];
    d.destination_x_m[v] = net.node_x_m[e];
    d.destination_y_m[v] = net.node_y_m[e];
  }
}

// reads the counts file, attaches its counters and precomputes the (uncongested) bike passages
bool load_counts(sim::ConfigReader& r, const sim::ModelContext& ctx, MobilityModel::Data& d) {
  const MobilityConfig& c = d.config;
  if (!std::filesystem::is_regular_file(c.counts)) {
    r.error("counts", "file '" + c.counts + "' does not exist (written '" + c.counts_written +
                          "'); give a Paris or Helsinki counts CSV");
    return false;
  }
  CountAttachOptions options = c.counts_attach;
  options.origin_lat_deg = d.origin_lat_deg;
  options.origin_lon_deg = d.origin_lon_deg;
  try {
    d.counts = attach_counts(read_counts(c.counts), d.network, options, r.path(), r.key_path("counters"));
  } catch (const InputError& e) {
    forward(r.diagnostics(), e);
    r.error("counts", "the counts '" + c.counts_written + "' could not be used (see the errors above)");
    return false;
  }
  if (d.counts->size() == 0) {
    r.error("counts", "no counter of '" + c.counts_written + "' could be attached to a link; "
                      "name their links in [models.mobility.counters] (\"counter id\" = link id)");
    return false;
  }
  const double run_s = ctx.clock != nullptr ? static_cast<double>(ctx.clock->n_ticks()) * ctx.clock->dt_s() : 0.0;
  d.n_count_hours = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(run_s / 3600.0)));
  // bikes and walkers travel uncongested: the hour each bike leaves a counted link is known now
  const auto n_rows = static_cast<std::int64_t>(d.counts->size());
  d.bike_count_veh.assign(static_cast<std::size_t>(n_rows * d.n_count_hours), 0.0);
  std::vector<std::int32_t> row_of_link(static_cast<std::size_t>(d.network.n_links()), -1);
  bool any_bike = false;
  for (std::int64_t row = 0; row < n_rows; ++row) {
    if (d.counts->is_bike[static_cast<std::size_t>(row)] == 0) continue;
    row_of_link[static_cast<std::size_t>(d.counts->link_idx[static_cast<std::size_t>(row)])] =
        static_cast<std::int32_t>(row);
    any_bike = true;
  }
  if (!any_bike) return true;
  const Trips& t = d.trips;
  for (std::int64_t v = 0; v < t.n_vehicles(); ++v) {
    const auto vi = static_cast<std::size_t>(v);
    if (t.mode[vi] != kModeBike) continue;
    double time_s = t.departure_s[vi];
    for (std::int64_t j = t.route_begin[vi]; j < t.route_begin[vi + 1]; ++j) {
      const std::int32_t l = t.route_link_idx[static_cast<std::size_t>(j)];
      time_s += static_cast<double>(d.queue->mode_ticks(l, kModeBike));
      const std::int32_t row = row_of_link[static_cast<std::size_t>(l)];
      const auto hour = static_cast<std::int64_t>(std::floor(time_s / 3600.0));
      if (row >= 0 && hour < d.n_count_hours) {
        d.bike_count_veh[static_cast<std::size_t>(row * d.n_count_hours + hour)] += 1.0;
      }
    }
  }
  return true;
}

}  // namespace

MobilityConfig read_mobility_config(const sim::ModelContext& ctx) {
  sim::ConfigReader& r = *ctx.config;
  MobilityConfig c;
  if (r.read("network", c.network_written)) {
    c.network = c.network_written == "generated" ? "generated" : resolve_path(ctx, c.network_written);
  } else {
    c.network_written = c.network;
  }
  if (r.require("demand") && r.read("demand", c.demand_written)) {
    c.demand = c.demand_written == "synthetic" ? "synthetic" : resolve_path(ctx, c.demand_written);
  }
  {
    sim::ConfigReader rs = r.section("synthetic");
    c.synthetic = read_synthetic_demand_config(rs);
    if (c.demand != "synthetic" && r.has("synthetic")) {
      r.error("synthetic", "[models.mobility.synthetic] only applies with demand = \"synthetic\"");
    }
    rs.finish();
  }
  r.read("signals", c.signals);
  r.read("signal_cycle_s", c.signal_defaults.cycle_s, sim::Range::positive());
  r.read("signal_intergreen_s", c.signal_defaults.intergreen_s, sim::Range::non_negative());
  if (c.signal_defaults.cycle_s <= 2.0 * c.signal_defaults.intergreen_s) {
    r.error("signal_cycle_s", "the cycle must be longer than two intergreens (" +
                                  std::to_string(2.0 * c.signal_defaults.intergreen_s) + " s)");
  }
  r.read_duration_s("interval", c.interval_s, sim::Range{1.0});
  r.read("stuck_time_s", c.stuck_time_s, sim::Range::positive());
  r.read("co2_kg_per_vehicle_km", c.co2_kg_per_vehicle_km, sim::Range::non_negative());

  // re-planning
  {
    sim::ConfigReader rp = r.section("replanning");
    int iterations = c.replanning.max_iterations;
    rp.read("iterations", iterations, sim::Range::between(0.0, 1000.0));
    c.replanning.max_iterations = iterations;
    rp.read("relative_gap", c.replanning.relative_gap_target, sim::Range::non_negative());
    std::string rule = "fixed";
    if (rp.read_choice("share_rule", rule, {"fixed", "msa"})) {
      c.replanning.share_rule = rule == "msa" ? ReplanShareRule::kMsa : ReplanShareRule::kFixed;
    }
    rp.read("reroute_share", c.replanning.reroute_share, sim::Range{0.0, 1.0, true, false});
    std::int64_t bin_s = 900;
    if (rp.read_duration_s("cost_interval", bin_s, sim::Range{1.0})) {
      c.replanning.cost_interval_s = static_cast<double>(bin_s);
    }
    rp.finish();
  }
  c.replanning.seed = ctx.seed;

  // counts replay
  if (r.read("counts", c.counts_written)) c.counts = resolve_path(ctx, c.counts_written);
  r.read("counts_max_distance_m", c.counts_attach.max_distance_m, sim::Range::non_negative());
  if (const sim::ConfigNode* counters = r.node("counters"); counters != nullptr) {
    if (!counters->is_table()) {
      r.error("counters", "must be a table of \"counter id\" = link id");
    } else {
      for (const auto& [counter, link] : counters->entries()) {
        if (link.kind() != sim::ConfigNode::Kind::kInteger) {
          r.error("counters", "counter '" + counter + "': the link id must be an integer");
          continue;
        }
        c.counts_attach.counter_link_id.emplace_back(counter, link.as_integer());
      }
    }
  }
  if (!c.counts.empty() && 3600 % c.interval_s != 0) {
    r.error("interval", "with counts, the link interval must divide one hour (e.g. \"15min\")");
  }
  return c;
}

std::unique_ptr<sim::Model> MobilityModel::from_config(const sim::ModelContext& ctx) {
  sim::ConfigReader& r = *ctx.config;
  sim::Diagnostics& diagnostics = r.diagnostics();
  const std::size_t errors_before = diagnostics.errors().size();
  auto d = std::make_unique<Data>();
  d->config = read_mobility_config(ctx);
  if (diagnostics.errors().size() != errors_before) return nullptr;
  const MobilityConfig& c = d->config;

  // the network
  std::optional<SumoDemand> demand_read;  // a SUMO route file read beside the network
  std::exception_ptr demand_error;        // why reading it failed
  try {
    if (c.network == "generated") {
      if (ctx.city == nullptr || ctx.city->streets.size() == 0) {
        r.error("network", "\"generated\" needs a city with streets");
        return nullptr;
      }
      d->network = build_street_network(*ctx.city);
      d->origin_lat_deg = ctx.city->origin_lat_deg;
      d->origin_lon_deg = ctx.city->origin_lon_deg;
    } else if (!std::filesystem::is_regular_file(c.network)) {
      r.error("network", "file '" + c.network + "' does not exist (written '" + c.network_written +
                             "'); give a .net.xml, .osm or .osm.pbf file, or \"generated\"");
      return nullptr;
    } else if (ends_with(c.network, ".net.xml")) {
      // with two threads or more a SUMO route file is read beside the network (neither needs
      // the other; the routes are mapped onto the links afterwards)
      const bool routes_beside = sim::thread_count() > 1 && ends_with(c.demand, ".xml") &&
                                 std::filesystem::is_regular_file(c.demand);
      SumoNet net;
      std::exception_ptr net_error;
#pragma omp parallel sections num_threads(2) if (routes_beside)
      {
#pragma omp section
        {
          try {
            net = read_sumo_net(c.network);
          } catch (...) {
            net_error = std::current_exception();
          }
        }
#pragma omp section
        {
          if (routes_beside) {
            try {
              demand_read = read_sumo_routes(c.demand);
            } catch (...) {
              demand_error = std::current_exception();
            }
          }
        }
      }
      if (net_error) std::rethrow_exception(net_error);
      d->network = std::move(net.network);
      d->sumo_connections = std::move(net.connections);
    } else if (ends_with(c.network, ".osm") || ends_with(c.network, ".osm.pbf") ||
               ends_with(c.network, ".osm.gz") || ends_with(c.network, ".osm.bz2")) {
      OsmData osm = read_osm(c.network);
      d->network = std::move(osm.network);
      d->origin_lat_deg = osm.origin_lat_deg;
      d->origin_lon_deg = osm.origin_lon_deg;
    } else {
      r.error("network", "'" + c.network_written +
                             "' is neither a SUMO .net.xml nor an OpenStreetMap .osm/.osm.pbf file");
      return nullptr;
    }
  } catch (const InputError& e) {
    forward(diagnostics, e);
    r.error("network", "file '" + c.network + "' could not be read (see the errors above)");
    return nullptr;
  }
  if (d->network.n_links() == 0) {
    r.error("network", "the network '" + c.network_written + "' has no links");
    return nullptr;
  }
  d->graph = link_graph_of(d->network);

  // the demand, routed on free-flow times
  if (c.demand == "synthetic") {
    if (!synthetic_trips(r, ctx, *d)) return nullptr;
  } else if (!std::filesystem::is_regular_file(c.demand)) {
    r.error("demand", "file '" + c.demand + "' does not exist (written '" + c.demand_written +
                          "'); give a SUMO .rou.xml, an OD matrix .csv or \"synthetic\"");
    return nullptr;
  } else if (ends_with(c.demand, ".xml")) {
    if (!sumo_trips(r, c.demand, *d, demand_read, demand_error)) return nullptr;
  } else if (ends_with(c.demand, ".csv")) {
    if (ctx.city == nullptr || ctx.city->zones.size() == 0) {
      r.error("demand", "an OD matrix needs city zones (their boxes select the zone nodes)");
      return nullptr;
    }
    if (!od_trips(r, ctx, c.demand, *d)) return nullptr;
  } else {
    r.error("demand", "'" + c.demand_written + "' is neither a SUMO .rou.xml nor an OD .csv");
    return nullptr;
  }
  if (d->trips.n_vehicles() == 0) {
    r.error("demand", "'" + c.demand_written + "' holds no trips");
    return nullptr;
  }
  fill_trip_geometry(*d);

  // signal plans: SUMO programs first, the default plan for other signalised nodes
  if (c.signals) {
    try {
      const SignalPlan defaults = default_signal_plan(d->network, c.signal_defaults);
      d->signals = d->sumo_connections.size() > 0
                       ? merge_signal_plans(signal_plan_from_sumo(d->network, d->sumo_connections), defaults)
                       : defaults;
    } catch (const std::invalid_argument& e) {
      r.error("signals", std::string("the signal programs cannot be used: ") + e.what());
      return nullptr;
    }
  }

  // the queue model's settings; 1 s substeps up to the end of the run
  QueueModelConfig q;
  q.dt_s = 1.0;
  q.stuck_time_s = c.stuck_time_s;
  q.interval_s = static_cast<double>(c.interval_s);
  q.seed = ctx.seed;
  q.signals = c.signals ? &d->signals : nullptr;
  if (ctx.clock != nullptr) {
    q.end_time_s = static_cast<double>(ctx.clock->n_ticks()) * ctx.clock->dt_s();
  }

  try {
    // re-planning iterations, then the queue model of the final routes
    bool any_reroutable = false;
    for (std::size_t v = 0; v < d->reroutable.size() && !any_reroutable; ++v) {
      any_reroutable = d->reroutable[v] != 0 && d->trips.mode[v] == kModeCar;
    }
    if (c.replanning.max_iterations > 0 && any_reroutable) {
      d->replan = replan(d->graph, d->trips, d->origin_node, d->destination_node, d->reroutable, q,
                         c.replanning);
    }
    d->queue = std::make_unique<QueueModel>(d->graph, d->trips, q);
    d->end_tick = static_cast<std::int64_t>(std::llround(q.end_time_s));
    d->n_intervals = std::max<std::int64_t>(
        1, (d->end_tick + c.interval_s - 1) / c.interval_s);
  } catch (const std::invalid_argument& e) {
    r.error("demand", std::string("the trips do not fit the network: ") + e.what());
    return nullptr;
  }

  // counts to compare against
  if (!c.counts.empty() && !load_counts(r, ctx, *d)) return nullptr;
  return std::make_unique<MobilityModel>(std::move(d));
}

MobilityModel::MobilityModel(std::unique_ptr<Data> data)
    : data_(std::move(data)), columns_(std::make_unique<Columns>()) {}

MobilityModel::~MobilityModel() = default;

const StreetNetwork& MobilityModel::network() const { return data_->network; }

const Trips& MobilityModel::trips() const { return data_->trips; }

void MobilityModel::declare(sim::StateLayout& layout) {
  Columns& c = *columns_;
  const auto internal = [](const char* name, const char* dim) {
    return sim::ColumnSpec{"mobility", name, {}, dim, 0, "1",
                           "queue-model internal state (docs/models/mobility.md#model)",
                           sim::Output::kNone};
  };
  const auto out = [&](const char* name, const char* dim, const char* units, const char* long_name,
                       sim::Output output) {
    return layout.add<double>({"mobility", name, {}, dim, 0, units, long_name, output});
  };
  layout.add_dim({"mobility", "link", data_->network.link_id, "street network link id"});
  layout.add_dim({"mobility", "trip", data_->trip_id, "trip id (1-based position in the demand)"});
  layout.add_dim({"mobility", "queue_counter", {0, 1, 2, 3, 4},
                  "queue-model counter: tick, interval start, next departure, arrived, in network"});
  for (const I32Field& f : kLinkI32) c.link_i32.push_back(layout.add<std::int32_t>(internal(f.name, "link")));
  for (const I64Field& f : kLinkI64) c.link_i64.push_back(layout.add<std::int64_t>(internal(f.name, "link")));
  c.flow_credit_veh = layout.add<double>(internal("q_flow_credit_veh", "link"));
  c.link_speed_mps = layout.add<double>({"mobility", "link_speed_mps", {}, "link", 0, "m s-1",
                                         "free speed of cars entering the link (an input: scripts may set it)",
                                         sim::Output::kSeries, true});
  c.link_capacity_veh_per_h = layout.add<double>({"mobility", "link_capacity_veh_per_h", {}, "link", 0, "h-1",
                                                  "flow capacity of the link (an input: scripts may set it)",
                                                  sim::Output::kSeries, true});
  for (const char* name : kTripI32) c.trip_i32.push_back(layout.add<std::int32_t>(internal(name, "trip")));
  for (const char* name : kTripI64) c.trip_i64.push_back(layout.add<std::int64_t>(internal(name, "trip")));
  c.scalars = layout.add<std::int64_t>(internal("q_counters", "queue_counter"));

  const sim::Output series = sim::Output::kSeries;
  const sim::Output snap = sim::Output::kSnapshot;
  c.vehicles_on_link = out("vehicles_on_link", "link", "1", "cars on the link (queue and buffer)", series);
  c.queue_length_veh = out("queue_length_veh", "link", "1", "cars held past their free-flow exit time", series);
  c.volume_veh = out("volume_veh", "link", "1", "cars that left the link in the last finished interval", series);
  c.mean_speed_mps = out("mean_speed_mps", "link", "m s-1", "space-mean speed in the last finished interval", series);
  c.density_veh_per_km = out("density_veh_per_km", "link", "km-1", "mean density in the last finished interval", series);
  // every interval of every link, interval-major: cell i x n_links + l
  {
    const auto n_links = static_cast<std::int64_t>(data_->network.n_links());
    std::vector<std::int64_t> cells(static_cast<std::size_t>(data_->n_intervals * n_links));
    for (std::size_t i = 0; i < cells.size(); ++i) cells[i] = static_cast<std::int64_t>(i);
    layout.add_dim({"mobility", "link_interval", cells,
                    "(interval, link) cell, interval-major: interval i of link_idx l is i x n_links + l"});
    c.table_volume = out("interval_volume_veh", "link_interval", "1", "cars that left the link in the interval", snap);
    c.table_speed = out("interval_mean_speed_mps", "link_interval", "m s-1",
                        "space-mean speed in the interval (free speed when no car left)", snap);
    c.table_density = out("interval_density_veh_per_km", "link_interval", "km-1", "mean density in the interval", snap);
    c.table_queue = out("interval_queue_veh", "link_interval", "1", "mean cars held past their exit time", snap);
  }
  c.departure_s = out("departure_s", "trip", "s", "departure since the run start", snap);
  c.arrival_s = out("arrival_s", "trip", "s", "arrival since the run start, NaN until arrived", snap);
  c.travel_time_s = out("travel_time_s", "trip", "s", "arrival - departure, NaN until arrived", snap);
  c.distance_m = out("distance_m", "trip", "m", "length of the links completed", snap);
  c.delay_s = out("delay_s", "trip", "s", "travel time - free-flow time, NaN until arrived", snap);
  c.agent_id = layout.add<std::int64_t>({"mobility", "agent_id", {}, "trip", 0, "1",
                                         "person (synthetic demand) or vehicle (imports) making the trip", snap});
  c.choice = layout.add<std::int32_t>({"mobility", "choice", {}, "trip", 0, "1",
                                       "mode: 0 car, 1 bike, 2 walk, 3 bike share", snap});
  c.purpose = layout.add<std::int32_t>({"mobility", "purpose", {}, "trip", 0, "1",
                                        "activity at the destination (docs), -1 for imported trips", snap});
  c.origin_x_m = out("origin_x_m", "trip", "m", "projected x of the trip origin", snap);
  c.origin_y_m = out("origin_y_m", "trip", "m", "projected y of the trip origin", snap);
  c.destination_x_m = out("destination_x_m", "trip", "m", "projected x of the trip destination", snap);
  c.destination_y_m = out("destination_y_m", "trip", "m", "projected y of the trip destination", snap);

  // re-planning convergence, one entry per queue-model run
  const std::vector<ReplanIteration>& its = data_->replan.iterations;
  if (!its.empty()) {
    std::vector<std::int64_t> ids(its.size());
    for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = its[i].iteration;
    layout.add_dim({"mobility", "iteration", ids, "re-planning iteration (0 = free-flow routes)"});
    c.replan_gap = out("relative_gap", "iteration", "1", "relative gap of the routes on the iteration's link costs", snap);
    c.replan_experienced_gap = out("experienced_gap", "iteration", "1", "relative gap on experienced trip times", snap);
    c.replan_mean_time_s = out("iteration_mean_travel_time_s", "iteration", "s", "mean car travel time of the iteration", snap);
    c.replan_rerouted = layout.add<std::int64_t>({"mobility", "rerouted", {}, "iteration", 0, "1",
                                                  "trips given a new route before the iteration", snap});
  }

  // counts replay: counters and (counter, hour) cells
  if (data_->counts) {
    const CountReplay& counts = *data_->counts;
    std::vector<std::int64_t> ids(counts.size());
    for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<std::int64_t>(i) + 1;
    layout.add_dim({"mobility", "counter", ids, "attached counter (1-based row, see counter_link_id)"});
    std::vector<std::int64_t> cells(counts.size() * static_cast<std::size_t>(data_->n_count_hours));
    for (std::size_t i = 0; i < cells.size(); ++i) cells[i] = static_cast<std::int64_t>(i);
    layout.add_dim({"mobility", "count_cell", cells, "(counter, hour) cell: counter-major"});
    c.counter_link_id = layout.add<std::int64_t>({"mobility", "counter_link_id", {}, "counter", 0, "1",
                                                  "network link id the counter is attached to", snap});
    c.counter_distance_m = out("counter_distance_m", "counter", "m", "counter-to-link distance (0 when named)", snap);
    c.count_counter = layout.add<std::int64_t>({"mobility", "count_cell_counter", {}, "count_cell", 0, "1",
                                                "counter of the cell", snap});
    c.count_time_s = out("count_cell_time_s", "count_cell", "s", "start of the cell's hour since the run start", snap);
    c.count_observed = out("count_observed_veh_per_h", "count_cell", "h-1", "counted hourly flow, NaN when missing", snap);
    c.count_simulated = out("count_simulated_veh_per_h", "count_cell", "h-1",
                            "simulated hourly flow on the counter's link (final once the hour is over)", snap);
    c.count_geh = out("count_geh", "count_cell", "1", "GEH of the hour, NaN until both flows exist", snap);
  }
}

namespace {

// the fit of the finished (counter, hour) cells
FitSummary count_fit(const MobilityModel::Columns& c, const sim::State& state) {
  const std::span<const double> geh_cells = state.get(c.count_geh);
  const std::span<const double> observed = state.get(c.count_observed);
  const std::span<const double> simulated = state.get(c.count_simulated);
  std::vector<double> sim_done;
  std::vector<double> obs_done;
  for (std::size_t i = 0; i < geh_cells.size(); ++i) {
    if (std::isnan(geh_cells[i])) continue;
    sim_done.push_back(simulated[i]);
    obs_done.push_back(observed[i]);
  }
  return compare_flows(sim_done, obs_done);
}

// writes the intervals finished in this step into their rows (the other rows of `next` hold
// their values of `now` already: next equals now between ticks)
void store_interval_table(const MobilityModel::Columns& c, const MobilityModel::Data& d,
                          const LinkIntervalStats& stats, sim::StateWriter& next) {
  const std::array<std::pair<sim::Column<double>, const std::vector<double>*>, 3> doubles{{
      {c.table_speed, &stats.mean_speed_mps},
      {c.table_density, &stats.density_veh_per_km},
      {c.table_queue, &stats.queue_veh},
  }};
  const std::span<double> volume = next.get(c.table_volume);
  const auto nl = static_cast<std::size_t>(stats.n_links);
  for (std::int64_t i = 0; i < stats.n_intervals(); ++i) {
    const auto row = static_cast<std::int64_t>(std::llround(stats.start_s[static_cast<std::size_t>(i)] /
                                                            static_cast<double>(d.config.interval_s)));
    if (row < 0 || row >= d.n_intervals) continue;
    const auto to = static_cast<std::size_t>(row) * nl;
    const auto from = static_cast<std::size_t>(i) * nl;
    for (std::size_t l = 0; l < nl; ++l) volume[to + l] = stats.volume_veh[from + l];
    for (const auto& [column, values] : doubles) {
      const std::span<double> out = next.get(column);
      std::copy(values->begin() + static_cast<std::ptrdiff_t>(from),
                values->begin() + static_cast<std::ptrdiff_t>(from + nl), out.begin() + static_cast<std::ptrdiff_t>(to));
    }
  }
}

// the link inputs a script may have set must stay usable by the queue model
void check_link_inputs(const StreetNetwork& network, const QueueState& s) {
  for (std::size_t l = 0; l < s.link_speed_mps.size(); ++l) {
    const double v = s.link_speed_mps[l];
    const double q = s.link_capacity_veh_per_h[l];
    if (!(v > 0.0) || !std::isfinite(v) || !(q > 0.0) || !std::isfinite(q)) {
      throw std::invalid_argument(
          "mobility: link id " + std::to_string(network.link_id[l]) + " has link_speed_mps = " +
          std::to_string(v) + " and link_capacity_veh_per_h = " + std::to_string(q) +
          "; both must be finite and > 0 (close a link with a tiny speed, e.g. 0.1 m/s)");
    }
  }
}

// adds the car volumes of the finished link intervals to the counted cells and computes the GEH
// of every hour that is over
void update_counts(const MobilityModel::Columns& c, const MobilityModel::Data& d,
                   const LinkIntervalStats& stats, std::int64_t now_s, const sim::State& now,
                   sim::StateWriter& next) {
  const CountReplay& counts = *d.counts;
  const std::span<double> simulated = next.get(c.count_simulated);  // equals now's between ticks
  for (std::int64_t i = 0; i < stats.n_intervals(); ++i) {
    const auto hour = static_cast<std::int64_t>(std::floor(stats.start_s[static_cast<std::size_t>(i)] / 3600.0));
    if (hour < 0 || hour >= d.n_count_hours) continue;
    for (std::size_t row = 0; row < counts.size(); ++row) {
      if (counts.is_bike[row] != 0) continue;
      const auto l = static_cast<std::size_t>(counts.link_idx[row]);
      simulated[static_cast<std::size_t>(static_cast<std::int64_t>(row) * d.n_count_hours + hour)] +=
          stats.volume_veh[static_cast<std::size_t>(i * stats.n_links) + l];
    }
  }
  const std::span<const double> observed = now.get(c.count_observed);
  const std::span<double> geh_out = next.get(c.count_geh);
  const std::int64_t hours_over = now_s / 3600;
  for (std::size_t row = 0; row < counts.size(); ++row) {
    for (std::int64_t h = 0; h < d.n_count_hours; ++h) {
      const auto cell = static_cast<std::size_t>(static_cast<std::int64_t>(row) * d.n_count_hours + h);
      geh_out[cell] = h < hours_over && !std::isnan(observed[cell]) ? geh(simulated[cell], observed[cell]) : kNaN;
    }
  }
}

}  // namespace

void MobilityModel::init(const sim::StepContext& ctx, sim::StateWriter& state) const {
  const Columns& c = *columns_;
  const Data& d = *data_;
  store_queue_state(c, d, d.queue->initial_state(), state, nullptr, {});
  for (const sim::Column<double> column : {c.table_speed, c.table_density, c.table_queue}) {
    std::fill(state.get(column).begin(), state.get(column).end(), kNaN);  // not simulated yet
  }
  std::copy(d.network.free_speed_mps.begin(), d.network.free_speed_mps.end(),
            state.get(c.mean_speed_mps).begin());
  copy_out(d.agent_id, state.get(c.agent_id));
  copy_out(d.choice, state.get(c.choice));
  copy_out(d.purpose, state.get(c.purpose));
  copy_out(d.origin_x_m, state.get(c.origin_x_m));
  copy_out(d.origin_y_m, state.get(c.origin_y_m));
  copy_out(d.destination_x_m, state.get(c.destination_x_m));
  copy_out(d.destination_y_m, state.get(c.destination_y_m));
  const std::vector<ReplanIteration>& its = d.replan.iterations;
  for (std::size_t i = 0; i < its.size(); ++i) {
    state.get(c.replan_gap)[i] = its[i].relative_gap;
    state.get(c.replan_experienced_gap)[i] = its[i].experienced_gap;
    state.get(c.replan_mean_time_s)[i] = its[i].mean_travel_time_s;
    state.get(c.replan_rerouted)[i] = its[i].n_rerouted;
  }
  if (d.counts) {
    const CountReplay& counts = *d.counts;
    const std::int64_t start_utc_s = ctx.utc_s;
    for (std::size_t row = 0; row < counts.size(); ++row) {
      state.get(c.counter_link_id)[row] = d.network.link_id[static_cast<std::size_t>(counts.link_idx[row])];
      state.get(c.counter_distance_m)[row] = counts.distance_m[row];
      for (std::int64_t h = 0; h < d.n_count_hours; ++h) {
        const auto cell = static_cast<std::size_t>(static_cast<std::int64_t>(row) * d.n_count_hours + h);
        state.get(c.count_counter)[cell] = static_cast<std::int64_t>(row) + 1;
        state.get(c.count_time_s)[cell] = static_cast<double>(h) * 3600.0;
        state.get(c.count_observed)[cell] = counts.observed(row, start_utc_s + h * 3600);
        state.get(c.count_simulated)[cell] = d.bike_count_veh[cell];
        state.get(c.count_geh)[cell] = kNaN;
      }
    }
  }
}

void MobilityModel::step(const sim::StepContext& ctx, const sim::State& now,
                         sim::StateWriter& next) const {
  const Columns& c = *columns_;
  const QueueModel& queue = *data_->queue;

  // dt_s one-second substeps (an empty network jumps ahead to its next departure)
  const Data& d = *data_;
  // the queue state of `now`, in a per-thread buffer reused from step to step: every value the
  // step reads is reloaded from the columns (the records of trips not under way are not: the
  // queue model sets a trip's record when it departs, and reads none of the others)
  thread_local QueueState s;
  // the trips under way at the start of the step, then also those that departed in it
  thread_local std::vector<std::int64_t> moved;
  load_queue_state(c, d, now, s, moved);
  const std::int64_t first_departure = s.next_departure;
  check_link_inputs(d.network, s);
  LinkIntervalStats stats;
  const std::int64_t target_tick = (ctx.tick + ctx.period_ticks) * ctx.dt_s;
  // stepping on after the last arrival closes the link intervals (an empty network jumps)
  queue.advance(s, stats, std::min(target_tick, d.end_tick));
  // credits as of the step's last tick, so that a capacity a script sets before the next step
  // applies from that step on only
  queue.settle_flow_credits(s);
  for (std::int64_t i = first_departure; i < s.next_departure; ++i) {
    moved.push_back(s.departure_order[static_cast<std::size_t>(i)]);
  }
  store_queue_state(c, d, s, next, &now, moved);
  if (d.counts) update_counts(c, d, stats, s.tick, now, next);

  // link statistics of the last interval finished in this step; without one, `next` keeps those
  // of `now` (next equals now between ticks)
  store_interval_table(c, d, stats, next);
  if (stats.n_intervals() > 0) {
    const std::span<double> volume = next.get(c.volume_veh);
    const std::span<double> speed = next.get(c.mean_speed_mps);
    const std::span<double> density = next.get(c.density_veh_per_km);
    const auto row = static_cast<std::size_t>((stats.n_intervals() - 1) * stats.n_links);
    for (std::size_t l = 0; l < volume.size(); ++l) {
      volume[l] = stats.volume_veh[row + l];
      speed[l] = stats.mean_speed_mps[row + l];
      density[l] = stats.density_veh_per_km[row + l];
    }
  }
}

void MobilityModel::kpis(const sim::State& state, std::vector<sim::Kpi>& out) const {
  const Columns& c = *columns_;
  const Trips& trips = data_->trips;
  const std::span<const double> departure = state.get(c.departure_s);
  const std::span<const double> travel = state.get(c.travel_time_s);
  const std::span<const double> distance = state.get(c.distance_m);
  const std::span<const double> delay = state.get(c.delay_s);
  const std::span<const std::int64_t> depart_tick = state.get(c.trip_i64[3]);
  const std::span<const std::int32_t> stuck = state.get(c.trip_i32[1]);
  const double now_s = static_cast<double>(state.get(c.scalars)[0]);

  // sums in trip order (deterministic)
  double car_km = 0.0;
  double car_h = 0.0;
  double trip_time_s = 0.0;
  double delay_h = 0.0;
  std::int64_t n_arrived = 0;
  std::int64_t n_stuck = 0;
  std::array<std::int64_t, 3> n_mode{0, 0, 0};
  for (std::size_t v = 0; v < departure.size(); ++v) {
    const bool is_car = trips.mode[v] == kModeCar;
    const bool arrived = !std::isnan(travel[v]);
    n_mode[trips.mode[v] == kModeCar ? 0 : trips.mode[v] == kModeBike ? 1 : 2] += 1;
    n_stuck += stuck[v];
    if (arrived) {
      ++n_arrived;
      trip_time_s += travel[v];
      delay_h += delay[v] / 3600.0;
    }
    if (!is_car) continue;
    car_km += distance[v] / 1000.0;
    if (arrived) {
      car_h += travel[v] / 3600.0;
    } else if (static_cast<double>(depart_tick[v]) < now_s) {
      car_h += (now_s - departure[v]) / 3600.0;
    }
  }
  const auto n_trips = static_cast<double>(departure.size());
  out.push_back({"vehicle_km", car_km, "km", "distance driven by cars"});
  out.push_back({"vehicle_hours", car_h, "h", "time cars spent in the network"});
  out.push_back({"mean_trip_time_s", n_arrived > 0 ? trip_time_s / static_cast<double>(n_arrived) : kNaN,
                 "s", "mean travel time of the arrived trips"});
  out.push_back({"total_delay_h", delay_h, "h", "travel time above free flow, arrived trips"});
  out.push_back({"car_share_frac", static_cast<double>(n_mode[0]) / n_trips, "1", "share of trips by car"});
  out.push_back({"bike_share_frac", static_cast<double>(n_mode[1]) / n_trips, "1", "share of trips by bicycle"});
  out.push_back({"walk_share_frac", static_cast<double>(n_mode[2]) / n_trips, "1", "share of trips on foot"});
  out.push_back({"trips_arrived", static_cast<double>(n_arrived), "1", "trips that reached their destination"});
  out.push_back({"trips_stuck_released", static_cast<double>(n_stuck), "1",
                 "forced moves of cars blocked longer than stuck_time_s"});
  out.push_back({"co2_kg", car_km * data_->config.co2_kg_per_vehicle_km, "kg",
                 "car tailpipe CO2 (vehicle_km x co2_kg_per_vehicle_km)"});
  out.push_back({"trips_not_arrived", n_trips - static_cast<double>(n_arrived), "1",
                 "trips still under way or not departed at the end of the run"});
  if (data_->config.demand == "synthetic") {
    out.push_back({"persons", static_cast<double>(data_->n_persons), "1", "residents planned by the synthetic demand"});
    out.push_back({"trips_unroutable", static_cast<double>(data_->n_unroutable), "1",
                   "synthetic trips dropped because no mode had a path"});
    out.push_back({"trips_no_mode", static_cast<double>(data_->n_no_mode), "1",
                   "synthetic trips dropped: no car or bike and too far to walk (public transport)"});
    out.push_back({"trips_before_start", static_cast<double>(data_->n_before_start), "1",
                   "synthetic trips departing before the run starts (not simulated)"});
  }
  const std::vector<ReplanIteration>& its = data_->replan.iterations;
  if (!its.empty()) {
    out.push_back({"replanning_iterations", static_cast<double>(its.size()), "1", "queue-model runs of the re-planning loop"});
    out.push_back({"relative_gap_final", its.back().relative_gap, "1", "relative gap of the last iteration"});
  }
  if (data_->counts) {
    const FitSummary fit = count_fit(c, state);
    out.push_back({"counts_hours_compared", static_cast<double>(fit.n_hours), "1", "counted hours compared"});
    out.push_back({"counts_geh_below_5_frac", fit.share_geh_below_5_frac, "1", "share of counted hours with GEH < 5"});
    out.push_back({"counts_rmse_veh_per_h", fit.rmse_veh_per_h, "h-1", "RMSE of the hourly flows"});
    out.push_back({"counts_mean_relative_error_frac", fit.mean_relative_error_frac, "1",
                   "mean signed relative error of the hourly flows"});
  }
}

std::string MobilityModel::summary(const sim::State& state) const {
  const Data& d = *data_;
  std::string text;
  const auto fmt = [](const char* f, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, f, v);
    return std::string(buf);
  };
  if (!d.replan.iterations.empty()) {
    text += "  re-planning (" + std::string(d.replan.converged ? "converged" : "not converged") + "):\n";
    text += "    iteration  relative_gap  mean_trip_time_s  rerouted\n";
    for (const ReplanIteration& it : d.replan.iterations) {
      text += "    " + fmt("%9.0f", it.iteration) + fmt("  %12.5f", it.relative_gap) +
              fmt("  %16.1f", it.mean_travel_time_s) + fmt("  %8.0f", static_cast<double>(it.n_rerouted)) + "\n";
    }
  }
  if (d.counts) {
    const FitSummary fit = count_fit(*columns_, state);
    text += "  counts: " + std::to_string(d.counts->size()) + " counter(s) of '" + d.config.counts_written +
            "' attached";
    if (!d.counts->unattached.empty()) text += ", " + std::to_string(d.counts->unattached.size()) + " not";
    text += "\n" + fit.format("counts fit summary");
  }
  return text;
}

}  // namespace citytwin::mobility
