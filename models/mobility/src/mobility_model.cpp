#include <citytwin/mobility/mobility_model.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

#include <citytwin/mobility/readers/od_matrix.hpp>
#include <citytwin/mobility/readers/osm.hpp>
#include <citytwin/mobility/readers/sumo_net.hpp>
#include <citytwin/mobility/readers/sumo_routes.hpp>
#include <citytwin/sim/city.hpp>
#include <citytwin/sim/clock.hpp>
#include <citytwin/sim/config_reader.hpp>
#include <citytwin/sim/diagnostics.hpp>
#include <citytwin/sim/error.hpp>

namespace citytwin::mobility {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// the queue-model state fields held as State columns, by element type and dimension
struct I32Field {
  const char* name;
  std::vector<std::int32_t> QueueState::*member;
};
struct I64Field {
  const char* name;
  std::vector<std::int64_t> QueueState::*member;
};
const std::array<I32Field, 13> kLinkI32{{
    {"q_queue_head", &QueueState::queue_head},
    {"q_queue_tail", &QueueState::queue_tail},
    {"q_queue_last_due", &QueueState::queue_last_due},
    {"q_n_queue_due", &QueueState::n_queue_due},
    {"q_buffer_head", &QueueState::buffer_head},
    {"q_buffer_tail", &QueueState::buffer_tail},
    {"q_n_buffer", &QueueState::n_buffer},
    {"q_wait_head", &QueueState::wait_head},
    {"q_wait_tail", &QueueState::wait_tail},
    {"q_n_on_link", &QueueState::n_on_link},
    {"q_n_entered", &QueueState::n_entered},
    {"q_n_left", &QueueState::n_left},
    {"q_interval_volume_veh", &QueueState::interval_volume_veh},
}};
const std::array<I64Field, 4> kLinkI64{{
    {"q_buffer_moved_tick", &QueueState::buffer_moved_tick},
    {"q_interval_time_ticks", &QueueState::interval_time_ticks},
    {"q_interval_occupancy_veh", &QueueState::interval_occupancy_veh},
    {"q_interval_queue_veh", &QueueState::interval_queue_veh},
}};
const std::array<I32Field, 3> kTripI32{{
    {"q_next_vehicle_idx", &QueueState::next_vehicle_idx},
    {"q_stuck_count", &QueueState::stuck_count},
    {"q_departure_order", &QueueState::departure_order},
}};
const std::array<I64Field, 5> kTripI64{{
    {"q_route_pos", &QueueState::route_pos},
    {"q_enter_tick", &QueueState::enter_tick},
    {"q_exit_tick", &QueueState::exit_tick},
    {"q_depart_tick", &QueueState::depart_tick},
    {"q_arrive_tick", &QueueState::arrive_tick},
}};

template <typename T>
void copy_in(std::span<const T> from, std::vector<T>& to) {
  to.assign(from.begin(), from.end());
}
template <typename T>
void copy_out(const std::vector<T>& from, std::span<T> to) {
  std::copy(from.begin(), from.end(), to.begin());
}

}  // namespace

struct MobilityModel::Data {
  MobilityConfig config;             // the validated section
  StreetNetwork network;             // the simulated network, finalized
  LinkGraph graph;                   // view of `network`
  Trips trips;                       // routed trips, one per vehicle
  std::vector<std::int64_t> trip_id; // stable trip ids (1-based position in the demand)
  std::unique_ptr<QueueModel> queue; // constants derived from graph, trips and config
};

struct MobilityModel::Columns {
  std::vector<sim::Column<std::int32_t>> link_i32;   // kLinkI32 order
  std::vector<sim::Column<std::int64_t>> link_i64;   // kLinkI64 order
  sim::Column<double> flow_credit_veh;               // [veh] per link
  std::vector<sim::Column<std::int32_t>> trip_i32;   // kTripI32 order
  std::vector<sim::Column<std::int64_t>> trip_i64;   // kTripI64 order
  sim::Column<std::int64_t> scalars;                 // the 5 queue_counter values
  sim::Column<double> vehicles_on_link;              // [veh] per link
  sim::Column<double> queue_length_veh;              // [veh] per link
  sim::Column<double> volume_veh;                    // [veh] per link, last interval
  sim::Column<double> mean_speed_mps;                // [m s-1] per link, last interval
  sim::Column<double> density_veh_per_km;            // [veh km-1] per link, last interval
  sim::Column<double> departure_s;                   // [s] per trip
  sim::Column<double> arrival_s;                     // [s] per trip, NaN until arrived
  sim::Column<double> travel_time_s;                 // [s] per trip
  sim::Column<double> distance_m;                    // [m] per trip
  sim::Column<double> delay_s;                       // [s] per trip
};

namespace {

// reads the queue state held in `state`
QueueState load_queue_state(const MobilityModel::Columns& c, const sim::State& state) {
  QueueState s;
  for (std::size_t i = 0; i < kLinkI32.size(); ++i) copy_in(state.get(c.link_i32[i]), s.*kLinkI32[i].member);
  for (std::size_t i = 0; i < kLinkI64.size(); ++i) copy_in(state.get(c.link_i64[i]), s.*kLinkI64[i].member);
  copy_in(state.get(c.flow_credit_veh), s.flow_credit_veh);
  for (std::size_t i = 0; i < kTripI32.size(); ++i) copy_in(state.get(c.trip_i32[i]), s.*kTripI32[i].member);
  for (std::size_t i = 0; i < kTripI64.size(); ++i) copy_in(state.get(c.trip_i64[i]), s.*kTripI64[i].member);
  const std::span<const std::int64_t> sc = state.get(c.scalars);
  s.tick = sc[0];
  s.interval_start_tick = sc[1];
  s.next_departure = sc[2];
  s.n_arrived = sc[3];
  s.n_in_network = sc[4];
  return s;
}

// writes the queue state and the trip table into the model's columns
void store_queue_state(const MobilityModel::Columns& c, const QueueModel& queue,
                       const QueueState& s, sim::StateWriter& w) {
  for (std::size_t i = 0; i < kLinkI32.size(); ++i) copy_out(s.*kLinkI32[i].member, w.get(c.link_i32[i]));
  for (std::size_t i = 0; i < kLinkI64.size(); ++i) copy_out(s.*kLinkI64[i].member, w.get(c.link_i64[i]));
  copy_out(s.flow_credit_veh, w.get(c.flow_credit_veh));
  for (std::size_t i = 0; i < kTripI32.size(); ++i) copy_out(s.*kTripI32[i].member, w.get(c.trip_i32[i]));
  for (std::size_t i = 0; i < kTripI64.size(); ++i) copy_out(s.*kTripI64[i].member, w.get(c.trip_i64[i]));
  const std::span<std::int64_t> sc = w.get(c.scalars);
  sc[0] = s.tick;
  sc[1] = s.interval_start_tick;
  sc[2] = s.next_departure;
  sc[3] = s.n_arrived;
  sc[4] = s.n_in_network;
  const TripTable t = queue.trip_table(s);
  copy_out(t.departure_s, w.get(c.departure_s));
  copy_out(t.arrival_s, w.get(c.arrival_s));
  copy_out(t.travel_time_s, w.get(c.travel_time_s));
  copy_out(t.distance_m, w.get(c.distance_m));
  copy_out(t.delay_s, w.get(c.delay_s));
  const std::span<double> on_link = w.get(c.vehicles_on_link);
  const std::span<double> queued = w.get(c.queue_length_veh);
  for (std::size_t l = 0; l < on_link.size(); ++l) {
    on_link[l] = s.n_on_link[l];
    queued[l] = s.n_queue_due[l] + s.n_buffer[l];
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
bool sumo_trips(sim::ConfigReader& r, const std::string& path, MobilityModel::Data& d) {
  SumoDemand demand;
  try {
    demand = read_sumo_routes(path);
  } catch (const InputError& e) {
    forward(r.diagnostics(), e);
    r.error("demand", "route file '" + path + "' could not be read (see the errors above)");
    return false;
  }
  const StreetNetwork& net = d.network;
  std::vector<InputIssue> issues;
  const auto link_of = [&](const std::string& edge, std::int64_t v) {
    const std::int32_t l = net.link_idx(std::string_view(edge));
    if (l < 0) {
      issues.push_back({path, demand.line[static_cast<std::size_t>(v)], 0, "edges",
                        "vehicle '" + demand.vehicle_id[static_cast<std::size_t>(v)] +
                            "': edge '" + edge + "' is not in the network"});
    }
    return l;
  };
  // routing queries of the trips: from the end of the first edge to the start of the last
  std::vector<std::int32_t> from_node;
  std::vector<std::int32_t> to_node;
  std::vector<std::int64_t> query_of(static_cast<std::size_t>(demand.n_vehicles()), -1);
  for (std::int64_t v = 0; v < demand.n_vehicles(); ++v) {
    const auto vi = static_cast<std::size_t>(v);
    if (!demand.from_edge[vi].empty()) {
      const std::int32_t a = link_of(demand.from_edge[vi], v);
      const std::int32_t b = link_of(demand.to_edge[vi], v);
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
    if (demand.from_edge[vi].empty()) {
      for (std::int64_t j = demand.route_begin[vi]; j < demand.route_begin[vi + 1]; ++j) {
        links.push_back(link_of(demand.route_edges[static_cast<std::size_t>(j)], v));
      }
      if (std::find(links.begin(), links.end(), -1) != links.end()) continue;
    } else {
      const std::int64_t q = query_of[vi];
      if (q < 0) continue;
      const auto qi = static_cast<std::size_t>(q);
      const std::int32_t a = net.link_idx(std::string_view(demand.from_edge[vi]));
      const std::int32_t b = net.link_idx(std::string_view(demand.to_edge[vi]));
      if (a == b) {
        links.push_back(a);
      } else if (!std::isfinite(routes.cost_s[qi])) {
        issues.push_back({path, demand.line[vi], 0, "to",
                          "vehicle '" + demand.vehicle_id[vi] + "': no path from edge '" +
                              demand.from_edge[vi] + "' to edge '" + demand.to_edge[vi] + "'"});
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
  }
  if (n_unreachable > 0) {
    r.error("demand", std::to_string(n_unreachable) + " OD trips of '" + path +
                          "' have no path between their drawn nodes; connect the network or "
                          "shrink the zones");
    return false;
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
    if (c.demand_written == "synthetic") {
      r.error("demand",
              "synthetic demand is not implemented yet; give a SUMO route file (\"trips.rou.xml\") "
              "or an OD matrix CSV (\"od.csv\")");
    } else {
      c.demand = resolve_path(ctx, c.demand_written);
    }
  }
  if (r.read("signals", c.signals) && c.signals) {
    r.error("signals",
            "signal gating is not modelled by the queue model yet; set signals = false (links "
            "then use their full capacity at signalised junctions)");
  }
  r.read_duration_s("interval", c.interval_s, sim::Range{1.0});
  r.read("stuck_time_s", c.stuck_time_s, sim::Range::positive());
  r.read("co2_kg_per_vehicle_km", c.co2_kg_per_vehicle_km, sim::Range::non_negative());
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
  try {
    if (c.network == "generated") {
      if (ctx.city == nullptr || ctx.city->streets.size() == 0) {
        r.error("network", "\"generated\" needs a city with streets");
        return nullptr;
      }
      d->network = build_street_network(*ctx.city);
    } else if (!std::filesystem::is_regular_file(c.network)) {
      r.error("network", "file '" + c.network + "' does not exist (written '" + c.network_written +
                             "'); give a .net.xml, .osm or .osm.pbf file, or \"generated\"");
      return nullptr;
    } else if (ends_with(c.network, ".net.xml")) {
      d->network = read_sumo_net(c.network).network;
    } else if (ends_with(c.network, ".osm") || ends_with(c.network, ".osm.pbf") ||
               ends_with(c.network, ".osm.gz") || ends_with(c.network, ".osm.bz2")) {
      d->network = read_osm(c.network).network;
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
  if (!std::filesystem::is_regular_file(c.demand)) {
    r.error("demand", "file '" + c.demand + "' does not exist (written '" + c.demand_written +
                          "'); give a SUMO .rou.xml or an OD matrix .csv");
    return nullptr;
  }
  if (ends_with(c.demand, ".xml")) {
    if (!sumo_trips(r, c.demand, *d)) return nullptr;
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

  // the queue model's constants; 1 s substeps up to the end of the run
  QueueModelConfig q;
  q.dt_s = 1.0;
  q.stuck_time_s = c.stuck_time_s;
  q.interval_s = static_cast<double>(c.interval_s);
  q.seed = ctx.seed;
  if (ctx.clock != nullptr) {
    q.end_time_s = static_cast<double>(ctx.clock->n_ticks()) * ctx.clock->dt_s();
  }
  try {
    d->queue = std::make_unique<QueueModel>(d->graph, d->trips, q);
  } catch (const std::invalid_argument& e) {
    r.error("demand", std::string("the trips do not fit the network: ") + e.what());
    return nullptr;
  }
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
  for (const I32Field& f : kTripI32) c.trip_i32.push_back(layout.add<std::int32_t>(internal(f.name, "trip")));
  for (const I64Field& f : kTripI64) c.trip_i64.push_back(layout.add<std::int64_t>(internal(f.name, "trip")));
  c.scalars = layout.add<std::int64_t>(internal("q_counters", "queue_counter"));

  const sim::Output series = sim::Output::kSeries;
  const sim::Output snap = sim::Output::kSnapshot;
  c.vehicles_on_link = out("vehicles_on_link", "link", "1", "cars on the link (queue and buffer)", series);
  c.queue_length_veh = out("queue_length_veh", "link", "1", "cars held past their free-flow exit time", series);
  c.volume_veh = out("volume_veh", "link", "1", "cars that left the link in the last finished interval", series);
  c.mean_speed_mps = out("mean_speed_mps", "link", "m s-1", "space-mean speed in the last finished interval", series);
  c.density_veh_per_km = out("density_veh_per_km", "link", "km-1", "mean density in the last finished interval", series);
  c.departure_s = out("departure_s", "trip", "s", "departure since the run start", snap);
  c.arrival_s = out("arrival_s", "trip", "s", "arrival since the run start, NaN until arrived", snap);
  c.travel_time_s = out("travel_time_s", "trip", "s", "arrival - departure, NaN until arrived", snap);
  c.distance_m = out("distance_m", "trip", "m", "length of the links completed", snap);
  c.delay_s = out("delay_s", "trip", "s", "travel time - free-flow time, NaN until arrived", snap);
}

void MobilityModel::init(const sim::StepContext& /*ctx*/, sim::StateWriter& state) const {
  const Columns& c = *columns_;
  store_queue_state(c, *data_->queue, data_->queue->initial_state(), state);
  std::copy(data_->network.free_speed_mps.begin(), data_->network.free_speed_mps.end(),
            state.get(c.mean_speed_mps).begin());
}

void MobilityModel::step(const sim::StepContext& ctx, const sim::State& now,
                         sim::StateWriter& next) const {
  const Columns& c = *columns_;
  const QueueModel& queue = *data_->queue;

  // dt_s one-second substeps (an empty network jumps ahead to its next departure)
  QueueState s = load_queue_state(c, now);
  LinkIntervalStats stats;
  const std::int64_t target_tick = (ctx.tick + ctx.period_ticks) * ctx.dt_s;
  while (s.tick < target_tick && !queue.done(s)) queue.step(s, stats);
  store_queue_state(c, queue, s, next);

  // link statistics of the last interval finished in this step, else those of `now`
  const std::span<double> volume = next.get(c.volume_veh);
  const std::span<double> speed = next.get(c.mean_speed_mps);
  const std::span<double> density = next.get(c.density_veh_per_km);
  if (stats.n_intervals() > 0) {
    const auto row = static_cast<std::size_t>((stats.n_intervals() - 1) * stats.n_links);
    for (std::size_t l = 0; l < volume.size(); ++l) {
      volume[l] = stats.volume_veh[row + l];
      speed[l] = stats.mean_speed_mps[row + l];
      density[l] = stats.density_veh_per_km[row + l];
    }
  } else {
    copy_out(std::vector<double>(now.get(c.volume_veh).begin(), now.get(c.volume_veh).end()), volume);
    copy_out(std::vector<double>(now.get(c.mean_speed_mps).begin(), now.get(c.mean_speed_mps).end()), speed);
    copy_out(std::vector<double>(now.get(c.density_veh_per_km).begin(), now.get(c.density_veh_per_km).end()), density);
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
}

}  // namespace citytwin::mobility
