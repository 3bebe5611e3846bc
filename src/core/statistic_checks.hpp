// Checks that every statistic of an analysis is defined, made before the heavy work (on the
// observed data, k = 0, and on what any permutation's map can reach), so that no NaN or
// infinity reaches the p-values, where a NaN compares false with everything: a NaN cell
// would count as "never exceeded" (p = 1/(K+1)) and an infinite one would never end TFCE.
// Every check throws InputError naming the brain input, the layer, the time point and the
// cause. They run on the problem's block; under MPI every rank checks its own and the callers
// agree on the first failure.
#pragma once

#include <cstddef>

#include "permrsa/analysis_spec.hpp"
#include "permrsa/permutation_analysis.hpp"
#include "permrsa/rsa_problem.hpp"

namespace permrsa {

// The subjects the analysis needs: at least 2 for the sign-flip test (a t statistic has N - 1
// degrees of freedom, and one subject has a single sign pattern to compare with) and for
// [bootstrap] (resampling one subject always draws the same data).
void check_subject_count(const RunSpec& spec, std::size_t subjects);

// The observed statistics of the problem's block and the largest value a permutation can reach:
//  - analysis.fisher_z with a per-subject |r| >= 1 (atanh is infinite at 1, undefined beyond);
//  - sign-flip t with zero variance across subjects: all values equal, or all magnitudes equal
//    (then the flip that makes them all positive has zero variance), or equal to rounding;
//  - a group statistic that is not finite for any other reason (values whose squares overflow);
//  - with TFCE, a tfce_step that takes more than kTfceMaxHeights heights up to that largest
//    value (sign-flip: the flip that aligns every subject's sign, computed cell by cell; the
//    stimulus scheme: 1, a correlation, or the Fisher z of the largest double below 1).
void check_statistics(const RsaProblem& problem, const RunSpec& spec);

}  // namespace permrsa
