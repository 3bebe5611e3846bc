// Pearson / Spearman under permutation as a gather plus a matrix product.
//
// Both sides are standardised once (ranked first for Spearman): r = sum_p zM[l][g[p]] zB[p][t].
// One batch of permutations is one product C = A B with A = (batch*L) x P gathered model rows
// and B = P x T brain columns: 2*P*L*T flop per permutation.
//
// Fixed summation order: the micro-kernel vectorises over outputs (time points) and walks the
// pairs p = 0..P-1 in order, one fused multiply-add per pair, for every output. Padding rows
// and columns with zeros keeps every output on the same code path, so no output depends on the
// batch, the tile or the thread (see statistic_kernel.hpp).
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/ranks.hpp"
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
  static constexpr std::size_t lanes = kVectorBytes / sizeof(T);
};

constexpr std::size_t kRows = 6;     // MR: model rows per micro-tile
constexpr std::size_t kVectors = 2;  // NR = kVectors * lanes time points per micro-tile

// C[0..MR)[0..NR) = A_panel^T B_panel. a: P x MR (row r of the tile at a[p*MR + r]);
// b: P x NR. Flop: 2*MR*NR*P. Bytes read: P*(MR + NR)*sizeof(T).
template <class T>
__attribute__((noinline)) void micro_tile(const T* __restrict a, const T* __restrict b,
                                          std::size_t pairs, T* __restrict c, std::size_t ldc) {
  using V = typename Simd<T>::vec;
  constexpr std::size_t W = Simd<T>::lanes;
  V acc[kRows][kVectors];
  for (auto& row : acc)
    for (auto& v : row) v = V{};
  for (std::size_t p = 0; p < pairs; ++p) {
    V bv[kVectors];
    std::memcpy(bv, b + p * kVectors * W, sizeof(bv));
    for (std::size_t r = 0; r < kRows; ++r) {
      V av;
      for (std::size_t i = 0; i < W; ++i) av[i] = a[p * kRows + r];
      for (std::size_t v = 0; v < kVectors; ++v) acc[r][v] += av * bv[v];  // one FMA
    }
  }
  for (std::size_t r = 0; r < kRows; ++r) std::memcpy(c + r * ldc, acc[r], sizeof(acc[r]));
}

template <class T>
class CorrelationKernel final : public StatisticKernel {
 public:
  CorrelationKernel(bool ranked, const Matrix<double>& models, const Matrix<double>& brain)
      : layers_(models.rows()), pairs_(models.cols()), times_(brain.cols()) {
    if (brain.rows() != pairs_) throw InternalError("correlation kernel: P mismatch");
    constexpr std::size_t nr = kVectors * Simd<T>::lanes;
    panels_ = (times_ + nr - 1) / nr;
    // Model side: z-scored rows (ranks first for Spearman), kept as L x P.
    zmodels_.assign(layers_ * pairs_, T{});
    std::vector<double> z(pairs_);
    for (std::size_t l = 0; l < layers_; ++l) {
      std::vector<double> row(models.row(l).begin(), models.row(l).end());
      if (ranked) row = average_ranks(row);
      if (!standardize(row, z)) throw InternalError("correlation kernel: constant model row");
      for (std::size_t p = 0; p < pairs_; ++p) zmodels_[l * pairs_ + p] = static_cast<T>(z[p]);
    }
    // Brain side: z-scored columns, packed per panel as P x NR (zero-padded).
    packed_brain_.assign(panels_ * pairs_ * nr, T{});
    std::vector<double> column(pairs_);
    for (std::size_t t = 0; t < times_; ++t) {
      for (std::size_t p = 0; p < pairs_; ++p) column[p] = brain(p, t);
      if (ranked) column = average_ranks(column);
      if (!standardize(column, z)) throw InternalError("correlation kernel: constant brain column");
      const std::size_t panel = t / nr, lane = t % nr;
      for (std::size_t p = 0; p < pairs_; ++p)
        packed_brain_[(panel * pairs_ + p) * nr + lane] = static_cast<T>(z[p]);
    }
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
      std::vector<T> c(kRows * nr);
      for (std::size_t blk = range.begin(); blk != range.end(); ++blk) {
        // Gather the permuted model rows of this tile, pair-major (zero rows past the end).
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
        for (std::size_t panel = 0; panel < panels_; ++panel) {
          micro_tile<T>(a.data(), packed_brain_.data() + panel * pairs_ * nr, pairs_, c.data(), nr);
          for (std::size_t r = 0; r < kRows; ++r) {
            const std::size_t row = blk * kRows + r;
            if (row >= rows) break;
            const std::size_t t0 = panel * nr, t1 = std::min(times_, t0 + nr);
            double* dst = out.data() + row * times_;
            for (std::size_t t = t0; t < t1; ++t) dst[t] = static_cast<double>(c[r * nr + t - t0]);
          }
        }
      }
    });
  }

 private:
  std::size_t layers_, pairs_, times_, panels_ = 0;
  std::vector<T> zmodels_;
  std::vector<T> packed_brain_;
};

}  // namespace

std::unique_ptr<StatisticKernel> make_correlation_kernel(bool ranked, Precision precision,
                                                         const Matrix<double>& models,
                                                         const Matrix<double>& brain) {
  if (precision == Precision::float32)
    return std::make_unique<CorrelationKernel<float>>(ranked, models, brain);
  return std::make_unique<CorrelationKernel<double>>(ranked, models, brain);
}

}  // namespace permrsa
