// Pass 2 over the map cache (core/map_cache.hpp) against pass 2 over maps computed again: the
// cache keeps only the cells above their threshold floors, and the clusters must not change.
// Where the expected values come from: the same analysis with no cache (RunOptions's default
// map_cache_bytes = 0), whose pass 2 runs the kernel again on full maps.
#include <gtest/gtest.h>

#include <string>
#include <tuple>

#include "permrsa/permutation_analysis.hpp"
#include "synthetic_problem.hpp"

namespace permrsa {
namespace {

using ReplayCase = std::tuple<Tail, Metric, Precision, double>;  // ..., cluster_alpha

class MapReplay : public ::testing::TestWithParam<ReplayCase> {};

TEST_P(MapReplay, CachedMapsGiveTheClustersOfRecomputedOnes) {
  const auto [tail, metric, precision, alpha] = GetParam();
  const RsaProblem problem = synthetic_problem(14, 3, 40);
  AnalysisSettings analysis;
  analysis.permutations = 300;  // cluster_alpha 0.05: 16 top values a cell, trimmed from 48 on
  analysis.tail = tail;
  analysis.metric = metric;
  analysis.precision = precision;
  CorrectionSettings correction;  // permutation-p threshold: two passes
  correction.cluster_alpha = alpha;
  correction.connectivity = Connectivity::layer_time;
  const NullDesign design{PermutationSet::generated(problem.stimuli, analysis.permutations, 5)};
  RunOptions recomputed;
  recomputed.batch_size = 9;
  RunOptions cached = recomputed;
  cached.map_cache_bytes = 1e12;
  const AnalysisResult a = run_analysis(problem, analysis, correction, design, recomputed);
  const AnalysisResult b = run_analysis(problem, analysis, correction, design, cached);
  EXPECT_EQ(a.null_max_cluster, b.null_max_cluster);
  EXPECT_EQ(a.cluster_p, b.cluster_p);
  EXPECT_EQ(a.p_cluster.values(), b.p_cluster.values());
  EXPECT_EQ(a.cluster_id.values(), b.cluster_id.values());
  // Clusters in the null, so that the comparison compares something.
  double largest = 0.0;
  for (std::size_t k = 1; k < a.null_max_cluster.size(); ++k)
    largest = std::max(largest, a.null_max_cluster[k]);
  EXPECT_GT(largest, 0.0);
}

INSTANTIATE_TEST_SUITE_P(
    TailsKernelsAlphas, MapReplay,
    ::testing::Combine(::testing::Values(Tail::greater, Tail::less, Tail::two_sided),
                       ::testing::Values(Metric::spearman, Metric::pearson),
                       ::testing::Values(Precision::float32, Precision::float64),
                       ::testing::Values(0.05, 0.4, 1.0)));

}  // namespace
}  // namespace permrsa
