// Cluster labelling on small hand-made grids; expected clusters worked out by hand. The largest
// cluster statistic (max_cluster_statistic, with the pass given as bytes, as thresholds or as
// bits) against the full labelling's (find_clusters) on random maps.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>

#include "core/cell_thresholds.hpp"
#include "permrsa/clusters.hpp"

namespace permrsa {
namespace {

// 3 layers x 5 times.
const std::vector<double> kS = {0.5,  0.6, 0.0, -0.7, -0.8, 0.4, 0.0, 0.0,
                                -0.2, 0.0, 0.3, 0.9,  0.0,  0.0, 0.1};

std::vector<std::uint8_t> above(const std::vector<double>& e, double v) {
  std::vector<std::uint8_t> m(e.size());
  for (std::size_t i = 0; i < e.size(); ++i) m[i] = e[i] > v;
  return m;
}

TEST(FindClusters, TimeConnectivityJoinsRunsWithinALayer) {
  const ClusterRule rule{3, 5, Connectivity::time, ClusterStatistic::mass, false};
  const auto map = find_clusters(rule, kS, kS, above(kS, 0.25));
  // Runs: layer0 t0-1 (1.1), layer1 t0 (0.4), layer2 t0-1 (1.2).
  ASSERT_EQ(map.clusters.size(), 3u);
  EXPECT_DOUBLE_EQ(map.clusters[0].statistic, 0.5 + 0.6);
  EXPECT_EQ(map.clusters[1].layer_first, 1);
  EXPECT_EQ(map.clusters[2].time_last, 1);
  EXPECT_EQ(map.id[5], 1);
  EXPECT_EQ(map.id[2], -1);
}

TEST(FindClusters, LayerTimeConnectivityJoinsAcrossLayers) {
  const ClusterRule rule{3, 5, Connectivity::layer_time, ClusterStatistic::size, false};
  const auto map = find_clusters(rule, kS, kS, above(kS, 0.25));
  ASSERT_EQ(map.clusters.size(), 1u);
  EXPECT_EQ(map.clusters[0].size, 5);
  EXPECT_DOUBLE_EQ(map.clusters[0].statistic, 5.0);
  EXPECT_EQ(map.clusters[0].layer_last, 2);
}

TEST(FindClusters, TwoSidedNeverMixesSigns) {
  std::vector<double> e(kS.size());
  for (std::size_t i = 0; i < e.size(); ++i) e[i] = std::fabs(kS[i]);
  const ClusterRule rule{3, 5, Connectivity::layer_time, ClusterStatistic::mass, true};
  // Make a positive cell touch the negative run: layer0 t2 = +0.65.
  auto s = kS;
  s[2] = 0.65;
  e[2] = 0.65;
  const auto map = find_clusters(rule, e, s, above(e, 0.25));
  // Positive: (0,0),(0,1),(0,2),(1,0),(2,0),(2,1); negative: (0,3),(0,4).
  ASSERT_EQ(map.clusters.size(), 2u);
  EXPECT_EQ(map.clusters[0].sign, 1);
  EXPECT_EQ(map.clusters[0].size, 6);
  EXPECT_EQ(map.clusters[1].sign, -1);
  EXPECT_DOUBLE_EQ(map.clusters[1].statistic, 0.7 + 0.8);
}

TEST(FindClusters, NoPassingCellMeansZeroMaximum) {
  const ClusterRule rule{3, 5, Connectivity::time, ClusterStatistic::mass, false};
  EXPECT_EQ(max_cluster_statistic(rule, kS, kS, above(kS, 5.0)), 0.0);
}

// The run-based null path against the full labelling (find_clusters, checked by hand above):
// the same largest statistic, bit for bit, on random maps of every rule.
TEST(MaxClusterStatistic, EqualsTheLargestClusterOfTheFullLabellingBitForBit) {
  std::mt19937 rng(7);
  std::normal_distribution<double> normal(0.0, 1.0);
  for (int round = 0; round < 400; ++round) {
    // 1-4 words a row; every fourth round a row that ends at, just before or just after a word
    // boundary (runs and the stretches shared with the row above cross words there).
    constexpr std::size_t kAtBoundaries[] = {63, 64, 65, 127, 128, 129, 192, 193};
    const std::size_t L = 1 + rng() % 7;
    const std::size_t T =
        round % 4 == 0 ? kAtBoundaries[(round / 4) % 8] : 1 + rng() % (round % 2 ? 40 : 230);
    std::vector<double> s(L * T), e(L * T), threshold(L * T);
    for (std::size_t c = 0; c < s.size(); ++c) {
      s[c] = normal(rng);
      e[c] = std::fabs(s[c]);
      threshold[c] = 0.3 + 0.5 * static_cast<double>(rng() % 3);
    }
    for (auto connectivity : {Connectivity::time, Connectivity::layer_time})
      for (auto statistic : {ClusterStatistic::mass, ClusterStatistic::size})
        for (bool split : {false, true}) {
          const ClusterRule rule{L, T, connectivity, statistic, split};
          std::vector<std::uint8_t> pass(e.size());
          for (std::size_t c = 0; c < e.size(); ++c) pass[c] = e[c] > threshold[c];
          double expected = 0;
          for (const auto& cl : find_clusters(rule, e, split ? s : e, pass).clusters)
            expected = std::max(expected, cl.statistic);
          EXPECT_EQ(max_cluster_statistic(rule, e, split ? s : e, pass), expected) << round;
          EXPECT_EQ(max_cluster_statistic(rule, std::span<const double>(e), split ? s : e,
                                          std::span<const double>(threshold)),
                    expected)
              << round;
          // The passing cells and their signs as bits, e NaN wherever a cell does not pass
          // (the bits' form must read e at passing cells only).
          std::vector<std::uint64_t> pass_bits((e.size() + 63) / 64),
              negative_bits(pass_bits.size());
          std::vector<double> e_passing(e.size(), std::nan(""));
          for (std::size_t c = 0; c < e.size(); ++c) {
            if (!pass[c]) continue;
            pass_bits[c / 64] |= std::uint64_t{1} << (c % 64);
            negative_bits[c / 64] |= std::uint64_t{(split ? s : e)[c] < 0} << (c % 64);
            e_passing[c] = e[c];
          }
          EXPECT_EQ(max_cluster_statistic(rule, e_passing, pass_bits, negative_bits), expected)
              << round;
        }
  }
}

TEST(PassingCount, IsTheLargestCountWithPAtMostAlpha) {
  // p = c / (K+1) <= alpha: K = 99 -> c <= 5; K = 9999 -> c <= 500; K = 10 -> c = 0.
  EXPECT_EQ(passing_count(0.05, 99), 5);
  EXPECT_EQ(passing_count(0.05, 9999), 500);
  EXPECT_EQ(passing_count(0.05, 10), 0);
  EXPECT_EQ(passing_count(0.5, 3), 2);
}

TEST(CellTopValues, ThresholdReproducesTheCountDefinition) {
  // For each value e_k: passes iff #{j : e_j >= e_k} / (K+1) <= alpha (brute force here).
  const std::vector<double> null = {0.1, 0.9, 0.5, 0.5, 0.7, 0.2, 0.9, 0.3, 0.8, 0.4, 0.6};
  const std::int64_t K = static_cast<std::int64_t>(null.size()) - 1;
  for (double alpha : {0.1, 0.2, 0.3, 0.5}) {
    const auto m = passing_count(alpha, K);
    CellTopValues top(1, static_cast<std::size_t>(m + 1));
    for (double v : null) top.push(0, v);
    const double thr = top.thresholds(K + 1)[0];
    for (double v : null) {
      std::int64_t count = 0;
      for (double w : null) count += w >= v;
      EXPECT_EQ(v > thr, static_cast<double>(count) / static_cast<double>(K + 1) <= alpha)
          << "alpha " << alpha << " value " << v;
    }
  }
}

}  // namespace
}  // namespace permrsa
