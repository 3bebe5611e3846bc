// The exact int16 Spearman micro-tile with AVX2: vpmaddwd + vpaddd per 8 outputs and two pairs.
// Built with -march=x86-64-v3 (src/CMakeLists.txt); the path for CPUs without AVX-512.
//
// 16 ymm registers cannot hold the 12 x 32 tile (48 accumulators), so it is done as four
// sub-tiles of 6 rows x 16 times: 12 accumulators + 2 brain vectors + a broadcast and a product.
// Per step and sub-tile: 2 loads of 32 bytes, 12 vpmaddwd and 12 vpaddd (384 flop).
#if defined(__x86_64__)
#include "kernels/spearman_int16_intrinsics.hpp"

namespace permrsa::int16_tile {
namespace {

constexpr std::size_t kSubRows = 6;  // rows per sub-tile (PERMRSA_ROWS below)

// The int32 sums of one chunk, sign-extended and added to 8 int64 totals.
inline void flush(__m256i c, std::int64_t* o) {
  auto* v = reinterpret_cast<__m256i*>(o);
  const __m256i lo = _mm256_cvtepi32_epi64(_mm256_castsi256_si128(c));
  const __m256i hi = _mm256_cvtepi32_epi64(_mm256_extracti128_si256(c, 1));
  _mm256_storeu_si256(v, _mm256_add_epi64(_mm256_loadu_si256(v), lo));
  _mm256_storeu_si256(v + 1, _mm256_add_epi64(_mm256_loadu_si256(v + 1), hi));
}

// One chunk of a sub-tile: steps [s0, s1) in int32, added to out. The step is inline assembly
// because GCC 12 spills the 12 accumulators otherwise (12 + 2 brain vectors + 2 temporaries
// use all 16 ymm registers).
void chunk_pass(const std::int16_t* a, const std::int16_t* b, std::size_t s0, std::size_t s1,
                std::int64_t* out) {
#define PERMRSA_DECLARE(r) __m256i c##r##0 = _mm256_setzero_si256(), c##r##1 = c##r##0;
#define PERMRSA_FLUSH(r)            \
  flush(c##r##0, out + (r)*kTimes); \
  flush(c##r##1, out + (r)*kTimes + 8);
#define PERMRSA_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5)
  PERMRSA_ROWS(PERMRSA_DECLARE)
  for (std::size_t s = s0; s < s1; ++s) {
    const std::int16_t* bs = b + s * 2 * kTimes;
    const __m256i b0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(bs));
    const __m256i b1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(bs + 16));
    const std::int16_t* as = a + s * 2 * kRows;
    __m256i t0, t1;
    // clang-format off
    asm("vpbroadcastd 0(%[a]), %[t0]\n\t"
        "vpmaddwd %[t0], %[b0], %[t1]\n\t"
        "vpaddd %[t1], %[c00], %[c00]\n\t"
        "vpmaddwd %[t0], %[b1], %[t1]\n\t"
        "vpaddd %[t1], %[c01], %[c01]\n\t"
        "vpbroadcastd 4(%[a]), %[t0]\n\t"
        "vpmaddwd %[t0], %[b0], %[t1]\n\t"
        "vpaddd %[t1], %[c10], %[c10]\n\t"
        "vpmaddwd %[t0], %[b1], %[t1]\n\t"
        "vpaddd %[t1], %[c11], %[c11]\n\t"
        "vpbroadcastd 8(%[a]), %[t0]\n\t"
        "vpmaddwd %[t0], %[b0], %[t1]\n\t"
        "vpaddd %[t1], %[c20], %[c20]\n\t"
        "vpmaddwd %[t0], %[b1], %[t1]\n\t"
        "vpaddd %[t1], %[c21], %[c21]\n\t"
        "vpbroadcastd 12(%[a]), %[t0]\n\t"
        "vpmaddwd %[t0], %[b0], %[t1]\n\t"
        "vpaddd %[t1], %[c30], %[c30]\n\t"
        "vpmaddwd %[t0], %[b1], %[t1]\n\t"
        "vpaddd %[t1], %[c31], %[c31]\n\t"
        "vpbroadcastd 16(%[a]), %[t0]\n\t"
        "vpmaddwd %[t0], %[b0], %[t1]\n\t"
        "vpaddd %[t1], %[c40], %[c40]\n\t"
        "vpmaddwd %[t0], %[b1], %[t1]\n\t"
        "vpaddd %[t1], %[c41], %[c41]\n\t"
        "vpbroadcastd 20(%[a]), %[t0]\n\t"
        "vpmaddwd %[t0], %[b0], %[t1]\n\t"
        "vpaddd %[t1], %[c50], %[c50]\n\t"
        "vpmaddwd %[t0], %[b1], %[t1]\n\t"
        "vpaddd %[t1], %[c51], %[c51]\n\t"
        : [c00] "+x"(c00), [c01] "+x"(c01), [c10] "+x"(c10), [c11] "+x"(c11), [c20] "+x"(c20), [c21] "+x"(c21), [c30] "+x"(c30), [c31] "+x"(c31), [c40] "+x"(c40), [c41] "+x"(c41), [c50] "+x"(c50), [c51] "+x"(c51), [t0] "=&x"(t0), [t1] "=&x"(t1)
        : [a] "r"(as), [b0] "x"(b0), [b1] "x"(b1)
        : "memory");
    // clang-format on
  }
  PERMRSA_ROWS(PERMRSA_FLUSH)
#undef PERMRSA_ROWS
#undef PERMRSA_DECLARE
#undef PERMRSA_FLUSH
}

void sub_tile(const std::int16_t* a, const std::int16_t* b, std::size_t steps, std::size_t chunk,
              std::int64_t* out) {
  for (std::size_t s0 = 0; s0 < steps; s0 += chunk)
    chunk_pass(a, b, s0, steps - s0 < chunk ? steps : s0 + chunk, out);
}

}  // namespace

void pass_avx2(const std::int16_t* a, const std::int16_t* b, std::size_t steps, std::size_t chunk,
               std::int64_t* out) {
  // Sub-tile (rows 6h.., times 16v..): a and b start at the sub-tile's first row and time, the
  // strides stay those of the whole tile.
  for (std::size_t h = 0; h < kRows / kSubRows; ++h)
    for (std::size_t v = 0; v < kTimes / 16; ++v)
      sub_tile(a + 2 * kSubRows * h, b + 2 * 16 * v, steps, chunk,
               out + kSubRows * h * kTimes + 16 * v);
}

}  // namespace permrsa::int16_tile
#endif
