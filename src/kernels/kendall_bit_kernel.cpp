// Kendall's tau (b or a) under permutation by bit-parallel pair counting (kendall_bits.hpp).
//
// Each brain column's comparison planes (sign, and nonzero when some column has ties) are built
// once: n0 = P(P-1)/2 bits per plane, about P^2/16 bytes. A permuted model row's planes are built
// from its gathered dense ranks, one chunk of kChunkWords words at a time, and each chunk serves
// every time point. A task takes up to kGroupRows rows of the batch x L grid (fewer when that
// would leave threads idle: the counts are integers, so the split never changes a result); per
// chunk it sweeps the
// time points four at a time and the rows four at a time (tiles of 4 x 4 cells), so a brain
// chunk is read once per task and a model chunk stays in L1/L2.
//
// Work per cell: n0 / 512 vectors of (XOR or ternary logic, vpopcntq, vpaddq), twice that when
// both sides have ties; bytes per cell from outside the core: 8 * n0 / 64 / (rows per task) per
// brain plane. All counts are integers and the final expression is kendall_tau(), shared with the
// merge-sort kernel, so outputs are bit-identical to it for any batch, thread count or blocking.
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <cstdlib>
#include <vector>

#include "kernels/kendall_bits.hpp"
#include "kernels/kendall_kernel.hpp"
#include "kernels/kendall_tau.hpp"
#include "numeric/ranks.hpp"
#include "permrsa/error.hpp"

namespace permrsa {
namespace {

constexpr std::size_t kChunkWords = 512;  // 4 KiB per plane and row: 4 rows + 4 columns in L1
constexpr std::size_t kGroupRows = 64;    // rows per task at most: a brain chunk serves them all
constexpr std::size_t kRankPadding = 64;  // vector loads read up to v[n + 63]

// 64-byte aligned words (vector loads never split a cache line); contents start undefined.
class WordBuffer {
 public:
  WordBuffer() = default;
  explicit WordBuffer(std::size_t words) : size_(words) {
    const std::size_t bytes = (words * sizeof(std::uint64_t) + 63) / 64 * 64;
    data_.reset(
        static_cast<std::uint64_t*>(std::aligned_alloc(64, std::max<std::size_t>(bytes, 64))));
    if (!data_) throw std::bad_alloc();
  }
  std::uint64_t* data() const { return data_.get(); }
  std::size_t size() const { return size_; }

 private:
  struct Free {
    void operator()(std::uint64_t* p) const { std::free(p); }
  };
  std::unique_ptr<std::uint64_t[], Free> data_;
  std::size_t size_ = 0;
};

std::vector<std::int16_t> padded_dense_ranks(std::span<const double> values) {
  const auto ranks = dense_ranks(values);
  std::vector<std::int16_t> out(ranks.size() + kRankPadding, 0);
  std::transform(ranks.begin(), ranks.end(), out.begin(),
                 [](std::int32_t r) { return static_cast<std::int16_t>(r); });
  return out;
}

class KendallBitKernel final : public StatisticKernel {
 public:
  KendallBitKernel(Metric variant, const Matrix<double>& models, const Matrix<double>& brain,
                   PopcountPath path, std::size_t stored_bytes)
      : tau_b_(variant == Metric::kendall_b),
        path_(path),
        layers_(models.rows()),
        pairs_(models.cols()),
        times_(brain.cols()) {
    if (brain.rows() != pairs_) throw InternalError("kendall kernel: P mismatch");
    if (pairs_ < 2 || pairs_ > kKendallBitParallelLimit)
      throw InternalError("bit-parallel kendall kernel: P out of range");
    if (path_ == PopcountPath::avx512 && !cpu_has_avx512_popcount())
      throw InternalError("bit-parallel kendall kernel: this CPU has no AVX-512 VPOPCNTDQ");
    const auto n = static_cast<std::int64_t>(pairs_);
    n0_ = n * (n - 1) / 2;
    const std::size_t words = (static_cast<std::size_t>(n0_) + 63) / 64;
    chunk_words_ = std::min(kChunkWords, (words + 7) / 8 * 8);
    chunks_ = (words + chunk_words_ - 1) / chunk_words_;
    for (std::size_t c = 0; c < chunks_; ++c)
      chunk_start_.push_back(triangle_pos(pairs_, std::uint64_t{c} * chunk_words_ * 64));
    plane_words_ = chunks_ * chunk_words_;

    stride_ = pairs_ + kRankPadding;
    model_ranks_.resize(layers_ * stride_);
    model_ties_.resize(layers_);
    bool model_tied = false;
    for (std::size_t l = 0; l < layers_; ++l) {
      const auto ranks = padded_dense_ranks(models.row(l));
      std::copy(ranks.begin(), ranks.end(),
                model_ranks_.begin() + static_cast<std::ptrdiff_t>(l * stride_));
      model_ties_[l] = tied_pairs(models.row(l));
      model_tied = model_tied || model_ties_[l] > 0;
    }
    brain_ranks_.resize(times_ * stride_);
    brain_ties_.resize(times_);
    bool brain_tied = false;
    std::vector<double> column(pairs_);
    for (std::size_t t = 0; t < times_; ++t) {
      for (std::size_t p = 0; p < pairs_; ++p) column[p] = brain(p, t);
      const auto ranks = padded_dense_ranks(column);
      std::copy(ranks.begin(), ranks.end(),
                brain_ranks_.begin() + static_cast<std::ptrdiff_t>(t * stride_));
      brain_ties_[t] = tied_pairs(column);
      brain_tied = brain_tied || brain_ties_[t] > 0;
    }
    mask_ = model_tied ? (brain_tied ? TieMask::both : TieMask::model)
                       : (brain_tied ? TieMask::brain : TieMask::none);
    column_words_ = plane_words_ * (brain_tied ? 2 : 1);
    const std::size_t column_bytes = column_words_ * sizeof(std::uint64_t);
    block_columns_ = std::clamp<std::size_t>(stored_bytes / column_bytes, 1, times_);
    if (block_columns_ == times_) {
      stored_ = WordBuffer(times_ * column_words_);
      build_brain_planes(0, times_, stored_.data());
    }
  }

  std::size_t layers() const override { return layers_; }
  std::size_t times() const override { return times_; }
  std::size_t pairs() const override { return pairs_; }
  // Pair comparisons: n0 per cell.
  double work_per_permutation() const override {
    return static_cast<double>(layers_ * times_) * static_cast<double>(n0_);
  }

  void compute(std::span<const std::uint32_t> gathers, std::size_t batch,
               std::span<double> out) const override {
    if (stored_.data() != nullptr)
      return compute_block(gathers, batch, out, 0, times_, stored_.data());
    WordBuffer planes(block_columns_ * column_words_);
    for (std::size_t t0 = 0; t0 < times_; t0 += block_columns_) {
      const std::size_t t1 = std::min(times_, t0 + block_columns_);
      build_brain_planes(t0, t1, planes.data());
      compute_block(gathers, batch, out, t0, t1, planes.data());
    }
  }

 private:
  bool brain_masked() const { return mask_ == TieMask::brain || mask_ == TieMask::both; }
  bool model_masked() const { return mask_ == TieMask::model || mask_ == TieMask::both; }

  // Planes of columns [t0, t1) into dst: column t at (t - t0) * column_words_, sign then nonzero.
  void build_brain_planes(std::size_t t0, std::size_t t1, std::uint64_t* dst) const {
    tbb::parallel_for(t0, t1, [&](std::size_t t) {
      std::uint64_t* sign = dst + (t - t0) * column_words_;
      comparison_bits(path_, brain_ranks_.data() + t * stride_, pairs_, TrianglePos{},
                      static_cast<std::uint64_t>(n0_), plane_words_, sign,
                      brain_masked() ? sign + plane_words_ : nullptr);
    });
  }

  void compute_block(std::span<const std::uint32_t> gathers, std::size_t batch,
                     std::span<double> out, std::size_t t0, std::size_t t1,
                     const std::uint64_t* planes) const {
    const std::size_t rows = batch * layers_;
    // About 4 tasks per thread, 4 to kGroupRows rows each (a multiple of the 4-row tile).
    const auto threads = static_cast<std::size_t>(tbb::this_task_arena::max_concurrency());
    const std::size_t per_task = std::clamp<std::size_t>(
        ((rows + 4 * threads - 1) / (4 * threads) + 3) & ~std::size_t{3}, 4, kGroupRows);
    const std::size_t groups = (rows + per_task - 1) / per_task;
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, groups, 1),
                      [&](const tbb::blocked_range<std::size_t>& range) {
                        for (std::size_t group = range.begin(); group != range.end(); ++group) {
                          const std::size_t r0 = group * per_task,
                                            r1 = std::min(rows, r0 + per_task);
                          compute_rows(gathers, r0, r1, t0, t1, planes, out);
                        }
                      });
  }

  // Rows [r0, r1) (row r = b * L + l) against columns [t0, t1).
  void compute_rows(std::span<const std::uint32_t> gathers, std::size_t r0, std::size_t r1,
                    std::size_t t0, std::size_t t1, const std::uint64_t* planes,
                    std::span<double> out) const {
    const std::size_t nr = r1 - r0, nt = t1 - t0;
    const std::size_t row_words = chunk_words_ * (model_masked() ? 2 : 1);
    const std::vector<std::int16_t> x = gathered_ranks(gathers, r0, r1);
    WordBuffer model(nr * row_words);
    Counts counts{std::vector<std::int64_t>(nr * nt, 0),
                  std::vector<std::int64_t>(mask_ == TieMask::both ? nr * nt : 0, 0)};
    for (std::size_t c = 0; c < chunks_; ++c) {
      const std::uint64_t first = std::uint64_t{c} * chunk_words_ * 64;
      const std::uint64_t bits =
          std::min<std::uint64_t>(chunk_words_ * 64, static_cast<std::uint64_t>(n0_) - first);
      for (std::size_t i = 0; i < nr; ++i) {
        std::uint64_t* sign = model.data() + i * row_words;
        comparison_bits(path_, x.data() + i * stride_, pairs_, chunk_start_[c], bits, chunk_words_,
                        sign, model_masked() ? sign + chunk_words_ : nullptr);
      }
      count_chunk(c, model.data(), row_words, nr, nt, planes, counts);
    }
    write_taus(r0, nr, t0, nt, counts, out);
  }

  // Discordant and untied pair counts of rows x columns, cell (i, j) at i * nt + j.
  struct Counts {
    std::vector<std::int64_t> discordant, untied;
  };

  // The permuted model ranks of rows [r0, r1), row i at i * stride_.
  std::vector<std::int16_t> gathered_ranks(std::span<const std::uint32_t> gathers, std::size_t r0,
                                           std::size_t r1) const {
    std::vector<std::int16_t> x((r1 - r0) * stride_, 0);
    for (std::size_t i = 0; i < r1 - r0; ++i) {
      const std::size_t b = (r0 + i) / layers_, l = (r0 + i) % layers_;
      const std::uint32_t* g = gathers.data() + b * pairs_;
      const std::int16_t* ranks = model_ranks_.data() + l * stride_;
      std::int16_t* xi = x.data() + i * stride_;
      for (std::size_t p = 0; p < pairs_; ++p) xi[p] = ranks[g[p]];
    }
    return x;
  }

  // Chunk c's counts of every row (their planes in `model`) against every column, 4 x 4 tiles.
  void count_chunk(std::size_t c, const std::uint64_t* model, std::size_t row_words, std::size_t nr,
                   std::size_t nt, const std::uint64_t* planes, Counts& counts) const {
    for (std::size_t tj = 0; tj < nt; tj += 4) {
      const std::size_t nc = std::min<std::size_t>(4, nt - tj);
      TileInput in{};
      for (std::size_t j = 0; j < 4; ++j) {
        const std::uint64_t* column = planes + (tj + std::min(j, nc - 1)) * column_words_;
        in.y_sign[j] = column + c * chunk_words_;
        in.y_nonzero[j] = brain_masked() ? column + plane_words_ + c * chunk_words_ : nullptr;
      }
      for (std::size_t ti = 0; ti < nr; ti += 4) {
        const std::size_t ni = std::min<std::size_t>(4, nr - ti);
        for (std::size_t i = 0; i < 4; ++i) {
          const std::uint64_t* row = model + (ti + std::min(i, ni - 1)) * row_words;
          in.x_sign[i] = row;
          in.x_nonzero[i] = model_masked() ? row + chunk_words_ : nullptr;
        }
        std::int64_t d[16] = {}, u[16] = {};
        tile_counts(path_, mask_, in, chunk_words_, d, u);
        for (std::size_t i = 0; i < ni; ++i)
          for (std::size_t j = 0; j < nc; ++j) {
            counts.discordant[(ti + i) * nt + tj + j] += d[4 * i + j];
            if (mask_ == TieMask::both) counts.untied[(ti + i) * nt + tj + j] += u[4 * i + j];
          }
      }
    }
  }

  // tau of every cell from its integer counts (kendall_tau: the merge-sort kernel's formula).
  void write_taus(std::size_t r0, std::size_t nr, std::size_t t0, std::size_t nt,
                  const Counts& counts, std::span<double> out) const {
    for (std::size_t i = 0; i < nr; ++i) {
      const std::size_t l = (r0 + i) % layers_;
      double* dst = out.data() + (r0 + i) * times_ + t0;
      for (std::size_t j = 0; j < nt; ++j) {
        const std::int64_t n1 = model_ties_[l], n2 = brain_ties_[t0 + j];
        // With ties on one side at most, no pair is tied on both: n3 = 0.
        const std::int64_t untied_pairs =
            mask_ == TieMask::both ? counts.untied[i * nt + j] : n0_ - n1 - n2;
        dst[j] = kendall_tau(tau_b_, n0_, n1, n2, untied_pairs - 2 * counts.discordant[i * nt + j]);
      }
    }
  }

  bool tau_b_;
  PopcountPath path_;
  std::size_t layers_, pairs_, times_;
  std::int64_t n0_ = 0;
  TieMask mask_ = TieMask::none;
  std::size_t chunk_words_ = 0, chunks_ = 0, plane_words_ = 0, column_words_ = 0;
  std::vector<TrianglePos> chunk_start_;   // triangle position of each chunk's first bit
  std::size_t stride_ = 0;                 // P + padding
  std::vector<std::int16_t> model_ranks_;  // L x stride dense ranks
  std::vector<std::int64_t> model_ties_;   // n1 per layer
  std::vector<std::int16_t> brain_ranks_;  // T x stride dense ranks
  std::vector<std::int64_t> brain_ties_;   // n2 per time point
  std::size_t block_columns_ = 1;          // time points per block of brain planes
  WordBuffer stored_;                      // T x column_words_, when it fits stored_bytes
};

}  // namespace

std::unique_ptr<StatisticKernel> make_bit_parallel_kendall_kernel(Metric variant,
                                                                  const Matrix<double>& models,
                                                                  const Matrix<double>& brain,
                                                                  PopcountPath path,
                                                                  std::size_t stored_bytes) {
  return std::make_unique<KendallBitKernel>(variant, models, brain, path, stored_bytes);
}

}  // namespace permrsa
