#include <citytwin/sim/parallel.hpp>

#ifdef _OPENMP
#include <omp.h>
#endif

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace citytwin::sim {

void set_thread_count(int n_threads) {
#ifdef _OPENMP
  if (n_threads > 0) omp_set_num_threads(n_threads);
#else
  (void)n_threads;
#endif
}

int thread_count() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

int thread_index() {
#ifdef _OPENMP
  return omp_get_thread_num();
#else
  return 0;
#endif
}

int team_size() {
#ifdef _OPENMP
  return omp_get_num_threads();
#else
  return 1;
#endif
}

namespace {
// [1] polls of the generation word before a waiting thread sleeps (10–200 µs on x86, by the
// cost of a pause; without a pause instruction only a few µs)
constexpr int kBarrierSpins = 4000;
void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#endif
}
}  // namespace

void SpinBarrier::arrive_and_wait() {
  const std::uint32_t generation = generation_.load(std::memory_order_acquire);
  if (arrived_.fetch_add(1, std::memory_order_acq_rel) + 1 == n_threads_) {
    // the last one: reset the count for the next round, then release the others
    arrived_.store(0, std::memory_order_relaxed);
    generation_.store(generation + 1, std::memory_order_seq_cst);
    if (sleeping_.load(std::memory_order_seq_cst) > 0) generation_.notify_all();
    return;
  }
  for (int i = 0; i < kBarrierSpins; ++i) {
    if (generation_.load(std::memory_order_acquire) != generation) return;
    cpu_relax();
  }
  // sleep; wait() returns at once if the generation moved on after the count above
  sleeping_.fetch_add(1, std::memory_order_seq_cst);
  while (generation_.load(std::memory_order_seq_cst) == generation) {
    generation_.wait(generation, std::memory_order_acquire);
  }
  sleeping_.fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace citytwin::sim
