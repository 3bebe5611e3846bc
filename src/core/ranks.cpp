#include "core/ranks.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>

namespace permrsa {
namespace {
// Indices in ascending order of value, ties in index order (a stable order). Sorting
// (value, index) pairs with std::sort gives the same order, several times faster than a
// stable sort of indices through a comparator.
std::vector<std::size_t> sorted_order(std::span<const double> values) {
  std::vector<std::pair<double, std::uint32_t>> keyed(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) keyed[i] = {values[i], static_cast<std::uint32_t>(i)};
  std::sort(keyed.begin(), keyed.end());
  std::vector<std::size_t> order(values.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = keyed[i].second;
  return order;
}
}  // namespace

std::vector<double> average_ranks(std::span<const double> values) {
  const auto order = sorted_order(values);
  std::vector<double> ranks(values.size());
  std::size_t i = 0;
  while (i < order.size()) {
    std::size_t j = i;
    while (j + 1 < order.size() && values[order[j + 1]] == values[order[i]]) ++j;
    const double rank = 0.5 * static_cast<double>(i + j) + 1.0;  // mean of 1-based i+1..j+1
    for (std::size_t q = i; q <= j; ++q) ranks[order[q]] = rank;
    i = j + 1;
  }
  return ranks;
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
