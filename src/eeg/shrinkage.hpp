// Shrinkage covariance estimators, each defined exactly as the library users know it from.
#pragma once

#include <Eigen/Dense>

#include "permrsa/eeg_rdm.hpp"

namespace permrsa::eeg {

// One class's mean and covariance as scikit-learn 1.2's LinearDiscriminantAnalysis(solver="lsqr",
// shrinkage="auto") estimates them (discriminant_analysis._cov): standardise the features
// (StandardScaler: population std, a zero std counts as 1), take ledoit_wolf of the standardised
// data, and rescale. With C the population covariance of X (n x p), s_j its standard deviations,
// R = C / (s s'), the Ledoit-Wolf coefficient is a = min(b, d) / d with
//   mu = tr(R) / p,  d = (||R||_F^2 - p mu^2) / p,
//   b = (sum_i ||z_i||^4 / n - ||R||_F^2) / (p n),   z_i = (x_i - mean) / s,
// (sklearn.covariance.ledoit_wolf_shrinkage, one block) and the estimate is
//   S = (1 - a) C + a mu diag(s^2).
// It is kept in factored form, S = w Y'Y + diag(d) with Y = x - mean (n x p), w = (1 - a) / n
// and d = a mu s^2, so that a pair's pooled covariance can be solved with the Woodbury identity
// when n_a + n_b < p. FLOP: n p^2 (the cross products, needed for ||R||_F) + O(n p + p^2).
struct ShrunkClass {
  Eigen::VectorXd mean;
  Eigen::MatrixXd centred;     // Y, n x p
  double low_rank_weight = 0;  // w
  Eigen::VectorXd diagonal;    // d
  Eigen::MatrixXd dense;       // S itself (filled by sklearn_lw_class_covariance when asked)
};
ShrunkClass sklearn_lw_class_covariance(const Eigen::Ref<const Eigen::MatrixXd>& x, bool dense);

// rsatoolbox's noise covariance of residuals (n x p), data/noise.py _estimate_covariance with a
// given dof: the residuals are first centred on their column means; then
//   identity ('shrinkage_eye', Ledoit & Wolf 2004): s = X'X/n, b2 = sum(X2'X2/n - s*s)/n,
//     m = tr(s)/p, d2 = ||s - m I||^2, b2 = min(d2, b2), S = (b2/d2 m I + (d2-b2)/d2 s) n/dof;
//   diagonal ('shrinkage_diag', Schaefer & Strimmer 2005): s = X'X/dof, r = s/(std std'),
//     v = n/dof^2 (X2'X2/(var var')/dof - r^2), lambda = clip(sum_offdiag v / sum_offdiag r^2),
//     S = s with off-diagonal entries times (1 - lambda).
// (X2 is X squared elementwise.)
Eigen::MatrixXd rsatoolbox_noise_covariance(Eigen::MatrixXd residuals, double dof,
                                            NoiseShrinkage shrinkage);

}  // namespace permrsa::eeg
