// The noise ceiling of group-level RSA (Nili et al. 2014, PLoS Comput Biol 10:e1003553), per
// time point, for the analysis' metric: the upper bound is the mean over subjects of the
// metric between each subject's RDM and the group mean RDM (all subjects); the lower bound
// uses the mean of the other subjects. For the rank metrics (spearman, kendall) the group
// mean is the mean of the rank-transformed RDMs, as in Nili et al.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "permrsa/analysis_spec.hpp"
#include "permrsa/matrix.hpp"

namespace permrsa {

struct NoiseCeiling {
  std::vector<double> lower, upper;  // one per column (time point)
};

// subjects: N matrices of P x T brain RDMs. With N = 1 both bounds are NaN (undefined: there
// are no other subjects), and NaN wherever a group mean RDM is constant.
NoiseCeiling noise_ceiling(const std::vector<Matrix<double>>& subjects, Metric metric);

// The warning to show when the noise ceiling of `subjects` subjects is undefined (N = 1); empty
// otherwise.
std::string noise_ceiling_warning(std::size_t subjects);

// The metric between two vectors (pearson, spearman on average ranks, kendall tau-b or tau-a
// by Knight's O(P log P) algorithm).
double correlate(Metric metric, std::span<const double> x, std::span<const double> y);

}  // namespace permrsa
