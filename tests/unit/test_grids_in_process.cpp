// The analysis on process grids of several data blocks and permutation groups, in one process:
// each rank a thread of the in-process communicator (dist/in_process_communicator.hpp), holding
// only its block. Where the expected values come from: the serial run on the whole problem;
// DESIGN.md's invariant 1 asks every grid for the same bits, and the maps of every block must
// equal that run's cells, the per-permutation maxima and clusters its arrays.
#include <gtest/gtest.h>

#include <mutex>

#include "dist/in_process_communicator.hpp"
#include "permrsa/permutation_analysis.hpp"
#include "sim/synthetic.hpp"
#include "synthetic_problem.hpp"

namespace permrsa {
namespace {

RsaProblem whole_problem() {
  return synthetic_problem(12, 4, 30);
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

struct GridCase {
  int data_blocks, groups, layer_blocks, time_blocks;
};

class GridsInProcess : public ::testing::TestWithParam<GridCase> {};

TEST_P(GridsInProcess, EveryBlockEqualsTheSerialRunBitForBit) {
  const GridCase c = GetParam();
  const RsaProblem whole = whole_problem();
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
  const AnalysisResult serial = run_analysis(whole, analysis, correction, design, options);
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

INSTANTIATE_TEST_SUITE_P(Grids, GridsInProcess,
                         ::testing::Values(GridCase{2, 1, 1, 2}, GridCase{1, 3, 1, 1},
                                           GridCase{2, 2, 2, 1}, GridCase{4, 1, 2, 2},
                                           GridCase{3, 2, 1, 3}));

}  // namespace
}  // namespace permrsa
