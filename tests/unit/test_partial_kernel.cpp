// The partial kernels (issue 17) against plain reference loops written here from the
// definitions in kernels/partial_kernel.hpp (q = 1: (r_xy - r_xz r_yz) / sqrt((1 - r_xz^2)
// (1 - r_yz^2)), vegan's mantel.partial), and the invariant that a permutation's map does not
// depend on its batch or on the block's other rows; the p adjustments against hand-worked values.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <random>

#include "core/p_adjustments.hpp"
#include "kernels/partial_kernel.hpp"
#include "permrsa/analysis_spec.hpp"
#include "permrsa/condensed.hpp"
#include "permrsa/error.hpp"
#include "permrsa/permutations.hpp"
#include "random_matrix.hpp"

namespace permrsa {
namespace {

double pearson(const std::vector<double>& x, const std::vector<double>& y) {
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

std::vector<std::uint32_t> gathers_for(const PermutationSet& set, std::int64_t first,
                                       std::size_t count) {
  const std::size_t P = pair_count(set.stimuli());
  std::vector<std::uint32_t> out(count * P), pi(set.stimuli());
  for (std::size_t b = 0; b < count; ++b) {
    set.permutation(first + static_cast<std::int64_t>(b), pi);
    pair_gather(pi, std::span(out).subspan(b * P, P));
  }
  return out;
}

struct Problem {
  static constexpr std::size_t S = 10, L = 3, T = 7;
  std::size_t P = pair_count(S);
  Matrix<double> z = random_matrix(1, P, 3);
  Matrix<double> models = random_matrix(L, P, 1), brain = random_matrix(P, T, 2);
  PermutationSet perms = PermutationSet::generated(S, 50, 9);
  Problem() {  // models and brain share the covariate, so partialling changes the values
    for (std::size_t p = 0; p < P; ++p) {
      for (std::size_t l = 0; l < L; ++l) models(l, p) += 0.7 * z(0, p);
      for (std::size_t t = 0; t < T; ++t) brain(p, t) += 0.5 * z(0, p);
    }
  }
};

TEST(PartialKernel, FormulaMatchesThePartialCorrelationOfThePermutedModel) {
  const Problem c;
  const auto kernel = make_partial_kernel(Metric::pearson, Precision::float64,
                                          PartialDefinition::formula, c.models, c.brain, c.z);
  const std::size_t batch = 5, cells = c.L * c.T;
  std::vector<double> out(batch * cells);
  const auto g = gathers_for(c.perms, 0, batch);
  kernel->compute(g, batch, out);
  std::vector<double> x(c.P), y(c.P), z(c.z.values());
  for (std::size_t b = 0; b < batch; ++b)
    for (std::size_t l = 0; l < c.L; ++l)
      for (std::size_t t = 0; t < c.T; ++t) {
        for (std::size_t p = 0; p < c.P; ++p) {
          x[p] = c.models(l, g[b * c.P + p]);
          y[p] = c.brain(p, t);
        }
        const double rxy = pearson(x, y), rxz = pearson(x, z), ryz = pearson(y, z);
        const double want = (rxy - rxz * ryz) / std::sqrt((1 - rxz * rxz) * (1 - ryz * ryz));
        EXPECT_NEAR(out[b * cells + l * c.T + t], want, 1e-12) << b << " " << l << " " << t;
      }
}

TEST(PartialKernel, OutputDoesNotDependOnBatchOrOtherRows) {
  // Invariant 1: permutation k's value at (l, t) is the same bits alone, inside any batch, and
  // when the block holds only that layer.
  const Problem c;
  for (auto definition : {PartialDefinition::formula, PartialDefinition::residual,
                          PartialDefinition::freedman_lane}) {
    for (Metric m : {Metric::pearson, Metric::spearman, Metric::kendall_b}) {
      if (definition == PartialDefinition::freedman_lane && m == Metric::kendall_b) continue;
      const auto kernel =
          make_partial_kernel(m, Precision::float32, definition, c.models, c.brain, c.z);
      const std::size_t batch = 9, cells = c.L * c.T;
      std::vector<double> together(batch * cells);
      kernel->compute(gathers_for(c.perms, 2, batch), batch, together);
      Matrix<double> last(1, c.P);
      std::copy(c.models.row(c.L - 1).begin(), c.models.row(c.L - 1).end(), last.row(0).begin());
      const auto one_row =
          make_partial_kernel(m, Precision::float32, definition, last, c.brain, c.z);
      for (std::size_t b = 0; b < batch; ++b) {
        const auto g = gathers_for(c.perms, 2 + static_cast<std::int64_t>(b), 1);
        std::vector<double> alone(cells), row(c.T);
        kernel->compute(g, 1, alone);
        one_row->compute(g, 1, row);
        const auto first = together.begin() + static_cast<std::ptrdiff_t>(b * cells);
        EXPECT_TRUE(std::equal(alone.begin(), alone.end(), first))
            << to_string(m) << " k " << 2 + b;
        EXPECT_TRUE(std::equal(row.begin(), row.end(),
                               first + static_cast<std::ptrdiff_t>((c.L - 1) * c.T)))
            << to_string(m) << " k " << 2 + b;
      }
    }
  }
}

TEST(PartialKernel, CollinearCovariatesAreAnInputError) {
  const Problem c;
  Matrix<double> z(2, c.P);
  for (std::size_t p = 0; p < c.P; ++p) {
    z(0, p) = c.z(0, p);
    z(1, p) = 3.0 * c.z(0, p) - 1.0;
  }
  EXPECT_THROW(make_partial_kernel(Metric::pearson, Precision::float64, PartialDefinition::formula,
                                   c.models, c.brain, z),
               InputError);
  EXPECT_THROW(make_partial_kernel(Metric::pearson, Precision::float64, PartialDefinition::residual,
                                   c.models, c.brain, z),
               InputError);
}

TEST(PAdjustments, MatchHandWorkedValuesWithTies) {
  // p = (0.01, 0.04, 0.03, 0.04, 0.5), m = 5. Ascending: 0.01, 0.03, 0.04, 0.04, 0.5.
  // BH: p_(i) m / i = 0.05, 0.075, 0.0667, 0.05, 0.5 -> running min from the top:
  //     0.05, 0.05, 0.05, 0.05, 0.5. Holm: (m - i + 1) p_(i) = 0.05, 0.12, 0.12, 0.08, 0.5 ->
  //     running max: 0.05, 0.12, 0.12, 0.12, 0.5. Bonferroni: min(1, 5 p).
  const std::vector<double> p{0.01, 0.04, 0.03, 0.04, 0.5};
  const auto bh = benjamini_hochberg(p), holm_p = holm(p), bonf = bonferroni(p);
  const std::vector<double> want_bh{0.05, 0.05, 0.05, 0.05, 0.5};
  const std::vector<double> want_holm{0.05, 0.12, 0.12, 0.12, 0.5};
  const std::vector<double> want_bonf{0.05, 0.2, 0.15, 0.2, 1.0};
  for (std::size_t i = 0; i < p.size(); ++i) {
    EXPECT_NEAR(bh[i], want_bh[i], 1e-15) << i;
    EXPECT_NEAR(holm_p[i], want_holm[i], 1e-15) << i;
    EXPECT_NEAR(bonf[i], want_bonf[i], 1e-15) << i;
  }
}

}  // namespace
}  // namespace permrsa
