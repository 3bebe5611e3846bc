// CellTopValues' buffered selection (issue 20): the values kept, and so every threshold, are the
// `capacity` largest of all values pushed, whatever the order. Expected values come from sorting
// all values of a cell in this test (std::sort, descending) and taking the first `capacity`.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "core/cell_thresholds.hpp"

namespace permrsa {
namespace {

std::vector<double> largest(std::vector<double> values, std::size_t capacity) {
  std::sort(values.begin(), values.end(), std::greater<>());
  values.resize(std::min(values.size(), capacity));
  return values;
}

TEST(CellTopValues, KeepTheLargestValuesOfEveryCellInAnyPushOrder) {
  std::mt19937_64 rng(20);
  for (const std::size_t capacity : {1u, 2u, 15u, 16u, 17u, 100u, 501u}) {
    for (const std::size_t pushes :
         {capacity, capacity + 1, 3 * capacity + 40, std::size_t{2000}}) {
      const std::size_t cells = 5;
      std::vector<std::vector<double>> values(cells);
      // Many ties: values on a grid of 0.01 (permutation statistics repeat).
      std::uniform_int_distribution<int> grid(-50, 50);
      for (auto& cell : values)
        for (std::size_t k = 0; k < pushes; ++k) cell.push_back(grid(rng) / 100.0);
      // Cell 3 gets rising values (every push enters), cell 4 falling ones (few enter).
      std::sort(values[3].begin(), values[3].end());
      std::sort(values[4].begin(), values[4].end(), std::greater<>());
      CellTopValues top(cells, capacity);
      for (std::size_t k = 0; k < pushes; ++k)
        for (std::size_t c = 0; c < cells; ++c) top.push(c, values[c][k]);
      const auto held = top.held_values();
      ASSERT_EQ(top.held_per_cell(), std::min(pushes, capacity));
      const auto thresholds = top.thresholds(static_cast<std::int64_t>(pushes));
      for (std::size_t c = 0; c < cells; ++c) {
        const auto expected = largest(values[c], capacity);
        const std::vector<double> got(
            held.begin() + static_cast<std::ptrdiff_t>(c * expected.size()),
            held.begin() + static_cast<std::ptrdiff_t>((c + 1) * expected.size()));
        EXPECT_EQ(got, expected) << "capacity " << capacity << " pushes " << pushes << " cell "
                                 << c;
        if (capacity > 1 && capacity <= pushes) {
          EXPECT_EQ(thresholds[c], expected.back()) << "capacity " << capacity << " cell " << c;
        }
      }
    }
  }
}

TEST(CellTopValues, HeldValuesDoNotDependOnThePushOrder) {
  // Two orders of the same values: the held values (what a checkpoint stores) are identical.
  std::vector<double> values;
  for (int i = 0; i < 300; ++i) values.push_back((i * 37) % 101 / 7.0);
  CellTopValues a(1, 40), b(1, 40);
  for (double v : values) a.push(0, v);
  for (auto it = values.rbegin(); it != values.rend(); ++it) b.push(0, *it);
  EXPECT_EQ(a.held_values(), b.held_values());
}

TEST(CellTopValues, KeepingTheLargestOfRunsEqualsPushingEveryValue) {
  // The merge of permutation groups (mpirun with G > 1): each group keeps its own top values;
  // keeping the largest of their held runs must equal one CellTopValues that saw every value,
  // also for pushes that come after the merge. Expected: that single CellTopValues (checked
  // against sorting in the first test).
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int> grid(-30, 30);  // ties across groups
  const std::size_t cells = 6;
  for (const bool sorted_runs : {false, true}) {
    for (const std::size_t capacity : {0u, 1u, 2u, 16u, 501u}) {
      for (const std::size_t groups : {1u, 2u, 3u}) {
        for (const std::size_t per_group :
             {std::size_t{0}, capacity / 2, capacity + 3, std::size_t{1300}}) {
          CellTopValues whole(cells, capacity), merged(cells, capacity);
          std::vector<double> runs;
          std::vector<std::size_t> held;
          for (std::size_t g = 0; g < groups; ++g) {
            // Group 0 is the merging one, and holds one value more (the observed map).
            CellTopValues other(cells, capacity);
            CellTopValues& part = g == 0 ? merged : other;
            const std::size_t n = per_group + (g == 0 ? 1 : 0);
            for (std::size_t k = 0; k < n; ++k)
              for (std::size_t c = 0; c < cells; ++c) {
                const double v = grid(rng) / 10.0;
                part.push(c, v);
                whole.push(c, v);
              }
            const auto h = sorted_runs ? part.held_values() : part.held_values_unordered();
            runs.insert(runs.end(), h.begin(), h.end());
            held.push_back(part.held_per_cell());
          }
          merged.keep_largest_of(runs, held);
          const std::string where = "capacity " + std::to_string(capacity) + " groups " +
                                    std::to_string(groups) + " per group " +
                                    std::to_string(per_group) + (sorted_runs ? " sorted" : "");
          ASSERT_EQ(merged.held_per_cell(), whole.held_per_cell()) << where;
          EXPECT_EQ(merged.held_values(), whole.held_values()) << where;
          for (std::size_t k = 0; k < 200; ++k)
            for (std::size_t c = 0; c < cells; ++c) {
              const double v = grid(rng) / 10.0;
              merged.push(c, v);
              whole.push(c, v);
            }
          EXPECT_EQ(merged.held_values(), whole.held_values()) << where << " after more pushes";
          const auto total = static_cast<std::int64_t>(groups * per_group + 1 + 200);  // pushes
          EXPECT_EQ(merged.thresholds(total), whole.thresholds(total)) << where;
        }
      }
    }
  }
}

TEST(CellTopValues, GroupsSharingTheirBoundsKeepTheSameTopValues) {
  // mpirun with G > 1 (NullAccumulator::share_bounds): after every step of pushes each group's
  // bounds are raised to the highest of all groups' bounds, so a group drops values another
  // group already rules out. The merge must still equal one CellTopValues that saw every value
  // (expected: that single CellTopValues, checked against sorting in the first test), with ties
  // at the bounds (values on a grid of 61).
  std::mt19937_64 rng(11);
  std::uniform_int_distribution<int> grid(-30, 30);
  const std::size_t cells = 5;
  for (const std::size_t capacity : {1u, 2u, 16u, 101u}) {
    for (const std::size_t groups : {2u, 3u}) {
      for (const std::size_t step : {std::size_t{1}, std::size_t{37}, std::size_t{400}}) {
        CellTopValues whole(cells, capacity);
        std::vector<CellTopValues> parts;
        for (std::size_t g = 0; g < groups; ++g) parts.emplace_back(cells, capacity);
        for (std::size_t round = 0; round < 4000 / step; ++round) {
          for (auto& part : parts)
            for (std::size_t k = 0; k < step; ++k)
              for (std::size_t c = 0; c < cells; ++c) {
                const double v = grid(rng) / 10.0;
                part.push(c, v);
                whole.push(c, v);
              }
          std::vector<double> highest(cells, -std::numeric_limits<double>::infinity());
          for (const auto& part : parts)
            for (std::size_t c = 0; c < cells; ++c)
              highest[c] = std::max(highest[c], part.bounds()[c]);
          for (auto& part : parts) part.raise_bounds(highest);
        }
        std::vector<double> runs;
        std::vector<std::size_t> held;
        for (auto& part : parts) {
          const auto h = part.held_values_unordered();
          runs.insert(runs.end(), h.begin(), h.end());
          held.push_back(part.held_per_cell());
        }
        CellTopValues merged(cells, capacity);
        merged.keep_largest_of(runs, held);
        const std::string where = "capacity " + std::to_string(capacity) + " groups " +
                                  std::to_string(groups) + " step " + std::to_string(step);
        EXPECT_EQ(merged.held_values(), whole.held_values()) << where;
        const auto total = static_cast<std::int64_t>(groups * (4000 / step) * step);
        EXPECT_EQ(merged.thresholds(total), whole.thresholds(total)) << where;
      }
    }
  }
}

TEST(CellTopValues, RaisingBoundsOfAnotherCellCountIsAnInternalError) {
  CellTopValues top(3, 4);
  EXPECT_ANY_THROW(top.raise_bounds(std::vector<double>(2, 0.0)));
}

TEST(CellTopValues, MergingRunsOfTheWrongSizeIsAnInternalError) {
  CellTopValues top(3, 4);
  const std::vector<double> runs(10, 0.0);
  const std::vector<std::size_t> held{2, 2};
  EXPECT_ANY_THROW(top.keep_largest_of(runs, held));  // 3 cells x 4 values != 10
}

}  // namespace
}  // namespace permrsa
