// TFCE against a brute-force implementation written here straight from the formula
// (Smith & Nichols 2009): for every cell and every height, a breadth-first search over the
// cells at or above that height finds the extent of the cell's cluster.
#include <gtest/gtest.h>

#include <cmath>
#include <deque>
#include <random>

#include "permrsa/tfce.hpp"

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

}  // namespace
}  // namespace permrsa
