// The across-subject statistic of one cell: mean, or the one-sample t of MNE's
// ttest_1samp_no_p (sigma = 0): mean / sqrt(var(ddof = 1) / N). Sums run in subject order.
#pragma once

#include <cmath>
#include <cstddef>
#include <limits>

namespace permrsa {

// x[0..n): the subjects' values (already sign-flipped or resampled). The t statistic is NaN
// (undefined) when the values have zero variance: all equal (tested exactly, since rounding
// leaves a tiny ss > 0 and a meaningless t of 1e15), e.g. a bootstrap sample that drew one
// subject N times.
inline double group_statistic(const double* x, std::size_t n, bool t_statistic) {
  double sum = 0;
  for (std::size_t i = 0; i < n; ++i) sum += x[i];
  const double count = static_cast<double>(n), mean = sum / count;
  if (!t_statistic) return mean;
  bool all_equal = true;
  for (std::size_t i = 1; i < n; ++i) all_equal = all_equal && x[i] == x[0];
  double ss = 0;
  for (std::size_t i = 0; i < n; ++i) ss += (x[i] - mean) * (x[i] - mean);
  if (all_equal || !(ss > 0)) return std::numeric_limits<double>::quiet_NaN();
  return mean / std::sqrt(ss / (count - 1) / count);
}

}  // namespace permrsa
