// Kendall's tau (b or a) under permutation, O(P log P) per cell (Knight's algorithm, with the
// inversions counted bit by bit, see inversion_count.hpp).
//
// The brain side is sorted once per time point. For a permuted model row, x = dense ranks of
// the model gathered in the brain's sorted order; within runs of tied brain values x is sorted
// (so tied-y pairs are neither concordant nor discordant), and the inversions left are exactly
// the discordant pairs. With n0 = P(P-1)/2, n1 = model ties, n2 = brain ties, n3 = joint ties,
// nd = discordant:  n_c - n_d = n0 - n1 - n2 + n3 - 2 nd, and tau follows in kendall_tau()
// (scipy.stats.kendalltau 1.10). Integer counts make every output independent of batching and
// threads.
//
// make_kendall_kernel chooses between this kernel and the bit-parallel one by P
// (kendall_kernel.hpp).
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <numeric>
#include <string>
#include <vector>

#include "kernels/inversion_count.hpp"
#include "kernels/kendall_kernel.hpp"
#include "kernels/kendall_tau.hpp"
#include "kernels/statistic_kernel.hpp"
#include "numeric/ranks.hpp"
#include "permrsa/error.hpp"

namespace permrsa {
namespace {

struct TieRun {
  std::uint32_t start, length;
};

class KendallKernel final : public StatisticKernel {
 public:
  KendallKernel(Metric variant, const Matrix<double>& models, const Matrix<double>& brain)
      : tau_b_(variant == Metric::kendall_b),
        layers_(models.rows()),
        pairs_(models.cols()),
        times_(brain.cols()) {
    if (brain.rows() != pairs_) throw InternalError("kendall kernel: P mismatch");
    const auto n = static_cast<std::int64_t>(pairs_);
    n0_ = n * (n - 1) / 2;
    model_ranks_.resize(layers_ * pairs_);
    model_ties_.resize(layers_);
    for (std::size_t l = 0; l < layers_; ++l) {
      const auto ranks = dense_ranks(models.row(l));
      std::copy(ranks.begin(), ranks.end(),
                model_ranks_.begin() + static_cast<std::ptrdiff_t>(l * pairs_));
      model_ties_[l] = tied_pairs(models.row(l));
      const auto top = *std::max_element(ranks.begin(), ranks.end());
      rank_bits_ = std::max(rank_bits_, bits_for(static_cast<std::uint32_t>(top)));
    }
    brain_order_.resize(times_ * pairs_);
    brain_ties_.resize(times_);
    brain_runs_.resize(times_);
    std::vector<double> column(pairs_);
    for (std::size_t t = 0; t < times_; ++t) {
      for (std::size_t p = 0; p < pairs_; ++p) column[p] = brain(p, t);
      std::vector<std::uint32_t> order(pairs_);
      std::iota(order.begin(), order.end(), 0u);
      std::stable_sort(order.begin(), order.end(),
                       [&](std::uint32_t a, std::uint32_t b) { return column[a] < column[b]; });
      std::copy(order.begin(), order.end(),
                brain_order_.begin() + static_cast<std::ptrdiff_t>(t * pairs_));
      brain_ties_[t] = tied_pairs(column);
      for (std::size_t i = 0; i < pairs_;) {
        std::size_t j = i + 1;
        while (j < pairs_ && column[order[j]] == column[order[i]]) ++j;
        if (j - i > 1)
          brain_runs_[t].push_back(
              {static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(j - i)});
        i = j;
      }
    }
  }

  std::size_t layers() const override { return layers_; }
  std::size_t times() const override { return times_; }
  std::size_t pairs() const override { return pairs_; }
  double work_per_permutation() const override {
    return static_cast<double>(layers_ * times_) * static_cast<double>(pairs_) *
           std::log2(static_cast<double>(pairs_));
  }

  void compute(std::span<const std::uint32_t> gathers, std::size_t batch,
               std::span<double> out) const override {
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, batch * layers_),
                      [&](const tbb::blocked_range<std::size_t>& range) {
                        std::vector<std::int32_t> permuted(pairs_), x(pairs_),
                            scratch(std::size_t{1} << rank_bits_);
                        for (std::size_t task = range.begin(); task != range.end(); ++task) {
                          const std::size_t b = task / layers_, l = task % layers_;
                          const std::uint32_t* g = gathers.data() + b * pairs_;
                          const std::int32_t* ranks = model_ranks_.data() + l * pairs_;
                          for (std::size_t p = 0; p < pairs_; ++p) permuted[p] = ranks[g[p]];
                          double* dst = out.data() + task * times_;
                          for (std::size_t t = 0; t < times_; ++t)
                            dst[t] = cell(permuted, x, scratch, l, t);
                        }
                      });
  }

 private:
  double cell(const std::vector<std::int32_t>& permuted, std::vector<std::int32_t>& x,
              std::vector<std::int32_t>& scratch, std::size_t l, std::size_t t) const {
    const std::uint32_t* order = brain_order_.data() + t * pairs_;
    for (std::size_t i = 0; i < pairs_; ++i) x[i] = permuted[order[i]];
    std::int64_t joint_ties = 0;
    for (const TieRun& run : brain_runs_[t]) {
      auto* first = x.data() + run.start;
      std::sort(first, first + run.length);
      for (std::uint32_t i = 0; i < run.length;) {
        std::uint32_t j = i + 1;
        while (j < run.length && first[j] == first[i]) ++j;
        const std::int64_t g = j - i;
        joint_ties += g * (g - 1) / 2;
        i = j;
      }
    }
    const std::int64_t discordant = count_inversions(x.data(), pairs_, rank_bits_, scratch.data());
    const std::int64_t con_minus_dis =
        n0_ - model_ties_[l] - brain_ties_[t] + joint_ties - 2 * discordant;
    return kendall_tau(tau_b_, n0_, model_ties_[l], brain_ties_[t], con_minus_dis);
  }

  bool tau_b_;
  std::size_t layers_, pairs_, times_;
  std::int64_t n0_ = 0;
  int rank_bits_ = 1;                       // dense model ranks < 2^rank_bits_
  std::vector<std::int32_t> model_ranks_;   // L x P dense ranks
  std::vector<std::int64_t> model_ties_;    // n1 per layer
  std::vector<std::uint32_t> brain_order_;  // T x P ascending order of each brain column
  std::vector<std::int64_t> brain_ties_;    // n2 per time point
  std::vector<std::vector<TieRun>> brain_runs_;
};

}  // namespace

KendallMethod kendall_method_for(std::size_t pairs, PopcountPath path) {
  const std::size_t limit =
      path == PopcountPath::avx512 ? kKendallBitParallelMaxPairs : kKendallPortableMaxPairs;
  return pairs >= 2 && pairs <= limit ? KendallMethod::bit_parallel : KendallMethod::merge_sort;
}

KendallMethod kendall_method_from_environment() {
  const char* value = std::getenv("PERMRSA_KENDALL_METHOD");
  const std::string text = value == nullptr ? "" : value;
  if (text.empty() || text == "automatic") return KendallMethod::automatic;
  if (text == "merge-sort") return KendallMethod::merge_sort;
  if (text == "bit-parallel") return KendallMethod::bit_parallel;
  throw InputError(
      "PERMRSA_KENDALL_METHOD: expected merge-sort, bit-parallel or automatic, found \"" + text +
      "\"");
}

PopcountPath popcount_path_from_environment() {
  const char* value = std::getenv("PERMRSA_KENDALL_POPCOUNT");
  if (value != nullptr && std::string(value) == "portable") return PopcountPath::portable;
  return cpu_has_avx512_popcount() ? PopcountPath::avx512 : PopcountPath::portable;
}

std::unique_ptr<StatisticKernel> make_merge_sort_kendall_kernel(Metric variant,
                                                                const Matrix<double>& models,
                                                                const Matrix<double>& brain) {
  return std::make_unique<KendallKernel>(variant, models, brain);
}

std::unique_ptr<StatisticKernel> make_kendall_kernel(Metric variant, const Matrix<double>& models,
                                                     const Matrix<double>& brain,
                                                     KendallMethod method, PopcountPath path) {
  if (method == KendallMethod::automatic) method = kendall_method_for(models.cols(), path);
  if (method == KendallMethod::bit_parallel)
    return make_bit_parallel_kendall_kernel(variant, models, brain, path);
  return make_merge_sort_kendall_kernel(variant, models, brain);
}

std::unique_ptr<StatisticKernel> make_kendall_kernel(Metric variant, const Matrix<double>& models,
                                                     const Matrix<double>& brain) {
  return make_kendall_kernel(variant, models, brain, kendall_method_from_environment(),
                             popcount_path_from_environment());
}

}  // namespace permrsa
