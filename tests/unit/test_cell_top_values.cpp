// CellTopValues' buffered selection (issue 20): the values kept, and so every threshold, are the
// `capacity` largest of all values pushed, whatever the order. Expected values come from sorting
// all values of a cell in this test (std::sort, descending) and taking the first `capacity`.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <random>
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

}  // namespace
}  // namespace permrsa
