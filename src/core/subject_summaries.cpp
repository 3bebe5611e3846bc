#include "core/subject_summaries.hpp"

#include "core/block_maps.hpp"
#include "core/null_maps.hpp"

#include <cmath>
#include <limits>

namespace permrsa {
namespace {

void broadcast_interval(const Communicator& world, LatencyInterval& v) {
  std::vector<double> x{v.estimate, v.low, v.high, static_cast<double>(v.missing)};
  world.broadcast(x, 0);
  v = {x[0], x[1], x[2], static_cast<std::int64_t>(x[3])};
}

// Each subject's metric map, gathered whole to world rank 0 (the leader of group 0), with the
// mean and SEM across subjects computed there in subject order.
SubjectValues subject_values(const RsaProblem& problem, const RunSpec& spec,
                             const ProcessGrid& grid, int group_id, const Communicator& group,
                             const Communicator& world) {
  SubjectValues v;
  v.subjects = problem.subject_count();
  const std::size_t N = v.subjects, cells = grid.layers * grid.times;
  if (group_id != 0) return v;
  AnalysisSettings plain = spec.analysis;
  plain.fisher_z = false;
  const auto mine =
      problem.has_rdms() ? per_subject_maps(problem, plain) : problem.subject_maps()->maps;
  std::vector<double> whole;
  const auto gathered = gather_block_maps(group, grid, mine, N, whole);
  if (world.rank() != 0) return v;
  v.maps.assign(gathered.begin(), gathered.end());
  v.mean.assign(cells, 0.0);
  v.sem.assign(cells, std::numeric_limits<double>::quiet_NaN());
  for (std::size_t c = 0; c < cells; ++c) {
    double sum = 0.0;
    for (std::size_t n = 0; n < N; ++n) sum += v.maps[n * cells + c];
    const double mean = sum / static_cast<double>(N);
    double squares = 0.0;
    for (std::size_t n = 0; n < N; ++n) {
      const double d = v.maps[n * cells + c] - mean;
      squares += d * d;
    }
    v.mean[c] = mean;
    if (N > 1)
      v.sem[c] =
          std::sqrt(squares / static_cast<double>(N - 1)) / std::sqrt(static_cast<double>(N));
  }
  return v;
}

}  // namespace

SubjectSummaries summarize_subjects(const RsaProblem& problem, const RunSpec& spec,
                                    const AnalysisResult& result, double threshold_value,
                                    const ProcessGrid& grid, const Communicator& world) {
  SubjectSummaries out;
  if (problem.subject_count() == 0) return out;
  const int block_id = grid.block_of(world.rank()), group_id = grid.group_of(world.rank());
  const auto group = world.split(group_id, block_id);
  const std::size_t T = grid.times, L = grid.layers;
  out.subject_values = subject_values(problem, spec, grid, group_id, *group, world);

  // Noise ceiling: each block's time points, from the ranks of group 0 whose block starts at
  // layer 0 (other layer blocks hold the same time points), as (time, lower, upper) triples.
  std::vector<double> triples;
  // (None when the input is the maps themselves: there are no RDMs to compare.)
  if (!problem.has_rdms() && !spec.bootstrap.enabled) return out;
  if (group_id == 0 && problem.block.layer_begin == 0 && problem.block.cells() > 0 &&
      problem.has_rdms() && !problem.covariates.any()) {
    const auto ceiling = noise_ceiling(problem.subject_rdms()->rdms, spec.analysis.metric);
    for (std::size_t t = 0; t < ceiling.lower.size(); ++t)
      triples.insert(triples.end(), {static_cast<double>(problem.block.time_begin + t),
                                     ceiling.lower[t], ceiling.upper[t]});
  }
  const auto all = world.gatherv(triples, 0);
  NoiseCeiling ceiling{std::vector<double>(T, 0.0), std::vector<double>(T, 0.0)};
  for (std::size_t i = 0; i + 3 <= all.size(); i += 3) {
    const auto t = static_cast<std::size_t>(all[i]);
    ceiling.lower[t] = all[i + 1];
    ceiling.upper[t] = all[i + 2];
  }
  world.broadcast(ceiling.lower, 0);
  world.broadcast(ceiling.upper, 0);
  // A noise ceiling bounds plain correlations with the brain; partial ones have none (issue 17).
  // Nor does a mixture of two groups: each group would need its own.
  if (problem.has_rdms() && !problem.covariates.any() && spec.analysis.scheme != Scheme::two_group)
    out.noise_ceiling = std::move(ceiling);

  if (!spec.bootstrap.enabled) return out;
  // The whole per-subject maps and thresholds on rank 0 (the leader of group 0).
  const std::size_t N = problem.subject_count();
  std::vector<double> maps, threshold;
  if (group_id == 0) {
    const auto mine = per_subject_maps(problem, spec.analysis);
    std::vector<double> whole;
    const auto gathered = gather_block_maps(*group, grid, mine, N, whole);
    maps.assign(gathered.begin(), gathered.end());
    // The same decision on every rank (a rank with an empty block holds no thresholds but
    // still takes part in the gather).
    if (spec.correction.cluster_threshold == ClusterThreshold::permutation_p)
      threshold = gather_block_map(*group, grid, result.cell_thresholds.values());
  }
  BootstrapLatency boot;
  if (world.rank() == 0) {
    if (threshold.empty()) threshold.assign(L * T, threshold_value);
    LatencyInputs in{maps,
                     N,
                     L,
                     T,
                     problem.times,
                     threshold,
                     spec.analysis.scheme == Scheme::sign_flip &&
                         spec.analysis.group_statistic == GroupStatistic::t,
                     spec.analysis.tail,
                     {L, T, spec.correction.connectivity, spec.correction.cluster_statistic,
                      spec.analysis.tail == Tail::two_sided},
                     significant_cluster_bound(result.null_max_cluster, spec.correction.alpha)};
    boot = bootstrap_latency(in, spec.bootstrap.samples, spec.analysis.seed, problem.layers,
                             spec.bootstrap.compare_layers);
  }
  boot.samples = spec.bootstrap.samples;
  boot.peak.resize(L);
  boot.cluster_onset.resize(L);
  boot.threshold_onset.resize(L);
  boot.peak_samples.resize(static_cast<std::size_t>(boot.samples) * L);
  for (auto& v : boot.peak) broadcast_interval(world, v);
  for (auto& v : boot.cluster_onset) broadcast_interval(world, v);
  for (auto& v : boot.threshold_onset) broadcast_interval(world, v);
  world.broadcast(boot.peak_samples, 0);
  std::vector<std::int64_t> differences{static_cast<std::int64_t>(boot.differences.size())};
  world.broadcast(differences, 0);
  boot.differences.resize(static_cast<std::size_t>(differences[0]));
  for (auto& d : boot.differences) {
    world.broadcast(d.layer_a, 0);
    world.broadcast(d.layer_b, 0);
    broadcast_interval(world, d.interval);
    std::vector<double> p{d.p};
    world.broadcast(p, 0);
    d.p = p[0];
  }
  out.bootstrap = std::move(boot);
  return out;
}

}  // namespace permrsa
