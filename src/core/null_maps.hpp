// The statistic maps of permutations k = first .. first + count - 1 of a data block, under
// either scheme. Every value depends only on (k, cell), never on the batch or the thread.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "kernels/map_codec.hpp"
#include "kernels/two_group_kernel.hpp"
#include "permrsa/analysis_spec.hpp"
#include "permrsa/group_relabels.hpp"
#include "permrsa/permutations.hpp"
#include "permrsa/rsa_problem.hpp"
#include "permrsa/sign_flips.hpp"

namespace permrsa {

// count x block cells each: s (raw statistic) and e (tail-oriented).
struct Batch {
  std::size_t count = 0;
  std::vector<double> s, e;
};

class NullMaps {
 public:
  virtual ~NullMaps() = default;
  virtual void fill(Batch& batch, std::int64_t first, std::size_t count) const = 0;
  // The same for a caller that orients the raw maps itself, chunk by chunk while they are in
  // cache (NullAccumulator::add_whole_batch): batch.e may then be left as it was. By default
  // fill() (maps whose kernel gives e with s).
  virtual void fill_raw(Batch& batch, std::int64_t first, std::size_t count) const {
    fill(batch, first, count);
  }
  // A lossless 4-byte form of the raw maps s (kernels/map_codec.hpp), or null.
  virtual std::unique_ptr<MapCodec> map_codec() const { return nullptr; }
};

// Each subject's map of the block for the identity permutation (atanh'ed with fisher_z):
// N x block cells.
std::vector<double> per_subject_maps(const RsaProblem& problem, const AnalysisSettings& analysis);

// Stimulus scheme: the model's stimulus labels permuted. With per-subject data the statistic is
// the mean over subjects (in subject order) of the per-subject correlations (atanh'ed with
// fisher_z), the same permutation for every subject.
std::unique_ptr<NullMaps> make_stimulus_maps(const RsaProblem& problem,
                                             const AnalysisSettings& analysis,
                                             const PermutationSet& permutations);

// Sign-flip scheme: per-subject maps r_n (identity permutation) computed once; pattern k flips
// subjects' signs, X_n = sigma_n r_n, and the group statistic is mean(X), or
// t = mean(X) / sqrt(var(X, ddof = 1) / N) (as MNE's ttest_1samp_no_p); the flipped sum in the
// sign-flip kernel's fixed order (subjects in groups of four: kernels/signed_tile_sums.hpp).
std::unique_ptr<NullMaps> make_sign_flip_maps(const RsaProblem& problem,
                                              const AnalysisSettings& analysis,
                                              const SignFlipSet& flips);

// Two-group scheme: per-subject maps computed once; relabelling k assigns the subjects to the
// groups, and the statistic is Welch's t, the mean difference or the F of a - b
// (kernels/two_group_kernel.hpp).
// The kernel's statistic for analysis.group_statistic (welch-t, mean-difference or f).
TwoGroupStatistic two_group_statistic(GroupStatistic statistic);

std::unique_ptr<NullMaps> make_two_group_maps(const RsaProblem& problem,
                                              const AnalysisSettings& analysis,
                                              const GroupRelabelSet& relabels);

}  // namespace permrsa
