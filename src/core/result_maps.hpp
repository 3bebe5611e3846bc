// The end of a run, and of a merge: this block's maps of p-values, cluster ids and TFCE from the
// summed exceedance counts, the null's maxima and the observed clusters. A pure function.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/analysis_frame.hpp"
#include "core/null_accumulator.hpp"
#include "core/observed_clusters.hpp"
#include "permrsa/permutation_analysis.hpp"

namespace permrsa {

struct BlockObservation {
  BlockRange block;
  std::span<const double> s, e;          // this block's observed raw and oriented maps
  std::span<const std::int64_t> exceed;  // summed over every permutation group
};

AnalysisResult finalize_result(const AnalysisFrame& frame, const BlockObservation& observed,
                               NullMaxima maxima, ObservedClusters clusters);

}  // namespace permrsa
