// Exact Spearman on int16 digit planes: see spearman_int16_kernel.hpp.
//
// Work per permutation: 2*P*L*T flop (one multiply-add per pair and output) times the number of
// plane products (1 up to P ~ 5000-10000, 2 up to P = 32768, 3 beyond: Karatsuba's, see
// plan_digits). Every output
// is one exact integer, so the summation order does not matter for the result; it is fixed
// anyway (pairs in order, per plane product) and no output depends on the batch, the tile, the
// thread or the instruction path.
#include "kernels/spearman_int16_kernel.hpp"

#include <tbb/blocked_range.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>
#include <utility>
#include <vector>

#include "numeric/balanced_groups.hpp"
#include "numeric/page_buffer.hpp"
#include "numeric/ranks.hpp"
#include "permrsa/error.hpp"

namespace permrsa {

// Exact sums of the plane products beyond int64 (and the sums of squares).
__extension__ typedef __int128 Int128;

namespace int16_tile {

// Plain loops, exact in int64 (no chunks needed): the path for non-x86 builds and the
// reference the SIMD paths are tested against.
void pass_generic(const std::int16_t* a, const std::int16_t* b, std::size_t steps, std::size_t,
                  std::int64_t* out) {
  for (std::size_t s = 0; s < steps; ++s) {
    const std::int16_t* as = a + s * 2 * kRows;
    const std::int16_t* bs = b + s * 2 * kTimes;
    for (std::size_t r = 0; r < kRows; ++r) {
      const std::int32_t a0 = as[2 * r], a1 = as[2 * r + 1];
      for (std::size_t t = 0; t < kTimes; ++t)
        out[r * kTimes + t] += std::int64_t{a0} * bs[2 * t] + std::int64_t{a1} * bs[2 * t + 1];
    }
  }
}

}  // namespace int16_tile

const char* int16_isa_name(Int16Isa isa) {
  switch (isa) {
    case Int16Isa::generic:
      return "generic";
    case Int16Isa::avx2:
      return "avx2";
    case Int16Isa::avx512bw:
      return "avx512bw";
    case Int16Isa::avx512vnni:
      return "avx512vnni";
  }
  return "?";
}

std::optional<Int16Isa> int16_isa_from_name(const std::string& name) {
  for (auto isa : {Int16Isa::generic, Int16Isa::avx2, Int16Isa::avx512bw, Int16Isa::avx512vnni})
    if (name == int16_isa_name(isa)) return isa;
  return std::nullopt;
}

bool int16_isa_supported(Int16Isa isa) {
#if defined(__x86_64__)
  // libgcc's checks include the operating system's support for the ymm / zmm state (XGETBV).
  __builtin_cpu_init();
  switch (isa) {
    case Int16Isa::generic:
      return true;
    case Int16Isa::avx2:
      return __builtin_cpu_supports("avx2");
    case Int16Isa::avx512bw:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
    case Int16Isa::avx512vnni:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512vnni");
  }
  return false;
#else
  return isa == Int16Isa::generic;
#endif
}

Int16Isa int16_isa_for_this_process() {
  if (const char* forced = std::getenv("PERMRSA_KERNEL_ISA"); forced && *forced) {
    const auto isa = int16_isa_from_name(forced);
    if (!isa)
      throw std::runtime_error(std::string("PERMRSA_KERNEL_ISA=") + forced +
                               ": expected generic, avx2, avx512bw or avx512vnni");
    if (!int16_isa_supported(*isa))
      throw std::runtime_error(std::string("PERMRSA_KERNEL_ISA=") + forced +
                               ": this CPU does not support it");
    return *isa;
  }
  for (auto isa : {Int16Isa::avx512vnni, Int16Isa::avx512bw, Int16Isa::avx2})
    if (int16_isa_supported(isa)) return isa;
  return Int16Isa::generic;
}

namespace {

using int16_tile::kRows;
using int16_tile::kTimes;
constexpr std::size_t kGroup = 32;  // row blocks that share each pair block of the brain panels,
                                    // while their gathered pair blocks take at most kGroupBytes
constexpr std::size_t kGroupBytes = std::size_t{1} << 20;

int16_tile::Pass pass_for(Int16Isa isa) {
  switch (isa) {
#if defined(__x86_64__)
    case Int16Isa::avx2:
      return int16_tile::pass_avx2;
    case Int16Isa::avx512bw:
      return int16_tile::pass_avx512bw;
    case Int16Isa::avx512vnni:
      return int16_tile::pass_avx512vnni;
#endif
    default:
      return int16_tile::pass_generic;
  }
}

// int16 storage aligned for 64-byte vector loads.
class AlignedInt16 {
 public:
  AlignedInt16() = default;
  explicit AlignedInt16(std::size_t n)
      : data_(static_cast<std::int16_t*>(
            ::operator new[](n * sizeof(std::int16_t) + 64, std::align_val_t{64}))) {
    std::memset(data_.get(), 0, n * sizeof(std::int16_t) + 64);
  }
  std::int16_t* data() { return data_.get(); }
  const std::int16_t* data() const { return data_.get(); }

 private:
  struct Free {
    void operator()(std::int16_t* p) const { ::operator delete[](p, std::align_val_t{64}); }
  };
  std::unique_ptr<std::int16_t[], Free> data_;
};

// Doubled centred average ranks u = 2*rank - (P+1), exact integers.
std::vector<std::int64_t> centred_ranks(std::span<const double> values) {
  const auto r = average_ranks(values);
  const double shift = static_cast<double>(values.size()) + 1.0;
  std::vector<std::int64_t> u(r.size());
  for (std::size_t p = 0; p < r.size(); ++p) u[p] = static_cast<std::int64_t>(2.0 * r[p] - shift);
  return u;
}

// sqrt(sum u^2): the sum is exact (int128) and rounded once, which is the float64 sum of the
// older kernel bit for bit wherever that one was exact (below 2^53).
double norm(const std::vector<std::int64_t>& u) {
  Int128 s = 0;
  for (std::int64_t v : u) s += static_cast<Int128>(v) * v;
  return std::sqrt(static_cast<double>(s));
}

// How u is split into int16 digits: u = sum_{i < count} d_i 2^(i*bits), the lower digits in
// [0, 2^bits), the top one signed (an arithmetic shift). magnitude[i] bounds |d_i|.
struct Digits {
  std::size_t count = 1, bits = 0;
  std::int64_t magnitude[3] = {0, 0, 0};

  // |u| <= max_abs < 2^width, in `count` digits.
  static Digits split(std::int64_t max_abs, unsigned width, std::size_t count) {
    Digits d;
    d.count = count;
    d.bits = count == 1 ? width : (width + count - 1) / count;
    for (std::size_t i = 0; i + 1 < count; ++i) d.magnitude[i] = (std::int64_t{1} << d.bits) - 1;
    const std::int64_t scale = std::int64_t{1} << (d.bits * (count - 1));
    d.magnitude[count - 1] = (max_abs + scale - 1) / scale;  // |u >> s| <= ceil(|u| / 2^s)
    return d;
  }
  bool fits_int16() const {
    for (std::size_t i = 0; i < count; ++i)
      if (magnitude[i] > 32767) return false;
    return true;
  }
  std::int16_t digit(std::int64_t u, std::size_t i) const {
    if (i + 1 == count) return static_cast<std::int16_t>(u >> (bits * i));  // arithmetic shift
    return static_cast<std::int16_t>((u >> (bits * i)) & ((std::int64_t{1} << bits) - 1));
  }
};

// Steps (two pairs each) that int32 can sum without overflow: a step adds two products to a
// lane, so chunk * 2 * max|a| * max|b| < 2^31. (int32 adds wrap, so only the chunk's true sum
// must be in range, not its partial sums.)
std::size_t chunk_steps(std::int64_t max_a, std::int64_t max_b) {
  const std::int64_t per_step = std::max<std::int64_t>(1, 2 * max_a * max_b);
  if (per_step > 2147483647) throw InternalError("spearman int16 kernel: int16 products too large");
  return static_cast<std::size_t>(2147483647 / per_step);
}

// One integer product of the kernel: model plane `model` . brain plane `brain`, weighted by
// `weight` when the products are combined into the dot (plane indices count the sum planes of
// Karatsuba's scheme, which follow the digit planes).
struct PlaneProduct {
  std::size_t model = 0, brain = 0;
  std::int64_t weight = 1;
};

class SpearmanInt16Kernel final : public StatisticKernel {
 public:
  SpearmanInt16Kernel(const Matrix<double>& models, const Matrix<double>& brain, Int16Isa isa)
      : layers_(models.rows()),
        pairs_(models.cols()),
        times_(brain.cols()),
        steps_((pairs_ + 1) / 2),
        panels_((times_ + kTimes - 1) / kTimes),
        pass_(pass_for(isa)) {
    if (brain.rows() != pairs_) throw InternalError("spearman int16 kernel: P mismatch");
    // P <= 2^29 (S <= 32768): two brain planes of at most 15 bits hold |u| < 2^29.
    if (pairs_ < 2 || pairs_ > (std::size_t{1} << 29))
      throw InternalError("spearman int16 kernel: P outside [2, 2^29]");
    plan_digits();
    // Model side: per digit plane, P x L int16 values (gathered per tile).
    model_planes_ = PageBuffer(model_digits_.count * layers_ * pairs_ * sizeof(std::int16_t));
    model_norm_.assign(layers_, 1.0);
    for (std::size_t l = 0; l < layers_; ++l) {
      const auto u = centred_ranks(models.row(l));
      model_norm_[l] = norm(u);
      if (!(model_norm_[l] > 0)) throw InternalError("spearman int16 kernel: constant ranks");
      for (std::size_t i = 0; i < model_digits_.count; ++i)
        for (std::size_t p = 0; p < pairs_; ++p)
          model_planes()[(p * model_digits_.count + i) * layers_ + l] =
              model_digits_.digit(u[p], i);
    }
    // Brain side: per panel of kTimes columns and digit plane, steps x kTimes x 2 (pairs 2s and
    // 2s+1 side by side), zero-padded in pairs and times.
    panel_size_ = steps_ * kTimes * 2;
    const std::size_t bp = brain_digits_.count;
    packed_brain_ = AlignedInt16(panels_ * bp * panel_size_);
    brain_norm_.assign(panels_ * kTimes, 1.0);
    std::int16_t* packed = packed_brain_.data();
    tbb::parallel_for(std::size_t{0}, times_, [&](std::size_t t) {
      std::vector<double> column(pairs_);
      for (std::size_t p = 0; p < pairs_; ++p) column[p] = brain(p, t);
      const auto u = centred_ranks(column);
      brain_norm_[t] = norm(u);
      if (!(brain_norm_[t] > 0)) throw InternalError("spearman int16 kernel: constant ranks");
      const std::size_t panel = t / kTimes, lane = t % kTimes;
      for (std::size_t j = 0; j < bp; ++j) {
        std::int16_t* dst = packed + (panel * bp + j) * panel_size_;
        for (std::size_t p = 0; p < pairs_; ++p)
          dst[((p / 2) * kTimes + lane) * 2 + p % 2] = brain_digits_.digit(u[p], j);
      }
    });
    plan_chunks();
  }

  std::size_t layers() const override { return layers_; }
  std::size_t times() const override { return times_; }
  std::size_t pairs() const override { return pairs_; }
  double work_per_permutation() const override {
    return 2.0 * static_cast<double>(pairs_ * layers_ * times_);
  }
  // |dot| <= |u_model| |u_brain| (Cauchy-Schwarz): below 2^31 (with a margin for the rounding
  // of the product) the dots are int32, and rho = dot / (m b) gives them back.
  std::unique_ptr<MapCodec> map_codec() const override {
    const double m = *std::max_element(model_norm_.begin(), model_norm_.end());
    const double b = *std::max_element(brain_norm_.begin(), brain_norm_.begin() + times_);
    if (!(m * b < 2147483648.0 - 1024.0)) return nullptr;
    std::vector<double> denominators(layers_ * times_);
    for (std::size_t l = 0; l < layers_; ++l)
      for (std::size_t t = 0; t < times_; ++t)
        denominators[l * times_ + t] = model_norm_[l] * brain_norm_[t];  // as write_tile divides
    return make_quotient_codec(std::move(denominators));
  }

  // Row blocks are taken up to group_ (<= kGroup) at a time, spread evenly over the threads
  // (balanced_group), and the pairs in blocks of step_block_
  // steps: a block of every brain panel then stays in L2 while the group's row blocks use it, and a
  // row block's gathered pairs stay in L1/L2 across the panels. The sums are exact integers, so
  // this order changes no bit (the pass flushes its int32 sums at the end of every pair block).
  void compute(std::span<const std::uint32_t> gathers, std::size_t batch,
               std::span<double> out) const override {
    const std::size_t rows = batch * layers_;
    const std::size_t blocks = (rows + kRows - 1) / kRows;
    const std::size_t group = balanced_group(
        blocks, group_, static_cast<std::size_t>(tbb::this_task_arena::max_concurrency()));
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
  // Per thread, reused across calls (tbb::enumerable_thread_specific: the bodies never wait on
  // TBB, so no other task runs on a thread while it uses its scratch).
  struct Scratch {
    AlignedInt16
        a;  // gathered model rows of a pair block: group_ x planes x step_block_ x kRows x 2
    std::size_t a_size = 0;
    std::vector<std::int64_t> sums;  // group x panels x plane products x kRows x kTimes
    AlignedInt16
        brain_sum;  // Karatsuba's brain sum plane of a pair block: panels x steps x kTimes x 2
    std::size_t brain_sum_size = 0;
    std::vector<std::int64_t> narrow = std::vector<std::int64_t>(kRows * kTimes);
    std::vector<Int128> wide = std::vector<Int128>(kRows * kTimes);
    std::vector<double> dot = std::vector<double>(kRows * kTimes);  // the exact dots, as double
  };

  void compute_group(std::span<const std::uint32_t> gathers, std::size_t rows, std::size_t blk0,
                     std::size_t count, Scratch& scratch, std::span<double> out) const {
    const std::size_t nq = products_.size(), n = kRows * kTimes;
    // The gathered rows of one pair block: per row block and plane, step_block_ x kRows x 2.
    const std::size_t plane_size = step_block_ * kRows * 2,
                      block_size = model_plane_count() * plane_size;
    if (scratch.a_size < group_ * block_size) {
      scratch.a = AlignedInt16(group_ * block_size);
      scratch.a_size = group_ * block_size;
    }
    scratch.sums.assign(group_ * panels_ * nq * n, 0);
    for (std::size_t s0 = 0; s0 < steps_; s0 += step_block_) {
      const std::size_t s1 = std::min(steps_, s0 + step_block_);
      for (std::size_t k = 0; k < count; ++k)
        gather_rows(gathers, rows, blk0 + k, s0, s1, plane_size, scratch.a.data() + k * block_size);
      if (karatsuba_) add_brain_digits(s0, s1, scratch);
      for (std::size_t k = 0; k < count; ++k)
        for (std::size_t panel = 0; panel < panels_; ++panel)
          for (std::size_t q = 0; q < nq; ++q) {
            const PlaneProduct& product = products_[q];
            const std::int16_t* a = scratch.a.data() + k * block_size + product.model * plane_size;
            const std::int16_t* b = brain_block(panel, product.brain, s0, scratch);
            std::int64_t* sums = scratch.sums.data() + ((k * panels_ + panel) * nq + q) * n;
            const ChunkPlan& plan = chunk_plans_[panel * nq + q];
            const std::size_t blk = s0 / step_block_;
            std::size_t start = s0;
            for (std::size_t c = plan.first[blk]; c < plan.first[blk + 1]; ++c) {
              const std::size_t end = plan.ends[c];
              pass_(a + (start - s0) * 2 * kRows, b + (start - s0) * 2 * kTimes, end - start,
                    end - start, sums);
              start = end;
            }
          }
    }
    write_group(rows, blk0, count, scratch, out);
  }

  // Brain plane `plane` of `panel` from step s0 on: a digit plane where it is stored, Karatsuba's
  // sum plane from the scratch that add_brain_digits filled for this pair block.
  const std::int16_t* brain_block(std::size_t panel, std::size_t plane, std::size_t s0,
                                  const Scratch& scratch) const {
    if (plane < brain_digits_.count)
      return packed_brain_.data() + (panel * brain_digits_.count + plane) * panel_size_ +
             s0 * 2 * kTimes;
    return scratch.brain_sum.data() + panel * step_block_ * 2 * kTimes;
  }
  // Karatsuba's brain sum plane for steps [s0, s1) of every panel, added up from the two digit
  // planes once per pair block and group (not stored for the whole brain: it would take half as
  // much memory again as the digit planes).
  void add_brain_digits(std::size_t s0, std::size_t s1, Scratch& scratch) const {
    const std::size_t block = step_block_ * 2 * kTimes, values = (s1 - s0) * 2 * kTimes;
    if (scratch.brain_sum_size < panels_ * block) {
      scratch.brain_sum = AlignedInt16(panels_ * block);
      scratch.brain_sum_size = panels_ * block;
    }
    for (std::size_t panel = 0; panel < panels_; ++panel) {
      const std::int16_t* lo = brain_block(panel, 0, s0, scratch);
      const std::int16_t* hi = brain_block(panel, 1, s0, scratch);
      std::int16_t* sum = scratch.brain_sum.data() + panel * block;
      for (std::size_t v = 0; v < values; ++v) sum[v] = static_cast<std::int16_t>(lo[v] + hi[v]);
    }
  }

  // The group's tiles from their plane products to rho in `out`.
  void write_group(std::size_t rows, std::size_t blk0, std::size_t count, Scratch& scratch,
                   std::span<double> out) const {
    const std::size_t nq = products_.size(), n = kRows * kTimes;
    for (std::size_t k = 0; k < count; ++k)
      for (std::size_t panel = 0; panel < panels_; ++panel) {
        const std::int64_t* sums = scratch.sums.data() + (k * panels_ + panel) * nq * n;
        // One plane on each side: the sums are the dots, converted as they are written.
        if (nq == 1) {
          write_tile(sums, rows, blk0 + k, panel, out);
        } else {
          combine(scratch, sums);
          write_tile(scratch.dot.data(), rows, blk0 + k, panel, out);
        }
      }
  }

  void plan_digits() {
    // |u| <= P - 1 < 2^width.
    const auto max_abs = static_cast<std::int64_t>(pairs_ - 1);
    const auto width = static_cast<unsigned>(std::bit_width(static_cast<std::uint64_t>(max_abs)));
    // Brain: one plane while |u| fits int16, else two.
    brain_digits_ = Digits::split(max_abs, width, width <= 15 ? 1 : 2);
    // Model: 1, 2 or 3 planes, whichever costs least: planes x (1 + flush / chunk), with a flush
    // costing about 8 steps (sign-extending 24 accumulators and adding them to memory).
    double best = 0;
    for (std::size_t count = 1; count <= 3; ++count) {
      const Digits d = Digits::split(max_abs, width, count);
      if (!d.fits_int16()) continue;
      std::size_t shortest = SIZE_MAX;
      for (std::size_t i = 0; i < d.count; ++i)
        for (std::size_t j = 0; j < brain_digits_.count; ++j)
          shortest = std::min(shortest, chunk_steps(d.magnitude[i], brain_digits_.magnitude[j]));
      const double cost = static_cast<double>(count) * (1.0 + 8.0 / static_cast<double>(shortest));
      if (best == 0 || cost < best) best = cost, model_digits_ = d;
    }
    if (best == 0) throw InternalError("spearman int16 kernel: no digit split");
    plan_products(best * static_cast<double>(brain_digits_.count), max_abs, width);
    wide_ = pairs_ > (std::size_t{1} << 19);
    // A pair block of every brain panel (128 bytes per step and plane) in about 1 MB of L2.
    const std::size_t panel_bytes_per_step = panels_ * brain_plane_count() * 2 * kTimes * 2;
    step_block_ = std::max<std::size_t>(256, (std::size_t{1} << 20) / panel_bytes_per_step);
    // The group's gathered pair blocks (all planes) in about half of L2.
    const std::size_t block_bytes =
        model_plane_count() * std::min(step_block_, steps_) * kRows * 2 * sizeof(std::int16_t);
    group_ = std::clamp<std::size_t>(kGroupBytes / block_bytes, 1, kGroup);
  }

  // The plane products: every model digit plane with every brain one, u_m u_b = sum over (i, j)
  // of 2^(i*bm + j*bn) d_i e_j; or, with two digit planes of the same base 2^k on each side,
  // Karatsuba's three: with h = d_1 e_1, l = d_0 e_0 and s = (d_0 + d_1)(e_0 + e_1),
  //   u_m u_b = 2^2k h + 2^k (s - h - l) + l = (2^2k - 2^k) h + 2^k s + (1 - 2^k) l,
  // which needs a third plane on each side, the digits' sum (the model's added up after each
  // gather, the brain's once per pair block: add_brain_digits). Its values must fit int16, and
  // its chunks are shorter:
  // it is taken when three products with its flushes cost less than the `cost` of the rest
  // (flushes about 8 steps, as in plan_digits). Every product is an exact integer and so is
  // the combination: the dots are the same bit for bit either way.
  void plan_products(double cost, std::int64_t max_abs, unsigned width) {
    products_.clear();
    karatsuba_ = false;
    const Digits two = Digits::split(max_abs, width, 2);
    const std::int64_t sum = two.magnitude[0] + two.magnitude[1];
    if (brain_digits_.count == 2 && sum <= 32767) {
      const double three = 3.0 * (1.0 + 8.0 / static_cast<double>(chunk_steps(sum, sum)));
      if (three < cost) {
        karatsuba_ = true;
        model_digits_ = two;
        const std::int64_t k = std::int64_t{1} << two.bits;
        products_ = {PlaneProduct{0, 0, 1 - k}, PlaneProduct{1, 1, k * k - k},
                     PlaneProduct{2, 2, k}};
        return;
      }
    }
    for (std::size_t i = 0; i < model_digits_.count; ++i)
      for (std::size_t j = 0; j < brain_digits_.count; ++j)
        products_.push_back(PlaneProduct{
            i, j, std::int64_t{1} << (i * model_digits_.bits + j * brain_digits_.bits)});
  }
  // Planes per side as the products use them: the digit planes, and their sum with Karatsuba's.
  std::size_t model_plane_count() const { return model_digits_.count + (karatsuba_ ? 1 : 0); }
  std::size_t brain_plane_count() const { return brain_digits_.count + (karatsuba_ ? 1 : 0); }
  // A plane's bound on |value|.
  static std::int64_t plane_magnitude(const Digits& digits, std::size_t j) {
    return j < digits.count ? digits.magnitude[j] : digits.magnitude[0] + digits.magnitude[1];
  }

  // Where the int32 sums are flushed, per panel and plane pair: the longest chunks whose sums
  // cannot overflow given this panel's brain digits. A lane of time t sums, over the chunk's
  // pairs p, d_model[p] * d_brain[p, t], so |sum| <= max|d_model| * sum_p |d_brain[p, t]|; the
  // chunk grows while that bound stays below 2^31 for all 32 lanes. With |d_brain| about half
  // its maximum on average, chunks are about twice the worst case's (chunk_steps), and half the
  // flushes go. Chunks end at every pair block, where compute_group starts a new gather. (int32
  // adds wrap, so only the chunk's true sum must be in range, not its partial sums.)
  void plan_chunks() {
    const std::size_t nq = products_.size();
    const std::size_t blocks = (steps_ + step_block_ - 1) / step_block_;
    chunk_plans_.assign(panels_ * nq, ChunkPlan{});
    tbb::parallel_for(std::size_t{0}, panels_ * nq, [&](std::size_t pq) {
      const std::size_t panel = pq / nq, q = pq % nq;
      ChunkPlan& plan = chunk_plans_[pq];
      const std::int64_t limit =
          2147483647 /
          std::max<std::int64_t>(1, plane_magnitude(model_digits_, products_[q].model));
      std::array<std::int64_t, kTimes> lane{}, step{};
      for (std::size_t blk = 0; blk < blocks; ++blk) {
        plan.first.push_back(static_cast<std::uint32_t>(plan.ends.size()));
        const std::size_t s1 = std::min(steps_, (blk + 1) * step_block_);
        lane.fill(0);
        for (std::size_t s = blk * step_block_; s < s1; ++s) {
          brain_step_magnitudes(panel, products_[q].brain, s, step);
          bool fits = true;
          for (std::size_t t = 0; t < kTimes; ++t) fits = fits && lane[t] + step[t] <= limit;
          if (!fits) {  // end the chunk before step s (a step alone always fits: chunk_steps)
            plan.ends.push_back(static_cast<std::uint32_t>(s));
            lane.fill(0);
          }
          for (std::size_t t = 0; t < kTimes; ++t) lane[t] += step[t];
        }
        plan.ends.push_back(static_cast<std::uint32_t>(s1));
      }
      plan.first.push_back(static_cast<std::uint32_t>(plan.ends.size()));
    });
  }
  // |b(2s, t)| + |b(2s + 1, t)| for each lane t of brain plane j of a panel: a stored digit plane,
  // or Karatsuba's sum plane (the two digits added).
  void brain_step_magnitudes(std::size_t panel, std::size_t j, std::size_t s,
                             std::array<std::int64_t, kTimes>& out) const {
    const std::int16_t* base =
        packed_brain_.data() + panel * brain_digits_.count * panel_size_ + s * 2 * kTimes;
    for (std::size_t t = 0; t < kTimes; ++t) {
      std::int64_t v0 = 0, v1 = 0;
      for (std::size_t d = 0; d < brain_digits_.count; ++d)
        if (d == j || j >= brain_digits_.count) {
          v0 += base[d * panel_size_ + 2 * t];
          v1 += base[d * panel_size_ + 2 * t + 1];
        }
      out[t] = std::abs(v0) + std::abs(v1);
    }
  }

  // a[(s - s0) * 2 kRows + 2 i + k] = z[g[2 s + k] * stride + i] for i < Len, k = 0, 1 (0 for the
  // pair past an odd P).
  template <std::size_t Len>
  static void copy_run(const std::int16_t* z, std::size_t stride, const std::uint32_t* g,
                       std::size_t s0, std::size_t s1, std::size_t pairs, std::int16_t* a) {
    const std::size_t full = std::min(s1, pairs / 2);
    for (std::size_t s = s0; s < full; ++s, a += 2 * kRows)
      interleave<Len>(z + std::size_t{g[2 * s]} * stride, z + std::size_t{g[2 * s + 1]} * stride,
                      a);
    if (full < s1) {
      const std::int16_t* x = z + std::size_t{g[2 * full]} * stride;
      for (std::size_t i = 0; i < Len; ++i) {
        a[2 * i] = x[i];
        a[2 * i + 1] = 0;
      }
    }
  }
  // a[2 i] = x[i], a[2 i + 1] = y[i] for i < Len: eight values at a time with SSE2 unpacks (one
  // load per side and two stores, instead of 16 scalar loads and stores), then four, then
  // single values. Reads and writes exactly Len values per side.
  template <std::size_t Len>
  static void interleave(const std::int16_t* x, const std::int16_t* y, std::int16_t* a) {
    std::size_t i = 0;
#if defined(__SSE2__)
    for (; i + 8 <= Len; i += 8) {
      const __m128i vx = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i));
      const __m128i vy = _mm_loadu_si128(reinterpret_cast<const __m128i*>(y + i));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(a + 2 * i), _mm_unpacklo_epi16(vx, vy));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(a + 2 * i + 8), _mm_unpackhi_epi16(vx, vy));
    }
    if (i + 4 <= Len) {
      const __m128i vx = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(x + i));
      const __m128i vy = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(y + i));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(a + 2 * i), _mm_unpacklo_epi16(vx, vy));
      i += 4;
    }
#endif
    for (; i < Len; ++i) {
      a[2 * i] = x[i];
      a[2 * i + 1] = y[i];
    }
  }
  template <std::size_t... Len>
  static constexpr auto run_copiers(std::index_sequence<Len...>) {
    return std::array{&SpearmanInt16Kernel::copy_run<Len + 1>...};
  }

  // Steps [s0, s1) of the permuted model rows of tile `blk`, per plane (planes `plane_size`
  // apart), as steps x kRows x 2 (zero rows past the end and a zero pair past P). The model
  // planes are stored pair-major (P x planes x L), and a tile's rows are consecutive layers of one
  // or a few permutations: each run of rows with the same permutation interleaves, per step, the
  // consecutive values of two model pairs (a fixed-length copy the compiler vectorises).
  void gather_rows(std::span<const std::uint32_t> gathers, std::size_t rows, std::size_t blk,
                   std::size_t s0, std::size_t s1, std::size_t plane_size,
                   std::int16_t* out) const {
    static constexpr auto copiers = run_copiers(std::make_index_sequence<kRows>{});
    const std::size_t L = layers_, first = blk * kRows, last = std::min(rows, first + kRows);
    const std::size_t stride = model_digits_.count * L;  // a pair's planes side by side
    for (std::size_t i = 0; i < model_digits_.count; ++i) {
      std::int16_t* a = out + i * plane_size;
      if (last - first < kRows) std::fill(a, a + (s1 - s0) * 2 * kRows, std::int16_t{0});
      const std::int16_t* z = model_planes() + i * L;
      for (std::size_t row = first; row < last;) {
        const std::size_t layer = row % L, len = std::min(last - row, L - layer);
        copiers[len - 1](z + layer, stride, gathers.data() + (row / L) * pairs_, s0, s1, pairs_,
                         a + 2 * (row - first));
        row += len;
      }
    }
    // Karatsuba's sum plane: the two digit planes added (both fit int16, and so does the sum).
    if (karatsuba_) {
      const std::size_t values = (s1 - s0) * 2 * kRows;
      const std::int16_t *lo = out, *hi = out + plane_size;
      std::int16_t* sum = out + 2 * plane_size;
      for (std::size_t v = 0; v < values; ++v) sum[v] = static_cast<std::int16_t>(lo[v] + hi[v]);
    }
  }

  // scratch.dot = the exact dot products of a tile from its plane products `sums` (products x
  // kRows x kTimes) when there is more than one: sum over the products of weight * sums
  // (plan_products), in int64 up to P = 2^19 (|terms| < 2^58 there) and __int128 beyond.
  void combine(Scratch& scratch, const std::int64_t* sums) const {
    if (!wide_) {
      combine_in(scratch.narrow, sums, scratch.dot);
      return;
    }
    combine_in(scratch.wide, sums, scratch.dot);
  }
  template <class Int>
  void combine_in(std::vector<Int>& total, const std::int64_t* sums,
                  std::vector<double>& dot) const {
    const std::size_t n = kRows * kTimes;
    std::fill(total.begin(), total.end(), Int{0});
    for (std::size_t q = 0; q < products_.size(); ++q) {
      const Int weight = products_[q].weight;
      const std::int64_t* pd = sums + q * n;
      for (std::size_t k = 0; k < n; ++k) total[k] += Int{pd[k]} * weight;
    }
    for (std::size_t k = 0; k < n; ++k) dot[k] = static_cast<double>(total[k]);
  }

  // A tile's exact dots (kRows x kTimes, int64 sums or doubles) to rho in `out`.
  template <class Dot>
  void write_tile(const Dot* dot, std::size_t rows, std::size_t blk, std::size_t panel,
                  std::span<double> out) const {
    for (std::size_t r = 0; r < kRows; ++r) {
      const std::size_t row = blk * kRows + r;
      if (row >= rows) break;
      const std::size_t t0 = panel * kTimes, t1 = std::min(times_, t0 + kTimes);
      const double m = model_norm_[row % layers_];
      double* dst = out.data() + row * times_;
      // One division by a per-cell constant, so equal dots give equal rho (as the older kernel).
      for (std::size_t t = t0; t < t1; ++t)
        dst[t] = static_cast<double>(dot[r * kTimes + t - t0]) / (m * brain_norm_[t]);
    }
  }

  std::size_t layers_, pairs_, times_, steps_, panels_, panel_size_ = 0;
  int16_tile::Pass pass_;
  Digits model_digits_, brain_digits_;
  std::vector<PlaneProduct> products_;
  bool karatsuba_ = false;  // three products of two digit planes and their sums (plan_products)
  bool wide_ = false;
  // The flushes of one panel and plane pair: chunk c ends before step ends[c]; the chunks of
  // pair block k are ends[first[k]] ... ends[first[k + 1] - 1].
  struct ChunkPlan {
    std::vector<std::uint32_t> ends, first;
  };
  std::vector<ChunkPlan> chunk_plans_;  // panels x plane products
  std::size_t step_block_ = 0;          // steps per pair block
  std::size_t group_ = 1;               // row blocks per group
  mutable tbb::enumerable_thread_specific<Scratch> scratch_;
  // In huge pages: the gathers read them at random, tens of MB at S = 800 (PageBuffer).
  // P x planes x L: a pair's digit planes side by side, so that the gathers of the second plane
  // find its values in the cache lines the first plane's brought in.
  PageBuffer model_planes_;
  std::int16_t* model_planes() const {
    return model_planes_.as<std::int16_t>();
  }
  AlignedInt16 packed_brain_;  // panels x brain planes x steps x kTimes x 2
  std::vector<double> model_norm_, brain_norm_;
};

}  // namespace

std::unique_ptr<StatisticKernel> make_spearman_int16_kernel(const Matrix<double>& models,
                                                            const Matrix<double>& brain,
                                                            Int16Isa isa) {
  return std::make_unique<SpearmanInt16Kernel>(models, brain, isa);
}

}  // namespace permrsa
