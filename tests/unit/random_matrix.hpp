// Random matrices for the kernel tests: standard normal values from std::mt19937(seed), rounded
// to multiples of `grid` when grid > 0, so that both sides of a correlation have ties on purpose.
#pragma once

#include <cmath>
#include <cstddef>
#include <random>

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

}  // namespace permrsa
