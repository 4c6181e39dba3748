#include <citytwin/sim/parallel.hpp>

#include <gtest/gtest.h>

namespace citytwin::sim {
namespace {

TEST(DeterministicSum, ExactOnIntegersAndThreadIndependent) {
  const std::int64_t n = 100003;
  set_thread_count(1);
  const double one = deterministic_sum(n, [](std::int64_t i) { return 1.0 / static_cast<double>(i + 1); });
  set_thread_count(2);
  const double two = deterministic_sum(n, [](std::int64_t i) { return 1.0 / static_cast<double>(i + 1); });
  EXPECT_EQ(one, two);  // bit-identical, not just close
  EXPECT_NEAR(one, 12.0901, 1e-4);  // harmonic number H_100003 = ln n + 0.5772 + 1/(2n)
  EXPECT_EQ(deterministic_sum(n, [](std::int64_t i) { return static_cast<double>(i); }),
            static_cast<double>(n) * static_cast<double>(n - 1) / 2.0);
  EXPECT_EQ(deterministic_sum(0, [](std::int64_t) { return 1.0; }), 0.0);
}

}  // namespace
}  // namespace citytwin::sim
