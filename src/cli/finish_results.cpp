#include "cli/finish_results.hpp"

#include <spdlog/spdlog.h>
#include <sys/resource.h>

namespace permrsa::cli {
namespace {

long peak_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

void log_peak_memory(const Communicator& world) {
  if (world.size() == 1) {
    spdlog::info("peak RSS: {:.0f} MiB", static_cast<double>(peak_rss_kib()) / 1024.0);
    return;
  }
  // Per-rank peak memory, gathered to rank 0 for the log.
  const double mine = static_cast<double>(peak_rss_kib()) / 1024.0;
  const auto all = world.gatherv(std::span<const double>(&mine, 1), 0);
  std::string text;
  for (std::size_t r = 0; r < all.size(); ++r)
    text += fmt::format("{}{:.0f}", r ? ", " : "", all[r]);
  spdlog::info("peak RSS per rank (MiB): {}", text);
}

}  // namespace

void finish_results(const PreparedAnalysis& a, AnalysisResult& result, const std::string& path,
                    const Communicator& world) {
  for (const auto& warning : summarize(a, result, world))
    if (world.rank() == 0) spdlog::warn("{}", warning);
  if (result.bootstrap)
    for (std::size_t l = 0; l < a.shape.layers; ++l)
      spdlog::info("bootstrap peak of {}: {:.4g} s, 95% CI [{:.4g}, {:.4g}]", a.problem.layers[l],
                   result.bootstrap->peak[l].estimate, result.bootstrap->peak[l].low,
                   result.bootstrap->peak[l].high);
  write_results_file(a, result, path, world);
  log_peak_memory(world);
  std::size_t significant = 0;
  for (double p : result.cluster_p) significant += p <= 0.05;
  spdlog::info("wrote {}: {} clusters, {} with p <= 0.05 (see `permrsa info {}`)", path,
               result.clusters.size(), significant, path);
}

}  // namespace permrsa::cli
