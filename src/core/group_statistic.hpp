// The across-subject statistic of one cell: mean, or the one-sample t of MNE's
// ttest_1samp_no_p (sigma = 0): mean / sqrt(var(ddof = 1) / N). Sums run in subject order.
#pragma once

#include <cmath>
#include <cstddef>

namespace permrsa {

// x[0..n): the subjects' values (already sign-flipped or resampled).
inline double group_statistic(const double* x, std::size_t n, bool t_statistic) {
  double sum = 0;
  for (std::size_t i = 0; i < n; ++i) sum += x[i];
  const double count = static_cast<double>(n), mean = sum / count;
  if (!t_statistic) return mean;
  double ss = 0;
  for (std::size_t i = 0; i < n; ++i) ss += (x[i] - mean) * (x[i] - mean);
  return mean / std::sqrt(ss / (count - 1) / count);
}

}  // namespace permrsa
