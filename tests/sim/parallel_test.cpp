#include <citytwin/sim/parallel.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

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

TEST(SpinBarrier, NoThreadPassesARoundBeforeAllArrived) {
  // 4 threads, 4,000 rounds: in round r each adds 1 to the round's count, then waits; after the
  // barrier every thread must see all 4 additions of round r (and none of round r + 1, which is
  // counted in another slot). Thread 3 sleeps 2 ms every 1,000 rounds, so the others wait
  // past their spins and sleep in the barrier (the wake-up path)
  constexpr int kThreads = 4;
  constexpr int kRounds = 4000;
  SpinBarrier barrier(kThreads);
  std::vector<std::atomic<int>> count(2);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int r = 0; r < kRounds; ++r) {
        if (t == 3 && r % 1000 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
        count[static_cast<std::size_t>(r % 2)].fetch_add(1);
        barrier.arrive_and_wait();
        if (count[static_cast<std::size_t>(r % 2)].load() != kThreads) wrong.fetch_add(1);
        barrier.arrive_and_wait();
        // one thread resets the slot; the others read it only in round r + 2
        if (t == 0) count[static_cast<std::size_t>(r % 2)].store(0);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(count[0].load() + count[1].load(), 0);
}

}  // namespace
}  // namespace citytwin::sim
