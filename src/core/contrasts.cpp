#include "core/contrasts.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "permrsa/error.hpp"
#include "permrsa/sign_flips.hpp"

namespace permrsa {
namespace {

std::size_t layer_index(const std::vector<std::string>& layers, const std::string& name) {
  return static_cast<std::size_t>(std::find(layers.begin(), layers.end(), name) - layers.begin());
}

// d_n(t) for one pair, N x T, subjects in order.
std::vector<double> differences(const SubjectValues& v, std::size_t L, std::size_t T, std::size_t a,
                                std::size_t b, bool fisher_z) {
  std::vector<double> d(v.subjects * T);
  for (std::size_t n = 0; n < v.subjects; ++n)
    for (std::size_t t = 0; t < T; ++t) {
      double ra = v.maps[(n * L + a) * T + t], rb = v.maps[(n * L + b) * T + t];
      if (fisher_z) {
        ra = std::atanh(ra);
        rb = std::atanh(rb);
      }
      d[n * T + t] = ra - rb;
    }
  return d;
}

// Mean and SEM (ddof = 1) over subjects of each time point, sums in subject order.
void mean_and_sem(const std::vector<double>& d, std::size_t N, std::size_t T, ContrastResult& c) {
  c.mean.assign(T, 0.0);
  c.sem.assign(T, std::numeric_limits<double>::quiet_NaN());
  for (std::size_t t = 0; t < T; ++t) {
    double sum = 0;
    for (std::size_t n = 0; n < N; ++n) sum += d[n * T + t];
    const double mean = sum / static_cast<double>(N);
    double ss = 0;
    for (std::size_t n = 0; n < N; ++n) ss += (d[n * T + t] - mean) * (d[n * T + t] - mean);
    c.mean[t] = mean;
    if (N > 1)
      c.sem[t] = std::sqrt(ss / static_cast<double>(N - 1)) / std::sqrt(static_cast<double>(N));
  }
}

}  // namespace

void check_contrast_layers(const RunSpec& spec, const std::vector<std::string>& layers) {
  for (const auto& [a, b] : spec.contrasts.pairs)
    for (const auto& name : {a, b})
      if (std::find(layers.begin(), layers.end(), name) == layers.end()) {
        std::string valid;
        for (const auto& layer : layers) valid += (valid.empty() ? "" : ", ") + layer;
        throw InputError(spec.source + ": contrasts.pairs: expected layer names, found \"" + name +
                         "\" in [\"" + a + "\", \"" + b + "\"]; the layers are: " + valid);
      }
}

std::vector<ContrastResult> run_contrasts(const RunSpec& spec, const RsaProblem& problem,
                                          const SubjectValues& values, std::size_t batch_size,
                                          const Communicator& world) {
  std::vector<ContrastResult> out;
  if (spec.contrasts.pairs.empty()) return out;
  const std::size_t L = problem.layers.size(), T = problem.times.size(), N = values.subjects;
  SubjectValues v = values;
  v.maps.resize(N * L * T);
  world.broadcast(std::span<double>(v.maps), 0);
  AnalysisSettings analysis = spec.analysis;
  analysis.fisher_z = false;  // the differences are of Fisher z already when asked
  const NullDesign design{SignFlipSet::generated(N, analysis.permutations, analysis.seed)};
  RunOptions options;
  options.batch_size = batch_size;
  for (const auto& [a, b] : spec.contrasts.pairs) {
    ContrastResult c;
    c.layer_a = a;
    c.layer_b = b;
    const auto d = differences(v, L, T, layer_index(problem.layers, a),
                               layer_index(problem.layers, b), spec.analysis.fisher_z);
    mean_and_sem(d, N, T, c);
    for (std::size_t t = 0; t < T; ++t) {
      bool all_equal = true;
      for (std::size_t n = 1; n < N; ++n) all_equal = all_equal && d[n * T + t] == d[t];
      if (all_equal && spec.analysis.group_statistic == GroupStatistic::t)
        throw InputError(spec.source + ": contrasts.pairs [\"" + a + "\", \"" + b +
                         "\"]: at time point " + std::to_string(t) +
                         " every subject's difference is the same, so its t statistic is "
                         "undefined; expected layers whose difference varies across subjects, "
                         "or analysis.group_statistic = \"mean\"");
    }
    RsaProblem maps;
    maps.block = BlockRange{0, 1, 0, T};
    maps.brain = SubjectMaps{d, N};
    maps.models = Matrix<double>(1, 0);
    maps.times = problem.times;
    maps.layers = {c.name()};
    c.test = run_analysis(maps, analysis, spec.correction, design, options);
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace permrsa
