// One time point's RDM from its units x channels patterns, for each method (eeg_rdm.hpp).
#pragma once

#include <Eigen/Dense>
#include <span>

#include "permrsa/eeg_rdm.hpp"

namespace permrsa::eeg {

// Pairwise shrinkage LDA (scikit-learn's definition, see shrinkage.hpp), cross-validated over
// design.folds. Per fold, each stimulus's training mean and shrunk covariance are computed once
// (S n p^2 FLOP); each pair is then one p x p Cholesky solve with two right-hand sides
// (p^3/3 + 4 p^2 FLOP) and the decision values of its test units. Parallel over pairs.
// scores: P values. decisions: empty, or P x units (NaN outside the pair).
void lda_scores(const Eigen::MatrixXd& x, const TrialDesign& design, DecodingScore score,
                std::span<double> scores, std::span<double> decisions);

// rsatoolbox's crossnobis (single noise precision for all folds).
void crossnobis_distances(const Eigen::MatrixXd& x, const TrialDesign& design,
                          NoiseShrinkage noise, std::span<double> distances);

// correlation or euclidean distances between the stimuli's mean patterns over all units.
void mean_pattern_distances(const Eigen::MatrixXd& x, const TrialDesign& design, RdmMethod method,
                            std::span<double> distances);

}  // namespace permrsa::eeg
