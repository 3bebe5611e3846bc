// Random inputs for the kernel tests: matrices of standard normal values from std::mt19937(seed),
// rounded to multiples of `grid` when grid > 0, so that both sides of a correlation have ties on
// purpose; and batches of random pair permutations (gathers).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

#include "permrsa/matrix.hpp"

namespace permrsa {

inline Matrix<double> random_matrix(std::size_t rows, std::size_t cols, unsigned seed,
                                    double grid = 0.0) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> normal;
  Matrix<double> m(rows, cols);
  for (auto& v : m.values()) v = grid > 0 ? std::round(normal(rng) / grid) * grid : normal(rng);
  return m;
}

// `batch` gathers of the pairs 0..P-1: row 0 the identity (the observed data), the others random
// permutations from std::mt19937(seed).
inline std::vector<std::uint32_t> random_gathers(std::size_t pairs, std::size_t batch,
                                                 unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<std::uint32_t> g(batch * pairs);
  for (std::size_t b = 0; b < batch; ++b) {
    auto first = g.begin() + static_cast<std::ptrdiff_t>(b * pairs);
    std::iota(first, first + static_cast<std::ptrdiff_t>(pairs), 0u);
    if (b > 0) std::shuffle(first, first + static_cast<std::ptrdiff_t>(pairs), rng);
  }
  return g;
}

}  // namespace permrsa
