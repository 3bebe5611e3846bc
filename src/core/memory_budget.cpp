#include "core/memory_budget.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "permrsa/error.hpp"

namespace permrsa {
namespace {

// "82.0 GiB", "3.5 MiB", "120.0 KiB"
std::string size_text(double bytes) {
  const char* unit[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (u < 4 && bytes >= 1024.0) {
    bytes /= 1024.0;
    ++u;
  }
  std::ostringstream m;
  m.setf(std::ios::fixed);
  m.precision(u == 0 ? 0 : 1);
  m << bytes << " " << unit[u];
  return m.str();
}

}  // namespace

double RunFootprint::bytes(std::int64_t permutations, std::int64_t samples) const {
  return fixed + per_permutation * (static_cast<double>(permutations) + 1.0) +
         per_sample * static_cast<double>(samples);
}

RunFootprint run_footprint(const RunSpec& spec, const ProblemShape& shape, const BlockRange& block,
                           std::size_t batch_size) {
  const double cells = static_cast<double>(shape.layers * shape.times);
  const double block_cells = static_cast<double>(block.cells());
  const double layers = static_cast<double>(shape.layers);
  const double subjects = static_cast<double>(std::max<std::size_t>(1, shape.subjects));
  // Input values per cell: P per subject (or for the group) with RDMs, one per subject with maps.
  const std::size_t values =
      shape.pairs > 0 ? shape.pairs * std::max<std::size_t>(1, shape.subjects) : shape.subjects;
  RunFootprint f;
  // The block's inputs, kernel copies and batch buffers (as the grid planner counts them, without
  // the top-value heaps, which grow with K), and the whole maps the leader assembles and rank 0
  // writes (about 16 maps of L x T doubles at most at once).
  f.fixed = estimate_rank_bytes(values, block.layers(), block.times(), block.cells(), -1, 0.0,
                                batch_size) +
            16.0 * cells * 8.0;
  // Per k: max_statistic, max_cluster (and max_tfce) on every rank, their gathered copies, the
  // result's, its sorted copies and the gather's send and receive buffers: 4 v + 3 doubles.
  if (spec.covariates.enabled && shape.pairs > 0) {
    // Partial kernels (kernels/partial_kernel.cpp) hold residual or standardised copies of the
    // block's models and brain and a second kernel on them, per subject; the residual method
    // also builds the batch's permuted model residuals and a kernel on them, one call at a time.
    const double pairs = static_cast<double>(shape.pairs);
    const double rows = static_cast<double>(block.layers()),
                 columns = static_cast<double>(block.times());
    f.fixed += 8.0 * subjects * 2.0 * pairs * (rows + columns);
    if (spec.covariates.method == CovariateMethod::residual)
      f.fixed += 8.0 * 2.0 * static_cast<double>(batch_size) * rows * pairs;
  }
  // The sign-flip kernel's tables of signed partial sums: 2^(size - 1) rows per group of up to
  // four subjects (kernels/signed_tile_sums.hpp), at most two rows per subject, for every cell.
  if (spec.analysis.scheme == Scheme::sign_flip) f.fixed += 8.0 * 2.0 * subjects * block_cells;
  const double maxima = spec.correction.tfce ? 3.0 : 2.0;
  f.per_permutation = 8.0 * (4.0 * maxima + 3.0);
  // The top-value buffers (2 capacities per cell, core/cell_thresholds.hpp; counted as 3, the
  // size they had until 2026-12-07, which leaves room), merged, state.
  if (spec.correction.cluster_threshold == ClusterThreshold::permutation_p)
    f.per_permutation += spec.correction.cluster_alpha * 8.0 * (4.0 * block_cells + cells);
  if (spec.bootstrap.enabled) {
    f.fixed += 2.0 * subjects * cells * 8.0;  // the whole per-subject maps, gathered on rank 0
    f.per_sample =
        8.0 * (3.0 * layers + 2.0);  // peak and onset samples, a broadcast copy, a column
  }
  return f;
}

void check_memory_budget(const RunSpec& spec, const ProblemShape& shape,
                         const RunFootprint& footprint, std::int64_t permutations, double budget,
                         const std::string& budget_option) {
  const std::int64_t B = spec.bootstrap.enabled ? spec.bootstrap.samples : 0;
  const double k_bytes = footprint.per_permutation * (static_cast<double>(permutations) + 1.0);
  const double b_bytes = footprint.per_sample * static_cast<double>(B);
  // What grows with K and B gets what the budget leaves after the inputs, and at least half of
  // it: the inputs themselves are not refused (the budget steers the grid for them, and a
  // machine may well hold more than the default budget).
  const double available = std::max(budget - footprint.fixed, budget / 2);
  if (k_bytes + b_bytes <= available) return;
  const std::string over = "need an estimated " + size_text(footprint.bytes(permutations, B)) +
                           " per rank, " + size_text(k_bytes + b_bytes) + " of it for the " +
                           (k_bytes >= b_bytes ? "permutations" : "bootstrap samples") +
                           ", over the " + size_text(available) + " that the budget of " +
                           size_text(budget) + " (" + budget_option + ") leaves next to the inputs";
  auto largest = [&](double left, double each, double offset) {
    return std::to_string(static_cast<long long>(std::max(0.0, std::floor(left / each) - offset)));
  };
  if (k_bytes >= b_bytes) {
    std::string what = "K = " + std::to_string(permutations) + " permutations";
    if (spec.analysis.permutation_file.empty() && permutations != spec.analysis.permutations)
      what += spec.analysis.scheme == Scheme::sign_flip
                  ? " (all 2^N - 1 sign patterns of N = " + std::to_string(shape.subjects) +
                        " subjects, as analysis.permutations = " +
                        std::to_string(spec.analysis.permutations) + " >= 2^N - 1)"
                  : " (all S! - 1 permutations of S = " + std::to_string(shape.stimuli) +
                        " stimuli, as analysis.permutations = " +
                        std::to_string(spec.analysis.permutations) + " >= S! - 1)";
    const std::string key = spec.analysis.permutation_file.empty() ? "analysis.permutations"
                                                                   : "analysis.permutation_file";
    throw InputError(spec.source + " (" + key + "): " + what + " (" +
                     std::to_string(static_cast<long long>(footprint.per_permutation)) +
                     " bytes each) " + over + "; the largest K that fits is " +
                     largest(available - b_bytes, footprint.per_permutation, 1.0));
  }
  throw InputError(
      spec.source + " (bootstrap.samples): B = " + std::to_string(B) + " bootstrap samples (" +
      std::to_string(static_cast<long long>(footprint.per_sample)) +
      " bytes each for L = " + std::to_string(shape.layers) + " layers) " + over +
      "; the largest B that fits is " + largest(available - k_bytes, footprint.per_sample, 0.0));
}

}  // namespace permrsa
