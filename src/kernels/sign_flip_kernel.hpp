// The group statistic of every cell under a batch of sign-flip patterns (the sign-flip scheme's
// null maps). For pattern b the flipped subjects' sum is S = sum_i sign_bi r_i, added in one fixed
// order (kernels/signed_tile_sums.hpp): the subjects in consecutive groups of four, each group's
// in-order partial sum looked up in a table of its 8 sign patterns, the groups' sums added in
// order. The tables are made once, tile by tile, so that a tile's table (N = 23: 44 rows of 64
// cells, 22 KiB) stays in cache while all patterns of the batch pass over it. Multiplying by +-1
// is exact, so every cell's sum is the same whatever the tiling, batch or thread. The t statistic
// takes one pass: sum_i (s_i r_i)^2 = Q does not change under flips, so ss = Q - S^2 / N (as
// MNE's permutation loop computes it too). Negating every sign negates S exactly and leaves ss
// unchanged, so opposite patterns give exactly opposite statistics.
//
// Work per pattern and cell: ceil(N / 4) fused multiply-adds (the signed sum) + 6 FLOP (t), so
// the t epilogue's square root and division (the divider) bound the kernel.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "permrsa/statistics.hpp"

namespace permrsa {

class SignFlipKernel {
 public:
  // maps: N x cells (subject-major), the per-subject statistics of the identity permutation.
  SignFlipKernel(std::span<const double> maps, std::size_t subjects, std::size_t cells);
  std::size_t subjects() const { return subjects_; }
  std::size_t cells() const { return cells_; }
  // signs: count x N patterns of +-1; out: count x cells, the one-sample t (mean / sqrt(var
  // (ddof = 1) / N)) when `t`, else the mean. `oriented` (count x cells) receives the same values
  // tail-oriented, null_oriented(out, tail) of numeric/tail.hpp, in the same pass: a second pass
  // over the batch re-read it from memory (11% of a sign-flip run).
  void compute(std::span<const double> signs, std::size_t count, bool t, Tail tail,
               std::span<double> out, std::span<double> oriented) const;

 private:
  template <Tail tail>
  void compute_for(std::span<const double> signs, std::size_t count, bool t, std::span<double> out,
                   std::span<double> oriented) const;
  static constexpr std::size_t kTile = 64;  // cells per tile (8 AVX-512 vectors)
  std::size_t subjects_, cells_, tiles_, groups_;
  std::vector<std::uint32_t> group_row_;  // the first table row of each subject group
  std::size_t rows_ = 0;                  // table rows per tile
  std::vector<double> table_;             // tiles x rows_ x kTile, zero padded
  std::vector<double> square_sum_;        // Q per cell, subjects in order
};

}  // namespace permrsa
