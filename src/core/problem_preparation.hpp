// What the statistics do to a loaded problem before the sweep, once.
#pragma once

#include "permrsa/analysis_spec.hpp"
#include "permrsa/rsa_problem.hpp"

namespace permrsa {

// Spearman sees only ranks, and the ranks of ranks are the ranks: each subject's columns are
// ranked once, so the kernels, the noise ceiling and the bootstrap re-rank them on a fast path
// (values on the half grid) instead of sorting them again. Results are unchanged.
void rank_subjects_for_spearman(RsaProblem& problem, Metric metric);

}  // namespace permrsa
