#include "core/null_sweep.hpp"

#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "core/block_maps.hpp"
#include "core/work_share.hpp"
#include "numeric/bit_words.hpp"
#include "numeric/tail.hpp"
#include "permrsa/error.hpp"

namespace permrsa {

NullSweep::NullSweep(const AnalysisFrame& frame, const RankTopology& topology, NullPlan& plan,
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
  // Balanced rounds need every group to be one rank (one data block): then every rank knows
  // every group's block, so all make the same decisions below. With more blocks the groups keep
  // their planned shares.
  const bool may_balance = t_.grid->perm_groups > 1 && t_.grid->data_blocks == 1;
  const KRanges work1 = subtract(plan.pass1.todo, {{0, 1}});
  // Pass 2 may replay pass 1's maps when it asks for the same permutations.
  const bool cacheable = f_.two_pass && !work1.empty() &&
                         work1 == subtract(plan.pass2.todo, {{0, 1}}) && t_.block.cells() > 0;
  auto codec = maps_.map_codec();
  const auto fits = [&](std::int64_t cached) {
    return MapCache::worst_case_bytes(static_cast<std::size_t>(cached), t_.block.cells(),
                                      codec.get()) <= options.map_cache_bytes;
  };
  std::int64_t largest_share = 0;
  for (const auto& share : plan.pass1.shares) largest_share = std::max(largest_share, count(share));
  // Balanced, a group may be handed any part of pass 1, so its cache needs room for all of it;
  // when only the planned shares fit the budget, the groups keep them (and pass 2 replays them).
  balanced_ = may_balance && (!cacheable || fits(count(work1)) || !fits(largest_share));
  const KRanges& mine1 = plan.pass1.shares[static_cast<std::size_t>(t_.group_id)];
  const std::int64_t room = balanced_ ? count(work1) : count(mine1);
  if (!cacheable || room == 0 || !fits(room)) return;
  cache_maps_ = true;
  cached_ = MapCache(static_cast<std::size_t>(room), t_.block.cells(), std::move(codec),
                     least_extreme(f_.tail));
}

void NullSweep::pass1() {
  if (balanced_)
    sweep_balanced(1, plan_.pass1);
  else
    sweep(1, plan_.pass1);
}

void NullSweep::pass2() {
  replay_ = cache_maps_;
  if (replay_ && balanced_) {
    // Each group replays the maps it computed in pass 1, in the same order.
    PassPlan& p2 = plan_.pass2;
    p2.shares = plan_.pass1.shares;
    p2.steps = 0;
    for (int g = 0; g < t_.grid->perm_groups; ++g)
      p2.steps = std::max(p2.steps, p2.batches(g).size());
    std::fill(p2.done_batches.begin(), p2.done_batches.end(), 0);
  }
  if (balanced_ && !replay_)
    sweep_balanced(2, plan_.pass2);
  else
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
    // add_whole_batch orients the maps itself; TFCE needs them oriented whole.
    if (whole_batch(pass) && !f_.tfce)
      maps_.fill_raw(batch_, first, count);
    else
      maps_.fill(batch_, first, count);
  }
  if (whole_batch(pass)) {
    {
      const ScopedPhase phase(profile_,
                              phase_name(pass, "exceedance counts, top values and maxima"));
      if (cache_maps_) above_.resize(count * words_for(t_.block.cells()));
      acc_.add_whole_batch(
          batch_, static_cast<std::size_t>(first),
          cache_maps_ ? std::span<std::uint64_t>(above_) : std::span<std::uint64_t>());
    }
    if (cache_maps_) {
      const ScopedPhase phase(profile_, phase_name(pass, "map cache"));
      cached_.append_masked(batch_.s, above_);
      if (cached_.stale()) cached_.refilter(acc_.threshold_floors(), f_.tail);
    }
    return batch_.s;
  }
  // With one data block the counts come with the whole maps (on_whole_maps), and top values are
  // kept only in two-pass runs, whose pass 1 went through add_whole_batch above.
  if (pass == 1 && !counts_in_whole_maps()) {
    const ScopedPhase phase(profile_, phase_name(pass, "exceedance counts and top values"));
    acc_.add_block(batch_);
  }
  if (cache_maps_ && pass == 1) {
    const ScopedPhase phase(profile_, phase_name(pass, "map cache"));
    const auto floors = acc_.threshold_floors();
    cached_.append(batch_.s, batch_.e, floors);
    if (cached_.stale()) cached_.refilter(floors, f_.tail);
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
  // add_whole_batch took the counts and maxima; what is left in pass 1 is TFCE.
  const bool whole = whole_batch(pass);
  if (whole && !f_.tfce) return;
  const bool counting = pass == 1 && counts_in_whole_maps() && !whole;
  tbb::parallel_for(std::size_t{0}, count, [&](std::size_t b) {
    if (!fresh) orient_nulls(s.data() + b * cells, cells, f_.tail, oriented_.data() + b * cells);
    const double* e = (fresh ? batch_.e.data() : oriented_.data()) + b * cells;
    acc_.add_whole(pass, static_cast<std::size_t>(first) + b, s.data() + b * cells, e, !whole);
    if (counting) acc_.count_whole(e);
  });
  if (counting) acc_.flush_whole_counts();
}

// Pass 1 of a two-pass run with one data block: the batch's maps are whole and fresh on every
// rank, so its counts, top values and maxima are taken in one pass (add_whole_batch), and the
// map cache's masks come out of the same compares.
bool NullSweep::whole_batch(int pass) const {
  return pass == 1 && f_.two_pass && t_.grid->data_blocks == 1;
}

// Pass 2 over the map cache with one data block (whole maps on every rank): the largest clusters
// come from the cells that pass, read off the kept values (MapCache::passing), instead of the
// whole maps decoded, oriented and compared (4796 cells a map at the seed shape, of which about
// a twentieth pass).
bool NullSweep::replays_passing_cells(int pass) const {
  return pass == 2 && replay_ && t_.grid->data_blocks == 1;
}

void NullSweep::replay_passing_cells(std::int64_t first, std::size_t count) {
  const ScopedPhase phase(profile_, "pass 2: clusters of the cached maps' passing cells");
  if (!pass_test_) pass_test_ = cached_.pass_test(acc_.thresholds(), f_.tail);
  const std::size_t cells = cached_.cells(), words = words_for(cells);
  tbb::parallel_for(std::size_t{0}, count, [&](std::size_t b) {
    PassingScratch& mine = passing_scratch_.local();
    mine.pass.resize(words);
    mine.negative.resize(words);
    mine.e.resize(cells);
    mine.s.resize(cells);
    cached_.passing(replayed_ + b, *pass_test_, mine.pass, mine.negative, mine.e, mine.s);
    acc_.add_passing(static_cast<std::size_t>(first) + b, mine.e, mine.pass, mine.negative);
  });
  replayed_ += count;
}

// With one data block every rank leads its group and its block maps are the whole maps: the
// exceedance counts are taken map by map in on_whole_maps, while add_whole has each map in
// cache, rather than in one more pass over the batch (9% of a sign-flip run).
bool NullSweep::counts_in_whole_maps() const {
  return t_.grid->data_blocks == 1;
}

// One batch of this rank's share: its block maps, assembled on the group's leader (collective
// over the group), which adds them to the per-k maxima (and clusters).
void NullSweep::do_batch(int pass, KRange batch) {
  const std::int64_t first = batch.first;
  const auto count = static_cast<std::size_t>(batch.size());
  if (replays_passing_cells(pass)) {
    replay_passing_cells(first, count);
    return;
  }
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
}

// `steps` batch steps on every rank (a group whose share is done idles), each followed by a
// checkpoint step.
void NullSweep::sweep(int pass, PassPlan& pass_plan) {
  const auto todo = pass_plan.batches(t_.group_id);
  std::vector<std::size_t> batches_of_group;  // every group's, for what the states hold
  for (int g = 0; g < t_.grid->perm_groups; ++g)
    batches_of_group.push_back(pass_plan.batches(g).size());
  for (std::size_t step = 0; step < pass_plan.steps; ++step) {
    if (step < todo.size()) {
      do_batch(pass, todo[step]);
      done_ += todo[step].size();
      since_save_ += todo[step].size() * t_.grid->perm_groups;
      if (options_.progress && t_.world->rank() == 0) options_.progress(done_, total_work_);
    }
    for (std::size_t g = 0; g < batches_of_group.size(); ++g)
      pass_plan.done_batches[g] = std::min(step + 1, batches_of_group[g]);
    if (shares_bounds_after(pass, step, pass_plan)) {  // collective: the same steps on every rank
      const ScopedPhase phase(profile_, "pass 1: bounds shared between groups");
      acc_.share_bounds();
    }
    checkpoint_step(pass);
  }
}

// Balanced (one rank per group): the pass's batches are handed out in rounds of about
// round_steps() batches a group, each group taking a contiguous run of the round's batches in
// proportion to its speed so far (split_by_rates). A round ends with one exchange of the groups'
// busy times, then the bounds' sharing and the checkpoint step: no rank waits for a slower one
// but at the end of a round, and a group that runs slower (a core shared with mpirun's daemon, a
// noisy neighbour) is handed less. Every rank computes the same hand-out from the same exchanged
// times; the results do not depend on it (every quantity combines exactly over groups).
void NullSweep::sweep_balanced(int pass, PassPlan& pass_plan) {
  const auto groups = static_cast<std::size_t>(t_.grid->perm_groups);
  const std::vector<KRange> queue = pass_plan.all_batches();
  if (!options_.group_speeds.empty() && options_.group_speeds.size() != groups)
    throw InternalError("group_speeds: one speed per permutation group expected");
  pass_plan.shares.assign(groups, {});
  pass_plan.done_batches.assign(groups, 0);
  std::vector<double> busy(groups, 0.0), rates(groups, 0.0);  // maps per second
  for (std::size_t next = 0; next < queue.size();) {
    const std::size_t n = std::min(queue.size() - next, groups * round_steps(pass_plan));
    const auto counts = split_by_rates(n, options_.group_speeds.empty()
                                              ? std::span<const double>(rates)
                                              : std::span<const double>(options_.group_speeds));
    const auto round = std::span<const KRange>(queue).subspan(next, n);
    const auto my_batches = hand_out(round, counts, pass_plan);
    next += n;
    std::int64_t round_maps = 0;
    for (const KRange& batch : round) round_maps += batch.size();
    const auto t0 = std::chrono::steady_clock::now();
    for (const KRange& batch : my_batches) do_batch(pass, batch);
    const std::vector<double> took{
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()};
    std::vector<double> round_busy;
    {
      const ScopedPhase phase(profile_, phase_name(pass, "rounds' busy times exchanged"));
      round_busy = t_.same_block->allgatherv(took);  // collective: one value per group
    }
    for (std::size_t g = 0; g < groups; ++g) {  // every batch handed out so far is done
      pass_plan.done_batches[g] = pass_plan.batches(static_cast<int>(g)).size();
      busy[g] += round_busy.at(g);
      rates[g] = busy[g] > 0.0 ? static_cast<double>(count(pass_plan.shares[g])) / busy[g] : 0.0;
    }
    done_ += round_maps / static_cast<std::int64_t>(groups);
    since_save_ += round_maps;
    if (options_.progress && t_.world->rank() == 0) options_.progress(done_, total_work_);
    if (pass == 1) {
      const ScopedPhase phase(profile_, "pass 1: bounds shared between groups");
      acc_.share_bounds();
    }
    checkpoint_step(pass);
  }
}

// The round's batches as contiguous runs in group order, counts[g] to group g: added to the
// groups' shares in `pass_plan`. Returns this rank's group's run.
std::vector<KRange> NullSweep::hand_out(std::span<const KRange> round,
                                        const std::vector<std::size_t>& counts,
                                        PassPlan& pass_plan) const {
  std::vector<KRange> mine;
  std::size_t at = 0;
  for (std::size_t g = 0; g < counts.size(); ++g) {
    const auto run = round.subspan(at, counts[g]);
    at += counts[g];
    pass_plan.shares[g] = unite(pass_plan.shares[g], KRanges(run.begin(), run.end()));
    if (static_cast<int>(g) == t_.group_id) mine.assign(run.begin(), run.end());
  }
  return mine;
}

// With more than one permutation group, pass 1 shares the top values' bounds every
// ceil(capacity / batch) steps (round_steps), i.e. about every `capacity` maps of a group. A
// group's quota bound (CellTopValues with a quota) moves only when a cell's buffer is trimmed,
// which takes twice the quota in new values, so sharing more often finds little new and waits for
// the slower group at every step (0.01-0.04 s of rank 0's time in a seed-shape run under mpirun
// -n 2). At this interval the map cache kept as many values as when shared every step (41.6%
// there, when the buffers took twice the capacity between trims; 43% every 16 steps, 51% never).
// The floors are never part of a result, so the interval changes no bit.
bool NullSweep::shares_bounds_after(int pass, std::size_t step, const PassPlan& pass_plan) const {
  if (pass != 1 || t_.grid->perm_groups == 1) return false;
  return (step + 1) % round_steps(pass_plan) == 0;
}

// The same interval for a balanced sweep's rounds (at least 4 steps: the balance needs a
// measurement of some length, and one-pass analyses have no top values). At most 32 steps
// either way: a round ends in the checkpoint step, which is where a stop signal is heeded (at
// K = 10^6 the capacity would make a round 782 batches of 64).
std::size_t NullSweep::round_steps(const PassPlan& pass_plan) const {
  const std::size_t batch = std::max<std::size_t>(1, pass_plan.batch_size);
  const std::size_t every = (f_.top_capacity + batch - 1) / batch;
  return std::clamp<std::size_t>(every, balanced_ ? 4 : 1, 32);
}

// Rank 0 says when a checkpoint is due, any rank may ask to stop; then the state is saved.
void NullSweep::checkpoint_step(int pass) {
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
  const NullState s = acc_.state(pass);
  if (t_.world->rank() == 0) hooks.save(s);
  last_save_ = std::chrono::steady_clock::now();
  if (hooks.seconds_spent)
    *hooks.seconds_spent += std::chrono::duration<double>(last_save_ - t0).count();
  since_save_ = 0;
  if (flags[1] != 0) throw StoppedAtCheckpoint("stopped by a signal after saving the checkpoint");
}

}  // namespace permrsa
