// The permutation analysis of layer x time similarity maps -- stimulus-label permutations of
// group RDMs (Mantel-type) or subject sign flips (random effects) -- with max-statistic,
// cluster and TFCE family-wise corrections. DESIGN.md "Statistics" defines every quantity.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <variant>
#include <vector>

#include "permrsa/analysis_spec.hpp"
#include "permrsa/bootstrap_latency.hpp"
#include "permrsa/clusters.hpp"
#include "permrsa/communicator.hpp"
#include "permrsa/group_relabels.hpp"
#include "permrsa/matrix.hpp"
#include "permrsa/noise_ceiling.hpp"
#include "permrsa/null_state.hpp"
#include "permrsa/permutations.hpp"
#include "permrsa/phase_times.hpp"
#include "permrsa/process_grid.hpp"
#include "permrsa/rsa_problem.hpp"
#include "permrsa/sign_flips.hpp"

namespace permrsa {

// Grid maps hold this rank's data block only (block.layers() x block.times(); the whole grid
// in a serial run). Everything else is global and identical on every rank.
// Each subject's map of the metric (r, never Fisher z, whatever the group statistic) and their
// mean and standard error across subjects (SEM with ddof = 1, NaN for one subject): what the
// "mean +- SEM against the noise ceiling" figure needs. The values are on world rank 0 only;
// the shape is known everywhere.
struct SubjectValues {
  std::size_t subjects = 0;
  std::vector<double> maps;       // N x L x T
  std::vector<double> mean, sem;  // L x T
};

struct ContrastResult;  // below

struct AnalysisResult {
  BlockRange block;         // the cells of the maps below
  bool writes_maps = true;  // this rank writes its block (permutation group 0)
  Matrix<double> observed;  // s_0
  Matrix<double> p_uncorrected;
  Matrix<double> p_maxstat;
  // Adjustments of p_uncorrected over the whole map (whole L x T, C order, on every rank):
  // Benjamini-Hochberg, Bonferroni, Holm.
  std::vector<double> p_fdr, p_bonferroni, p_holm;
  Matrix<double> p_cluster;  // 1.0 outside clusters
  Matrix<std::int32_t> cluster_id;
  Matrix<double> cell_thresholds;  // permutation-p threshold on e (empty otherwise)
  std::vector<Cluster> clusters;
  std::vector<double> cluster_p;
  std::vector<double> null_max_statistic;  // K+1, [0] observed
  std::vector<double> null_max_cluster;    // K+1, [0] observed
  Matrix<double> tfce, p_tfce;             // with correction.tfce (empty otherwise)
  std::vector<double> null_max_tfce;       // K+1, [0] observed (empty without TFCE)
  double tfce_step = 0;                    // the TFCE height step used (0 without TFCE)
  // L: the time index of each layer's first cell in a cluster with p_cluster <= correction.alpha
  // (-1: none), on every rank.
  std::vector<std::int64_t> cluster_onset;
  std::optional<NoiseCeiling> noise_ceiling;    // with per-subject data (summarize_subjects)
  std::optional<SubjectValues> subject_values;  // with per-subject data (summarize_subjects)
  std::optional<BootstrapLatency> bootstrap;    // with [bootstrap]
  std::vector<ContrastResult> contrasts;        // with [contrasts], on every rank
  std::int64_t permutations = 0;                // K
  // False when the run did only part of 0..K (a shard, or stopped at a checkpoint): then only
  // `state` and `permutations` are set.
  bool complete = true;
  std::optional<NullState> state;  // on world rank 0, with RunOptions::export_state
};

// One pair of [contrasts]: the sign-flip test over time of the per-subject differences
// d_n(t) = r_n,A(t) - r_n,B(t) (Fisher z first with analysis.fisher_z), a 1 x T map of its own
// family; and the mean and SEM (ddof = 1) of d across subjects.
struct ContrastResult {
  std::string layer_a, layer_b;
  AnalysisResult test;
  std::vector<double> mean, sem;  // T
  std::string name() const { return layer_a + "-" + layer_b; }
};

// Checkpoints inside a run: every `seconds` or `permutations` (whichever comes first; 0 = not
// by that measure) rank 0 receives the whole state so far in `save`. When any rank's
// `stop_requested` turns true the run saves and throws StoppedAtCheckpoint on every rank.
struct CheckpointHooks {
  double seconds = 0;
  std::int64_t permutations = 0;
  std::function<bool()> stop_requested;
  std::function<void(const NullState&)> save;  // world rank 0 only
  double* seconds_spent = nullptr;             // when set: adds the time spent on states and saves
};

class StoppedAtCheckpoint : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct RunOptions {
  std::size_t batch_size = 64;  // permutations per kernel call; results do not depend on it
  // Bytes a rank may use to keep pass 1's maps for pass 2 (permutation-p threshold) instead of
  // computing them again. Results do not depend on it.
  double map_cache_bytes = 0;
  // Called after each batch with (permutation maps done, total) over all passes.
  std::function<void(std::int64_t, std::int64_t)> progress;
  // The permutations to compute in each pass (pass 2: the permutation-p threshold's), minus
  // those `resume` holds; all of 0..K by default. The results are computed when 0..K is then
  // complete; otherwise the result holds only the state.
  std::optional<KRange> pass1, pass2;
  const NullState* resume = nullptr;  // done already, identical on every rank
  bool export_state = false;          // put the final state into AnalysisResult::state
  CheckpointHooks checkpoint;         // active when `save` is set
  PhaseTimes* profile = nullptr;      // when set (world rank 0): time per phase (--profile)
  // Permutation groups of one rank each take their batches in rounds, in proportion to the
  // groups' measured speeds (core/null_sweep.hpp). Tests fix the speeds here, one per group, for
  // a hand-out that does not depend on timing. Results do not depend on it.
  std::vector<double> group_speeds;
};

// What the null distribution rearranges: the stimulus labels (stimulus scheme), the subjects'
// signs (sign-flip scheme) or the subjects' groups (two-group scheme).
struct NullDesign {
  std::variant<PermutationSet, SignFlipSet, GroupRelabelSet> set;
  const PermutationSet* permutations() const { return std::get_if<PermutationSet>(&set); }
  const SignFlipSet* flips() const { return std::get_if<SignFlipSet>(&set); }
  const GroupRelabelSet* relabels() const { return std::get_if<GroupRelabelSet>(&set); }
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

// "t-default" of the two-group scheme, as MNE's permutation_cluster_test: for "f" the F(1, N - 2)
// quantile 1 - alpha (MNE's default threshold), for "welch-t" the Student t quantile of the
// pooled two-sample t, N - 2 dof (1 - alpha/2 two-sided, 1 - alpha one-sided).
double two_group_default_threshold(double alpha, Tail tail, GroupStatistic statistic,
                                   std::size_t subjects);

// The fixed cluster-forming threshold on e: t-default's quantile, else cluster_value (the
// permutation-p threshold is per cell and comes from the null instead).
double fixed_cluster_threshold(const CorrectionSettings& correction,
                               const AnalysisSettings& analysis, std::size_t subjects);

}  // namespace permrsa
