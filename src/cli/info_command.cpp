// `permrsa info results.h5`: a human summary of a results file.
#include <algorithm>
#include <cstdio>
#include <numeric>

#include "cli/commands.hpp"
#include "permrsa/results_summary.hpp"

namespace permrsa::cli {
namespace {

int info(const std::string& path) {
  // Checked first (cli/results_summary.cpp): every index below is inside its vector.
  const ResultsSummary s = read_results_summary(path);
  const std::size_t L = s.layers, T = s.times;
  const auto& times = s.time_axis;
  const auto& layers = s.layer_names;
  const auto& c = s.clusters;

  std::printf("%s\n", path.c_str());
  std::printf("  permrsa %s, scheme %s, metric %s, tail %s, K = %lld permutations, seed %llu\n",
              s.version.c_str(), s.scheme.c_str(), s.metric.c_str(), s.tail.c_str(),
              static_cast<long long>(s.permutations), static_cast<unsigned long long>(s.seed));
  if (!s.covariates.empty())
    std::printf("  partial maps: covariates %s partialled out (method %s, permute %s)\n",
                s.covariates.c_str(), s.covariate_method.c_str(), s.covariate_permute.c_str());
  std::printf("  %zu layers x %zu time points (%.4g s to %.4g s)\n", L, T, times.front(),
              times.back());
  const auto count = [](const std::vector<double>& p) {
    return std::count_if(p.begin(), p.end(), [](double v) { return v <= 0.05; });
  };
  std::printf("  cells with p <= 0.05: uncorrected %ld, max-statistic (FWER) %ld\n",
              static_cast<long>(count(s.p_uncorrected)), static_cast<long>(count(s.p_maxstat)));

  std::vector<std::size_t> order(c.p.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return c.p[a] < c.p[b]; });
  std::printf("  clusters: %zu (%ld with p <= 0.05)\n", c.p.size(), static_cast<long>(count(c.p)));
  const std::size_t shown = std::min<std::size_t>(order.size(), 15);
  const auto at = [](const auto& v, std::int64_t i) { return v[static_cast<std::size_t>(i)]; };
  for (std::size_t i = 0; i < shown; ++i) {
    const auto k = order[i];
    std::printf(
        "    cluster %zu: p = %.4g, statistic %.4g, %lld cells, layers %s..%s, %.4g s to %.4g s\n",
        k, c.p[k], c.statistic[k], static_cast<long long>(c.size[k]),
        at(layers, c.layer_first[k]).c_str(), at(layers, c.layer_last[k]).c_str(),
        at(times, c.time_first[k]), at(times, c.time_last[k]));
  }
  if (order.size() > shown) std::printf("    ... %zu more\n", order.size() - shown);
  std::printf("  peak per layer (observed statistic, time, max-statistic p):\n");
  for (std::size_t l = 0; l < L; ++l) {
    std::size_t best = 0;
    for (std::size_t t = 1; t < T; ++t)
      if (s.observed[l * T + t] > s.observed[l * T + best]) best = t;
    std::printf("    %-16s %8.4f at %.4g s  p = %.4g\n", layers[l].c_str(),
                s.observed[l * T + best], times[best], s.p_maxstat[l * T + best]);
  }
  return 0;
}

}  // namespace

std::function<int()> add_info_command(CLI::App& app, GlobalOptions&) {
  auto path = std::make_shared<std::string>();
  auto* cmd =
      app.add_subcommand("info", "Summarise a results file: clusters, peaks, significant cells");
  cmd->add_option("results", *path, "results.h5 written by permrsa run")->required();
  return [path] { return info(*path); };
}

}  // namespace permrsa::cli
