#include <citytwin/sim/engine.hpp>

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
