// Kendall's tau from exact pair counts: the one floating-point expression that every Kendall
// kernel ends with, so that kernels which count the same integers give the same bits.
//
// n0 = P(P-1)/2 pairs, n1 = tied pairs of the model, n2 = tied pairs of the brain column, and
// con_minus_dis = n_c - n_d. As in scipy.stats.kendalltau (1.10):
//   tau_b = (n_c - n_d) / sqrt(n0 - n1) / sqrt(n0 - n2),  clipped to [-1, 1];
//   tau_a = (n_c - n_d) / n0.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace permrsa {

inline double kendall_tau(bool tau_b, std::int64_t n0, std::int64_t model_ties,
                          std::int64_t brain_ties, std::int64_t con_minus_dis) {
  if (!tau_b) return static_cast<double>(con_minus_dis) / static_cast<double>(n0);
  const double tau = static_cast<double>(con_minus_dis) /
                     std::sqrt(static_cast<double>(n0 - model_ties)) /
                     std::sqrt(static_cast<double>(n0 - brain_ties));
  return std::min(1.0, std::max(-1.0, tau));
}

}  // namespace permrsa
