// Threshold-free cluster enhancement (Smith & Nichols 2009, NeuroImage 44:83).
//
//   TFCE(v) = sum over heights h_j = j * dh (j = 1, 2, ... while h_j <= e(v)) of
//             extent(v, h_j)^E * h_j^H * dh,   E = 0.5, H = 2,
//
// where extent(v, h) is the number of cells in the cluster that holds v among the cells with
// e >= h, under the analysis' connectivity (and, for two-sided tests, sign) rule. Cells with
// e < dh get 0. The per-cell sums run over j in increasing order, so they are reproducible.
//
// The heights run up to the largest finite e. A cell at +inf (or NaN, an undefined statistic,
// read as +inf so that it can only make p-values larger) passes at every height and enhances to
// +inf: the sum diverges. So the loop always ends; and it is refused, not run, when it would take
// more than kTfceMaxHeights heights (a tiny dh or a huge statistic would otherwise run for days).
#pragma once

#include <span>
#include <string>
#include <vector>

#include "permrsa/clusters.hpp"

namespace permrsa {

inline constexpr double kTfceExtentPower = 0.5;  // E
inline constexpr double kTfceHeightPower = 2.0;  // H
inline constexpr double kTfceMaxHeights = 1e6;
inline constexpr double kTfceAutoHeights = 100;  // tfce_step = "auto": FSL's 100 height steps

// The number of heights dh, 2 dh, ... up to `top` (0 when top < dh); +inf when top is not finite.
double tfce_height_count(double top, double step);

// Empty when the heights up to `top` are at most kTfceMaxHeights; otherwise why not: the step,
// the heights, `top` and the smallest step that fits. `where` says what `top` is, e.g.
// "the largest statistic a sign flip can reach, at layer 1 (fc7), time point 10".
std::string tfce_heights_problem(double top, double step, const std::string& where);

// InputError ("correction.tfce_step: " + the problem) when there is one.
void require_tfce_heights(double top, double step, const std::string& where);

// The TFCE map of e (s gives the signs for two-sided rules). rule.statistic is not used.
// InputError as require_tfce_heights for the largest finite e.
std::vector<double> tfce_map(const ClusterRule& rule, std::span<const double> e,
                             std::span<const double> s, double step);

}  // namespace permrsa
