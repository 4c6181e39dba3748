#pragma once

#include <cmath>
#include <cstdint>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include <citytwin/sim/model.hpp>
#include <citytwin/sim/parallel.hpp>

namespace citytwin::test {

/// A small model for engine tests: n walkers whose position takes a random normal step each
/// tick (stream "test.walk"), in an OpenMP loop, plus a running total kept in a 1-entity column.
class RandomWalkModel : public sim::Model {
 public:
  RandomWalkModel(std::int64_t n_walkers, int period_ticks, std::string name = "walk")
      : n_(n_walkers), period_(period_ticks), name_(std::move(name)) {}
  [[nodiscard]] std::string_view name() const override { return name_; }
  [[nodiscard]] int period_ticks() const override { return period_; }
  void declare(sim::StateLayout& layout) override {
    std::vector<std::int64_t> ids(static_cast<std::size_t>(n_));
    std::iota(ids.begin(), ids.end(), std::int64_t{1000});
    layout.add_dim({name_, "walker", ids, "walker id"});
    layout.add_dim({name_, "total", {0}, "summary"});
    position_ = layout.add<double>({name_, "position_m", {}, "walker", 0, "m", "walker position"});
    steps_ = layout.add<std::int32_t>({name_, "steps", {}, "walker", 0, "1", "steps taken"});
    spread_ = layout.add<double>({name_, "mean_abs_position_m", {}, "total", 0, "m", "mean |position|"});
  }
  void init(const sim::StepContext& ctx, sim::StateWriter& state) const override {
    auto pos = state.get(position_);
    for (std::int64_t i = 0; i < n_; ++i) {
      auto rng = ctx.rng(sim::stream_id("test.init"), static_cast<std::uint64_t>(i));
      pos[static_cast<std::size_t>(i)] = rng.uniform() * 10.0;
    }
  }
  void step(const sim::StepContext& ctx, const sim::State& now, sim::StateWriter& next) const override {
    const auto pos = now.get(position_);
    const auto steps = now.get(steps_);
    auto next_pos = next.get(position_);
    auto next_steps = next.get(steps_);
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < n_; ++i) {
      auto rng = ctx.rng(sim::stream_id("test.walk"), static_cast<std::uint64_t>(i));
      const auto k = static_cast<std::size_t>(i);
      next_pos[k] = pos[k] + rng.normal();
      next_steps[k] = steps[k] + 1;
    }
    const double sum = sim::deterministic_sum(n_, [&](std::int64_t i) { return std::fabs(next_pos[static_cast<std::size_t>(i)]); });
    next.get(spread_)[0] = sum / static_cast<double>(n_);
  }
  void kpis(const sim::State& state, std::vector<sim::Kpi>& out) const override {
    out.push_back({"mean_abs_position_m", state.get(spread_)[0], "m", "mean distance from 0"});
  }
  sim::Column<double> position_;
  sim::Column<std::int32_t> steps_;
  sim::Column<double> spread_;

 private:
  std::int64_t n_;
  int period_;
  std::string name_;
};

/// Copies another model's column each tick (tests the two-phase update: it sees last tick's value).
class FollowerModel : public sim::Model {
 public:
  explicit FollowerModel(std::string source) : source_(std::move(source)) {}
  [[nodiscard]] std::string_view name() const override { return "follower"; }
  [[nodiscard]] int period_ticks() const override { return 1; }
  void declare(sim::StateLayout& layout) override {
    layout.add_dim({"follower", "walker", {0}, "first walker"});
    seen_ = layout.add<std::int32_t>({"follower", "seen_steps", {}, "walker", 0, "1", "steps seen"});
    source_col_ = layout.get<std::int32_t>(source_);
  }
  void step(const sim::StepContext&, const sim::State& now, sim::StateWriter& next) const override {
    next.get(seen_)[0] = now.get(source_col_)[0];
  }
  sim::Column<std::int32_t> seen_;

 private:
  std::string source_;
  sim::Column<std::int32_t> source_col_;
};

}  // namespace citytwin::test
