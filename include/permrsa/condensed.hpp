// Condensed RDM indexing: the upper triangle, row-major, as scipy.spatial.distance.squareform:
// (0,1),(0,2),...,(0,S-1),(1,2),...,(S-2,S-1).
#pragma once

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

// S such that S(S-1)/2 == pairs, or nothing when pairs is not triangular.
inline std::optional<std::size_t> stimuli_for_pairs(std::size_t pairs) {
  std::size_t s = 2;
  while (pair_count(s) < pairs) ++s;
  if (pair_count(s) != pairs) return std::nullopt;
  return s;
}

}  // namespace permrsa
