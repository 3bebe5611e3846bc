#include "core/null_maps.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>

#include "kernels/partial_kernel.hpp"
#include "kernels/sign_flip_kernel.hpp"
#include "kernels/statistic_kernel.hpp"
#include "numeric/tail.hpp"
#include "permrsa/error.hpp"

namespace permrsa {
namespace {

// e = null_oriented(s, tail), map by map in parallel.
void orient(Batch& batch, std::size_t cells, Tail tail) {
  tbb::parallel_for(std::size_t{0}, batch.count, [&](std::size_t b) {
    orient_nulls(batch.s.data() + b * cells, cells, tail, batch.e.data() + b * cells);
  });
}

std::vector<std::unique_ptr<StatisticKernel>> kernels_for(const RsaProblem& problem,
                                                          const AnalysisSettings& analysis) {
  std::vector<std::unique_ptr<StatisticKernel>> kernels;
  if (problem.block.cells() == 0) return kernels;
  // With covariates every map is the partial one (per subject: each subject's own partial map).
  const auto& covariates = problem.covariates;
  auto kernel = [&](const Matrix<double>& brain) {
    if (!covariates.any())
      return make_statistic_kernel(analysis.metric, analysis.precision, problem.models, brain);
    const auto definition =
        covariates.permute == CovariatePermute::freedman_lane ? PartialDefinition::freedman_lane
        : covariates.method == CovariateMethod::residual      ? PartialDefinition::residual
                                                              : PartialDefinition::formula;
    return make_partial_kernel(analysis.metric, analysis.precision, definition, problem.models,
                               brain, covariates.rdms);
  };
  if (const auto* group = problem.group()) kernels.push_back(kernel(group->rdms));
  if (const auto* subjects = problem.subject_rdms())
    for (const auto& subject : subjects->rdms) kernels.push_back(kernel(subject));
  return kernels;
}

class StimulusMaps final : public NullMaps {
 public:
  StimulusMaps(const RsaProblem& problem, const AnalysisSettings& analysis,
               const PermutationSet& perms)
      : kernels_(kernels_for(problem, analysis)),
        cells_(problem.block.cells()),
        perms_(perms),
        tail_(analysis.tail),
        fisher_z_(analysis.fisher_z && problem.subject_rdms() != nullptr) {}

  void fill(Batch& batch, std::int64_t first, std::size_t count) const override {
    fill_raw(batch, first, count);
    batch.e.resize(count * cells_);
    if (kernels_.empty())
      std::fill(batch.e.begin(), batch.e.end(), 0.0);
    else
      orient(batch, cells_, tail_);
  }

  // s only: the tail orientation was a pass of its own over the batch (17 ms of a seed-shape
  // run, bound by memory: 2.4 MB read and written per batch of 64).
  void fill_raw(Batch& batch, std::int64_t first, std::size_t count) const override {
    batch.count = count;
    // One kernel writes every value of s: no zeroing (it cost 4% of a run).
    batch.s.resize(count * cells_);
    if (kernels_.size() != 1) std::fill(batch.s.begin(), batch.s.end(), 0.0);
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
        for (std::size_t i = 0; i < one.size(); ++i)
          batch.s[i] += fisher_z_ ? std::atanh(one[i]) : one[i];
      }
      const double n = static_cast<double>(kernels_.size());
      for (auto& v : batch.s) v /= n;
    }
  }

  // One kernel's maps as they come; a mean over subjects has no 4-byte form.
  std::unique_ptr<MapCodec> map_codec() const override {
    return kernels_.size() == 1 ? kernels_.front()->map_codec() : nullptr;
  }

 private:
  std::vector<std::unique_ptr<StatisticKernel>> kernels_;
  std::size_t cells_;
  const PermutationSet& perms_;
  Tail tail_;
  bool fisher_z_;
};

// Sign-flip scheme: the per-subject maps once, then every batch of patterns through the
// sign-flip kernel (kernels/sign_flip_kernel.hpp).
class SignFlipMaps final : public NullMaps {
 public:
  SignFlipMaps(const RsaProblem& problem, const AnalysisSettings& analysis,
               const SignFlipSet& flips)
      : flips_(flips),
        tail_(analysis.tail),
        t_(analysis.group_statistic == GroupStatistic::t),
        kernel_(checked_subject_maps(problem, analysis), problem.subject_count(),
                problem.block.cells()) {}

  void fill(Batch& batch, std::int64_t first, std::size_t count) const override {
    const std::size_t cells = kernel_.cells(), subjects = kernel_.subjects();
    batch.count = count;
    batch.s.resize(count * cells);
    batch.e.resize(count * cells);
    std::vector<double> sign(count * subjects);
    std::vector<std::int8_t> one(subjects);
    for (std::size_t b = 0; b < count; ++b) {
      flips_.signs(first + static_cast<std::int64_t>(b), one);
      for (std::size_t i = 0; i < subjects; ++i) sign[b * subjects + i] = one[i];
    }
    kernel_.compute(sign, count, t_, tail_, batch.s, batch.e);
  }

 private:
  static std::vector<double> checked_subject_maps(const RsaProblem& problem,
                                                  const AnalysisSettings& analysis) {
    const std::size_t n = problem.subject_count();
    if (n < 2)
      throw InputError("sign-flip: expected at least 2 subjects, found " + std::to_string(n));
    return per_subject_maps(problem, analysis);
  }
  const SignFlipSet& flips_;
  Tail tail_;
  bool t_;
  SignFlipKernel kernel_;
};

}  // namespace

std::vector<double> per_subject_maps(const RsaProblem& problem, const AnalysisSettings& analysis) {
  const std::size_t cells = problem.block.cells(), subjects = problem.subject_count();
  if (const auto* given = problem.subject_maps()) {  // given as input
    std::vector<double> maps = given->maps;
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

std::unique_ptr<NullMaps> make_stimulus_maps(const RsaProblem& problem,
                                             const AnalysisSettings& analysis,
                                             const PermutationSet& permutations) {
  return std::make_unique<StimulusMaps>(problem, analysis, permutations);
}

std::unique_ptr<NullMaps> make_sign_flip_maps(const RsaProblem& problem,
                                              const AnalysisSettings& analysis,
                                              const SignFlipSet& flips) {
  return std::make_unique<SignFlipMaps>(problem, analysis, flips);
}

}  // namespace permrsa
