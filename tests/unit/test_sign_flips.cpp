// Sign-flip patterns as a pure function of (seed, k); the exhaustive order is the binary
// representation of k (bit n flips subject n), worked out by hand below.
#include <gtest/gtest.h>

#include <set>

#include "permrsa/permutation_analysis.hpp"
#include "permrsa/sign_flips.hpp"

namespace permrsa {
namespace {

std::vector<std::int8_t> signs(const SignFlipSet& set, std::int64_t k) {
  std::vector<std::int8_t> out(set.subjects());
  set.signs(k, out);
  return out;
}

TEST(SignFlipSet, ZeroFlipsNobody) {
  for (const auto& set : {SignFlipSet::generated(5, 100, 1), SignFlipSet::generated(40, 100, 1)})
    for (auto s : signs(set, 0)) EXPECT_EQ(s, 1);
}

TEST(SignFlipSet, SmallNEnumeratesEveryPatternOnce) {
  const auto set = SignFlipSet::generated(4, 15, 9);  // 2^4 = 16 <= K + 1
  EXPECT_EQ(set.kind(), SignFlipKind::exhaustive);
  EXPECT_EQ(set.count(), 15);
  EXPECT_EQ(signs(set, 5), (std::vector<std::int8_t>{-1, 1, -1, 1}));  // 5 = 0b0101
  std::set<std::vector<std::int8_t>> seen;
  for (std::int64_t k = 0; k <= 15; ++k) seen.insert(signs(set, k));
  EXPECT_EQ(seen.size(), 16u);
}

TEST(SignFlipSet, PhiloxPatternsDependOnlyOnSeedAndK) {
  const auto a = SignFlipSet::generated(23, 5000, 3), b = SignFlipSet::generated(23, 100, 3);
  EXPECT_EQ(a.kind(), SignFlipKind::philox);
  EXPECT_EQ(signs(a, 77), signs(b, 77));
  EXPECT_NE(signs(a, 77), signs(a, 78));
  EXPECT_NE(signs(a, 77), signs(SignFlipSet::generated(23, 5000, 4), 77));
}

TEST(TDefaultThreshold, MatchesTheStudentTQuantile) {
  // Expected: the exact quantiles from mpmath (40 digits; findroot on the regularised incomplete
  // beta): t(0.975, 9 dof) = 2.26215716279820554..., t(0.95, 22 dof) = 1.71714437438024...
  // scipy.stats.t.ppf gives 2.2621571627409915 (6e-11 off) and 1.717144374380242.
  EXPECT_NEAR(t_default_threshold(0.05, Tail::two_sided, 10), 2.2621571627982055, 1e-14);
  EXPECT_NEAR(t_default_threshold(0.05, Tail::greater, 23), 1.717144374380242, 1e-13);
  EXPECT_NEAR(t_default_threshold(0.05, Tail::less, 23), 1.717144374380242, 1e-13);
}

}  // namespace
}  // namespace permrsa
