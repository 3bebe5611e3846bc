// CellTopValues' buffered selection (issue 20): the values kept, and so every threshold, are the
// `capacity` largest of all values pushed, whatever the order. Expected values come from sorting
// all values of a cell in this test (std::sort, descending) and taking the first `capacity`.
// Each test runs in the three forms of the buffers: doubles, and the 4-byte order keys of floats
// and of quotients (numeric/order_keys.hpp), on values of that form.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/cell_thresholds.hpp"

namespace permrsa {
namespace {

// The buffers' form and the values of that form: value(level, cell) is increasing in level.
struct Form {
  const char* name;
  std::optional<OrderKeys> keys;
  double scale;  // level * scale, as a double or a float
  bool as_float = false;
  std::vector<double> d{};  // quotients: level / d[cell]
  double value(int level, std::size_t cell) const {
    if (!d.empty()) return static_cast<double>(level) / d[cell];
    const double v = level * scale;
    return as_float ? static_cast<double>(static_cast<float>(v)) : v;
  }
};

std::vector<Form> forms() {
  const std::vector<double> d{3.7, 0.21, 11.0, 1.0, 2.5e3, 7.0};  // up to 6 cells
  return {Form{"doubles", std::nullopt, 0.1}, Form{"float keys", OrderKeys::of_floats(), 0.1, true},
          Form{"quotient keys", OrderKeys::of_quotients(d), 0.0, false, d}};
}

std::vector<double> largest(std::vector<double> values, std::size_t capacity) {
  std::sort(values.begin(), values.end(), std::greater<>());
  values.resize(std::min(values.size(), capacity));
  return values;
}

TEST(CellTopValues, KeepTheLargestValuesOfEveryCellInAnyPushOrder) {
  std::mt19937_64 rng(20);
  for (const Form& form : forms())
    for (const std::size_t capacity : {1u, 2u, 15u, 16u, 17u, 100u, 501u}) {
      for (const std::size_t pushes :
           {capacity, capacity + 1, 3 * capacity + 40, std::size_t{2000}}) {
        const std::size_t cells = 5;
        std::vector<std::vector<double>> values(cells);
        // Many ties: values on a grid of 101 levels (permutation statistics repeat).
        std::uniform_int_distribution<int> grid(-50, 50);
        for (std::size_t c = 0; c < cells; ++c)
          for (std::size_t k = 0; k < pushes; ++k) values[c].push_back(form.value(grid(rng), c));
        // Cell 3 gets rising values (every push enters), cell 4 falling ones (few enter).
        std::sort(values[3].begin(), values[3].end());
        std::sort(values[4].begin(), values[4].end(), std::greater<>());
        CellTopValues top(cells, capacity, form.keys);
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
          EXPECT_EQ(got, expected)
              << form.name << " capacity " << capacity << " pushes " << pushes << " cell " << c;
          if (capacity > 1 && capacity <= pushes) {
            EXPECT_EQ(thresholds[c], expected.back())
                << form.name << " capacity " << capacity << " cell " << c;
          }
        }
      }
    }
}

TEST(CellTopValues, HeldValuesDoNotDependOnThePushOrder) {
  // Two orders of the same values: the held values (what a checkpoint stores) are identical.
  for (const Form& form : forms()) {
    std::vector<double> values;
    for (int i = 0; i < 300; ++i) values.push_back(form.value((i * 37) % 101, 0));
    CellTopValues a(1, 40, form.keys), b(1, 40, form.keys);
    for (double v : values) a.push(0, v);
    for (auto it = values.rbegin(); it != values.rend(); ++it) b.push(0, *it);
    EXPECT_EQ(a.held_values(), b.held_values()) << form.name;
  }
}

TEST(CellTopValues, KeepingTheLargestOfRunsEqualsPushingEveryValue) {
  // The merge of permutation groups (mpirun with G > 1): each group keeps its own top values;
  // keeping the largest of their held runs must equal one CellTopValues that saw every value,
  // also for pushes that come after the merge. Expected: that single CellTopValues (checked
  // against sorting in the first test).
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int> grid(-30, 30);  // ties across groups
  const std::size_t cells = 6;
  for (const Form& form : forms())
    for (const bool sorted_runs : {false, true}) {
      for (const std::size_t capacity : {0u, 1u, 2u, 16u, 501u}) {
        for (const std::size_t groups : {1u, 2u, 3u}) {
          for (const std::size_t per_group :
               {std::size_t{0}, capacity / 2, capacity + 3, std::size_t{1300}}) {
            CellTopValues whole(cells, capacity), merged(cells, capacity, form.keys);
            std::vector<double> runs;
            std::vector<std::size_t> held;
            for (std::size_t g = 0; g < groups; ++g) {
              // Group 0 is the merging one, and holds one value more (the observed map).
              CellTopValues other(cells, capacity, form.keys);
              CellTopValues& part = g == 0 ? merged : other;
              const std::size_t n = per_group + (g == 0 ? 1 : 0);
              for (std::size_t k = 0; k < n; ++k)
                for (std::size_t c = 0; c < cells; ++c) {
                  const double v = form.value(grid(rng), c);
                  part.push(c, v);
                  whole.push(c, v);
                }
              const auto h = sorted_runs ? part.held_values() : part.held_values_unordered();
              runs.insert(runs.end(), h.begin(), h.end());
              held.push_back(part.held_per_cell());
            }
            merged.keep_largest_of(runs, held);
            const std::string where = std::string(form.name) + " capacity " +
                                      std::to_string(capacity) + " groups " +
                                      std::to_string(groups) + " per group " +
                                      std::to_string(per_group) + (sorted_runs ? " sorted" : "");
            ASSERT_EQ(merged.held_per_cell(), whole.held_per_cell()) << where;
            EXPECT_EQ(merged.held_values(), whole.held_values()) << where;
            for (std::size_t k = 0; k < 200; ++k)
              for (std::size_t c = 0; c < cells; ++c) {
                const double v = form.value(grid(rng), c);
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
  // bounds are raised to the highest of all groups' bounds or, with quota bounds, the least of
  // the groups' ceil(capacity / G)-th largest values if that is higher, so a group drops values
  // that the groups together already rule out. The merge (a checkpoint's) must still equal one
  // CellTopValues that saw every value (expected: that single CellTopValues, checked against
  // sorting in the first test), with ties at the bounds (values on a grid of 61).
  std::mt19937_64 rng(11);
  std::uniform_int_distribution<int> grid(-30, 30);
  const std::size_t cells = 5;
  for (const bool quotas : {false, true})
    for (const Form& form : forms())
      for (const std::size_t capacity : {1u, 2u, 16u, 101u, 600u}) {
        for (const std::size_t groups : {2u, 3u}) {
          for (const std::size_t step : {std::size_t{1}, std::size_t{37}, std::size_t{400}}) {
            CellTopValues whole(cells, capacity);
            std::vector<CellTopValues> parts;
            for (std::size_t g = 0; g < groups; ++g)
              parts.emplace_back(cells, capacity, form.keys,
                                 quotas ? (capacity + groups - 1) / groups : 0);
            for (std::size_t round = 0; round < 4000 / step; ++round) {
              for (auto& part : parts)
                for (std::size_t k = 0; k < step; ++k)
                  for (std::size_t c = 0; c < cells; ++c) {
                    const double v = form.value(grid(rng), c);
                    part.push(c, v);
                    whole.push(c, v);
                  }
              const double inf = std::numeric_limits<double>::infinity();
              std::vector<double> highest(cells, -inf), least_quota(cells, inf);
              for (const auto& part : parts)
                for (std::size_t c = 0; c < cells; ++c) {
                  highest[c] = std::max(highest[c], part.bounds()[c]);
                  least_quota[c] = std::min(least_quota[c], part.quota_bounds()[c]);
                }
              for (std::size_t c = 0; c < cells; ++c)
                highest[c] = std::max(highest[c], least_quota[c]);
              for (auto& part : parts) part.raise_bounds(highest);
            }
            std::vector<double> runs;
            std::vector<std::size_t> held;
            for (auto& part : parts) {
              const auto h = part.held_values_unordered();
              runs.insert(runs.end(), h.begin(), h.end());
              held.push_back(part.held_per_cell());
            }
            CellTopValues merged(cells, capacity, form.keys);
            merged.keep_largest_of(runs, held);
            const std::string where = std::string(form.name) + " capacity " +
                                      std::to_string(capacity) + " groups " +
                                      std::to_string(groups) + " step " + std::to_string(step) +
                                      (quotas ? " quotas" : "");
            EXPECT_EQ(merged.held_values(), whole.held_values()) << where;
            const auto total = static_cast<std::int64_t>(groups * (4000 / step) * step);
            EXPECT_EQ(merged.thresholds(total), whole.thresholds(total)) << where;
          }
        }
      }
}

// Per cell, the counts append_at_least gives and the values after them, each cell's sorted.
std::vector<std::vector<double>> sent_per_cell(const CellTopValues& top, std::size_t cells,
                                               const std::vector<double>& floors) {
  std::vector<double> out;
  top.append_at_least(0, cells, floors, out);
  std::vector<std::vector<double>> per(cells);
  std::size_t at = cells;
  for (std::size_t c = 0; c < cells; ++c) {
    const auto n = static_cast<std::size_t>(out[c]);
    per[c].assign(out.begin() + static_cast<std::ptrdiff_t>(at),
                  out.begin() + static_cast<std::ptrdiff_t>(at + n));
    std::sort(per[c].begin(), per[c].end());
    at += n;
  }
  return per;
}

TEST(CellTopValues, KeyedBuffersSendWhatDoublesSendAtEveryFloor) {
  // The merge's floors (core/group_thresholds.hpp) compare keys: at floors on the values, between
  // them, beyond them and infinite, the values sent must be those a buffer of doubles sends
  // (expected: that buffer, given the same values in the same order).
  std::mt19937_64 rng(31);
  std::uniform_int_distribution<int> grid(-40, 40);
  const std::size_t cells = 6;
  const double inf = std::numeric_limits<double>::infinity();
  for (const Form& form : forms()) {
    if (!form.keys) continue;
    for (const std::size_t pushes : {std::size_t{5}, std::size_t{300}}) {
      CellTopValues doubles(cells, 16), keyed(cells, 16, form.keys);
      for (std::size_t k = 0; k < pushes; ++k)
        for (std::size_t c = 0; c < cells; ++c) {
          const double v = form.value(grid(rng), c);
          doubles.push(c, v);
          keyed.push(c, v);
        }
      for (const int level : {-41, -3, 0, 7, 39, 40, 41}) {
        for (const double shift : {0.0, 1e-12, -1e-12}) {
          std::vector<double> floors(cells);
          for (std::size_t c = 0; c < cells; ++c) floors[c] = form.value(level, c) + shift;
          EXPECT_EQ(sent_per_cell(keyed, cells, floors), sent_per_cell(doubles, cells, floors))
              << form.name << " level " << level << " shift " << shift;
        }
      }
      for (const double f : {-inf, inf, 1e300, -1e300}) {
        const std::vector<double> floors(cells, f);
        EXPECT_EQ(sent_per_cell(keyed, cells, floors), sent_per_cell(doubles, cells, floors))
            << form.name << " floor " << f;
      }
      EXPECT_EQ(
          sent_per_cell(keyed, cells,
                        std::vector<double>(keyed.bounds().begin(), keyed.bounds().end())),
          sent_per_cell(doubles, cells,
                        std::vector<double>(doubles.bounds().begin(), doubles.bounds().end())))
          << form.name << " at the bounds";
    }
  }
}

TEST(CellTopValues, MergingAValueWithoutAKeyIsAnInternalError) {
  // 0.1 is not a float, and 0.1 is not an integer over 3.7: neither has a key.
  for (const Form& form : forms()) {
    if (!form.keys) continue;
    CellTopValues top(2, 2, form.keys);
    const std::vector<double> runs{0.5, 0.1, 0.25, 0.5};
    const std::vector<std::size_t> held{2};
    EXPECT_ANY_THROW(top.keep_largest_of(runs, held)) << form.name;
  }
}

// A quota of 3 with capacity 10: the buffer takes twice the quota in new values between trims, at
// least 16, so it holds 10 + 16 = 26 and is trimmed at the 26th push (without a quota too: the
// capacity, at least 16); the quota bound is then the 3rd largest of those 26 values, and the bound
// still their 10th largest (expected: sorting the 26 values in this test). -inf before that trim,
// and without quotas.
TEST(CellTopValues, QuotaBoundIsTheQuotaThLargestAtTheLastTrim) {
  std::mt19937_64 rng(5);
  std::uniform_int_distribution<int> grid(-300, 300);
  const double inf = std::numeric_limits<double>::infinity();
  for (const Form& form : forms()) {
    CellTopValues top(1, 10, form.keys, 3), plain(1, 10, form.keys);
    std::vector<double> pushed;
    for (int k = 0; k < 26; ++k) {
      EXPECT_EQ(top.quota_bounds()[0], -inf) << form.name << ", before the trim";
      const double v = form.value(grid(rng), 0);
      pushed.push_back(v);
      top.push(0, v);
      plain.push(0, v);
    }
    std::sort(pushed.begin(), pushed.end(), std::greater<>());
    EXPECT_EQ(top.quota_bounds()[0], pushed[2]) << form.name;
    EXPECT_EQ(top.bounds()[0], pushed[9]) << form.name;
    EXPECT_EQ(plain.quota_bounds()[0], -inf) << form.name << ": no quota bounds kept";
    EXPECT_EQ(top.held_values(), plain.held_values()) << form.name;
  }
}

// buffered_largest_at: the rank-th largest of everything in a cell's buffer, trimmed or not
// (expected: sorting the values pushed), -inf in a cell that holds fewer; the buffers unchanged.
// Cell 0: 45 pushes, a trim at the 26th (its 10 largest kept, the 10th of them the bound), then
// the later values above that bound; cell 1: 4 values, never trimmed.
TEST(CellTopValues, BufferedLargestAtSeesEveryBufferedValue) {
  std::mt19937_64 rng(8);
  std::uniform_int_distribution<int> grid(-300, 300);
  const double inf = std::numeric_limits<double>::infinity();
  for (const Form& form : forms()) {
    CellTopValues top(2, 10, form.keys);
    std::vector<double> pushed, few;
    for (int k = 0; k < 45; ++k) {
      const int level = grid(rng);
      top.push(0, form.value(level, 0));
      pushed.push_back(form.value(level, 0));
      if (k < 4) {
        top.push(1, form.value(level, 1));
        few.push_back(form.value(level, 1));
      }
    }
    // The first trim comes at 26 values: capacity 10 plus the least count between trims, 16.
    std::vector<double> first(pushed.begin(), pushed.begin() + 26);
    std::sort(first.begin(), first.end(), std::greater<>());
    std::vector<double> buffered(first.begin(), first.begin() + 10);
    for (std::size_t k = 26; k < pushed.size(); ++k)
      if (pushed[k] > first[9]) buffered.push_back(pushed[k]);
    std::sort(buffered.begin(), buffered.end(), std::greater<>());
    std::sort(few.begin(), few.end(), std::greater<>());
    for (const std::size_t rank :
         {std::size_t{1}, std::size_t{4}, std::size_t{5}, buffered.size()}) {
      const auto got = top.buffered_largest_at(rank);
      EXPECT_EQ(got[0], buffered[rank - 1]) << form.name << ", rank " << rank;
      EXPECT_EQ(got[1], rank <= few.size() ? few[rank - 1] : -inf)
          << form.name << ", rank " << rank << " of 4 values";
    }
    EXPECT_EQ(top.buffered_largest_at(buffered.size() + 1)[0], -inf) << form.name;
    EXPECT_EQ(top.buffered_largest_at(1)[0], buffered[0]) << form.name << ": buffers unchanged";
  }
}

// A bound raised above the cell's own capacity-th largest is never lowered by a later trim
// (settle_bound), while the kept values stay the capacity largest. By hand: levels 1..26 into
// capacity 10 trim at the 26th push (held 17..26, bound 17); raised to 22; levels 27..29 enter
// and five 0s do not; held_values_unordered trims to 20..29, whose 10th largest, 20, is below the
// raised bound, which stays 22.
// push_cells with `above` (NullAccumulator::add_whole_batch's masks for the map cache): word w of
// it holds the cells whose value was above the cell's bound before the push, and the values kept
// are those of push() cell by cell. Expected values: bounds() read before each push, compared by
// hand, and a second CellTopValues fed by push().
TEST(CellTopValues, PushCellsMarksTheValuesAboveTheBoundsBeforeThePush) {
  std::mt19937_64 rng(23);
  std::uniform_int_distribution<int> grid(-50, 50);
  const std::size_t cells = 150, words = 3, capacity = 20;  // the last word: 22 cells
  CellTopValues cells_at_once(cells, capacity), one_by_one(cells, capacity);
  std::size_t marked = 0;
  for (int k = 0; k < 200; ++k) {
    std::vector<double> e(cells);
    for (double& v : e) v = grid(rng) * 0.1;
    const std::vector<double> before(cells_at_once.bounds().begin(), cells_at_once.bounds().end());
    std::vector<std::uint64_t> above(words + 1, 0xdeadbeefULL);
    cells_at_once.push_cells(64, cells, e.data(), above.data() + 1);  // from word 1 on
    cells_at_once.push_cells(0, 64, e.data(), above.data());
    ASSERT_EQ(above[3], 0xdeadbeefULL) << "written past the last word";
    for (std::size_t c = 0; c < cells; ++c) {
      const bool bit = (above[c / 64] >> (c % 64)) & 1U;
      ASSERT_EQ(bit, e[c] > before[c]) << "map " << k << " cell " << c;
      marked += bit;
      one_by_one.push(c, e[c]);
    }
    for (std::size_t c = cells % 64; c < 64; ++c)
      ASSERT_EQ((above[2] >> c) & 1U, 0U) << "a bit past the last cell";
  }
  EXPECT_EQ(cells_at_once.held_values(), one_by_one.held_values());
  EXPECT_GT(marked, 0U);
  EXPECT_LT(marked, 200 * cells);  // the bounds rose and ruled values out
}

TEST(CellTopValues, RaisedBoundsSurviveLaterTrims) {
  for (const Form& form : forms()) {
    // Capacity 10 and 16 values between trims: the 26th push trims, to levels 17 ... 26.
    CellTopValues top(1, 10, form.keys);
    for (int level = 1; level <= 26; ++level) top.push(0, form.value(level, 0));
    ASSERT_EQ(top.bounds()[0], form.value(17, 0)) << form.name;
    top.raise_bounds(std::vector<double>{form.value(22, 0)});
    for (int level = 27; level <= 29; ++level) top.push(0, form.value(level, 0));
    for (int k = 0; k < 5; ++k) top.push(0, form.value(0, 0));
    // The trim keeps levels 20 ... 29, whose least (20) is below the raised bound: it stays.
    const auto unordered = top.held_values_unordered();
    EXPECT_EQ(unordered.size(), 10u) << form.name;
    EXPECT_EQ(top.bounds()[0], form.value(22, 0)) << form.name;
    std::vector<double> want;
    for (int level = 29; level >= 20; --level) want.push_back(form.value(level, 0));
    EXPECT_EQ(top.held_values(), want) << form.name;
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
