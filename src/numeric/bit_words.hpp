// 64 cells' compares packed into one word, bit i for cell i: the pass masks of the null's
// cluster labelling (core/max_cluster.cpp) and the kept-cell masks of the map cache
// (core/map_cache.cpp), and the cells whose value enters the top values (core/cell_thresholds.hpp).
// A whole word takes eight AVX-512 compares, each of which yields its
// eight bits at once; a shorter word, or a build without AVX-512, compares cell by cell. Both
// compare the same way (ordered: a NaN compares false), so the bits never depend on the path.
#pragma once

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include <bit>
#include <cstddef>
#include <cstdint>

namespace permrsa {

inline constexpr std::size_t kWordCells = 64;

// Words for `cells` cells.
inline std::size_t words_for(std::size_t cells) {
  return (cells + kWordCells - 1) / kWordCells;
}

// Bit i: a[i] > b[i], for i < n <= 64.
inline std::uint64_t greater_bits(const double* a, const double* b, std::size_t n) {
#if defined(__AVX512F__)
  if (n == kWordCells) {
    std::uint64_t bits = 0;
    for (std::size_t k = 0; k < kWordCells; k += 8)
      bits |= static_cast<std::uint64_t>(
                  _mm512_cmp_pd_mask(_mm512_loadu_pd(a + k), _mm512_loadu_pd(b + k), _CMP_GT_OQ))
              << k;
    return bits;
  }
#endif
  std::uint64_t bits = 0;
  for (std::size_t i = 0; i < n; ++i) bits |= static_cast<std::uint64_t>(a[i] > b[i]) << i;
  return bits;
}

// Bit i: a[i] < 0, for i < n <= 64.
inline std::uint64_t negative_bits(const double* a, std::size_t n) {
#if defined(__AVX512F__)
  if (n == kWordCells) {
    std::uint64_t bits = 0;
    for (std::size_t k = 0; k < kWordCells; k += 8)
      bits |= static_cast<std::uint64_t>(
                  _mm512_cmp_pd_mask(_mm512_loadu_pd(a + k), _mm512_setzero_pd(), _CMP_LT_OQ))
              << k;
    return bits;
  }
#endif
  std::uint64_t bits = 0;
  for (std::size_t i = 0; i < n; ++i) bits |= static_cast<std::uint64_t>(a[i] < 0) << i;
  return bits;
}

// The low n <= 64 bits set.
inline std::uint64_t low_bits(std::size_t n) {
  return n >= kWordCells ? ~std::uint64_t{0} : (std::uint64_t{1} << n) - 1;
}

// The bits of word w that stand for cells of the `cells` (all 64 but in a last, partial word).
inline std::uint64_t cells_of_word(std::size_t w, std::size_t cells) {
  return low_bits(cells - w * kWordCells);
}

// Bit i: a[i] != 0, for i < n <= 64 (one AVX-512BW test for a whole word).
inline std::uint64_t nonzero_bits(const std::uint8_t* a, std::size_t n) {
#if defined(__AVX512BW__)
  if (n == kWordCells) {
    const __m512i bytes = _mm512_loadu_si512(a);
    return _mm512_test_epi8_mask(bytes, bytes);
  }
#endif
  std::uint64_t bits = 0;
  for (std::size_t i = 0; i < n; ++i) bits |= static_cast<std::uint64_t>(a[i] != 0) << i;
  return bits;
}

// visit(c) for every cell c whose bit is set in mask[0 .. words), in increasing order: the walk
// that packs a map's kept cells into the map cache, unpacks them, and decodes them.
template <class Visit>
void for_each_set_cell(const std::uint64_t* mask, std::size_t words, Visit&& visit) {
  for (std::size_t w = 0; w < words; ++w)
    for (std::uint64_t bits = mask[w]; bits != 0; bits &= bits - 1)
      visit(w * kWordCells + static_cast<std::size_t>(std::countr_zero(bits)));
}

}  // namespace permrsa
