#include "kernels/kendall_bits.hpp"

#include <algorithm>

#if defined(__x86_64__)
#include <immintrin.h>
// Compiled for AVX-512 whatever -march says, and only called after cpu_has_avx512_popcount().
#define PERMRSA_AVX512_POPCOUNT __attribute__((target("avx512f,avx512bw,avx512vpopcntdq")))
#endif

namespace permrsa {
namespace {

// ORs the low `count` bits of m into the stream at bit `offset` (m has no bits above count).
inline void put_bits(std::uint64_t* words, std::uint64_t offset, std::uint64_t m,
                     std::size_t count) {
  const std::size_t w = offset >> 6;
  const unsigned shift = offset & 63u;
  words[w] |= m << shift;
  if (shift != 0 && shift + count > 64) words[w + 1] |= m >> (64u - shift);
}

inline std::uint64_t low_bits(std::size_t count) {
  return count >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << count) - 1;
}

void emit_row_portable(std::int16_t pivot, const std::int16_t* w, std::size_t count,
                       std::uint64_t offset, std::uint64_t* sign, std::uint64_t* nonzero) {
  for (std::size_t j = 0; j < count; j += 64) {
    const std::size_t n = std::min<std::size_t>(64, count - j);
    std::uint64_t gt = 0, ne = 0;
    for (std::size_t i = 0; i < n; ++i) {
      gt |= static_cast<std::uint64_t>(pivot > w[j + i]) << i;
      ne |= static_cast<std::uint64_t>(pivot != w[j + i]) << i;
    }
    put_bits(sign, offset + j, gt, n);
    if (nonzero != nullptr) put_bits(nonzero, offset + j, ne, n);
  }
}

template <TieMask M>
void tile_portable(const TileInput& in, std::size_t words, std::int64_t* discordant,
                   std::int64_t* untied) {
  for (int i = 0; i < 4; ++i)
    for (int c = 0; c < 4; ++c) {
      const std::uint64_t *xs = in.x_sign[i], *ys = in.y_sign[c];
      const std::uint64_t *xn = in.x_nonzero[i], *yn = in.y_nonzero[c];
      std::int64_t d = 0, u = 0;
      for (std::size_t w = 0; w < words; ++w) {
        const std::uint64_t differ = xs[w] ^ ys[w];
        if constexpr (M == TieMask::none) {
          d += __builtin_popcountll(differ);
        } else if constexpr (M == TieMask::model) {
          d += __builtin_popcountll(xn[w] & differ);
        } else if constexpr (M == TieMask::brain) {
          d += __builtin_popcountll(yn[w] & differ);
        } else {
          const std::uint64_t both = xn[w] & yn[w];
          d += __builtin_popcountll(both & differ);
          u += __builtin_popcountll(both);
        }
      }
      discordant[4 * i + c] += d;
      if constexpr (M == TieMask::both) untied[4 * i + c] += u;
    }
}

#if defined(__x86_64__)

PERMRSA_AVX512_POPCOUNT void emit_row_avx512(std::int16_t pivot, const std::int16_t* w,
                                             std::size_t count, std::uint64_t offset,
                                             std::uint64_t* sign, std::uint64_t* nonzero) {
  const __m512i pv = _mm512_set1_epi16(pivot);
  for (std::size_t j = 0; j < count; j += 64) {
    const __m512i lo = _mm512_loadu_si512(w + j);
    const __m512i hi = _mm512_loadu_si512(w + j + 32);
    const std::size_t n = std::min<std::size_t>(64, count - j);
    const std::uint64_t keep = low_bits(n);
    const std::uint64_t gt = (static_cast<std::uint64_t>(_mm512_cmpgt_epi16_mask(pv, lo)) |
                              static_cast<std::uint64_t>(_mm512_cmpgt_epi16_mask(pv, hi)) << 32) &
                             keep;
    put_bits(sign, offset + j, gt, n);
    if (nonzero != nullptr) {
      const std::uint64_t ne =
          (static_cast<std::uint64_t>(_mm512_cmpneq_epi16_mask(pv, lo)) |
           static_cast<std::uint64_t>(_mm512_cmpneq_epi16_mask(pv, hi)) << 32) &
          keep;
      put_bits(nonzero, offset + j, ne, n);
    }
  }
}

// The sum of the 8 lanes (GCC 12's _mm512_reduce_add_epi64 trips -Werror=uninitialized).
PERMRSA_AVX512_POPCOUNT inline std::int64_t lane_sum(__m512i v) {
  alignas(64) std::int64_t lanes[8];
  _mm512_store_si512(lanes, v);
  std::int64_t sum = 0;
  for (std::int64_t lane : lanes) sum += lane;
  return sum;
}

// x AND (y XOR z) in one instruction: the truth table of A & (B ^ C) is 0xF0 & (0xCC ^ 0xAA).
constexpr int kAndXor = 0xF0 & (0xCC ^ 0xAA);

// Columns c0..c0+NC of a 4-row tile. Per 8-word step: 4 + NC loads per plane, 4 * NC cells of
// (1-2 logic ops, 1-2 vpopcntq, 1-2 vpaddq). Accumulators stay in registers (4 * NC or 8 * NC).
template <TieMask M, int C0, int NC>
PERMRSA_AVX512_POPCOUNT void tile_avx512_columns(const TileInput& in, std::size_t words,
                                                 std::int64_t* discordant, std::int64_t* untied) {
  constexpr bool kRowMask = M == TieMask::model || M == TieMask::both;
  constexpr bool kColMask = M == TieMask::brain || M == TieMask::both;
  __m512i acc_d[4][NC], acc_u[4][NC];
#pragma GCC unroll 4
  for (int i = 0; i < 4; ++i)
#pragma GCC unroll 4
    for (int c = 0; c < NC; ++c) acc_d[i][c] = acc_u[i][c] = _mm512_setzero_si512();
  for (std::size_t w = 0; w < words; w += 8) {
    __m512i xs[4], xn[4], ys[NC], yn[NC];
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i) {
      xs[i] = _mm512_loadu_si512(in.x_sign[i] + w);
      if constexpr (kRowMask) xn[i] = _mm512_loadu_si512(in.x_nonzero[i] + w);
    }
#pragma GCC unroll 4
    for (int c = 0; c < NC; ++c) {
      ys[c] = _mm512_loadu_si512(in.y_sign[C0 + c] + w);
      if constexpr (kColMask) yn[c] = _mm512_loadu_si512(in.y_nonzero[C0 + c] + w);
    }
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i)
#pragma GCC unroll 4
      for (int c = 0; c < NC; ++c) {
        __m512i d;
        if constexpr (M == TieMask::none) {
          d = _mm512_xor_si512(xs[i], ys[c]);
        } else if constexpr (M == TieMask::model) {
          d = _mm512_ternarylogic_epi64(xn[i], xs[i], ys[c], kAndXor);
        } else if constexpr (M == TieMask::brain) {
          d = _mm512_ternarylogic_epi64(yn[c], xs[i], ys[c], kAndXor);
        } else {
          const __m512i both = _mm512_and_si512(xn[i], yn[c]);
          d = _mm512_ternarylogic_epi64(both, xs[i], ys[c], kAndXor);
          acc_u[i][c] = _mm512_add_epi64(acc_u[i][c], _mm512_popcnt_epi64(both));
        }
        acc_d[i][c] = _mm512_add_epi64(acc_d[i][c], _mm512_popcnt_epi64(d));
      }
  }
  for (int i = 0; i < 4; ++i)
    for (int c = 0; c < NC; ++c) {
      discordant[4 * i + C0 + c] += lane_sum(acc_d[i][c]);
      if constexpr (M == TieMask::both) untied[4 * i + C0 + c] += lane_sum(acc_u[i][c]);
    }
}

template <TieMask M>
PERMRSA_AVX512_POPCOUNT void tile_avx512(const TileInput& in, std::size_t words,
                                         std::int64_t* discordant, std::int64_t* untied) {
  if constexpr (M == TieMask::both) {
    // Two count planes need twice the accumulators: two 4 x 2 halves fit the 32 registers.
    tile_avx512_columns<M, 0, 2>(in, words, discordant, untied);
    tile_avx512_columns<M, 2, 2>(in, words, discordant, untied);
  } else {
    tile_avx512_columns<M, 0, 4>(in, words, discordant, untied);
  }
}

#endif

}  // namespace

bool cpu_has_avx512_popcount() {
#if defined(__x86_64__)
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vpopcntdq");
#else
  return false;
#endif
}

TrianglePos triangle_pos(std::size_t n, std::uint64_t k) {
  TrianglePos pos;
  // Row p holds n - 1 - p positions.
  while (pos.p + 1 < n && k >= n - 1 - pos.p) {
    k -= n - 1 - pos.p;
    ++pos.p;
  }
  pos.q = pos.p + 1 + k;
  return pos;
}

void comparison_bits(PopcountPath path, const std::int16_t* v, std::size_t n, TrianglePos start,
                     std::uint64_t bits, std::size_t words, std::uint64_t* sign,
                     std::uint64_t* nonzero) {
  std::fill(sign, sign + words, 0);
  if (nonzero != nullptr) std::fill(nonzero, nonzero + words, 0);
  std::uint64_t offset = 0;
  for (std::size_t p = start.p, q = start.q; offset < bits && p + 1 < n; q = ++p + 1) {
    const std::size_t count =
        static_cast<std::size_t>(std::min<std::uint64_t>(n - q, bits - offset));
#if defined(__x86_64__)
    if (path == PopcountPath::avx512) {
      emit_row_avx512(v[p], v + q, count, offset, sign, nonzero);
      offset += count;
      continue;
    }
#endif
    emit_row_portable(v[p], v + q, count, offset, sign, nonzero);
    offset += count;
  }
}

void tile_counts(PopcountPath path, TieMask mask, const TileInput& in, std::size_t words,
                 std::int64_t* discordant, std::int64_t* untied) {
#if defined(__x86_64__)
  if (path == PopcountPath::avx512) {
    switch (mask) {
      case TieMask::none:
        return tile_avx512<TieMask::none>(in, words, discordant, untied);
      case TieMask::model:
        return tile_avx512<TieMask::model>(in, words, discordant, untied);
      case TieMask::brain:
        return tile_avx512<TieMask::brain>(in, words, discordant, untied);
      case TieMask::both:
        return tile_avx512<TieMask::both>(in, words, discordant, untied);
    }
  }
#endif
  switch (mask) {
    case TieMask::none:
      return tile_portable<TieMask::none>(in, words, discordant, untied);
    case TieMask::model:
      return tile_portable<TieMask::model>(in, words, discordant, untied);
    case TieMask::brain:
      return tile_portable<TieMask::brain>(in, words, discordant, untied);
    case TieMask::both:
      return tile_portable<TieMask::both>(in, words, discordant, untied);
  }
}

}  // namespace permrsa
