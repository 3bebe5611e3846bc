#include "permrsa/stimulus_analysis.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <limits>
#include <optional>

#include "core/cell_thresholds.hpp"
#include "kernels/statistic_kernel.hpp"
#include "permrsa/error.hpp"
#include "permrsa/tail.hpp"

namespace permrsa {
namespace {

// Maps of a range of permutations [first, first + count): s (raw) and e (oriented), each
// count x cells.
struct Batch {
  std::int64_t first = 0;
  std::size_t count = 0;
  std::vector<double> s, e;
};

class MapSource {
 public:
  MapSource(const StatisticKernel& kernel, const PermutationSet& perms, Tail tail)
      : kernel_(kernel), perms_(perms), tail_(tail) {}

  void fill(Batch& batch, std::int64_t first, std::size_t count) const {
    const std::size_t pairs = kernel_.pairs(), cells = kernel_.layers() * kernel_.times();
    std::vector<std::uint32_t> gathers(count * pairs);
    tbb::parallel_for(std::size_t{0}, count, [&](std::size_t b) {
      std::vector<std::uint32_t> pi(perms_.stimuli());
      perms_.permutation(first + static_cast<std::int64_t>(b), pi);
      pair_gather(pi, std::span(gathers).subspan(b * pairs, pairs));
    });
    batch.first = first;
    batch.count = count;
    batch.s.resize(count * cells);
    batch.e.resize(count * cells);
    kernel_.compute(gathers, count, batch.s);
    for (std::size_t i = 0; i < batch.s.size(); ++i) batch.e[i] = oriented(batch.s[i], tail_);
  }

 private:
  const StatisticKernel& kernel_;
  const PermutationSet& perms_;
  Tail tail_;
};

double p_value(std::int64_t exceed, std::int64_t permutations) {
  return static_cast<double>(1 + exceed) / static_cast<double>(permutations + 1);
}

}  // namespace

AnalysisResult run_stimulus_analysis(const RsaProblem& problem, const AnalysisSettings& analysis,
                                     const CorrectionSettings& correction,
                                     const PermutationSet& permutations, const RunOptions& options) {
  const std::size_t L = problem.models.rows(), T = problem.brain.cols(), cells = L * T;
  const std::int64_t K = permutations.count();
  const std::size_t batch_size = std::max<std::size_t>(1, options.batch_size);
  const auto kernel = make_statistic_kernel(analysis.metric, analysis.precision, problem.models,
                                            problem.brain);
  const MapSource maps(*kernel, permutations, analysis.tail);
  const ClusterRule rule{L, T, correction.connectivity, correction.cluster_statistic,
                         analysis.tail == Tail::two_sided};
  const bool two_pass = correction.cluster_threshold == ClusterThreshold::permutation_p;
  const std::int64_t total_work = K * (two_pass ? 2 : 1);
  std::int64_t done = 0;

  AnalysisResult r;
  r.permutations = K;
  r.null_max_statistic.assign(static_cast<std::size_t>(K + 1), 0.0);
  r.null_max_cluster.assign(static_cast<std::size_t>(K + 1), 0.0);

  // Cluster-forming threshold on e: fixed, or per cell from pass 1.
  std::vector<double> threshold(cells, correction.cluster_value);
  auto passing = [&](const double* e) {
    std::vector<std::uint8_t> mask(cells);
    for (std::size_t c = 0; c < cells; ++c) mask[c] = e[c] > threshold[c];
    return mask;
  };

  Batch observed;
  maps.fill(observed, 0, 1);
  const std::vector<double> e0 = observed.e;
  std::vector<std::int64_t> exceed(cells, 0);
  std::optional<CellTopValues> top;
  if (two_pass) {
    const auto m = passing_count(correction.cluster_alpha, K);
    top.emplace(cells, static_cast<std::size_t>(m + 1));
    for (std::size_t c = 0; c < cells; ++c) top->push(c, e0[c]);
  }
  r.null_max_statistic[0] = *std::max_element(e0.begin(), e0.end());

  // Pass 1: uncorrected counts, maxima, and either the null clusters (fixed threshold) or the
  // per-cell top values (permutation-p threshold).
  Batch batch;
  for (std::int64_t first = 1; first <= K; first += static_cast<std::int64_t>(batch_size)) {
    const auto count = static_cast<std::size_t>(std::min<std::int64_t>(batch_size, K - first + 1));
    maps.fill(batch, first, count);
    tbb::parallel_for(std::size_t{0}, count, [&](std::size_t b) {
      const double* e = batch.e.data() + b * cells;
      const auto k = static_cast<std::size_t>(first) + b;
      r.null_max_statistic[k] = *std::max_element(e, e + cells);
      if (!two_pass)
        r.null_max_cluster[k] = max_cluster_statistic(rule, {e, cells},
                                                      {batch.s.data() + b * cells, cells}, passing(e));
    });
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, cells, 64),
                      [&](const tbb::blocked_range<std::size_t>& range) {
      for (std::size_t c = range.begin(); c != range.end(); ++c)
        for (std::size_t b = 0; b < count; ++b) {
          const double e = batch.e[b * cells + c];
          exceed[c] += e >= e0[c];
          if (top) top->push(c, e);
        }
    });
    done += static_cast<std::int64_t>(count);
    if (options.progress) options.progress(done, total_work);
  }

  // Pass 2 (permutation-p threshold): regenerate every permutation from (seed, k) and cluster.
  if (two_pass) {
    threshold = top->thresholds(K + 1);
    r.cell_thresholds = threshold;
    for (std::int64_t first = 1; first <= K; first += static_cast<std::int64_t>(batch_size)) {
      const auto count = static_cast<std::size_t>(std::min<std::int64_t>(batch_size, K - first + 1));
      maps.fill(batch, first, count);
      tbb::parallel_for(std::size_t{0}, count, [&](std::size_t b) {
        const double* e = batch.e.data() + b * cells;
        r.null_max_cluster[static_cast<std::size_t>(first) + b] = max_cluster_statistic(
            rule, {e, cells}, {batch.s.data() + b * cells, cells}, passing(e));
      });
      done += static_cast<std::int64_t>(count);
      if (options.progress) options.progress(done, total_work);
    }
  }

  // Observed clusters and every p-value.
  auto map = find_clusters(rule, e0, observed.s, passing(e0.data()));
  if (analysis.tail == Tail::less)
    for (auto& cl : map.clusters) cl.sign = -1;
  for (const auto& cl : map.clusters) r.null_max_cluster[0] = std::max(r.null_max_cluster[0], cl.statistic);
  for (const auto& cl : map.clusters) {
    std::int64_t beaten = 0;
    for (std::int64_t k = 1; k <= K; ++k) beaten += r.null_max_cluster[static_cast<std::size_t>(k)] >= cl.statistic;
    r.cluster_p.push_back(p_value(beaten, K));
  }
  r.observed = Matrix<double>(L, T, observed.s);
  r.p_uncorrected = Matrix<double>(L, T);
  r.p_maxstat = Matrix<double>(L, T);
  r.p_cluster = Matrix<double>(L, T, 1.0);
  r.cluster_id = Matrix<std::int32_t>(L, T, map.id);
  std::vector<double> sorted_max(r.null_max_statistic.begin() + 1, r.null_max_statistic.end());
  std::sort(sorted_max.begin(), sorted_max.end());
  for (std::size_t c = 0; c < cells; ++c) {
    r.p_uncorrected.values()[c] = p_value(exceed[c], K);
    const auto at_least = sorted_max.end() - std::lower_bound(sorted_max.begin(), sorted_max.end(), e0[c]);
    r.p_maxstat.values()[c] = p_value(at_least, K);
    if (map.id[c] >= 0) r.p_cluster.values()[c] = r.cluster_p[static_cast<std::size_t>(map.id[c])];
  }
  r.clusters = std::move(map.clusters);
  return r;
}

}  // namespace permrsa
