#include "core/null_sweep.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <utility>

#include "core/block_maps.hpp"
#include "core/work_share.hpp"
#include "numeric/tail.hpp"

namespace permrsa {

NullSweep::NullSweep(const AnalysisFrame& frame, const RankTopology& topology, const NullPlan& plan,
                     const NullMaps& maps, NullAccumulator& accumulator, const RunOptions& options)
    : f_(frame),
      t_(topology),
      plan_(plan),
      maps_(maps),
      acc_(accumulator),
      options_(options),
      total_work_(plan.work(topology.group_id)),
      last_save_(std::chrono::steady_clock::now()),
      profile_(topology.world->rank() == 0 ? options.profile : nullptr) {
  const auto g = static_cast<std::size_t>(t_.group_id);
  const KRanges& mine1 = plan.pass1.shares[g];
  // Nothing to keep: one pass, other shares in pass 2, no permutations or an empty block here.
  if (!f_.two_pass || mine1 != plan.pass2.shares[g] || mine1.empty() || t_.block.cells() == 0)
    return;
  auto codec = maps_.map_codec();
  const auto kept = static_cast<std::size_t>(count(mine1));
  cache_maps_ =
      MapCache::worst_case_bytes(kept, t_.block.cells(), codec.get()) <= options.map_cache_bytes;
  if (cache_maps_)
    cached_ = MapCache(kept, t_.block.cells(), std::move(codec), least_extreme(f_.tail));
}

void NullSweep::pass2() {
  replay_ = cache_maps_;
  sweep(2, plan_.pass2);
}

// This rank's block maps of permutations first .. first + count - 1: computed (pass 1 adds them
// to the block's counts and, when pass 2 will replay them, keeps them), or replayed.
std::span<const double> NullSweep::block_maps(int pass, std::int64_t first, std::size_t count) {
  if (replay_) {
    const ScopedPhase phase(profile_, phase_name(pass, "map cache"));
    const auto s = cached_.read(replayed_, count, batch_.s);
    replayed_ += count;
    return s;
  }
  {
    const ScopedPhase phase(profile_, phase_name(pass, "kernel and tail orientation"));
    maps_.fill(batch_, first, count);
  }
  if (pass == 1) {
    const ScopedPhase phase(profile_, phase_name(pass, "exceedance counts and top values"));
    if (counts_in_whole_maps())
      acc_.add_top_values(batch_);
    else
      acc_.add_block(batch_);
  }
  if (cache_maps_ && pass == 1) {
    const ScopedPhase phase(profile_, phase_name(pass, "map cache"));
    cached_.append(batch_.s, batch_.e, acc_.threshold_floors());
  }
  return batch_.s;
}

std::string NullSweep::phase_name(int pass, const char* what) const {
  return std::string(pass == 2 ? "pass 2: " : f_.two_pass ? "pass 1: " : "") + what;
}

void NullSweep::on_whole_maps(int pass, std::int64_t first, std::size_t count,
                              std::span<const double> s) {
  // One block and fresh maps: the batch's own oriented maps are the whole maps.
  const bool fresh = !replay_ && t_.grid->data_blocks == 1;
  const std::size_t cells = f_.cells;
  if (!fresh) oriented_.resize(s.size());
  const bool counting = pass == 1 && counts_in_whole_maps();
  tbb::parallel_for(std::size_t{0}, count, [&](std::size_t b) {
    if (!fresh)
      for (std::size_t c = b * cells; c < (b + 1) * cells; ++c)
        oriented_[c] = null_oriented(s[c], f_.tail);
    const double* e = (fresh ? batch_.e.data() : oriented_.data()) + b * cells;
    acc_.add_whole(pass, static_cast<std::size_t>(first) + b, s.data() + b * cells, e);
    if (counting) acc_.count_whole(e);
  });
  if (counting) acc_.flush_whole_counts();
}

// With one data block every rank leads its group and its block maps are the whole maps: the
// exceedance counts are taken map by map in on_whole_maps, while add_whole has each map in
// cache, rather than in one more pass over the batch (9% of a sign-flip run).
bool NullSweep::counts_in_whole_maps() const {
  return t_.grid->data_blocks == 1;
}

// `steps` batch steps on every rank (a group whose share is done idles), each followed by a
// checkpoint step.
void NullSweep::sweep(int pass, const PassPlan& pass_plan) {
  const auto todo = pass_plan.batches(t_.group_id);
  for (std::size_t step = 0; step < pass_plan.steps; ++step) {
    if (step < todo.size()) {
      const std::int64_t first = todo[step].first;
      const auto count = static_cast<std::size_t>(todo[step].size());
      const auto mine = block_maps(pass, first, count);  // local kernel
      std::span<const double> s;
      {
        const ScopedPhase phase(profile_, phase_name(pass, "gather to the leader"));
        s = gather_block_maps(*t_.group, *t_.grid, mine, count, assembled_);  // collective
      }
      if (t_.leader()) {
        const ScopedPhase phase(profile_, phase_name(pass, "maxima, clusters and TFCE"));
        on_whole_maps(pass, first, count, s);
      }
      done_ += static_cast<std::int64_t>(count);
      since_save_ += static_cast<std::int64_t>(count) * t_.grid->perm_groups;
      if (options_.progress && t_.world->rank() == 0) options_.progress(done_, total_work_);
    }
    if (shares_bounds_after(pass, step, pass_plan)) {  // collective: the same steps on every rank
      const ScopedPhase phase(profile_, "pass 1: bounds shared between groups");
      acc_.share_bounds();
    }
    checkpoint_step(pass, step + 1);
  }
}

// With more than one permutation group, pass 1 shares the top values' bounds every
// ceil(capacity / batch) steps, i.e. about every `capacity` maps of a group. A group's quota bound
// (CellTopValues::keep_quota_bounds) moves only when a cell's buffer is trimmed, which takes at
// least twice the capacity in new values, so sharing more often finds little new and waits for the
// slower group at every step (0.01-0.04 s of rank 0's time in a seed-shape run under
// mpirun -n 2). At this interval the map cache keeps as many values as when shared every step
// (41.6% there; 43% every 16 steps, 51% never). The floors are never part of a result, so the
// interval changes no bit.
bool NullSweep::shares_bounds_after(int pass, std::size_t step, const PassPlan& pass_plan) const {
  if (pass != 1 || t_.grid->perm_groups == 1) return false;
  const std::size_t batch = std::max<std::size_t>(1, pass_plan.batch_size);
  const std::size_t every = std::max<std::size_t>(1, (f_.top_capacity + batch - 1) / batch);
  return (step + 1) % every == 0;
}

// Rank 0 says when a checkpoint is due, any rank may ask to stop; then the state is saved.
void NullSweep::checkpoint_step(int pass, std::size_t steps) {
  const auto& hooks = options_.checkpoint;
  if (!hooks.save) return;
  std::vector<std::int64_t> flags{0, hooks.stop_requested && hooks.stop_requested() ? 1 : 0};
  if (t_.world->rank() == 0) {
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - last_save_).count();
    flags[0] = (hooks.seconds > 0 && seconds >= hooks.seconds) ||
               (hooks.permutations > 0 && since_save_ >= hooks.permutations);
  }
  t_.world->allreduce_sum(flags);
  if (flags[0] == 0 && flags[1] == 0) return;
  const auto t0 = std::chrono::steady_clock::now();
  const NullState s = acc_.state(pass, steps);
  if (t_.world->rank() == 0) hooks.save(s);
  last_save_ = std::chrono::steady_clock::now();
  if (hooks.seconds_spent)
    *hooks.seconds_spent += std::chrono::duration<double>(last_save_ - t0).count();
  since_save_ = 0;
  if (flags[1] != 0) throw StoppedAtCheckpoint("stopped by a signal after saving the checkpoint");
}

}  // namespace permrsa
