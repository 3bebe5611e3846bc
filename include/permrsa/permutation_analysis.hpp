// The permutation analysis of layer x time similarity maps -- stimulus-label permutations of
// group RDMs (Mantel-type) or subject sign flips (random effects) -- with max-statistic,
// cluster and TFCE family-wise corrections. DESIGN.md "Statistics" defines every quantity.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "permrsa/analysis_spec.hpp"
#include "permrsa/bootstrap_latency.hpp"
#include "permrsa/noise_ceiling.hpp"
#include "permrsa/clusters.hpp"
#include "permrsa/matrix.hpp"
#include "permrsa/permutations.hpp"
#include "permrsa/process_grid.hpp"
#include "permrsa/sign_flips.hpp"
#include "permrsa/communicator.hpp"
#include "permrsa/rsa_problem.hpp"

namespace permrsa {

// Grid maps hold this rank's data block only (block.layers() x block.times(); the whole grid
// in a serial run). Everything else is global and identical on every rank.
struct AnalysisResult {
  BlockRange block;              // the cells of the maps below
  bool writes_maps = true;       // this rank writes its block (permutation group 0)
  Matrix<double> observed;       // s_0
  Matrix<double> p_uncorrected;
  Matrix<double> p_maxstat;
  Matrix<double> p_cluster;      // 1.0 outside clusters
  Matrix<std::int32_t> cluster_id;
  Matrix<double> cell_thresholds;  // permutation-p threshold on e (empty otherwise)
  std::vector<Cluster> clusters;
  std::vector<double> cluster_p;
  std::vector<double> null_max_statistic;  // K+1, [0] observed
  std::vector<double> null_max_cluster;    // K+1, [0] observed
  Matrix<double> tfce, p_tfce;             // with correction.tfce (empty otherwise)
  std::vector<double> null_max_tfce;       // K+1, [0] observed (empty without TFCE)
  std::optional<NoiseCeiling> noise_ceiling;  // with per-subject data (summarize_subjects)
  std::optional<BootstrapLatency> bootstrap;  // with [bootstrap]
  std::int64_t permutations = 0;           // K
};

struct RunOptions {
  std::size_t batch_size = 64;  // permutations per kernel call; results do not depend on it
  // Bytes a rank may use to keep pass 1's maps for pass 2 (permutation-p threshold) instead of
  // computing them again. Results do not depend on it.
  double map_cache_bytes = 0;
  // Called after each batch with (permutation maps done, total) over all passes.
  std::function<void(std::int64_t, std::int64_t)> progress;
};

// What the null distribution rearranges: the stimulus labels (stimulus scheme) or the
// subjects' signs (sign-flip scheme).
struct NullDesign {
  std::optional<PermutationSet> permutations;
  std::optional<SignFlipSet> flips;
  std::int64_t count() const;  // K
};

// Collective over `world`: rank r computes its data block (problem.block, which must be
// grid.block(grid.block_of(r))) for its permutation group's range of k. Every quantity is
// computed from per-cell values that do not depend on the grid, and every sum over cells runs
// over the whole map in one order on one rank, so the result is bit-identical for any grid.
AnalysisResult run_analysis(const RsaProblem& problem, const AnalysisSettings& analysis,
                            const CorrectionSettings& correction, const NullDesign& design,
                            const ProcessGrid& grid, const Communicator& world,
                            const RunOptions& options);

// One process, the whole map.
AnalysisResult run_analysis(const RsaProblem& problem, const AnalysisSettings& analysis,
                            const CorrectionSettings& correction, const NullDesign& design,
                            const RunOptions& options);

// The cluster-forming threshold "t-default", as MNE's permutation_cluster_1samp_test:
// the Student t quantile 1 - alpha/2 (two-sided) or 1 - alpha (one-sided), N - 1 dof.
double t_default_threshold(double alpha, Tail tail, std::size_t subjects);

}  // namespace permrsa
