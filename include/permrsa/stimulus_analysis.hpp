// The stimulus-label (Mantel-type) permutation analysis of group RDMs, with max-statistic and
// cluster-based family-wise corrections. DESIGN.md "Statistics" defines every quantity.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "permrsa/analysis_spec.hpp"
#include "permrsa/clusters.hpp"
#include "permrsa/matrix.hpp"
#include "permrsa/permutations.hpp"
#include "permrsa/rsa_problem.hpp"

namespace permrsa {

struct AnalysisResult {
  Matrix<double> observed;       // s_0, L x T
  Matrix<double> p_uncorrected;  // L x T
  Matrix<double> p_maxstat;      // L x T
  Matrix<double> p_cluster;      // L x T, 1.0 outside clusters
  Matrix<std::int32_t> cluster_id;
  std::vector<Cluster> clusters;
  std::vector<double> cluster_p;
  std::vector<double> null_max_statistic;  // K+1, [0] observed
  std::vector<double> null_max_cluster;    // K+1, [0] observed
  std::int64_t permutations = 0;           // K
  std::vector<double> cell_thresholds;     // L*T, permutation-p threshold on e (empty otherwise)
};

struct RunOptions {
  std::size_t batch_size = 64;  // permutations per kernel call; results do not depend on it
  // Called after each batch with (permutation maps done, total) over all passes.
  std::function<void(std::int64_t, std::int64_t)> progress;
};

AnalysisResult run_stimulus_analysis(const RsaProblem& problem, const AnalysisSettings& analysis,
                                     const CorrectionSettings& correction,
                                     const PermutationSet& permutations, const RunOptions& options);

}  // namespace permrsa
