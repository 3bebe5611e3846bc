// Ranking against a plain stable comparison sort and scipy.stats.rankdata's definition of
// average ranks (ties share the mean of their 1-based positions).
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>

#include "numeric/ranks.hpp"

namespace permrsa {
namespace {

std::vector<double> reference_average_ranks(const std::vector<double>& v) {
  std::vector<std::size_t> order(v.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return v[a] < v[b]; });
  std::vector<double> ranks(v.size());
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
    for (std::size_t q = i; q <= j; ++q) ranks[order[q]] = 0.5 * static_cast<double>(i + j) + 1.0;
    i = j + 1;
  }
  return ranks;
}

TEST(AverageRanks, MatchTheDefinitionForNegativesZerosTiesAndExtremes) {
  std::mt19937 rng(4);
  std::normal_distribution<double> n(0.0, 1e3);
  for (int round = 0; round < 50; ++round) {
    std::vector<double> v(1 + rng() % 300);
    for (auto& x : v) x = (rng() % 4 == 0) ? std::round(n(rng) / 500.0) : n(rng);  // many ties
    v[0] = -0.0;
    if (v.size() > 2) v[1] = 0.0;
    if (v.size() > 3) v[2] = -1e-300;
    if (v.size() > 4) v[3] = 1e308;
    if (v.size() > 5) v[4] = -1e308;
    EXPECT_EQ(average_ranks(v), reference_average_ranks(v)) << "round " << round;
  }
  // RDM-sized columns: smooth values, heavy ties, values on the half grid (ranks and their
  // sums), and one far outlier that puts nearly all
  // values into one bucket of the bucket sort.
  for (int round = 0; round < 20; ++round) {
    std::vector<double> v(1176 + rng() % 2000);
    // Narrow integers and halves take the counting path, wide integers the 16-bit radix path,
    // the rest the bucket sort.
    for (auto& x : v)
      x = round % 4 == 0   ? std::round(n(rng) / 50.0)
          : round % 4 == 1 ? std::round(n(rng) / 10.0) / 2
          : round % 4 == 2 ? std::round(n(rng) * 2.0)
                           : n(rng);
    if (round % 5 == 3) v[rng() % v.size()] = 1e12;
    if (round % 5 == 2) v[rng() % v.size()] = -0.0;
    EXPECT_EQ(average_ranks(v), reference_average_ranks(v)) << "large round " << round;
  }
  // scipy.stats.rankdata([3, -1, 3, 0, -1]) = [4.5, 1.5, 4.5, 3, 1.5]
  EXPECT_EQ(average_ranks(std::vector<double>{3, -1, 3, 0, -1}),
            (std::vector<double>{4.5, 1.5, 4.5, 3, 1.5}));
}

TEST(DenseRanks, AreConsecutiveFromZero) {
  EXPECT_EQ(dense_ranks(std::vector<double>{2.5, -7, 2.5, 0}), (std::vector<std::int32_t>{2, 0, 2, 1}));
}

}  // namespace
}  // namespace permrsa
