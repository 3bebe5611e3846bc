// Process-grid planning is pure data in, data out (heFFTe's plan_operations): tested here
// without MPI. Expected values worked out by hand from the splitting rule begin(i) = i*n/parts.
#include <gtest/gtest.h>

#include <set>

#include "permrsa/error.hpp"
#include "permrsa/process_grid.hpp"

namespace permrsa {
namespace {

TEST(ProcessGrid, BlocksTileTheGridExactlyOnce) {
  for (auto [lb, tb] : std::vector<std::pair<int, int>>{{1, 1}, {2, 1}, {1, 3}, {4, 1}, {2, 2}, {3, 5}}) {
    ProcessGrid g;
    g.layers = 3;
    g.times = 40;
    g.layer_blocks = lb;
    g.time_blocks = tb;
    g.data_blocks = lb * tb;
    std::vector<int> owner(3 * 40, -1);
    for (int b = 0; b < g.data_blocks; ++b) {
      const auto blk = g.block(b);
      for (std::size_t l = blk.layer_begin; l < blk.layer_end; ++l)
        for (std::size_t t = blk.time_begin; t < blk.time_end; ++t) {
          EXPECT_EQ(owner[l * 40 + t], -1);
          owner[l * 40 + t] = b;
        }
    }
    for (int o : owner) EXPECT_GE(o, 0) << lb << "x" << tb;
  }
}

TEST(ProcessGrid, MoreLayerBlocksThanLayersLeavesEmptyBlocks) {
  ProcessGrid g;
  g.layers = 3;
  g.times = 10;
  g.layer_blocks = 4;
  g.data_blocks = 4;
  std::size_t empty = 0;
  for (int b = 0; b < 4; ++b) empty += g.block(b).empty();
  EXPECT_EQ(empty, 1u);  // splits 0,0,1,2,3: block 0 is empty
}

TEST(ProcessGrid, PermutationGroupsCoverOneToKOnce) {
  ProcessGrid g;
  g.perm_groups = 3;
  g.permutations = 10;
  using Range = std::pair<std::int64_t, std::int64_t>;
  EXPECT_EQ(g.permutation_range(0), Range(1, 3));
  EXPECT_EQ(g.permutation_range(1), Range(4, 6));
  EXPECT_EQ(g.permutation_range(2), Range(7, 10));
}

TEST(ProcessGrid, RankLayoutPutsTheBlocksOfAGroupTogether) {
  ProcessGrid g;
  g.data_blocks = 2;
  g.perm_groups = 2;
  EXPECT_EQ(g.block_of(3), 1);
  EXPECT_EQ(g.group_of(3), 1);
  EXPECT_EQ(g.group_of(1), 0);
}

TEST(PlanGrid, SmallProblemsUsePermutationGroupsOnly) {
  const auto g = plan_grid(4, 1176, 22, 218, 10000, 0.05, 64, GridRequest{});
  EXPECT_EQ(g.data_blocks, 1);
  EXPECT_EQ(g.perm_groups, 4);
}

TEST(PlanGrid, ATightMemoryBudgetSplitsTimeFirst) {
  GridRequest request;
  request.memory_per_rank = 200.0 * 1024 * 1024;  // S = 200, T = 1000 needs ~320 MB whole
  const auto g = plan_grid(4, 19900, 20, 1000, 1000, 0.05, 64, request);
  EXPECT_GT(g.data_blocks, 1);
  EXPECT_EQ(g.time_blocks, g.data_blocks);
  EXPECT_EQ(g.layer_blocks, 1);
}

TEST(PlanGrid, RequestedGridMustMatchTheRanks) {
  GridRequest request;
  request.grid = std::make_pair(2, 2);
  EXPECT_THROW(plan_grid(3, 28, 3, 40, 100, 0.05, 64, request), InputError);
  request.block_shape = std::make_pair(3, 1);
  EXPECT_THROW(plan_grid(4, 28, 3, 40, 100, 0.05, 64, request), InputError);
  request.block_shape = std::make_pair(1, 2);
  const auto g = plan_grid(4, 28, 3, 40, 100, 0.05, 64, request);
  EXPECT_EQ(g.time_blocks, 2);
}

TEST(ParseGridText, AcceptsAxBOnly) {
  EXPECT_EQ(parse_grid_text("4x2", "--grid"), std::make_pair(4, 2));
  EXPECT_THROW(parse_grid_text("4", "--grid"), InputError);
  EXPECT_THROW(parse_grid_text("0x2", "--grid"), InputError);
  EXPECT_THROW(parse_grid_text("2x2x", "--grid"), InputError);
}

}  // namespace
}  // namespace permrsa
