// Permutations as a pure function of (seed, k).
#include <gtest/gtest.h>

#include <Random123/philox.h>

#include <algorithm>
#include <numeric>
#include <set>

#include "permrsa/condensed.hpp"
#include "permrsa/permutations.hpp"

namespace permrsa {
namespace {

std::vector<std::uint32_t> perm(const PermutationSet& set, std::int64_t k) {
  std::vector<std::uint32_t> out(set.stimuli());
  set.permutation(k, out);
  return out;
}

TEST(Philox, MatchesRandom123KnownAnswer) {
  // Known answer from Random123's kat_vectors file: philox4x32-10, counter and key all zero.
  r123::Philox4x32 rng;
  const auto out = rng({{0, 0, 0, 0}}, {{0, 0}});
  EXPECT_EQ(out.v[0], 0x6627e8d5u);
  EXPECT_EQ(out.v[1], 0xe169c58du);
  EXPECT_EQ(out.v[2], 0xbc57ac4cu);
  EXPECT_EQ(out.v[3], 0x9b00dbd8u);
}

TEST(BoundedDraw, StaysInRangeAndIsUniform) {
  // Expected: each of 7 values about 70000/7 times (chi-square bound for 6 dof, p ~ 1e-6).
  PhiloxStream words(42, 1, kStimulusStream);
  std::vector<int> counts(7, 0);
  for (int i = 0; i < 70000; ++i) ++counts[bounded_draw(7, words)];
  double chi2 = 0;
  for (int c : counts) chi2 += (c - 10000.0) * (c - 10000.0) / 10000.0;
  EXPECT_LT(chi2, 35.0);
}

TEST(PermutationSet, ZeroIsTheIdentity) {
  const auto set = PermutationSet::generated(49, 1000, 3);
  const auto p0 = perm(set, 0);
  for (std::uint32_t i = 0; i < 49; ++i) EXPECT_EQ(p0[i], i);
}

TEST(PermutationSet, PhiloxPermutationDependsOnlyOnSeedAndK) {
  const auto a = PermutationSet::generated(49, 1000, 3);
  const auto b = PermutationSet::generated(49, 5000, 3);  // another K: same permutation k
  EXPECT_EQ(a.kind(), PermutationKind::philox);
  EXPECT_EQ(perm(a, 17), perm(b, 17));
  EXPECT_NE(perm(a, 17), perm(a, 18));
  EXPECT_NE(perm(a, 17), perm(PermutationSet::generated(49, 1000, 4), 17));
  auto sorted = perm(a, 17);
  std::sort(sorted.begin(), sorted.end());
  for (std::uint32_t i = 0; i < 49; ++i) EXPECT_EQ(sorted[i], i);
}

TEST(PermutationSet, SmallSEnumeratesEveryPermutationOnceInLexicographicOrder) {
  // 5! = 120 <= K + 1 = 200: exhaustive, K becomes 119; order from std::next_permutation.
  const auto set = PermutationSet::generated(5, 199, 1);
  EXPECT_EQ(set.kind(), PermutationKind::exhaustive);
  EXPECT_EQ(set.count(), 119);
  std::vector<std::uint32_t> expected{0, 1, 2, 3, 4};
  for (std::int64_t k = 0; k <= set.count(); ++k) {
    EXPECT_EQ(perm(set, k), expected) << "k = " << k;
    std::next_permutation(expected.begin(), expected.end());
  }
}

TEST(PermutationSet, ExhaustiveOnlyWhenAllFit) {
  EXPECT_EQ(PermutationSet::generated(7, 5039, 1).kind(), PermutationKind::exhaustive);
  EXPECT_EQ(PermutationSet::generated(7, 5038, 1).kind(), PermutationKind::philox);
  EXPECT_EQ(PermutationSet::generated(25, 1000000, 1).kind(), PermutationKind::philox);
}

TEST(PairGather, PermutesRowsAndColumnsJointly) {
  // D'[i][j] = D[pi[i]][pi[j]] checked against the square matrix directly.
  const std::size_t s = 6;
  std::vector<double> d(pair_count(s));
  std::iota(d.begin(), d.end(), 1.0);
  const std::vector<std::uint32_t> pi{3, 0, 5, 1, 4, 2};
  std::vector<std::uint32_t> g(d.size());
  pair_gather(pi, g);
  for (std::size_t i = 0; i < s; ++i)
    for (std::size_t j = i + 1; j < s; ++j)
      EXPECT_EQ(d[g[pair_index(i, j, s)]], d[pair_index(pi[i], pi[j], s)]);
}

TEST(Condensed, MatchesSquareformOrder) {
  // scipy.spatial.distance.squareform order for S = 4: (0,1),(0,2),(0,3),(1,2),(1,3),(2,3).
  EXPECT_EQ(pair_index(0, 1, 4), 0u);
  EXPECT_EQ(pair_index(0, 3, 4), 2u);
  EXPECT_EQ(pair_index(1, 2, 4), 3u);
  EXPECT_EQ(pair_index(3, 2, 4), 5u);
  EXPECT_EQ(stimuli_for_pairs(1176).value(), 49u);
  EXPECT_FALSE(stimuli_for_pairs(1177).has_value());
}

}  // namespace
}  // namespace permrsa
