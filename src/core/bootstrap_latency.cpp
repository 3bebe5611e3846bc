#include "permrsa/bootstrap_latency.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <functional>

#include "core/group_statistic.hpp"
#include "numeric/tail.hpp"
#include "permrsa/error.hpp"
#include "permrsa/permutations.hpp"

namespace permrsa {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// One group's latencies per layer (seconds, NaN: none).
struct Latencies {
  double* peak;
  double* cluster_onset;
  double* threshold_onset;
};

// The latencies of each layer for one group of subjects (indices into in.per_subject).
// Cells whose statistic is undefined (NaN: zero variance in the sample) are neither peak nor
// onset; a layer without a defined cell has no peak (NaN, counted as missing), rather than the
// first time point a NaN-blind maximum would return.
void latencies(const LatencyInputs& in, const std::vector<std::uint32_t>& pick, Latencies out) {
  const std::size_t cells = in.layers * in.times, n = pick.size();
  std::vector<double> x(n), s(cells), e(cells);
  std::vector<std::uint8_t> pass(cells);
  for (std::size_t c = 0; c < cells; ++c) {
    for (std::size_t i = 0; i < n; ++i) x[i] = in.per_subject[pick[i] * cells + c];
    s[c] = group_statistic(x.data(), n, in.t_statistic);
    e[c] = oriented(s[c], in.tail);
    pass[c] = e[c] > in.threshold[c];  // false for NaN
  }
  for (std::size_t l = 0; l < in.layers; ++l) {
    double best = -std::numeric_limits<double>::infinity();
    std::size_t best_t = 0;
    bool defined = false;
    out.threshold_onset[l] = kNaN;
    out.cluster_onset[l] = kNaN;
    for (std::size_t t = 0; t < in.times; ++t) {
      const std::size_t c = l * in.times + t;
      if (std::isnan(e[c])) continue;
      if (!defined || e[c] > best) {
        best = e[c];
        best_t = t;
        defined = true;
      }
      if (std::isnan(out.threshold_onset[l]) && pass[c]) out.threshold_onset[l] = in.time_axis[t];
    }
    out.peak[l] = defined ? in.time_axis[best_t] : kNaN;
  }
  if (!(in.cluster_bound < std::numeric_limits<double>::infinity())) return;
  const ClusterMap map = find_clusters(in.rule, e, s, pass);
  for (std::size_t c = 0; c < cells; ++c) {  // row-major: a layer's first time comes first
    const std::int32_t id = map.id[c];
    double& onset = out.cluster_onset[c / in.times];
    if (id >= 0 && std::isnan(onset) &&
        map.clusters[static_cast<std::size_t>(id)].statistic > in.cluster_bound)
      onset = in.time_axis[c % in.times];
  }
}

LatencyInterval interval(double estimate, const std::vector<double>& values) {
  LatencyInterval out;
  out.estimate = estimate;
  std::vector<double> finite;
  for (double v : values) {
    if (std::isnan(v))
      ++out.missing;
    else
      finite.push_back(v);
  }
  if (!finite.empty()) {
    out.low = percentile(finite, 2.5);
    out.high = percentile(finite, 97.5);
  }
  return out;
}

}  // namespace

double significant_cluster_bound(std::span<const double> null_max_cluster, double alpha) {
  const auto K = static_cast<std::int64_t>(null_max_cluster.size()) - 1;
  // The most null maxima >= c that still give p <= alpha, computed as p itself is.
  std::int64_t allowed = -1;
  while (allowed < K && static_cast<double>(1 + allowed + 1) / static_cast<double>(K + 1) <= alpha)
    ++allowed;
  if (allowed < 0) return std::numeric_limits<double>::infinity();
  if (allowed >= K) return -std::numeric_limits<double>::infinity();
  std::vector<double> null(null_max_cluster.begin() + 1, null_max_cluster.end());
  std::sort(null.begin(), null.end(), std::greater<>());
  // #{max_k >= c} <= allowed  <=>  c > the (allowed + 1)-th largest null maximum.
  return null[static_cast<std::size_t>(allowed)];
}

double percentile(std::vector<double> values, double q) {
  if (values.empty()) return kNaN;
  std::sort(values.begin(), values.end());
  const double pos = q / 100.0 * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, values.size() - 1);
  const double frac = pos - static_cast<double>(lo);
  return values[lo] + (values[hi] - values[lo]) * frac;
}

BootstrapLatency bootstrap_latency(const LatencyInputs& in, std::int64_t samples,
                                   std::uint64_t seed, const std::vector<std::string>& layer_names,
                                   const std::vector<std::string>& compare_layers) {
  const std::size_t L = in.layers, B = static_cast<std::size_t>(samples);
  BootstrapLatency out;
  out.samples = samples;
  std::vector<std::uint32_t> everyone(in.subjects);
  for (std::uint32_t i = 0; i < everyone.size(); ++i) everyone[i] = i;
  std::vector<double> peak0(L), cluster0(L), threshold0(L);
  latencies(in, everyone, {peak0.data(), cluster0.data(), threshold0.data()});

  out.peak_samples.assign(B * L, kNaN);
  std::vector<double> cluster_onsets(B * L, kNaN), threshold_onsets(B * L, kNaN);
  tbb::parallel_for(std::size_t{0}, B, [&](std::size_t b) {
    PhiloxStream words(seed, b + 1, kBootstrapStream);
    std::vector<std::uint32_t> pick(in.subjects);
    for (auto& i : pick) i = bounded_draw(static_cast<std::uint32_t>(in.subjects), words);
    latencies(in, pick,
              {out.peak_samples.data() + b * L, cluster_onsets.data() + b * L,
               threshold_onsets.data() + b * L});
  });

  std::vector<double> column(B);
  const auto layer_interval = [&](const std::vector<double>& per_sample, double estimate,
                                  std::size_t l) {
    for (std::size_t b = 0; b < B; ++b) column[b] = per_sample[b * L + l];
    return interval(estimate, column);
  };
  for (std::size_t l = 0; l < L; ++l) {
    out.peak.push_back(layer_interval(out.peak_samples, peak0[l], l));
    out.cluster_onset.push_back(layer_interval(cluster_onsets, cluster0[l], l));
    out.threshold_onset.push_back(layer_interval(threshold_onsets, threshold0[l], l));
  }

  if (!compare_layers.empty()) {
    auto index = [&](const std::string& name) {
      const auto it = std::find(layer_names.begin(), layer_names.end(), name);
      if (it == layer_names.end()) {
        std::string valid;
        for (const auto& n : layer_names) valid += (valid.empty() ? "" : ", ") + n;
        throw InputError("bootstrap.compare_layers: unknown layer \"" + name +
                         "\"; layers: " + valid);
      }
      return static_cast<std::size_t>(it - layer_names.begin());
    };
    const std::size_t a = index(compare_layers.at(0)), c = index(compare_layers.at(1));
    LatencyDifference d;
    d.layer_a = compare_layers[0];
    d.layer_b = compare_layers[1];
    // Over the samples with both peaks: a missing difference (NaN) compares false both ways,
    // and dividing by all B would make p smaller than the samples support.
    std::int64_t at_most_zero = 0, at_least_zero = 0, defined = 0;
    for (std::size_t b = 0; b < B; ++b) {
      column[b] = out.peak_samples[b * L + a] - out.peak_samples[b * L + c];
      at_most_zero += column[b] <= 0;
      at_least_zero += column[b] >= 0;
      defined += !std::isnan(column[b]);
    }
    d.interval = interval(peak0[a] - peak0[c], column);
    d.p = defined == 0
              ? kNaN
              : std::min(1.0, 2.0 * static_cast<double>(std::min(at_most_zero, at_least_zero)) /
                                  static_cast<double>(defined));
    out.differences.push_back(d);
  }
  return out;
}

}  // namespace permrsa
