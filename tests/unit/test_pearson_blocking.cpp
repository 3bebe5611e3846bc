// The Pearson kernel's cache blocking (issue 20, scope 2) must not change a bit: every output is
// one chain of multiply-adds over the pairs in order 0..P-1, whatever the pair blocks, the row
// groups, the batch or the thread count.
//
// Expected values: that chain, written here from the definition (DESIGN.md "Statistics":
// Pearson r = sum_p zM[g[p]] zB[p] with z-scored values, standardize() in numeric/ranks.hpp),
// in the kernel's precision, one fused multiply-add per pair (the kernels are compiled with
// -ffp-contract=fast, so their `acc += b * a` is one FMA when the CPU has it).
#include <gtest/gtest.h>
#include <tbb/task_arena.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/statistic_kernel.hpp"
#include "numeric/ranks.hpp"
#include "permrsa/analysis_spec.hpp"
#include "permrsa/condensed.hpp"
#include "permrsa/permutations.hpp"
#include "random_matrix.hpp"

namespace permrsa {
namespace {

template <class T>
T multiply_add(T a, T b, T acc) {
#if defined(__FMA__)
  return std::fma(a, b, acc);
#else
  return a * b + acc;
#endif
}

std::vector<double> z_scored(std::span<const double> values) {
  std::vector<double> z(values.size());
  EXPECT_TRUE(standardize(values, z));
  return z;
}

struct Shape {
  std::size_t S, L, T, batch;
};

template <class T>
void expect_in_order_chain(const Shape& s, Precision precision, int threads) {
  const std::size_t P = pair_count(s.S);
  const auto models = random_matrix(s.L, P, 11 + static_cast<unsigned>(s.S));
  const auto brain = random_matrix(P, s.T, 23 + static_cast<unsigned>(s.T));
  const auto perms = PermutationSet::generated(s.S, 100, 9);
  std::vector<std::uint32_t> gathers(s.batch * P), pi(s.S);
  for (std::size_t b = 0; b < s.batch; ++b) {
    perms.permutation(static_cast<std::int64_t>(b), pi);
    pair_gather(pi, std::span(gathers).subspan(b * P, P));
  }
  std::vector<double> out(s.batch * s.L * s.T);
  tbb::task_arena arena(threads);
  arena.execute([&] {
    make_statistic_kernel(Metric::pearson, precision, models, brain)
        ->compute(gathers, s.batch, out);
  });

  std::vector<std::vector<T>> zm(s.L), zb(s.T);
  for (std::size_t l = 0; l < s.L; ++l)
    for (double v : z_scored(models.row(l))) zm[l].push_back(static_cast<T>(v));
  std::vector<double> column(P);
  for (std::size_t t = 0; t < s.T; ++t) {
    for (std::size_t p = 0; p < P; ++p) column[p] = brain(p, t);
    for (double v : z_scored(column)) zb[t].push_back(static_cast<T>(v));
  }
  std::size_t mismatches = 0;
  for (std::size_t b = 0; b < s.batch; ++b)
    for (std::size_t l = 0; l < s.L; ++l)
      for (std::size_t t = 0; t < s.T; ++t) {
        T acc = 0;
        for (std::size_t p = 0; p < P; ++p)
          acc = multiply_add(zb[t][p], zm[l][gathers[b * P + p]], acc);
        mismatches += out[(b * s.L + l) * s.T + t] != static_cast<double>(acc);
      }
  EXPECT_EQ(mismatches, 0u) << "S = " << s.S << " (P = " << P << "), L = " << s.L << ", T = " << s.T
                            << ", batch = " << s.batch << ", " << to_string(precision) << ", "
                            << threads << " threads";
}

// P on both sides of the pair-block sizes (256 pairs of 32 KB float or double panels on
// AVX-512, 512 on AVX2, 1024 with 16-byte vectors; the blocks are balanced, so P = 276 gives two
// blocks of 138), L below, at and above the 12- or 6-row tile and not dividing it, T across the
// panel width, and batches that leave partial row tiles and fill several row groups.
const Shape kShapes[] = {
    {5, 1, 1, 1},     // P = 10: one block, one row, one time point
    {23, 5, 33, 3},   // P = 253: one block
    {24, 13, 31, 7},  // P = 276: two blocks
    {33, 12, 64, 5},  // P = 528: three blocks (two on AVX2), full tiles and panels
    {46, 22, 70, 9},  // P = 1035: five blocks (three on AVX2)
    {49, 7, 17, 40},  // P = 1176 (the seed S): many row groups
    {110, 3, 70, 2},  // P = 5995: brain panels beyond 2 MiB (3.7 MiB float64, 2.2 float32), so
                      // every block requests the next one early (numeric/prefetch_lines.hpp)
};

TEST(PearsonBlocking, Float32IsTheInOrderChainAtEveryShapeAndThreadCount) {
  for (const auto& s : kShapes)
    for (int threads : {1, 2}) expect_in_order_chain<float>(s, Precision::float32, threads);
}

TEST(PearsonBlocking, Float64IsTheInOrderChainAtEveryShapeAndThreadCount) {
  for (const auto& s : kShapes)
    for (int threads : {1, 2}) expect_in_order_chain<double>(s, Precision::float64, threads);
}

}  // namespace
}  // namespace permrsa
