// Bootstrap confidence intervals for latencies (resampling subjects with replacement).
//
// Sample b (1..B) draws N subject indices from Philox4x32-10 keyed by the seed, counter b,
// stream "BOOT" (Lemire's bounded draw), and recomputes the group statistic map from those
// subjects' maps (in draw order). For each layer: the peak latency is the first time of the
// largest tail-oriented statistic; the cluster onset is the first time of the layer's earliest
// cell in a supra-threshold cluster (the analysis' cluster-forming threshold and rule) whose
// statistic exceeds the observed analysis' critical max-cluster value, i.e. a cluster that would
// have p_cluster <= alpha (significant_cluster_bound); the threshold onset is the first time
// whose statistic passes the cluster-forming threshold, a single cell being enough (none: the
// sample is counted as missing). Intervals are the
// 2.5th and 97.5th percentiles of the samples (linear interpolation, as numpy.percentile).
// The peak-latency difference of two layers a - b gets the same interval and a two-sided
// bootstrap p = min(1, 2 min(#{d <= 0}, #{d >= 0}) / B).
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "permrsa/analysis_spec.hpp"
#include "permrsa/clusters.hpp"

namespace permrsa {

inline constexpr std::uint32_t kBootstrapStream = 0x424f4f54u;  // "BOOT"

struct LatencyInterval {
  double estimate = std::numeric_limits<double>::quiet_NaN();  // from all subjects, seconds
  double low = std::numeric_limits<double>::quiet_NaN();
  double high = std::numeric_limits<double>::quiet_NaN();
  std::int64_t missing = 0;  // samples without a value (no onset)
};

struct LatencyDifference {
  std::string layer_a, layer_b;
  LatencyInterval interval;  // peak(a) - peak(b), seconds
  double p = std::numeric_limits<double>::quiet_NaN();
};

struct BootstrapLatency {
  std::int64_t samples = 0;
  std::vector<LatencyInterval> peak, cluster_onset, threshold_onset;  // per layer
  std::vector<double> peak_samples;                                   // B x L peak times, seconds
  std::vector<LatencyDifference> differences;
};

struct LatencyInputs {
  std::span<const double> per_subject;  // N x L x T per-subject maps
  std::size_t subjects = 0, layers = 0, times = 0;
  std::span<const double> time_axis;  // T seconds
  std::span<const double> threshold;  // L x T cluster-forming threshold on e
  bool t_statistic = true;
  Tail tail = Tail::greater;
  ClusterRule rule;  // the analysis' cluster rule (connectivity, statistic, sign)
  double cluster_bound = std::numeric_limits<double>::infinity();  // significant: statistic > it
};

// The critical max-cluster value: a cluster statistic c has p_cluster = (1 + #{k >= 1 :
// max_k >= c}) / (K + 1) <= alpha exactly when c > the returned value (+inf when no cluster can
// reach alpha with K permutations). `null_max_cluster` is /null/max_cluster ([0] observed).
double significant_cluster_bound(std::span<const double> null_max_cluster, double alpha);

// Percentile q in [0, 100] of finite values, numpy's default (linear) interpolation.
double percentile(std::vector<double> values, double q);

BootstrapLatency bootstrap_latency(const LatencyInputs& in, std::int64_t samples,
                                   std::uint64_t seed, const std::vector<std::string>& layer_names,
                                   const std::vector<std::string>& compare_layers);

}  // namespace permrsa
