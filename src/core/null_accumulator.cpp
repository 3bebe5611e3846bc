#include "core/null_accumulator.hpp"

#include <tbb/blocked_range.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include <algorithm>

#include "core/block_maps.hpp"
#include "core/group_thresholds.hpp"
#include "core/tfce.hpp"
#include "core/work_share.hpp"
#include "numeric/bit_words.hpp"
#include "numeric/largest_value.hpp"
#include "numeric/tail.hpp"
#include "permrsa/error.hpp"

namespace permrsa {

NullAccumulator::NullAccumulator(const AnalysisFrame& frame, const RankTopology& topology,
                                 const NullPlan& plan, std::span<const double> e0,
                                 const NullState* resume, std::optional<OrderKeys> keys)
    : f_(frame),
      t_(topology),
      plan_(plan),
      resume_(resume),
      e0_(e0.begin(), e0.end()),
      exceed_(topology.block.cells(), 0),
      max_statistic_(static_cast<std::size_t>(frame.permutations + 1), 0.0),
      max_cluster_(max_statistic_.size(), 0.0),
      max_tfce_(frame.tfce ? max_statistic_.size() : 0, 0.0),
      threshold_(frame.cells, frame.fixed_threshold) {
  if (resume && (resume->permutations != f_.permutations || resume->cells != f_.cells ||
                 resume->two_pass != f_.two_pass || resume->tfce != f_.tfce ||
                 resume->top_capacity != f_.top_capacity))
    throw InternalError("the resumed null state does not belong to this analysis");
  const std::size_t bcells = t_.block.cells();
  if (resume && t_.group_id == 0)  // what is done already enters the sums once
    for (std::size_t c = 0; c < bcells; ++c) exceed_[c] = resume->exceed[t_.whole_cell(c)];
  // After pass 1 a state holds the thresholds instead of the top values they came from.
  thresholds_given_ =
      resume && f_.two_pass && resume->pass1_complete() && resume->top_values.empty();
  if (f_.two_pass) {
    keys_ = keys_if_kept(std::move(keys));
    seed_top_values();
  }
}

std::optional<OrderKeys> NullAccumulator::keys_if_kept(std::optional<OrderKeys> keys) const {
  if (!keys) return std::nullopt;
  // The oriented maps' zeros all have the sign the tail gives +0.0.
  keys = keys->with_zero(null_oriented(0.0, f_.tail));
  // Decided from the block's own cells and the whole resumed state, so the ranks that merge their
  // top values (one block's) agree.
  for (std::size_t c = 0; c < e0_.size(); ++c)
    if (!keys->keeps(e0_[c], c)) return std::nullopt;
  if (resume_ && !thresholds_given_)
    for (std::size_t c = 0; c < t_.block.cells(); ++c)
      for (std::size_t j = 0; j < resume_->top_held; ++j)
        if (!keys->keeps(resume_->top_values[t_.whole_cell(c) * resume_->top_held + j], c))
          return std::nullopt;
  return keys;
}

void NullAccumulator::seed_top_values() {
  const std::size_t bcells = t_.block.cells();
  const int groups = t_.grid->perm_groups;
  top_.emplace(bcells, f_.top_capacity, keys_,
               groups > 1 ? group_quota(f_.top_capacity, groups) : std::size_t{0});
  if (t_.group_id != 0 || thresholds_given_) return;
  // In parallel over cells: the first push into a cell's buffer faults in its pages (29 MB of keys
  // or 57 MB of doubles at the seed shape, zeroed by the kernel), which one thread did in 6% of a
  // run.
  const bool observed = plan_.pass1.observed_included;  // k = 0 enters the null once
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, bcells, 64),
                    [&](const tbb::blocked_range<std::size_t>& range) {
                      for (std::size_t c = range.begin(); c != range.end(); ++c) {
                        if (resume_)
                          for (std::size_t j = 0; j < resume_->top_held; ++j)
                            top_->push(
                                c, resume_->top_values[t_.whole_cell(c) * resume_->top_held + j]);
                        if (observed) top_->push(c, e0_[c]);
                      }
                    });
}

// f(begin, end, e) for chunks [begin, end) of the block's cells in parallel, and within each
// chunk for every map e of the batch in permutation order: rows are read contiguously, and each
// cell sees its values in the same order whatever the chunking.
template <class F>
void NullAccumulator::each_cell_chunk(const Batch& batch, F&& f) const {
  const std::size_t bcells = t_.block.cells();
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, bcells, 256),
                    [&](const tbb::blocked_range<std::size_t>& range) {
                      for (std::size_t b = 0; b < batch.count; ++b)
                        f(range.begin(), range.end(), batch.e.data() + b * bcells);
                    });
}

void NullAccumulator::add_block(const Batch& batch) {
  each_cell_chunk(batch, [&](std::size_t begin, std::size_t end, const double* e) {
    for (std::size_t c = begin; c != end; ++c) exceed_[c] += e[c] >= e0_[c];
    if (top_) top_->push_cells(begin, end, e);
  });
}

void NullAccumulator::count_whole(const double* e) {
  const std::size_t bcells = t_.block.cells();
  auto& counts = whole_counts_.local();
  counts.resize(bcells, 0);
  std::int64_t* into = counts.data();
  const double* e0 = e0_.data();
  for (std::size_t c = 0; c < bcells; ++c) into[c] += e[c] >= e0[c];
}

// Integer sums: the same counts whichever thread counted which map.
void NullAccumulator::flush_whole_counts() {
  for (auto& counts : whole_counts_) {
    for (std::size_t c = 0; c < counts.size(); ++c) exceed_[c] += counts[c];
    std::fill(counts.begin(), counts.end(), 0);
  }
}

void NullAccumulator::add_whole_batch(const Batch& batch, std::size_t first,
                                      std::span<std::uint64_t> above) {
  const std::size_t cells = t_.block.cells(), words = words_for(cells), count = batch.count;
  if (cells != f_.cells || !top_ || (!above.empty() && above.size() != count * words))
    throw InternalError("add_whole_batch: not whole maps with top values, or masks of others");
  // Chunks of whole words, so that the masks' words have one writer each.
  constexpr std::size_t kChunkWords = 8;
  const std::size_t chunks = (words + kChunkWords - 1) / kChunkWords;
  std::vector<double> chunk_largest(count * chunks);
  const double* e0 = e0_.data();
  tbb::parallel_for(std::size_t{0}, chunks, [&](std::size_t chunk) {
    const std::size_t begin = chunk * kChunkWords * kWordCells;
    const std::size_t end = std::min(cells, begin + kChunkWords * kWordCells);
    std::int64_t* counts = exceed_.data();
    auto& oriented = oriented_chunks_.local();
    oriented.resize(cells);
    double* e = oriented.data();  // the chunk's cells of one map at a time
    for (std::size_t b = 0; b < count; ++b) {
      orient_nulls(batch.s.data() + b * cells + begin, end - begin, f_.tail, e + begin);
      top_->push_cells(begin, end, e,
                       above.empty() ? nullptr : above.data() + b * words + chunk * kChunkWords);
      for (std::size_t c = begin; c < end; ++c) counts[c] += e[c] >= e0[c];
      chunk_largest[b * chunks + chunk] = largest_value(e + begin, end - begin);
    }
  });
  // The largest of the chunks' largest is the map's largest value, bit for bit, unless it is a
  // zero: which of -0.0 and +0.0 largest_value gives is then the whole map's business.
  std::vector<double> whole;
  for (std::size_t b = 0; b < count; ++b) {
    const double* of_chunks = chunk_largest.data() + b * chunks;
    double best = of_chunks[0];
    for (std::size_t i = 1; i < chunks; ++i) best = of_chunks[i] > best ? of_chunks[i] : best;
    if (best == 0.0) {
      whole.resize(cells);
      orient_nulls(batch.s.data() + b * cells, cells, f_.tail, whole.data());
      best = largest_value(whole.data(), cells);
    }
    max_statistic_[first + b] = best;
  }
}

void NullAccumulator::add_passing(std::size_t k, std::span<const double> e,
                                  std::span<const std::uint64_t> pass,
                                  std::span<const std::uint64_t> negative) {
  max_cluster_[k] = max_cluster_statistic(f_.rule, e, pass, negative);
}

void NullAccumulator::add_whole(int pass, std::size_t k, const double* s, const double* e,
                                bool with_maximum) {
  const std::span<const double> es(e, f_.cells), ss(s, f_.cells);
  if (pass == 2) {
    max_cluster_[k] = max_cluster_statistic(f_.rule, es, ss, std::span<const double>(threshold_));
    return;
  }
  if (with_maximum) max_statistic_[k] = largest_value(e, f_.cells);
  if (!f_.two_pass)
    max_cluster_[k] = max_cluster_statistic(f_.rule, es, ss, std::span<const double>(threshold_));
  if (f_.tfce) {
    const auto t = tfce_map(f_.rule, es, ss, f_.tfce_step);
    max_tfce_[k] = *std::max_element(t.begin(), t.end());
  }
}

// Every group's top values of this block, kept in `into` (the same on all ranks of the block;
// `into` may be *top_). Trims top_'s buffers, which changes none of its kept values.
void NullAccumulator::merge_top_values(CellTopValues& into) {
  const auto values = t_.same_block->allgatherv(top_->held_values_unordered());
  const std::vector<double> mine_count{static_cast<double>(top_->held_per_cell())};
  std::vector<std::size_t> held;
  for (double h : t_.same_block->allgatherv(mine_count))
    held.push_back(static_cast<std::size_t>(h));
  into.keep_largest_of(values, held);
}

void NullAccumulator::share_bounds() {
  if (top_ && t_.grid->perm_groups > 1) share_group_bounds(*top_, *t_.same_block);
}

void NullAccumulator::merge_groups() {
  t_.same_block->allreduce_sum(exceed_);
  if (top_ && t_.grid->perm_groups > 1) {
    // Once pass 1 is complete only the thresholds are needed, not the merged top values.
    if (plan_.pass1_complete && !thresholds_given_)
      group_thresholds_ = thresholds_across_groups(*top_, *t_.same_block, f_.permutations + 1);
    else
      merge_top_values(*top_);
  }
  merged_ = true;
}

void NullAccumulator::settle_thresholds() {
  const std::size_t bcells = t_.block.cells();
  std::vector<double> mine(bcells);
  if (thresholds_given_) {
    if (resume_->thresholds.size() != f_.cells)
      throw InternalError("the resumed state has no thresholds");
    for (std::size_t c = 0; c < bcells; ++c) mine[c] = resume_->thresholds[t_.whole_cell(c)];
  } else if (group_thresholds_) {
    mine = *group_thresholds_;
  } else {
    mine = top_->thresholds(f_.permutations + 1);
  }
  block_threshold_ = Matrix<double>(t_.block.layers(), t_.block.times(), mine);
  const auto whole = gather_block_map(*t_.group, *t_.grid, mine);
  if (t_.leader()) threshold_ = whole;
  if (after_pass1_ && t_.world->rank() == 0) after_pass1_->thresholds = threshold_;
}

// The whole map's top values on world rank 0 (cells x held).
void NullAccumulator::gather_top(const CellTopValues& block_top, NullState& s) const {
  const std::size_t held = block_top.held_per_cell(), bcells = t_.block.cells();
  const auto values = block_top.held_values();  // bcells x held -> held maps of the block
  std::vector<double> maps_of_block(held * bcells), assembled;
  for (std::size_t c = 0; c < bcells; ++c)
    for (std::size_t j = 0; j < held; ++j) maps_of_block[j * bcells + c] = values[c * held + j];
  // Every block holds the same count (all cells see the same k).
  const auto w = gather_block_maps(*t_.group, *t_.grid, maps_of_block, held, assembled);
  if (t_.world->rank() != 0) return;
  s.top_held = held;
  s.top_values.assign(f_.cells * held, 0.0);
  for (std::size_t c = 0; c < f_.cells; ++c)
    for (std::size_t j = 0; j < held; ++j) s.top_values[c * held + j] = w[j * f_.cells + c];
}

void NullAccumulator::gather_exceed(std::vector<std::int64_t> sums, NullState& s) const {
  if (!merged_) t_.same_block->allreduce_sum(sums);
  const std::vector<double> mine(sums.begin(), sums.end());  // counts < 2^53: exact
  const auto w = gather_block_map(*t_.group, *t_.grid, mine);
  if (t_.world->rank() == 0)
    for (std::size_t c = 0; c < f_.cells; ++c) s.exceed[c] = static_cast<std::int64_t>(w[c]);
}

// Per-k values of the leaders at the k each group did (`did[g]`), over `base`, on world rank 0.
std::vector<double> NullAccumulator::gather_k(const std::vector<double>& mine,
                                              const std::vector<KRanges>& did,
                                              std::vector<double> base) const {
  std::vector<double> send;
  if (t_.leader())
    for (const auto& r : did[static_cast<std::size_t>(t_.group_id)])
      for (std::int64_t k = r.first; k < r.last; ++k)
        send.push_back(mine[static_cast<std::size_t>(k)]);
  const auto got = t_.world->gatherv(send, 0);
  if (t_.world->rank() != 0) return base;
  std::size_t at = 0;
  for (const auto& ranges : did)
    for (const auto& r : ranges)
      for (std::int64_t k = r.first; k < r.last; ++k) base[static_cast<std::size_t>(k)] = got[at++];
  return base;
}

std::vector<double> NullAccumulator::resumed(std::vector<double> NullState::*member) const {
  if (resume_) return resume_->*member;
  const bool absent = member == &NullState::max_tfce && !f_.tfce;
  return std::vector<double>(absent ? 0 : static_cast<std::size_t>(f_.permutations + 1), 0.0);
}

NullState NullAccumulator::pass1_state() {
  NullState s = NullState::empty(f_.permutations, f_.cells, f_.two_pass, f_.tfce, f_.top_capacity);
  const auto did = plan_.pass1.did();
  s.pass1 = plan_.pass1.done_so_far();
  gather_exceed(exceed_, s);
  s.max_statistic = gather_k(max_statistic_, did, resumed(&NullState::max_statistic));
  if (f_.tfce) s.max_tfce = gather_k(max_tfce_, did, resumed(&NullState::max_tfce));
  if (!f_.two_pass) s.max_cluster = gather_k(max_cluster_, did, resumed(&NullState::max_cluster));
  // Once pass 1 is complete only the thresholds matter (set by settle_thresholds).
  if (f_.two_pass && !(merged_ && plan_.pass1_complete)) {
    if (merged_ || t_.grid->perm_groups == 1) {
      gather_top(*top_, s);
    } else {  // mid-pass: the groups go on with their own values
      CellTopValues merged(t_.block.cells(), f_.top_capacity, keys_);
      merge_top_values(merged);
      gather_top(merged, s);
    }
  }
  return s;
}

NullState NullAccumulator::pass2_state() {
  NullState s = *after_pass1_;
  s.pass2 = plan_.pass2.done_so_far();
  s.max_cluster = gather_k(max_cluster_, plan_.pass2.did(), resumed(&NullState::max_cluster));
  return s;
}

NullState NullAccumulator::state(int pass) {
  return pass == 1 ? pass1_state() : pass2_state();
}

NullMaxima NullAccumulator::maxima() {
  NullMaxima m;
  const auto& cluster_shares = f_.two_pass ? plan_.pass2.shares : plan_.pass1.shares;
  m.statistic = gather_k(max_statistic_, plan_.pass1.shares, resumed(&NullState::max_statistic));
  m.cluster = gather_k(max_cluster_, cluster_shares, resumed(&NullState::max_cluster));
  if (f_.tfce) m.tfce = gather_k(max_tfce_, plan_.pass1.shares, resumed(&NullState::max_tfce));
  m.statistic[0] = m.cluster[0] = 0.0;
  if (f_.tfce) m.tfce[0] = 0.0;
  return m;
}

}  // namespace permrsa
