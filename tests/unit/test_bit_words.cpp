// numeric/bit_words.hpp: each word's bits against the cell-by-cell compares they stand for
// (C++'s own >, < and != on the same values), on whole and partial words, with NaN, signed
// zeros and infinities, where the AVX-512 path and the loop must give the same bits.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "numeric/bit_words.hpp"

namespace permrsa {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

std::vector<double> hostile_values(std::mt19937_64& rng) {
  const double specials[] = {kNaN, kInf, -kInf, 0.0, -0.0, 1.0, -1.0, 1e-310};
  std::normal_distribution<double> normal;
  std::vector<double> v(64);
  for (auto& x : v) x = rng() % 4 == 0 ? specials[rng() % 8] : normal(rng);
  return v;
}

TEST(BitWords, EveryBitIsTheCompareOfItsCell) {
  std::mt19937_64 rng(5);
  for (int round = 0; round < 200; ++round) {
    const auto a = hostile_values(rng), b = hostile_values(rng);
    std::vector<std::uint8_t> bytes(64);
    for (auto& x : bytes) x = static_cast<std::uint8_t>(rng() % 3);
    for (const std::size_t n :
         {std::size_t{64}, std::size_t{63}, std::size_t{1}, std::size_t{17}}) {
      const auto greater = greater_bits(a.data(), b.data(), n);
      const auto negative = negative_bits(a.data(), n);
      const auto nonzero = nonzero_bits(bytes.data(), n);
      for (std::size_t i = 0; i < 64; ++i) {
        const bool inside = i < n;
        EXPECT_EQ((greater >> i) & 1u, inside && a[i] > b[i]) << "cell " << i << " of " << n;
        EXPECT_EQ((negative >> i) & 1u, inside && a[i] < 0) << "cell " << i << " of " << n;
        EXPECT_EQ((nonzero >> i) & 1u, inside && bytes[i] != 0) << "cell " << i << " of " << n;
      }
    }
  }
}

TEST(BitWords, WordsAndTheirCells) {
  EXPECT_EQ(words_for(0), 0u);
  EXPECT_EQ(words_for(1), 1u);
  EXPECT_EQ(words_for(64), 1u);
  EXPECT_EQ(words_for(65), 2u);
  EXPECT_EQ(cells_of_word(0, 64), ~std::uint64_t{0});
  EXPECT_EQ(cells_of_word(0, 130), ~std::uint64_t{0});
  EXPECT_EQ(cells_of_word(2, 130), std::uint64_t{3});
  EXPECT_EQ(cells_of_word(1, 127), ~std::uint64_t{0} >> 1);
}

}  // namespace
}  // namespace permrsa
