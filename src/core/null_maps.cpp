#include "core/null_maps.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>

#include "kernels/statistic_kernel.hpp"
#include "permrsa/error.hpp"
#include "permrsa/tail.hpp"

namespace permrsa {
namespace {

void orient(Batch& batch, std::size_t cells, Tail tail) {
  tbb::parallel_for(std::size_t{0}, batch.count, [&](std::size_t b) {
    for (std::size_t i = b * cells; i < (b + 1) * cells; ++i)
      batch.e[i] = null_oriented(batch.s[i], tail);
  });
}

std::vector<std::unique_ptr<StatisticKernel>> kernels_for(const RsaProblem& problem,
                                                          const AnalysisSettings& analysis) {
  std::vector<std::unique_ptr<StatisticKernel>> kernels;
  if (problem.block.cells() == 0) return kernels;
  if (problem.subjects.empty())
    kernels.push_back(make_statistic_kernel(analysis.metric, analysis.precision, problem.models, problem.brain));
  for (const auto& subject : problem.subjects)
    kernels.push_back(make_statistic_kernel(analysis.metric, analysis.precision, problem.models, subject));
  return kernels;
}

class StimulusMaps final : public NullMaps {
 public:
  StimulusMaps(const RsaProblem& problem, const AnalysisSettings& analysis, const PermutationSet& perms)
      : kernels_(kernels_for(problem, analysis)), cells_(problem.block.cells()), perms_(perms),
        tail_(analysis.tail), fisher_z_(analysis.fisher_z && !problem.subjects.empty()) {}

  void fill(Batch& batch, std::int64_t first, std::size_t count) const override {
    batch.count = count;
    batch.s.assign(count * cells_, 0.0);
    batch.e.assign(count * cells_, 0.0);
    if (kernels_.empty()) return;
    const std::size_t pairs = kernels_.front()->pairs();
    std::vector<std::uint32_t> gathers(count * pairs);
    tbb::parallel_for(std::size_t{0}, count, [&](std::size_t b) {
      std::vector<std::uint32_t> pi(perms_.stimuli());
      perms_.permutation(first + static_cast<std::int64_t>(b), pi);
      pair_gather(pi, std::span(gathers).subspan(b * pairs, pairs));
    });
    if (kernels_.size() == 1) {
      kernels_.front()->compute(gathers, count, batch.s);
    } else {
      // Mean over subjects, added in subject order.
      std::vector<double> one(count * cells_);
      for (const auto& kernel : kernels_) {
        kernel->compute(gathers, count, one);
        for (std::size_t i = 0; i < one.size(); ++i) batch.s[i] += fisher_z_ ? std::atanh(one[i]) : one[i];
      }
      const double n = static_cast<double>(kernels_.size());
      for (auto& v : batch.s) v /= n;
    }
    orient(batch, cells_, tail_);
  }

 private:
  std::vector<std::unique_ptr<StatisticKernel>> kernels_;
  std::size_t cells_;
  const PermutationSet& perms_;
  Tail tail_;
  bool fisher_z_;
};

// The group statistic of every cell under a batch of sign-flip patterns. For pattern k the
// flipped subjects' sum is S = sum_i s_i r_i (subjects in order), a product of the B x N sign
// matrix with the N x cells maps, done tile by tile so that a tile of every subject's map stays
// in cache while all patterns of the batch pass over it. Multiplying by +-1 is exact, so every
// cell's sum is the same whatever the tiling, batch or thread. The t statistic takes one pass:
// sum_i (s_i r_i)^2 = sum_i r_i^2 = Q does not change under flips, so
// ss = sum_i (s_i r_i - mean)^2 = Q - S^2 / n (as MNE's permutation loop computes it too).
// Negating every sign negates S exactly and leaves ss unchanged, so opposite patterns give
// exactly opposite statistics.
class SignFlipMaps final : public NullMaps {
 public:
  SignFlipMaps(const RsaProblem& problem, const AnalysisSettings& analysis, const SignFlipSet& flips)
      : cells_(problem.block.cells()), subjects_(problem.subject_count()), flips_(flips),
        tail_(analysis.tail), t_(analysis.group_statistic == GroupStatistic::t) {
    if (subjects_ < 2) throw InputError("sign-flip: expected at least 2 subjects, found " + std::to_string(subjects_));
    const auto maps = per_subject_maps(problem, analysis);
    tiles_ = (cells_ + kTile - 1) / kTile;
    const std::size_t padded = tiles_ * kTile;
    // Tile-major copy: tile j of subject i at ((j * N) + i) * kTile, zero padded.
    tiled_.assign(tiles_ * subjects_ * kTile, 0.0);
    square_sum_.assign(padded, 0.0);
    for (std::size_t i = 0; i < subjects_; ++i)
      for (std::size_t c = 0; c < cells_; ++c) {
        const double r = maps[i * cells_ + c];
        tiled_[((c / kTile) * subjects_ + i) * kTile + c % kTile] = r;
        square_sum_[c] += r * r;
      }
  }

  void fill(Batch& batch, std::int64_t first, std::size_t count) const override {
    batch.count = count;
    batch.s.resize(count * cells_);
    batch.e.resize(count * cells_);
    std::vector<double> sign(count * subjects_);
    std::vector<std::int8_t> one(subjects_);
    for (std::size_t b = 0; b < count; ++b) {
      flips_.signs(first + static_cast<std::int64_t>(b), one);
      for (std::size_t i = 0; i < subjects_; ++i) sign[b * subjects_ + i] = one[i];
    }
    const double n = static_cast<double>(subjects_), inverse_n = 1.0 / n, n_over_dof = n / (n - 1);
    constexpr std::size_t kPatterns = 32;  // patterns per task
    const std::size_t chunks = (count + kPatterns - 1) / kPatterns;
    tbb::parallel_for(std::size_t{0}, tiles_ * chunks, [&](std::size_t task) {
      const std::size_t tile = task % tiles_, chunk = task / tiles_;
      const std::size_t c0 = tile * kTile, width = std::min(kTile, cells_ - c0);
      const double* maps = tiled_.data() + tile * subjects_ * kTile;
      const double* q = square_sum_.data() + c0;
      for (std::size_t b = chunk * kPatterns; b < std::min(count, (chunk + 1) * kPatterns); ++b) {
        const double* sg = sign.data() + b * subjects_;
        double sum[kTile];
        tile_sum(sg, maps, sum);
        double stat[kTile];  // whole tiles keep the loops vectorised; padding is dropped
        if (t_) {  // t = mean / sqrt(ss / (n - 1) / n) = S / sqrt(ss * n / (n - 1))
          for (std::size_t c = 0; c < kTile; ++c) {
            const double ss = q[c] - sum[c] * sum[c] * inverse_n;
            stat[c] = sum[c] / std::sqrt(std::max(0.0, ss) * n_over_dof);
          }
        } else {
          for (std::size_t c = 0; c < kTile; ++c) stat[c] = sum[c] / n;
        }
        std::copy(stat, stat + width, batch.s.data() + b * cells_ + c0);
      }
    });
    orient(batch, cells_, tail_);
  }

 private:
  static constexpr std::size_t kTile = 64;  // cells per tile (8 AVX-512 vectors)
  typedef double Vec __attribute__((vector_size(64)));
  typedef double VecU __attribute__((vector_size(64), aligned(8), may_alias));

  // sum[c] = sum_i sign[i] * maps[i * kTile + c], subjects in order, in 8 named registers.
  void tile_sum(const double* sign, const double* maps, double* sum) const {
    Vec a0{}, a1{}, a2{}, a3{}, a4{}, a5{}, a6{}, a7{};
    for (std::size_t i = 0; i < subjects_; ++i) {
      const double si = sign[i];
      const VecU* r = reinterpret_cast<const VecU*>(maps + i * kTile);
      a0 += si * r[0]; a1 += si * r[1]; a2 += si * r[2]; a3 += si * r[3];
      a4 += si * r[4]; a5 += si * r[5]; a6 += si * r[6]; a7 += si * r[7];
    }
    VecU* out = reinterpret_cast<VecU*>(sum);
    out[0] = a0; out[1] = a1; out[2] = a2; out[3] = a3;
    out[4] = a4; out[5] = a5; out[6] = a6; out[7] = a7;
  }
  std::size_t cells_, subjects_, tiles_ = 0;
  const SignFlipSet& flips_;
  Tail tail_;
  bool t_;
  std::vector<double> tiled_;       // tiles x N x kTile
  std::vector<double> square_sum_;  // Q per cell, subjects in order
};

}  // namespace

std::vector<double> per_subject_maps(const RsaProblem& problem, const AnalysisSettings& analysis) {
  const std::size_t cells = problem.block.cells(), subjects = problem.subject_count();
  if (!problem.has_rdms()) {  // given as input
    std::vector<double> maps = problem.subject_maps;
    if (analysis.fisher_z)
      for (auto& v : maps) v = std::atanh(v);
    return maps;
  }
  std::vector<double> maps(subjects * cells, 0.0);
  const auto kernels = kernels_for(problem, analysis);
  if (kernels.empty()) return maps;
  std::vector<std::uint32_t> identity(kernels.front()->pairs());
  for (std::uint32_t p = 0; p < identity.size(); ++p) identity[p] = p;
  for (std::size_t n = 0; n < subjects; ++n) {
    std::span<double> map(maps.data() + n * cells, cells);
    kernels[n]->compute(identity, 1, map);
    if (analysis.fisher_z)
      for (auto& v : map) v = std::atanh(v);
  }
  return maps;
}

std::unique_ptr<NullMaps> make_stimulus_maps(const RsaProblem& problem, const AnalysisSettings& analysis,
                                             const PermutationSet& permutations) {
  return std::make_unique<StimulusMaps>(problem, analysis, permutations);
}

std::unique_ptr<NullMaps> make_sign_flip_maps(const RsaProblem& problem, const AnalysisSettings& analysis,
                                              const SignFlipSet& flips) {
  return std::make_unique<SignFlipMaps>(problem, analysis, flips);
}

}  // namespace permrsa
