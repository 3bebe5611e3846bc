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
#include <limits>
#include <optional>

#include <boost/math/distributions/students_t.hpp>

#include "core/block_maps.hpp"
#include "core/cell_thresholds.hpp"
#include "core/null_maps.hpp"
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
  const std::int64_t K = design.count();
  const auto [k_first, k_last] = grid.permutation_range(group_id);
  const std::size_t batch_size = std::max<std::size_t>(1, options.batch_size);
  const auto null_maps = design.flips ? make_sign_flip_maps(problem, analysis, *design.flips)
                                      : make_stimulus_maps(problem, analysis, *design.permutations);
  const NullMaps& maps = *null_maps;
  const ClusterRule rule{L, T, correction.connectivity, correction.cluster_statistic,
                         analysis.tail == Tail::two_sided};
  const bool two_pass = correction.cluster_threshold == ClusterThreshold::permutation_p;
  const std::int64_t my_perms = std::max<std::int64_t>(0, k_last - k_first + 1);
  const std::int64_t total_work = my_perms * (two_pass ? 2 : 1);
  std::int64_t done = 0;

  // Per-permutation maxima for this group's k (filled on the leader).
  std::vector<double> max_statistic(static_cast<std::size_t>(my_perms), 0.0);
  std::vector<double> max_cluster(static_cast<std::size_t>(my_perms), 0.0);
  std::vector<double> max_tfce(correction.tfce ? static_cast<std::size_t>(my_perms) : 0, 0.0);
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
  std::vector<std::int64_t> exceed(bcells, 0);
  std::optional<CellTopValues> top;
  if (two_pass) {
    const auto m = passing_count(correction.cluster_alpha, K);
    top.emplace(bcells, static_cast<std::size_t>(m + 1));
    if (group_id == 0)  // k = 0 enters the null once
      for (std::size_t c = 0; c < bcells; ++c) top->push(c, e0[c]);
  }

  // Pass 2 needs every map again. When this rank's maps fit in options.map_cache_bytes, pass 1
  // keeps them (the same values, so the same results); otherwise pass 2 regenerates them.
  const double cache_bytes = static_cast<double>(my_perms) * static_cast<double>(bcells) * 8.0;
  const bool cache_maps = two_pass && cache_bytes <= options.map_cache_bytes;
  std::vector<double> cached;
  if (cache_maps) cached.reserve(static_cast<std::size_t>(my_perms) * bcells);
  bool replay = false;  // pass 2 reads the cache

  // Runs `whole(i, s, e)` on the leader for each permutation of this group (i = k - k_first),
  // on the whole gathered map, after `local(batch)` on every rank for its block.
  auto sweep = [&](auto&& local, auto&& whole) {
    Batch batch;
    std::vector<double> assembled, oriented_maps;  // the leader's whole maps, reused
    for (std::int64_t first = k_first; first <= k_last; first += static_cast<std::int64_t>(batch_size)) {
      const auto count = static_cast<std::size_t>(std::min<std::int64_t>(batch_size, k_last - first + 1));
      std::span<const double> block_s;  // this batch's raw block maps
      if (replay) {
        block_s = std::span<const double>(cached).subspan(
            static_cast<std::size_t>(first - k_first) * bcells, count * bcells);
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
            for (std::size_t c = b * cells; c < (b + 1) * cells; ++c) e[c] = oriented(s[c], analysis.tail);
          const double* eb = (fresh ? batch.e.data() : e.data()) + b * cells;
          whole(static_cast<std::size_t>(first - k_first) + b, s.data() + b * cells, eb);
        });
      }
      done += static_cast<std::int64_t>(count);
      if (options.progress && world.rank() == 0) options.progress(done, total_work);
    }
  };

  // Pass 1: exceedance counts and per-cell top values (block), maxima and, with a fixed
  // threshold, the largest clusters (leader).
  sweep(
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
      [&](std::size_t i, const double* s, const double* e) {
        max_statistic[i] = *std::max_element(e, e + cells);
        if (!two_pass) max_cluster[i] = max_cluster_statistic(rule, {e, cells}, {s, cells}, std::span<const double>(threshold));
        if (correction.tfce) {
          const auto t = tfce_of(e, s);
          max_tfce[i] = *std::max_element(t.begin(), t.end());
        }
      });
  same_block->allreduce_sum(exceed);

  // Pass 2 (permutation-p threshold): merge the groups' top values, then regenerate every
  // permutation from (seed, k) and cluster.
  Matrix<double> block_threshold;
  if (two_pass) {
    if (grid.perm_groups > 1) {
      const auto all = same_block->allgatherv(top->held_values());
      CellTopValues merged(bcells, static_cast<std::size_t>(passing_count(correction.cluster_alpha, K) + 1));
      // Each group's block holds the same cells; values arrive group by group, bcells x held.
      std::size_t offset = 0;
      std::vector<std::size_t> held_by_group;
      {
        std::vector<double> mine_count{static_cast<double>(top->held_per_cell())};
        const auto counts = same_block->allgatherv(mine_count);
        for (double c : counts) held_by_group.push_back(static_cast<std::size_t>(c));
      }
      for (std::size_t held : held_by_group) {
        for (std::size_t c = 0; c < bcells; ++c)
          for (std::size_t j = 0; j < held; ++j) merged.push(c, all[offset + c * held + j]);
        offset += bcells * held;
      }
      *top = std::move(merged);
    }
    const auto mine = top->thresholds(K + 1);
    block_threshold = Matrix<double>(blk.layers(), blk.times(), mine);
    const auto whole = gather_block_map(*group, grid, mine);
    if (leader) threshold = whole;
    replay = cache_maps;
    sweep([](const Batch&) {},
          [&](std::size_t i, const double* s, const double* e) {
            max_cluster[i] = max_cluster_statistic(rule, {e, cells}, {s, cells}, std::span<const double>(threshold));
          });
  }

  // The null maxima of all groups, in k order, on every rank.
  AnalysisResult r;
  r.permutations = K;
  r.block = blk;
  r.writes_maps = group_id == 0;
  auto collect = [&](const std::vector<double>& mine) {
    auto all = world.gatherv(leader ? std::span<const double>(mine) : std::span<const double>(), 0);
    std::vector<double> out(static_cast<std::size_t>(K + 1), 0.0);
    if (world.rank() == 0) std::copy(all.begin(), all.end(), out.begin() + 1);
    return out;
  };
  r.null_max_statistic = collect(max_statistic);
  r.null_max_cluster = collect(max_cluster);
  if (correction.tfce) r.null_max_tfce = collect(max_tfce);

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
