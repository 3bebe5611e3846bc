// Partial statistic maps under stimulus permutations (issue 17): the correlation of the permuted
// model x_k = model_l o pi_k with brain column y_t, with q covariate RDMs z held out. The model's
// labels are permuted; the brain and the covariates stay fixed (R vegan's mantel.partial).
//
// formula  (vegan's mantel.partial, pingouin >= 0.5): from the metric's correlations,
//            with R = corr([x, y, z]) and its Schur complement on z,
//              s_ab = r_ab - r_az' Rzz^-1 r_zb   (a, b in {x, y}),
//              partial = s_xy / sqrt(s_xx s_yy),
//            which equals -Q_xy / sqrt(Q_xx Q_yy) for Q = R^-1 and, for q = 1,
//            (r_xy - r_xz r_yz) / sqrt((1 - r_xz^2)(1 - r_yz^2)). The diagonal of R is 1 (also
//            for tau-a, whose self-correlation with ties is below 1, as the formula reads).
//            Per permutation: the plain kernel (x vs y) plus x vs z (L x q cells) and O(q) per
//            cell; r_yz and Rzz^-1 are computed once.
// residual (pingouin 0.3, the original study): x, y and z standardised over the pairs (mean 0,
//            sd with ddof = 1), x and y regressed on the standardised z by least squares without
//            intercept (normal equations, Rzz^-1 once), the metric between the two residuals.
//            The brain's residuals are fixed; each permutation's model residuals (2 q P flop per
//            layer) go through a kernel built for them.
//
// freedman-lane (pearson, spearman on ranks; the formula's value): the brain's residuals are
//            permuted instead of the model's labels (Freedman & Lane 1983). At each time point
//            y = b0 + Z'b + e by least squares over the pairs; permutation k gives
//            y*_k = fitted + e o pi_k (as an RDM), and the partial correlation of the fixed x
//            with y*_k given z, through two Pearson-kernel products (see the .cpp):
//            2 P (L + q) T flop per permutation.
//
// Every output depends only on (k, l, t) through one fixed sequence of operations, so results
// are bit-identical for any batch, thread or block (see statistic_kernel.hpp).
#pragma once

#include <memory>

#include "kernels/statistic_kernel.hpp"

namespace permrsa {

enum class PartialDefinition { formula, residual, freedman_lane };

// covariates: q x P dissimilarities (q >= 1). Throws InputError when the covariates are
// collinear (their correlation matrix, or Gram matrix for `residual`, is singular), and
// InternalError for freedman-lane with a Kendall metric (the config refuses it).
std::unique_ptr<StatisticKernel> make_partial_kernel(Metric metric, Precision precision,
                                                     PartialDefinition definition,
                                                     const Matrix<double>& models,
                                                     const Matrix<double>& brain,
                                                     const Matrix<double>& covariates);

}  // namespace permrsa
