// The int16 micro-tile of the exact Spearman kernel, one definition per instruction set. The
// per-ISA translation units (spearman_int16_avx2.cpp, _avx512bw.cpp, _avx512vnni.cpp) are
// compiled with their own -march and include only this header and <immintrin.h>: no inline
// function from another header can be emitted there with instructions that other CPUs lack.
#pragma once

#include <cstddef>
#include <cstdint>

namespace permrsa {
namespace int16_tile {

// The micro-tile: kRows model rows x kTimes time points. Pairs are taken two at a time (a
// "step"), interleaved as int16 pairs so that one 32-bit lane holds pairs 2s and 2s+1.
constexpr std::size_t kRows = 12;
constexpr std::size_t kTimes = 32;

// out[r*kTimes + t] += sum over steps s of sum_{k=0,1} a[(s*kRows + r)*2 + k] * b[(s*kTimes + t)*2
// + k], exactly. a: steps x kRows x 2, b: steps x kTimes x 2 (64-byte aligned). The SIMD paths sum
// `chunk` steps in int32 before each flush into `out`: the caller bounds chunk so that no
// int32 sum overflows. Flop: 4 * kRows * kTimes * steps; bytes read: 4 * (kRows + kTimes) * steps.
using Pass = void (*)(const std::int16_t* a, const std::int16_t* b, std::size_t steps,
                      std::size_t chunk, std::int64_t* out);

void pass_generic(const std::int16_t* a, const std::int16_t* b, std::size_t steps,
                  std::size_t chunk, std::int64_t* out);
#if defined(__x86_64__)
void pass_avx2(const std::int16_t* a, const std::int16_t* b, std::size_t steps, std::size_t chunk,
               std::int64_t* out);
void pass_avx512bw(const std::int16_t* a, const std::int16_t* b, std::size_t steps,
                   std::size_t chunk, std::int64_t* out);
void pass_avx512vnni(const std::int16_t* a, const std::int16_t* b, std::size_t steps,
                     std::size_t chunk, std::int64_t* out);
#endif

}  // namespace int16_tile
}  // namespace permrsa
