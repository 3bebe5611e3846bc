// Condensed RDM indexing: the upper triangle, row-major, as scipy.spatial.distance.squareform:
// (0,1),(0,2),...,(0,S-1),(1,2),...,(S-2,S-1).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <optional>

namespace permrsa {

inline constexpr std::size_t pair_count(std::size_t stimuli) {
  return stimuli * (stimuli - 1) / 2;
}

// Index of pair (i, j), i != j, in the condensed vector of an S-stimulus RDM.
inline constexpr std::size_t pair_index(std::size_t i, std::size_t j, std::size_t stimuli) {
  if (i > j) {
    const std::size_t t = i;
    i = j;
    j = t;
  }
  // Pairs before row i: sum_{r<i} (S-1-r) = i*S - i*(i+1)/2.
  return i * stimuli - i * (i + 1) / 2 + (j - i - 1);
}

// S such that S(S-1)/2 == pairs, or nothing when pairs is not triangular. From the closed form
// S = (1 + sqrt(1 + 8 P)) / 2, checked exactly around its rounding: a count from a file header
// may be near 2^64, where counting S up would take billions of steps (and S(S-1) overflow).
inline std::optional<std::size_t> stimuli_for_pairs(std::size_t pairs) {
  const double estimate =
      std::floor((1.0 + std::sqrt(1.0 + 8.0 * static_cast<double>(pairs))) / 2.0);
  constexpr double largest = 4294967296.0;  // 2^32: beyond it S(S-1) overflows 64 bits
  for (double guess = std::max(2.0, estimate - 2.0); guess <= std::min(estimate + 2.0, largest);
       ++guess) {
    const auto s = static_cast<std::size_t>(guess);
    if (pair_count(s) == pairs) return s;
  }
  return std::nullopt;
}

}  // namespace permrsa
