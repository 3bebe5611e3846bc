// OrderKeys (numeric/order_keys.hpp), the 4-byte form of the top values a permutation-p threshold
// keeps: a value of the form must come back bit for bit, and key order must be value order. The
// expected values are the inputs themselves and their order by double comparison; the floats
// come from std::numeric_limits and a random draw, the quotients from random integer dots over
// random denominators, as the kernels form them (kernels/map_codec.hpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "numeric/order_keys.hpp"

namespace permrsa {
namespace {

std::uint64_t bits(double v) {
  return std::bit_cast<std::uint64_t>(v);
}

// Values in ascending order must have ascending keys, and each must come back bit for bit.
void expect_ordered_round_trip(const OrderKeys& keys, const std::vector<double>& ascending,
                               std::size_t cell) {
  for (std::size_t i = 0; i < ascending.size(); ++i) {
    const double v = ascending[i];
    ASSERT_TRUE(keys.keeps(v, cell)) << v;
    ASSERT_EQ(bits(keys.value(keys.key(v, cell), cell)), bits(v)) << v;
    if (i > 0 && ascending[i - 1] < v) {
      ASSERT_LT(keys.key(ascending[i - 1], cell), keys.key(v, cell))
          << ascending[i - 1] << " " << v;
    }
  }
}

TEST(OrderKeys, FloatsKeepTheirBitsAndTheirOrder) {
  constexpr float inf = std::numeric_limits<float>::infinity();
  constexpr float big = std::numeric_limits<float>::max();
  constexpr float tiny = std::numeric_limits<float>::denorm_min();
  const std::vector<double> specials{-inf, -big, -1.5f, -tiny, -0.0, 0.0, tiny, 1.5f, big, inf};
  const auto keys = OrderKeys::of_floats();
  expect_ordered_round_trip(keys, specials, 0);
  // -0.0 sorts just below +0.0: both kept, each with its own key.
  EXPECT_EQ(keys.key(-0.0, 0) + 1, keys.key(0.0, 0));
  std::mt19937 rng(20261206);
  std::vector<double> random(20000);
  for (auto& v : random) {
    auto word = static_cast<std::uint32_t>(rng());
    if ((word & 0x7f800000u) == 0x7f800000u) word &= 0xbfffffffu;  // no NaN or infinity
    v = static_cast<double>(std::bit_cast<float>(word));
  }
  std::sort(random.begin(), random.end());
  expect_ordered_round_trip(keys, random, 0);
  // Not of the form: a double between floats, beyond the floats, NaN.
  EXPECT_FALSE(keys.keeps(0.1, 0));
  EXPECT_FALSE(keys.keeps(1e300, 0));
  EXPECT_FALSE(keys.keeps(std::nan(""), 0));
}

TEST(OrderKeys, QuotientsAreTheirIntegerDots) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> denominator(0.5, 5e8);
  std::vector<double> d(4);
  for (auto& x : d) x = denominator(rng);
  d[3] = 1.0;
  const auto keys = OrderKeys::of_quotients(d);
  ASSERT_TRUE(keys.has_value());
  constexpr std::int32_t top = std::numeric_limits<std::int32_t>::max();
  std::uniform_int_distribution<std::int32_t> dot(-top, top), small(-50, 50);
  for (std::size_t c = 0; c < d.size(); ++c) {
    std::vector<std::int32_t> dots{-top, -1, 0, 1, top - 1};
    for (int i = 0; i < 5000; ++i) dots.push_back(i % 2 ? dot(rng) : small(rng));
    std::sort(dots.begin(), dots.end());
    std::vector<double> values;
    for (std::int32_t x : dots) {
      values.push_back(static_cast<double>(x) / d[c]);
      EXPECT_EQ(keys->key(values.back(), c), x);
    }
    expect_ordered_round_trip(*keys, values, c);
    // Not of the form: beyond int32, between two quotients.
    EXPECT_FALSE(keys->keeps(2147483648.0 / d[c], c));
    EXPECT_FALSE(keys->keeps(std::nan(""), c));
    EXPECT_FALSE(keys->keeps(std::numeric_limits<double>::infinity(), c));
    EXPECT_FALSE(keys->keeps(2.5 / d[c], c));
  }
  // A zero comes back with the sign an orientation gives it (-s for tail "less").
  EXPECT_EQ(bits(keys->value(0, 1)), bits(0.0));
  EXPECT_EQ(bits(keys->with_zero(-0.0).value(0, 1)), bits(-0.0));
  EXPECT_TRUE(keys->with_zero(-0.0).keeps(-0.0, 2));
}

TEST(OrderKeys, QuotientsNeedFinitePositiveDenominators) {
  // Expected: none, since a quotient over them is not an integer dot (or not a number).
  EXPECT_FALSE(OrderKeys::of_quotients({}).has_value());
  EXPECT_FALSE(OrderKeys::of_quotients({1.0, 0.0}).has_value());
  EXPECT_FALSE(OrderKeys::of_quotients({-2.0}).has_value());
  EXPECT_FALSE(OrderKeys::of_quotients({std::numeric_limits<double>::infinity()}).has_value());
  EXPECT_FALSE(OrderKeys::of_quotients({std::nan("")}).has_value());
  EXPECT_TRUE(OrderKeys::of_quotients({3.0, 1e-300}).has_value());
}

// least_key_at_least against the values themselves: every value at or above the floor has a key at
// or above it, and below the int32 ends (where the caller compares values too) no other does.
void expect_floor_keys(const OrderKeys& keys, const std::vector<double>& values,
                       const std::vector<double>& floors, std::size_t cell) {
  for (const double floor : floors) {
    const std::int32_t least = keys.least_key_at_least(floor, cell);
    const bool end = least == std::numeric_limits<std::int32_t>::max() ||
                     least == std::numeric_limits<std::int32_t>::lowest();
    for (const double v : values) {
      if (v >= floor) {
        ASSERT_GE(keys.key(v, cell), least) << v << " floor " << floor;
      }
      if (!end && keys.key(v, cell) >= least) {
        ASSERT_GE(v, floor) << "floor " << floor;
      }
    }
  }
}

TEST(OrderKeys, LeastKeysAtFloorsBetweenAndBeyondTheValues) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> uniform(-3.0, 3.0);
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> floats{-inf, -0.0, 0.0, inf, std::numeric_limits<float>::max()}, floors;
  for (int i = 0; i < 300; ++i) floats.push_back(static_cast<float>(uniform(rng)));
  for (const double v : floats)  // the values, their neighbours, points between floats
    for (const double f : {v, std::nextafter(v, inf), std::nextafter(v, -inf), v + 1e-9})
      floors.push_back(f);
  for (const double f : {-inf, inf, 1e300, -1e300, std::nan(""), 0.1}) floors.push_back(f);
  expect_floor_keys(OrderKeys::of_floats(), floats, floors, 0);

  const std::vector<double> d{7.25, 1e-3, 3e8};
  const auto quotients = OrderKeys::of_quotients(d);
  for (std::size_t c = 0; c < d.size(); ++c) {
    std::vector<double> values, floors_c;
    for (const std::int32_t x : {-2147483647, -5, -1, 0, 1, 2, 3, 1000, 2147483646, 2147483647})
      values.push_back(static_cast<double>(x) / d[c]);
    for (const double v : values)
      for (const double f : {v, std::nextafter(v, inf), std::nextafter(v, -inf), v + 0.5 / d[c]})
        floors_c.push_back(f);
    for (const double f : {-inf, inf, 1e300, -1e300, std::nan(""), 2147483647.4 / d[c]})
      floors_c.push_back(f);
    expect_floor_keys(*quotients, values, floors_c, c);
  }
}

}  // namespace
}  // namespace permrsa
