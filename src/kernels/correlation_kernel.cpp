// Pearson / Spearman under permutation as a gather plus a matrix product.
//
// A permutation only reorders an RDM, so both sides are prepared once and a batch of
// permutations is one product C = A B, with A = (batch*L) x P gathered model rows and
// B = P x T brain columns: 2*P*L*T flop per permutation.
//
// Pearson: z-scored values, r = sum_p zM[l][g[p]] zB[p][t].
// Spearman: doubled centred average ranks, u = 2*rank - (P+1), which are integers, so the
// dot product is an exact integer and rho = dot / (|u_l| |u_t|). Exact sums make the value
// independent of summation order and make mathematically equal values of different
// permutations bit-equal, so ties in the permutation distribution count exactly. The engine
// computes Spearman with the int16 kernel (spearman_int16_kernel.cpp), exact at every P; the
// floating-point Spearman here is the older path, kept as its cross-check and benchmark
// baseline (make_correlation_kernel_fp). It is exact only while the sums fit the mantissa: in
// float32 the FMAs run in chunks short enough to stay exact (< 2^24), flushed to int32.
//
// Fixed summation order: the micro-kernels vectorise over outputs (time points) and walk the
// pairs p = 0..P-1 in order for every output. Zero padding keeps every output on the same code
// path, so no output depends on the batch, the tile or the thread (see statistic_kernel.hpp).
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "numeric/ranks.hpp"
#include "kernels/spearman_int16_kernel.hpp"
#include "kernels/statistic_kernel.hpp"
#include "permrsa/error.hpp"

namespace permrsa {
namespace {

#if defined(__AVX512F__)
constexpr std::size_t kVectorBytes = 64;
#elif defined(__AVX__)
constexpr std::size_t kVectorBytes = 32;
#else
constexpr std::size_t kVectorBytes = 16;
#endif

template <class T>
struct Simd {
  typedef T vec __attribute__((vector_size(kVectorBytes)));
  // The same vector for unaligned loads and stores from T arrays.
  typedef T unaligned __attribute__((vector_size(kVectorBytes), aligned(alignof(T)), may_alias));
  static constexpr std::size_t lanes = kVectorBytes / sizeof(T);
};

constexpr std::size_t kRows = 6;     // MR: model rows per micro-tile
constexpr std::size_t kVectors = 2;  // NR = kVectors * lanes time points per micro-tile

// C[0..MR)[0..NR) = A_panel^T B_panel, pairs [begin, end) added to `acc` in order.
// a: P x MR (row r at a[p*MR + r]); b: P x NR. Flop: 2*MR*NR*(end-begin).
// Bytes read: (end-begin)*(MR + NR)*sizeof(T). The 12 accumulators are named so that they
// stay in registers.
template <class T>
struct Tile {
  using V = typename Simd<T>::vec;
  V c00{}, c01{}, c10{}, c11{}, c20{}, c21{}, c30{}, c31{}, c40{}, c41{}, c50{}, c51{};

  inline void accumulate(const T* __restrict a, const T* __restrict b, std::size_t begin,
                         std::size_t end) {
    using U = typename Simd<T>::unaligned;
    constexpr std::size_t W = Simd<T>::lanes;
    for (std::size_t p = begin; p < end; ++p) {
      const V b0 = *reinterpret_cast<const U*>(b + p * 2 * W);
      const V b1 = *reinterpret_cast<const U*>(b + p * 2 * W + W);
      const T* ap = a + p * kRows;
      // One fused multiply-add per output and pair, pairs in order: the fixed summation order.
      c00 += b0 * ap[0]; c01 += b1 * ap[0];
      c10 += b0 * ap[1]; c11 += b1 * ap[1];
      c20 += b0 * ap[2]; c21 += b1 * ap[2];
      c30 += b0 * ap[3]; c31 += b1 * ap[3];
      c40 += b0 * ap[4]; c41 += b1 * ap[4];
      c50 += b0 * ap[5]; c51 += b1 * ap[5];
    }
  }
  template <class F>
  inline void for_each(F&& f) const {
    const V* all[kRows][kVectors] = {{&c00, &c01}, {&c10, &c11}, {&c20, &c21},
                                     {&c30, &c31}, {&c40, &c41}, {&c50, &c51}};
    for (std::size_t r = 0; r < kRows; ++r)
      for (std::size_t v = 0; v < kVectors; ++v) f(r, v, *all[r][v]);
  }
};

// Real-valued tile: out[r*ldc + j] = sum_p a[p][r] b[p][j].
template <class T>
__attribute__((noinline)) void micro_tile(const T* __restrict a, const T* __restrict b,
                                          std::size_t pairs, double* __restrict out,
                                          std::size_t ldc) {
  constexpr std::size_t W = Simd<T>::lanes;
  Tile<T> tile;
  tile.accumulate(a, b, 0, pairs);
  tile.for_each([&](std::size_t r, std::size_t v, const typename Simd<T>::vec& x) {
    for (std::size_t i = 0; i < W; ++i) out[r * ldc + v * W + i] = static_cast<double>(x[i]);
  });
}

// Integer-valued float32 tile, exact: chunks of `chunk` pairs keep every partial sum below
// 2^24 (exact in float32), and each chunk's sum is added to int32 accumulators.
__attribute__((noinline)) void micro_tile_exact(const float* __restrict a, const float* __restrict b,
                                                std::size_t pairs, std::size_t chunk,
                                                double* __restrict out, std::size_t ldc) {
  using I = std::int32_t __attribute__((vector_size(kVectorBytes)));
  constexpr std::size_t W = Simd<float>::lanes;
  I sums[kRows][kVectors] = {};
  for (std::size_t begin = 0; begin < pairs; begin += chunk) {
    Tile<float> tile;
    tile.accumulate(a, b, begin, std::min(pairs, begin + chunk));
    tile.for_each([&](std::size_t r, std::size_t v, const Simd<float>::vec& x) {
      sums[r][v] += __builtin_convertvector(x, I);
    });
  }
  for (std::size_t r = 0; r < kRows; ++r)
    for (std::size_t v = 0; v < kVectors; ++v)
      for (std::size_t i = 0; i < W; ++i) out[r * ldc + v * W + i] = static_cast<double>(sums[r][v][i]);
}

// Doubled centred average ranks u = 2*rank - (P+1): integers summing to 0.
std::vector<double> centred_ranks(std::span<const double> values) {
  auto u = average_ranks(values);
  const double shift = static_cast<double>(values.size()) + 1.0;
  for (auto& v : u) v = 2.0 * v - shift;
  return u;
}

double norm(const std::vector<double>& u) {
  double s = 0;
  for (double v : u) s += v * v;  // exact: integers below 2^53
  return std::sqrt(s);
}

template <class T>
class CorrelationKernel final : public StatisticKernel {
 public:
  CorrelationKernel(bool ranked, const Matrix<double>& models, const Matrix<double>& brain)
      : ranked_(ranked), layers_(models.rows()), pairs_(models.cols()), times_(brain.cols()) {
    if (brain.rows() != pairs_) throw InternalError("correlation kernel: P mismatch");
    constexpr std::size_t nr = kVectors * Simd<T>::lanes;
    panels_ = (times_ + nr - 1) / nr;
    if (ranked_ && !(exact_ = plan_exact_sums()))
      throw InternalError("correlation kernel: floating-point Spearman sums would not be exact");
    // Model side: L x P, z-scored (Pearson) or centred ranks (Spearman).
    zmodels_.assign(layers_ * pairs_, T{});
    model_norm_.assign(layers_, 1.0);
    std::vector<double> z(pairs_);
    for (std::size_t l = 0; l < layers_; ++l) {
      prepare(models.row(l), z, model_norm_[l]);
      for (std::size_t p = 0; p < pairs_; ++p) zmodels_[l * pairs_ + p] = static_cast<T>(z[p]);
    }
    // Brain side: packed per panel as P x NR, zero-padded.
    packed_brain_.assign(panels_ * pairs_ * nr, T{});
    brain_norm_.assign(panels_ * nr, 1.0);
    // Columns are independent (each writes its own lane): prepared in parallel.
    tbb::parallel_for(std::size_t{0}, times_, [&](std::size_t t) {
      std::vector<double> column(pairs_), zt(pairs_);
      for (std::size_t p = 0; p < pairs_; ++p) column[p] = brain(p, t);
      prepare(column, zt, brain_norm_[t]);
      const std::size_t panel = t / nr, lane = t % nr;
      for (std::size_t p = 0; p < pairs_; ++p)
        packed_brain_[(panel * pairs_ + p) * nr + lane] = static_cast<T>(zt[p]);
    });
  }

  std::size_t layers() const override { return layers_; }
  std::size_t times() const override { return times_; }
  std::size_t pairs() const override { return pairs_; }
  double work_per_permutation() const override {
    return 2.0 * static_cast<double>(pairs_ * layers_ * times_);
  }

  void compute(std::span<const std::uint32_t> gathers, std::size_t batch,
               std::span<double> out) const override {
    constexpr std::size_t nr = kVectors * Simd<T>::lanes;
    const std::size_t rows = batch * layers_;
    const std::size_t blocks = (rows + kRows - 1) / kRows;
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, blocks, 2),
                      [&](const tbb::blocked_range<std::size_t>& range) {
                        std::vector<T> a(pairs_ * kRows);
                        std::vector<double> c(kRows * nr);
                        for (std::size_t blk = range.begin(); blk != range.end(); ++blk) {
                          gather_rows(gathers, rows, blk, a);
                          for (std::size_t panel = 0; panel < panels_; ++panel) {
                            tile(a.data(), packed_brain_.data() + panel * pairs_ * nr, c.data());
                            write_tile(c, rows, blk, panel, out);
                          }
                        }
                      });
  }

 private:
  // The permuted model rows of tile `blk`, pair-major (zero rows past the end).
  void gather_rows(std::span<const std::uint32_t> gathers, std::size_t rows, std::size_t blk,
                   std::vector<T>& a) const {
    for (std::size_t r = 0; r < kRows; ++r) {
      const std::size_t row = blk * kRows + r;
      if (row >= rows) {
        for (std::size_t p = 0; p < pairs_; ++p) a[p * kRows + r] = T{};
        continue;
      }
      const std::uint32_t* g = gathers.data() + (row / layers_) * pairs_;
      const T* z = zmodels_.data() + (row % layers_) * pairs_;
      for (std::size_t p = 0; p < pairs_; ++p) a[p * kRows + r] = z[g[p]];
    }
  }

  void tile(const T* a, const T* b, double* c) const {
    constexpr std::size_t nr = kVectors * Simd<T>::lanes;
    if constexpr (std::is_same_v<T, float>) {
      if (exact_chunk_ > 0) {
        micro_tile_exact(a, b, pairs_, exact_chunk_, c, nr);
        return;
      }
    }
    micro_tile<T>(a, b, pairs_, c, nr);
  }

  void write_tile(const std::vector<double>& c, std::size_t rows, std::size_t blk, std::size_t panel,
                  std::span<double> out) const {
    constexpr std::size_t nr = kVectors * Simd<T>::lanes;
    for (std::size_t r = 0; r < kRows; ++r) {
      const std::size_t row = blk * kRows + r;
      if (row >= rows) break;
      const std::size_t t0 = panel * nr, t1 = std::min(times_, t0 + nr);
      const double m = model_norm_[row % layers_];
      double* dst = out.data() + row * times_;
      for (std::size_t t = t0; t < t1; ++t) {
        const double dot = c[r * nr + t - t0];
        // Spearman: one division by a per-cell constant, so equal dots give equal rho.
        dst[t] = exact_ ? dot / (m * brain_norm_[t]) : dot;
      }
    }
  }

  void prepare(std::span<const double> values, std::vector<double>& out, double& out_norm) const {
    if (exact_) {
      out = centred_ranks(values);
      out_norm = norm(out);
      if (!(out_norm > 0)) throw InternalError("correlation kernel: constant ranks");
    } else if (!standardize(ranked_ ? average_ranks(values) : std::vector<double>(values.begin(), values.end()), out)) {
      throw InternalError("correlation kernel: constant RDM");
    }
  }

  // Spearman sums are exact integers when every partial sum stays below the mantissa:
  // |u| <= P - 1, so a chunk of c pairs is exact in float32 when c (P-1)^2 < 2^24, and the
  // int32 total when P (P-1)^2 < 2^31 (P <= 1290, S <= 51); float64 is exact while
  // P (P-1)^2 < 2^53 (S <= ~830). Beyond that this path refuses Spearman.
  bool plan_exact_sums() {
    const double p = static_cast<double>(pairs_), bound = p * (p - 1) * (p - 1);
    if constexpr (std::is_same_v<T, float>) {
      const double per_pair = std::max(1.0, (p - 1) * (p - 1));
      if (bound < 2147483648.0 && per_pair < 16777216.0) {
        exact_chunk_ = static_cast<std::size_t>(16777216.0 / per_pair);
        return true;
      }
      return false;
    } else {
      return bound < 9007199254740992.0;
    }
  }

  bool ranked_;
  bool exact_ = false;  // Spearman with exact integer rank sums
  std::size_t layers_, pairs_, times_, panels_ = 0;
  std::size_t exact_chunk_ = 0;  // float32 Spearman: pairs per exact chunk
  std::vector<T> zmodels_;
  std::vector<T> packed_brain_;
  std::vector<double> model_norm_, brain_norm_;
};

}  // namespace

std::unique_ptr<StatisticKernel> make_correlation_kernel_fp(bool ranked, Precision precision,
                                                            const Matrix<double>& models,
                                                            const Matrix<double>& brain) {
  // Spearman sums are exact in either precision while float64 can hold them, and float32 is
  // only faster while int32 can: in between, float32 Spearman runs in float64.
  const double p = static_cast<double>(models.cols()), bound = p * (p - 1) * (p - 1);
  const bool use_float = precision == Precision::float32 && (!ranked || bound < 2147483648.0);
  if (use_float) return std::make_unique<CorrelationKernel<float>>(ranked, models, brain);
  return std::make_unique<CorrelationKernel<double>>(ranked, models, brain);
}

std::unique_ptr<StatisticKernel> make_correlation_kernel(bool ranked, Precision precision,
                                                         const Matrix<double>& models,
                                                         const Matrix<double>& brain) {
  // Spearman is exact integer arithmetic at every P, so the precision does not change its values.
  if (ranked) return make_spearman_int16_kernel(models, brain, int16_isa_for_this_process());
  return make_correlation_kernel_fp(false, precision, models, brain);
}

}  // namespace permrsa
