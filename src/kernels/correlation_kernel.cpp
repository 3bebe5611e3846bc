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
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <utility>
#include <vector>

#include "kernels/spearman_int16_kernel.hpp"
#include "kernels/statistic_kernel.hpp"
#include "numeric/balanced_groups.hpp"
#include "numeric/page_buffer.hpp"
#include "numeric/prefetch_lines.hpp"
#include "numeric/ranks.hpp"
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

// The micro-tile: kRows model rows x (kVectors * lanes) time points, its accumulators in
// registers. AVX-512 has 32 vector registers: 12 x 2 accumulators plus the two brain vectors and a
// broadcast; narrower instruction sets have 16: 6 x 2.
constexpr std::size_t kRows = kVectorBytes == 64 ? 12 : 6;
constexpr std::size_t kVectors = 2;

// C[0..MR)[0..NR) += A^T B over `pairs` pairs, each output's pairs in order.
// a: pairs x MR (row r at a[p*MR + r]); b: pairs x NR. Flop: 2*MR*NR*pairs.
template <class T>
struct Tile {
  using V = typename Simd<T>::vec;
  using U = typename Simd<T>::unaligned;
  static constexpr std::size_t W = Simd<T>::lanes;
  V c[kRows][kVectors] = {};

  inline void accumulate(const T* __restrict a, const T* __restrict b, std::size_t pairs) {
    for (std::size_t p = 0; p < pairs; ++p) {
      const V b0 = *reinterpret_cast<const U*>(b + p * kVectors * W);
      const V b1 = *reinterpret_cast<const U*>(b + p * kVectors * W + W);
      const T* ap = a + p * kRows;
      // One multiply-add per output and pair, pairs in order: the fixed summation order.
#pragma GCC unroll 12
      for (std::size_t r = 0; r < kRows; ++r) {
        c[r][0] += b0 * ap[r];
        c[r][1] += b1 * ap[r];
      }
    }
  }
  // The running sums, kept in memory between pair blocks as T: exact, so a sum continued after
  // a store and a load is the sum computed in one go, bit for bit.
  inline void load(const T* __restrict acc) {
#pragma GCC unroll 12
    for (std::size_t r = 0; r < kRows; ++r)
      for (std::size_t v = 0; v < kVectors; ++v)
        c[r][v] = *reinterpret_cast<const U*>(acc + (r * kVectors + v) * W);
  }
  inline void store(T* __restrict acc) const {
#pragma GCC unroll 12
    for (std::size_t r = 0; r < kRows; ++r)
      for (std::size_t v = 0; v < kVectors; ++v)
        *reinterpret_cast<U*>(acc + (r * kVectors + v) * W) = c[r][v];
  }
};

// acc (kRows x NR, running sums) += a^T b over `pairs` pairs.
template <class T>
__attribute__((noinline)) void micro_tile(const T* __restrict a, const T* __restrict b,
                                          std::size_t pairs, T* __restrict acc) {
  Tile<T> tile;
  tile.load(acc);
  tile.accumulate(a, b, pairs);
  tile.store(acc);
}

// Integer-valued float32 tile, exact: chunks of at most `chunk` pairs keep every partial sum
// below 2^24 (exact in float32), and each chunk's sum is added to the int32 running sums `sums`
// (kRows x NR). Any split into chunks gives the same exact integers.
__attribute__((noinline)) void micro_tile_exact(const float* __restrict a,
                                                const float* __restrict b, std::size_t pairs,
                                                std::size_t chunk, std::int32_t* __restrict sums) {
  using I = std::int32_t __attribute__((vector_size(kVectorBytes)));
  using IU = std::int32_t __attribute__((vector_size(kVectorBytes), aligned(4), may_alias));
  constexpr std::size_t W = Simd<float>::lanes, nr = kVectors * W;
  for (std::size_t begin = 0; begin < pairs; begin += chunk) {
    Tile<float> tile;
    tile.accumulate(a + begin * kRows, b + begin * nr, std::min(pairs, begin + chunk) - begin);
    for (std::size_t r = 0; r < kRows; ++r)
      for (std::size_t v = 0; v < kVectors; ++v) {
        auto* s = reinterpret_cast<IU*>(sums + r * nr + v * W);
        *s = *s + __builtin_convertvector(tile.c[r][v], I);
      }
  }
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
    // Pair blocks of at most 32 KB of a brain panel (256 pairs), balanced.
    const std::size_t most = std::max<std::size_t>(16, (std::size_t{32} << 10) / (kNr * sizeof(T)));
    const std::size_t count = (pairs_ + most - 1) / most;
    pair_block_ = (pairs_ + count - 1) / count;
    // Model side: P x L (pair-major), z-scored (Pearson) or centred ranks (Spearman).
    zmodels_ = PageBuffer(layers_ * pairs_ * sizeof(T));
    model_norm_.assign(layers_, 1.0);
    std::vector<double> z(pairs_);
    for (std::size_t l = 0; l < layers_; ++l) {
      prepare(models.row(l), z, model_norm_[l]);
      for (std::size_t p = 0; p < pairs_; ++p) zmodels()[p * layers_ + l] = static_cast<T>(z[p]);
    }
    // Brain side: per pair block, per panel, pairs x NR (zero-padded): a pair block of every panel
    // is one contiguous stretch, so it streams in and can be prefetched as one.
    packed_brain_ = PageBuffer(panels_ * pairs_ * nr * sizeof(T));
    prefetch_ahead_ = panels_ * pairs_ * nr * sizeof(T) > (std::size_t{2} << 20);
    brain_norm_.assign(panels_ * nr, 1.0);
    // Columns are independent (each writes its own lane): prepared in parallel.
    tbb::parallel_for(std::size_t{0}, times_, [&](std::size_t t) {
      std::vector<double> column(pairs_), zt(pairs_);
      for (std::size_t p = 0; p < pairs_; ++p) column[p] = brain(p, t);
      prepare(column, zt, brain_norm_[t]);
      const std::size_t panel = t / nr, lane = t % nr;
      for (std::size_t p = 0; p < pairs_; ++p)
        packed_brain()[brain_at(p, panel) + lane] = static_cast<T>(zt[p]);
    });
  }

  std::size_t layers() const override { return layers_; }
  std::size_t times() const override { return times_; }
  std::size_t pairs() const override { return pairs_; }
  double work_per_permutation() const override {
    return 2.0 * static_cast<double>(pairs_ * layers_ * times_);
  }
  // Pearson in float32: every value is a float sum widened to double.
  std::unique_ptr<MapCodec> map_codec() const override {
    if constexpr (std::is_same_v<T, float>)
      if (!exact_) return make_float_codec(layers_ * times_);
    return nullptr;
  }

  // Row tiles are taken `group` at a time and the pairs in blocks of pair_block_: one block of
  // a brain panel (pair_block_ x NR, about 32 KB) stays in L1 while the group's tiles use it, the
  // group's gathered rows stay in L2, and the block of every panel in L2 while the group walks
  // the panels. Each output keeps its running sum between pair blocks (stored and reloaded as
  // T, which is exact), so every output still adds its pairs in order 0..P-1 in one chain of
  // multiply-adds: the result does not depend on the blocking, the group or the thread.
  void compute(std::span<const std::uint32_t> gathers, std::size_t batch,
               std::span<double> out) const override {
    const std::size_t rows = batch * layers_;
    const std::size_t blocks = (rows + kRows - 1) / kRows;
    const auto workers = static_cast<std::size_t>(tbb::this_task_arena::max_concurrency());
    const std::size_t group = balanced_group(blocks, kMaxGroup, workers);
    const std::size_t groups = (blocks + group - 1) / group;
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, groups, 1),
                      [&](const tbb::blocked_range<std::size_t>& range) {
                        Scratch& scratch = scratch_.local();
                        for (std::size_t grp = range.begin(); grp != range.end(); ++grp)
                          compute_group(gathers, rows, grp * group,
                                        std::min(group, blocks - grp * group), scratch, out);
                      });
  }

 private:
  static constexpr std::size_t kNr = kVectors * Simd<T>::lanes;
  static constexpr std::size_t kMaxGroup = 32;

  // Per thread, reused across calls (the bodies never wait on TBB, so no other task runs on a
  // thread while it uses its scratch).
  struct Scratch {
    std::vector<T> a;                // group x pair_block_ x kRows gathered model values
    std::vector<T> acc;              // group x panels x kRows x NR running sums
    std::vector<std::int32_t> sums;  // the same, exact float32 Spearman
  };

  // Offset of pair p of `panel` in packed_brain_: blocks of pair_block_ pairs, each panels x
  // (pairs in the block) x NR.
  std::size_t brain_at(std::size_t p, std::size_t panel) const {
    const std::size_t p0 = p - p % pair_block_, n = std::min(pairs_ - p0, pair_block_);
    return p0 * panels_ * kNr + (panel * n + p - p0) * kNr;
  }

  void compute_group(std::span<const std::uint32_t> gathers, std::size_t rows, std::size_t blk0,
                     std::size_t count, Scratch& scratch, std::span<double> out) const {
    const std::size_t tile = kRows * kNr, a_block = pair_block_ * kRows;
    scratch.a.resize(count * a_block);
    if (exact_chunk_ > 0)
      scratch.sums.assign(count * panels_ * tile, 0);
    else
      scratch.acc.assign(count * panels_ * tile, T{});
    for (std::size_t p0 = 0; p0 < pairs_; p0 += pair_block_) {
      const std::size_t n = std::min(pairs_, p0 + pair_block_) - p0;
      for (std::size_t k = 0; k < count; ++k)
        gather_rows(gathers, rows, blk0 + k, p0, n, scratch.a.data() + k * a_block);
      // The next pair block of the brain panels (one contiguous stretch) is requested into L2 a
      // slice per tile step while this block computes, so that no panel's first tile waits on
      // memory for its 32 KB.
      const std::size_t next = p0 + n, steps = panels_ * count;
      const std::size_t ahead = prefetch_ahead_ && next < pairs_
                                    ? (std::min(pairs_, next + pair_block_) - next) * panels_ * kNr
                                    : 0;
      const T* next_brain = packed_brain() + brain_at(std::min(next, pairs_ - 1), 0);
      for (std::size_t panel = 0; panel < panels_; ++panel) {
        const T* b = packed_brain() + brain_at(p0, panel);
        for (std::size_t k = 0; k < count; ++k) {
          tile_step(scratch.a.data() + k * a_block, b, n, scratch, (k * panels_ + panel) * tile);
          const std::size_t step = panel * count + k;
          prefetch_lines(next_brain, ahead * sizeof(T) * step / steps,
                         ahead * sizeof(T) * (step + 1) / steps);
        }
      }
    }
    for (std::size_t k = 0; k < count; ++k)
      for (std::size_t panel = 0; panel < panels_; ++panel) {
        const std::size_t at = (k * panels_ + panel) * tile;
        if (exact_chunk_ > 0)
          write_tile(scratch.sums.data() + at, rows, blk0 + k, panel, out);
        else
          write_tile(scratch.acc.data() + at, rows, blk0 + k, panel, out);
      }
  }

  // One tile's running sums (at offset `at` of the scratch sums) continued over n pairs.
  void tile_step(const T* a, const T* b, std::size_t n, Scratch& scratch, std::size_t at) const {
    if constexpr (std::is_same_v<T, float>) {
      if (exact_chunk_ > 0) {
        micro_tile_exact(a, b, n, exact_chunk_, scratch.sums.data() + at);
        return;
      }
    }
    micro_tile<T>(a, b, n, scratch.acc.data() + at);
  }

  // Pairs [p0, p0 + n) of the permuted model rows of tile `blk`, pair-major (zero rows past the
  // end). The model values are stored pair-major (P x L), and a tile's rows are consecutive
  // layers of one or a few permutations: each run of rows with the same permutation copies,
  // per pair, consecutive values of one model row (a fixed-length copy the compiler vectorises).
  void gather_rows(std::span<const std::uint32_t> gathers, std::size_t rows, std::size_t blk,
                   std::size_t p0, std::size_t n, T* a) const {
    static constexpr auto copiers = run_copiers(std::make_index_sequence<kRows>{});
    const std::size_t L = layers_, first = blk * kRows;
    const std::size_t last = std::min(rows, first + kRows);
    if (last - first < kRows) std::fill(a, a + n * kRows, T{});
    for (std::size_t row = first; row < last;) {
      const std::size_t layer = row % L, len = std::min(last - row, L - layer);
      copiers[len - 1](zmodels() + layer, L, gathers.data() + (row / L) * pairs_ + p0, n,
                       a + (row - first));
      row += len;
    }
  }

  // a[p * kRows + i] = z[g[p] * L + i] for i < Len.
  template <std::size_t Len>
  static void copy_run(const T* z, std::size_t L, const std::uint32_t* g, std::size_t n, T* a) {
    for (std::size_t p = 0; p < n; ++p) {
      const T* src = z + std::size_t{g[p]} * L;
      T* dst = a + p * kRows;
      std::memcpy(dst, src, Len * sizeof(T));  // a fixed size: vector moves, not Len scalar ones
    }
  }
  template <std::size_t... Len>
  static constexpr auto run_copiers(std::index_sequence<Len...>) {
    return std::array{&CorrelationKernel::copy_run<Len + 1>...};
  }

  template <class Sum>
  void write_tile(const Sum* c, std::size_t rows, std::size_t blk, std::size_t panel,
                  std::span<double> out) const {
    for (std::size_t r = 0; r < kRows; ++r) {
      const std::size_t row = blk * kRows + r;
      if (row >= rows) break;
      const std::size_t t0 = panel * kNr, t1 = std::min(times_, t0 + kNr);
      const double m = model_norm_[row % layers_];
      double* dst = out.data() + row * times_;
      for (std::size_t t = t0; t < t1; ++t) {
        const auto dot = static_cast<double>(c[r * kNr + t - t0]);
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
    } else if (!standardize(ranked_ ? average_ranks(values)
                                    : std::vector<double>(values.begin(), values.end()),
                            out)) {
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
  std::size_t pair_block_ = 0;   // pairs per cache block
  // Whether the brain panels outgrow a 2 MB L2 (P beyond about 2300 pairs at T = 200), so each
  // pair block of them streams in from L3 or memory and is worth requesting one block ahead.
  bool prefetch_ahead_ = false;
  mutable tbb::enumerable_thread_specific<Scratch> scratch_;
  // In huge pages: the gathers read them at random, tens of MB at S = 800 (PageBuffer).
  PageBuffer zmodels_;  // P x L
  T* zmodels() const { return zmodels_.as<T>(); }
  PageBuffer packed_brain_;  // pair blocks x panels x pairs x NR
  T* packed_brain() const { return packed_brain_.as<T>(); }
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
