// What the two AVX-512 int16 micro-tiles share (spearman_int16_avx512bw.cpp and
// spearman_int16_avx512vnni.cpp): the 12 x 32 tile of 24 named int32 accumulators and their flush
// to int64. Include it only from those translation units, which are compiled for AVX-512; every
// function here has internal linkage, so each unit keeps its own copy, built with its own
// instruction set.
#pragma once

#if defined(__x86_64__)
#include "kernels/spearman_int16_intrinsics.hpp"

namespace permrsa::int16_tile {

static_assert(kRows == 12 && kTimes == 32, "the named accumulators are a 12 x 32 tile");

// 16 int32 sums of one chunk, sign-extended and added to 16 int64 totals.
static inline void flush512(__m512i c, std::int64_t* o) {
  const __m512i lo = _mm512_cvtepi32_epi64(_mm512_castsi512_si256(c));
  const __m512i hi = _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(c, 1));
  _mm512_storeu_si512(o, _mm512_add_epi64(_mm512_loadu_si512(o), lo));
  _mm512_storeu_si512(o + 8, _mm512_add_epi64(_mm512_loadu_si512(o + 8), hi));
}

// `chunk_pass(a, b, s0, s1, out)` over steps [0, steps) in chunks of at most `chunk` steps.
template <class ChunkPass>
static inline void pass_in_chunks(ChunkPass chunk_pass, const std::int16_t* a,
                                  const std::int16_t* b, std::size_t steps, std::size_t chunk,
                                  std::int64_t* out) {
  for (std::size_t s0 = 0; s0 < steps; s0 += chunk)
    chunk_pass(a, b, s0, steps - s0 < chunk ? steps : s0 + chunk, out);
}

}  // namespace permrsa::int16_tile

// The 24 accumulators c<row><vector> are named, because GCC 12 spills an array of them (and even
// named ones, to the stack inside the loop, unless the step is inline assembly).
#define PERMRSA_DECLARE(r) __m512i c##r##0 = _mm512_setzero_si512(), c##r##1 = c##r##0;
#define PERMRSA_FLUSH(r)               \
  flush512(c##r##0, out + (r)*kTimes); \
  flush512(c##r##1, out + (r)*kTimes + 16);
#define PERMRSA_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
#endif
