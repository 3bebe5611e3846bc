// Time x time generalisation of the brain's geometry (cross-temporal RSA, issue 19;
// analysis.generalise = true): cell (t1, t2) of a T x T map is the metric between the brain RDM
// at t1 and the brain RDM at t2.
//
// The T x T map is made an ordinary layer x time problem, so that the kernels, the process grid,
// the null sweep and every invariant apply unchanged:
//   group RDMs (stimulus scheme): the "models" are the brain RDMs at t1 (row l = time point l,
//     models(l, p) = brain(p, l)) and the brain is the brain at t2; the stimulus scheme permutes
//     the model side, i.e. the stimulus labels of the t1 side.
//   per-subject RDMs (sign-flip scheme): each subject's own T x T map (its RDM at t1 against
//     its RDM at t2, identity permutation), handed on as given per-subject maps (SubjectMaps).
// A rank's block is (t1 range) x (t2 range): it needs the brain columns of both ranges.
//
// Only the upper triangle t1 < t2 is tested. The diagonal t1 = t2 compares an RDM with itself
// (r = 1 by construction). The lower triangle repeats the upper one in the observed map (the
// metric is symmetric), but not under the stimulus scheme's permutations, which relabel the t1
// side only: a null over the whole map has T(T-1) cells with a larger maximum than the observed
// map's T(T-1)/2 distinct values, and the family-wise rates fell to 0.02-0.037 at alpha = 0.05
// (tests/python/test_generalisation_python.py); over the upper triangle they are nominal. In
// every permutation the untested cells hold a value that is never more extreme than another
// cell and never passes a cluster-forming threshold, which leaves every maximum and cluster of
// the tested cells unchanged and gives them p = 1; /observed holds NaN there.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/null_maps.hpp"
#include "permrsa/analysis_spec.hpp"
#include "permrsa/rsa_problem.hpp"

namespace permrsa {

// The row names of the T x T map (/axes/layer): "t1=0", "t1=1", ... (the time index: unique
// whatever the times' digits; /axes/time holds the seconds of rows and columns alike).
std::vector<std::string> generalisation_rows(std::size_t times);

// The shape of the T x T problem from the brain's shape: L = T.
ProblemShape generalised_shape(ProblemShape brain);

// brain_columns(t0, t1): a problem holding the brain's columns [t0, t1) (all subjects; models,
// if any, are ignored), with the full time axis.
using BrainColumns = std::function<RsaProblem(std::size_t, std::size_t)>;

// The block (t1 range x t2 range) of the T x T problem.
RsaProblem generalised_problem(const AnalysisSettings& analysis, const BlockRange& block,
                               const BrainColumns& brain_columns);

// The columns [t0, t1) of a problem that holds the whole brain (arrays in memory).
RsaProblem time_columns(const RsaProblem& whole, std::size_t t0, std::size_t t1);

// Whether cell c of the block is left untested: t1 >= t2 (the diagonal and the lower triangle).
bool untested_cell(const BlockRange& block, std::size_t cell);

// `maps` with the cells t1 >= t2 left out of the test (see above).
std::unique_ptr<NullMaps> upper_triangle_only(std::unique_ptr<NullMaps> maps,
                                              const BlockRange& block, Tail tail);

// NaN on the untested cells of a block map (the observed map as written: no statistic there).
void blank_untested(Matrix<double>& observed, const BlockRange& block);

}  // namespace permrsa
