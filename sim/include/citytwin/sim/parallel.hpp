#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <vector>

namespace citytwin::sim {

/// Number of entities per chunk of a deterministic reduction. Fixed so that sums never depend
/// on the thread count (STYLE.md §8).
inline constexpr std::int64_t kReduceChunk = 4096;

/// Sums f(i) for i in [0, n) in a thread-count-independent order: each fixed chunk of
/// kReduceChunk indices is summed in index order (chunks in parallel), then the chunk sums are
/// added in chunk order. `f` must be thread-safe.
template <typename F>
[[nodiscard]] double deterministic_sum(std::int64_t n, F&& f) {
  const std::int64_t n_chunks = (n + kReduceChunk - 1) / kReduceChunk;
  std::vector<double> partial(static_cast<std::size_t>(n_chunks), 0.0);
#pragma omp parallel for schedule(static)
  for (std::int64_t c = 0; c < n_chunks; ++c) {
    double s = 0.0;
    const std::int64_t end = std::min(n, (c + 1) * kReduceChunk);
    for (std::int64_t i = c * kReduceChunk; i < end; ++i) s += f(i);
    partial[static_cast<std::size_t>(c)] = s;
  }
  double total = 0.0;
  for (const double s : partial) total += s;
  return total;
}

/// Sets the number of OpenMP threads (0 = OpenMP's default). No-op without OpenMP.
void set_thread_count(int n_threads);
/// Returns the number of threads parallel loops use.
[[nodiscard]] int thread_count();
/// Returns the index of the calling thread in its parallel region, in [0, thread_count()); 0
/// outside a parallel region and without OpenMP.
[[nodiscard]] int thread_index();
/// Returns the number of threads of the calling thread's parallel region; 1 outside one and
/// without OpenMP.
[[nodiscard]] int team_size();

/// A barrier for the `n_threads` threads of one parallel region that meet at it many times a
/// millisecond (the ticks of the mobility queue model). OpenMP's barrier ends in a futex wake
/// system call each time (~0.3 µs on a VM); this one spins for a while on the generation word
/// and sleeps (std::atomic::wait) only after that, so the last thread to arrive makes a system
/// call only when a thread is asleep. Reusable; the memory effects of every thread before
/// arrive_and_wait() are visible to all after it (docs/architecture.md#threads).
class SpinBarrier {
 public:
  explicit SpinBarrier(int n_threads) : n_threads_(n_threads) {}
  /// Waits until all n_threads threads arrived.
  void arrive_and_wait();

 private:
  int n_threads_;
  alignas(64) std::atomic<int> arrived_{0};
  std::atomic<int> sleeping_{0};
  alignas(64) std::atomic<std::uint32_t> generation_{0};
};

}  // namespace citytwin::sim
