// The signed sums of the sign-flip kernel (kernels/sign_flip_kernel.hpp) over one 64-cell tile:
// sum[c] = sum_i sign[i] * maps[i * 64 + c], subjects i in order. Each sign is +-1, so every
// product is exact and a fused multiply-add rounds exactly as the unfused sum does; this file is
// compiled with fusing on (the kernel's epilogue, in sign_flip_kernel.cpp, is not).
#pragma once

#include <cstddef>

namespace permrsa {

inline constexpr std::size_t kSignedTileCells = 64;

// One pattern: sign[0 .. subjects) against the tile.
void signed_tile_sum(const double* sign, const double* maps, std::size_t subjects, double* sum);

// Two patterns over one pass of the tile (each tile row loaded once for both): sum_a from
// sign_a, sum_b from sign_b, each bit for bit what signed_tile_sum gives.
void signed_tile_sum_pair(const double* sign_a, const double* sign_b, const double* maps,
                          std::size_t subjects, double* sum_a, double* sum_b);

}  // namespace permrsa
