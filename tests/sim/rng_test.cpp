#include <citytwin/sim/rng.hpp>

#include <cmath>
#include <set>

#include <gtest/gtest.h>

namespace citytwin::sim {
namespace {

// known-answer vectors of Random123 (kat_vectors, philox4x32 with 10 rounds)
TEST(Philox, KnownAnswerZero) {
  const auto out = philox4x32_10({0u, 0u, 0u, 0u}, {0u, 0u});
  EXPECT_EQ(out[0], 0x6627e8d5u);
  EXPECT_EQ(out[1], 0xe169c58du);
  EXPECT_EQ(out[2], 0xbc57ac4cu);
  EXPECT_EQ(out[3], 0x9b00dbd8u);
}

TEST(Philox, KnownAnswerOnes) {
  const auto out = philox4x32_10({0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu}, {0xffffffffu, 0xffffffffu});
  EXPECT_EQ(out[0], 0x408f276du);
  EXPECT_EQ(out[1], 0x41c83b0eu);
  EXPECT_EQ(out[2], 0xa20bc7c6u);
  EXPECT_EQ(out[3], 0x6d5451fdu);
}

TEST(Philox, KnownAnswerPi) {
  const auto out = philox4x32_10({0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}, {0xa4093822u, 0x299f31d0u});
  EXPECT_EQ(out[0], 0xd16cfe09u);
  EXPECT_EQ(out[1], 0x94fdccebu);
  EXPECT_EQ(out[2], 0x5001e420u);
  EXPECT_EQ(out[3], 0x24126ea1u);
}

TEST(Rng, SameKeySameNumbers) {
  Rng a = rng_for(42, stream_id("test"), 7, 100);
  Rng b = rng_for(42, stream_id("test"), 7, 100);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(a.next_u64(), b.next_u64());
}

TEST(Rng, EveryKeyPartChangesTheStream) {
  const std::uint64_t base = rng_for(42, 1, 7, 100).next_u64();
  EXPECT_NE(base, rng_for(43, 1, 7, 100).next_u64());
  EXPECT_NE(base, rng_for(42, 2, 7, 100).next_u64());
  EXPECT_NE(base, rng_for(42, 1, 8, 100).next_u64());
  EXPECT_NE(base, rng_for(42, 1, 7, 101).next_u64());
  EXPECT_NE(base, rng_for(42, 1, 7 + (1ull << 32), 100).next_u64());
  EXPECT_NE(base, rng_for(42, 1, 7, 100 + (1ull << 32)).next_u64());
}

TEST(Rng, UniformMomentsMatchTheory) {
  // mean 1/2 and variance 1/12; tolerance 5 standard errors of n = 200000 draws
  Rng rng = rng_for(1, 2, 3, 4);
  const int n = 200000;
  double sum = 0.0;
  double sum_sq = 0.0;
  for (int i = 0; i < n; ++i) {
    const double u = rng.uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
    sum_sq += u * u;
  }
  const double mean = sum / n;
  const double var = sum_sq / n - mean * mean;
  EXPECT_NEAR(mean, 0.5, 5 * std::sqrt(1.0 / 12.0 / n));
  EXPECT_NEAR(var, 1.0 / 12.0, 5.0 * std::sqrt(1.0 / 180.0 / n)); /* var of u^2-ish estimator */
}

TEST(Rng, NormalMomentsMatchTheory) {
  Rng rng = rng_for(9, 9, 9, 9);
  const int n = 200000;
  double sum = 0.0;
  double sum_sq = 0.0;
  for (int i = 0; i < n; ++i) {
    const double x = rng.normal();
    sum += x;
    sum_sq += x * x;
  }
  EXPECT_NEAR(sum / n, 0.0, 5.0 / std::sqrt(n));
  EXPECT_NEAR(sum_sq / n, 1.0, 5.0 * std::sqrt(2.0 / n));
}

TEST(Rng, UniformIntCoversRangeWithoutBias) {
  Rng rng = rng_for(5, 5, 5, 5);
  std::array<int, 6> counts{};
  const int n = 60000;
  for (int i = 0; i < n; ++i) {
    const auto k = rng.uniform_int(6);
    ASSERT_LT(k, 6u);
    ++counts[k];
  }
  // chi-square with 5 degrees of freedom; 20.5 is the 0.999 quantile
  double chi2 = 0.0;
  for (const int c : counts) chi2 += (c - n / 6.0) * (c - n / 6.0) / (n / 6.0);
  EXPECT_LT(chi2, 20.5);
}

TEST(Rng, PoissonMeanMatchesLambda) {
  for (const double lambda : {0.5, 4.0, 80.0}) {
    Rng rng = rng_for(11, 3, 0, 0);
    const int n = 50000;
    double sum = 0.0;
    for (int i = 0; i < n; ++i) sum += static_cast<double>(rng.poisson(lambda));
    EXPECT_NEAR(sum / n, lambda, 5.0 * std::sqrt(lambda / n)) << "lambda " << lambda;
  }
}

TEST(Rng, StreamIdIsFnv1a) {
  // FNV-1a 32-bit of "a" is 0xe40c292c (Fowler/Noll/Vo reference values)
  static_assert(stream_id("a") == 0xe40c292cu);
  EXPECT_EQ(stream_id(""), 2166136261u);
}

}  // namespace
}  // namespace citytwin::sim
