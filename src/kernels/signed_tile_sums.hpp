// The signed sums of the sign-flip kernel (kernels/sign_flip_kernel.hpp) over one 64-cell tile,
// from tables of the subjects' partial sums ("four Russians"): the subjects are split into
// consecutive groups of kSignGroupSize, and for every group the tile holds its in-order sum
// e = ((0 + x_first) + s_1 x_1) + ... for each sign pattern of the group's later subjects (the
// group's first subject +1). A pattern's sum is then, groups in order,
//   S = ((0 + g_0 e_0) + g_1 e_1) + ...,   g_j = the sign of group j's first subject,
// kSignGroups(N) fused multiply-adds per cell instead of N. Each g_j is +-1, so every product is
// exact, a fused multiply-add rounds exactly as the unfused add does, and the opposite pattern
// gives exactly -S.
#pragma once

#include <cstddef>
#include <cstdint>

namespace permrsa {

inline constexpr std::size_t kSignedTileCells = 64;
inline constexpr std::size_t kSignGroupSize = 4;

// Subjects in group j of `subjects` (kSignGroupSize, fewer in the last group).
inline std::size_t sign_group_size(std::size_t subjects, std::size_t group) {
  const std::size_t first = group * kSignGroupSize;
  return subjects - first < kSignGroupSize ? subjects - first : kSignGroupSize;
}

// Rows of a tile's table (one row: kSignedTileCells doubles) that group j of `subjects` spans:
// 2^(size - 1) sign patterns of its later subjects.
inline std::size_t sign_group_rows(std::size_t subjects, std::size_t group) {
  return std::size_t{1} << (sign_group_size(subjects, group) - 1);
}

// One pattern: group j's table row is table + row[j] * kSignedTileCells, taken with sign[j].
void grouped_tile_sum(const double* sign, const std::uint32_t* row, std::size_t groups,
                      const double* table, double* sum);

}  // namespace permrsa
