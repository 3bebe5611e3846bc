// select_largest and kth_largest (src/numeric/largest_selection.hpp) against std::nth_element
// followed by a sort, the standard library's selection: the k largest as a sorted multiset and
// the k-th largest itself must be equal, bit for bit, on random data, on heavily tied data, on
// sorted and structured data that defeat a position sample, and at sizes around the 512-value
// switch to the sampled split; the int32 overloads (the order keys of core/cell_thresholds.hpp,
// selected 16 to a vector) the same way.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <vector>

#include "numeric/largest_selection.hpp"

namespace permrsa {
namespace {

// The k largest of v, in descending order, by the standard library.
template <class T>
std::vector<T> reference_top(std::vector<T> v, std::size_t k) {
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k - 1), v.end(),
                   std::greater<>());
  v.resize(k);
  std::sort(v.begin(), v.end(), std::greater<>());
  return v;
}

template <class T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

// Checks both functions on v for k; returns nothing, records failures with the case's name.
template <class T>
void check(const std::vector<T>& v, std::size_t k, const char* what) {
  SCOPED_TRACE(testing::Message() << what << ", n = " << v.size() << ", k = " << k);
  const auto expected = reference_top(v, k);
  std::vector<T> w = v;
  select_largest(w.data(), w.size(), k);
  // v[k-1] is the k-th largest, and v[0..k) the k largest.
  EXPECT_EQ(w[k - 1], expected.back());
  std::vector<T> got(w.begin(), w.begin() + static_cast<std::ptrdiff_t>(k));
  std::sort(got.begin(), got.end(), std::greater<>());
  EXPECT_TRUE(same_bits(got, expected));
  const std::vector<T> before = v;
  EXPECT_EQ(kth_largest(v.data(), v.size(), k), expected.back());
  EXPECT_TRUE(same_bits(v, before));  // kth_largest leaves its input alone
}

TEST(LargestSelection, RandomValuesAtTheTopValueBufferShapes) {
  std::mt19937_64 rng(20261205);
  std::normal_distribution<double> normal(0.0, 0.1);
  // 1503 = 501 + 2 * 501 (K = 10000, alpha = 0.05); 1003, 835 and 753, the buffers of 2, 3 and
  // 4 permutation groups (501 + 2 quota); 1002; the 512 switch and either side of it.
  for (std::size_t n : {511u, 512u, 513u, 753u, 835u, 1002u, 1003u, 1503u, 4096u, 9097u})
    for (std::size_t k : {std::size_t{1}, std::size_t{2}, n / 3, n / 2, std::size_t{501}, n - 1, n})
      for (int rep = 0; rep < 5; ++rep) {
        std::vector<double> v(n);
        for (auto& x : v) x = normal(rng);
        check(v, k, "normal");
      }
}

TEST(LargestSelection, TiesAndInfinities) {
  std::mt19937_64 rng(7);
  for (std::size_t n : {600u, 1503u}) {
    // Few distinct values: whole brackets of ties, where the sample's order statistics coincide.
    std::uniform_int_distribution<int> level(-3, 3);
    for (std::size_t k : {std::size_t{1}, n / 3, n / 2, n}) {
      std::vector<double> v(n);
      for (auto& x : v) x = 0.25 * level(rng);
      check(v, k, "seven levels");
      std::fill(v.begin(), v.end(), 0.5);
      check(v, k, "all equal");
      // +inf stands for NaN maps (numeric/tail.hpp); -inf for values that cannot pass.
      for (std::size_t i = 0; i < n; i += 5) v[i] = std::numeric_limits<double>::infinity();
      for (std::size_t i = 2; i < n; i += 7) v[i] = -std::numeric_limits<double>::infinity();
      check(v, k, "infinities");
    }
  }
}

TEST(LargestSelection, OrderedAndStructuredValues) {
  // Sorted data and data whose largest values sit between the sampled positions: the bracket
  // can miss, and the fallback must still give the standard library's answer.
  const std::size_t n = 1503;
  for (std::size_t k : {std::size_t{1}, std::size_t{501}, std::size_t{1502}}) {
    std::vector<double> up(n), down(n), spikes(n, 0.0);
    for (std::size_t i = 0; i < n; ++i) {
      up[i] = static_cast<double>(i);
      down[i] = -static_cast<double>(i);
      // Large values in one residue class of the sample's stride (11 at n = 1503), zeros elsewhere.
      spikes[i] = (i % 11 == 5) ? 1.0 + static_cast<double>(i) : 0.0;
    }
    check(up, k, "ascending");
    check(down, k, "descending");
    check(spikes, k, "off-sample spikes");
  }
}

// The sample positions of largest_selection.cpp (128 values at i * stride + (i * 7) % stride),
// mirrored here to build inputs whose counts fall exactly on the bracket's edges. If the sampling
// changes, these inputs still check the results, only less sharply.
std::vector<double> with_sample(std::size_t n, double other, const std::vector<std::size_t>& raised,
                                double raised_value) {
  std::vector<double> v(n, other);
  const std::size_t stride = n / 128;
  for (std::size_t i = 0; i < 128; ++i) v[i * stride + (i * 7) % stride] = 1000.0 - double(i);
  for (std::size_t at : raised) v[at] = raised_value;
  return v;
}

TEST(LargestSelection, CountsOnTheBracketEdges) {
  // n = 1503, k = 501: the sample's expected rank is 501 * 128 / 1503 = 42, the bracket is the
  // samples of ranks 30 and 54 (0-based, descending): hi = 970, lo = 946.
  const std::size_t n = 1503, k = 501, stride = n / 128;
  std::vector<bool> sampled(n, false);
  for (std::size_t i = 0; i < 128; ++i) sampled[i * stride + (i * 7) % stride] = true;
  auto unsampled = [&](std::size_t count) {
    std::vector<std::size_t> at;
    for (std::size_t i = 0; i < n && at.size() < count; ++i)
      if (!sampled[i]) at.push_back(i);
    return at;
  };
  // Exactly k values above hi (30 samples and 471 others): the k-th largest is not inside.
  check(with_sample(n, 0.0, unsampled(k - 30), 2000.0), k, "k values above the bracket");
  // k - 1 values at or above lo (55 samples and 445 others): the k-th largest is below it.
  check(with_sample(n, -5.0, unsampled(k - 1 - 55), 2000.0), k, "k - 1 values down to lo");
  // k values at or above lo: the k-th largest is lo itself, the bracket's last value.
  check(with_sample(n, -5.0, unsampled(k - 55), 2000.0), k, "k values down to lo");
  // k - 1 values above hi: the k-th largest is hi, the bracket's first value.
  check(with_sample(n, 0.0, unsampled(k - 1 - 30), 2000.0), k, "k - 1 values above the bracket");
}

TEST(LargestSelection, ShortInputs) {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  for (std::size_t n = 1; n <= 40; ++n)
    for (std::size_t k = 1; k <= n; ++k) {
      std::vector<double> v(n);
      for (auto& x : v) x = uniform(rng);
      check(v, k, "short");
    }
}

TEST(LargestSelection, Int32KeysRandomTiedExtremeAndShort) {
  // The keys' whole range (a float key's sign bit reflected, a quotient's integer dot), few
  // levels of ties, the int32 extremes that bound an open bracket, and the lengths around the
  // 16-key vectors and the sampled split.
  std::mt19937_64 rng(20261206);
  std::uniform_int_distribution<std::int32_t> any(std::numeric_limits<std::int32_t>::lowest(),
                                                  std::numeric_limits<std::int32_t>::max());
  std::uniform_int_distribution<std::int32_t> level(-3, 3);
  for (std::size_t n : {1u, 15u, 16u, 17u, 33u, 511u, 512u, 513u, 1503u, 4096u})
    for (std::size_t k : {std::size_t{1}, std::max<std::size_t>(1, n / 3), n / 2 + 1, n}) {
      std::vector<std::int32_t> v(n);
      for (auto& x : v) x = any(rng);
      check(v, k, "any int32");
      for (auto& x : v) x = level(rng);
      check(v, k, "seven levels");
      for (std::size_t i = 0; i < n; i += 3) v[i] = std::numeric_limits<std::int32_t>::max();
      for (std::size_t i = 1; i < n; i += 4) v[i] = std::numeric_limits<std::int32_t>::lowest();
      check(v, k, "extremes");
      for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::int32_t>(i % 11 == 5 ? i : 0);
      check(v, k, "off-sample spikes");
    }
}

}  // namespace
}  // namespace permrsa
