// The memory one rank needs for a run, estimated from the sizes alone, so that a run that cannot
// fit is refused (exit 2) before anything big is allocated, instead of ending in std::bad_alloc
// hours later. The estimate is linear in K (the per-permutation maxima: K + 1 doubles each, held
// several times over while they are gathered, sorted and written; with the permutation-p
// threshold also each cell's top alpha (K + 1) values) and in B (the bootstrap's B x L peak and
// onset samples), so the largest K or B that fits follows from it.
#pragma once

#include <cstdint>
#include <string>

#include "permrsa/analysis_spec.hpp"
#include "permrsa/process_grid.hpp"
#include "permrsa/rsa_problem.hpp"

namespace permrsa {

struct RunFootprint {
  double fixed = 0;            // bytes that depend on neither K nor B
  double per_permutation = 0;  // bytes per k in 0..K
  double per_sample = 0;       // bytes per bootstrap sample
  double bytes(std::int64_t permutations, std::int64_t samples) const;
};

// One rank working on `block` of the whole L x T grid.
RunFootprint run_footprint(const RunSpec& spec, const ProblemShape& shape, const BlockRange& block,
                           std::size_t batch_size);

// InputError when what grows with K and B exceeds what `budget` bytes leave next to the fixed
// part, and at least half the budget (the inputs alone are never refused: they only steer the
// grid): the estimate, the part that is too big (K permutations or B bootstrap samples) and the
// largest K or B that fits. `budget_option` names the budget ("--memory-per-rank").
void check_memory_budget(const RunSpec& spec, const ProblemShape& shape,
                         const RunFootprint& footprint, std::int64_t permutations, double budget,
                         const std::string& budget_option);

}  // namespace permrsa
