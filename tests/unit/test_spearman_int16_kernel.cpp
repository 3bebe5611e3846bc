// The exact int16 Spearman kernel (src/kernels/spearman_int16_kernel.cpp) on every instruction
// path this CPU has, against a plain reference written here from the definition:
//   u = 2 * average_rank - (P + 1)   (average ranks as scipy.stats.rankdata(method="average"),
//                                      numeric/ranks.hpp, itself checked against SciPy),
//   rho = double(sum_p u_model[g[p]] u_brain[p]) / (sqrt(sum u_model^2) * sqrt(sum u_brain^2)),
// with the dot and the sums of squares in exact integer arithmetic. The expected values are
// therefore exact: every comparison is bit for bit. The older floating-point kernel
// (make_correlation_kernel_fp) must agree bit for bit wherever its sums were exact.
#include <gtest/gtest.h>
#include <tbb/global_control.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <numeric>
#include <random>

#include "kernels/spearman_int16_kernel.hpp"
#include "kernels/statistic_kernel.hpp"
#include "numeric/ranks.hpp"
#include "random_matrix.hpp"

namespace permrsa {
namespace {

__extension__ typedef __int128 Int128;

constexpr Int16Isa kAllIsas[] = {Int16Isa::generic, Int16Isa::avx2, Int16Isa::avx512bw,
                                 Int16Isa::avx512vnni};

std::vector<std::int64_t> centred(std::span<const double> values) {
  const auto r = average_ranks(values);
  std::vector<std::int64_t> u(r.size());
  for (std::size_t p = 0; p < r.size(); ++p)
    u[p] = static_cast<std::int64_t>(2 * r[p]) - static_cast<std::int64_t>(r.size() + 1);
  return u;
}

double exact_norm(const std::vector<std::int64_t>& u) {
  Int128 s = 0;
  for (auto v : u) s += static_cast<Int128>(v) * v;
  return std::sqrt(static_cast<double>(s));
}

// batch x L x T maps of the reference definition above.
std::vector<double> reference_maps(const Matrix<double>& models, const Matrix<double>& brain,
                                   const std::vector<std::uint32_t>& gathers, std::size_t batch) {
  const std::size_t L = models.rows(), P = models.cols(), T = brain.cols();
  std::vector<std::vector<std::int64_t>> um(L), ub(T);
  for (std::size_t l = 0; l < L; ++l) um[l] = centred(models.row(l));
  for (std::size_t t = 0; t < T; ++t) {
    std::vector<double> column(P);
    for (std::size_t p = 0; p < P; ++p) column[p] = brain(p, t);
    ub[t] = centred(column);
  }
  std::vector<double> out(batch * L * T);
  for (std::size_t b = 0; b < batch; ++b)
    for (std::size_t l = 0; l < L; ++l)
      for (std::size_t t = 0; t < T; ++t) {
        Int128 dot = 0;
        for (std::size_t p = 0; p < P; ++p)
          dot += static_cast<Int128>(um[l][gathers[b * P + p]]) * ub[t][p];
        out[(b * L + l) * T + t] =
            static_cast<double>(dot) / (exact_norm(um[l]) * exact_norm(ub[t]));
      }
  return out;
}

std::vector<double> kernel_maps(const StatisticKernel& kernel,
                                const std::vector<std::uint32_t>& gathers, std::size_t batch) {
  std::vector<double> out(batch * kernel.layers() * kernel.times());
  kernel.compute(gathers, batch, out);
  return out;
}

struct Shape {
  std::size_t P, L, T, batch;
};

void expect_every_path_exact(const Shape& s, double grid) {
  const auto models = random_matrix(s.L, s.P, 11, grid);
  const auto brain = random_matrix(s.P, s.T, 12, grid);
  const auto gathers = random_gathers(s.P, s.batch, 13);
  const auto expected = reference_maps(models, brain, gathers, s.batch);
  for (Int16Isa isa : kAllIsas) {
    if (!int16_isa_supported(isa)) continue;  // reported by EveryPathRunsOnThisMachine
    const auto kernel = make_spearman_int16_kernel(models, brain, isa);
    EXPECT_EQ(kernel_maps(*kernel, gathers, s.batch), expected)
        << "P = " << s.P << ", path " << int16_isa_name(isa);
  }
}

TEST(SpearmanInt16Kernel, EveryPathRunsOnThisMachine) {
  // The tests below skip paths the CPU lacks; on the development machine (AVX-512 VNNI) none is.
  for (Int16Isa isa : kAllIsas)
    if (!int16_isa_supported(isa))
      GTEST_SKIP() << "this CPU lacks " << int16_isa_name(isa) << ": that path is not tested here";
}

// P values across the kernel's boundaries (u = 2*rank - (P+1), |u| <= P-1; chunk = steps of two
// pairs that int32 sums; tiles of 12 rows x 32 times):
//   3, 45: a single step, an odd P (zero pair), fewer than one tile of rows and times;
//   1176 (S = 49), 1275, 1291: the older float32 exact-chunk limit at P (P-1)^2 < 2^31;
//   4950 (S = 100): one model plane, flushes after at least 43 steps (more where the brain's |u|
//   are small: the chunks depend on the data);
//   19900 (S = 200): two model planes (8-bit digits) beside one brain plane;
//   32768: |u| = 32767, the last P with one brain plane; 32769, 40000: two brain planes of
//   8 bits on each side, multiplied as Karatsuba's three products (low, high and their sums).
TEST(SpearmanInt16Kernel, EveryPathEqualsIntegerReferenceAcrossBoundaries) {
  for (const Shape& s :
       {Shape{3, 1, 1, 2}, Shape{45, 13, 33, 3}, Shape{1176, 3, 40, 3}, Shape{1275, 2, 33, 2},
        Shape{1291, 2, 33, 2}, Shape{4950, 2, 33, 2}, Shape{19900, 2, 33, 2},
        Shape{32768, 1, 33, 2}, Shape{32769, 1, 33, 2}, Shape{40000, 1, 33, 2}})
    expect_every_path_exact(s, 0.25);
}

// The int32 chunks end where this panel's brain values could overflow them (max|u_model| times the
// chunk's sum of |u_brain|), so they vary with the data. The largest sums come from model rows
// aligned with a brain column: here brain column 0 alternates small and large |u| along p,
// column 1 is two-valued (every |u| about P/2), and model row 0 is the signs of column 0
// (two-valued) and row 1 column 0 itself; the first gather is the identity, so every product of
// row 1 with column 0 is u^2 >= 0. The reference is the exact Int128 definition above.
TEST(SpearmanInt16Kernel, DataDependentFlushesHoldTheLargestAlignedSums) {
  for (std::size_t P : {std::size_t{4950}, std::size_t{19900}, std::size_t{40000}}) {
    const std::size_t T = 33, batch = 3;
    auto brain = random_matrix(P, T, 41, 0.25);
    Matrix<double> models(2, P);
    for (std::size_t p = 0; p < P; ++p) {
      const double v = p % 2 ? static_cast<double>(p) : -static_cast<double>(p);
      brain(p, 0) = v;
      brain(p, 1) = (p * 7919) % 3 == 0 ? 1.0 : -1.0;
      models(0, p) = v > 0 ? 1.0 : -1.0;
      models(1, p) = v;
    }
    auto gathers = random_gathers(P, batch, 42);
    std::iota(gathers.begin(), gathers.begin() + static_cast<std::ptrdiff_t>(P), 0u);
    const auto expected = reference_maps(models, brain, gathers, batch);
    for (Int16Isa isa : kAllIsas) {
      if (!int16_isa_supported(isa)) continue;
      EXPECT_EQ(kernel_maps(*make_spearman_int16_kernel(models, brain, isa), gathers, batch),
                expected)
          << "P = " << P << ", path " << int16_isa_name(isa);
    }
    EXPECT_NEAR(expected[1 * T + 0], 1.0, 1e-12) << "row 1 against column 0 under the identity";
  }
}

TEST(SpearmanInt16Kernel, StaysExactBeyondFloat64AndInt64Combination) {
  // P = 300000: P (P-1)^2 > 2^53, where the older kernel switched to z-scored ranks; P = 600000
  // > 2^19: the plane products (Karatsuba's three of 2 planes of 10 bits a side) are combined
  // in Int128. No ties (grid 1e-9) and with ties (grid 0.5).
  for (const Shape& s : {Shape{300000, 1, 2, 2}, Shape{600000, 1, 1, 2}}) {
    expect_every_path_exact(s, 1e-9);
    expect_every_path_exact(s, 0.5);
  }
}

TEST(SpearmanInt16Kernel, EqualsOlderFloatKernelWhereThatWasExact) {
  // The older kernel is exact in float32 while P (P-1)^2 < 2^31 (P <= 1290) and runs float64
  // above, exact while P (P-1)^2 < 2^53: its values must be this kernel's bit for bit.
  for (const Shape& s : {Shape{45, 5, 20, 4}, Shape{1176, 4, 40, 3}, Shape{1291, 2, 33, 2},
                         Shape{4950, 2, 33, 2}, Shape{19900, 1, 33, 2}}) {
    const auto models = random_matrix(s.L, s.P, 21, 0.25);
    const auto brain = random_matrix(s.P, s.T, 22, 0.25);
    const auto gathers = random_gathers(s.P, s.batch, 23);
    for (Precision prec : {Precision::float32, Precision::float64}) {
      const auto older =
          kernel_maps(*make_correlation_kernel_fp(true, prec, models, brain), gathers, s.batch);
      for (Int16Isa isa : kAllIsas) {
        if (!int16_isa_supported(isa)) continue;
        EXPECT_EQ(kernel_maps(*make_spearman_int16_kernel(models, brain, isa), gathers, s.batch),
                  older)
            << "P = " << s.P << ", path " << int16_isa_name(isa);
      }
    }
  }
}

TEST(SpearmanInt16Kernel, OutputDoesNotDependOnBatchOrThreads) {
  // Invariant 1: permutation b's map is the same bits alone, in any batch, on 1 or 2 threads.
  const Shape s{1275, 7, 70, 9};
  const auto models = random_matrix(s.L, s.P, 31, 0.25);
  const auto brain = random_matrix(s.P, s.T, 32, 0.25);
  const auto gathers = random_gathers(s.P, s.batch, 33);
  for (Int16Isa isa : kAllIsas) {
    if (!int16_isa_supported(isa)) continue;
    const auto kernel = make_spearman_int16_kernel(models, brain, isa);
    std::vector<double> two_threads, one_thread;
    {
      tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 2);
      two_threads = kernel_maps(*kernel, gathers, s.batch);
    }
    {
      tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 1);
      one_thread = kernel_maps(*kernel, gathers, s.batch);
    }
    EXPECT_EQ(one_thread, two_threads) << int16_isa_name(isa);
    const std::size_t cells = s.L * s.T;
    for (std::size_t b = 0; b < s.batch; ++b) {
      const std::vector<std::uint32_t> alone_gather(
          gathers.begin() + static_cast<std::ptrdiff_t>(b * s.P),
          gathers.begin() + static_cast<std::ptrdiff_t>((b + 1) * s.P));
      const auto alone = kernel_maps(*kernel, alone_gather, 1);
      EXPECT_TRUE(std::equal(alone.begin(), alone.end(),
                             two_threads.begin() + static_cast<std::ptrdiff_t>(b * cells)))
          << int16_isa_name(isa) << " b = " << b;
    }
  }
}

TEST(SpearmanInt16Kernel, EnvironmentForcesThePath) {
  const char* saved = std::getenv("PERMRSA_KERNEL_ISA");
  const std::string restore = saved ? saved : "";
  ::setenv("PERMRSA_KERNEL_ISA", "generic", 1);
  EXPECT_EQ(int16_isa_for_this_process(), Int16Isa::generic);
  ::setenv("PERMRSA_KERNEL_ISA", "avx3", 1);
  EXPECT_THROW(int16_isa_for_this_process(), std::runtime_error);
  for (Int16Isa isa : kAllIsas) {
    ::setenv("PERMRSA_KERNEL_ISA", int16_isa_name(isa), 1);
    if (int16_isa_supported(isa)) {
      EXPECT_EQ(int16_isa_for_this_process(), isa);
    } else {
      EXPECT_THROW(int16_isa_for_this_process(), std::runtime_error);
    }
  }
  ::unsetenv("PERMRSA_KERNEL_ISA");
  // Unforced: the best path this CPU has.
  const Int16Isa best = int16_isa_for_this_process();
  for (Int16Isa isa : kAllIsas) {
    if (int16_isa_supported(isa)) {
      EXPECT_GE(static_cast<int>(best), static_cast<int>(isa));
    }
  }
  if (saved) ::setenv("PERMRSA_KERNEL_ISA", restore.c_str(), 1);
}

}  // namespace
}  // namespace permrsa
