#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <citytwin/sim/clock.hpp>
#include <citytwin/sim/rng.hpp>
#include <citytwin/sim/state.hpp>

namespace citytwin::sim {

class Diagnostics;
struct City;

/// What a model sees during one tick. Thread-safe to read.
struct StepContext {
  std::int64_t tick = 0;             ///< tick being computed (state `now` is at its start)
  std::int32_t dt_s = 0;             ///< [s] base tick length
  std::int32_t period_ticks = 1;     ///< model period in ticks; the step covers period*dt_s
  std::int64_t utc_s = 0;            ///< [s] Unix time at the start of the tick
  CivilTime utc;                     ///< UTC civil time at the start of the tick
  CivilTime local;                   ///< local civil time at the start of the tick
  std::uint64_t seed = 0;            ///< run seed
  const City* city = nullptr;        ///< the shared, immutable city
  Diagnostics* diagnostics = nullptr;  ///< numerical warnings go here (thread-safe)

  /// [s] time covered by this model step.
  [[nodiscard]] double step_s() const { return static_cast<double>(dt_s) * period_ticks; }
  /// [h] time covered by this model step.
  [[nodiscard]] double step_h() const { return step_s() / 3600.0; }
  /// The random stream of (stream, entity) for this tick.
  [[nodiscard]] Rng rng(std::uint32_t stream, std::uint64_t entity) const {
    return rng_for(seed, stream, entity, static_cast<std::uint64_t>(tick));
  }
};

/// A key indicator a model reports at the end of a run (shown by `citytwin compare`).
struct Kpi {
  std::string name;       ///< snake_case with unit suffix, e.g. "energy_imported_kwh"
  double value = 0.0;     ///< value in `units`
  std::string units;      ///< unit text, e.g. "kWh"
  std::string long_name;  ///< meaning
};

/// A simulation component: declares its state columns, initialises them, steps them.
/// step() and init() are const: a model holds only immutable scenario data (STYLE.md §2).
class Model {
 public:
  virtual ~Model() = default;
  /// Registry name, also the results group ("solar", "energy"...).
  [[nodiscard]] virtual std::string_view name() const = 0;
  /// Period in base ticks, >= 1: the model steps when tick % period == 0.
  [[nodiscard]] virtual int period_ticks() const = 0;
  /// Declares the columns this model owns.
  virtual void declare(StateLayout& layout) = 0;
  /// Writes the initial values of its columns (tick 0). Default: zeros.
  virtual void init(const StepContext& ctx, StateWriter& state) const;
  /// Computes its columns of `next` from `now` (any model's columns) for one model period.
  virtual void step(const StepContext& ctx, const State& now, StateWriter& next) const = 0;
  /// Appends the model's key indicators computed from the final state.
  virtual void kpis(const State& state, std::vector<Kpi>& out) const;
  /// A human-readable end-of-run summary (e.g. a fit table) that the CLI prints, or "".
  [[nodiscard]] virtual std::string summary(const State& state) const;
};

}  // namespace citytwin::sim
