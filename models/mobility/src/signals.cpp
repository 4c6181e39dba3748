#include <algorithm>
#include <limits>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>

#include <citytwin/mobility/signals.hpp>

namespace citytwin::mobility {

namespace {

[[noreturn]] void bad_argument(const std::string& what) { throw std::invalid_argument(what); }

std::string gate_at(std::int64_t g) { return "signal plan: gate " + std::to_string(g) + ": "; }

// true for the SUMO state letters that let cars pass: green (G, g) and signal off (O, o)
bool passes(char letter) {
  return letter == 'G' || letter == 'g' || letter == 'O' || letter == 'o';
}

// appends one gate with its windows; windows must be sorted and disjoint
void add_gate(SignalPlan& plan, std::int32_t link, std::int32_t node, double cycle_s,
              double offset_s, const std::vector<std::pair<double, double>>& windows) {
  plan.link_gate[static_cast<std::size_t>(link)] = static_cast<std::int32_t>(plan.n_gates());
  plan.gate_link_idx.push_back(link);
  plan.gate_node_idx.push_back(node);
  plan.cycle_s.push_back(cycle_s);
  plan.offset_s.push_back(offset_s);
  for (const auto& [start_s, end_s] : windows) {
    plan.green_start_s.push_back(start_s);
    plan.green_end_s.push_back(end_s);
  }
  plan.green_begin.push_back(static_cast<std::int64_t>(plan.green_start_s.size()));
}

}  // namespace

std::int64_t SignalPlan::next_green_tick(std::int64_t link_idx, std::int64_t tick,
                                         double dt_s) const {
  if (link_gate.empty() || link_gate[static_cast<std::size_t>(link_idx)] < 0) return tick + 1;
  const auto gi = static_cast<std::size_t>(link_gate[static_cast<std::size_t>(link_idx)]);
  const std::int64_t first = green_begin[gi];
  const std::int64_t last = green_begin[gi + 1];
  if (first == last) return std::numeric_limits<std::int64_t>::max();
  // the next window start after the cycle position of the next tick (or the first window of the
  // next cycle), as a time, then as a whole tick
  const double next_s = static_cast<double>(tick + 1) * dt_s;
  const double cycle = cycle_s[gi];
  double pos_s = next_s - offset_s[gi];
  pos_s -= std::floor(pos_s / cycle) * cycle;
  if (pos_s >= cycle) pos_s -= cycle;
  if (pos_s < 0.0) pos_s += cycle;
  double wait_s = green_start_s[static_cast<std::size_t>(first)] + cycle - pos_s;
  for (std::int64_t w = first; w < last; ++w) {
    const auto wi = static_cast<std::size_t>(w);
    if (pos_s < green_end_s[wi]) {
      wait_s = std::max(0.0, green_start_s[wi] - pos_s);
      break;
    }
  }
  std::int64_t t = tick + 1 +
                   std::max<std::int64_t>(0, static_cast<std::int64_t>(std::floor(wait_s / dt_s)) - 1);
  // rounding: step to the exact first green tick. A cycle of ticks bounds the search; a plan
  // whose short windows no tick start meets within it returns the bound, a tick that is not
  // green (callers then simply ask again from there)
  const auto bound = t + static_cast<std::int64_t>(std::ceil(cycle / dt_s)) + 2;
  while (t < bound && !is_green(link_idx, t, dt_s)) ++t;
  return t;
}

double SignalPlan::green_fraction(std::int64_t link_idx) const {
  if (link_gate.empty()) return 1.0;
  const std::int32_t g = link_gate[static_cast<std::size_t>(link_idx)];
  if (g < 0) return 1.0;
  const auto gi = static_cast<std::size_t>(g);
  double green = 0.0;
  for (std::int64_t w = green_begin[gi]; w < green_begin[gi + 1]; ++w) {
    green += green_end_s[static_cast<std::size_t>(w)] - green_start_s[static_cast<std::size_t>(w)];
  }
  return green / cycle_s[gi];
}

void validate_signal_plan(const SignalPlan& plan, std::int64_t n_links) {
  // column sizes
  const std::int64_t n_gates = plan.n_gates();
  if (!plan.link_gate.empty() && static_cast<std::int64_t>(plan.link_gate.size()) != n_links) {
    bad_argument("signal plan: link_gate has " + std::to_string(plan.link_gate.size()) +
                 " entries, expected 0 or n_links = " + std::to_string(n_links) +
                 " (build the plan from the network the queue model runs on)");
  }
  if (plan.link_gate.empty() && n_gates > 0) {
    bad_argument("signal plan: " + std::to_string(n_gates) + " gates but link_gate is empty");
  }
  const auto expect = [&](const char* column, std::size_t got, std::int64_t want) {
    if (static_cast<std::int64_t>(got) != want) {
      bad_argument(std::string("signal plan: ") + column + " has " + std::to_string(got) +
                   " entries, expected " + std::to_string(want));
    }
  };
  expect("gate_node_idx", plan.gate_node_idx.size(), n_gates);
  expect("cycle_s", plan.cycle_s.size(), n_gates);
  expect("offset_s", plan.offset_s.size(), n_gates);
  expect("green_begin", plan.green_begin.size(), n_gates + 1);
  expect("green_end_s", plan.green_end_s.size(),
         static_cast<std::int64_t>(plan.green_start_s.size()));
  if (plan.green_begin.front() != 0 ||
      plan.green_begin.back() != static_cast<std::int64_t>(plan.green_start_s.size())) {
    bad_argument("signal plan: green_begin must run from 0 to the number of green windows");
  }

  // links and gates point at each other
  for (std::size_t l = 0; l < plan.link_gate.size(); ++l) {
    const std::int32_t g = plan.link_gate[l];
    if (g < -1 || g >= n_gates ||
        (g >= 0 &&
         plan.gate_link_idx[static_cast<std::size_t>(g)] != static_cast<std::int32_t>(l))) {
      bad_argument("signal plan: link_gate[" + std::to_string(l) + "] = " + std::to_string(g) +
                   " is not -1 nor a gate of that link");
    }
  }

  // cycles, offsets and windows
  for (std::int64_t g = 0; g < n_gates; ++g) {
    const auto gi = static_cast<std::size_t>(g);
    const std::int32_t l = plan.gate_link_idx[gi];
    if (l < 0 || l >= n_links || plan.link_gate[static_cast<std::size_t>(l)] != g) {
      bad_argument(gate_at(g) + "gate_link_idx " + std::to_string(l) +
                   " is not a link whose link_gate names this gate");
    }
    const double cycle = plan.cycle_s[gi];
    if (!(cycle > 0.0) || !std::isfinite(cycle)) {
      bad_argument(gate_at(g) + "cycle_s must be finite and > 0 (got " + std::to_string(cycle) +
                   ")");
    }
    if (!std::isfinite(plan.offset_s[gi])) bad_argument(gate_at(g) + "offset_s must be finite");
    if (plan.green_begin[gi + 1] < plan.green_begin[gi]) {
      bad_argument(gate_at(g) + "green_begin must not decrease");
    }
    double previous_end_s = 0.0;
    for (std::int64_t w = plan.green_begin[gi]; w < plan.green_begin[gi + 1]; ++w) {
      const double start_s = plan.green_start_s[static_cast<std::size_t>(w)];
      const double end_s = plan.green_end_s[static_cast<std::size_t>(w)];
      if (!(start_s >= previous_end_s) || !(end_s > start_s) || !(end_s <= cycle)) {
        bad_argument(gate_at(g) + "green window [" + std::to_string(start_s) + ", " +
                     std::to_string(end_s) + ") must lie in [0, cycle_s] after the previous one");
      }
      previous_end_s = end_s;
    }
  }
}

SignalPlan signal_plan_from_sumo(const StreetNetwork& net, const LaneConnections& connections) {
  const auto n_links = static_cast<std::size_t>(net.n_links());
  const SignalPrograms& programs = net.signal_programs;
  SignalPlan plan;
  plan.link_gate.assign(n_links, -1);

  // the controlling program of each link, whether it also has an uncontrolled movement, and its
  // connections grouped by link (counting sort, connection order kept)
  std::vector<std::int32_t> program(n_links, -1);
  std::vector<std::uint8_t> uncontrolled(n_links, 0);
  std::vector<std::int64_t> conn_begin(n_links + 1, 0);
  for (std::int64_t c = 0; c < connections.size(); ++c) {
    const auto ci = static_cast<std::size_t>(c);
    const auto l = static_cast<std::size_t>(connections.from_link_idx[ci]);
    const std::int32_t p = connections.signal_program_idx[ci];
    if (p < 0 || connections.link_index[ci] < 0) {
      uncontrolled[l] = 1;
    } else if (program[l] < 0) {
      program[l] = p;
    }
    ++conn_begin[l + 1];
  }
  for (std::size_t l = 0; l < n_links; ++l) conn_begin[l + 1] += conn_begin[l];
  std::vector<std::int64_t> conn_of_link(static_cast<std::size_t>(connections.size()));
  {
    std::vector<std::int64_t> next(conn_begin.begin(), conn_begin.end() - 1);
    for (std::int64_t c = 0; c < connections.size(); ++c) {
      const auto l =
          static_cast<std::size_t>(connections.from_link_idx[static_cast<std::size_t>(c)]);
      conn_of_link[static_cast<std::size_t>(next[l]++)] = c;
    }
  }

  // per controlled link: green in the phases where one of its movements has a green letter
  std::vector<std::uint8_t> green_phase;
  std::vector<std::pair<double, double>> windows;
  for (std::size_t l = 0; l < n_links; ++l) {
    if (program[l] < 0 || uncontrolled[l] != 0) continue;
    const auto p = static_cast<std::size_t>(program[l]);
    const std::int64_t first = programs.phase_begin[p];
    const std::int64_t last = programs.phase_begin[p + 1];
    if (last == first) {
      bad_argument("signal plan: SUMO program '" + programs.program_id[p] + "' has no phases");
    }
    green_phase.assign(static_cast<std::size_t>(last - first), 0);
    for (std::int64_t j = conn_begin[l]; j < conn_begin[l + 1]; ++j) {
      const auto ci = static_cast<std::size_t>(conn_of_link[static_cast<std::size_t>(j)]);
      if (connections.signal_program_idx[ci] != program[l]) continue;
      const auto index = static_cast<std::size_t>(connections.link_index[ci]);
      for (std::int64_t ph = first; ph < last; ++ph) {
        const std::string& state = programs.phase_state[static_cast<std::size_t>(ph)];
        if (index >= state.size()) {
          bad_argument("signal plan: connection " + net.link_external_id[l] + " -> " +
                       net.link_external_id[static_cast<std::size_t>(connections.to_link_idx[ci])] +
                       " has linkIndex " + std::to_string(index) + " but phase " +
                       std::to_string(ph - first) + " of SUMO program '" + programs.program_id[p] +
                       "' has only " + std::to_string(state.size()) + " state letters");
        }
        if (passes(state[index])) green_phase[static_cast<std::size_t>(ph - first)] = 1;
      }
    }

    // consecutive green phases form one window
    windows.clear();
    double t_s = 0.0;
    for (std::int64_t ph = first; ph < last; ++ph) {
      const double duration_s = programs.phase_duration_s[static_cast<std::size_t>(ph)];
      if (green_phase[static_cast<std::size_t>(ph - first)] != 0) {
        if (!windows.empty() && windows.back().second == t_s) {
          windows.back().second = t_s + duration_s;
        } else {
          windows.emplace_back(t_s, t_s + duration_s);
        }
      }
      t_s += duration_s;
    }
    // green all cycle long: no gate needed
    if (windows.size() == 1 && windows.front().first == 0.0 && windows.front().second == t_s) {
      continue;
    }
    add_gate(plan, static_cast<std::int32_t>(l), net.to_node_idx[l], t_s, programs.offset_s[p],
             windows);
  }
  return plan;
}

SignalPlan default_signal_plan(const StreetNetwork& net, const DefaultSignalConfig& config) {
  // config: two phases of equal green, each followed by the intergreen
  if (!(config.cycle_s > 0.0) || !std::isfinite(config.cycle_s)) {
    bad_argument("default signal plan: cycle_s must be finite and > 0 (got " +
                 std::to_string(config.cycle_s) + ")");
  }
  if (!(config.intergreen_s >= 0.0) || !std::isfinite(config.intergreen_s)) {
    bad_argument("default signal plan: intergreen_s must be finite and >= 0 (got " +
                 std::to_string(config.intergreen_s) + ")");
  }
  if (!std::isfinite(config.offset_s)) {
    bad_argument("default signal plan: offset_s must be finite (got " +
                 std::to_string(config.offset_s) + ")");
  }
  const double green_s = (config.cycle_s - 2.0 * config.intergreen_s) / 2.0;
  if (!(green_s > 0.0)) {
    bad_argument("default signal plan: cycle_s (" + std::to_string(config.cycle_s) +
                 ") must exceed 2 × intergreen_s (" + std::to_string(config.intergreen_s) + ")");
  }
  const std::vector<std::pair<double, double>> phase_1{{0.0, green_s}};
  const std::vector<std::pair<double, double>> phase_2{
      {green_s + config.intergreen_s, 2.0 * green_s + config.intergreen_s}};

  SignalPlan plan;
  plan.link_gate.assign(static_cast<std::size_t>(net.n_links()), -1);
  std::vector<std::int32_t> approaches;
  std::vector<std::uint8_t> in_phase_1;
  for (std::int64_t n = 0; n < net.n_nodes(); ++n) {
    const auto ni = static_cast<std::size_t>(n);
    if (net.node_signalised[ni] == 0 || net.node_signal_program_idx[ni] >= 0) continue;

    // incoming links open to cars; at least two are needed
    approaches.clear();
    for (std::int64_t j = net.in_begin[ni]; j < net.in_begin[ni + 1]; ++j) {
      const std::int32_t l = net.in_link_idx[static_cast<std::size_t>(j)];
      if ((net.modes[static_cast<std::size_t>(l)] & kModeCar) != 0) approaches.push_back(l);
    }
    if (approaches.size() < 2) continue;

    // the first axis: the approach with the highest capacity (first in link order on ties)
    const auto heading = [&](std::int32_t l) {
      const auto li = static_cast<std::size_t>(l);
      const auto from = static_cast<std::size_t>(net.from_node_idx[li]);
      return std::pair<double, double>{net.node_x_m[ni] - net.node_x_m[from],
                                       net.node_y_m[ni] - net.node_y_m[from]};
    };
    std::int32_t major = approaches.front();
    for (const std::int32_t l : approaches) {
      if (net.flow_capacity_veh_per_h[static_cast<std::size_t>(l)] >
          net.flow_capacity_veh_per_h[static_cast<std::size_t>(major)]) {
        major = l;
      }
    }
    const auto [ax, ay] = heading(major);

    // phase 1: within 45° of the axis, either way (|sin| <= |cos| of the angle between them)
    in_phase_1.clear();
    bool single_axis = true;
    for (const std::int32_t l : approaches) {
      const auto [dx, dy] = heading(l);
      const bool along = std::abs(ax * dy - ay * dx) <= std::abs(ax * dx + ay * dy);
      in_phase_1.push_back(along ? 1 : 0);
      single_axis = single_axis && along;
    }
    if (single_axis && !config.gate_single_axis) continue;
    for (std::size_t i = 0; i < approaches.size(); ++i) {
      add_gate(plan, approaches[i], static_cast<std::int32_t>(n), config.cycle_s, config.offset_s,
               in_phase_1[i] != 0 ? phase_1 : phase_2);
    }
  }
  return plan;
}

SignalPlan merge_signal_plans(const SignalPlan& first, const SignalPlan& second) {
  if (first.link_gate.empty()) return second;
  if (second.link_gate.empty()) return first;
  if (first.link_gate.size() != second.link_gate.size()) {
    bad_argument("merge_signal_plans: the plans cover " + std::to_string(first.link_gate.size()) +
                 " and " + std::to_string(second.link_gate.size()) + " links");
  }

  // every link in index order takes the gate of the first plan that gates it
  SignalPlan plan;
  plan.link_gate.assign(first.link_gate.size(), -1);
  std::vector<std::pair<double, double>> windows;
  for (std::size_t l = 0; l < first.link_gate.size(); ++l) {
    const SignalPlan* from = first.link_gate[l] >= 0 ? &first : &second;
    const std::int32_t g = from->link_gate[l];
    if (g < 0) continue;
    const auto gi = static_cast<std::size_t>(g);
    windows.clear();
    for (std::int64_t w = from->green_begin[gi]; w < from->green_begin[gi + 1]; ++w) {
      windows.emplace_back(from->green_start_s[static_cast<std::size_t>(w)],
                           from->green_end_s[static_cast<std::size_t>(w)]);
    }
    add_gate(plan, static_cast<std::int32_t>(l), from->gate_node_idx[gi], from->cycle_s[gi],
             from->offset_s[gi], windows);
  }
  return plan;
}

}  // namespace citytwin::mobility
