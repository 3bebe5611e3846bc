// One time point's RDM from its units x channels patterns, for each method (eeg_rdm.hpp).
#pragma once

#include <Eigen/Dense>
#include <span>

#include "permrsa/eeg_rdm.hpp"

namespace permrsa::eeg {

// Pairwise shrinkage LDA (scikit-learn's definition, see shrinkage.hpp), cross-validated over
// design.folds. Per fold, each stimulus's training mean and shrunk covariance are computed once
// (S n p^2 FLOP); each pair is then one small solve with two right-hand sides: a p x p Cholesky
// (p^3/3 FLOP), or, with k = n_a + n_b < p training units, a k x k one through the Woodbury
// identity (k^2 p + k^3/3 FLOP); then the decision values of its test units. Parallel over pairs.
// scores: P values. decisions: empty, or P x units (NaN outside the pair).
void lda_scores(const Eigen::MatrixXd& x, const TrialDesign& design, DecodingScore score,
                std::span<double> scores, std::span<double> decisions);

// rsatoolbox's crossnobis (single noise precision for all folds).
void crossnobis_distances(const Eigen::MatrixXd& x, const TrialDesign& design, NoiseShrinkage noise,
                          std::span<double> distances);

// correlation or euclidean distances between the stimuli's mean patterns over all units.
void mean_pattern_distances(const Eigen::MatrixXd& x, const TrialDesign& design, RdmMethod method,
                            std::span<double> distances);

}  // namespace permrsa::eeg
