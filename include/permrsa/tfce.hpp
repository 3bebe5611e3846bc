// Threshold-free cluster enhancement (Smith & Nichols 2009, NeuroImage 44:83).
//
//   TFCE(v) = sum over heights h_j = j * dh (j = 1, 2, ... while h_j <= e(v)) of
//             extent(v, h_j)^E * h_j^H * dh,   E = 0.5, H = 2,
//
// where extent(v, h) is the number of cells in the cluster that holds v among the cells with
// e >= h, under the analysis' connectivity (and, for two-sided tests, sign) rule. Cells with
// e < dh get 0. The per-cell sums run over j in increasing order, so they are reproducible.
#pragma once

#include <span>
#include <vector>

#include "permrsa/clusters.hpp"

namespace permrsa {

inline constexpr double kTfceExtentPower = 0.5;  // E
inline constexpr double kTfceHeightPower = 2.0;  // H

// The TFCE map of e (s gives the signs for two-sided rules). rule.statistic is not used.
std::vector<double> tfce_map(const ClusterRule& rule, std::span<const double> e,
                             std::span<const double> s, double step);

}  // namespace permrsa
