// Summaries that need every subject's data: the noise ceiling (always, with per-subject
// brain RDMs) and the bootstrap latency intervals (with [bootstrap]). Collective over `world`;
// the results are identical on every rank.
#pragma once

#include <optional>

#include "permrsa/analysis_spec.hpp"
#include "permrsa/bootstrap_latency.hpp"
#include "permrsa/communicator.hpp"
#include "permrsa/noise_ceiling.hpp"
#include "permrsa/permutation_analysis.hpp"
#include "permrsa/process_grid.hpp"
#include "permrsa/rsa_problem.hpp"

namespace permrsa {

struct SubjectSummaries {
  std::optional<NoiseCeiling> noise_ceiling;
  std::optional<SubjectValues> subject_values;
  std::optional<BootstrapLatency> bootstrap;
};

// `threshold_value` is the fixed cluster-forming threshold on e (statistic or t-default);
// with the permutation-p threshold the result's per-cell thresholds are used.
SubjectSummaries summarize_subjects(const RsaProblem& problem, const RunSpec& spec,
                                    const AnalysisResult& result, double threshold_value,
                                    const ProcessGrid& grid, const Communicator& world);

}  // namespace permrsa
