// The permutation kernels against plain O(P^2) / double-precision reference loops written
// here from the definitions (DESIGN.md "Statistics"; tau-b as scipy.stats.kendalltau 1.10).
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <random>

#include "numeric/ranks.hpp"
#include "kernels/inversion_count.hpp"
#include "kernels/statistic_kernel.hpp"
#include "permrsa/analysis_spec.hpp"
#include "permrsa/condensed.hpp"
#include "permrsa/permutations.hpp"
#include "random_matrix.hpp"

namespace permrsa {
namespace {

// Data with ties on both sides: values rounded to a coarse grid.
std::vector<std::uint32_t> gathers_for(const PermutationSet& set, std::int64_t first, std::size_t count) {
  const std::size_t P = pair_count(set.stimuli());
  std::vector<std::uint32_t> out(count * P), pi(set.stimuli());
  for (std::size_t b = 0; b < count; ++b) {
    set.permutation(first + static_cast<std::int64_t>(b), pi);
    pair_gather(pi, std::span(out).subspan(b * P, P));
  }
  return out;
}

double brute_kendall(const std::vector<double>& x, const std::vector<double>& y, bool tau_b) {
  const std::size_t n = x.size();
  double con = 0, dis = 0, xt = 0, yt = 0;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = i + 1; j < n; ++j) {
      const double dx = x[i] - x[j], dy = y[i] - y[j];
      if (dx == 0) ++xt;
      if (dy == 0) ++yt;
      if (dx * dy > 0) ++con;
      if (dx * dy < 0) ++dis;
    }
  const double n0 = static_cast<double>(n * (n - 1) / 2);
  if (!tau_b) return (con - dis) / n0;
  return (con - dis) / std::sqrt(n0 - xt) / std::sqrt(n0 - yt);
}

double brute_pearson(const std::vector<double>& x, const std::vector<double>& y) {
  const double n = static_cast<double>(x.size());
  const double mx = std::accumulate(x.begin(), x.end(), 0.0) / n;
  const double my = std::accumulate(y.begin(), y.end(), 0.0) / n;
  double sxy = 0, sxx = 0, syy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  return sxy / std::sqrt(sxx * syy);
}

struct Case {
  std::size_t S = 9, L = 3, T = 17;
  Matrix<double> models, brain;
  PermutationSet perms = PermutationSet::generated(9, 200, 5);
  Case(double grid) : models(random_matrix(3, pair_count(9), 1, grid)), brain(random_matrix(pair_count(9), 17, 2, grid)) {}

  // reference value of permutation k at (l, t)
  template <class F>
  double reference(std::int64_t k, std::size_t l, std::size_t t, F metric) const {
    const std::size_t P = pair_count(S);
    const auto g = gathers_for(perms, k, 1);
    std::vector<double> x(P), y(P);
    for (std::size_t p = 0; p < P; ++p) {
      x[p] = models(l, g[p]);
      y[p] = brain(p, t);
    }
    return metric(x, y);
  }
};

TEST(InversionCount, MatchesQuadraticCount) {
  std::mt19937 rng(3);
  for (std::size_t n : {0u, 1u, 2u, 15u, 16u, 17u, 33u, 100u, 1000u}) {
    std::vector<std::int32_t> a(n), counters(64);
    for (auto& v : a) v = static_cast<std::int32_t>(rng() % 37);  // many ties
    std::int64_t expected = 0;
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = i + 1; j < n; ++j) expected += a[i] > a[j];
    EXPECT_EQ(bits_for(36), 6);
    EXPECT_EQ(count_inversions(a.data(), n, 6, counters.data()), expected) << "n = " << n;
  }
}

TEST(KendallKernel, MatchesPairCountingWithTiesOnBothSides) {
  Case c(0.5);
  for (Metric m : {Metric::kendall_b, Metric::kendall_a}) {
    const auto kernel = make_statistic_kernel(m, Precision::float64, c.models, c.brain);
    const std::size_t batch = 5;
    std::vector<double> out(batch * c.L * c.T);
    kernel->compute(gathers_for(c.perms, 0, batch), batch, out);
    for (std::size_t b = 0; b < batch; ++b)
      for (std::size_t l = 0; l < c.L; ++l)
        for (std::size_t t = 0; t < c.T; ++t) {
          const double expected = c.reference(static_cast<std::int64_t>(b), l, t, [&](auto& x, auto& y) {
            return brute_kendall(x, y, m == Metric::kendall_b);
          });
          EXPECT_NEAR(out[(b * c.L + l) * c.T + t], expected, 1e-14);
        }
  }
}

TEST(CorrelationKernel, PearsonMatchesDoubleLoop) {
  Case c(0.0);
  for (Precision prec : {Precision::float64, Precision::float32}) {
    const auto kernel = make_statistic_kernel(Metric::pearson, prec, c.models, c.brain);
    std::vector<double> out(4 * c.L * c.T);
    kernel->compute(gathers_for(c.perms, 0, 4), 4, out);
    const double tol = prec == Precision::float64 ? 1e-13 : 2e-6;
    for (std::size_t b = 0; b < 4; ++b)
      for (std::size_t l = 0; l < c.L; ++l)
        for (std::size_t t = 0; t < c.T; ++t)
          EXPECT_NEAR(out[(b * c.L + l) * c.T + t],
                      c.reference(static_cast<std::int64_t>(b), l, t, brute_pearson), tol);
  }
}

TEST(CorrelationKernel, SpearmanIsExactInBothPrecisions) {
  // Spearman = Pearson of average ranks (scipy.stats.spearmanr); exact integer sums make the
  // float32 and float64 kernels agree to the last bit.
  Case c(0.5);
  const auto k64 = make_statistic_kernel(Metric::spearman, Precision::float64, c.models, c.brain);
  const auto k32 = make_statistic_kernel(Metric::spearman, Precision::float32, c.models, c.brain);
  const std::size_t batch = 6;
  std::vector<double> o64(batch * c.L * c.T), o32(o64.size());
  const auto g = gathers_for(c.perms, 0, batch);
  k64->compute(g, batch, o64);
  k32->compute(g, batch, o32);
  EXPECT_EQ(o64, o32);
  for (std::size_t b = 0; b < batch; ++b)
    for (std::size_t l = 0; l < c.L; ++l)
      for (std::size_t t = 0; t < c.T; ++t)
        EXPECT_NEAR(o64[(b * c.L + l) * c.T + t],
                    c.reference(static_cast<std::int64_t>(b), l, t, [](auto& x, auto& y) {
                      return brute_pearson(average_ranks(x), average_ranks(y));
                    }), 1e-13);
}

TEST(StatisticKernels, OutputDoesNotDependOnBatchComposition) {
  // Invariant 1: permutation k's map is the same bits alone or inside any batch.
  Case c(0.0);
  for (Metric m : {Metric::pearson, Metric::spearman, Metric::kendall_b}) {
    for (Precision prec : {Precision::float32, Precision::float64}) {
      const auto kernel = make_statistic_kernel(m, prec, c.models, c.brain);
      const std::size_t cells = c.L * c.T, batch = 11;
      std::vector<double> together(batch * cells);
      kernel->compute(gathers_for(c.perms, 3, batch), batch, together);
      for (std::size_t b = 0; b < batch; ++b) {
        std::vector<double> alone(cells);
        kernel->compute(gathers_for(c.perms, 3 + static_cast<std::int64_t>(b), 1), 1, alone);
        EXPECT_TRUE(std::equal(alone.begin(), alone.end(), together.begin() + static_cast<std::ptrdiff_t>(b * cells)))
            << to_string(m) << " " << to_string(prec) << " k = " << 3 + b;
      }
    }
  }
}

}  // namespace
}  // namespace permrsa
