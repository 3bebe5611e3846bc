// TFCE against a brute-force implementation written here straight from the formula
// (Smith & Nichols 2009): for every cell and every height, a breadth-first search over the
// cells at or above that height finds the extent of the cell's cluster.
#include <gtest/gtest.h>

#include <cmath>
#include <deque>
#include <limits>
#include <random>
#include <string>

#include "permrsa/error.hpp"
#include "core/tfce.hpp"

namespace permrsa {
namespace {

double brute_tfce(std::size_t L, std::size_t T, bool layer_time, bool by_sign,
                  const std::vector<double>& e, const std::vector<double>& s, double dh,
                  std::size_t v) {
  double total = 0;
  for (int j = 1; j * dh <= e[v]; ++j) {
    const double h = j * dh;
    std::vector<bool> seen(e.size(), false);
    std::deque<std::size_t> queue{v};
    seen[v] = true;
    std::size_t extent = 0;
    while (!queue.empty()) {
      const std::size_t c = queue.front();
      queue.pop_front();
      ++extent;
      const std::size_t l = c / T, t = c % T;
      std::vector<std::size_t> next;
      if (t > 0) next.push_back(c - 1);
      if (t + 1 < T) next.push_back(c + 1);
      if (layer_time && l > 0) next.push_back(c - T);
      if (layer_time && l + 1 < L) next.push_back(c + T);
      for (std::size_t n : next)
        if (!seen[n] && e[n] >= h && (!by_sign || ((s[n] >= 0) == (s[v] >= 0)))) {
          seen[n] = true;
          queue.push_back(n);
        }
    }
    total += std::sqrt(static_cast<double>(extent)) * h * h * dh;
  }
  return total;
}

TEST(Tfce, EqualsTheFormulaCellByCell) {
  const std::size_t L = 4, T = 30;
  std::mt19937 rng(11);
  std::normal_distribution<double> noise(0.0, 0.3);
  std::vector<double> s(L * T), e(L * T);
  for (std::size_t c = 0; c < s.size(); ++c) {
    const double t = static_cast<double>(c % T);
    s[c] = noise(rng) + 0.8 * std::exp(-0.5 * (t - 10) * (t - 10) / 9.0) -
           0.7 * std::exp(-0.5 * (t - 22) * (t - 22) / 4.0);
  }
  for (bool layer_time : {false, true})
    for (bool two_sided : {false, true}) {
      for (std::size_t c = 0; c < s.size(); ++c) e[c] = two_sided ? std::fabs(s[c]) : s[c];
      const ClusterRule rule{L, T, layer_time ? Connectivity::layer_time : Connectivity::time,
                             ClusterStatistic::mass, two_sided};
      const double dh = 0.05;
      const auto map = tfce_map(rule, e, s, dh);
      for (std::size_t v = 0; v < e.size(); ++v)
        EXPECT_NEAR(map[v], brute_tfce(L, T, layer_time, two_sided, e, s, dh, v), 1e-9)
            << "cell " << v << " layer_time " << layer_time << " two_sided " << two_sided;
    }
}

TEST(Tfce, CellsBelowTheFirstStepScoreZero) {
  const ClusterRule rule{1, 4, Connectivity::time, ClusterStatistic::mass, false};
  const std::vector<double> e{0.01, -0.5, 0.3, 0.0};
  const auto map = tfce_map(rule, e, e, 0.1);
  EXPECT_EQ(map[0], 0.0);
  EXPECT_EQ(map[1], 0.0);
  // 0.3: heights 0.1, 0.2, 0.3 (3 * 0.1 <= 0.3 in floating point? 0.30000000000000004 > 0.3)
  const double expected = (0.01 + 0.04) * 0.1;  // extent 1 at h = 0.1, 0.2
  EXPECT_NEAR(map[2], expected, 1e-15);
}

// Issue 15 (D5): an infinite statistic used to make the height loop run forever. The heights
// now stop at the largest finite value; the infinite cell's sum diverges (+inf) and every other
// cell gets what it gets with that cell at any finite value above the rest (its own heights
// never reach it), here checked against the brute-force formula with the cell at 10.
TEST(Tfce, AnInfiniteCellEndsTheLoopAndEnhancesToInfinity) {
  const ClusterRule rule{2, 6, Connectivity::layer_time, ClusterStatistic::mass, false};
  std::vector<double> e{0.2, 0.5, 0.9, 0.4, 0.0, 0.3, 0.1, 0.6, 0.7, 0.2, 0.5, 0.05};
  std::vector<double> with_inf = e, with_ten = e;
  with_inf[2] = std::numeric_limits<double>::infinity();
  with_ten[2] = 10.0;
  const double dh = 0.05;
  const auto map = tfce_map(rule, with_inf, with_inf, dh);
  EXPECT_EQ(map[2], std::numeric_limits<double>::infinity());
  for (std::size_t v = 0; v < e.size(); ++v)
    if (v != 2) {
      EXPECT_NEAR(map[v], brute_tfce(2, 6, true, false, with_ten, with_ten, dh, v), 1e-12) << v;
    }
}

// A NaN (an undefined statistic in a permutation's map) reads as +inf: the most extreme value,
// so that it can only raise p-values. Its map equals the map with +inf in its place.
TEST(Tfce, ANaNCellReadsAsInfinite) {
  const ClusterRule rule{1, 5, Connectivity::time, ClusterStatistic::mass, false};
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<double> with_nan{0.3, std::nan(""), 0.2, 0.0, 0.4};
  const std::vector<double> with_inf{0.3, inf, 0.2, 0.0, 0.4};
  EXPECT_EQ(tfce_map(rule, with_nan, with_nan, 0.1), tfce_map(rule, with_inf, with_inf, 0.1));
}

// D5: tfce_step = 1e-12 never ended. 10^6 heights is the limit; the message names the step,
// the statistic and the smallest step that fits (1.5 / 10^6).
TEST(Tfce, AStepThatTakesMoreThanAMillionHeightsIsRefused) {
  const ClusterRule rule{1, 3, Connectivity::time, ClusterStatistic::mass, false};
  const std::vector<double> e{0.5, 1.5, 0.2};
  try {
    tfce_map(rule, e, e, 1e-12);
    FAIL() << "expected InputError";
  } catch (const InputError& error) {
    const std::string m = error.what();
    EXPECT_NE(m.find("correction.tfce_step"), std::string::npos) << m;
    EXPECT_NE(m.find("1e-12"), std::string::npos) << m;
    EXPECT_NE(m.find("1.5e+12 heights"), std::string::npos) << m;
    EXPECT_NE(m.find("at least 1.5e-06"), std::string::npos) << m;
  }
  EXPECT_NO_THROW(tfce_map(rule, e, e, 1.5e-6));  // exactly 10^6 heights
}

// The count of heights dh, 2 dh, ... <= top: floor(top / dh); none below dh; unbounded for a
// non-finite top.
TEST(Tfce, HeightCountIsTheNumberOfStepsUpToTheTop) {
  EXPECT_EQ(tfce_height_count(1.0, 0.25), 4.0);
  EXPECT_EQ(tfce_height_count(0.1, 0.25), 0.0);
  EXPECT_EQ(tfce_height_count(-std::numeric_limits<double>::infinity(), 0.25), 0.0);
  EXPECT_EQ(tfce_height_count(std::numeric_limits<double>::infinity(), 0.25),
            std::numeric_limits<double>::infinity());
  EXPECT_EQ(tfce_height_count(std::nan(""), 0.25), std::numeric_limits<double>::infinity());
}

}  // namespace
}  // namespace permrsa
