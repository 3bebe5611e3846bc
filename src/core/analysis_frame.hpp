// The fixed facts of one permutation analysis that every step of the sweep needs: the whole
// grid's shape, K, the tail, the cluster rule and thresholds. Made once from the settings.
#pragma once

#include <cstdint>

#include "permrsa/analysis_spec.hpp"
#include "permrsa/clusters.hpp"
#include "permrsa/process_grid.hpp"

namespace permrsa {

struct AnalysisFrame {
  std::size_t layers = 0, times = 0, cells = 0;  // the whole grid
  std::int64_t permutations = 0;                 // K
  Tail tail = Tail::greater;
  ClusterRule rule;
  bool two_pass = false;  // permutation-p cluster threshold: a second pass over k
  bool tfce = false;
  double alpha = 0.05;   // correction.alpha: significant clusters for the onsets
  double tfce_step = 0;  // dh; with tfce_step_auto, set from the observed map
  bool tfce_step_auto = false;
  std::size_t top_capacity = 0;  // per-cell top values pass 1 keeps (two_pass)
  double fixed_threshold = 0;    // the cluster-forming threshold on e, when not two_pass
};

AnalysisFrame make_analysis_frame(const ProcessGrid& grid, const AnalysisSettings& analysis,
                                  const CorrectionSettings& correction, std::int64_t permutations,
                                  std::size_t subjects);

}  // namespace permrsa
