// `permrsa info results.h5`: a human summary of everything a results file holds.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "cli/commands.hpp"
#include "permrsa/results_summary.hpp"

namespace permrsa::cli {
namespace {

using Summary = ResultsSummary;

long count_at_most(const std::vector<double>& p, double alpha) {
  return static_cast<long>(std::count_if(p.begin(), p.end(), [&](double v) { return v <= alpha; }));
}

// "0.123 s" or "none".
std::string seconds(double t) {
  if (std::isnan(t)) return "none";
  char text[32];
  std::snprintf(text, sizeof text, "%.4g s", t);
  return text;
}

std::string interval_text(const Summary::Interval& x) {
  char text[96];
  std::snprintf(text, sizeof text, "%s [%s, %s]", seconds(x.estimate).c_str(),
                seconds(x.low).c_str(), seconds(x.high).c_str());
  return text;
}

void print_header(const std::string& path, const Summary& s) {
  std::printf("%s\n", path.c_str());
  std::printf("  permrsa %s, scheme %s, metric %s, tail %s, K = %lld permutations, seed %llu\n",
              s.version.c_str(), s.scheme.c_str(), s.metric.c_str(), s.tail.c_str(),
              static_cast<long long>(s.permutations), static_cast<unsigned long long>(s.seed));
  std::printf("  maps: %s\n", s.statistic_label.c_str());
  if (!s.covariates.empty())
    std::printf("  partial maps: covariates %s partialled out (method %s, permute %s)\n",
                s.covariates.c_str(), s.covariate_method.c_str(), s.covariate_permute.c_str());
  if (s.generalise)
    std::printf(
        "  time x time: %zu t1 rows x %zu t2 time points (%.4g s to %.4g s); only "
        "t1 < t2 is tested\n",
        s.layers, s.times, s.time_axis.front(), s.time_axis.back());
  else
    std::printf("  %zu layers x %zu time points (%.4g s to %.4g s)\n", s.layers, s.times,
                s.time_axis.front(), s.time_axis.back());
  std::printf("  cells with p <= %g: uncorrected %ld, max-statistic (FWER) %ld\n", s.alpha,
              count_at_most(s.p_uncorrected, s.alpha), count_at_most(s.p_maxstat, s.alpha));
}

void print_clusters(const Summary& s) {
  const auto& c = s.clusters;
  std::vector<std::size_t> order(c.p.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return c.p[a] < c.p[b]; });
  std::printf("  clusters: %zu (%ld with p <= %g)\n", c.p.size(), count_at_most(c.p, s.alpha),
              s.alpha);
  const std::size_t shown = std::min<std::size_t>(order.size(), 15);
  const auto at = [](const auto& v, std::int64_t i) { return v[static_cast<std::size_t>(i)]; };
  for (std::size_t i = 0; i < shown; ++i) {
    const auto k = order[i];
    std::printf(
        "    cluster %zu: p = %.4g, statistic %.4g, %lld cells, layers %s..%s, %.4g s to %.4g s\n",
        k, c.p[k], c.statistic[k], static_cast<long long>(c.size[k]),
        at(s.layer_names, c.layer_first[k]).c_str(), at(s.layer_names, c.layer_last[k]).c_str(),
        at(s.time_axis, c.time_first[k]), at(s.time_axis, c.time_last[k]));
  }
  if (order.size() > shown) std::printf("    ... %zu more\n", order.size() - shown);
}

void print_peaks(const Summary& s) {
  const std::size_t T = s.times;
  std::printf("  peak per layer (%s, time, max-statistic p%s):\n", s.statistic_label.c_str(),
              s.cluster_onset.empty() ? "" : "; cluster onset");
  for (std::size_t l = 0; l < s.layers; ++l) {
    std::size_t best = 0;
    for (std::size_t t = 1; t < T; ++t)
      if (s.observed[l * T + t] > s.observed[l * T + best]) best = t;
    std::printf("    %-16s %8.4f at %.4g s  p = %.4g", s.layer_names[l].c_str(),
                s.observed[l * T + best], s.time_axis[best], s.p_maxstat[l * T + best]);
    if (!s.cluster_onset.empty()) std::printf("; onset %s", seconds(s.cluster_onset[l]).c_str());
    std::printf("\n");
  }
  if (!s.cluster_onset.empty())
    std::printf("    (onset: the first time of the layer's earliest cluster with p <= %g)\n",
                s.alpha);
}

void print_tfce(const Summary& s) {
  if (!s.tfce) return;
  const auto& t = *s.tfce;
  const auto peak = std::max_element(t.tfce.begin(), t.tfce.end()) - t.tfce.begin();
  const auto at = static_cast<std::size_t>(peak);
  std::printf("  TFCE: %ld cells with p <= %g; peak %.4g at %s, %.4g s (p = %.4g)",
              count_at_most(t.p, s.alpha), s.alpha, t.tfce[at], s.layer_names[at / s.times].c_str(),
              s.time_axis[at % s.times], t.p[at]);
  if (t.step > 0) std::printf("; height step %.4g", t.step);
  std::printf("\n");
}

void print_noise_ceiling(const Summary& s) {
  if (!s.noise_ceiling) return;
  const auto& n = *s.noise_ceiling;
  const auto peak =
      static_cast<std::size_t>(std::max_element(n.upper.begin(), n.upper.end()) - n.upper.begin());
  const auto [low, high] = std::minmax_element(n.lower.begin(), n.lower.end());
  const auto [ulow, uhigh] = std::minmax_element(n.upper.begin(), n.upper.end());
  std::printf(
      "  noise ceiling: lower bound %.4g to %.4g, upper bound %.4g to %.4g; highest upper bound "
      "%.4g at %.4g s (lower there %.4g)\n",
      *low, *high, *ulow, *uhigh, n.upper[peak], s.time_axis[peak], n.lower[peak]);
}

void print_bootstrap(const Summary& s) {
  if (!s.bootstrap) return;
  const auto& b = *s.bootstrap;
  std::printf("  bootstrap over subjects (B = %lld): estimate [95%% CI] per layer\n",
              static_cast<long long>(b.samples));
  for (std::size_t l = 0; l < s.layers; ++l) {
    std::printf("    %-16s peak %s", s.layer_names[l].c_str(), interval_text(b.peak[l]).c_str());
    if (!b.onset.empty())
      std::printf("; cluster onset %s (%lld without); threshold onset %s",
                  interval_text(b.onset[l]).c_str(), static_cast<long long>(b.onset[l].missing),
                  interval_text(b.threshold_onset[l]).c_str());
    std::printf("\n");
  }
  if (b.difference_layers.size() == 2)
    std::printf("    peak difference %s - %s: %s, p = %.4g\n", b.difference_layers[0].c_str(),
                b.difference_layers[1].c_str(), interval_text(b.difference).c_str(),
                b.difference_p);
}

void print_groups_and_contrasts(const Summary& s) {
  if (!s.groups.empty()) {
    const auto a = std::count(s.groups.begin(), s.groups.end(), 0);
    std::printf("  two groups: %lld subjects in group a (0), %lld in group b (1)\n",
                static_cast<long long>(a), static_cast<long long>(s.groups.size()) - a);
  }
  for (const auto& c : s.contrasts) {
    std::size_t significant = 0;
    for (const double p : c.p) significant += p <= s.alpha;
    std::printf("  contrast %s: %zu clusters, %zu with p <= %g\n", c.name.c_str(), c.p.size(),
                significant, s.alpha);
    for (std::size_t i = 0; i < c.p.size(); ++i)
      if (c.p[i] <= s.alpha)
        std::printf("    %.4g s to %.4g s, statistic %.4g, p = %.4g\n",
                    s.time_axis[static_cast<std::size_t>(c.time_first[i])],
                    s.time_axis[static_cast<std::size_t>(c.time_last[i])], c.statistic[i], c.p[i]);
  }
}

void print_settings(const Summary& s) {
  if (s.settings.empty()) return;
  std::printf("  settings:\n");
  for (const auto& line : s.settings) std::printf("    %s\n", line.c_str());
}

int info(const std::string& path) {
  // Checked first (io/results_summary.cpp): every index below is inside its vector.
  const Summary s = read_results_summary(path);
  print_header(path, s);
  print_clusters(s);
  print_peaks(s);
  print_tfce(s);
  print_noise_ceiling(s);
  print_bootstrap(s);
  print_groups_and_contrasts(s);
  print_settings(s);
  return 0;
}

}  // namespace

std::function<int()> add_info_command(CLI::App& app, GlobalOptions&) {
  auto path = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand(
      "info", "Summarise a results file: clusters, peaks, onsets, TFCE, noise ceiling, bootstrap");
  cmd->add_option("results", *path, "results.h5 written by permrsa run")->required();
  return [path] { return info(*path); };
}

}  // namespace permrsa::cli
