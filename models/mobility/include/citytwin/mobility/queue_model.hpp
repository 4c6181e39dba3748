#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include <citytwin/mobility/router.hpp>
#include <citytwin/mobility/signals.hpp>
#include <citytwin/mobility/street_network.hpp>

namespace citytwin::mobility {

/// [1] links from which a network counts as large for QueueModelConfig::parallel_min_active
inline constexpr std::int64_t kParallelLargeNetworkLinks = 4096;
/// [1] QueueModelConfig::shared_run_min_links by default
inline constexpr std::int64_t kSharedRunMinLinks = 1024;
/// [1] advance() gives each thread of its shared region at least this many links
inline constexpr std::int64_t kSharedRunLinksPerThread = 512;

/// Settings of the mesoscopic link-queue model (docs/models/mobility.md#traffic-flow).
struct QueueModelConfig {
  double dt_s = 1.0;             ///< [s] time step, > 0
  double stuck_time_s = 10.0;    ///< [s] a blocked vehicle waiting longer is pushed on (MATSim)
  double interval_s = 900.0;     ///< [s] length of a link statistics interval, multiple of dt_s
  double end_time_s = 172800.0;  ///< [s] the run stops here even if vehicles are still out
  double flow_capacity_factor = 1.0;     ///< [1] scales flow capacities (sample runs), > 0
  double storage_capacity_factor = 1.0;  ///< [1] scales storage capacities, > 0
  double bike_speed_mps = 15.0 / 3.6;    ///< [m s-1] cyclist speed on the flat
  double bike_grade_slowdown = 10.0;     ///< [1] k in speed = base × max(0.3, 1 − k·grade)
  double walk_speed_mps = 1.4;           ///< [m s-1] pedestrian speed
  std::uint64_t seed = 0;                ///< seed of the merge draws at nodes
  /// [1] the phases of a tick run in parallel only with at least this many active links
  /// (QueueState::n_active_links, with the links waking); fewer run on one thread, where the
  /// barriers of a parallel tick cost more than the work they share. -1 (the default) chooses
  /// by the network's size: 128 from kParallelLargeNetworkLinks links on, 512 below (whose
  /// links fit in a core's cache and cost less each), measured on the SUMO grids of
  /// benchmarks/mobility on 2 to 16 cores (docs/models/mobility.md#threads). Results do not
  /// depend on it.
  std::int64_t parallel_min_active = -1;
  /// [1] QueueModel::advance() on more than one thread keeps one parallel region over all its
  /// ticks, the network split between the threads by node (two barriers a tick instead of a
  /// region per tick), on networks of at least this many links; -1 (the default) = 1024, one
  /// thread for each 512 links at most, measured on the SUMO grids of benchmarks/mobility
  /// (docs/models/mobility.md#threads); 0 = always, on all threads (tests). Results do not
  /// depend on it.
  std::int64_t shared_run_min_links = -1;
  /// Fixed-time signals gating the nodes (docs/models/mobility.md#traffic-signals), built for
  /// the network the graph views; nullptr (or a plan without gates) = no signals. Not owned:
  /// must outlive the model.
  const SignalPlan* signals = nullptr;
};

/// The trips to simulate, one per vehicle (vehicle_idx), routes as compressed rows: vehicle v
/// follows route_link_idx[route_begin[v] .. route_begin[v+1]), consecutive links joined.
struct Trips {
  std::vector<double> departure_s;           ///< [s] departure time, >= 0 (n_vehicles)
  std::vector<std::uint8_t> mode;            ///< kModeCar, kModeBike or kModeWalk (n_vehicles)
  std::vector<std::int64_t> route_begin{0};  ///< n_vehicles + 1 offsets into route_link_idx
  std::vector<std::int32_t> route_link_idx;  ///< links of all routes, in travel order

  /// Number of vehicles.
  [[nodiscard]] std::int64_t n_vehicles() const {
    return static_cast<std::int64_t>(departure_s.size());
  }
  /// Appends a trip; returns its vehicle_idx.
  std::int32_t add(double trip_departure_s, std::uint8_t trip_mode,
                   const std::vector<std::int32_t>& link_idx);
};

/// Value of QueueState::flow_credit_veh for a link whose queue was empty at its last link
/// phase or whose credit reached its cap: its credit is full, max(1, capacity per tick),
/// whatever the capacity is then.
inline constexpr double kFullFlowCredit = -1.0;

/// [1] LinkQueue::queue_next_exit_tick and wake_tick of "none": ticks are below 2^31 - 1 (see
/// QueueModelConfig::end_time_s), and an exit tick beyond that is stored as this (a car that
/// leaves only after the end of any run is never due)
inline constexpr std::int32_t kNoTick = std::numeric_limits<std::int32_t>::max();

/// The queue state of one link: its three intrusive FIFOs (departures waiting to enter, the
/// queue of cars on the link, the buffer of cars waiting to cross the node), their counts, the
/// outflow credit, the sums of the current statistics interval and, derived, the link's rates
/// at the state's speed and capacity. Two cache lines: the first holds what every traversal
/// touches, the second what moving cars on or off the link adds (so that a traversal reads no
/// per-link data of the model).
struct alignas(64) LinkQueue {
  // first cache line: the FIFOs and counts, what entering and leaving the link touch
  std::int32_t queue_head = -1;      ///< first vehicle on the link, -1 if none
  std::int32_t queue_tail = -1;      ///< last vehicle on the link
  std::int32_t queue_last_due = -1;  ///< last queued vehicle past its exit tick, or -1
  std::int32_t n_queue_due = 0;      ///< [veh] vehicles in the queue past their exit tick
  std::int32_t buffer_head = -1;     ///< first vehicle waiting to cross the node
  std::int32_t buffer_tail = -1;     ///< last vehicle in the buffer
  std::int32_t n_buffer = 0;         ///< [veh] vehicles in the buffer
  std::int32_t n_on_link = 0;        ///< [veh] vehicles in queue and buffer
  std::int32_t n_left = 0;           ///< [veh] exits this tick (written by the to node)
  std::int32_t wait_head = -1;       ///< first departing vehicle waiting to enter
  std::int32_t wait_tail = -1;       ///< last departing vehicle waiting to enter
  /// 1 when the last visit stopped at a through car held by a red signal (derived, not part of
  /// the state proper): such a link sleeps until green or until its next car becomes due
  std::uint8_t red_blocked = 0;
  /// [1] tick of the link phase flow_credit_veh is as of: a link asleep or idle regains the
  /// credit of the ticks it missed when it is next visited (or, idle, when a car enters)
  std::int32_t flow_credit_tick = -1;
  /// [1] exit tick of the first queued car not yet due (after queue_last_due), kNoTick if none
  /// (or beyond 2^31 - 2); derived from the FIFO (not part of the state proper, rebuilt with
  /// the active sets)
  std::int32_t queue_next_exit_tick = kNoTick;
  std::int32_t buffer_moved_tick = 0;  ///< [1] tick the buffer last moved
  /// [1] tick a sleeping link wakes at, kNoTick for none (derived, set when it is filed in the
  /// sleep wheel)
  std::int32_t wake_tick = kNoTick;

  // second cache line: the outflow credit and rates, the link's storage and entry ticks, the
  // interval sums
  /// [veh] accumulated outflow capacity, kFullFlowCredit while the queue is empty or the credit
  /// at its cap
  double flow_credit_veh = kFullFlowCredit;
  /// [veh] outflow credit gained per tick at the state's capacity (derived: kept by
  /// QueueModel::set_link_capacity(), recomputed with the active sets)
  double capacity_per_tick_veh = 0.0;
  double credit_max_veh = 1.0;  ///< [veh] cap of flow_credit_veh: max(1, capacity_per_tick_veh)
  std::int32_t interval_volume_veh = 0;  ///< [veh] vehicles that left the link
  /// [veh] buffer size, max(1, ⌈capacity_per_tick_veh⌉) (derived as capacity_per_tick_veh)
  std::int32_t buffer_veh = 1;
  /// [veh] storage (QueueModel::storage_veh(); derived, recomputed with the active sets)
  std::int32_t storage_veh = 1;
  /// [1] ticks of a car entering now at the state's speed, 0 when above 2^31 - 1 (then
  /// computed at entry); derived, kept by QueueModel::set_link_speed()
  std::int32_t entry_ticks = 1;
  std::int64_t interval_time_ticks = 0;  ///< [1] sum of their ticks on the link
  /// [veh] sum over the interval's ticks of n_on_link, kept projected to the interval's end:
  /// the ticks still to come count with the current n_on_link (so idle links cost nothing)
  std::int64_t interval_occupancy_veh = 0;
  /// [veh] sum over the interval's ticks of queued vehicles (n_queue_due + n_buffer), projected
  /// to the interval's end like interval_occupancy_veh
  std::int64_t interval_queue_veh = 0;
};
static_assert(sizeof(LinkQueue) == 128);

/// Where a vehicle is on its route, what a link traversal reads and writes of it in one 32-byte
/// record (two to a cache line).
struct alignas(32) VehicleMove {
  std::int64_t route_pos = 0;  ///< index into route_link_idx of the current link
  std::int64_t exit_tick = 0;  ///< [1] earliest tick it may leave its link
  std::int32_t enter_tick = 0;  ///< [1] tick the vehicle entered its link (< 2^31: see end_time_s)
  std::int32_t next_vehicle_idx = -1;  ///< next vehicle in the same FIFO, -1 at the end
  /// link after the current one on the route (route_link_idx[route_pos + 1]), -1 on the last
  /// link or after the arrival; kept with route_pos
  std::int32_t next_link_idx = -1;
  /// [1] links of the route after the current one (route end − route_pos − 1, −1 once arrived);
  /// kept with route_pos
  std::int32_t links_left = 0;
};
static_assert(sizeof(VehicleMove) == 32);

/// The mutable state of the queue model: everything that changes during a run. Vehicles sit in
/// exactly one intrusive FIFO at a time (a link's waiting list, its queue or its buffer),
/// chained through VehicleMove::next_vehicle_idx. The per-link and per-vehicle records keep
/// together what a link traversal touches (MobilityModel holds them as columns between steps).
struct QueueState {
  std::int64_t tick = 0;  ///< [1] next tick to simulate; time = tick × dt_s

  std::vector<LinkQueue> link;  ///< per link (n_links)

  // per link, run-time parameters (n_links): initial_state() copies them from the graph; change
  // them between steps with QueueModel::set_link_speed() / set_link_capacity()
  std::vector<double> link_speed_mps;           ///< [m s-1] car free speed, finite and > 0
  std::vector<double> link_capacity_veh_per_h;  ///< [veh h-1] flow capacity, all lanes, > 0
  std::int64_t interval_start_tick = 0;  ///< [1] first tick of the current statistics interval

  // per vehicle (n_vehicles)
  std::vector<VehicleMove> vehicle;            ///< position on the route and FIFO link
  /// [1] departure tick of each vehicle: fixed, QueueModel::depart_ticks() (initial_state()
  /// points here at them; valid while the QueueModel lives)
  std::span<const std::int64_t> depart_tick;
  std::vector<std::int64_t> arrive_tick;       ///< [1] arrival tick, -1 while travelling
  std::vector<std::int32_t> stuck_count;       ///< [1] forced moves after stuck_time_s

  // departures in (tick, vehicle_idx) order
  /// vehicles sorted by departure tick: fixed, QueueModel::departure_order() (as depart_tick)
  std::span<const std::int32_t> departure_order;
  std::int64_t next_departure = 0;            ///< next entry of departure_order to release
  std::int64_t n_arrived = 0;                 ///< [veh] vehicles that arrived
  std::int64_t n_in_network = 0;              ///< [veh] cars departed and not arrived

  // active sets, derived from the records above (not part of the state proper): step()
  // rebuilds them (and the derived LinkQueue values) when their sizes do not fit the graph,
  // e.g. in a state loaded from columns. Clear link_active_bits after changing the FIFOs,
  // credits, link_speed_mps or link_capacity_veh_per_h directly.
  /// bit l (word l / 64, bit l % 64) set for a link with due or buffered cars or waiting
  /// departures (links holding only cars still under way sleep in the threads' sleep_wheel);
  /// the link and node phases visit only these links
  std::vector<std::uint64_t> link_active_bits;
  std::vector<std::uint64_t> node_active_bits;  ///< scratch: nodes of this tick's node phase
  /// scratch of one tick (n_nodes): the in-links with a buffer to serve of each node, bit p
  /// for the p-th of its in-links (bit 63 for the 64th on, which link_buffered then marks), set
  /// when the link phase gathers the nodes, cleared by the node phase
  std::vector<std::uint64_t> node_buffered;
  /// scratch of one tick (n_links): 1 for a link with a buffer to serve that is the 64th or a
  /// later in-link of its node (see node_buffered), cleared by the node phase
  std::vector<std::uint8_t> link_buffered;
  /// scratch of one tick (n_links): 1 for a link with departures waiting to enter (as
  /// link_buffered, for the out-links of a node)
  std::vector<std::uint8_t> link_waiting;
  /// scratch of one tick (n_nodes): 1 for a node with departures waiting on one of its
  /// out-links (set with link_waiting, cleared by the node phase)
  std::vector<std::uint8_t> node_waiting;
  std::int64_t n_active_links = 0;              ///< [1] links in link_active_bits (about)
  /// Scratch of one tick for one thread (not part of the state proper), a cache line of its own
  /// so that the threads' counters and list ends share no line.
  struct alignas(64) ThreadScratch {
    std::vector<std::int32_t> counted_links;  ///< links whose n_left it raised from 0
    std::vector<std::int32_t> sleepers;       ///< links its link phase sent to sleep
    std::vector<std::int32_t> candidates;     ///< incoming links of a node with a buffer to serve
    std::vector<double> weights;              ///< their merge weights
    /// links it sent to sleep, by the tick they wake at (LinkQueue::wake_tick: the tick their
    /// first car not yet due becomes due, or, held by a red signal, the next green tick if that
    /// is earlier), slot tick % size; may hold stale entries. A wheel per thread: each files
    /// and wakes its own links, mostly those of its share of the network
    std::vector<std::vector<std::int32_t>> sleep_wheel;
    /// links of other threads its node phase sent to sleep, by owner (QueueModel::advance()'s
    /// shared region: each files its own links)
    std::vector<std::vector<std::int32_t>> routed;
    /// nodes its link phase marked for the node phase (advance()'s shared region, where each
    /// thread marks its own set and the node phase takes them from all; elsewhere the nodes are
    /// marked in node_active_bits)
    std::vector<std::uint64_t> node_marks;
    std::int64_t n_arrived = 0;               ///< [veh] arrivals of its link phase
    std::int64_t n_active = 0;                ///< [1] links its link phase kept active
    /// [1] minus the links its exits sent idle or to sleep (apply_counts(); the node phase
    /// makes no link active: an entry sends an idle link to sleep)
    std::int64_t n_active_change = 0;
    bool in_parallel = false;   ///< its node phase shares the active set with other threads
    bool own_node_marks = false;  ///< it marks nodes in node_marks (advance()'s shared region)
    /// per word of link_active_bits, 1 where its threads change it atomically (advance()'s
    /// shared region; nullptr elsewhere: all words atomically in parallel phases)
    const std::uint8_t* link_word_atomic = nullptr;
  };
  std::vector<ThreadScratch> scratch;  ///< one per thread of the parallel phases (step() sizes it)
};

/// Per-link statistics for each interval, row-major (interval, link): entry i × n_links + l.
struct LinkIntervalStats {
  double interval_s = 0.0;                 ///< [s] interval length (the last may be shorter)
  std::int64_t n_links = 0;                ///< [1] links per row
  std::vector<double> start_s;             ///< [s] start of each interval (n_intervals)
  std::vector<std::int32_t> volume_veh;    ///< [veh] cars that left the link
  std::vector<double> mean_speed_mps;      ///< [m s-1] space-mean speed, free speed if none left
  std::vector<double> density_veh_per_km;  ///< [veh km-1] mean vehicles on the link / length
  std::vector<double> queue_veh;           ///< [veh] mean vehicles held past their exit time

  /// Number of intervals.
  [[nodiscard]] std::int64_t n_intervals() const {
    return static_cast<std::int64_t>(start_s.size());
  }
};

/// Per-vehicle results (n_vehicles).
struct TripTable {
  std::vector<double> departure_s;    ///< [s] simulated departure (departure tick × dt_s)
  std::vector<double> arrival_s;      ///< [s] arrival, NaN if not arrived by end_time_s
  std::vector<double> travel_time_s;  ///< [s] arrival − departure, NaN if not arrived
  std::vector<double> distance_m;     ///< [m] length of the links completed
  std::vector<double> delay_s;        ///< [s] travel time − free-flow time, NaN if not arrived
  std::vector<std::int32_t> stuck_count;  ///< [1] times pushed on after stuck_time_s
  std::vector<std::uint8_t> arrived;      ///< 1 if arrived
};

/// Everything a run returns.
struct QueueModelResult {
  TripTable trips;                     ///< per vehicle
  LinkIntervalStats link_stats;        ///< per link and interval (cars)
  std::int64_t n_ticks = 0;            ///< [1] ticks simulated
  std::int64_t n_link_traversals = 0;  ///< [1] vehicle-links completed by cars
  std::int64_t n_stuck_releases = 0;   ///< [1] forced moves
};

/// The mesoscopic link-queue model (docs/models/mobility.md#traffic-flow): static per-link data
/// derived once from the graph, the trips and the config, and the functions that advance a
/// QueueState. Immutable after construction: step() changes only the state it is given. The
/// graph's columns and `trips` are referenced, not copied, and must outlive the model.
/// Thread-safe for const use; one step() at a time per state.
class QueueModel {
 public:
  /// Checks the graph, trips (routes connected, modes allowed, departures >= 0), config and
  /// signal plan, and derives per-link free-flow ticks and storage. Throws std::invalid_argument
  /// naming the field and the first bad vehicle, link or gate.
  QueueModel(const LinkGraph& graph, const Trips& trips, const QueueModelConfig& config);

  /// A fresh state at tick 0: no vehicle departed; link speeds and capacities from the graph.
  [[nodiscard]] QueueState initial_state() const;

  /// [1] departure tick of each vehicle (its departure_s rounded up to a tick, at least 0);
  /// fixed for the model's lifetime, what QueueState::depart_tick points at.
  [[nodiscard]] std::span<const std::int64_t> depart_ticks() const { return depart_tick_; }
  /// The vehicles in (departure tick, vehicle index) order; QueueState::departure_order.
  [[nodiscard]] std::span<const std::int32_t> departure_order() const { return departure_order_; }

  /// Advances `state` by one tick: departures, link phase (queue → buffer, arrivals), node phase
  /// (buffers → next links, merge by capacity, signals), counts; appends finished statistics
  /// intervals to `stats`. Uses the state's current link speeds (for cars entering a link this
  /// tick) and capacities. Parallel over links and nodes (OpenMP, static), identical on any
  /// thread count. Throws std::invalid_argument if the run-time link columns do not have
  /// n_links entries; their values must be valid (see check_link_parameters()).
  void step(QueueState& state, LinkIntervalStats& stats) const;

  /// Steps `state` while its tick is below `until_tick` and end_time_s (and, with
  /// `until_all_arrived`, until every vehicle arrived), as many step() calls would, with the
  /// same results. On more than one thread and a network of at least
  /// QueueModelConfig::shared_run_min_links links, its ticks run in one parallel region, each
  /// thread with its own part of the network (docs/models/mobility.md#threads).
  void advance(QueueState& state, LinkIntervalStats& stats, std::int64_t until_tick,
               bool until_all_arrived = false) const;

  /// Sets the car free speed of link `link_idx` [m s-1] from the next step on: cars entering the
  /// link afterwards need max(1, ⌈length / speed / dt⌉) ticks, cars already on it keep their exit
  /// tick. Throws std::invalid_argument for a bad link or a speed that is not finite and > 0
  /// (or so low that the link would take more than 10^12 ticks).
  void set_link_speed(QueueState& state, std::int64_t link_idx, double speed_mps) const;

  /// Sets the flow capacity of link `link_idx` [veh h-1, all lanes, before
  /// flow_capacity_factor] from the next step on (the link's credit is first brought up to date
  /// at the old capacity, see settle_flow_credits()). Throws std::invalid_argument for a bad
  /// link or a capacity not in (0, 10^9].
  void set_link_capacity(QueueState& state, std::int64_t link_idx, double capacity_veh_per_h) const;

  /// Brings every link's flow credit up to date to the tick before `state.tick` at the
  /// capacities the state has now: a link asleep or idle regains its credit only when next
  /// visited, at the capacity of that visit, so call this before changing
  /// link_capacity_veh_per_h directly (set_link_capacity() does it for its link). O(n_links).
  void settle_flow_credits(QueueState& state) const;

  /// Checks the run-time link columns of `state` (sizes, speeds and capacities as the setters
  /// require), e.g. after they were written directly. Throws std::invalid_argument naming the
  /// column, link and value.
  void check_link_parameters(const QueueState& state) const;

  /// True when every vehicle arrived or end_time_s is reached.
  [[nodiscard]] bool done(const QueueState& state) const;

  /// Runs from a fresh state until done() and returns the trip table and link statistics.
  [[nodiscard]] QueueModelResult run() const;

  /// The trip table of `state` (arrived or not).
  [[nodiscard]] TripTable trip_table(const QueueState& state) const;

  /// [1] ticks a car needs to cross link l at the graph's free speed: max(1, ceil(length /
  /// speed / dt)) (the run-time speed of a state may differ; see set_link_speed()).
  [[nodiscard]] std::int64_t free_ticks(std::int64_t link_idx) const {
    return free_ticks_[static_cast<std::size_t>(link_idx)];
  }
  /// [veh] storage of link l used by the model (see docs: at least capacity × free time, >= 1).
  [[nodiscard]] std::int32_t storage_veh(std::int64_t link_idx) const {
    return storage_veh_[static_cast<std::size_t>(link_idx)];
  }
  /// [1] ticks a vehicle of `mode` needs on link l at its own free speed.
  [[nodiscard]] std::int64_t mode_ticks(std::int64_t link_idx, std::uint8_t mode) const;
  /// [1] per vehicle: the free-flow ticks of its whole route at its mode's speed (the sum of
  /// mode_ticks() over the route), what its delay is measured from.
  [[nodiscard]] std::span<const std::int64_t> route_free_ticks() const { return route_free_ticks_; }
  /// [m] per vehicle: the length of its whole route (the links' lengths summed in route order).
  [[nodiscard]] std::span<const double> route_length_m() const { return route_length_m_; }

 private:
  void flush_interval(QueueState& state, LinkIntervalStats& stats, std::int64_t end_tick) const;
  void link_phase(QueueState& state, bool parallel) const;
  void settle_flow_credit(QueueState& state, std::size_t link) const;
  void file_sleepers(QueueState& state, QueueState::ThreadScratch& scratch) const;
  std::int64_t link_visit(QueueState& state, std::size_t link, std::int64_t to_end,
                          std::int64_t tick) const;
  bool gather_link(QueueState& state, QueueState::ThreadScratch& scratch, std::size_t link,
                   bool parallel, std::int64_t tick) const;
  void node_phase(QueueState& state, bool parallel) const;
  void node_visit(QueueState& state, QueueState::ThreadScratch& scratch, std::size_t node,
                  std::int64_t tick, std::int64_t to_end) const;
  void serve(QueueState& state, QueueState::ThreadScratch& scratch, std::int32_t in_link,
             std::int64_t tick, std::int64_t to_end) const;
  void enter_link(QueueState& state, QueueState::ThreadScratch& scratch, std::int32_t vehicle,
                  std::int32_t link, std::int64_t tick) const;
  // a departing vehicle at `tick`: a car joins its first link's waiting list (sets the link's
  // active bit, counting it in `n_new_active` when it was not set), others arrive after their
  // free time; returns whether it is a car now in the network
  bool depart(QueueState& state, const QueueState::ThreadScratch& scratch, std::int32_t vehicle,
              std::int64_t tick, bool parallel, std::int64_t& n_new_active) const;
  // the ticks of advance() in one parallel region of `team` threads (docs: #threads); false,
  // with nothing stepped, when the region got fewer threads (nested in another region)
  bool advance_shared(QueueState& state, LinkIntervalStats& stats, std::int64_t until_tick,
                      bool until_all_arrived, int team) const;
  // how advance_shared() splits the network between its threads
  struct SharedPlan {
    std::size_t n_team = 1;                    // threads
    std::vector<std::uint16_t> link_owner;     // per link: its thread, that of its to node
    std::size_t link_words = 0;                // words of QueueState::link_active_bits
    std::size_t node_words = 0;                // words of QueueState::node_active_bits
    std::vector<std::uint64_t> link_mask;      // (thread, word): its links in the word
    std::vector<std::uint64_t> node_mask;      // (thread, word): its nodes in the word
    std::vector<std::vector<std::int32_t>> link_words_of;  // per thread: words with its links
    std::vector<std::vector<std::int32_t>> node_words_of;  // per thread: words with its nodes
    std::vector<std::uint8_t> link_word_shared;  // per word: links of several threads
    std::vector<std::uint8_t> node_word_shared;  // per word: nodes of several threads
    // per word: changed by several threads at once (ThreadScratch::link_word_atomic)
    std::vector<std::uint8_t> link_word_atomic;
  };
  SharedPlan shared_plan(const QueueState& state, std::size_t n_team) const;
  std::int64_t shared_link_phase(QueueState& state, QueueState::ThreadScratch& scratch,
                                 const SharedPlan& plan, std::size_t thread,
                                 std::int64_t tick) const;
  void shared_node_phase(QueueState& state, QueueState::ThreadScratch& scratch,
                         const SharedPlan& plan, std::size_t thread, std::int64_t tick) const;
  // [1] the tick an empty network jumps to, with `next_departure` the next entry of
  // departure_order to release: that departure's tick, the interval's end or the run's end,
  // whichever comes first
  std::int64_t empty_jump_tick(const QueueState& state, std::int64_t next_departure) const;
  // checks the sizes of the state's columns; rebuilds the active sets when they do not fit
  void prepare(QueueState& state) const;
  void rebuild_active_sets(QueueState& state) const;
  // empties the active sets, the per-link and per-node counts of cars buffered and waiting, and
  // the sleep wheel
  void clear_active_sets(QueueState& state) const;
  void wake_links(QueueState& state, std::size_t first_wheel, std::size_t wheel_stride,
                  bool parallel, std::int64_t tick) const;
  void apply_counts(QueueState& state, QueueState::ThreadScratch& scratch, bool parallel,
                    std::int64_t tick) const;
  void finish_tick(QueueState& state) const;
  void tick_phases(QueueState& state, bool parallel) const;

  const LinkGraph graph_;
  const Trips& trips_;
  QueueModelConfig config_;
  std::int64_t interval_ticks_ = 1;
  std::int64_t end_tick_ = 0;
  std::int32_t max_in_degree_ = 0;
  double stuck_ticks_ = 0.0;  // [1] stuck_time_s / dt_s
  // per link: its position among the in-links of its to node, 63 from the 64th on (its bit in
  // QueueState::node_buffered)
  std::vector<std::uint8_t> in_position_;
  std::vector<std::int64_t> depart_tick_;     // [1] per vehicle: depart_ticks()
  std::vector<std::int32_t> departure_order_;  // departure_order()
  // a credit after n_ticks more link phases of `link` (kFullFlowCredit at the cap)
  [[nodiscard]] static double regained_credit(const LinkQueue& link, double credit_veh,
                                              std::int64_t n_ticks);
  // [1] ticks of a car entering `link` now, at the state's speed
  [[nodiscard]] std::int64_t entry_ticks(const QueueState& state, std::size_t link) const {
    const std::int32_t ticks = state.link[link].entry_ticks;
    if (ticks > 0) [[likely]] return ticks;
    return ticks_at(link, state.link_speed_mps[link]);
  }
  [[nodiscard]] std::int64_t ticks_at(std::size_t link, double speed_mps) const;
  // [1] per link: the ticks of a vehicle of `mode` at its own free speed (mode_ticks())
  [[nodiscard]] const std::vector<std::int64_t>& link_ticks(std::uint8_t mode) const {
    return mode == kModeCar ? free_ticks_ : (mode == kModeBike ? bike_ticks_ : walk_ticks_);
  }
  // [1] ticks of a bike or walker on link l at its own speed (mode_ticks() computed)
  [[nodiscard]] std::int64_t own_speed_ticks(std::size_t link, std::uint8_t mode) const;
  // [veh] outflow per tick of a link of `capacity_veh_per_h` (× flow_capacity_factor)
  [[nodiscard]] double capacity_per_tick(double capacity_veh_per_h) const;
  // sets the derived rates, storage and entry ticks of `link` from the state's capacity and
  // speed
  void derive_link_values(QueueState& state, std::size_t link) const;

  const SignalPlan* signals_ = nullptr;    // the config's plan, nullptr when it gates nothing
  std::vector<std::int64_t> free_ticks_;   // [1] car free-flow ticks per link (graph speed)
  std::vector<std::int32_t> storage_veh_;  // [veh] storage per link
  std::vector<std::int64_t> bike_ticks_;   // [1] mode_ticks() of bikes per link
  std::vector<std::int64_t> walk_ticks_;   // [1] mode_ticks() of walkers per link
  std::vector<std::int64_t> route_free_ticks_;  // [1] per vehicle: route_free_ticks()
  std::vector<double> route_length_m_;          // [m] per vehicle: route_length_m()
};

}  // namespace citytwin::mobility
