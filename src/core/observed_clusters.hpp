// The observed map's clusters, labelled once on world rank 0 from the whole observed map (the
// leader of permutation group 0), with their p-values against the null's largest clusters, and
// shared with every rank.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/analysis_frame.hpp"
#include "core/null_accumulator.hpp"
#include "core/rank_topology.hpp"
#include "permrsa/clusters.hpp"

namespace permrsa {

struct ObservedClusters {
  std::vector<std::int32_t> id;  // whole grid, -1 outside clusters
  std::vector<Cluster> clusters;
  std::vector<double> p;     // per cluster
  std::vector<double> tfce;  // whole grid (with TFCE)
};

// Collective over the world. `observed_s`: this block's observed raw map; `thresholds`: the
// whole grid's cluster-forming thresholds on e (valid on the leaders). Fills maxima[0] (the
// observed map's maximum, largest cluster and largest TFCE value) and broadcasts the maxima.
ObservedClusters observe_clusters(const AnalysisFrame& frame, const RankTopology& topology,
                                  std::span<const double> observed_s,
                                  std::span<const double> thresholds, NullMaxima& maxima);

// (1 + exceedances) / (K + 1): DESIGN.md's p-value of every kind.
inline double permutation_p(std::int64_t exceed, std::int64_t permutations) {
  return static_cast<double>(1 + exceed) / static_cast<double>(permutations + 1);
}

}  // namespace permrsa
