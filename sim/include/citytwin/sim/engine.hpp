#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <citytwin/sim/clock.hpp>
#include <citytwin/sim/diagnostics.hpp>
#include <citytwin/sim/model.hpp>
#include <citytwin/sim/state.hpp>

namespace citytwin::sim {

/// A saved run position: the tick and the whole state. Restoring it reproduces the run exactly.
struct Checkpoint {
  std::int64_t tick = 0;  ///< next tick to compute
  State state;            ///< state at the start of `tick`
};

/// Steps models on one clock with two-phase updates: during a tick every model reads `now` and
/// writes only its own columns of `next`; at the end of the tick the written columns are
/// committed to `now`. Models step in the order given (registry order). Not thread-safe: drive
/// one Engine from one thread (models parallelise inside step()).
class Engine {
 public:
  /// Takes the models, declares their columns, allocates the state and runs every init().
  Engine(Clock clock, std::vector<std::unique_ptr<Model>> models, const City* city,
         std::uint64_t seed);

  /// Computes one tick. Precondition: !done().
  void step();
  /// Number of ticks computed so far (the state is at the start of tick()).
  [[nodiscard]] std::int64_t tick() const { return tick_; }
  [[nodiscard]] bool done() const { return tick_ >= clock_.n_ticks(); }

  [[nodiscard]] const Clock& clock() const { return clock_; }
  [[nodiscard]] const StateLayout& layout() const { return layout_; }
  /// The current state; its buffers stay at the same addresses for the engine's lifetime.
  [[nodiscard]] const State& state() const { return now_; }
  /// The current values of an input column (ColumnSpec::input), writeable between steps: the
  /// owning model reads them from `now` at its next step. Throws std::invalid_argument for a
  /// column that is not an input.
  [[nodiscard]] void* input_data(ColumnId id);
  /// One flag per column: 1 when the column may have changed since clear_columns_changed()
  /// (committed by a step, handed out by input_data(), restored, or never cleared). Writers
  /// of results use it to skip per-entity tables that did not change.
  [[nodiscard]] const std::vector<std::uint8_t>& columns_changed() const { return changed_; }
  /// Marks every column unchanged.
  void clear_columns_changed();
  [[nodiscard]] const std::vector<std::unique_ptr<Model>>& models() const { return models_; }
  [[nodiscard]] std::uint64_t seed() const { return seed_; }
  [[nodiscard]] Diagnostics& diagnostics() { return diagnostics_; }
  [[nodiscard]] const City* city() const { return city_; }

  /// Key indicators of every model, computed from the current state.
  [[nodiscard]] std::vector<std::pair<std::string, Kpi>> kpis() const;
  /// The non-empty end-of-run summaries of the models, as (model name, text), in model order.
  [[nodiscard]] std::vector<std::pair<std::string, std::string>> summaries() const;

  /// Saves the run position.
  [[nodiscard]] Checkpoint checkpoint() const;
  /// Restores a position saved from an engine of the same scenario; throws std::invalid_argument
  /// when the layout differs.
  void restore(const Checkpoint& checkpoint);

  /// The step context of `model` at `tick`.
  [[nodiscard]] StepContext context(std::int64_t tick, const Model& model);

 private:
  Clock clock_;
  std::vector<std::unique_ptr<Model>> models_;
  const City* city_;
  std::uint64_t seed_;
  Diagnostics diagnostics_;
  StateLayout layout_;
  std::vector<std::vector<ColumnId>> owned_;  // per model, the columns it owns
  std::vector<ColumnId> input_columns_;        // columns scripts may set between steps
  std::vector<std::uint8_t> written_;          // per column: taken this tick (1 whole, 2 entries)
  std::vector<std::span<const std::int64_t>> entries_;  // per column: the entries of a 2
  std::vector<ColumnId> committed_;            // scratch: the columns a commit copies
  std::vector<std::uint8_t> changed_;          // per column: changed since the last clear
  State now_;
  State next_;
  std::int64_t tick_ = 0;
};

}  // namespace citytwin::sim
