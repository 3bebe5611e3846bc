#include "core/analysis_frame.hpp"

#include "core/cell_thresholds.hpp"
#include "permrsa/permutation_analysis.hpp"

namespace permrsa {

AnalysisFrame make_analysis_frame(const ProcessGrid& grid, const AnalysisSettings& analysis,
                                  const CorrectionSettings& correction, std::int64_t permutations,
                                  std::size_t subjects) {
  AnalysisFrame f;
  f.layers = grid.layers;
  f.times = grid.times;
  f.cells = grid.layers * grid.times;
  f.permutations = permutations;
  f.tail = analysis.tail;
  f.rule = {f.layers, f.times, correction.connectivity, correction.cluster_statistic,
            analysis.tail == Tail::two_sided};
  f.two_pass = correction.cluster_threshold == ClusterThreshold::permutation_p;
  f.tfce = correction.tfce;
  f.alpha = correction.alpha;
  f.tfce_step = correction.tfce_step.value_or(0.0);
  f.tfce_step_auto = !correction.tfce_step.has_value();
  f.top_capacity =
      f.two_pass
          ? static_cast<std::size_t>(passing_count(correction.cluster_alpha, permutations) + 1)
          : 0;
  f.fixed_threshold =
      f.two_pass ? 0.0 : fixed_cluster_threshold(correction, analysis, subjects);
  return f;
}

}  // namespace permrsa
