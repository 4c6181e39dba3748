#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace citytwin::sim {

/// Philox4x32-10 block function (Salmon et al., SC'11, "Parallel random numbers: as easy as
/// 1, 2, 3"; docs/architecture.md#random-streams): maps a 128-bit counter and a 64-bit key to
/// 128 random bits. Pure and thread-safe.
[[nodiscard]] std::array<std::uint32_t, 4> philox4x32_10(std::array<std::uint32_t, 4> counter,
                                                         std::array<std::uint32_t, 2> key);

/// A counter-based random stream for one (seed, stream, entity, tick). Cheap to create, holds no
/// shared state: the same key always gives the same numbers, whichever thread draws them.
class Rng {
 public:
  /// Builds the stream; see rng_for().
  Rng(std::uint64_t seed, std::uint32_t stream, std::uint64_t entity, std::uint64_t tick);

  /// Next 32 random bits.
  std::uint32_t next_u32();
  /// Next 64 random bits.
  std::uint64_t next_u64();
  /// Uniform double in [0, 1) with 53 random bits.
  double uniform();
  /// Uniform integer in [0, n), unbiased (Lemire's method). Precondition: n > 0.
  std::uint64_t uniform_int(std::uint64_t n);
  /// Standard normal variate (Box–Muller, both halves used).
  double normal();
  /// Exponential variate with the given rate (> 0).
  double exponential(double rate);
  /// Poisson variate with mean `lambda` >= 0 (inversion below 30, normal approximation above).
  std::int64_t poisson(double lambda);
  /// True with probability p.
  bool bernoulli(double p) { return uniform() < p; }

 private:
  void refill();
  std::array<std::uint32_t, 4> counter_;
  std::array<std::uint32_t, 2> key_;
  std::array<std::uint32_t, 4> block_{};
  int used_ = 4;
  double spare_normal_ = 0.0;
  bool has_spare_ = false;
};

/// Returns the random stream keyed by (seed, stream, entity, tick). Entities and ticks up to
/// 2^48 give distinct streams. This is the only source of randomness in citytwin.
[[nodiscard]] inline Rng rng_for(std::uint64_t seed, std::uint32_t stream, std::uint64_t entity,
                                 std::uint64_t tick) {
  return {seed, stream, entity, tick};
}

/// Stable stream number for a name (32-bit FNV-1a), e.g. stream_id("bikeshare.demand").
[[nodiscard]] constexpr std::uint32_t stream_id(std::string_view name) {
  std::uint32_t h = 2166136261u;
  for (const char c : name) {
    h ^= static_cast<std::uint8_t>(c);
    h *= 16777619u;
  }
  return h;
}

}  // namespace citytwin::sim
