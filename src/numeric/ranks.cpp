#include "numeric/ranks.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

namespace permrsa {
namespace {
// The smallest and largest value, in 8 independent lanes so that the loop vectorises
// (std::minmax_element branches on every value). The values must be finite.
std::pair<double, double> min_max(std::span<const double> values) {
  constexpr std::size_t W = 8;
  double lo[W], hi[W];
  for (std::size_t j = 0; j < W; ++j) lo[j] = hi[j] = values[0];
  std::size_t i = 0;
  for (; i + W <= values.size(); i += W)
    for (std::size_t j = 0; j < W; ++j) {
      const double x = values[i + j];
      lo[j] = x < lo[j] ? x : lo[j];
      hi[j] = x > hi[j] ? x : hi[j];
    }
  for (; i < values.size(); ++i) {
    lo[0] = std::min(lo[0], values[i]);
    hi[0] = std::max(hi[0], values[i]);
  }
  return {*std::min_element(lo, lo + W), *std::max_element(hi, hi + W)};
}

// True when every value is min + j/2 for an integer j: ranks, sums of ranks, integer data.
bool on_half_grid(std::span<const double> values, double min) {
  bool all = true;
  for (double v : values) {
    const double k = (v - min) * 2.0;
    all &= k == std::floor(k);
  }
  return all;
}

// sorted_order() for values on the half grid with 2 * range < 2^16: keys 2 (v - min) are exact
// 16-bit integers, sorted stably by two byte passes of an LSD radix sort.
std::vector<std::size_t> half_grid_order(std::span<const double> values, double min) {
  const std::size_t n = values.size();
  std::vector<std::uint16_t> key(n), key_tmp(n);
  std::vector<std::uint32_t> index(n), index_tmp(n);
  for (std::size_t i = 0; i < n; ++i) {
    key[i] = static_cast<std::uint16_t>((values[i] - min) * 2.0);
    index[i] = static_cast<std::uint32_t>(i);
  }
  for (int shift = 0; shift < 16; shift += 8) {
    std::size_t count[257] = {};
    for (std::size_t i = 0; i < n; ++i) ++count[((key[i] >> shift) & 0xff) + 1];
    for (int d = 0; d < 256; ++d) count[d + 1] += count[d];
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t at = count[(key[i] >> shift) & 0xff]++;
      key_tmp[at] = key[i];
      index_tmp[at] = index[i];
    }
    key.swap(key_tmp);
    index.swap(index_tmp);
  }
  return {index.begin(), index.end()};
}

// Indices in ascending order of value, ties in index order (a stable order), by a bucket sort:
// bucket b holds the values with floor((v - min) * B / (max - min)) = b, which is monotone in
// v (rounding is monotone), so the buckets are ordered. Values are scattered in index order and
// each bucket is sorted stably (insertion sort, or a stable comparison sort when a bucket is
// large: heavy ties or outliers). O(n) for the smooth values of an RDM column, several times
// faster than a comparison or byte-wise radix sort at RDM sizes; the order is the same.
// -0.0 and +0.0 compare equal, so they tie. The values must be finite.
std::vector<std::size_t> sorted_order(std::span<const double> values) {
  const std::size_t n = values.size();
  std::vector<std::size_t> order(n);
  if (n == 0) return order;
  const auto [min, max] = min_max(values);
  const double range = max - min;
  const std::size_t buckets = n;
  const double scale = static_cast<double>(buckets) / range;
  if (!(range > 0) || !std::isfinite(scale) || !std::isfinite(range)) {
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return values[a] < values[b]; });
    return order;
  }
  if (range < 32768.0 && on_half_grid(values, min)) return half_grid_order(values, min);
  std::vector<std::uint32_t> bucket_of(n), start(buckets + 1, 0);
  for (std::size_t i = 0; i < n; ++i) {
    const double x = (values[i] - min) * scale;
    bucket_of[i] = static_cast<std::uint32_t>(std::min(static_cast<double>(buckets - 1), x));
    ++start[bucket_of[i] + 1];
  }
  for (std::size_t b = 0; b < buckets; ++b) start[b + 1] += start[b];
  std::vector<std::uint32_t> fill(start.begin(), start.end() - 1);
  for (std::size_t i = 0; i < n; ++i) order[fill[bucket_of[i]]++] = i;
  const auto less = [&](std::size_t a, std::size_t b) { return values[a] < values[b]; };
  for (std::size_t b = 0; b < buckets; ++b) {
    const auto first = order.begin() + start[b], last = order.begin() + start[b + 1];
    if (last - first < 2) continue;
    if (last - first > 32) {
      std::stable_sort(first, last, less);
      continue;
    }
    for (auto it = first + 1; it != last; ++it) {  // stable insertion sort
      const std::size_t v = *it;
      auto hole = it;
      while (hole != first && less(v, *(hole - 1))) {
        *hole = *(hole - 1);
        --hole;
      }
      *hole = v;
    }
  }
  return order;
}
}  // namespace

std::vector<double> average_ranks(std::span<const double> values) {
  const std::size_t n = values.size();
  std::vector<double> ranks(n);
  if (n == 0) return ranks;
  const auto [min, max] = min_max(values);
  const double range = max - min;
  // Few distinct half-grid values (ranks themselves, small integers): a counting pass, no
  // sort. A value's average rank is (#smaller) + (#equal + 1) / 2.
  if (range < 2.0 * static_cast<double>(n) && on_half_grid(values, min)) {
    const auto bins = static_cast<std::size_t>(range * 2.0) + 1;
    std::vector<std::uint32_t> key(n), count(bins, 0), smaller(bins);
    for (std::size_t i = 0; i < n; ++i) ++count[key[i] = static_cast<std::uint32_t>((values[i] - min) * 2.0)];
    std::uint32_t below = 0;
    for (std::size_t k = 0; k < bins; ++k) {
      smaller[k] = below;
      below += count[k];
    }
    for (std::size_t i = 0; i < n; ++i)
      ranks[i] = static_cast<double>(smaller[key[i]]) + 0.5 * static_cast<double>(count[key[i]] + 1);
    return ranks;
  }
  const auto order = sorted_order(values);
  std::vector<double> sorted(n);
  for (std::size_t i = 0; i < n; ++i) sorted[i] = values[order[i]];
  std::size_t i = 0;
  while (i < n) {
    std::size_t j = i;
    while (j + 1 < n && sorted[j + 1] == sorted[i]) ++j;
    const double rank = 0.5 * static_cast<double>(i + j) + 1.0;  // mean of 1-based i+1..j+1
    for (std::size_t q = i; q <= j; ++q) ranks[order[q]] = rank;
    i = j + 1;
  }
  return ranks;
}

void rank_columns(Matrix<double>& m) {
  tbb::parallel_for(std::size_t{0}, m.cols(), [&](std::size_t t) {
    std::vector<double> column(m.rows());
    for (std::size_t p = 0; p < m.rows(); ++p) column[p] = m(p, t);
    const auto ranks = average_ranks(column);
    for (std::size_t p = 0; p < m.rows(); ++p) m(p, t) = ranks[p];
  });
}

std::vector<std::int32_t> dense_ranks(std::span<const double> values) {
  const auto order = sorted_order(values);
  std::vector<std::int32_t> ranks(values.size());
  std::int32_t rank = -1;
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (i == 0 || values[order[i]] != values[order[i - 1]]) ++rank;
    ranks[order[i]] = rank;
  }
  return ranks;
}

bool standardize(std::span<const double> values, std::span<double> out) {
  const double n = static_cast<double>(values.size());
  double mean = 0;
  for (double v : values) mean += v;
  mean /= n;
  double sumsq = 0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    out[i] = values[i] - mean;
    sumsq += out[i] * out[i];
  }
  if (!(sumsq > 0)) return false;
  // Constant up to rounding: the centred values are pure noise of the mean.
  const double scale = std::sqrt(sumsq);
  if (scale <= 1e-13 * std::sqrt(n) * std::max(1.0, std::fabs(mean))) return false;
  for (auto& v : out) v /= scale;
  return true;
}

std::int64_t tied_pairs(std::span<const double> values) {
  std::vector<double> sorted(values.begin(), values.end());
  std::sort(sorted.begin(), sorted.end());
  std::int64_t ties = 0;
  std::size_t i = 0;
  while (i < sorted.size()) {
    std::size_t j = i;
    while (j + 1 < sorted.size() && sorted[j + 1] == sorted[i]) ++j;
    const auto g = static_cast<std::int64_t>(j - i + 1);
    ties += g * (g - 1) / 2;
    i = j + 1;
  }
  return ties;
}

}  // namespace permrsa
