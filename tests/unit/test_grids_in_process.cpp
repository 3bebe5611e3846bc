// The analysis on process grids of several data blocks and permutation groups, in one process:
// each rank a thread of the in-process communicator (dist/in_process_communicator.hpp), holding
// only its block. Where the expected values come from: the serial run on the whole problem;
// DESIGN.md's invariant 1 asks every grid for the same bits, and the maps of every block must
// equal that run's cells, the per-permutation maxima and clusters its arrays.
#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <vector>

#include "dist/in_process_communicator.hpp"
#include "permrsa/permutation_analysis.hpp"
#include "sim/synthetic.hpp"
#include "synthetic_problem.hpp"

namespace permrsa {
namespace {

// 4 layers x `times`: 120 cells by default; 524 make pass 1's whole-batch chunks of 256 cells
// (NullAccumulator::add_whole_batch) three, the last of them 12 cells inside a word.
RsaProblem whole_problem(std::size_t times = 30) {
  return synthetic_problem(12, 4, times);
}

// The block's brain columns and model rows of the whole problem.
RsaProblem block_of(const RsaProblem& whole, const BlockRange& b) {
  RsaProblem p = whole;
  p.block = b;
  const auto& brain = whole.group()->rdms;
  GroupRdms cut{Matrix<double>(brain.rows(), b.times())};
  for (std::size_t q = 0; q < brain.rows(); ++q)
    for (std::size_t t = 0; t < b.times(); ++t) cut.rdms(q, t) = brain(q, b.time_begin + t);
  p.brain = std::move(cut);
  p.models = Matrix<double>(b.layers(), whole.models.cols());
  for (std::size_t l = 0; l < b.layers(); ++l)
    for (std::size_t q = 0; q < whole.models.cols(); ++q)
      p.models(l, q) = whole.models(b.layer_begin + l, q);
  return p;
}

// The analysis every grid runs: two-sided, permutation-p clusters over layers and time (two
// passes) and TFCE, K = 200 in batches of 7.
struct GridAnalysis {
  AnalysisSettings analysis;
  CorrectionSettings correction;
  NullDesign design;
  RunOptions options;
  AnalysisResult serial;  // the expected values: the serial run on the whole problem
};

GridAnalysis grid_analysis(const RsaProblem& whole) {
  AnalysisSettings analysis;
  analysis.permutations = 200;
  analysis.tail = Tail::two_sided;
  CorrectionSettings correction;  // permutation-p threshold: two passes
  correction.connectivity = Connectivity::layer_time;
  correction.tfce = true;
  correction.tfce_step = 0.05;
  NullDesign design{PermutationSet::generated(whole.stimuli, analysis.permutations, 3)};
  RunOptions options;
  options.batch_size = 7;
  AnalysisResult serial = run_analysis(whole, analysis, correction, design, options);
  return {analysis, correction, std::move(design), options, std::move(serial)};
}

struct GridCase {
  int data_blocks, groups, layer_blocks, time_blocks;
  std::size_t times = 30;
};

class GridsInProcess : public ::testing::TestWithParam<GridCase> {};

TEST_P(GridsInProcess, EveryBlockEqualsTheSerialRunBitForBit) {
  const GridCase c = GetParam();
  const RsaProblem whole = whole_problem(c.times);
  const GridAnalysis a = grid_analysis(whole);
  const auto& [analysis, correction, design, options, serial] = a;
  // The grid's ranks keep pass 1's maps for pass 2 (core/map_cache.hpp); the serial run computes
  // them again.
  RunOptions cached = options;
  cached.map_cache_bytes = 1e12;

  ProcessGrid grid;
  grid.data_blocks = c.data_blocks;
  grid.perm_groups = c.groups;
  grid.layer_blocks = c.layer_blocks;
  grid.time_blocks = c.time_blocks;
  grid.layers = whole.layers.size();
  grid.times = whole.times.size();
  grid.permutations = design.count();
  std::mutex mutex;
  std::vector<std::string> differences;
  run_in_process(grid.ranks(), [&](const Communicator& world) {
    const BlockRange b = grid.block(grid.block_of(world.rank()));
    const AnalysisResult r =
        run_analysis(block_of(whole, b), analysis, correction, design, grid, world, cached);
    std::vector<std::string> mine;
    for (std::size_t l = 0; l < b.layers(); ++l)
      for (std::size_t t = 0; t < b.times(); ++t) {
        const std::size_t c_block = l * b.times() + t;
        const std::size_t c_whole = (b.layer_begin + l) * grid.times + b.time_begin + t;
        if (r.p_uncorrected.values()[c_block] != serial.p_uncorrected.values()[c_whole] ||
            r.p_maxstat.values()[c_block] != serial.p_maxstat.values()[c_whole] ||
            r.p_cluster.values()[c_block] != serial.p_cluster.values()[c_whole] ||
            r.cluster_id.values()[c_block] != serial.cluster_id.values()[c_whole] ||
            r.tfce.values()[c_block] != serial.tfce.values()[c_whole] ||
            r.observed.values()[c_block] != serial.observed.values()[c_whole])
          mine.push_back("rank " + std::to_string(world.rank()) + " cell " +
                         std::to_string(c_whole));
      }
    if (r.null_max_statistic != serial.null_max_statistic ||
        r.null_max_cluster != serial.null_max_cluster || r.null_max_tfce != serial.null_max_tfce ||
        r.cluster_p != serial.cluster_p)
      mine.push_back("rank " + std::to_string(world.rank()) + " null maxima or cluster p");
    const std::lock_guard lock(mutex);
    differences.insert(differences.end(), mine.begin(), mine.end());
  });
  EXPECT_TRUE(differences.empty()) << ::testing::PrintToString(differences);
  EXPECT_FALSE(serial.clusters.empty());  // the planted effects make clusters to compare
}

// Balanced permutation groups (1 x G grids; core/null_sweep.hpp) with fixed, uneven speeds, so
// that the hand-out does not depend on timing: every group takes a different part of K than its
// planned share, and the results must still be the serial run's bits. Then the same from states
// saved at checkpoints mid pass 1 and mid pass 2, resumed with other speeds (the state records
// which permutations each group did).
struct BalancedCase {
  std::vector<double> speeds, resumed_speeds;
  double map_cache_bytes;  // 0: pass 2 computes its maps again, in balanced rounds too
};

class BalancedGroupsInProcess : public ::testing::TestWithParam<BalancedCase> {};

TEST_P(BalancedGroupsInProcess, EqualTheSerialRunBitForBitAlsoWhenResumed) {
  const BalancedCase c = GetParam();
  const RsaProblem whole = whole_problem();
  const GridAnalysis a = grid_analysis(whole);
  const auto& [analysis, correction, design, options, serial] = a;

  ProcessGrid grid;
  grid.perm_groups = static_cast<int>(c.speeds.size());
  grid.layers = whole.layers.size();
  grid.times = whole.times.size();
  grid.permutations = design.count();
  auto same_as_serial = [&](const AnalysisResult& r) {
    return r.p_uncorrected.values() == serial.p_uncorrected.values() &&
           r.p_maxstat.values() == serial.p_maxstat.values() &&
           r.p_cluster.values() == serial.p_cluster.values() &&
           r.cluster_id.values() == serial.cluster_id.values() &&
           r.tfce.values() == serial.tfce.values() &&
           r.null_max_statistic == serial.null_max_statistic &&
           r.null_max_cluster == serial.null_max_cluster &&
           r.null_max_tfce == serial.null_max_tfce && r.cluster_p == serial.cluster_p;
  };
  // A whole run with checkpoints after every round of at least 50 permutations.
  std::mutex mutex;
  std::vector<NullState> saved;
  std::vector<std::string> differences;
  RunOptions balanced = options;
  balanced.map_cache_bytes = c.map_cache_bytes;
  balanced.group_speeds = c.speeds;
  balanced.checkpoint.permutations = 50;
  balanced.checkpoint.save = [&](const NullState& s) { saved.push_back(s); };  // world rank 0
  run_in_process(grid.ranks(), [&](const Communicator& world) {
    const AnalysisResult r =
        run_analysis(whole, analysis, correction, design, grid, world, balanced);
    const std::lock_guard lock(mutex);
    if (!same_as_serial(r)) differences.push_back("rank " + std::to_string(world.rank()));
  });
  EXPECT_TRUE(differences.empty()) << ::testing::PrintToString(differences);
  // Balanced rounds hand out the batches from the front (planned shares would leave a gap at
  // every group's start after the first round).
  ASSERT_FALSE(saved.empty());
  EXPECT_EQ(saved.front().pass1.size(), 1u) << describe(saved.front().pass1);
  // One state mid pass 1 and one mid pass 2.
  const KRanges all{{0, analysis.permutations + 1}};
  std::vector<const NullState*> resume_from;
  for (const auto& s : saved)
    if ((s.pass1 != all && resume_from.empty()) ||
        (s.pass1 == all && !s.pass2.empty() && s.pass2 != all && resume_from.size() == 1))
      resume_from.push_back(&s);
  ASSERT_EQ(resume_from.size(), 2u) << saved.size() << " states saved";
  for (const NullState* state : resume_from) {
    RunOptions resumed = balanced;
    resumed.checkpoint = {};
    resumed.resume = state;
    resumed.group_speeds = c.resumed_speeds;
    run_in_process(grid.ranks(), [&](const Communicator& world) {
      const AnalysisResult r =
          run_analysis(whole, analysis, correction, design, grid, world, resumed);
      const std::lock_guard lock(mutex);
      if (!same_as_serial(r))
        differences.push_back("resumed from " + describe(state->pass1) + " / " +
                              describe(state->pass2) + ": rank " + std::to_string(world.rank()));
    });
  }
  EXPECT_TRUE(differences.empty()) << ::testing::PrintToString(differences);
}

INSTANTIATE_TEST_SUITE_P(Speeds, BalancedGroupsInProcess,
                         ::testing::Values(BalancedCase{{1.0, 9.0}, {4.0, 1.0}, 1e12},
                                           BalancedCase{{5.0, 1.0, 0.3}, {1.0, 1.0, 8.0}, 1e12},
                                           BalancedCase{{1.0, 9.0}, {4.0, 1.0}, 0.0}));

INSTANTIATE_TEST_SUITE_P(Grids, GridsInProcess,
                         ::testing::Values(GridCase{2, 1, 1, 2}, GridCase{1, 3, 1, 1},
                                           GridCase{2, 2, 2, 1}, GridCase{4, 1, 2, 2},
                                           GridCase{3, 2, 1, 3}, GridCase{2, 1, 1, 2, 131},
                                           GridCase{1, 2, 1, 1, 131}));

}  // namespace
}  // namespace permrsa
