// thresholds_across_groups (core/group_thresholds.hpp): permutation groups as ranks of the
// in-process communicator, each pushing its own values into its own CellTopValues and sharing
// bounds after every step (share_group_bounds, as NullAccumulator::share_bounds does), with and
// without quota bounds (CellTopValues::keep_quota_bounds). Expected values: each cell's
// capacity-th largest of every group's values together, found by sorting them all in this test
// (std::sort, descending); -inf when capacity exceeds the count, +inf when capacity <= 1
// (DESIGN.md, the permutation-p threshold with m = capacity - 1).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/group_thresholds.hpp"
#include "dist/in_process_communicator.hpp"

namespace permrsa {
namespace {

// Group g's k-th value of cell c: deterministic, on a grid of 61 values so that ties meet the
// bounds, and with each group's values drawn from a different range in some cells (one group
// then holds all of the top values).
// With `as_float` the value rounded to float, so that it has a float order key (the buffers
// then hold keys, and the merge sends keys: CellTopValues::append_keys_at_least).
double value_of(std::size_t g, std::size_t k, std::size_t c, bool as_float = false) {
  std::uint64_t x = (g * 1000003u + k) * 2654435761u + c * 40503u;
  x ^= x >> 13;
  x *= 0x9E3779B97F4A7C15ull;
  x ^= x >> 29;
  const double on_grid = static_cast<double>(static_cast<int>(x % 61) - 30) / 10.0;
  const double v = c % 3 == 2 ? on_grid + 10.0 * static_cast<double>(g) : on_grid;
  return as_float ? static_cast<double>(static_cast<float>(v)) : v;
}

std::vector<double> sorted_thresholds(std::size_t groups, std::size_t pushes, std::size_t cells,
                                      std::size_t capacity, bool as_float) {
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> out(cells);
  for (std::size_t c = 0; c < cells; ++c) {
    std::vector<double> all;
    for (std::size_t g = 0; g < groups; ++g)
      for (std::size_t k = 0; k < pushes; ++k) all.push_back(value_of(g, k, c, as_float));
    std::sort(all.begin(), all.end(), std::greater<>());
    out[c] = capacity <= 1 ? inf : capacity > all.size() ? -inf : all[capacity - 1];
  }
  return out;
}

// Three forms: doubles without quota bounds, doubles with them, float keys with them.
struct Form {
  bool quotas, keyed;
};

TEST(GroupThresholds, EqualTheThresholdOfAllGroupsValuesTogether) {
  for (const Form form : {Form{false, false}, Form{true, false}, Form{true, true}})
    for (const std::size_t capacity : {1u, 2u, 16u, 101u, 600u, 5000u}) {
      for (const int groups : {1, 2, 3, 4}) {
        for (const std::size_t cells : {std::size_t{2}, std::size_t{7}, std::size_t{130}}) {
          for (const std::size_t step : {std::size_t{1}, std::size_t{37}, std::size_t{400}}) {
            // Capacity 600 (selection by sampled splits, numeric/largest_selection.hpp, from 512
            // values on) gets enough values for several trims of its buffer of 1800 (of
            // 600 + 2 quota with quota bounds).
            const std::size_t pushes = ((capacity == 600 ? 6000 : 1200) / step) * step;
            const auto expected = sorted_thresholds(static_cast<std::size_t>(groups), pushes, cells,
                                                    capacity, form.keyed);
            std::mutex mutex;
            std::vector<std::vector<double>> got(static_cast<std::size_t>(groups));
            run_in_process(groups, [&](const Communicator& same_block) {
              const auto g = static_cast<std::size_t>(same_block.rank());
              CellTopValues top(cells, capacity,
                                form.keyed ? std::optional(OrderKeys::of_floats()) : std::nullopt,
                                form.quotas ? group_quota(capacity, groups) : 0);
              for (std::size_t k0 = 0; k0 < pushes; k0 += step) {
                for (std::size_t k = k0; k < k0 + step; ++k)
                  for (std::size_t c = 0; c < cells; ++c)
                    top.push(c, value_of(g, k, c, form.keyed));
                share_group_bounds(top, same_block);
              }
              auto t = thresholds_across_groups(top, same_block,
                                                static_cast<std::int64_t>(pushes) * groups);
              std::lock_guard lock(mutex);
              got[g] = std::move(t);
            });
            for (int g = 0; g < groups; ++g)
              EXPECT_EQ(got[static_cast<std::size_t>(g)], expected)
                  << "capacity " << capacity << " groups " << groups << " cells " << cells
                  << " step " << step << " rank " << g << (form.quotas ? " with quota bounds" : "")
                  << (form.keyed ? ", float keys" : "");
          }
        }
      }
    }
}

// The quota: the least count q with groups * q >= capacity (worked by hand).
TEST(GroupThresholds, QuotaIsTheCapacityDividedByTheGroupsRoundedUp) {
  EXPECT_EQ(group_quota(501, 2), 251u);
  EXPECT_EQ(group_quota(501, 3), 167u);
  EXPECT_EQ(group_quota(500, 4), 125u);
  EXPECT_EQ(group_quota(2, 3), 1u);
  EXPECT_EQ(group_quota(7, 1), 7u);
}

// Quota bounds raise the shared floors far above the groups' own bounds: two groups of 1100
// distinct values each, interleaved (group 0 the even levels 0, 2, ..., 2198, group 1 the odd
// ones), capacity 100, quota 50. A buffer of 200 (twice the quota in new values between trims)
// is trimmed at the 200th, 300th, ..., 1100th push, so at the last share each group's quota bound
// is its 50th largest of all: 2198 - 2 * 49 = 2100 and 2101, while its own 100th largest is 2000 or
// 2001. Every bound becomes 2100, which is also the threshold, the 100th largest of both groups
// together (2199 - 99; all by hand).
TEST(GroupThresholds, QuotaBoundsRaiseTheFloorsAboveEveryGroupsOwnBound) {
  std::vector<std::vector<double>> bounds(2), thresholds(2);
  std::mutex mutex;
  run_in_process(2, [&](const Communicator& same_block) {
    const auto g = static_cast<std::size_t>(same_block.rank());
    CellTopValues top(1, 100, std::nullopt, group_quota(100, 2));
    for (std::size_t k = 0; k < 1100; ++k) {
      top.push(0, static_cast<double>(2 * k + g));
      if (k % 100 == 99) share_group_bounds(top, same_block);
    }
    auto t = thresholds_across_groups(top, same_block, 2200);
    std::lock_guard lock(mutex);
    bounds[g].assign(top.bounds().begin(), top.bounds().end());
    thresholds[g] = std::move(t);
  });
  for (std::size_t g = 0; g < 2; ++g) {
    EXPECT_EQ(bounds[g], std::vector<double>{2100.0}) << "group " << g;
    EXPECT_EQ(thresholds[g], std::vector<double>{2100.0}) << "group " << g;
  }
}

TEST(GroupThresholds, AppendAtLeastGivesCountsThenValues) {
  // Expected by hand: cell 0 holds {3, 1, 2}, cell 1 {5, -1}; floors 2 and 6.
  CellTopValues top(2, 4);
  for (double v : {3.0, 1.0, 2.0}) top.push(0, v);
  for (double v : {5.0, -1.0}) top.push(1, v);
  std::vector<double> out{42.0};
  top.append_at_least(0, 2, std::vector<double>{2.0, 6.0}, out);
  EXPECT_EQ(out, (std::vector<double>{42.0, 2.0, 0.0, 3.0, 2.0}));
  EXPECT_ANY_THROW(top.append_at_least(0, 2, std::vector<double>{2.0}, out));
}

TEST(GroupThresholds, AppendKeysAtLeastGivesCountsThenKeys) {
  // The same cells as above with float keys: the counts, then the keys, which key_value() turns
  // back into the values sent by append_at_least (by hand: 3, 2 and 5). Buffers of doubles have
  // no keys to send.
  CellTopValues top(2, 4, OrderKeys::of_floats());
  for (double v : {3.0, 1.0, 2.0}) top.push(0, v);
  for (double v : {5.0, -1.0}) top.push(1, v);
  std::vector<std::int32_t> out{42};
  top.append_keys_at_least(0, 2, std::vector<double>{2.0, 5.0}, out);
  ASSERT_EQ(out.size(), 6u);
  EXPECT_EQ(out[0], 42);
  EXPECT_EQ(out[1], 2);
  EXPECT_EQ(out[2], 1);
  EXPECT_EQ(top.key_value(out[3], 0), 3.0);
  EXPECT_EQ(top.key_value(out[4], 0), 2.0);
  EXPECT_EQ(top.key_value(out[5], 1), 5.0);
  CellTopValues doubles(2, 4);
  EXPECT_ANY_THROW(doubles.append_keys_at_least(0, 2, std::vector<double>{0.0, 0.0}, out));
}

}  // namespace
}  // namespace permrsa
