#include <citytwin/sim/engine.hpp>

#include <span>
#include <stdexcept>

#include <gtest/gtest.h>

#include <citytwin/sim/parallel.hpp>

#include "test_models.hpp"

namespace citytwin::sim {
namespace {

using test::FollowerModel;
using test::RandomWalkModel;

Engine make_engine(std::uint64_t seed, std::int64_t n_ticks = 20, std::int64_t n_walkers = 10000) {
  std::vector<std::unique_ptr<Model>> models;
  models.push_back(std::make_unique<RandomWalkModel>(n_walkers, 1));
  models.push_back(std::make_unique<FollowerModel>("walk.steps"));
  return Engine(Clock(1718920800, 60, n_ticks, "Europe/Paris"), std::move(models), nullptr, seed);
}

State run_to_end(Engine& engine) {
  while (!engine.done()) engine.step();
  return engine.state();
}

TEST(Engine, TwoPhaseUpdateSeesLastTick) {
  Engine engine = make_engine(1, 3, 4);
  const auto steps = engine.layout().get<std::int32_t>("walk.steps");
  const auto seen = engine.layout().get<std::int32_t>("follower.seen_steps");
  run_to_end(engine);
  EXPECT_EQ(engine.tick(), 3);
  EXPECT_EQ(engine.state().get(steps)[0], 3);
  EXPECT_EQ(engine.state().get(seen)[0], 2);  // the follower reads the state before this tick
}

// writes `count` every tick (count + gain), `even` only on even ticks (the tick), never `gain`,
// an input column scripts set between steps
class PartialWriterModel : public Model {
 public:
  [[nodiscard]] std::string_view name() const override { return "partial"; }
  [[nodiscard]] int period_ticks() const override { return 1; }
  void declare(StateLayout& layout) override {
    layout.add_dim({"partial", "cell", {1, 2}, "cell id"});
    count_ = layout.add<double>({"partial", "count", {}, "cell", 0, "1", "running sum of gain"});
    even_ = layout.add<double>({"partial", "even_tick", {}, "cell", 0, "1", "last even tick"});
    ColumnSpec gain{"partial", "gain", {}, "cell", 0, "1", "added each tick"};
    gain.input = true;
    gain_ = layout.add<double>(gain);
  }
  void init(const StepContext&, StateWriter& state) const override {
    state.get(gain_)[0] = 1.0;
    state.get(gain_)[1] = 2.0;
  }
  void step(const StepContext& ctx, const State& now, StateWriter& next) const override {
    for (std::size_t i = 0; i < 2; ++i) next.get(count_)[i] = now.get(count_)[i] + now.get(gain_)[i];
    if (ctx.tick % 2 == 0) {
      for (std::size_t i = 0; i < 2; ++i) next.get(even_)[i] = static_cast<double>(ctx.tick);
    }
  }
  Column<double> count_;
  Column<double> even_;
  Column<double> gain_;
};

TEST(Engine, CommitsTheColumnsAStepWroteAndKeepsInputsSetBetweenSteps) {
  std::vector<std::unique_ptr<Model>> models;
  models.push_back(std::make_unique<PartialWriterModel>());
  const auto* model = static_cast<const PartialWriterModel*>(models.front().get());
  Engine engine(Clock(0, 60, 10, "UTC"), std::move(models), nullptr, 1);
  engine.step();  // tick 0: count 1, 2; even 0
  engine.step();  // tick 1: count 2, 4; even_tick untouched
  EXPECT_EQ(engine.state().get(model->count_)[1], 4.0);
  EXPECT_EQ(engine.state().get(model->even_)[0], 0.0);
  // a script sets the gain of cell 1 between steps; the model never writes it
  static_cast<double*>(engine.input_data(model->gain_.id))[1] = 10.0;
  engine.step();  // tick 2: count 3, 14; even 2
  engine.step();  // tick 3: count 4, 24
  engine.step();  // tick 4: count 5, 34; even 4
  EXPECT_EQ(engine.state().get(model->count_)[0], 5.0);
  EXPECT_EQ(engine.state().get(model->count_)[1], 34.0);
  EXPECT_EQ(engine.state().get(model->gain_)[1], 10.0);
  EXPECT_EQ(engine.state().get(model->even_)[1], 4.0);
  engine.step();  // tick 5: even_tick stays 4
  EXPECT_EQ(engine.state().get(model->even_)[0], 4.0);
}

// writes its column, then fails at tick `fail_tick` after writing it again
class FailingModel : public Model {
 public:
  explicit FailingModel(std::int64_t fail_tick) : fail_tick_(fail_tick) {}
  [[nodiscard]] std::string_view name() const override { return "failing"; }
  [[nodiscard]] int period_ticks() const override { return 1; }
  void declare(StateLayout& layout) override {
    layout.add_dim({"failing", "cell", {1}, "cell id"});
    value_ = layout.add<double>({"failing", "value", {}, "cell", 0, "1", "tick count"});
  }
  void step(const StepContext& ctx, const State& now, StateWriter& next) const override {
    next.get(value_)[0] = now.get(value_)[0] + 1.0;
    if (ctx.tick == fail_tick_) throw std::runtime_error("failed on purpose");
  }
  Column<double> value_;

 private:
  std::int64_t fail_tick_;
};

TEST(Engine, AFailedTickLeavesTheStateOfTheLastCompletedTick) {
  std::vector<std::unique_ptr<Model>> models;
  models.push_back(std::make_unique<FailingModel>(2));
  const auto* model = static_cast<const FailingModel*>(models.front().get());
  Engine engine(Clock(0, 60, 10, "UTC"), std::move(models), nullptr, 1);
  engine.step();
  engine.step();
  EXPECT_TRUE(engine.columns_changed()[static_cast<std::size_t>(model->value_.id)] != 0);
  engine.clear_columns_changed();
  EXPECT_THROW(engine.step(), std::runtime_error);
  EXPECT_EQ(engine.tick(), 2);
  EXPECT_EQ(engine.state().get(model->value_)[0], 2.0);
  EXPECT_EQ(engine.columns_changed()[static_cast<std::size_t>(model->value_.id)], 0);
  // a checkpoint now holds the last completed tick, and next equals now again: a restored
  // engine steps from it (the model still fails at tick 2)
  const Checkpoint saved = engine.checkpoint();
  EXPECT_EQ(saved.state.get(model->value_)[0], 2.0);
  engine.restore(saved);
  EXPECT_THROW(engine.step(), std::runtime_error);
  EXPECT_EQ(engine.state().get(model->value_)[0], 2.0);
}

// writes entries 1 and 3 of its five cells each tick (tick + 10 × entry) through get_entries()
class SparseModel : public Model {
 public:
  [[nodiscard]] std::string_view name() const override { return "sparse"; }
  [[nodiscard]] int period_ticks() const override { return 1; }
  void declare(StateLayout& layout) override {
    layout.add_dim({"sparse", "cell", {1, 2, 3, 4, 5}, "cell id"});
    value_ = layout.add<std::int64_t>({"sparse", "value", {}, "cell", 0, "1", "last write"});
  }
  void step(const StepContext& ctx, const State&, StateWriter& next) const override {
    const std::span<std::int64_t> v = next.get_entries(value_, entries_);
    for (const std::int64_t e : entries_) v[static_cast<std::size_t>(e)] = ctx.tick + 10 * e;
    // from tick 3 on it also takes the column whole and writes entry 4: committed whole
    if (ctx.tick >= 3) next.get(value_)[4] = 100 + ctx.tick;
  }
  Column<std::int64_t> value_;

 private:
  std::vector<std::int64_t> entries_{1, 3};
};

TEST(Engine, CommitsJustTheListedEntries) {
  std::vector<std::unique_ptr<Model>> models;
  models.push_back(std::make_unique<SparseModel>());
  const auto* model = static_cast<const SparseModel*>(models.front().get());
  Engine engine(Clock(0, 60, 10, "UTC"), std::move(models), nullptr, 1);
  engine.step();
  engine.step();  // tick 1
  const std::span<const std::int64_t> v = engine.state().get(model->value_);
  EXPECT_EQ(std::vector<std::int64_t>(v.begin(), v.end()),
            (std::vector<std::int64_t>{0, 11, 0, 31, 0}));
  EXPECT_TRUE(engine.columns_changed()[static_cast<std::size_t>(model->value_.id)] != 0);
  // a checkpoint taken now restores the same values, and the engine goes on from it
  const Checkpoint saved = engine.checkpoint();
  engine.step();
  EXPECT_EQ(engine.state().get(model->value_)[1], 12);
  engine.restore(saved);
  EXPECT_EQ(engine.state().get(model->value_)[1], 11);
  engine.step();  // tick 2
  engine.step();  // tick 3: entries 1 and 3, then the whole column with entry 4
  const std::span<const std::int64_t> w = engine.state().get(model->value_);
  EXPECT_EQ(std::vector<std::int64_t>(w.begin(), w.end()),
            (std::vector<std::int64_t>{0, 13, 0, 33, 103}));
}

TEST(Engine, PeriodSkipsTicks) {
  std::vector<std::unique_ptr<Model>> models;
  models.push_back(std::make_unique<RandomWalkModel>(5, 4));
  Engine engine(Clock(0, 60, 10, "UTC"), std::move(models), nullptr, 1);
  const auto steps = engine.layout().get<std::int32_t>("walk.steps");
  while (!engine.done()) engine.step();
  EXPECT_EQ(engine.state().get(steps)[4], 3);  // ticks 0, 4 and 8
}

TEST(Engine, IdenticalOnOneAndTwoThreads) {
  set_thread_count(1);
  Engine one = make_engine(42);
  const State a = run_to_end(one);
  set_thread_count(2);
  Engine two = make_engine(42);
  const State b = run_to_end(two);
  EXPECT_TRUE(a.bitwise_equal(b));
}

TEST(Engine, SameSeedSameResultOtherSeedDiffers) {
  Engine first = make_engine(42);
  Engine second = make_engine(42);
  Engine other = make_engine(43);
  const State a = run_to_end(first);
  EXPECT_TRUE(a.bitwise_equal(run_to_end(second)));
  EXPECT_FALSE(a.bitwise_equal(run_to_end(other)));
}

TEST(Engine, CheckpointRestoreReproducesTheRun) {
  Engine engine = make_engine(7, 20, 100);
  for (int i = 0; i < 8; ++i) engine.step();
  const Checkpoint saved = engine.checkpoint();
  for (int i = 0; i < 5; ++i) engine.step();
  const State after_first = engine.state();
  const void* address = engine.state().data(0);
  engine.restore(saved);
  EXPECT_EQ(engine.tick(), 8);
  EXPECT_EQ(engine.state().data(0), address);  // views on the state stay valid
  for (int i = 0; i < 5; ++i) engine.step();
  EXPECT_TRUE(after_first.bitwise_equal(engine.state()));
}

TEST(Engine, KpisComeFromTheModels) {
  Engine engine = make_engine(3, 5, 1000);
  run_to_end(engine);
  const auto kpis = engine.kpis();
  ASSERT_EQ(kpis.size(), 1u);
  EXPECT_EQ(kpis[0].first, "walk");
  EXPECT_EQ(kpis[0].second.name, "mean_abs_position_m");
  // start uniform on [0, 10) plus 5 unit normal steps: mean |x| must be near 5
  EXPECT_NEAR(kpis[0].second.value, 5.2, 0.4);
}

TEST(Engine, ContextCarriesLocalAndUtcTime) {
  Engine engine = make_engine(1, 2, 2);
  const StepContext ctx = engine.context(60, *engine.models()[0]);
  EXPECT_EQ(ctx.utc_s, 1718920800 + 3600);
  EXPECT_EQ(ctx.local.hour, 1);
  EXPECT_EQ(ctx.utc.hour, 23);
  EXPECT_DOUBLE_EQ(ctx.step_h(), 1.0 / 60.0);
}

}  // namespace
}  // namespace citytwin::sim
