// The null distribution as one rank accumulates it (DESIGN.md "Statistics"):
// - per cell of its data block: the exceedance counts #{k >= 1 : e_k >= e_0} and, with the
//   permutation-p threshold, the largest values of pass 1 (CellTopValues);
// - on its group's leader, per permutation k of the group's share: the maximum of the whole map,
//   its largest cluster and its largest TFCE value.
// Everything combines exactly (integer sums, multisets, values per k), so the result does not
// depend on the grid. Its file form is NullState.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include <tbb/enumerable_thread_specific.h>

#include "core/analysis_frame.hpp"
#include "core/cell_thresholds.hpp"
#include "core/null_maps.hpp"
#include "core/null_plan.hpp"
#include "core/rank_topology.hpp"
#include "permrsa/matrix.hpp"
#include "permrsa/null_state.hpp"

namespace permrsa {

// The per-permutation maxima of the whole run, K + 1 each in k order ([0]: the observed map,
// filled in by the caller).
struct NullMaxima {
  std::vector<double> statistic, cluster, tfce;  // tfce empty without TFCE
};

class NullAccumulator {
 public:
  // e0: this block's observed oriented map. A resumed state's counts and top values enter on
  // permutation group 0 only, so that they are counted once. keys: the form of the maps' values
  // (MapCodec::order_keys), if they have one; the top values are then kept as keys when the
  // observed and resumed values have that form too.
  NullAccumulator(const AnalysisFrame& frame, const RankTopology& topology, const NullPlan& plan,
                  std::span<const double> e0, const NullState* resume,
                  std::optional<OrderKeys> keys = std::nullopt);

  // Every rank, pass 1: a batch of block maps enters the counts (and the top values).
  void add_block(const Batch& batch);
  // With one data block, pass 1: the counts of whole map e (of this rank's block), taken while
  // add_whole has the map in cache rather than in one more pass over the batch. Safe from
  // several threads at once: each adds to its own counts until flush_whole_counts().
  void count_whole(const double* e);
  void flush_whole_counts();
  // Pass 1 with one data block and top values (two passes): the batch of whole maps of
  // permutations first .. first + count - 1 enters the counts, the top values and the per-map
  // maxima in one pass over chunks of cells, each map's chunk oriented (from batch.s; batch.e is
  // not read) and used while it is in cache (instead of orient, a push of the batch, count_whole
  // and add_whole's maxima: four passes and four parallel loops per batch). With `above`
  // (words_for(cells) words per map), the bits of the values above their cells' bounds before
  // they were pushed: the map cache's floors (MapCache::append_masked). What add_whole still
  // does in pass 1 (TFCE) is left to it.
  void add_whole_batch(const Batch& batch, std::size_t first, std::span<std::uint64_t> above);
  // Pass 2, one data block: permutation k's largest cluster from its passing cells given as bits
  // (max_cluster_statistic, permrsa/clusters.hpp), as MapCache::passing gives them.
  void add_passing(std::size_t k, std::span<const double> e, std::span<const std::uint64_t> pass,
                   std::span<const std::uint64_t> negative);
  // The leader: permutation k's whole map (s raw, e oriented) in pass 1 or 2; in pass 1 without
  // the maximum when add_whole_batch took it.
  void add_whole(int pass, std::size_t k, const double* s, const double* e,
                 bool with_maximum = true);
  // Pass 1, every few batch steps (NullSweep), with more than one permutation group. Collective
  // over the ranks of this block: each cell's bound becomes the highest of the groups' bounds or
  // the least of their quota bounds (CellTopValues with a quota), whichever is higher, so
  // that a group keeps no value that the groups' top values together already rule out (fewer values
  // buffered, trimmed, cached and merged; the thresholds are the same).
  void share_bounds();
  // After pass 1. Collective over the ranks of this block: counts summed, top values merged.
  void merge_groups();
  // Two passes, pass 1 complete, after merge_groups(). Collective over the group: each cell's
  // threshold on e for pass 2 (this block's, and the whole grid's on the leader).
  void settle_thresholds();

  // The state after the batches of `pass` done so far (PassPlan::done_batches). Collective over
  // the world; the state is on world rank 0 (empty elsewhere). Pass 2's states build on pass 1's,
  // kept by keep_pass1().
  NullState state(int pass);
  void keep_pass1() { after_pass1_ = state(1); }
  bool has_pass1() const { return after_pass1_.has_value(); }

  // Collective over the world: the per-k maxima of every group, on world rank 0 (the resumed
  // or zero values elsewhere); [0] is left 0 for the observed map.
  NullMaxima maxima();

  // Two passes, in pass 1: per cell of the block, a value that no oriented value at or below it
  // can pass in pass 2 (CellTopValues::bounds).
  std::span<const double> threshold_floors() const { return top_->bounds(); }
  const std::vector<std::int64_t>& exceed() const { return exceed_; }
  const Matrix<double>& block_thresholds() const { return block_threshold_; }
  // The cluster-forming threshold of every cell of the whole grid (on leaders).
  std::span<const double> thresholds() const { return threshold_; }

 private:
  std::vector<double> resumed(std::vector<double> NullState::*member) const;
  void seed_top_values();
  // keys, if every value this block's top values start from has their form.
  std::optional<OrderKeys> keys_if_kept(std::optional<OrderKeys> keys) const;
  template <class F>
  void each_cell_chunk(const Batch& batch, F&& f) const;
  void merge_top_values(CellTopValues& into);  // grids of more than one permutation group
  void gather_top(const CellTopValues& block_top, NullState& s) const;
  void gather_exceed(std::vector<std::int64_t> sums, NullState& s) const;
  std::vector<double> gather_k(const std::vector<double>& mine, const std::vector<KRanges>& did,
                               std::vector<double> base) const;
  NullState pass1_state();
  NullState pass2_state();

  const AnalysisFrame& f_;
  const RankTopology& t_;
  const NullPlan& plan_;
  const NullState* resume_;
  std::vector<double> e0_;
  std::vector<std::int64_t> exceed_;
  tbb::enumerable_thread_specific<std::vector<std::int64_t>> whole_counts_;  // count_whole
  tbb::enumerable_thread_specific<std::vector<double>> oriented_chunks_;     // add_whole_batch
  std::optional<OrderKeys> keys_;  // the top values' form, the same on every rank of a block
  std::optional<CellTopValues> top_;
  // With more than one group and pass 1 complete: the block's thresholds, from merge_groups().
  std::optional<std::vector<double>> group_thresholds_;
  bool merged_ = false;
  bool thresholds_given_ = false;  // the resumed state holds pass 2's thresholds
  std::vector<double> max_statistic_, max_cluster_, max_tfce_;  // K + 1 slots (leader)
  std::vector<double> threshold_;                               // whole grid, on leaders
  Matrix<double> block_threshold_;
  std::optional<NullState> after_pass1_;
};

}  // namespace permrsa
