// largest_value (the per-map maximum of the null loop) against std::max_element, the value it
// replaced: every length across the 8-lane blocks and the tail, ties, infinities (a NaN in a
// null map is oriented to +inf) and signed zeros, where the bits of the result must match too.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "numeric/largest_value.hpp"

namespace permrsa {
namespace {

void expect_same_bits(const std::vector<double>& v, const char* what) {
  const double expected = *std::max_element(v.begin(), v.end());
  const double got = largest_value(v.data(), v.size());
  EXPECT_EQ(std::bit_cast<std::uint64_t>(got), std::bit_cast<std::uint64_t>(expected))
      << what << ", n = " << v.size();
}

TEST(LargestValue, EqualsMaxElementBitForBit) {
  std::mt19937_64 rng(3);
  std::uniform_int_distribution<int> grid(-20, 20);  // ties
  for (std::size_t n = 1; n <= 70; ++n) {
    std::vector<double> v(n);
    for (auto& x : v) x = grid(rng) / 4.0;
    expect_same_bits(v, "ties");
    v[rng() % n] = std::numeric_limits<double>::infinity();
    expect_same_bits(v, "+inf");
    for (auto& x : v) x = -1.0 - grid(rng) * grid(rng);  // all negative
    expect_same_bits(v, "negative");
  }
}

TEST(LargestValue, SignedZerosComeBackAsMaxElementReturnsThem) {
  for (std::size_t n : {3u, 8u, 9u, 17u, 40u}) {
    for (std::size_t first_positive = 0; first_positive < n; first_positive += 3) {
      std::vector<double> v(n, -0.0);
      for (std::size_t i = 0; i < n; ++i) v[i] = i % 2 ? -1.0 : -0.0;
      v[first_positive] = 0.0;
      expect_same_bits(v, "zeros");
    }
  }
}

}  // namespace
}  // namespace permrsa
