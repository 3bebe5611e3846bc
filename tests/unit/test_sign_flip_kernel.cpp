// The sign-flip kernel (kernels/sign_flip_kernel.hpp): its statistics against the textbook
// one-sample t of the flipped values (mean / sqrt(var(ddof = 1) / N), as scipy.stats.ttest_1samp
// defines it), computed here in long double; its tail-oriented output against
// null_oriented() of numeric/tail.hpp, bit for bit, for every tail; and whole and partial 64-cell
// tiles, opposite patterns, a cell whose t is undefined, and means against the kernel's fixed
// order of the signed sums, written out here.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "kernels/sign_flip_kernel.hpp"
#include "numeric/tail.hpp"

namespace permrsa {
namespace {

constexpr std::size_t kSubjects = 7;
constexpr std::size_t kCells = 130;  // two whole 64-cell tiles and a partial one
constexpr std::size_t kPatterns = 40;

struct Data {
  std::vector<double> maps;   // N x cells
  std::vector<double> signs;  // patterns x N
};

Data random_data() {
  std::mt19937_64 rng(11);
  std::normal_distribution<double> normal(0.1, 0.3);
  std::bernoulli_distribution coin(0.5);
  Data d;
  d.maps.resize(kSubjects * kCells);
  for (auto& v : d.maps) v = normal(rng);
  for (std::size_t i = 0; i < kSubjects; ++i) d.maps[i * kCells + 5] = 0.0;  // t undefined (0/0)
  d.signs.resize(kPatterns * kSubjects);
  for (std::size_t b = 0; b < kPatterns; ++b)
    for (std::size_t i = 0; i < kSubjects; ++i)
      d.signs[b * kSubjects + i] = b == 0 ? 1.0 : (coin(rng) ? 1.0 : -1.0);
  // Pattern 1 is the opposite of pattern 2.
  for (std::size_t i = 0; i < kSubjects; ++i)
    d.signs[1 * kSubjects + i] = -d.signs[2 * kSubjects + i];
  return d;
}

long double textbook_t(const Data& d, std::size_t b, std::size_t c) {
  const long double n = kSubjects;
  long double mean = 0;
  for (std::size_t i = 0; i < kSubjects; ++i)
    mean += d.signs[b * kSubjects + i] * d.maps[i * kCells + c];
  mean /= n;
  long double var = 0;
  for (std::size_t i = 0; i < kSubjects; ++i) {
    const long double x = d.signs[b * kSubjects + i] * d.maps[i * kCells + c] - mean;
    var += x * x;
  }
  var /= n - 1;
  return mean / std::sqrt(var / n);
}

bool same_bits(double a, double b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

struct Output {
  std::vector<double> s, e;
};

Output compute(const SignFlipKernel& kernel, const Data& d, bool t, Tail tail) {
  Output out{std::vector<double>(kPatterns * kCells), std::vector<double>(kPatterns * kCells)};
  kernel.compute(d.signs, kPatterns, t, tail, out.s, out.e);
  return out;
}

TEST(SignFlipKernel, TMatchesTheTextbookOneSampleT) {
  const auto d = random_data();
  const SignFlipKernel kernel(d.maps, kSubjects, kCells);
  const auto out = compute(kernel, d, true, Tail::two_sided);
  for (std::size_t b = 0; b < kPatterns; ++b)
    for (std::size_t c = 0; c < kCells; ++c) {
      const double s = out.s[b * kCells + c];
      if (c == 5) {
        EXPECT_TRUE(std::isnan(s)) << "pattern " << b;
        continue;
      }
      const long double want = textbook_t(d, b, c);
      EXPECT_NEAR(s, static_cast<double>(want), 1e-12 * (1 + std::fabs(static_cast<double>(want))))
          << "pattern " << b << ", cell " << c;
    }
}

TEST(SignFlipKernel, MeanWithoutT) {
  const auto d = random_data();
  const SignFlipKernel kernel(d.maps, kSubjects, kCells);
  const auto out = compute(kernel, d, false, Tail::greater);
  for (std::size_t b = 0; b < kPatterns; ++b)
    for (std::size_t c = 0; c < kCells; ++c) {
      long double mean = 0;
      for (std::size_t i = 0; i < kSubjects; ++i)
        mean += d.signs[b * kSubjects + i] * d.maps[i * kCells + c];
      mean /= kSubjects;
      EXPECT_NEAR(out.s[b * kCells + c], static_cast<double>(mean), 1e-15);
    }
}

TEST(SignFlipKernel, OrientedOutputIsNullOrientedBitForBit) {
  const auto d = random_data();
  const SignFlipKernel kernel(d.maps, kSubjects, kCells);
  for (const Tail tail : {Tail::greater, Tail::less, Tail::two_sided}) {
    for (const bool t : {true, false}) {
      const auto out = compute(kernel, d, t, tail);
      for (std::size_t i = 0; i < out.s.size(); ++i)
        ASSERT_TRUE(same_bits(out.e[i], null_oriented(out.s[i], tail)))
            << "tail " << static_cast<int>(tail) << ", t " << t << ", value " << i;
      // The undefined t counts as the most extreme value.
      if (t) {
        EXPECT_EQ(out.e[5], std::numeric_limits<double>::infinity());
      }
    }
  }
}

// The signed sums' fixed order (kernels/signed_tile_sums.hpp), written out here: subjects in
// consecutive groups of four; each group's sum in order from 0 with its first subject +1 and the
// others relative to it; S = the groups' sums, each times its first subject's sign, added in
// order from 0. Every mean must be S / N bit for bit, for subject counts that end a group early,
// on a group boundary and past it, and for batches that end on and off a 32-pattern task.
double grouped_sum(const double* sign, const std::vector<double>& maps, std::size_t subjects,
                   std::size_t cells, std::size_t c) {
  double sum = 0.0;
  for (std::size_t first = 0; first < subjects; first += 4) {
    double e = 0.0;
    for (std::size_t m = first; m < std::min(subjects, first + 4); ++m)
      e = e + sign[m] * sign[first] * maps[m * cells + c];
    sum = sum + sign[first] * e;
  }
  return sum;
}

TEST(SignFlipKernel, MeansAreTheGroupedSumsBitForBit) {
  std::mt19937_64 rng(29);
  std::normal_distribution<double> normal(0.05, 0.4);
  std::bernoulli_distribution coin(0.5);
  for (const std::size_t subjects : {1, 2, 3, 4, 5, 7, 8, 9, 12, 23, 33}) {
    std::vector<double> maps(subjects * kCells), signs(kPatterns * subjects);
    for (auto& v : maps) v = normal(rng);
    for (auto& v : signs) v = coin(rng) ? 1.0 : -1.0;
    const SignFlipKernel kernel(maps, subjects, kCells);
    for (const std::size_t count : {std::size_t{1}, std::size_t{32}, kPatterns - 1}) {
      std::vector<double> s(count * kCells), e(count * kCells);
      kernel.compute(std::span(signs).first(count * subjects), count, false, Tail::greater, s, e);
      for (std::size_t b = 0; b < count; ++b)
        for (std::size_t c = 0; c < kCells; ++c) {
          const double want = grouped_sum(signs.data() + b * subjects, maps, subjects, kCells, c);
          ASSERT_TRUE(same_bits(s[b * kCells + c], want / static_cast<double>(subjects)))
              << subjects << " subjects, " << count << " patterns: pattern " << b << ", cell " << c;
        }
    }
  }
}

TEST(SignFlipKernel, OppositePatternsGiveExactlyOppositeStatistics) {
  const auto d = random_data();
  const SignFlipKernel kernel(d.maps, kSubjects, kCells);
  const auto out = compute(kernel, d, true, Tail::two_sided);
  for (std::size_t c = 0; c < kCells; ++c) {
    if (c == 5) continue;
    EXPECT_TRUE(same_bits(out.s[1 * kCells + c], -out.s[2 * kCells + c])) << "cell " << c;
    EXPECT_TRUE(same_bits(out.e[1 * kCells + c], out.e[2 * kCells + c])) << "cell " << c;
  }
}

TEST(SignFlipKernel, SplittingTheBatchChangesNoBit) {
  const auto d = random_data();
  const SignFlipKernel kernel(d.maps, kSubjects, kCells);
  const auto whole = compute(kernel, d, true, Tail::less);
  // The same patterns one at a time: every value lands in the same place with the same bits.
  for (std::size_t b = 0; b < kPatterns; ++b) {
    std::vector<double> s(kCells), e(kCells);
    kernel.compute(std::span(d.signs).subspan(b * kSubjects, kSubjects), 1, true, Tail::less, s, e);
    for (std::size_t c = 0; c < kCells; ++c) {
      ASSERT_TRUE(same_bits(s[c], whole.s[b * kCells + c])) << "pattern " << b << ", cell " << c;
      ASSERT_TRUE(same_bits(e[c], whole.e[b * kCells + c])) << "pattern " << b << ", cell " << c;
    }
  }
}

}  // namespace
}  // namespace permrsa
