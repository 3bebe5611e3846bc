// Bit planes of pairwise comparisons, and their AND/XOR/popcount tiles: the building blocks of
// the bit-parallel Kendall kernel (kendall_kernel.cpp).
//
// For a vector v of n values, the strict upper triangle of its comparison matrix, row-major
// ((0,1),(0,2),...,(0,n-1),(1,2),...,(n-2,n-1), the condensed order), gives one bit stream per
// plane:
//   sign    bit (p, q) = v_p > v_q
//   nonzero bit (p, q) = v_p != v_q
// Bit k of a stream is word k / 64, bit k % 64. Bits past the triangle are 0 in both planes.
//
// For two such vectors x and y, with d = x.sign XOR y.sign:
//   discordant pairs  D = popcount(x.nonzero AND y.nonzero AND d)
//   untied pairs      J = popcount(x.nonzero AND y.nonzero)   (= n0 - n1 - n2 + n3)
// and C - D = J - 2D. When one side has no ties its nonzero plane is all ones, so the other
// side's plane alone masks d (and J = n0 - n1 - n2); with no ties at all D = popcount(d).
// All counts are exact integers, so the result does not depend on how the words are split.
#pragma once

#include <cstddef>
#include <cstdint>

namespace permrsa {

// Which nonzero planes take part: the side(s) that have ties.
enum class TieMask { none, model, brain, both };

// Instruction path: AVX-512 (F, BW, VPOPCNTDQ) when the CPU has it, else portable scalar code
// (__builtin_popcountll). Both give the same integers.
enum class PopcountPath { portable, avx512 };

// True when the running CPU supports the AVX-512 path (checked at run time).
bool cpu_has_avx512_popcount();

// Position (p, q), p < q, in the strict upper triangle.
struct TrianglePos {
  std::size_t p = 0, q = 1;
};

// The triangle position of condensed index k for n values.
TrianglePos triangle_pos(std::size_t n, std::uint64_t k);

// Writes `bits` consecutive bits of both planes, starting at triangle position `start`, into
// sign[0..words) and (unless nonzero == nullptr) nonzero[0..words); the words are zeroed first,
// and words * 64 >= bits. v must be readable up to v[n + 63] (vector loads; the excess is
// masked off). v holds dense ranks, so comparing them equals comparing the values.
void comparison_bits(PopcountPath path, const std::int16_t* v, std::size_t n, TrianglePos start,
                     std::uint64_t bits, std::size_t words, std::uint64_t* sign,
                     std::uint64_t* nonzero);

// One tile of up to 4 model rows x 4 brain columns over `words` words (a multiple of 8). Rows or
// columns beyond the tile's own may repeat a valid pointer: their counts are written anyway.
struct TileInput {
  const std::uint64_t* x_sign[4];
  const std::uint64_t* x_nonzero[4];  // read for TieMask::model and both
  const std::uint64_t* y_sign[4];
  const std::uint64_t* y_nonzero[4];  // read for TieMask::brain and both
};

// Adds D to discordant[4 * i + j] and, for TieMask::both only, J to untied[4 * i + j].
// Work per call: 16 cells x words/8 vectors of (1-2 logic ops, 1-2 popcounts, 1-2 adds); bytes
// read: 8 * words * (4 + 4) per plane in use.
void tile_counts(PopcountPath path, TieMask mask, const TileInput& in, std::size_t words,
                 std::int64_t* discordant, std::int64_t* untied);

}  // namespace permrsa
