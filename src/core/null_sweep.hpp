// The sweep over the permutations of one pass: batch by batch, each rank computes its block's
// maps (the local kernel), then one gather assembles the group's whole maps on its leader, which
// finds their maxima and clusters; a checkpoint step follows every batch step. Permutation groups
// of one rank each (1 x G grids, mpirun's default at most sizes) are not held to their planned
// shares: they take the pass's batches in rounds, in proportion to their speeds, with a
// checkpoint step after every round.
#pragma once

#include <tbb/enumerable_thread_specific.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/analysis_frame.hpp"
#include "core/map_cache.hpp"
#include "core/null_accumulator.hpp"
#include "core/null_maps.hpp"
#include "core/null_plan.hpp"
#include "core/rank_topology.hpp"
#include "permrsa/permutation_analysis.hpp"

namespace permrsa {

class NullSweep {
 public:
  // The sweep records in `plan` what each group is handed and has done (PassPlan::shares and
  // done_batches), which the accumulator's states read.
  NullSweep(const AnalysisFrame& frame, const RankTopology& topology, NullPlan& plan,
            const NullMaps& maps, NullAccumulator& accumulator, const RunOptions& options);
  // Pass 1: block counts and top values, the leader's maxima (and clusters at a fixed threshold).
  void pass1();
  // Pass 2 (permutation-p threshold): the leader's largest clusters, over pass 1's maps when
  // they were kept (the same values, so the same results), else over regenerated ones.
  void pass2();

 private:
  void sweep(int pass, PassPlan& pass_plan);
  void sweep_balanced(int pass, PassPlan& pass_plan);
  std::vector<KRange> hand_out(std::span<const KRange> round,
                               const std::vector<std::size_t>& counts, PassPlan& pass_plan) const;
  void do_batch(int pass, KRange batch);
  std::size_t round_steps(const PassPlan& pass_plan) const;
  std::span<const double> block_maps(int pass, std::int64_t first, std::size_t count);
  // "pass 2: <what>" (or "pass 1: ..." in a two-pass run): the --profile phase.
  std::string phase_name(int pass, const char* what) const;
  void on_whole_maps(int pass, std::int64_t first, std::size_t count, std::span<const double> s);
  bool counts_in_whole_maps() const;
  bool whole_batch(int pass) const;
  bool replays_passing_cells(int pass) const;
  void replay_passing_cells(std::int64_t first, std::size_t count);
  bool shares_bounds_after(int pass, std::size_t step, const PassPlan& pass_plan) const;
  void checkpoint_step(int pass);

  const AnalysisFrame& f_;
  const RankTopology& t_;
  NullPlan& plan_;
  const NullMaps& maps_;
  NullAccumulator& acc_;
  const RunOptions& options_;
  Batch batch_;
  std::vector<double> assembled_, oriented_;  // the leader's whole maps, reused
  std::vector<std::uint64_t> above_;          // add_whole_batch's masks for the map cache
  // Pass 1's maps kept for pass 2 when they fit the budget (options.map_cache_bytes).
  bool cache_maps_ = false, replay_ = false;
  // Permutation groups take the batches in balanced rounds (sweep_balanced) rather than their
  // planned shares in lockstep.
  bool balanced_ = false;
  MapCache cached_;
  std::optional<MapCache::PassTest> pass_test_;  // pass 2's, once the thresholds are known
  struct PassingScratch {                        // replay_passing_cells', per thread
    std::vector<std::uint64_t> pass, negative;
    std::vector<double> e, s;
  };
  tbb::enumerable_thread_specific<PassingScratch> passing_scratch_;
  std::size_t replayed_ = 0;
  std::int64_t done_ = 0, total_work_ = 0, since_save_ = 0;
  std::chrono::steady_clock::time_point last_save_;
  PhaseTimes* profile_;  // world rank 0 with --profile
};

}  // namespace permrsa
