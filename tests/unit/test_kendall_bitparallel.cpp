// The bit-parallel Kendall kernel against the merge-sort kernel (Knight's algorithm, the kernel
// it replaces below the crossover) and against a plain O(P^2) count of concordant, discordant
// and tied pairs written here from the definition (DESIGN.md "Statistics"; tau-b as
// scipy.stats.kendalltau 1.10: (n_c - n_d) / sqrt(n0 - n1) / sqrt(n0 - n2), clipped to [-1, 1];
// tau-a = (n_c - n_d) / n0). All three count the same integers, so the expected values are
// exact: every comparison is EXPECT_EQ on doubles, never a tolerance.
//
// Data: normal values rounded to a grid (ties on that side) or left continuous; gathers are
// random permutations of the P entries (std::shuffle with a fixed seed) plus the identity. P
// crosses the 64-bit word (n0 = 55 / 66 at P = 11 / 12), the 8-word vector (P = 32 / 33), the
// 512-word chunk (n0 = 32640 / 32896 at P = 256 / 257) and the row lengths 63 / 64 / 65 of one
// vector compare step.
#include <gtest/gtest.h>
#include <tbb/global_control.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "kernels/kendall_bits.hpp"
#include "kernels/kendall_kernel.hpp"
#include "permrsa/error.hpp"
#include "random_matrix.hpp"

namespace permrsa {
namespace {

// Kendall's tau of (x, y) by counting every pair (p, q), p < q.
double counted_kendall(const std::vector<double>& x, const std::vector<double>& y, bool tau_b) {
  const std::size_t n = x.size();
  std::int64_t concordant = 0, discordant = 0, x_ties = 0, y_ties = 0;
  for (std::size_t p = 0; p < n; ++p)
    for (std::size_t q = p + 1; q < n; ++q) {
      const int sx = (x[p] > x[q]) - (x[p] < x[q]), sy = (y[p] > y[q]) - (y[p] < y[q]);
      x_ties += sx == 0;
      y_ties += sy == 0;
      concordant += sx * sy > 0;
      discordant += sx * sy < 0;
    }
  const auto n0 = static_cast<std::int64_t>(n * (n - 1) / 2);
  const auto s = static_cast<double>(concordant - discordant);
  if (!tau_b) return s / static_cast<double>(n0);
  const double tau =
      s / std::sqrt(static_cast<double>(n0 - x_ties)) / std::sqrt(static_cast<double>(n0 - y_ties));
  return std::min(1.0, std::max(-1.0, tau));
}

struct Problem {
  std::size_t P, L, T, batch;
  Matrix<double> models, brain;
  std::vector<std::uint32_t> gathers;
  Problem(std::size_t pairs, std::size_t layers, std::size_t times, std::size_t b,
          double model_grid, double brain_grid, unsigned seed)
      : P(pairs),
        L(layers),
        T(times),
        batch(b),
        models(random_matrix(layers, pairs, seed, model_grid)),
        brain(random_matrix(pairs, times, seed + 1, brain_grid)),
        gathers(random_gathers(pairs, b, seed + 2)) {}

  std::vector<double> run(const StatisticKernel& kernel) const {
    std::vector<double> out(batch * L * T);
    kernel.compute(gathers, batch, out);
    return out;
  }

  std::vector<double> counted(bool tau_b) const {
    std::vector<double> out(batch * L * T), x(P), y(P);
    for (std::size_t b = 0; b < batch; ++b)
      for (std::size_t l = 0; l < L; ++l)
        for (std::size_t t = 0; t < T; ++t) {
          for (std::size_t p = 0; p < P; ++p) {
            x[p] = models(l, gathers[b * P + p]);
            y[p] = brain(p, t);
          }
          out[(b * L + l) * T + t] = counted_kendall(x, y, tau_b);
        }
    return out;
  }
};

std::vector<PopcountPath> paths() {
  std::vector<PopcountPath> out{PopcountPath::portable};
  if (cpu_has_avx512_popcount()) out.push_back(PopcountPath::avx512);
  return out;
}

std::string name(PopcountPath path) {
  return path == PopcountPath::avx512 ? "avx512" : "portable";
}

TEST(KendallBitParallel, ComparisonBitsFromAnyStartMatchTheDefinition) {
  // Expected bits from the definition: position k of the triangle is (p, q) in condensed order.
  const std::size_t n = 70;
  std::mt19937 rng(11);
  std::vector<std::int16_t> v(n + 64, 0);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::int16_t>(rng() % 9);
  std::vector<std::pair<std::size_t, std::size_t>> positions;
  for (std::size_t p = 0; p < n; ++p)
    for (std::size_t q = p + 1; q < n; ++q) positions.emplace_back(p, q);
  for (PopcountPath path : paths())
    for (std::uint64_t first : {0u, 1u, 63u, 64u, 68u, 200u, 2000u}) {
      const std::uint64_t bits = std::min<std::uint64_t>(300, positions.size() - first);
      const TrianglePos start = triangle_pos(n, first);
      ASSERT_EQ(start.p, positions[first].first);
      ASSERT_EQ(start.q, positions[first].second);
      std::vector<std::uint64_t> sign(6, ~0ull), nonzero(6, ~0ull);
      comparison_bits(path, v.data(), n, start, bits, 6, sign.data(), nonzero.data());
      for (std::uint64_t k = 0; k < 6 * 64; ++k) {
        const bool s = (sign[k / 64] >> (k % 64)) & 1, z = (nonzero[k / 64] >> (k % 64)) & 1;
        if (k >= bits) {
          EXPECT_FALSE(s || z) << "bit past the run, k = " << k;
          continue;
        }
        const auto [p, q] = positions[first + k];
        EXPECT_EQ(s, v[p] > v[q]) << name(path) << " first " << first << " k " << k;
        EXPECT_EQ(z, v[p] != v[q]) << name(path) << " first " << first << " k " << k;
      }
    }
}

TEST(KendallBitParallel, EqualsMergeSortAndPairCountingBitForBit) {
  // model grid, brain grid: every combination of sides with and without ties.
  const std::pair<double, double> ties[] = {{0.0, 0.0}, {0.5, 0.0}, {0.0, 0.25}, {0.5, 0.25}};
  for (std::size_t P :
       {3u, 11u, 12u, 32u, 33u, 63u, 64u, 65u, 66u, 127u, 128u, 129u, 256u, 257u, 1176u, 4950u}) {
    const std::size_t L = P > 1000 ? 2 : 3, T = P > 1000 ? 3 : 6, batch = P > 1000 ? 2 : 4;
    for (std::size_t c = 0; c < 4; ++c) {
      const Problem prob(P, L, T, batch, ties[c].first, ties[c].second,
                         static_cast<unsigned>(P + c));
      for (Metric m : {Metric::kendall_b, Metric::kendall_a}) {
        const bool tau_b = m == Metric::kendall_b;
        const auto expected = prob.counted(tau_b);
        const auto merged = prob.run(*make_merge_sort_kendall_kernel(m, prob.models, prob.brain));
        EXPECT_EQ(merged, expected) << "merge sort, P = " << P << " ties " << c;
        for (PopcountPath path : paths()) {
          const auto bits =
              prob.run(*make_bit_parallel_kendall_kernel(m, prob.models, prob.brain, path));
          EXPECT_EQ(bits, expected)
              << name(path) << " P = " << P << " ties " << c << " tau_b " << tau_b;
        }
      }
    }
  }
}

TEST(KendallBitParallel, SeedShapePairsWithTiesEqualPairCounting) {
  // P = 1176 (49 stimuli) with ties on both sides, rows and columns off the 4 x 4 tiles and the
  // 16-row task groups (5 x 3 = 15 rows, 2 x 9 = 18 rows).
  for (std::size_t batch : {5u, 9u}) {
    const Problem prob(1176, batch == 5 ? 3 : 2, 9, batch, 0.3, 0.2, 7);
    for (PopcountPath path : paths()) {
      const auto bits = prob.run(
          *make_bit_parallel_kendall_kernel(Metric::kendall_b, prob.models, prob.brain, path));
      EXPECT_EQ(bits, prob.counted(true)) << name(path) << " batch " << batch;
    }
  }
}

TEST(KendallBitParallel, TimeBlocksGiveTheSameBitsAsStoredPlanes) {
  // A budget below one column's planes builds them again per time point; 3 columns' worth, in
  // blocks of 3, 3 and 1.
  for (const auto& [model_grid, brain_grid] : {std::pair{0.0, 0.0}, std::pair{0.5, 0.25}}) {
    const Problem prob(300, 3, 7, 3, model_grid, brain_grid, 21);
    for (PopcountPath path : paths()) {
      const auto stored = prob.run(
          *make_bit_parallel_kendall_kernel(Metric::kendall_b, prob.models, prob.brain, path));
      // P = 300: n0 = 44850 bits = 701 words, two chunks of 512: 1024 words per plane.
      const std::size_t column_bytes = 1024 * 8 * (brain_grid > 0 ? 2 : 1);
      for (std::size_t budget : {std::size_t{1}, 3 * column_bytes}) {
        const auto blocked = prob.run(*make_bit_parallel_kendall_kernel(
            Metric::kendall_b, prob.models, prob.brain, path, budget));
        EXPECT_EQ(blocked, stored) << name(path) << " budget " << budget;
      }
    }
  }
}

TEST(KendallBitParallel, OutputDoesNotDependOnBatchOrThreads) {
  // Invariant 1: permutation b's map is the same bits alone, inside any batch, on 1 or 2 threads.
  const Problem prob(1176, 3, 5, 7, 0.0, 0.25, 31);
  for (PopcountPath path : paths()) {
    const auto kernel =
        make_bit_parallel_kendall_kernel(Metric::kendall_b, prob.models, prob.brain, path);
    const std::size_t cells = prob.L * prob.T;
    std::vector<double> two_threads, one_thread;
    {
      tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 2);
      two_threads = prob.run(*kernel);
    }
    {
      tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 1);
      one_thread = prob.run(*kernel);
    }
    EXPECT_EQ(one_thread, two_threads) << name(path);
    for (std::size_t b = 0; b < prob.batch; ++b) {
      std::vector<double> alone(cells);
      kernel->compute(std::span(prob.gathers).subspan(b * prob.P, prob.P), 1, alone);
      EXPECT_TRUE(std::equal(alone.begin(), alone.end(),
                             two_threads.begin() + static_cast<std::ptrdiff_t>(b * cells)))
          << name(path) << " b = " << b;
    }
  }
}

TEST(KendallBitParallel, AutomaticChoosesBitsBelowTheCrossoverAndMergeSortAbove) {
  EXPECT_EQ(kendall_method_for(1176, PopcountPath::avx512), KendallMethod::bit_parallel);
  EXPECT_EQ(kendall_method_for(kKendallBitParallelMaxPairs, PopcountPath::avx512),
            KendallMethod::bit_parallel);
  EXPECT_EQ(kendall_method_for(kKendallBitParallelMaxPairs + 1, PopcountPath::avx512),
            KendallMethod::merge_sort);
  EXPECT_EQ(kendall_method_for(kKendallPortableMaxPairs + 1, PopcountPath::portable),
            KendallMethod::merge_sort);
  EXPECT_EQ(kendall_method_for(19900, PopcountPath::avx512), KendallMethod::merge_sort);
}

TEST(KendallBitParallel, EnvironmentForcesAMethodAndRejectsOthers) {
  ::setenv("PERMRSA_KENDALL_METHOD", "merge-sort", 1);
  EXPECT_EQ(kendall_method_from_environment(), KendallMethod::merge_sort);
  ::setenv("PERMRSA_KENDALL_METHOD", "bit-parallel", 1);
  EXPECT_EQ(kendall_method_from_environment(), KendallMethod::bit_parallel);
  ::setenv("PERMRSA_KENDALL_METHOD", "bits", 1);
  EXPECT_THROW(kendall_method_from_environment(), InputError);
  ::unsetenv("PERMRSA_KENDALL_METHOD");
  EXPECT_EQ(kendall_method_from_environment(), KendallMethod::automatic);
}

}  // namespace
}  // namespace permrsa
