// [contrasts] (issue 19): "does layer A fit the brain better than layer B, and when?" as the
// paired test across subjects of r_A - r_B at each time point. Each pair's per-subject
// difference maps go through the sign-flip engine as maps given as input (one layer, T time
// points), with the run's flip patterns ((seed, k) as the main test, so every pair shares
// them), tail, group statistic and corrections. Each pair is its own family over time.
#pragma once

#include <vector>

#include "permrsa/analysis_spec.hpp"
#include "permrsa/communicator.hpp"
#include "permrsa/permutation_analysis.hpp"
#include "permrsa/rsa_problem.hpp"

namespace permrsa {

// `values`: every subject's map of the metric (N x L x T, r before any Fisher z), on world rank
// 0; the other ranks receive them and compute the same (serial, deterministic) tests, so the
// results are identical on every rank. Collective.
std::vector<ContrastResult> run_contrasts(const RunSpec& spec, const RsaProblem& problem,
                                          const SubjectValues& values, std::size_t batch_size,
                                          const Communicator& world);

// InputError unless every layer named in contrasts.pairs is one of the problem's layers.
void check_contrast_layers(const RunSpec& spec, const std::vector<std::string>& layers);

}  // namespace permrsa
