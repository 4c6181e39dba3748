#include <citytwin/sim/state.hpp>

#include <cstdint>
#include <stdexcept>

#include <gtest/gtest.h>

namespace citytwin::sim {
namespace {

StateLayout two_column_layout() {
  StateLayout layout;
  layout.add_dim({"bikes", "station", {10, 20, 30}, "station id"});
  (void)layout.add<std::int32_t>({"bikes", "bikes_available", {}, "station", 0, "1", "bikes at the station"});
  (void)layout.add<double>({"bikes", "last_event_s", {}, "station", 0, "s", "time of last event"});
  return layout;
}

TEST(StateLayout, SizesComeFromTheDimension) {
  const StateLayout layout = two_column_layout();
  ASSERT_EQ(layout.n_columns(), 2);
  EXPECT_EQ(layout.spec(0).size, 3);
  EXPECT_EQ(layout.spec(0).dtype, DType::kInt32);
  EXPECT_EQ(layout.spec(1).dtype, DType::kFloat64);
  EXPECT_EQ(layout.find("bikes.last_event_s"), 1);
  EXPECT_EQ(layout.find("bikes.nothing"), -1);
  EXPECT_EQ(layout.find("bike.last_event_s"), -1);
}

TEST(StateLayout, RejectsDuplicatesAndUnknownDims) {
  StateLayout layout = two_column_layout();
  EXPECT_THROW((void)layout.add<double>({"bikes", "last_event_s", {}, "station", 0, "s", ""}), std::invalid_argument);
  EXPECT_THROW((void)layout.add<double>({"bikes", "x", {}, "dock", 0, "1", ""}), std::invalid_argument);
  EXPECT_THROW(layout.add_dim({"bikes", "station", {1}, ""}), std::invalid_argument);
  EXPECT_THROW((void)layout.get<double>("bikes.bikes_available"), std::invalid_argument);
  EXPECT_EQ(layout.get<std::int32_t>("bikes.bikes_available").id, 0);
}

TEST(State, ZeroInitialisedAlignedAndCopyable) {
  const StateLayout layout = two_column_layout();
  State state(layout);
  const auto bikes = layout.get<std::int32_t>("bikes.bikes_available");
  const auto last = layout.get<double>("bikes.last_event_s");
  for (const auto v : state.get(bikes)) EXPECT_EQ(v, 0);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(state.data(0)) % 64, 0u);
  state.get_mutable(bikes)[1] = 7;
  state.get_mutable(last)[2] = 3.5;
  State copy(state);
  EXPECT_TRUE(copy.bitwise_equal(state));
  EXPECT_EQ(copy.get(bikes)[1], 7);
  copy.get_mutable(last)[2] = 4.0;
  EXPECT_FALSE(copy.bitwise_equal(state));
}

TEST(State, AssignmentKeepsBufferAddresses) {
  const StateLayout layout = two_column_layout();
  State a(layout);
  State b(layout);
  b.get_mutable(layout.get<double>("bikes.last_event_s"))[0] = 9.0;
  const void* before = a.data(1);
  a = b;
  EXPECT_EQ(a.data(1), before);
  EXPECT_EQ(a.get(layout.get<double>("bikes.last_event_s"))[0], 9.0);
}

TEST(StateWriter, RefusesColumnsOfOtherModels) {
  StateLayout layout = two_column_layout();
  layout.add_dim({"grid", "bus", {1, 2}, "bus id"});
  const auto volts = layout.add<double>({"grid", "vm_pu", {}, "bus", 0, "1", "voltage"});
  State state(layout);
  StateWriter writer(state, layout, "bikes");
  EXPECT_NO_THROW((void)writer.get(layout.get<double>("bikes.last_event_s")));
  EXPECT_THROW((void)writer.get(volts), InternalError);
}

}  // namespace
}  // namespace citytwin::sim
