#include "core/result_maps.hpp"

#include <algorithm>

namespace permrsa {
namespace {

// #{k >= 1 : value_k >= x} over sorted values.
std::int64_t at_least(const std::vector<double>& sorted, double x) {
  return sorted.end() - std::lower_bound(sorted.begin(), sorted.end(), x);
}

std::vector<double> sorted_null(const std::vector<double>& per_k) {
  std::vector<double> v(per_k.begin() + 1, per_k.end());
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace

AnalysisResult finalize_result(const AnalysisFrame& f, const BlockObservation& obs,
                               NullMaxima maxima, ObservedClusters clusters) {
  AnalysisResult r;
  const BlockRange& blk = obs.block;
  const std::int64_t K = f.permutations;
  r.permutations = K;
  r.block = blk;
  r.observed =
      Matrix<double>(blk.layers(), blk.times(), std::vector<double>(obs.s.begin(), obs.s.end()));
  r.p_uncorrected = Matrix<double>(blk.layers(), blk.times());
  r.p_maxstat = Matrix<double>(blk.layers(), blk.times());
  r.p_cluster = Matrix<double>(blk.layers(), blk.times(), 1.0);
  r.cluster_id = Matrix<std::int32_t>(blk.layers(), blk.times(), -1);
  if (f.tfce) {
    r.tfce = Matrix<double>(blk.layers(), blk.times());
    r.p_tfce = Matrix<double>(blk.layers(), blk.times());
  }
  const auto sorted_max = sorted_null(maxima.statistic);
  const auto sorted_tfce = f.tfce ? sorted_null(maxima.tfce) : std::vector<double>{};
  for (std::size_t c = 0; c < blk.cells(); ++c) {
    const std::size_t g =
        (blk.layer_begin + c / blk.times()) * f.times + blk.time_begin + c % blk.times();
    r.p_uncorrected.values()[c] = permutation_p(obs.exceed[c], K);
    r.p_maxstat.values()[c] = permutation_p(at_least(sorted_max, obs.e[c]), K);
    const std::int32_t id = clusters.id[g];
    r.cluster_id.values()[c] = id;
    if (id >= 0) r.p_cluster.values()[c] = clusters.p[static_cast<std::size_t>(id)];
    if (f.tfce) {
      r.tfce.values()[c] = clusters.tfce[g];
      r.p_tfce.values()[c] = permutation_p(at_least(sorted_tfce, clusters.tfce[g]), K);
    }
  }
  r.cluster_onset.assign(f.layers, -1);
  for (std::size_t g = 0; g < f.cells; ++g) {  // row-major: a layer's first time comes first
    const std::int32_t id = clusters.id[g];
    auto& onset = r.cluster_onset[g / f.times];
    if (id >= 0 && onset < 0 && clusters.p[static_cast<std::size_t>(id)] <= f.alpha)
      onset = static_cast<std::int64_t>(g % f.times);
  }
  r.clusters = std::move(clusters.clusters);
  r.cluster_p = std::move(clusters.p);
  r.null_max_statistic = std::move(maxima.statistic);
  r.null_max_cluster = std::move(maxima.cluster);
  r.null_max_tfce = std::move(maxima.tfce);
  return r;
}

}  // namespace permrsa
