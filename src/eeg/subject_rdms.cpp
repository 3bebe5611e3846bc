// The RDMs of one subject over a range of time points: patterns per time point (averaging
// window, pseudo-trials), then the method's kernel. Parallel over time points (and, inside the
// kernels, over stimuli and pairs).
// GCC 12 reports a false -Wmaybe-uninitialized inside its own AVX-512 header
// (_mm512_reduce_add_pd, avx512fintrin.h) when Eigen's reductions are inlined with
// -march=native; the warning is about the intrinsic's internals, not this code.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <tbb/parallel_for.h>

#include <Eigen/Dense>
#include <algorithm>

#include "eeg/rdm_kernels.hpp"
#include "permrsa/condensed.hpp"
#include "permrsa/eeg_rdm.hpp"
#include "permrsa/error.hpp"

namespace permrsa {
namespace {

// units x channels patterns at time t: each unit averages its trials, each trial averages the
// window's samples.
Eigen::MatrixXd patterns_at(const std::vector<double>& data, std::size_t channels,
                            std::size_t times, const TrialDesign& d, std::size_t window,
                            std::size_t t) {
  // The window [t - floor((w-1)/2), t - floor((w-1)/2) + w), cut to the epoch.
  const auto start = static_cast<std::ptrdiff_t>(t) - static_cast<std::ptrdiff_t>((window - 1) / 2);
  const auto lo = static_cast<std::size_t>(std::max<std::ptrdiff_t>(0, start));
  const auto end =
      std::min(times, static_cast<std::size_t>(start + static_cast<std::ptrdiff_t>(window)));
  const double samples = static_cast<double>(end - lo);
  Eigen::MatrixXd x(static_cast<Eigen::Index>(d.unit_trials.size()),
                    static_cast<Eigen::Index>(channels));
  for (std::size_t u = 0; u < d.unit_trials.size(); ++u) {
    const auto& trials = d.unit_trials[u];
    for (std::size_t c = 0; c < channels; ++c) {
      double unit_sum = 0;
      for (std::size_t trial : trials) {
        const double* row = data.data() + (trial * channels + c) * times;
        double sum = 0;
        for (std::size_t s = lo; s < end; ++s) sum += row[s];
        unit_sum += sum / samples;
      }
      x(static_cast<Eigen::Index>(u), static_cast<Eigen::Index>(c)) =
          unit_sum / static_cast<double>(trials.size());
    }
  }
  return x;
}

}  // namespace

std::vector<double> subject_rdms(const std::vector<double>& data, std::size_t channels,
                                 std::size_t times, const TrialDesign& design, const RdmSpec& spec,
                                 std::size_t t_begin, std::size_t t_end,
                                 std::vector<double>* decisions) {
  if (t_begin > t_end || t_end > times || spec.window < 1)
    throw InternalError("subject_rdms: bad time range or window");
  const std::size_t P = pair_count(design.stimuli.size()), nt = t_end - t_begin;
  const std::size_t units = design.unit_class.size();
  std::vector<double> values(P * nt);
  if (decisions) decisions->assign(P * nt * units, 0.0);
  tbb::parallel_for(t_begin, t_end, [&](std::size_t t) {
    const Eigen::MatrixXd x = patterns_at(data, channels, times, design, spec.window, t);
    std::vector<double> rdm(P);
    std::vector<double> dec(decisions ? P * units : 0);
    switch (spec.method) {
      case RdmMethod::lda:
        eeg::lda_scores(x, design, spec.score, rdm, dec);
        break;
      case RdmMethod::crossnobis:
        eeg::crossnobis_distances(x, design, spec.noise, rdm);
        break;
      case RdmMethod::correlation:
      case RdmMethod::euclidean:
        eeg::mean_pattern_distances(x, design, spec.method, rdm);
        break;
    }
    for (std::size_t p = 0; p < P; ++p) values[p * nt + (t - t_begin)] = rdm[p];
    if (decisions)
      for (std::size_t p = 0; p < P; ++p)
        std::copy(
            dec.begin() + static_cast<std::ptrdiff_t>(p * units),
            dec.begin() + static_cast<std::ptrdiff_t>((p + 1) * units),
            decisions->begin() + static_cast<std::ptrdiff_t>((p * nt + (t - t_begin)) * units));
  });
  return values;
}

}  // namespace permrsa
