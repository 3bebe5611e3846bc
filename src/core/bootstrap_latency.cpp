#include "permrsa/bootstrap_latency.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>

#include "core/group_statistic.hpp"
#include "permrsa/error.hpp"
#include "permrsa/permutations.hpp"
#include "core/tail.hpp"

namespace permrsa {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Peak and onset time of each layer for one group of subjects (indices into in.per_subject).
// Cells whose statistic is undefined (NaN: zero variance in the sample) are neither peak nor
// onset; a layer without a defined cell has no peak (NaN, counted as missing), rather than the
// first time point a NaN-blind maximum would return.
void latencies(const LatencyInputs& in, const std::vector<std::uint32_t>& pick, double* peak, double* onset) {
  const std::size_t cells = in.layers * in.times, n = pick.size();
  std::vector<double> x(n);
  for (std::size_t l = 0; l < in.layers; ++l) {
    double best = -std::numeric_limits<double>::infinity();
    std::size_t best_t = 0;
    bool defined = false;
    onset[l] = kNaN;
    for (std::size_t t = 0; t < in.times; ++t) {
      const std::size_t c = l * in.times + t;
      for (std::size_t i = 0; i < n; ++i) x[i] = in.per_subject[pick[i] * cells + c];
      const double e = oriented(group_statistic(x.data(), n, in.t_statistic), in.tail);
      if (std::isnan(e)) continue;
      if (!defined || e > best) {
        best = e;
        best_t = t;
        defined = true;
      }
      if (std::isnan(onset[l]) && e > in.threshold[c]) onset[l] = in.time_axis[t];
    }
    peak[l] = defined ? in.time_axis[best_t] : kNaN;
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

double percentile(std::vector<double> values, double q) {
  if (values.empty()) return kNaN;
  std::sort(values.begin(), values.end());
  const double pos = q / 100.0 * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, values.size() - 1);
  const double frac = pos - static_cast<double>(lo);
  return values[lo] + (values[hi] - values[lo]) * frac;
}

BootstrapLatency bootstrap_latency(const LatencyInputs& in, std::int64_t samples, std::uint64_t seed,
                                   const std::vector<std::string>& layer_names,
                                   const std::vector<std::string>& compare_layers) {
  const std::size_t L = in.layers, B = static_cast<std::size_t>(samples);
  BootstrapLatency out;
  out.samples = samples;
  std::vector<std::uint32_t> everyone(in.subjects);
  for (std::uint32_t i = 0; i < everyone.size(); ++i) everyone[i] = i;
  std::vector<double> peak0(L), onset0(L);
  latencies(in, everyone, peak0.data(), onset0.data());

  out.peak_samples.assign(B * L, kNaN);
  std::vector<double> onsets(B * L, kNaN);
  tbb::parallel_for(std::size_t{0}, B, [&](std::size_t b) {
    PhiloxStream words(seed, b + 1, kBootstrapStream);
    std::vector<std::uint32_t> pick(in.subjects);
    for (auto& i : pick) i = bounded_draw(static_cast<std::uint32_t>(in.subjects), words);
    latencies(in, pick, out.peak_samples.data() + b * L, onsets.data() + b * L);
  });

  std::vector<double> column(B);
  for (std::size_t l = 0; l < L; ++l) {
    for (std::size_t b = 0; b < B; ++b) column[b] = out.peak_samples[b * L + l];
    out.peak.push_back(interval(peak0[l], column));
    for (std::size_t b = 0; b < B; ++b) column[b] = onsets[b * L + l];
    out.onset.push_back(interval(onset0[l], column));
  }

  if (!compare_layers.empty()) {
    auto index = [&](const std::string& name) {
      const auto it = std::find(layer_names.begin(), layer_names.end(), name);
      if (it == layer_names.end()) {
        std::string valid;
        for (const auto& n : layer_names) valid += (valid.empty() ? "" : ", ") + n;
        throw InputError("bootstrap.compare_layers: unknown layer \"" + name + "\"; layers: " + valid);
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
