// Brain RDMs from epochs: at every time point, one dissimilarity per stimulus pair.
//
// Methods (P = S(S-1)/2 pairs, p channels):
//   lda          cross-validated pairwise decoding with LinearDiscriminantAnalysis(solver="lsqr",
//                shrinkage="auto") as defined by scikit-learn 1.2; the score (accuracy, or ROC AUC
//                of the decision values) is averaged over folds.
//   correlation  1 - Pearson r between the two stimuli's mean patterns (over all trials).
//   euclidean    ||m_i - m_j||_2 between the mean patterns (SciPy's pdist "euclidean").
//   crossnobis   rsatoolbox's calc_rdm_crossnobis: for each fold f, the training means (other
//                folds) and test means (fold f) give (m_i - m_j)_train' L (m_i - m_j)_test / p,
//                averaged over folds; L is the inverse of rsatoolbox's cov_from_unbalanced noise
//                covariance of the residuals (unit minus its stimulus mean, dof = units - S).
//
// Folds (stratified, deterministic): within each stimulus, the k-th trial in file order (k = 0,
// 1, ...) is in fold k mod F. Pseudo-trials (g > 1): within each stimulus and fold, trials in
// file order are averaged in groups of g; a remainder of fewer than g trials joins the last
// group (a fold with fewer than g trials gives one pseudo-trial). Every method then works on the
// pseudo-trials. Averaging window w: the value at time t is the mean over the samples
// t - floor((w-1)/2) ... t + ceil((w-1)/2) that lie inside the epoch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace permrsa {

enum class RdmMethod { lda, correlation, euclidean, crossnobis };
enum class DecodingScore { accuracy, roc_auc };
// rsatoolbox's two shrinkage estimators (data/noise.py): towards the diagonal (Schaefer &
// Strimmer, rsatoolbox's default) or towards a multiple of the identity (Ledoit & Wolf).
enum class NoiseShrinkage { diagonal, identity };

struct RdmSpec {
  RdmMethod method = RdmMethod::lda;
  std::size_t folds = 5;
  DecodingScore score = DecodingScore::accuracy;
  std::size_t window = 1;         // samples averaged around each time point
  std::size_t pseudo_trials = 1;  // trials averaged into one pseudo-trial
  NoiseShrinkage noise = NoiseShrinkage::diagonal;
};

RdmMethod parse_rdm_method(const std::string& text);  // InputError listing the valid names
std::string rdm_method_name(RdmMethod method);
bool cross_validated(RdmMethod method);

// The trials of one subject grouped into the units the methods see (trials, or pseudo-trials).
struct TrialDesign {
  std::vector<std::int64_t> stimuli;                  // sorted distinct labels (RDM rows)
  std::vector<std::int32_t> trial_fold;               // fold of every trial
  std::vector<std::vector<std::size_t>> unit_trials;  // trials averaged into each unit
  std::vector<std::size_t> unit_class;                // index into stimuli
  std::vector<std::int32_t> unit_fold;
  std::size_t folds = 1;
};

// Stratified fold of every trial: within each label, the k-th trial in file order gets k mod F.
std::vector<std::int32_t> assign_folds(const std::vector<std::int64_t>& labels, std::size_t folds);

// Folds and units for `labels`. InputError (naming `source`) when there is a single stimulus or,
// for cross-validated methods, a stimulus with fewer trials than folds (the counts named).
TrialDesign make_trial_design(const std::vector<std::int64_t>& labels, const RdmSpec& spec,
                              const std::string& source);

// The RDMs of one subject at time points [t_begin, t_end): values[p * (t_end - t_begin) + t]
// (pairs x times, C order). `data` is trials x channels x times (C order). Parallel over time
// points and pairs (oneTBB); every value is computed by a fixed sequence of operations, so the
// result does not depend on the thread count or on the time range it was computed in.
// For lda, `decisions` (optional) receives the decision value of every test unit of every pair:
// decisions[(p * (t_end - t_begin) + t) * units + u], NaN for units outside the pair.
std::vector<double> subject_rdms(const std::vector<double>& data, std::size_t channels,
                                 std::size_t times, const TrialDesign& design, const RdmSpec& spec,
                                 std::size_t t_begin, std::size_t t_end,
                                 std::vector<double>* decisions = nullptr);

}  // namespace permrsa
