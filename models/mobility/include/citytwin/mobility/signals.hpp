#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include <citytwin/mobility/readers/sumo_net.hpp>
#include <citytwin/mobility/street_network.hpp>

namespace citytwin::mobility {

/// Fixed-time traffic-signal plans compiled for the queue model
/// (docs/models/mobility.md#traffic-signals). A *gate* sits at the downstream end of one gated
/// link: its cars may cross the link's to-node only while the gate is green. Gate g repeats a
/// cycle of cycle_s[g] seconds that starts at offset_s[g] (and every cycle_s after it); within
/// the cycle it is green in the windows [green_start_s[w], green_end_s[w]) for w in
/// green_begin[g] .. green_begin[g+1], sorted and disjoint. Links are indexed as in the network
/// the plan was built from (the queue model's LinkGraph must view the same network). Plain data;
/// const queries are thread-safe.
struct SignalPlan {
  std::vector<std::int32_t> link_gate;  ///< gate of each link, -1 = ungated (n_links; empty = none)

  // gates (n_gates)
  std::vector<std::int32_t> gate_link_idx;   ///< the gated link
  std::vector<std::int32_t> gate_node_idx;   ///< the signalised node (the link's to-node)
  std::vector<double> cycle_s;               ///< [s] cycle length, > 0
  std::vector<double> offset_s;              ///< [s] time at which a cycle starts
  std::vector<std::int64_t> green_begin{0};  ///< n_gates + 1 offsets into green_*_s

  // green windows of all gates, relative to the cycle start
  std::vector<double> green_start_s;  ///< [s] window start, in [0, cycle_s)
  std::vector<double> green_end_s;    ///< [s] window end, in (start, cycle_s]

  /// Number of gates (= gated links).
  [[nodiscard]] std::int64_t n_gates() const {
    return static_cast<std::int64_t>(gate_link_idx.size());
  }
  /// Number of gated links.
  [[nodiscard]] std::int64_t n_gated_links() const { return n_gates(); }

  /// True when link `link_idx` may discharge at time `time_s`: ungated links always, gated ones
  /// when (time_s − offset) mod cycle lies in a green window. Exact for whole-second plans.
  [[nodiscard]] bool is_green_at(std::int64_t link_idx, double time_s) const {
    if (link_gate.empty()) return true;
    const std::int32_t g = link_gate[static_cast<std::size_t>(link_idx)];
    if (g < 0) return true;
    const auto gi = static_cast<std::size_t>(g);
    const double cycle = cycle_s[gi];
    double pos_s = time_s - offset_s[gi];
    pos_s -= std::floor(pos_s / cycle) * cycle;
    // rounding of the division can leave pos one cycle off
    if (pos_s >= cycle) pos_s -= cycle;
    if (pos_s < 0.0) pos_s += cycle;
    for (std::int64_t w = green_begin[gi]; w < green_begin[gi + 1]; ++w) {
      const auto wi = static_cast<std::size_t>(w);
      if (pos_s < green_start_s[wi]) return false;
      if (pos_s < green_end_s[wi]) return true;
    }
    return false;
  }

  /// True when link `link_idx` may discharge during tick `tick` (covering [tick·dt, (tick+1)·dt)):
  /// the signal state at the start of the tick, tick × dt_s.
  [[nodiscard]] bool is_green(std::int64_t link_idx, std::int64_t tick, double dt_s) const {
    return is_green_at(link_idx, static_cast<double>(tick) * dt_s);
  }

  /// The first tick after `tick` at which is_green(link_idx, ·, dt_s) holds: `tick` + 1 for an
  /// ungated link, int64 max for a gate without green windows. Exact: the tick found from the
  /// cycle position is checked with is_green() and moved on while it fails, for at most one
  /// cycle (a plan whose windows are shorter than a tick may then return a tick that is not
  /// green, never one after the first green tick).
  [[nodiscard]] std::int64_t next_green_tick(std::int64_t link_idx, std::int64_t tick,
                                             double dt_s) const;

  /// [1] share of the cycle that link `link_idx` is green; 1 for ungated links.
  [[nodiscard]] double green_fraction(std::int64_t link_idx) const;
};

/// Checks a plan against a network of `n_links` links: link_gate size (n_links or empty), gate
/// columns of equal length, gate_link_idx and link_gate pointing at each other, cycles finite
/// and > 0, offsets finite, windows sorted, disjoint and inside [0, cycle]. Throws
/// std::invalid_argument naming the column and the first bad gate or link.
void validate_signal_plan(const SignalPlan& plan, std::int64_t n_links);

/// Compiles the fixed-time programs of a SUMO network (`tlLogic`) into a plan. Every link with
/// a connection controlled by a program (signal_program_idx >= 0 and link_index >= 0) gets a
/// gate; it is green in a phase when the state letter of any of its controlled connections is
/// 'G', 'g' (green), 'O' or 'o' (signal off); yellow ('y', 'Y'), red ('r', 'R'), red-yellow
/// ('u') and stop ('s') count as red. Cycle = sum of the phase durations, offset = the
/// program's offset (SUMO: a positive offset delays the program). Actuated and delay-based
/// programs run as fixed-time programs with their phases' `duration`. A link with an
/// uncontrolled connection as well (a free right turn) stays ungated. Throws
/// std::invalid_argument when a connection's link_index is outside its program's state strings
/// or a program has no phases. Thread-safe.
[[nodiscard]] SignalPlan signal_plan_from_sumo(const StreetNetwork& net,
                                               const LaneConnections& connections);

/// Settings of the default plan for signalised nodes without a program (OSM
/// `highway=traffic_signals`); docs/models/mobility.md#traffic-signals.
struct DefaultSignalConfig {
  double cycle_s = 90.0;      ///< [s] cycle length (Webster's optimum for L = 8 s, Y ≈ 0.8), > 0
  double intergreen_s = 4.0;  ///< [s] amber + all-red after each of the two phases, >= 0
  double offset_s = 0.0;      ///< [s] start of every cycle (no coordination), finite
  bool gate_single_axis = false;  ///< gate nodes whose approaches all lie on one axis
};

/// A two-phase fixed-time plan for every node with node_signalised = 1 and no signal program
/// (node_signal_program_idx = -1), gating its incoming links that allow cars. The approach with
/// the highest flow capacity (ties: lowest link_idx) sets the first axis; incoming links whose
/// heading (from-node → to-node) is within 45° of that axis, either way, form phase 1, the
/// others phase 2. Each phase gets an equal green (cycle − 2 × intergreen) / 2: phase 1 is
/// green in [0, g), phase 2 in [g + intergreen, 2g + intergreen). Nodes with fewer than two
/// incoming car links stay ungated, and so do nodes whose approaches all fall in one phase
/// (mid-block pedestrian crossings) unless gate_single_axis is set, in which case they get
/// phase 1. Throws std::invalid_argument for a bad config. Thread-safe.
[[nodiscard]] SignalPlan default_signal_plan(const StreetNetwork& net,
                                             const DefaultSignalConfig& config = {});

/// The union of two plans for the same network: links gated in `first` keep its gate, the
/// others take `second`'s (e.g. SUMO programs, then the default plan for signalised junctions
/// without one). Throws std::invalid_argument if the plans disagree on n_links.
[[nodiscard]] SignalPlan merge_signal_plans(const SignalPlan& first, const SignalPlan& second);

}  // namespace citytwin::mobility
