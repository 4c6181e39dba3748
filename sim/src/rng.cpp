#include <citytwin/sim/rng.hpp>

#include <cmath>
#include <numbers>

namespace citytwin::sim {

namespace {

// Philox4x32 constants (Salmon et al. 2011, table 2)
constexpr std::uint32_t kMul0 = 0xD2511F53u;
constexpr std::uint32_t kMul1 = 0xCD9E8D57u;
constexpr std::uint32_t kWeyl0 = 0x9E3779B9u;
constexpr std::uint32_t kWeyl1 = 0xBB67AE85u;

__extension__ using Uint128 = unsigned __int128;  // GCC/Clang extension for a 64x64->128 product

// SplitMix64 finaliser (Steele et al. 2014): spreads a seed over all key bits
std::uint64_t mix64(std::uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace

std::array<std::uint32_t, 4> philox4x32_10(std::array<std::uint32_t, 4> c,
                                           std::array<std::uint32_t, 2> k) {
  for (int round = 0; round < 10; ++round) {
    const std::uint64_t p0 = static_cast<std::uint64_t>(kMul0) * c[0];
    const std::uint64_t p1 = static_cast<std::uint64_t>(kMul1) * c[2];
    const auto hi0 = static_cast<std::uint32_t>(p0 >> 32);
    const auto lo0 = static_cast<std::uint32_t>(p0);
    const auto hi1 = static_cast<std::uint32_t>(p1 >> 32);
    const auto lo1 = static_cast<std::uint32_t>(p1);
    c = {hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0};
    k[0] += kWeyl0;
    k[1] += kWeyl1;
  }
  return c;
}

Rng::Rng(std::uint64_t seed, std::uint32_t stream, std::uint64_t entity, std::uint64_t tick) {
  // key: the seed and the stream, mixed; counter: draw index, entity, tick
  const std::uint64_t key = mix64(seed ^ mix64(stream));
  key_ = {static_cast<std::uint32_t>(key), static_cast<std::uint32_t>(key >> 32)};
  const auto high = static_cast<std::uint32_t>(((entity >> 32) & 0xFFFFu) << 16 | ((tick >> 32) & 0xFFFFu));
  counter_ = {0u, static_cast<std::uint32_t>(entity), static_cast<std::uint32_t>(tick), high};
}

void Rng::refill() {
  block_ = philox4x32_10(counter_, key_);
  ++counter_[0];
  used_ = 0;
}

std::uint32_t Rng::next_u32() {
  if (used_ == 4) refill();
  return block_[static_cast<std::size_t>(used_++)];
}

std::uint64_t Rng::next_u64() {
  const std::uint64_t hi = next_u32();
  return (hi << 32) | next_u32();
}

double Rng::uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

std::uint64_t Rng::uniform_int(std::uint64_t n) {
  // Lemire 2019, "Fast random integer generation in an interval"
  std::uint64_t x = next_u64();
  Uint128 m = static_cast<Uint128>(x) * n;
  auto low = static_cast<std::uint64_t>(m);
  if (low < n) {
    const std::uint64_t threshold = (0 - n) % n;
    while (low < threshold) {
      x = next_u64();
      m = static_cast<Uint128>(x) * n;
      low = static_cast<std::uint64_t>(m);
    }
  }
  return static_cast<std::uint64_t>(m >> 64);
}

double Rng::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_normal_;
  }
  // Box-Muller on (0, 1] x [0, 1)
  const double u1 = 1.0 - uniform();
  const double u2 = uniform();
  const double r = std::sqrt(-2.0 * std::log(u1));
  const double angle = 2.0 * std::numbers::pi * u2;
  spare_normal_ = r * std::sin(angle);
  has_spare_ = true;
  return r * std::cos(angle);
}

double Rng::exponential(double rate) { return -std::log(1.0 - uniform()) / rate; }

std::int64_t Rng::poisson(double lambda) {
  if (lambda <= 0.0) return 0;
  if (lambda < 30.0) {
    // inversion by sequential search
    const double limit = std::exp(-lambda);
    double product = uniform();
    std::int64_t k = 0;
    while (product > limit) {
      product *= uniform();
      ++k;
    }
    return k;
  }
  const double x = std::round(lambda + std::sqrt(lambda) * normal());
  return x < 0.0 ? 0 : static_cast<std::int64_t>(x);
}

}  // namespace citytwin::sim
