// <immintrin.h> for the int16 micro-tile translation units (spearman_int16_avx2.cpp and the
// AVX-512 ones), which are compiled with their own -march. Include it only from those.
#pragma once

#if defined(__x86_64__)
// GCC 12 reports a false -Wmaybe-uninitialized inside its own intrinsics headers (the undefined
// pass-through operand of _mm512_cvtepi32_epi64 and the extracts); not about this code.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <immintrin.h>

#include "kernels/spearman_int16_tile.hpp"
#endif
