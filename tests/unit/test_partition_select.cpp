// rth_largest and copy_largest (src/numeric/partition_select.hpp) against std::nth_element, the
// standard library's selection: the r-th largest must be equal bit for bit, and copy_largest's
// output the r largest as a multiset with the r-th largest last. On random values, heavy ties,
// orders that defeat a median-of-three pivot (sorted, reversed, organ pipe, all equal, the
// pivot's positions holding the extremes), at lengths around the 16- and 8-lane vectors and the
// 32-value switch to std::nth_element, for int32 keys and doubles.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <vector>

#include "numeric/partition_select.hpp"

namespace permrsa {
namespace {

template <class T>
T reference_rth(std::vector<T> v, std::size_t r) {
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(r - 1), v.end(),
                   std::greater<>());
  return v[r - 1];
}

template <class T>
bool same_bits(T a, T b) {
  return std::memcmp(&a, &b, sizeof(T)) == 0;
}

template <class T>
void check(const std::vector<T>& v, const char* what) {
  const std::size_t n = v.size();
  std::vector<T> sorted = v;
  std::sort(sorted.begin(), sorted.end(), std::greater<>());
  for (const std::size_t r :
       {std::size_t{1}, std::size_t{2}, n / 4 + 1, n / 2 + 1, (3 * n) / 4, n - 1, n}) {
    if (r < 1 || r > n) continue;
    SCOPED_TRACE(testing::Message() << what << ", n = " << n << ", r = " << r);
    const std::vector<T> before = v;
    const T got = rth_largest(v.data(), n, r);
    EXPECT_TRUE(same_bits(got, reference_rth(v, r)));
    EXPECT_TRUE(v == before);  // a is not changed
    std::vector<T> out(r);
    copy_largest(v.data(), n, r, got, out.data());
    EXPECT_TRUE(same_bits(out.back(), got));
    std::sort(out.begin(), out.end(), std::greater<>());
    EXPECT_TRUE(std::equal(out.begin(), out.end(), sorted.begin(),
                           [](T a, T b) { return same_bits(a, b); }));
  }
}

template <class T>
void orders(std::size_t n, std::mt19937_64& rng, T (*make)(std::int64_t)) {
  std::uniform_int_distribution<std::int64_t> any(-1000000, 1000000), level(-3, 3);
  std::vector<T> v(n);
  for (auto& x : v) x = make(any(rng));
  check(v, "random");
  for (auto& x : v) x = make(level(rng));
  check(v, "seven levels");
  for (std::size_t i = 0; i < n; ++i) v[i] = make(static_cast<std::int64_t>(i));
  check(v, "ascending");
  for (std::size_t i = 0; i < n; ++i) v[i] = make(-static_cast<std::int64_t>(i));
  check(v, "descending");
  for (std::size_t i = 0; i < n; ++i)
    v[i] = make(static_cast<std::int64_t>(std::min(i, n - 1 - i)));
  check(v, "organ pipe");
  std::fill(v.begin(), v.end(), make(5));
  check(v, "all equal");
  // The pivot's sample positions hold the largest values: every level peels off few.
  for (std::size_t i = 0; i < n; ++i) v[i] = make(static_cast<std::int64_t>(i % 7));
  v[n / 4] = v[n / 2] = v[3 * n / 4] = make(1000);
  check(v, "extremes at the pivot's positions");
}

TEST(PartitionSelect, Int32KeysAtEveryLengthAroundTheVectorsAndTheSwitch) {
  std::mt19937_64 rng(20261207);
  auto key = [](std::int64_t x) { return static_cast<std::int32_t>(x); };
  for (std::size_t n :
       {1u, 2u, 15u, 16u, 17u, 31u, 32u, 33u, 47u, 48u, 49u, 100u, 128u, 188u, 501u, 1003u})
    orders<std::int32_t>(n, rng, key);
  std::vector<std::int32_t> extremes(300);
  for (std::size_t i = 0; i < extremes.size(); ++i)
    extremes[i] = i % 3 == 0   ? std::numeric_limits<std::int32_t>::max()
                  : i % 3 == 1 ? std::numeric_limits<std::int32_t>::lowest()
                               : static_cast<std::int32_t>(i);
  check(extremes, "int32 extremes");
}

TEST(PartitionSelect, DoublesWithInfinities) {
  std::mt19937_64 rng(7);
  auto real = [](std::int64_t x) { return 0.001 * static_cast<double>(x); };
  for (std::size_t n : {1u, 7u, 8u, 9u, 33u, 40u, 128u, 190u, 501u}) orders<double>(n, rng, real);
  std::vector<double> v(200);
  for (std::size_t i = 0; i < v.size(); ++i)
    v[i] = i % 5 == 0   ? std::numeric_limits<double>::infinity()
           : i % 5 == 1 ? -std::numeric_limits<double>::infinity()
                        : 0.25 * static_cast<double>(i % 9);
  check(v, "infinities");
}

}  // namespace
}  // namespace permrsa
