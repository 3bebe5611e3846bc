// balanced_group (src/numeric/balanced_groups.hpp): how many row tiles a kernel task takes.
// Expected values follow from its definition (at least 2 tasks per thread, a multiple of the
// thread count, no task above max_group, tiles spread evenly), worked by hand for the shapes
// the benchmarks use: L = 20 x batch 32 = 640 rows = 54 tiles of 12; L = 22 x batch 64 = 118.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>

#include "numeric/balanced_groups.hpp"

namespace permrsa {
namespace {

TEST(BalancedGroup, BenchmarkShapes) {
  // 54 tiles, at most 32 per task, 2 threads: 4 tasks of 14 (14, 14, 14, 12), not 32 + 22.
  EXPECT_EQ(balanced_group(54, 32, 2), 14u);
  // At most 18 per task (S = 100's L2 bound): 3 tasks would leave a thread idle; 4 of 14.
  EXPECT_EQ(balanced_group(54, 18, 2), 14u);
  // 118 tiles, at most 32: 4 tasks of 30 (30, 30, 30, 28), not 32, 32, 32, 22.
  EXPECT_EQ(balanced_group(118, 32, 2), 30u);
  // 118 tiles, at most 9: 14 tasks, already a multiple of 2: 9 each (the last 1).
  EXPECT_EQ(balanced_group(118, 9, 2), 9u);
}

TEST(BalancedGroup, BoundsAndEvenShares) {
  for (std::size_t threads : {1u, 2u, 3u, 4u, 8u})
    for (std::size_t max_group : {1u, 2u, 7u, 18u, 32u})
      for (std::size_t blocks = 1; blocks <= 300; ++blocks) {
        const std::size_t g = balanced_group(blocks, max_group, threads);
        ASSERT_GE(g, 1u);
        ASSERT_LE(g, max_group) << blocks << " " << threads;
        // No task larger than an even share of the tiles among 2 tasks per thread.
        const std::size_t least = std::min(blocks, 2 * threads);
        ASSERT_LE(g, (blocks + least - 1) / least) << blocks << " " << max_group << " " << threads;
      }
}

TEST(BalancedGroup, DegenerateInputs) {
  EXPECT_EQ(balanced_group(0, 32, 2), 1u);
  EXPECT_EQ(balanced_group(5, 0, 2), 1u);   // max_group 0 is taken as 1
  EXPECT_EQ(balanced_group(5, 32, 0), 3u);  // threads 0 is taken as 1: 2 tasks, of 3 and 2
}

}  // namespace
}  // namespace permrsa
