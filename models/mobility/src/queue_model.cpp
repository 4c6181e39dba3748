#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>
#include <utility>

#include <citytwin/mobility/queue_model.hpp>
#include <citytwin/sim/parallel.hpp>
#include <citytwin/sim/rng.hpp>

namespace citytwin::mobility {

namespace {

// [1] tolerance of the tick roundings, so that 10.0000000001 ticks still count as 10
constexpr double kTickEps = 1e-9;
// random stream of the merge draws at nodes
constexpr std::uint32_t kMergeStream = sim::stream_id("mobility.queue.merge");
// [1] the interval flush, once per interval over all links, runs in parallel from this many
constexpr std::int64_t kParallelFlushMin = 4096;
// a tick as held in a LinkQueue: kNoTick from 2^31 - 1 on (never reached in a run)
std::int32_t tick32(std::int64_t tick) {
  return tick < kNoTick ? static_cast<std::int32_t>(tick) : kNoTick;
}
// QueueModel::in_position_ of the in-links from the 64th on (QueueState::node_buffered)
constexpr std::uint8_t kLastInPosition = 63;
// [1] slots of a thread's sleep wheel (ticks it covers in one round)
constexpr std::int64_t kWheelSlots = 128;

[[noreturn]] void bad_argument(const std::string& what) { throw std::invalid_argument(what); }

// [1] whole ticks to cover `time_s`, at least one
std::int64_t ticks_for(double time_s, double dt_s) {
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(time_s / dt_s - kTickEps)));
}

std::string vehicle_at(std::int64_t v) { return "trips vehicle " + std::to_string(v) + ": "; }

// bit sets of links or nodes, 64 to a word
std::size_t bit_words(std::int64_t n) { return static_cast<std::size_t>((n + 63) / 64); }
// bit i tested, set or cleared in a set whose words the threads of a parallel phase share
// (`shared`: atomically, relaxed); set_bit and clear_bit return whether it was set before
bool has_bit(std::vector<std::uint64_t>& bits, std::size_t i, bool shared) {
  std::uint64_t& word = bits[i / 64];
  const std::uint64_t w =
      shared ? std::atomic_ref<std::uint64_t>(word).load(std::memory_order_relaxed) : word;
  return ((w >> (i % 64)) & 1U) != 0;
}
bool set_bit(std::vector<std::uint64_t>& bits, std::size_t i, bool shared) {
  const std::uint64_t bit = std::uint64_t{1} << (i % 64);
  std::uint64_t& word = bits[i / 64];
  const std::uint64_t before =
      shared ? std::atomic_ref<std::uint64_t>(word).fetch_or(bit, std::memory_order_relaxed)
             : std::exchange(word, word | bit);
  return (before & bit) != 0;
}
bool clear_bit(std::vector<std::uint64_t>& bits, std::size_t i, bool shared) {
  const std::uint64_t bit = std::uint64_t{1} << (i % 64);
  std::uint64_t& word = bits[i / 64];
  const std::uint64_t before =
      shared ? std::atomic_ref<std::uint64_t>(word).fetch_and(~bit, std::memory_order_relaxed)
             : std::exchange(word, word & ~bit);
  return (before & bit) != 0;
}

// whether thread scratch `t` changes the word of link l in the active set atomically: in
// advance()'s shared region only the words that several threads change, elsewhere in parallel
// phases (`parallel`) all
bool shared_link_word(const QueueState::ThreadScratch& t, std::size_t l, bool parallel) {
  return t.link_word_atomic != nullptr ? t.link_word_atomic[l / 64] != 0 : parallel;
}

}  // namespace

std::int32_t Trips::add(double trip_departure_s, std::uint8_t trip_mode,
                        const std::vector<std::int32_t>& link_idx) {
  departure_s.push_back(trip_departure_s);
  mode.push_back(trip_mode);
  route_link_idx.insert(route_link_idx.end(), link_idx.begin(), link_idx.end());
  route_begin.push_back(static_cast<std::int64_t>(route_link_idx.size()));
  return static_cast<std::int32_t>(departure_s.size() - 1);
}

QueueModel::QueueModel(const LinkGraph& graph, const Trips& trips, const QueueModelConfig& config)
    : graph_(graph), trips_(trips), config_(config) {
  validate_link_graph(graph_);

  // config
  const auto positive = [](const char* name, double value) {
    if (!(value > 0.0) || !std::isfinite(value)) {
      bad_argument(std::string("queue model: ") + name + " must be finite and > 0 (got " +
                   std::to_string(value) + ")");
    }
  };
  positive("dt_s", config_.dt_s);
  positive("interval_s", config_.interval_s);
  positive("flow_capacity_factor", config_.flow_capacity_factor);
  positive("storage_capacity_factor", config_.storage_capacity_factor);
  positive("bike_speed_mps", config_.bike_speed_mps);
  positive("walk_speed_mps", config_.walk_speed_mps);
  if (!(config_.stuck_time_s >= 0.0)) {
    bad_argument("queue model: stuck_time_s must be >= 0 (got " +
                 std::to_string(config_.stuck_time_s) + ")");
  }
  if (!(config_.bike_grade_slowdown >= 0.0)) {
    bad_argument("queue model: bike_grade_slowdown must be >= 0 (got " +
                 std::to_string(config_.bike_grade_slowdown) + ")");
  }
  if (!(config_.end_time_s >= 0.0) || !std::isfinite(config_.end_time_s)) {
    bad_argument("queue model: end_time_s must be finite and >= 0 (got " +
                 std::to_string(config_.end_time_s) + ")");
  }
  if (config_.parallel_min_active < 0) {
    config_.parallel_min_active = graph_.n_links() >= kParallelLargeNetworkLinks ? 128 : 512;
  }
  if (config_.shared_run_min_links < 0) config_.shared_run_min_links = kSharedRunMinLinks;
  stuck_ticks_ = config_.stuck_time_s / config_.dt_s;
  interval_ticks_ = std::llround(config_.interval_s / config_.dt_s);
  if (interval_ticks_ < 1 || std::abs(static_cast<double>(interval_ticks_) * config_.dt_s -
                                      config_.interval_s) > 1e-9 * config_.interval_s) {
    bad_argument("queue model: interval_s must be a whole multiple of dt_s (got " +
                 std::to_string(config_.interval_s) + " s with dt_s " +
                 std::to_string(config_.dt_s) + " s)");
  }
  end_tick_ = static_cast<std::int64_t>(std::floor(config_.end_time_s / config_.dt_s + kTickEps));
  if (end_tick_ >= std::numeric_limits<std::int32_t>::max()) {
    bad_argument("queue model: end_time_s / dt_s must be below 2^31 - 1 ticks (got " +
                 std::to_string(end_tick_) + ")");
  }

  // per link: free-flow ticks and storage at the graph's speed and capacity (docs: #traffic-flow)
  const auto nl = static_cast<std::size_t>(graph_.n_links());
  free_ticks_.resize(nl);
  storage_veh_.resize(nl);
  bike_ticks_.resize(nl);
  walk_ticks_.resize(nl);
  for (std::size_t l = 0; l < nl; ++l) {
    free_ticks_[l] = ticks_for(graph_.length_m[l] / graph_.free_speed_mps[l], config_.dt_s);
    bike_ticks_[l] = own_speed_ticks(l, kModeBike);
    walk_ticks_[l] = own_speed_ticks(l, kModeWalk);
    const double cap = capacity_per_tick(graph_.flow_capacity_veh_per_h[l]);
    const double stored =
        std::floor(graph_.storage_capacity_veh[l] * config_.storage_capacity_factor + kTickEps);
    const double moving = std::ceil(cap * static_cast<double>(free_ticks_[l]) - kTickEps);
    const double storage = std::max({1.0, stored, moving});
    if (storage > 1e9)
      bad_argument("link graph: storage of link " + std::to_string(l) + " too large");
    storage_veh_[l] = static_cast<std::int32_t>(storage);
  }
  // trips: sizes, departures, connected routes, allowed modes
  const std::int64_t n_vehicles = trips_.n_vehicles();
  const std::int64_t n_links = graph_.n_links();
  if (static_cast<std::int64_t>(trips_.mode.size()) != n_vehicles ||
      static_cast<std::int64_t>(trips_.route_begin.size()) != n_vehicles + 1 ||
      trips_.route_begin.front() != 0 ||
      trips_.route_begin.back() != static_cast<std::int64_t>(trips_.route_link_idx.size())) {
    bad_argument(
        "trips: mode needs n_vehicles entries and route_begin n_vehicles + 1 offsets "
        "from 0 to the size of route_link_idx");
  }
  if (n_vehicles >= std::numeric_limits<std::int32_t>::max()) {
    bad_argument("trips: too many vehicles (max 2^31 - 2)");
  }
  // with each route's free-flow ticks for its mode and its length, summed in route order
  route_free_ticks_.resize(static_cast<std::size_t>(n_vehicles));
  route_length_m_.resize(static_cast<std::size_t>(n_vehicles));
  for (std::int64_t v = 0; v < n_vehicles; ++v) {
    const auto i = static_cast<std::size_t>(v);
    const double dep_s = trips_.departure_s[i];
    if (!(dep_s >= 0.0) || !std::isfinite(dep_s)) {
      bad_argument(vehicle_at(v) + "departure_s must be finite and >= 0 (got " +
                   std::to_string(dep_s) + ")");
    }
    const std::uint8_t m = trips_.mode[i];
    if (m != kModeCar && m != kModeBike && m != kModeWalk) {
      bad_argument(vehicle_at(v) + "mode must be kModeCar, kModeBike or kModeWalk (got " +
                   std::to_string(m) + ")");
    }
    const std::int64_t b = trips_.route_begin[i];
    const std::int64_t e = trips_.route_begin[i + 1];
    if (e < b) bad_argument(vehicle_at(v) + "route_begin decreases");
    const std::vector<std::int64_t>& ticks_of_link = link_ticks(m);
    std::int64_t route_ticks = 0;
    double route_m = 0.0;
    for (std::int64_t j = b; j < e; ++j) {
      const std::int32_t l = trips_.route_link_idx[static_cast<std::size_t>(j)];
      if (l < 0 || l >= n_links) {
        bad_argument(vehicle_at(v) + "route link " + std::to_string(l) + " out of range");
      }
      const auto li = static_cast<std::size_t>(l);
      if (!graph_.modes.empty() && (graph_.modes[li] & m) == 0) {
        bad_argument(vehicle_at(v) + "link " + std::to_string(l) + " does not allow mode " +
                     std::to_string(m));
      }
      if (j > b) {
        const auto prev =
            static_cast<std::size_t>(trips_.route_link_idx[static_cast<std::size_t>(j - 1)]);
        if (graph_.to_node_idx[prev] != graph_.from_node_idx[li]) {
          bad_argument(vehicle_at(v) + "route links " + std::to_string(prev) + " and " +
                       std::to_string(l) + " are not joined");
        }
      }
      route_ticks += ticks_of_link[li];
      route_m += graph_.length_m[li];
    }
    route_free_ticks_[i] = route_ticks;
    route_length_m_[i] = route_m;
  }

  // departures: ticks, and the vehicles sorted by (tick, vehicle_idx)
  const auto nv = static_cast<std::size_t>(n_vehicles);
  depart_tick_.resize(nv);
  for (std::size_t v = 0; v < nv; ++v) {
    depart_tick_[v] = std::max<std::int64_t>(
        0, static_cast<std::int64_t>(std::ceil(trips_.departure_s[v] / config_.dt_s - kTickEps)));
  }
  departure_order_.resize(nv);
  std::iota(departure_order_.begin(), departure_order_.end(), 0);
  std::stable_sort(departure_order_.begin(), departure_order_.end(),
                   [&](std::int32_t a, std::int32_t b) {
                     return depart_tick_[static_cast<std::size_t>(a)] <
                            depart_tick_[static_cast<std::size_t>(b)];
                   });

  // signals: checked against the graph; a plan without gates is no plan
  if (config_.signals != nullptr) {
    validate_signal_plan(*config_.signals, n_links);
    if (config_.signals->n_gates() > 0) signals_ = config_.signals;
  }

  in_position_.assign(static_cast<std::size_t>(n_links), 0);
  for (std::int32_t n = 0; n < graph_.n_nodes; ++n) {
    const auto i = static_cast<std::size_t>(n);
    max_in_degree_ = std::max(
        max_in_degree_, static_cast<std::int32_t>(graph_.in_begin[i + 1] - graph_.in_begin[i]));
    for (std::int64_t j = graph_.in_begin[i]; j < graph_.in_begin[i + 1]; ++j) {
      in_position_[static_cast<std::size_t>(graph_.in_link_idx[static_cast<std::size_t>(j)])] =
          static_cast<std::uint8_t>(std::min<std::int64_t>(j - graph_.in_begin[i], kLastInPosition));
    }
  }
}

double QueueModel::capacity_per_tick(double capacity_veh_per_h) const {
  return capacity_veh_per_h / 3600.0 * config_.dt_s * config_.flow_capacity_factor;
}

void QueueModel::derive_link_values(QueueState& s, std::size_t l) const {
  LinkQueue& q = s.link[l];
  const double cap = capacity_per_tick(s.link_capacity_veh_per_h[l]);
  q.capacity_per_tick_veh = cap;
  q.credit_max_veh = std::max(1.0, cap);
  // n_buffer never reaches 2^31 - 1: a larger buffer is as good as this one
  q.buffer_veh = static_cast<std::int32_t>(
      std::min(std::max(1.0, std::ceil(cap - kTickEps)),
               static_cast<double>(std::numeric_limits<std::int32_t>::max())));
  q.storage_veh = storage_veh_[l];
  const std::int64_t ticks = ticks_at(l, s.link_speed_mps[l]);
  q.entry_ticks = ticks < kNoTick ? static_cast<std::int32_t>(ticks) : 0;
}

std::int64_t QueueModel::ticks_at(std::size_t link, double speed_mps) const {
  return ticks_for(graph_.length_m[link] / speed_mps, config_.dt_s);
}

void QueueModel::set_link_speed(QueueState& s, std::int64_t link_idx, double speed_mps) const {
  if (link_idx < 0 || link_idx >= graph_.n_links()) {
    bad_argument("set_link_speed: link_idx " + std::to_string(link_idx) + " is not in [0, " +
                 std::to_string(graph_.n_links()) + ")");
  }
  const auto l = static_cast<std::size_t>(link_idx);
  if (s.link_speed_mps.size() <= l) {
    bad_argument("set_link_speed: the state has no link_speed_mps column; use initial_state()");
  }
  if (!(speed_mps > 0.0) || !std::isfinite(speed_mps) ||
      !(graph_.length_m[l] / speed_mps / config_.dt_s <= 1e12)) {
    bad_argument("set_link_speed: link " + std::to_string(link_idx) +
                 ": speed_mps must be finite, > 0 and give at most 1e12 ticks on the link (got " +
                 std::to_string(speed_mps) + ")");
  }
  s.link_speed_mps[l] = speed_mps;
  if (s.link.size() > l) derive_link_values(s, l);
}

void QueueModel::set_link_capacity(QueueState& s, std::int64_t link_idx,
                                   double capacity_veh_per_h) const {
  if (link_idx < 0 || link_idx >= graph_.n_links()) {
    bad_argument("set_link_capacity: link_idx " + std::to_string(link_idx) + " is not in [0, " +
                 std::to_string(graph_.n_links()) + ")");
  }
  const auto l = static_cast<std::size_t>(link_idx);
  if (s.link_capacity_veh_per_h.size() <= l) {
    bad_argument(
        "set_link_capacity: the state has no link_capacity_veh_per_h column; use initial_state()");
  }
  if (!(capacity_veh_per_h > 0.0) || !(capacity_veh_per_h <= 1e9)) {
    bad_argument("set_link_capacity: link " + std::to_string(link_idx) +
                 ": capacity_veh_per_h must be in (0, 1e9] (got " +
                 std::to_string(capacity_veh_per_h) + ")");
  }
  if (s.link.size() > l) settle_flow_credit(s, l);
  s.link_capacity_veh_per_h[l] = capacity_veh_per_h;
  if (s.link.size() > l) derive_link_values(s, l);
}

double QueueModel::regained_credit(const LinkQueue& link, double credit_veh, std::int64_t n_ticks) {
  // n_ticks link phases, each adding C_l up to the cap (one addition per tick, in order, so a
  // link visited late regains exactly what it would have tick by tick); at the cap: full
  for (std::int64_t j = 0; j < n_ticks; ++j) {
    credit_veh = std::min(credit_veh + link.capacity_per_tick_veh, link.credit_max_veh);
    if (credit_veh == link.credit_max_veh) return kFullFlowCredit;
  }
  return credit_veh == link.credit_max_veh ? kFullFlowCredit : credit_veh;
}

void QueueModel::settle_flow_credit(QueueState& s, std::size_t l) const {
  // the link phases the link missed up to tick − 1, as in link_visit(): an empty queue seen at
  // one of them refilled the credit (no car left the queue since, so it was empty at all of
  // them), otherwise each added C_l up to the cap
  LinkQueue& q = s.link[l];
  const std::int64_t until = s.tick - 1;
  if (q.flow_credit_veh == kFullFlowCredit || q.flow_credit_tick >= until) return;
  if (q.queue_head < 0) {
    q.flow_credit_veh = kFullFlowCredit;
  } else {
    q.flow_credit_veh = regained_credit(q, q.flow_credit_veh, until - q.flow_credit_tick);
  }
  q.flow_credit_tick = static_cast<std::int32_t>(until);
}

void QueueModel::settle_flow_credits(QueueState& s) const {
  if (s.link.size() != static_cast<std::size_t>(graph_.n_links())) {
    bad_argument("settle_flow_credits: the state has no link records; use initial_state()");
  }
  for (std::size_t l = 0; l < s.link.size(); ++l) settle_flow_credit(s, l);
}

void QueueModel::check_link_parameters(const QueueState& s) const {
  const std::int64_t n_links = graph_.n_links();
  const auto expect = [&](const char* column, std::size_t got) {
    if (static_cast<std::int64_t>(got) != n_links) {
      bad_argument(std::string("queue state: ") + column + " has " + std::to_string(got) +
                   " entries, expected n_links = " + std::to_string(n_links) +
                   " (start from initial_state())");
    }
  };
  expect("link_speed_mps", s.link_speed_mps.size());
  expect("link_capacity_veh_per_h", s.link_capacity_veh_per_h.size());
  for (std::size_t l = 0; l < static_cast<std::size_t>(n_links); ++l) {
    const double speed_mps = s.link_speed_mps[l];
    const double capacity = s.link_capacity_veh_per_h[l];
    if (!(speed_mps > 0.0) || !std::isfinite(speed_mps) ||
        !(graph_.length_m[l] / speed_mps / config_.dt_s <= 1e12)) {
      bad_argument("queue state: link_speed_mps[" + std::to_string(l) +
                   "] must be finite, > 0 and give at most 1e12 ticks (got " +
                   std::to_string(speed_mps) + ")");
    }
    if (!(capacity > 0.0) || !(capacity <= 1e9)) {
      bad_argument("queue state: link_capacity_veh_per_h[" + std::to_string(l) +
                   "] must be in (0, 1e9] (got " + std::to_string(capacity) + ")");
    }
  }
}

std::int64_t QueueModel::own_speed_ticks(std::size_t l, std::uint8_t mode) const {
  double speed_mps = config_.walk_speed_mps;
  if (mode == kModeBike) {
    // climbs slow cyclists down: base × max(0.3, 1 − k·grade); descents keep the base speed
    const double grade = graph_.grade_frac.empty() ? 0.0 : std::max(0.0, graph_.grade_frac[l]);
    speed_mps = config_.bike_speed_mps * std::max(0.3, 1.0 - config_.bike_grade_slowdown * grade);
  }
  speed_mps = std::min(speed_mps, graph_.free_speed_mps[l]);
  return ticks_for(graph_.length_m[l] / speed_mps, config_.dt_s);
}

std::int64_t QueueModel::mode_ticks(std::int64_t link_idx, std::uint8_t mode) const {
  return link_ticks(mode)[static_cast<std::size_t>(link_idx)];
}

QueueState QueueModel::initial_state() const {
  QueueState s;
  const auto nl = static_cast<std::size_t>(graph_.n_links());
  const auto nv = static_cast<std::size_t>(trips_.n_vehicles());

  // links: the graph's speeds and capacities, empty FIFOs, full flow credit
  s.link_speed_mps.assign(graph_.free_speed_mps.begin(), graph_.free_speed_mps.end());
  s.link_capacity_veh_per_h.assign(graph_.flow_capacity_veh_per_h.begin(),
                                   graph_.flow_capacity_veh_per_h.end());
  s.link.assign(nl, LinkQueue{});
  for (std::size_t l = 0; l < nl; ++l) derive_link_values(s, l);
  clear_active_sets(s);

  // vehicles: not departed; departures sorted by (tick, vehicle_idx)
  s.vehicle.resize(nv);
  for (std::size_t v = 0; v < nv; ++v) {
    const std::int64_t b = trips_.route_begin[v];
    const std::int64_t e = trips_.route_begin[v + 1];
    s.vehicle[v] = VehicleMove{b, 0, 0, -1,
                               b + 1 < e ? trips_.route_link_idx[static_cast<std::size_t>(b + 1)] : -1,
                               static_cast<std::int32_t>(e - b - 1)};
  }
  s.arrive_tick.assign(nv, -1);
  s.stuck_count.assign(nv, 0);
  s.depart_tick = depart_tick_;
  s.departure_order = departure_order_;
  return s;
}

bool QueueModel::done(const QueueState& state) const {
  return state.n_arrived == trips_.n_vehicles() || state.tick >= end_tick_;
}

// the per-link and per-car steps of the phases are inlined into their loops (3 % of the loop)
[[gnu::always_inline]] inline void QueueModel::enter_link(QueueState& s,
                                                         QueueState::ThreadScratch& t,
                                                         std::int32_t vehicle,
                                                         std::int32_t link,
                                                         std::int64_t k) const {
  // append to the link's queue; only the link's from node calls this (in the node phase)
  const auto v = static_cast<std::size_t>(vehicle);
  const auto l = static_cast<std::size_t>(link);
  // the car counts on the link from now on (its room is judged with this tick's entries; cars
  // that left it this tick free their room only at the next, see apply_counts()); an idle link
  // goes to sleep until the car is due (its next link phase would find nothing due and send it
  // there), a sleeping one (cars on it, not in the set) sleeps on: the new car is behind its
  // first car not yet due. No thread changes a link's bit in the node phase (departures set
  // theirs before it, exits clear theirs after it), so the bit read here stays as read
  const bool idle = s.link[l].n_on_link == 0 &&
                    !has_bit(s.link_active_bits, l, shared_link_word(t, l, t.in_parallel));
  ++s.link[l].n_on_link;
  s.link[l].interval_occupancy_veh += s.interval_start_tick + interval_ticks_ - k;
  s.vehicle[v].enter_tick = static_cast<std::int32_t>(k);  // < end tick < 2^31
  s.vehicle[v].exit_tick = k + entry_ticks(s, l);
  s.vehicle[v].next_vehicle_idx = -1;
  // an idle link whose queue was empty at a link phase since its credit was last updated had
  // its credit reset to full there (docs: #traffic-flow)
  if (s.link[l].queue_tail < 0 && k > s.link[l].flow_credit_tick) {
    s.link[l].flow_credit_veh = kFullFlowCredit;
  }
  // the first car not yet due when all before it are (or the queue is empty); a link asleep
  // behind a red signal with all its cars due wakes when this one becomes due, if before green
  if (idle) {
    s.link[l].queue_next_exit_tick = tick32(s.vehicle[v].exit_tick);
    s.link[l].wake_tick = s.link[l].queue_next_exit_tick;
    t.sleepers.push_back(link);
  } else if (s.link[l].queue_last_due == s.link[l].queue_tail) {
    s.link[l].queue_next_exit_tick = tick32(s.vehicle[v].exit_tick);
    if (s.link[l].queue_tail >= 0 && s.vehicle[v].exit_tick < s.link[l].wake_tick) {
      s.link[l].wake_tick = s.link[l].queue_next_exit_tick;
      t.sleepers.push_back(link);
    }
  }
  if (s.link[l].queue_tail < 0) {
    s.link[l].queue_head = vehicle;
  } else {
    s.vehicle[static_cast<std::size_t>(s.link[l].queue_tail)].next_vehicle_idx = vehicle;
  }
  s.link[l].queue_tail = vehicle;
}

void QueueModel::clear_active_sets(QueueState& s) const {
  const auto nl = static_cast<std::size_t>(graph_.n_links());
  s.link_active_bits.assign(bit_words(graph_.n_links()), 0);
  s.node_active_bits.assign(bit_words(graph_.n_nodes), 0);
  s.node_buffered.assign(static_cast<std::size_t>(graph_.n_nodes), 0);
  s.link_buffered.assign(nl, 0);
  s.link_waiting.assign(nl, 0);
  s.node_waiting.assign(static_cast<std::size_t>(graph_.n_nodes), 0);
  s.n_active_links = 0;
  if (s.scratch.empty()) s.scratch.resize(1);
  for (QueueState::ThreadScratch& t : s.scratch) {
    t.sleep_wheel.assign(static_cast<std::size_t>(kWheelSlots), {});
  }
}

void QueueModel::rebuild_active_sets(QueueState& s) const {
  // every link holding or awaiting cars is active (visited at the next tick, it goes back to
  // sleep if it has nothing to do); the derived per-link values are recomputed
  const auto nl = static_cast<std::size_t>(graph_.n_links());
  clear_active_sets(s);
  for (std::size_t l = 0; l < nl; ++l) {
    s.link[l].queue_next_exit_tick = kNoTick;
    s.link[l].wake_tick = kNoTick;
    s.link[l].red_blocked = 0;
    derive_link_values(s, l);
    const std::int32_t v = s.link[l].queue_last_due < 0
                               ? s.link[l].queue_head
                               : s.vehicle[static_cast<std::size_t>(s.link[l].queue_last_due)].next_vehicle_idx;
    if (v >= 0) s.link[l].queue_next_exit_tick = tick32(s.vehicle[static_cast<std::size_t>(v)].exit_tick);
    if (s.link[l].queue_head >= 0 || s.link[l].buffer_head >= 0 || s.link[l].wait_head >= 0) {
      set_bit(s.link_active_bits, l, false);
      ++s.n_active_links;
    }
  }
}

void QueueModel::wake_links(QueueState& s, std::size_t first_wheel, std::size_t wheel_stride,
                            bool parallel, std::int64_t k) const {
  // links asleep until this tick, in the wheels first_wheel, first_wheel + wheel_stride, ...:
  // their first car not yet due becomes due now. Entries of links woken earlier (or emptied)
  // are stale and dropped; those due in a later round stay. In parallel the threads share the
  // words of the active set (the count of active links is recounted by the link phase)
  for (std::size_t i = first_wheel; i < s.scratch.size(); i += wheel_stride) {
    std::vector<std::int32_t>& slot =
        s.scratch[i].sleep_wheel[static_cast<std::size_t>(k % kWheelSlots)];
    std::size_t kept = 0;
    for (const std::int32_t link : slot) {
      const auto l = static_cast<std::size_t>(link);
      const bool shared = shared_link_word(s.scratch[i], l, parallel);
      if (has_bit(s.link_active_bits, l, shared) || s.link[l].queue_head < 0) continue;
      const std::int64_t wake = s.link[l].wake_tick;
      if (wake <= k) {
        set_bit(s.link_active_bits, l, shared);
        // the link phase reads the car that becomes due: fetch its record now
        const std::int32_t last_due = s.link[l].queue_last_due;
        const std::int32_t first = last_due < 0 ? s.link[l].queue_head : -1;
        if (first >= 0) __builtin_prefetch(&s.vehicle[static_cast<std::size_t>(first)]);
        // and the link's credit (its second cache line)
        __builtin_prefetch(reinterpret_cast<const char*>(&s.link[l]) + 64);
      } else if (wake % kWheelSlots == k % kWheelSlots) {
        slot[kept++] = link;
      }
    }
    slot.resize(kept);
  }
}

[[gnu::always_inline]] inline bool QueueModel::gather_link(QueueState& s,
                                                          QueueState::ThreadScratch& t,
                                                          std::size_t l, bool parallel,
                                                          std::int64_t k) const {
  // after the link phase: the link's nodes with a buffer to serve or a departure to let in join
  // the node phase; an idle link leaves the active set, a link whose cars are all still under
  // way (none due) sleeps until the first is due, whatever its credit (docs: #traffic-flow).
  // Returns whether the link stays active. In parallel the node bits are set atomically (links
  // of several threads share a node word) and the sleepers are listed per thread
  const auto mark_node = [&](std::int32_t node) {
    const auto n = static_cast<std::size_t>(node);
    if (t.own_node_marks) {
      t.node_marks[n / 64] |= std::uint64_t{1} << (n % 64);
    } else {
      set_bit(s.node_active_bits, n, parallel);
    }
  };
  const LinkQueue& q = s.link[l];
  if (q.buffer_head >= 0) {
    const auto to = static_cast<std::size_t>(graph_.to_node_idx[l]);
    mark_node(graph_.to_node_idx[l]);
    // its bit in the to node's word (the in-links of a node may be several threads')
    const std::uint8_t position = in_position_[l];
    if (position == kLastInPosition) s.link_buffered[l] = 1;
    // (in advance()'s shared region the thread of a link is the thread of its to node)
    set_bit(s.node_buffered, to * 64 + position, parallel && !t.own_node_marks);
  }
  if (q.wait_head >= 0) {
    const auto from = static_cast<std::size_t>(graph_.from_node_idx[l]);
    mark_node(graph_.from_node_idx[l]);
    s.link_waiting[l] = 1;
    // the node has departures to let in (several threads may set it: an atomic store)
    std::atomic_ref<std::uint8_t>(s.node_waiting[from]).store(1, std::memory_order_relaxed);
  }
  if (q.buffer_head >= 0 || q.wait_head >= 0) return true;
  if (q.queue_head < 0) return false;
  if (q.n_queue_due == 0) {
    s.link[l].wake_tick = q.queue_next_exit_tick;
    t.sleepers.push_back(static_cast<std::int32_t>(l));
    return false;
  }
  if (q.red_blocked != 0) {
    // its head waits for green: nothing moves before the next green tick, and a visit every
    // tick would only see more cars become due, which the link wakes for (so that each is
    // counted as queued from its own tick)
    s.link[l].wake_tick = tick32(std::min<std::int64_t>(
        q.queue_next_exit_tick,
        signals_->next_green_tick(static_cast<std::int64_t>(l), k, config_.dt_s)));
    t.sleepers.push_back(static_cast<std::int32_t>(l));
    return false;
  }
  return true;
}


void QueueModel::apply_counts(QueueState& s, QueueState::ThreadScratch& t, bool parallel,
                              std::int64_t k) const {
  // exits of the node phase, on the links this thread listed: a car that left a link frees its
  // room from the next tick on, and counts off the link from this tick to the interval's end
  // (docs: #traffic-flow). Each link is listed by the thread of its to node only, after the
  // node phase's barrier: the threads share only the words of the active set (the sums are
  // integers and the set operations commute, so the order does not change the result)
  const std::int64_t to_end = s.interval_start_tick + interval_ticks_ - k;
  for (const std::int32_t link : t.counted_links) {
    const auto l = static_cast<std::size_t>(link);
    LinkQueue& q = s.link[l];
    q.n_on_link -= q.n_left;
    q.interval_occupancy_veh -= q.n_left * to_end;
    // a link whose buffer the node phase emptied, with no car due and no departure waiting,
    // has nothing to do at the next link phase: it goes idle or to sleep now, as the next
    // link phase would send it (docs: #traffic-flow)
    if (q.n_left > 0 && q.buffer_head < 0 && q.wait_head < 0 && q.n_queue_due == 0 &&
        clear_bit(s.link_active_bits, l, shared_link_word(t, l, parallel))) {
      --t.n_active_change;
      if (q.queue_head >= 0 && q.queue_next_exit_tick != kNoTick) {
        q.wake_tick = q.queue_next_exit_tick;
        t.sleepers.push_back(link);
      }
    }
    q.n_left = 0;
  }
  t.counted_links.clear();
}

void QueueModel::finish_tick(QueueState& s) const {
  // the threads' counts, in thread order: the links the link phase kept active, changed by
  // the exits sent idle or to sleep, and the arrivals
  std::int64_t n_arrived = 0;
  std::int64_t n_active = 0;
  for (QueueState::ThreadScratch& t : s.scratch) {
    n_arrived += t.n_arrived;
    n_active += t.n_active + t.n_active_change;
    t.n_arrived = 0;
    t.n_active = 0;
    t.n_active_change = 0;
  }
  s.n_active_links = n_active;
  s.n_arrived += n_arrived;
  s.n_in_network -= n_arrived;
}

[[gnu::always_inline]] inline std::int64_t QueueModel::link_visit(QueueState& s, std::size_t l,
                                                                  std::int64_t to_end,
                                                                  std::int64_t k) const {
  // the link phase of one active link at tick k; returns the cars that arrived
  const auto li = static_cast<std::int64_t>(l);
  const std::int64_t credit_tick = s.link[l].flow_credit_tick;
  s.link[l].flow_credit_tick = static_cast<std::int32_t>(k);
  if (s.link[l].queue_head < 0) {
    // empty queue: the credit stays full (at the cap of whatever capacity the link has when
    // cars come, so it need not be computed here)
    s.link[l].flow_credit_veh = kFullFlowCredit;
    return 0;
  }
  // the credit grows by C_l per tick up to its cap, also over the ticks the link slept through
  // (its queue was never empty then), one addition per tick as if it had been visited; a credit
  // at its cap stays there whatever the capacity becomes (cap + C' >= max(1, C') = cap'), so it
  // is kept as kFullFlowCredit
  if (s.link[l].flow_credit_veh != kFullFlowCredit) {
    s.link[l].flow_credit_veh = regained_credit(s.link[l], s.link[l].flow_credit_veh, k - credit_tick);
  }

  // vehicles past their free-flow exit tick form a prefix of the queue; the exit tick of the
  // first one after it is kept with the link, so cars still under way cost no lookup
  std::int64_t queued_change = 0;
  if (s.link[l].queue_next_exit_tick <= k) {
    std::int32_t v = s.link[l].queue_last_due < 0
                         ? s.link[l].queue_head
                         : s.vehicle[static_cast<std::size_t>(s.link[l].queue_last_due)].next_vehicle_idx;
    while (v >= 0 && s.vehicle[static_cast<std::size_t>(v)].exit_tick <= k) {
      s.link[l].queue_last_due = v;
      ++s.link[l].n_queue_due;
      ++queued_change;
      v = s.vehicle[static_cast<std::size_t>(v)].next_vehicle_idx;
    }
    s.link[l].queue_next_exit_tick = v < 0 ? kNoTick : tick32(s.vehicle[static_cast<std::size_t>(v)].exit_tick);
  }
  if (s.link[l].n_queue_due == 0) {
    s.link[l].interval_queue_veh += queued_change * to_end;
    return 0;
  }

  // move due vehicles within the flow capacity: to the buffer, or arrive at the route end;
  // a red signal keeps through cars in the queue (docs: #traffic-signals)
  std::int64_t n_arrived = 0;
  const bool red = signals_ != nullptr && !signals_->is_green(li, k, config_.dt_s);
  double credit_veh =
      s.link[l].flow_credit_veh == kFullFlowCredit ? s.link[l].credit_max_veh : s.link[l].flow_credit_veh;
  s.link[l].red_blocked = 0;
  while (s.link[l].n_queue_due > 0 && credit_veh >= 1.0 - kTickEps) {
    const std::int32_t h = s.link[l].queue_head;
    const auto hv = static_cast<std::size_t>(h);
    const bool last_link = s.vehicle[hv].next_link_idx < 0;
    if (!last_link && red) {
      s.link[l].red_blocked = 1;
      break;
    }
    if (!last_link && s.link[l].n_buffer >= s.link[l].buffer_veh) break;
    s.link[l].queue_head = s.vehicle[hv].next_vehicle_idx;
    if (s.link[l].queue_head < 0) s.link[l].queue_tail = -1;
    if (--s.link[l].n_queue_due == 0) s.link[l].queue_last_due = -1;
    credit_veh -= 1.0;
    s.link[l].flow_credit_veh = credit_veh;
    if (last_link) {
      s.arrive_tick[hv] = k;
      ++s.vehicle[hv].route_pos;
      s.vehicle[hv].links_left = -1;
      --s.link[l].n_on_link;
      ++s.link[l].interval_volume_veh;
      s.link[l].interval_time_ticks += k - s.vehicle[hv].enter_tick;
      s.link[l].interval_occupancy_veh -= to_end;
      --queued_change;
      ++n_arrived;
      continue;
    }
    // the node phase of this tick reads the car's next link and the route entry after it:
    // fetch them into the cache now, while the other links are visited
    const VehicleMove& move = s.vehicle[hv];
    const auto next_link = static_cast<std::size_t>(move.next_link_idx);
    __builtin_prefetch(&s.link[next_link]);
    __builtin_prefetch(reinterpret_cast<const char*>(&s.link[next_link]) + 64);
    __builtin_prefetch(&trips_.route_link_idx[static_cast<std::size_t>(
        move.route_pos + std::min(2, move.links_left))]);
    s.vehicle[hv].next_vehicle_idx = -1;
    if (s.link[l].buffer_tail < 0) {
      s.link[l].buffer_head = h;
      s.link[l].buffer_moved_tick = static_cast<std::int32_t>(k);
    } else {
      s.vehicle[static_cast<std::size_t>(s.link[l].buffer_tail)].next_vehicle_idx = h;
    }
    s.link[l].buffer_tail = h;
    ++s.link[l].n_buffer;
  }
  s.link[l].interval_queue_veh += queued_change * to_end;
  return n_arrived;
}

void QueueModel::link_phase(QueueState& s, bool parallel) const {
  // only the active links: an idle link's queue is empty and its credit already full. Each link
  // is gathered for the node phase right after its visit; a thread clears the bits of its own
  // words only (static schedule over words) and counts into its scratch. The loop is shared
  // among the threads of the enclosing parallel region (step()); called outside one, it runs
  // on this thread
  const auto n_words = static_cast<std::int64_t>(s.link_active_bits.size());
  // [1] ticks from this one to the interval's end, over which a change of a count is summed
  const std::int64_t to_end = s.interval_start_tick + interval_ticks_ - s.tick;
  QueueState::ThreadScratch& t = s.scratch[static_cast<std::size_t>(sim::thread_index())];
#pragma omp for schedule(static)
  for (std::int64_t w = 0; w < n_words; ++w) {
    const auto wi = static_cast<std::size_t>(w);
    std::uint64_t word = s.link_active_bits[wi];
    for (std::uint64_t bits = word; bits != 0; bits &= bits - 1) {
      const auto bit = static_cast<std::size_t>(std::countr_zero(bits));
      const std::size_t l = wi * 64 + bit;
      t.n_arrived += link_visit(s, l, to_end, s.tick);
      if (gather_link(s, t, l, parallel, s.tick)) {
        ++t.n_active;
      } else {
        word &= ~(std::uint64_t{1} << bit);
      }
    }
    s.link_active_bits[wi] = word;
  }
}

void QueueModel::file_sleepers(QueueState& s, QueueState::ThreadScratch& t) const {
  // the links a thread sent to sleep (or must wake earlier), filed under their wake tick in its
  // own wheel
  for (const std::int32_t link : t.sleepers) {
    const std::int64_t wake = s.link[static_cast<std::size_t>(link)].wake_tick;
    if (wake == kNoTick) continue;  // until a car enters
    t.sleep_wheel[static_cast<std::size_t>(wake % kWheelSlots)].push_back(link);
  }
  t.sleepers.clear();
}

[[gnu::always_inline]] inline void QueueModel::serve(QueueState& s, QueueState::ThreadScratch& t,
                                                    std::int32_t in_link, std::int64_t k,
                                                    std::int64_t to_end) const {
  // has the next link of the buffer head room this tick (or is the head stuck)? moves it if so
  const std::span<const std::int32_t> route = trips_.route_link_idx;
  const auto i = static_cast<std::size_t>(in_link);
  while (s.link[i].buffer_head >= 0) {
    const std::int32_t vehicle = s.link[i].buffer_head;
    const auto v = static_cast<std::size_t>(vehicle);
    const std::int32_t out = s.vehicle[v].next_link_idx;
    const auto o = static_cast<std::size_t>(out);
    const bool room = s.link[o].n_on_link < s.link[o].storage_veh;
    if (!room && signals_ != nullptr && !signals_->is_green(out, k, config_.dt_s)) {
      // a queue held by a red signal is no gridlock: the stuck clock waits for green
      s.link[i].buffer_moved_tick = static_cast<std::int32_t>(k);
      break;
    }
    const bool stuck = static_cast<double>(k - s.link[i].buffer_moved_tick) > stuck_ticks_;
    if (!room && !stuck) break;
    s.link[i].buffer_head = s.vehicle[v].next_vehicle_idx;
    if (s.link[i].buffer_head < 0) s.link[i].buffer_tail = -1;
    --s.link[i].n_buffer;
    s.link[i].buffer_moved_tick = static_cast<std::int32_t>(k);
    if (s.link[i].n_left++ == 0) t.counted_links.push_back(in_link);
    ++s.link[i].interval_volume_veh;
    s.link[i].interval_time_ticks += k - s.vehicle[v].enter_tick;
    s.link[i].interval_queue_veh -= to_end;
    if (!room) ++s.stuck_count[v];
    // the link after `out` is read now, from the cache line `out` came from
    VehicleMove& move = s.vehicle[v];
    ++move.route_pos;
    --move.links_left;
    move.next_link_idx =
        move.links_left > 0 ? route[static_cast<std::size_t>(move.route_pos + 1)] : -1;
    enter_link(s, t, vehicle, out, k);
  }
}

[[gnu::always_inline]] inline void QueueModel::node_visit(QueueState& s,
                                                         QueueState::ThreadScratch& t,
                                                         std::size_t ni, std::int64_t k,
                                                         std::int64_t to_end) const {
  // the node phase of one node at tick k: its incoming links with vehicles waiting to cross on
  // green, in in-link order (on red the stuck clock stops), merged by capacity share; then the
  // departures waiting on its out-links
  std::vector<std::int32_t>& candidates = t.candidates;
  std::vector<double>& weights = t.weights;
  std::size_t m = 0;
  const auto candidate = [&](std::int32_t l) {
    if (signals_ != nullptr && !signals_->is_green(l, k, config_.dt_s)) {
      s.link[static_cast<std::size_t>(l)].buffer_moved_tick = static_cast<std::int32_t>(k);
    } else {
      candidates[m++] = l;
    }
  };
  const std::int64_t in_first = graph_.in_begin[ni];
  const std::uint64_t buffered = std::exchange(s.node_buffered[ni], 0);
  const std::uint64_t last_bit = std::uint64_t{1} << kLastInPosition;
  for (std::uint64_t b = buffered & ~last_bit; b != 0; b &= b - 1) {
    candidate(graph_.in_link_idx[static_cast<std::size_t>(in_first + std::countr_zero(b))]);
  }
  if ((buffered & last_bit) != 0) {
    // the in-links from the 64th on, marked one by one
    for (std::int64_t j = in_first + kLastInPosition; j < graph_.in_begin[ni + 1]; ++j) {
      const std::int32_t l = graph_.in_link_idx[static_cast<std::size_t>(j)];
      if (std::exchange(s.link_buffered[static_cast<std::size_t>(l)], 0) != 0) candidate(l);
    }
  }

  // fair merge: draw the incoming links one by one with probability ∝ capacity
  if (m == 1) {
    serve(s, t, candidates[0], k, to_end);
  } else if (m > 1) {
    // merge weights: the current capacities per tick
    double total_veh = 0.0;
    for (std::size_t c = 0; c < m; ++c) {
      weights[c] = s.link[static_cast<std::size_t>(candidates[c])].capacity_per_tick_veh;
      total_veh += weights[c];
    }
    sim::Rng rng = sim::rng_for(config_.seed, kMergeStream, ni, static_cast<std::uint64_t>(k));
    while (m > 0) {
      const double u = rng.uniform() * total_veh;
      std::size_t c = 0;
      double cum = weights[0];
      while (c + 1 < m && u >= cum) {
        ++c;
        cum += weights[c];
      }
      serve(s, t, candidates[c], k, to_end);
      total_veh -= weights[c];
      std::copy(candidates.begin() + static_cast<std::ptrdiff_t>(c + 1),
                candidates.begin() + static_cast<std::ptrdiff_t>(m),
                candidates.begin() + static_cast<std::ptrdiff_t>(c));
      std::copy(weights.begin() + static_cast<std::ptrdiff_t>(c + 1),
                weights.begin() + static_cast<std::ptrdiff_t>(m),
                weights.begin() + static_cast<std::ptrdiff_t>(c));
      --m;
    }
  }

  // departures enter their first link after the through traffic, while there is room
  if (s.node_waiting[ni] == 0) return;
  s.node_waiting[ni] = 0;
  for (std::int64_t j = graph_.out_begin[ni]; j < graph_.out_begin[ni + 1]; ++j) {
    const std::int32_t out = graph_.out_link_idx[static_cast<std::size_t>(j)];
    const auto o = static_cast<std::size_t>(out);
    if (s.link_waiting[o] == 0) continue;
    s.link_waiting[o] = 0;
    while (s.link[o].wait_head >= 0 && s.link[o].n_on_link < s.link[o].storage_veh) {
      const std::int32_t vehicle = s.link[o].wait_head;
      s.link[o].wait_head = s.vehicle[static_cast<std::size_t>(vehicle)].next_vehicle_idx;
      if (s.link[o].wait_head < 0) s.link[o].wait_tail = -1;
      enter_link(s, t, vehicle, out, k);
    }
  }
}

void QueueModel::node_phase(QueueState& s, bool parallel) const {
  // the active nodes; the loop is shared among the threads of the enclosing parallel region
  // (step()), each with its own scratch; called outside one, it runs on this thread
  const std::int64_t k = s.tick;
  const std::int64_t to_end = s.interval_start_tick + interval_ticks_ - k;
  const auto n_words = static_cast<std::int64_t>(s.node_active_bits.size());
  QueueState::ThreadScratch& t = s.scratch[static_cast<std::size_t>(sim::thread_index())];
  t.in_parallel = parallel;
#pragma omp for schedule(static)
  for (std::int64_t w = 0; w < n_words; ++w) {
    // the word is taken whole (only the link phase sets node bits)
    const std::uint64_t word = std::exchange(s.node_active_bits[static_cast<std::size_t>(w)], 0);
    for (std::uint64_t bits = word; bits != 0; bits &= bits - 1) {
      node_visit(s, t, static_cast<std::size_t>(w * 64 + std::countr_zero(bits)), k, to_end);
    }
  }
}

void QueueModel::tick_phases(QueueState& s, bool parallel) const {
  // the phases of a tick on this thread: in a parallel region (`parallel`) its share of each,
  // outside one all of it (the barrier and the phases' loops then bind to this thread alone)
  const auto thread = static_cast<std::size_t>(sim::thread_index());
  QueueState::ThreadScratch& t = s.scratch[thread];
  wake_links(s, thread, static_cast<std::size_t>(sim::team_size()), parallel, s.tick);
#pragma omp barrier
  link_phase(s, parallel);
  file_sleepers(s, t);
  node_phase(s, parallel);
  apply_counts(s, t, parallel, s.tick);
  file_sleepers(s, t);
}

void QueueModel::prepare(QueueState& s) const {
  const auto n_links_now = static_cast<std::size_t>(graph_.n_links());
  if (s.link_speed_mps.size() != n_links_now || s.link_capacity_veh_per_h.size() != n_links_now ||
      s.link.size() != n_links_now) {
    bad_argument("queue state: link, link_speed_mps and link_capacity_veh_per_h need n_links = " +
                 std::to_string(n_links_now) + " entries (got " + std::to_string(s.link.size()) +
                 ", " + std::to_string(s.link_speed_mps.size()) + " and " +
                 std::to_string(s.link_capacity_veh_per_h.size()) +
                 "); start from initial_state()");
  }
  if (static_cast<std::int64_t>(s.vehicle.size()) != trips_.n_vehicles() ||
      static_cast<std::int64_t>(s.arrive_tick.size()) != trips_.n_vehicles()) {
    bad_argument("queue state: vehicle and arrive_tick need n_vehicles = " +
                 std::to_string(trips_.n_vehicles()) + " entries; start from initial_state()");
  }
  if (s.link_active_bits.size() != bit_words(graph_.n_links()) ||
      s.node_active_bits.size() != bit_words(graph_.n_nodes) ||
      s.node_buffered.size() != static_cast<std::size_t>(graph_.n_nodes) ||
      s.link_buffered.size() != n_links_now || s.link_waiting.size() != n_links_now ||
      s.node_waiting.size() != static_cast<std::size_t>(graph_.n_nodes) ||
      s.scratch.empty() || s.scratch[0].sleep_wheel.size() != static_cast<std::size_t>(kWheelSlots)) {
    rebuild_active_sets(s);
  }
}

bool QueueModel::depart(QueueState& s, const QueueState::ThreadScratch& t, std::int32_t vehicle,
                        std::int64_t k, bool parallel, std::int64_t& n_new_active) const {
  const auto v = static_cast<std::size_t>(vehicle);
  const std::int64_t b = trips_.route_begin[v];
  const std::int64_t e = trips_.route_begin[v + 1];
  // the record of a vehicle about to depart is its initial one (set here, so that a state
  // loaded from columns needs the records of the vehicles under way only)
  const std::int32_t second =
      b + 1 < e ? trips_.route_link_idx[static_cast<std::size_t>(b + 1)] : -1;
  s.vehicle[v] = VehicleMove{b, 0, 0, -1, second, static_cast<std::int32_t>(e - b - 1)};
  s.stuck_count[v] = 0;
  s.arrive_tick[v] = -1;
  if (b == e || trips_.mode[v] != kModeCar) {
    s.arrive_tick[v] = k + route_free_ticks_[v];
    s.vehicle[v].route_pos = e;
    s.vehicle[v].next_link_idx = -1;
    s.vehicle[v].links_left = -1;
    return false;
  }
  const auto first = static_cast<std::size_t>(trips_.route_link_idx[static_cast<std::size_t>(b)]);
  if (!set_bit(s.link_active_bits, first, shared_link_word(t, first, parallel))) ++n_new_active;
  if (s.link[first].wait_tail < 0) {
    s.link[first].wait_head = vehicle;
  } else {
    s.vehicle[static_cast<std::size_t>(s.link[first].wait_tail)].next_vehicle_idx = vehicle;
  }
  s.link[first].wait_tail = vehicle;
  return true;
}

std::int64_t QueueModel::empty_jump_tick(const QueueState& s,
                                         std::int64_t next_departure) const {
  const auto n_vehicles = static_cast<std::int64_t>(s.departure_order.size());
  const std::int64_t next_departure_tick =
      next_departure < n_vehicles
          ? s.depart_tick[static_cast<std::size_t>(
                s.departure_order[static_cast<std::size_t>(next_departure)])]
          : end_tick_;
  return std::min({next_departure_tick, s.interval_start_tick + interval_ticks_, end_tick_});
}

void QueueModel::step(QueueState& s, LinkIntervalStats& stats) const {
  const std::int64_t k = s.tick;
  const auto n_vehicles = static_cast<std::int64_t>(s.departure_order.size());
  prepare(s);

  // an empty network jumps to the next departure (or interval end): nothing moves, all
  // statistics sums stay zero
  if (s.n_in_network == 0) {
    const std::int64_t jump_to = empty_jump_tick(s, s.next_departure);
    if (jump_to > k) {
      s.tick = jump_to;
      if (s.tick - s.interval_start_tick == interval_ticks_) flush_interval(s, stats, s.tick);
      return;
    }
  }

  // departures: cars join their first link's waiting list; bikes and walkers travel alone
  while (s.next_departure < n_vehicles) {
    const std::int32_t vehicle = s.departure_order[static_cast<std::size_t>(s.next_departure)];
    if (s.depart_tick[static_cast<std::size_t>(vehicle)] > k) break;
    ++s.next_departure;
    if (depart(s, s.scratch[0], vehicle, k, false, s.n_active_links)) {
      ++s.n_in_network;
    } else {
      ++s.n_arrived;
    }
  }

  // the links that wake now, the link and node phases over the active links and nodes, then
  // the exits counted on the links cars left (the statistics sums are projected as the counts
  // change); scratch (and a sleep wheel) for as many threads as a parallel region may have
  const auto n_threads = static_cast<std::size_t>(std::max(1, sim::thread_count()));
  if (s.scratch.size() < n_threads) s.scratch.resize(n_threads);
  std::int64_t n_waking = 0;  // [1] about: the entries of this tick's slot, some stale
  for (QueueState::ThreadScratch& t : s.scratch) {
    t.candidates.resize(static_cast<std::size_t>(max_in_degree_));
    t.weights.resize(static_cast<std::size_t>(max_in_degree_));
    t.sleep_wheel.resize(static_cast<std::size_t>(kWheelSlots));
    n_waking += static_cast<std::int64_t>(t.sleep_wheel[static_cast<std::size_t>(k % kWheelSlots)].size());
  }
  // in one parallel region when there is enough to share, the phases ordered by the barrier
  // after the wake-up and the implicit barriers of the phases' loops; each thread files the
  // links it sends to sleep in its own wheel
  if (s.n_active_links + n_waking >= config_.parallel_min_active && n_threads > 1) {
#pragma omp parallel
    tick_phases(s, true);
  } else {
    tick_phases(s, false);
  }
  finish_tick(s);
  ++s.tick;
  if (s.tick - s.interval_start_tick == interval_ticks_) flush_interval(s, stats, s.tick);
}

void QueueModel::advance(QueueState& s, LinkIntervalStats& stats, std::int64_t until_tick,
                         bool until_all_arrived) const {
  const auto more = [&] {
    return s.tick < until_tick && s.tick < end_tick_ &&
           !(until_all_arrived && s.n_arrived == trips_.n_vehicles());
  };
  const std::int64_t n_links = graph_.n_links();
  const std::int64_t n_threads = std::max(1, sim::thread_count());
  // a thread for each kSharedRunLinksPerThread links, at least two (all of them when forced)
  const std::int64_t links_per_thread =
      config_.shared_run_min_links == 0 ? 1 : kSharedRunLinksPerThread;
  const std::int64_t team =
      std::min(n_threads, std::max<std::int64_t>(2, n_links / links_per_thread));
  const bool shared =
      n_threads >= 2 && n_links >= config_.shared_run_min_links && graph_.n_nodes >= team;
  if (shared && more() &&
      advance_shared(s, stats, until_tick, until_all_arrived, static_cast<int>(team))) {
    return;
  }
  while (more()) step(s, stats);
}

QueueModel::SharedPlan QueueModel::shared_plan(const QueueState& s, std::size_t n_team) const {
  // each thread owns a block of nodes with about as many in-links as each other block, and the
  // links into them (docs/models/mobility.md#threads)
  SharedPlan p;
  p.n_team = n_team;
  const auto nl = static_cast<std::size_t>(graph_.n_links());
  const auto nn = static_cast<std::size_t>(graph_.n_nodes);
  std::vector<std::uint16_t> node_owner(nn);
  for (std::size_t n = 0; n < nn; ++n) {
    const auto in_before = static_cast<std::size_t>(graph_.in_begin[n]);
    node_owner[n] = static_cast<std::uint16_t>(
        std::min(n_team - 1, in_before * n_team / std::max<std::size_t>(1, nl)));
  }
  p.link_owner.resize(nl);
  for (std::size_t l = 0; l < nl; ++l) {
    p.link_owner[l] = node_owner[static_cast<std::size_t>(graph_.to_node_idx[l])];
  }
  // per thread, the words of the bit sets holding its links or nodes, and its bits in each
  p.link_words = s.link_active_bits.size();
  p.node_words = s.node_active_bits.size();
  p.link_mask.assign(n_team * p.link_words, 0);
  p.node_mask.assign(n_team * p.node_words, 0);
  for (std::size_t l = 0; l < nl; ++l) {
    p.link_mask[p.link_owner[l] * p.link_words + l / 64] |= std::uint64_t{1} << (l % 64);
  }
  for (std::size_t n = 0; n < nn; ++n) {
    p.node_mask[node_owner[n] * p.node_words + n / 64] |= std::uint64_t{1} << (n % 64);
  }
  const auto owned_words = [&](const std::vector<std::uint64_t>& mask, std::size_t n_words,
                               std::vector<std::vector<std::int32_t>>& words,
                               std::vector<std::uint8_t>& shared) {
    words.assign(n_team, {});
    shared.assign(n_words, 0);
    for (std::size_t w = 0; w < n_words; ++w) {
      int owners = 0;
      for (std::size_t t = 0; t < n_team; ++t) {
        if (mask[t * n_words + w] == 0) continue;
        words[t].push_back(static_cast<std::int32_t>(w));
        ++owners;
      }
      shared[w] = owners > 1 ? 1 : 0;
    }
  };
  owned_words(p.link_mask, p.link_words, p.link_words_of, p.link_word_shared);
  owned_words(p.node_mask, p.node_words, p.node_words_of, p.node_word_shared);
  // a word of the active links is changed atomically where several threads change it at once:
  // the owners of its links (departures, wake-up, link phase, exits) or those of their from
  // nodes (cars entering in the node phase)
  p.link_word_atomic = p.link_word_shared;
  for (std::size_t w = 0; w < p.link_words; ++w) {
    const std::size_t last = std::min(nl, (w + 1) * 64);
    const std::uint16_t first_from =
        node_owner[static_cast<std::size_t>(graph_.from_node_idx[w * 64])];
    for (std::size_t l = w * 64; l < last; ++l) {
      if (node_owner[static_cast<std::size_t>(graph_.from_node_idx[l])] != first_from) {
        p.link_word_atomic[w] = 1;
      }
    }
  }
  return p;
}

std::int64_t QueueModel::shared_link_phase(QueueState& s, QueueState::ThreadScratch& t,
                                           const SharedPlan& p, std::size_t me,
                                           std::int64_t k) const {
  // the link phase of thread `me`'s active links; returns the cars that arrived
  const std::int64_t to_end = s.interval_start_tick + interval_ticks_ - k;
  std::int64_t n_arrived = 0;
  for (const std::int32_t w : p.link_words_of[me]) {
    const auto wi = static_cast<std::size_t>(w);
    const std::uint64_t mask = p.link_mask[me * p.link_words + wi];
    std::uint64_t& word = s.link_active_bits[wi];
    const bool shared = p.link_word_shared[wi] != 0;
    const std::uint64_t now =
        shared ? std::atomic_ref<std::uint64_t>(word).load(std::memory_order_relaxed) : word;
    std::uint64_t idle = 0;
    for (std::uint64_t bits = now & mask; bits != 0; bits &= bits - 1) {
      const auto bit = static_cast<std::size_t>(std::countr_zero(bits));
      const std::size_t l = wi * 64 + bit;
      n_arrived += link_visit(s, l, to_end, k);
      if (!gather_link(s, t, l, true, k)) idle |= std::uint64_t{1} << bit;
    }
    if (idle == 0) continue;
    if (shared) {
      std::atomic_ref<std::uint64_t>(word).fetch_and(~idle, std::memory_order_relaxed);
    } else {
      word &= ~idle;
    }
  }
  return n_arrived;
}

void QueueModel::shared_node_phase(QueueState& s, QueueState::ThreadScratch& t,
                                   const SharedPlan& p, std::size_t me, std::int64_t k) const {
  // the node phase of thread `me`'s nodes, which the threads' link phases marked in their own
  // node sets; the sleepers it made are filed in its wheel or sent to their owners
  const std::int64_t to_end = s.interval_start_tick + interval_ticks_ - k;
  for (const std::int32_t w : p.node_words_of[me]) {
    const auto wi = static_cast<std::size_t>(w);
    const std::uint64_t mask = p.node_mask[me * p.node_words + wi];
    const bool shared = p.node_word_shared[wi] != 0;
    std::uint64_t now = 0;
    for (std::size_t src = 0; src < p.n_team; ++src) {
      std::uint64_t& word = s.scratch[src].node_marks[wi];
      const std::uint64_t marks =
          shared ? std::atomic_ref<std::uint64_t>(word).load(std::memory_order_relaxed) : word;
      if ((marks & mask) == 0) continue;
      now |= shared ? std::atomic_ref<std::uint64_t>(word).fetch_and(
                          ~mask, std::memory_order_relaxed) & mask
                    : std::exchange(word, 0);
    }
    for (std::uint64_t bits = now; bits != 0; bits &= bits - 1) {
      node_visit(s, t, wi * 64 + static_cast<std::size_t>(std::countr_zero(bits)), k, to_end);
    }
  }
  std::size_t own = 0;
  for (const std::int32_t link : t.sleepers) {
    const std::size_t owner = p.link_owner[static_cast<std::size_t>(link)];
    if (owner != me) {
      t.routed[owner].push_back(link);
    } else {
      t.sleepers[own++] = link;
    }
  }
  t.sleepers.resize(own);
  file_sleepers(s, t);
}

bool QueueModel::advance_shared(QueueState& s, LinkIntervalStats& stats, std::int64_t until_tick,
                                bool until_all_arrived, int team) const {
  // One parallel region for all the ticks (docs/models/mobility.md#threads). Each thread owns
  // a block of nodes and the links into them (shared_plan()): it serves their buffers in the
  // node phase, visits them in the link phase, counts their exits, lets in the departures that
  // start on them and files them in its own sleep wheel. A tick has two barriers: after the
  // link phase (the node phase reads the buffers) and after the node phase (the next link
  // phase reads the cars it moved onto links of other threads). The exits a node phase counted
  // are applied after the second barrier, by their owner, before its next departures, as in
  // step(). The order in which threads file links in a wheel, set them active or visit them
  // does not change the result.
  prepare(s);
  const auto n_team = static_cast<std::size_t>(team);
  const SharedPlan p = shared_plan(s, n_team);

  // scratch for the team; the sleeping links refiled in their owners' wheels (stale entries
  // too: they are dropped when due)
  const auto n_slots = static_cast<std::size_t>(kWheelSlots);
  if (s.scratch.size() < n_team) s.scratch.resize(n_team);
  std::vector<std::vector<std::int32_t>> refile(n_team * n_slots);
  for (QueueState::ThreadScratch& t : s.scratch) {
    t.sleep_wheel.resize(n_slots);
    for (std::size_t slot = 0; slot < n_slots; ++slot) {
      for (const std::int32_t link : t.sleep_wheel[slot]) {
        refile[p.link_owner[static_cast<std::size_t>(link)] * n_slots + slot].push_back(link);
      }
      t.sleep_wheel[slot].clear();
    }
  }
  for (std::size_t i = 0; i < n_team; ++i) {
    QueueState::ThreadScratch& t = s.scratch[i];
    for (std::size_t slot = 0; slot < n_slots; ++slot) {
      t.sleep_wheel[slot] = std::move(refile[i * n_slots + slot]);
    }
    t.candidates.resize(static_cast<std::size_t>(max_in_degree_));
    t.weights.resize(static_cast<std::size_t>(max_in_degree_));
    t.routed.assign(n_team, {});
    t.node_marks.assign(p.node_words, 0);
  }

  // per thread, its cars in the network and its arrivals since the start, published before
  // each tick's second barrier (read after it by all; rewritten only after the next tick's
  // first barrier, which every reader has passed)
  struct alignas(64) Counts {
    std::int64_t in_network = 0;
    std::int64_t arrived = 0;
  };
  std::vector<Counts> published(n_team);
  const std::int64_t start_in_network = s.n_in_network;
  const std::int64_t start_arrived = s.n_arrived;
  const std::int64_t start_tick = s.tick;
  const std::int64_t start_departure = s.next_departure;
  const auto n_vehicles = static_cast<std::int64_t>(s.departure_order.size());
  std::int64_t end_tick = start_tick;
  std::int64_t end_departure = start_departure;
  std::int64_t end_in_network = start_in_network;
  std::int64_t end_arrived = start_arrived;
  sim::SpinBarrier barrier(team);
  int team_now = 0;  // the threads the region got: fewer (nested in another region) run serially

#pragma omp parallel num_threads(team)
  {
#pragma omp single
    team_now = sim::team_size();
    if (team_now == team) {
      const auto me = static_cast<std::size_t>(sim::thread_index());
      QueueState::ThreadScratch& t = s.scratch[me];
      t.in_parallel = true;
      t.own_node_marks = true;
      t.link_word_atomic = p.link_word_atomic.data();
      std::int64_t k = start_tick;
      std::int64_t next_departure = start_departure;
      std::int64_t my_in_network = 0;  // this thread's cars departed less those arrived
      std::int64_t my_arrived = 0;     // this thread's arrivals (all modes)
      std::int64_t in_network = start_in_network;  // all threads', as of the last tick
      std::int64_t arrived = start_arrived;
      std::int64_t n_new_active = 0;  // (unused: the active links are counted at the end)
      while (k < until_tick && k < end_tick_ &&
             !(until_all_arrived && arrived == trips_.n_vehicles())) {
        if (in_network == 0) {
          // an empty network jumps, as in step(); every thread takes the same decision
          const std::int64_t jump_to = empty_jump_tick(s, next_departure);
          if (jump_to > k) {
            k = jump_to;
            if (k - s.interval_start_tick == interval_ticks_) {
              barrier.arrive_and_wait();
              if (me == 0) flush_interval(s, stats, k);
              barrier.arrive_and_wait();
            }
            continue;
          }
        }
        // departures onto this thread's links (bikes, walkers and empty routes: thread 0)
        while (next_departure < n_vehicles) {
          const std::int32_t vehicle = s.departure_order[static_cast<std::size_t>(next_departure)];
          const auto v = static_cast<std::size_t>(vehicle);
          if (s.depart_tick[v] > k) break;
          ++next_departure;
          const std::int64_t b = trips_.route_begin[v];
          const bool car = b < trips_.route_begin[v + 1] && trips_.mode[v] == kModeCar;
          const std::size_t owner =
              car ? p.link_owner[static_cast<std::size_t>(
                        trips_.route_link_idx[static_cast<std::size_t>(b)])]
                  : 0;
          if (owner != me) continue;
          if (depart(s, t, vehicle, k, true, n_new_active)) {
            ++my_in_network;
          } else {
            ++my_arrived;
          }
        }
        // this thread's links waking now, its link phase, then the node phase of its nodes
        wake_links(s, me, s.scratch.size(), true, k);
        const std::int64_t n_arrived = shared_link_phase(s, t, p, me, k);
        my_arrived += n_arrived;
        my_in_network -= n_arrived;
        file_sleepers(s, t);
        barrier.arrive_and_wait();
        shared_node_phase(s, t, p, me, k);
        published[me].in_network = my_in_network;
        published[me].arrived = my_arrived;
        barrier.arrive_and_wait();
        in_network = start_in_network;
        arrived = start_arrived;
        for (const Counts& c : published) {
          in_network += c.in_network;
          arrived += c.arrived;
        }
        // the exits counted on this thread's links, and the links other threads sent to sleep
        apply_counts(s, t, true, k);
        for (std::size_t src = 0; src < n_team; ++src) {
          std::vector<std::int32_t>& routed = s.scratch[src].routed[me];
          t.sleepers.insert(t.sleepers.end(), routed.begin(), routed.end());
          routed.clear();
        }
        file_sleepers(s, t);
        ++k;
        if (k - s.interval_start_tick == interval_ticks_) {
          barrier.arrive_and_wait();
          if (me == 0) flush_interval(s, stats, k);
          barrier.arrive_and_wait();
        }
      }
      if (me == 0) {
        end_tick = k;
        end_departure = next_departure;
        end_in_network = in_network;
        end_arrived = arrived;
      }
      t.in_parallel = false;
      t.own_node_marks = false;
      t.link_word_atomic = nullptr;
    }
  }
  if (team_now != team) {
    // advance() steps on (the wheels, refiled by owner, serve step() as well)
    for (QueueState::ThreadScratch& t : s.scratch) t.routed.clear();
    return false;
  }
  s.tick = end_tick;
  s.next_departure = end_departure;
  s.n_in_network = end_in_network;
  s.n_arrived = end_arrived;
  s.n_active_links = 0;
  for (const std::uint64_t word : s.link_active_bits) s.n_active_links += std::popcount(word);
  for (QueueState::ThreadScratch& t : s.scratch) {
    t.n_arrived = 0;
    t.n_active = 0;
    t.n_active_change = 0;
  }
  return true;
}

void QueueModel::flush_interval(QueueState& s, LinkIntervalStats& stats,
                                std::int64_t end_tick) const {
  // append one row (interval, link) and reset the accumulators
  const std::int64_t n_links = graph_.n_links();
  const auto row = static_cast<std::size_t>(stats.n_intervals() * n_links);
  const auto n_ticks = static_cast<double>(end_tick - s.interval_start_tick);
  // [1] ticks the sums were projected past end_tick (0 unless the run stops mid-interval)
  const std::int64_t beyond = s.interval_start_tick + interval_ticks_ - end_tick;
  stats.interval_s = config_.interval_s;
  stats.n_links = n_links;
  stats.start_s.push_back(static_cast<double>(s.interval_start_tick) * config_.dt_s);
  stats.volume_veh.resize(row + static_cast<std::size_t>(n_links));
  stats.mean_speed_mps.resize(stats.volume_veh.size());
  stats.density_veh_per_km.resize(stats.volume_veh.size());
  stats.queue_veh.resize(stats.volume_veh.size());
#pragma omp parallel for schedule(static) if (n_links >= kParallelFlushMin)
  for (std::int64_t li = 0; li < n_links; ++li) {
    const auto l = static_cast<std::size_t>(li);
    const std::int32_t volume = s.link[l].interval_volume_veh;
    const double length_m = graph_.length_m[l];
    stats.volume_veh[row + l] = volume;
    stats.mean_speed_mps[row + l] =
        volume > 0 ? static_cast<double>(volume) * length_m /
                         (static_cast<double>(s.link[l].interval_time_ticks) * config_.dt_s)
                   : s.link_speed_mps[l];
    const std::int64_t queued = s.link[l].n_queue_due + s.link[l].n_buffer;
    const double mean_veh =
        static_cast<double>(s.link[l].interval_occupancy_veh - beyond * s.link[l].n_on_link) / n_ticks;
    stats.density_veh_per_km[row + l] = length_m > 0.0 ? mean_veh / (length_m / 1000.0) : 0.0;
    stats.queue_veh[row + l] =
        static_cast<double>(s.link[l].interval_queue_veh - beyond * queued) / n_ticks;
    // the next interval starts with its sums projected from the current counts
    s.link[l].interval_volume_veh = 0;
    s.link[l].interval_time_ticks = 0;
    s.link[l].interval_occupancy_veh = s.link[l].n_on_link * interval_ticks_;
    s.link[l].interval_queue_veh = queued * interval_ticks_;
  }
  s.interval_start_tick = end_tick;
}

TripTable QueueModel::trip_table(const QueueState& s) const {
  const auto nv = static_cast<std::size_t>(trips_.n_vehicles());
  const double nan = std::numeric_limits<double>::quiet_NaN();
  TripTable t;
  t.departure_s.resize(nv);
  t.arrival_s.assign(nv, nan);
  t.travel_time_s.assign(nv, nan);
  t.distance_m.assign(nv, 0.0);
  t.delay_s.assign(nv, nan);
  t.stuck_count = s.stuck_count;
  t.arrived.assign(nv, 0);
  for (std::size_t v = 0; v < nv; ++v) {
    // distance of the whole route (arrived) or of its completed links
    const bool arrived = s.arrive_tick[v] >= 0 && s.arrive_tick[v] <= end_tick_;
    if (arrived) {
      t.distance_m[v] = route_length_m_[v];
    } else {
      for (std::int64_t j = trips_.route_begin[v]; j < s.vehicle[v].route_pos; ++j) {
        t.distance_m[v] +=
            graph_.length_m[static_cast<std::size_t>(trips_.route_link_idx[static_cast<std::size_t>(j)])];
      }
    }
    t.departure_s[v] = static_cast<double>(s.depart_tick[v]) * config_.dt_s;
    if (!arrived) continue;
    t.arrived[v] = 1;
    t.arrival_s[v] = static_cast<double>(s.arrive_tick[v]) * config_.dt_s;
    t.travel_time_s[v] = static_cast<double>(s.arrive_tick[v] - s.depart_tick[v]) * config_.dt_s;
    t.delay_s[v] = static_cast<double>(s.arrive_tick[v] - s.depart_tick[v] - route_free_ticks_[v]) *
                   config_.dt_s;
  }
  return t;
}

QueueModelResult QueueModel::run() const {
  QueueModelResult result;
  QueueState state = initial_state();

  // step until everyone arrived, then close the last (partial) interval
  advance(state, result.link_stats, end_tick_, true);
  if (state.tick > state.interval_start_tick) flush_interval(state, result.link_stats, state.tick);
  result.n_ticks = state.tick;
  result.trips = trip_table(state);
  for (const std::int32_t volume : result.link_stats.volume_veh) result.n_link_traversals += volume;
  for (const std::int32_t c : state.stuck_count) result.n_stuck_releases += c;
  return result;
}

}  // namespace citytwin::mobility
