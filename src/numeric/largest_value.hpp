// The largest of n doubles, the value *std::max_element finds, in eight independent lanes so that
// the compiler vectorises the scan (a per-map maximum over every null map is on the hot path).
// NaNs are not expected (null maps are oriented, NaN -> +inf). A zero maximum falls back to
// std::max_element, so that which of -0.0 and +0.0 comes back does not depend on the lanes.
#pragma once

#include <algorithm>
#include <cstddef>

namespace permrsa {

inline double largest_value(const double* v, std::size_t n) {
  constexpr std::size_t kLanes = 8;
  if (n < kLanes) return *std::max_element(v, v + n);
  double lane[kLanes];
  std::copy_n(v, kLanes, lane);
  std::size_t i = kLanes;
  for (; i + kLanes <= n; i += kLanes)
    for (std::size_t j = 0; j < kLanes; ++j) lane[j] = v[i + j] > lane[j] ? v[i + j] : lane[j];
  double best = *std::max_element(lane, lane + kLanes);
  for (; i < n; ++i) best = v[i] > best ? v[i] : best;
  return best == 0.0 ? *std::max_element(v, v + n) : best;
}

}  // namespace permrsa
