// The stimulus-permutation analysis on a grid of data blocks x permutation groups.
//
// Each rank computes the maps of its block for its group's permutations. Per-cell quantities
// (exceedance counts, the top values for the permutation-p threshold) stay with the block and
// are combined across groups by exact integer sums and multiset merges. Per-permutation
// quantities (the map maximum, the largest cluster) need the whole map: the blocks of each
// batch are gathered to the group's leader (block 0), which runs the same code as a serial
// run on the assembled map. Communication per permutation with D > 1 blocks: L*T doubles to
// the leader (one gather per batch); none with D = 1.
#include "permrsa/permutation_analysis.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <optional>

#include <boost/math/distributions/students_t.hpp>

#include "core/block_maps.hpp"
#include "core/cell_thresholds.hpp"
#include "core/null_maps.hpp"
#include "core/work_share.hpp"
#include "kernels/statistic_kernel.hpp"
#include "permrsa/error.hpp"
#include "permrsa/tail.hpp"
#include "permrsa/tfce.hpp"

namespace permrsa {
namespace {

double p_value(std::int64_t exceed, std::int64_t permutations) {
  return static_cast<double>(1 + exceed) / static_cast<double>(permutations + 1);
}

}  // namespace

std::int64_t NullDesign::count() const {
  if (permutations) return permutations->count();
  if (flips) return flips->count();
  throw InternalError("NullDesign: neither permutations nor sign flips");
}

double t_default_threshold(double alpha, Tail tail, std::size_t subjects) {
  if (subjects < 2)  // Boost would throw a domain_error for 0 degrees of freedom
    throw InputError(
        "correction.cluster_threshold = \"t-default\": the Student t quantile has N - 1 degrees "
        "of freedom: expected at least 2 subjects, found " +
        std::to_string(subjects));
  const boost::math::students_t dist(static_cast<double>(subjects) - 1.0);
  // Boost's quantile is correct to the last bits (checked against mpmath in the unit test);
  // scipy.stats.t.ppf (1.10) can be ~6e-11 off, far below any t value's resolution here.
  return boost::math::quantile(dist, tail == Tail::two_sided ? 1.0 - alpha / 2.0 : 1.0 - alpha);
}

AnalysisResult run_analysis(const RsaProblem& problem, const AnalysisSettings& analysis,
                            const CorrectionSettings& correction, const NullDesign& design,
                            const ProcessGrid& grid, const Communicator& world,
                            const RunOptions& options) {
  if (grid.ranks() != world.size()) throw InternalError("process grid does not match the ranks");
  const int block_id = grid.block_of(world.rank()), group_id = grid.group_of(world.rank());
  const BlockRange blk = grid.block(block_id);
  if (problem.block.layer_begin != blk.layer_begin || problem.block.time_begin != blk.time_begin ||
      problem.block.cells() != blk.cells())
    throw InternalError("the problem's block is not this rank's block");
  const auto group = world.split(group_id, block_id);  // the blocks of my permutation group
  const auto same_block = world.split(block_id, group_id);  // my block in every group
  const bool leader = group->rank() == 0;

  const std::size_t L = grid.layers, T = grid.times, cells = L * T, bcells = blk.cells();
  if (cells == 0)  // the loaders refuse empty axes; maxima over no cells are undefined
    throw InputError("expected at least 1 layer and 1 time point, found L = " + std::to_string(L) +
                     " and T = " + std::to_string(T));
  const std::int64_t K = design.count();
  const int G = grid.perm_groups;
  const std::size_t batch_size = std::max<std::size_t>(1, options.batch_size);
  const auto null_maps = design.flips ? make_sign_flip_maps(problem, analysis, *design.flips)
                                      : make_stimulus_maps(problem, analysis, *design.permutations);
  const NullMaps& maps = *null_maps;
  const ClusterRule rule{L, T, correction.connectivity, correction.cluster_statistic,
                         analysis.tail == Tail::two_sided};
  const bool two_pass = correction.cluster_threshold == ClusterThreshold::permutation_p;
  const auto top_capacity =
      two_pass ? static_cast<std::size_t>(passing_count(correction.cluster_alpha, K) + 1) : std::size_t{0};

  // The work: each pass's permutations minus those the resumed state holds, shared among the
  // permutation groups; every rank plans every group's share.
  const KRange all{0, K + 1};
  const NullState* resume = options.resume;
  if (resume && (resume->permutations != K || resume->cells != cells || resume->two_pass != two_pass ||
                 resume->tfce != correction.tfce || resume->top_capacity != top_capacity))
    throw InternalError("the resumed null state does not belong to this analysis");
  const KRanges done1 = resume ? resume->pass1 : KRanges{};
  const KRanges done2 = resume && two_pass ? resume->pass2 : KRanges{};
  const KRanges todo1 = subtract({options.pass1.value_or(all)}, done1);
  const KRanges todo2 = two_pass ? subtract({options.pass2.value_or(all)}, done2) : KRanges{};
  auto with = [](KRanges a, const KRanges& b) { a.insert(a.end(), b.begin(), b.end()); return normalized(a); };
  const bool pass1_complete = with(done1, todo1) == KRanges{all};
  const bool complete = pass1_complete && (!two_pass || with(done2, todo2) == KRanges{all});
  if (!todo2.empty() && !pass1_complete)
    throw InputError("pass 2 of the permutation-p cluster threshold needs the whole of pass 1 (0:" +
                     std::to_string(K + 1) + "); pass 1 holds " + describe(with(done1, todo1)));
  std::vector<KRanges> share1(static_cast<std::size_t>(G)), share2(static_cast<std::size_t>(G));
  std::size_t iterations1 = 0, iterations2 = 0;  // the same number of batch steps on every rank
  for (int g = 0; g < G; ++g) {
    share1[static_cast<std::size_t>(g)] = share_of(todo1, G, g);
    share2[static_cast<std::size_t>(g)] = share_of(todo2, G, g);
    iterations1 = std::max(iterations1, batches_of(share1[static_cast<std::size_t>(g)], batch_size).size());
    iterations2 = std::max(iterations2, batches_of(share2[static_cast<std::size_t>(g)], batch_size).size());
  }
  const KRanges& my1 = share1[static_cast<std::size_t>(group_id)];
  const KRanges& my2 = share2[static_cast<std::size_t>(group_id)];
  const std::int64_t total_work = count(my1) + count(my2);
  std::int64_t done = 0;

  // Per-permutation maxima, indexed by k (filled on the leader for its group's share).
  const auto k_slots = static_cast<std::size_t>(K + 1);
  std::vector<double> max_statistic(k_slots, 0.0);
  std::vector<double> max_cluster(k_slots, 0.0);
  std::vector<double> max_tfce(correction.tfce ? k_slots : 0, 0.0);
  auto tfce_of = [&](const double* e, const double* s) {
    return tfce_map(rule, {e, cells}, {s, cells}, correction.tfce_step);
  };

  // Cluster-forming threshold on e for the whole grid (known to leaders).
  const double fixed_threshold =
      correction.cluster_threshold == ClusterThreshold::t_default
          ? t_default_threshold(correction.cluster_alpha, analysis.tail, problem.subject_count())
          : correction.cluster_value;
  std::vector<double> threshold(cells, fixed_threshold);
  auto passing = [&](const double* e) {
    std::vector<std::uint8_t> mask(cells);
    for (std::size_t c = 0; c < cells; ++c) mask[c] = e[c] > threshold[c];
    return mask;
  };

  Batch observed;
  maps.fill(observed, 0, 1);
  const std::vector<double> e0 = observed.e;
  // This block's cells of a whole map.
  auto block_part = [&](auto whole_value, std::size_t c) {
    const std::size_t l = c / blk.times(), t = c % blk.times();
    return whole_value((blk.layer_begin + l) * T + blk.time_begin + t);
  };
  const bool observed_in_todo1 = !todo1.empty() && todo1.front().first == 0;
  std::vector<std::int64_t> exceed(bcells, 0);
  if (resume && group_id == 0)  // what is done already enters the sums once
    for (std::size_t c = 0; c < bcells; ++c)
      exceed[c] = block_part([&](std::size_t g) { return resume->exceed[g]; }, c);
  // After pass 1 a state holds the thresholds instead of the top values they came from.
  const bool thresholds_given = resume && two_pass && resume->pass1_complete() && resume->top_values.empty();
  std::optional<CellTopValues> top;
  if (two_pass) {
    top.emplace(bcells, top_capacity);
    if (group_id == 0 && !thresholds_given) {
      if (resume)
        for (std::size_t c = 0; c < bcells; ++c)
          for (std::size_t j = 0; j < resume->top_held; ++j)
            top->push(c, block_part([&](std::size_t g) { return resume->top_values[g * resume->top_held + j]; }, c));
      if (observed_in_todo1)  // k = 0 enters the null once
        for (std::size_t c = 0; c < bcells; ++c) top->push(c, e0[c]);
    }
  }

  // Pass 2 needs every map again. When this rank's maps fit in options.map_cache_bytes, pass 1
  // keeps them (the same values, so the same results); otherwise pass 2 regenerates them.
  const double cache_bytes = static_cast<double>(count(my1)) * static_cast<double>(bcells) * 8.0;
  const bool cache_maps = two_pass && my1 == my2 && !my1.empty() && cache_bytes <= options.map_cache_bytes;
  std::vector<double> cached;
  if (cache_maps) cached.reserve(static_cast<std::size_t>(count(my1)) * bcells);
  bool replay = false;  // pass 2 reads the cache

  // The top values of this block over every group, then the whole map's on world rank 0
  // (cells x held). Collective.
  auto merged_top = [&](const CellTopValues& mine) {
    CellTopValues merged(bcells, top_capacity);
    if (G == 1) return mine;
    const auto values = same_block->allgatherv(mine.held_values());
    std::vector<double> mine_count{static_cast<double>(mine.held_per_cell())};
    const auto counts = same_block->allgatherv(mine_count);
    std::size_t offset = 0;
    for (double h : counts) {  // group by group, bcells x held
      const auto held = static_cast<std::size_t>(h);
      for (std::size_t c = 0; c < bcells; ++c)
        for (std::size_t j = 0; j < held; ++j) merged.push(c, values[offset + c * held + j]);
      offset += bcells * held;
    }
    return merged;
  };
  auto whole_top = [&](const CellTopValues& block_top, NullState& s) {
    const std::size_t held = block_top.held_per_cell();
    const auto values = block_top.held_values();  // bcells x held -> held maps of the block
    std::vector<double> maps_of_block(held * bcells), assembled;
    for (std::size_t c = 0; c < bcells; ++c)
      for (std::size_t j = 0; j < held; ++j) maps_of_block[j * bcells + c] = values[c * held + j];
    // Every block holds the same count (all cells see the same k).
    const auto w = gather_block_maps(*group, grid, maps_of_block, held, assembled);
    if (world.rank() != 0) return;
    s.top_held = held;
    s.top_values.assign(cells * held, 0.0);
    for (std::size_t c = 0; c < cells; ++c)
      for (std::size_t j = 0; j < held; ++j) s.top_values[c * held + j] = w[j * cells + c];
  };
  auto whole_exceed = [&](const std::vector<std::int64_t>& summed, NullState& s) {
    const std::vector<double> mine(summed.begin(), summed.end());  // counts < 2^53: exact
    const auto w = gather_block_map(*group, grid, mine);
    if (world.rank() == 0)
      for (std::size_t c = 0; c < cells; ++c) s.exceed[c] = static_cast<std::int64_t>(w[c]);
  };
  // Per-k values of the leaders at the k each group did (`did[g]`), over `base`, on rank 0.
  auto gather_k = [&](const std::vector<double>& mine, const std::vector<KRanges>& did,
                      std::vector<double> base) {
    std::vector<double> send;
    if (leader)
      for (const auto& r : did[static_cast<std::size_t>(group_id)])
        for (std::int64_t k = r.first; k < r.last; ++k) send.push_back(mine[static_cast<std::size_t>(k)]);
    const auto got = world.gatherv(send, 0);
    if (world.rank() != 0) return base;
    std::size_t at = 0;
    for (const auto& ranges : did)
      for (const auto& r : ranges)
        for (std::int64_t k = r.first; k < r.last; ++k) base[static_cast<std::size_t>(k)] = got[at++];
    return base;
  };
  auto base_of = [&](std::vector<double> NullState::*member) {
    return resume ? resume->*member : std::vector<double>(member == &NullState::max_tfce && !correction.tfce ? 0 : k_slots, 0.0);
  };
  auto did_after = [&](const std::vector<KRanges>& shares, std::size_t steps) {
    std::vector<KRanges> did;
    for (const auto& s : shares) did.push_back(first_batches(s, batch_size, steps));
    return did;
  };
  auto joined = [&](const KRanges& base, const std::vector<KRanges>& did) {
    KRanges out = base;
    for (const auto& d : did) out = with(out, d);
    return out;
  };
  // The state after `steps` batch steps of pass 1 (exceed and top not yet summed over groups).
  // Collective; the data lands on world rank 0.
  auto pass1_state = [&](std::size_t steps, bool summed) {
    NullState s = NullState::empty(K, cells, two_pass, correction.tfce, top_capacity);
    const auto did = did_after(share1, steps);
    s.pass1 = joined(with(done1, observed_in_todo1 ? KRanges{{0, 1}} : KRanges{}), did);
    auto sums = exceed;
    if (!summed) same_block->allreduce_sum(sums);
    whole_exceed(sums, s);
    s.max_statistic = gather_k(max_statistic, did, base_of(&NullState::max_statistic));
    if (correction.tfce) s.max_tfce = gather_k(max_tfce, did, base_of(&NullState::max_tfce));
    if (!two_pass) s.max_cluster = gather_k(max_cluster, did, base_of(&NullState::max_cluster));
    // Once pass 1 is complete only the thresholds matter (set by the caller).
    if (two_pass && !(summed && pass1_complete)) whole_top(summed ? *top : merged_top(*top), s);
    return s;
  };
  std::optional<NullState> after_pass1;  // the whole of pass 1, for pass 2's states
  auto pass2_state = [&](std::size_t steps) {
    NullState s = *after_pass1;
    const auto did = did_after(share2, steps);
    const bool observed_in_todo2 = !todo2.empty() && todo2.front().first == 0;  // nothing to do for k = 0
    s.pass2 = joined(with(done2, observed_in_todo2 ? KRanges{{0, 1}} : KRanges{}), did);
    s.max_cluster = gather_k(max_cluster, did, base_of(&NullState::max_cluster));
    return s;
  };

  // Checkpoints between batch steps: rank 0 says when one is due, any rank may ask to stop.
  const auto& hooks = options.checkpoint;
  auto last_save = std::chrono::steady_clock::now();
  std::int64_t since_save = 0;
  auto checkpoint_step = [&](int pass, std::size_t steps) {
    if (!hooks.save) return;
    std::vector<std::int64_t> flags{0, hooks.stop_requested && hooks.stop_requested() ? 1 : 0};
    if (world.rank() == 0) {
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - last_save).count();
      flags[0] = (hooks.seconds > 0 && seconds >= hooks.seconds) ||
                 (hooks.permutations > 0 && since_save >= hooks.permutations);
    }
    world.allreduce_sum(flags);
    if (flags[0] == 0 && flags[1] == 0) return;
    const auto t0 = std::chrono::steady_clock::now();
    const NullState s = pass == 1 ? pass1_state(steps, false) : pass2_state(steps);
    if (world.rank() == 0) hooks.save(s);
    last_save = std::chrono::steady_clock::now();
    if (hooks.seconds_spent) *hooks.seconds_spent += std::chrono::duration<double>(last_save - t0).count();
    since_save = 0;
    if (flags[1] != 0) throw StoppedAtCheckpoint("stopped by a signal after saving the checkpoint");
  };

  // Runs `whole(k, s, e)` on the leader for each permutation of this group's share, on the
  // whole gathered map, after `local(batch)` on every rank for its block; `steps` batch steps
  // on every rank (a group whose share is done idles), each followed by a checkpoint step.
  auto sweep = [&](int pass, const KRanges& share, std::size_t steps, auto&& local, auto&& whole) {
    Batch batch;
    std::vector<double> assembled, oriented_maps;  // the leader's whole maps, reused
    const auto todo = batches_of(share, batch_size);
    std::size_t replayed = 0;  // maps read from the cache so far
    for (std::size_t step = 0; step < steps; ++step) {
      if (step < todo.size()) {
        const std::int64_t first = todo[step].first;
        const auto count = static_cast<std::size_t>(todo[step].size());
        std::span<const double> block_s;  // this batch's raw block maps
        if (replay) {
          block_s = std::span<const double>(cached).subspan(replayed * bcells, count * bcells);
          replayed += count;
        } else {
          maps.fill(batch, first, count);
          local(batch);
          if (cache_maps) cached.insert(cached.end(), batch.s.begin(), batch.s.end());
          block_s = batch.s;
        }
        const auto s = gather_block_maps(*group, grid, block_s, count, assembled);
        if (leader) {
          // One block and fresh maps: the batch's own oriented maps are the whole maps.
          const bool fresh = !replay && grid.data_blocks == 1;
          auto& e = oriented_maps;
          if (!fresh) e.resize(s.size());
          tbb::parallel_for(std::size_t{0}, count, [&](std::size_t b) {
            if (!fresh)
              for (std::size_t c = b * cells; c < (b + 1) * cells; ++c)
                e[c] = null_oriented(s[c], analysis.tail);
            const double* eb = (fresh ? batch.e.data() : e.data()) + b * cells;
            whole(static_cast<std::size_t>(first) + b, s.data() + b * cells, eb);
          });
        }
        done += static_cast<std::int64_t>(count);
        since_save += static_cast<std::int64_t>(count) * G;
        if (options.progress && world.rank() == 0) options.progress(done, total_work);
      }
      checkpoint_step(pass, step + 1);
    }
  };

  // Pass 1: exceedance counts and per-cell top values (block), maxima and, with a fixed
  // threshold, the largest clusters (leader).
  sweep(1, my1, iterations1,
      [&](const Batch& batch) {
        // Cells in chunks, permutations in order within each cell: rows are read contiguously.
        tbb::parallel_for(tbb::blocked_range<std::size_t>(0, bcells, 256),
                          [&](const tbb::blocked_range<std::size_t>& range) {
          for (std::size_t b = 0; b < batch.count; ++b) {
            const double* e = batch.e.data() + b * bcells;
            for (std::size_t c = range.begin(); c != range.end(); ++c) exceed[c] += e[c] >= e0[c];
            if (top)
              for (std::size_t c = range.begin(); c != range.end(); ++c) top->push(c, e[c]);
          }
        });
      },
      [&](std::size_t k, const double* s, const double* e) {
        max_statistic[k] = *std::max_element(e, e + cells);
        if (!two_pass) max_cluster[k] = max_cluster_statistic(rule, {e, cells}, {s, cells}, std::span<const double>(threshold));
        if (correction.tfce) {
          const auto t = tfce_of(e, s);
          max_tfce[k] = *std::max_element(t.begin(), t.end());
        }
      });
  same_block->allreduce_sum(exceed);

  // Pass 2 (permutation-p threshold): merge the groups' top values, then regenerate every
  // permutation from (seed, k) and cluster.
  Matrix<double> block_threshold;
  if (two_pass) {
    *top = merged_top(*top);
    const auto t0 = std::chrono::steady_clock::now();
    if (hooks.save || options.export_state || !complete) after_pass1 = pass1_state(iterations1, true);
    if (hooks.seconds_spent)
      *hooks.seconds_spent += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  if (two_pass && pass1_complete) {
    std::vector<double> mine(bcells);
    if (thresholds_given) {
      if (resume->thresholds.size() != cells) throw InternalError("the resumed state has no thresholds");
      for (std::size_t c = 0; c < bcells; ++c) mine[c] = block_part([&](std::size_t g) { return resume->thresholds[g]; }, c);
    } else {
      mine = top->thresholds(K + 1);
    }
    block_threshold = Matrix<double>(blk.layers(), blk.times(), mine);
    const auto whole = gather_block_map(*group, grid, mine);
    if (leader) threshold = whole;
    if (after_pass1 && world.rank() == 0) after_pass1->thresholds = threshold;
    replay = cache_maps;
    sweep(2, my2, iterations2, [](const Batch&) {},
          [&](std::size_t k, const double* s, const double* e) {
            max_cluster[k] = max_cluster_statistic(rule, {e, cells}, {s, cells}, std::span<const double>(threshold));
          });
  }

  AnalysisResult r;
  r.permutations = K;
  r.block = blk;
  r.writes_maps = group_id == 0;
  if (options.export_state || !complete) {
    NullState s = two_pass ? (pass1_complete ? pass2_state(iterations2) : *after_pass1)
                           : pass1_state(iterations1, true);
    if (world.rank() == 0) r.state = std::move(s);
  }
  if (!complete) {
    r.complete = false;
    return r;
  }

  // The null maxima of all groups, in k order, on every rank ([0] follows below).
  r.null_max_statistic = gather_k(max_statistic, share1, base_of(&NullState::max_statistic));
  r.null_max_cluster = gather_k(max_cluster, two_pass ? share2 : share1, base_of(&NullState::max_cluster));
  if (correction.tfce) r.null_max_tfce = gather_k(max_tfce, share1, base_of(&NullState::max_tfce));
  r.null_max_statistic[0] = r.null_max_cluster[0] = 0.0;
  if (correction.tfce) r.null_max_tfce[0] = 0.0;

  // Observed clusters on rank 0 (the leader of group 0) from the whole observed map.
  const auto observed_s = gather_block_map(*group, grid, observed.s);
  std::vector<std::int32_t> ids(cells, -1);
  std::vector<double> observed_tfce;  // whole map, on every rank after the broadcast
  std::vector<double> table;  // 8 numbers per cluster
  if (world.rank() == 0) {
    std::vector<double> e(cells);
    for (std::size_t c = 0; c < cells; ++c) e[c] = oriented(observed_s[c], analysis.tail);
    r.null_max_statistic[0] = *std::max_element(e.begin(), e.end());
    auto map = find_clusters(rule, e, observed_s, passing(e.data()));
    for (const auto& cl : map.clusters) {
      r.null_max_cluster[0] = std::max(r.null_max_cluster[0], cl.statistic);
      std::int64_t beaten = 0;
      for (std::int64_t k = 1; k <= K; ++k) beaten += r.null_max_cluster[static_cast<std::size_t>(k)] >= cl.statistic;
      const double sign = analysis.tail == Tail::less ? -1.0 : cl.sign;
      table.insert(table.end(), {cl.statistic, p_value(beaten, K), static_cast<double>(cl.size),
                                 static_cast<double>(cl.layer_first), static_cast<double>(cl.layer_last),
                                 static_cast<double>(cl.time_first), static_cast<double>(cl.time_last), sign});
    }
    ids = map.id;
    if (correction.tfce) {
      observed_tfce = tfce_of(e.data(), observed_s.data());
      r.null_max_tfce[0] = *std::max_element(observed_tfce.begin(), observed_tfce.end());
    }
  }
  if (correction.tfce) {
    observed_tfce.resize(cells);
    world.broadcast(observed_tfce, 0);
    world.broadcast(r.null_max_tfce, 0);
  }
  world.broadcast(r.null_max_statistic, 0);
  world.broadcast(r.null_max_cluster, 0);
  world.broadcast(ids, 0);
  std::vector<std::int64_t> table_size{static_cast<std::int64_t>(table.size())};
  world.broadcast(table_size, 0);
  table.resize(static_cast<std::size_t>(table_size[0]));
  world.broadcast(table, 0);
  for (std::size_t i = 0; i + 8 <= table.size(); i += 8) {
    Cluster cl;
    cl.statistic = table[i];
    cl.size = static_cast<std::int64_t>(table[i + 2]);
    cl.layer_first = static_cast<std::int64_t>(table[i + 3]);
    cl.layer_last = static_cast<std::int64_t>(table[i + 4]);
    cl.time_first = static_cast<std::int64_t>(table[i + 5]);
    cl.time_last = static_cast<std::int64_t>(table[i + 6]);
    cl.sign = static_cast<std::int8_t>(table[i + 7]);
    r.clusters.push_back(cl);
    r.cluster_p.push_back(table[i + 1]);
  }

  // This block's maps.
  std::vector<double> sorted_max(r.null_max_statistic.begin() + 1, r.null_max_statistic.end());
  std::sort(sorted_max.begin(), sorted_max.end());
  r.observed = Matrix<double>(blk.layers(), blk.times(), observed.s);
  r.p_uncorrected = Matrix<double>(blk.layers(), blk.times());
  r.p_maxstat = Matrix<double>(blk.layers(), blk.times());
  r.p_cluster = Matrix<double>(blk.layers(), blk.times(), 1.0);
  r.cluster_id = Matrix<std::int32_t>(blk.layers(), blk.times(), -1);
  r.cell_thresholds = std::move(block_threshold);
  std::vector<double> sorted_tfce;
  if (correction.tfce) {
    sorted_tfce.assign(r.null_max_tfce.begin() + 1, r.null_max_tfce.end());
    std::sort(sorted_tfce.begin(), sorted_tfce.end());
    r.tfce = Matrix<double>(blk.layers(), blk.times());
    r.p_tfce = Matrix<double>(blk.layers(), blk.times());
  }
  for (std::size_t l = 0; l < blk.layers(); ++l)
    for (std::size_t t = 0; t < blk.times(); ++t) {
      const std::size_t c = l * blk.times() + t, g = (blk.layer_begin + l) * T + blk.time_begin + t;
      r.p_uncorrected.values()[c] = p_value(exceed[c], K);
      const auto at_least = sorted_max.end() - std::lower_bound(sorted_max.begin(), sorted_max.end(), e0[c]);
      r.p_maxstat.values()[c] = p_value(at_least, K);
      r.cluster_id.values()[c] = ids[g];
      if (correction.tfce) {
        r.tfce.values()[c] = observed_tfce[g];
        const auto beaten = sorted_tfce.end() -
                            std::lower_bound(sorted_tfce.begin(), sorted_tfce.end(), observed_tfce[g]);
        r.p_tfce.values()[c] = p_value(beaten, K);
      }
      if (ids[g] >= 0) r.p_cluster.values()[c] = r.cluster_p[static_cast<std::size_t>(ids[g])];
    }
  return r;
}

AnalysisResult run_analysis(const RsaProblem& problem, const AnalysisSettings& analysis,
                            const CorrectionSettings& correction, const NullDesign& design,
                            const RunOptions& options) {
  ProcessGrid grid;
  grid.layers = problem.models.rows();
  grid.times = problem.time_count();
  grid.permutations = design.count();
  const auto serial = make_serial_communicator();
  if (problem.block.cells() == grid.layers * grid.times)
    return run_analysis(problem, analysis, correction, design, grid, *serial, options);
  RsaProblem whole = problem;  // a problem built without its block set: it is the whole grid
  whole.block = grid.block(0);
  return run_analysis(whole, analysis, correction, design, grid, *serial, options);
}

}  // namespace permrsa
