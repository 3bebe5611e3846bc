// The exact int16 Spearman micro-tile with AVX512_VNNI: one vpdpwssd per 16 outputs and two
// pairs (32 multiply-adds). Built with -march=x86-64-v4 -mavx512vnni (src/CMakeLists.txt) and
// called only when the CPU has VNNI (int16_isa_for_this_process).
//
// Registers: 12 rows x 2 vectors = 24 int32 accumulators + 2 brain vectors; the model pair of a
// row is broadcast from memory. Per step (two pairs): 2 loads of 64 bytes, 24 vpdpwssd, i.e.
// 1536 flop (a multiply and an add per product).
#include "kernels/spearman_int16_avx512.hpp"

#if defined(__x86_64__)
namespace permrsa::int16_tile {
namespace {

// One chunk: steps [s0, s1) summed in int32 and added to out. One step is inline assembly
// (two statements: an asm takes at most 30 operands),
// one vpdpwssd per accumulator with the model pair broadcast from memory ({1to16}): 24
// accumulators, 2 brain vectors.
void chunk_pass(const std::int16_t* a, const std::int16_t* b, std::size_t s0, std::size_t s1,
                std::int64_t* out) {
  PERMRSA_ROWS(PERMRSA_DECLARE)
  for (std::size_t s = s0; s < s1; ++s) {
    const __m512i b0 = _mm512_load_si512(b + s * 2 * kTimes);
    const __m512i b1 = _mm512_load_si512(b + s * 2 * kTimes + 32);
    const std::int16_t* as = a + s * 2 * kRows;
    // clang-format off
    asm("vpdpwssd 0(%[a])%{1to16%}, %[b0], %[c00]\n\t"
        "vpdpwssd 0(%[a])%{1to16%}, %[b1], %[c01]\n\t"
        "vpdpwssd 4(%[a])%{1to16%}, %[b0], %[c10]\n\t"
        "vpdpwssd 4(%[a])%{1to16%}, %[b1], %[c11]\n\t"
        "vpdpwssd 8(%[a])%{1to16%}, %[b0], %[c20]\n\t"
        "vpdpwssd 8(%[a])%{1to16%}, %[b1], %[c21]\n\t"
        "vpdpwssd 12(%[a])%{1to16%}, %[b0], %[c30]\n\t"
        "vpdpwssd 12(%[a])%{1to16%}, %[b1], %[c31]\n\t"
        "vpdpwssd 16(%[a])%{1to16%}, %[b0], %[c40]\n\t"
        "vpdpwssd 16(%[a])%{1to16%}, %[b1], %[c41]\n\t"
        "vpdpwssd 20(%[a])%{1to16%}, %[b0], %[c50]\n\t"
        "vpdpwssd 20(%[a])%{1to16%}, %[b1], %[c51]\n\t"
        : [c00] "+v"(c00), [c01] "+v"(c01), [c10] "+v"(c10), [c11] "+v"(c11), [c20] "+v"(c20), [c21] "+v"(c21), [c30] "+v"(c30), [c31] "+v"(c31), [c40] "+v"(c40), [c41] "+v"(c41), [c50] "+v"(c50), [c51] "+v"(c51)
        : [a] "r"(as), [b0] "v"(b0), [b1] "v"(b1)
        : "memory");
    asm("vpdpwssd 24(%[a])%{1to16%}, %[b0], %[c60]\n\t"
        "vpdpwssd 24(%[a])%{1to16%}, %[b1], %[c61]\n\t"
        "vpdpwssd 28(%[a])%{1to16%}, %[b0], %[c70]\n\t"
        "vpdpwssd 28(%[a])%{1to16%}, %[b1], %[c71]\n\t"
        "vpdpwssd 32(%[a])%{1to16%}, %[b0], %[c80]\n\t"
        "vpdpwssd 32(%[a])%{1to16%}, %[b1], %[c81]\n\t"
        "vpdpwssd 36(%[a])%{1to16%}, %[b0], %[c90]\n\t"
        "vpdpwssd 36(%[a])%{1to16%}, %[b1], %[c91]\n\t"
        "vpdpwssd 40(%[a])%{1to16%}, %[b0], %[c100]\n\t"
        "vpdpwssd 40(%[a])%{1to16%}, %[b1], %[c101]\n\t"
        "vpdpwssd 44(%[a])%{1to16%}, %[b0], %[c110]\n\t"
        "vpdpwssd 44(%[a])%{1to16%}, %[b1], %[c111]\n\t"
        : [c60] "+v"(c60), [c61] "+v"(c61), [c70] "+v"(c70), [c71] "+v"(c71), [c80] "+v"(c80), [c81] "+v"(c81), [c90] "+v"(c90), [c91] "+v"(c91), [c100] "+v"(c100), [c101] "+v"(c101), [c110] "+v"(c110), [c111] "+v"(c111)
        : [a] "r"(as), [b0] "v"(b0), [b1] "v"(b1)
        : "memory");
    // clang-format on
  }
  PERMRSA_ROWS(PERMRSA_FLUSH)
}

}  // namespace

void pass_avx512vnni(const std::int16_t* a, const std::int16_t* b, std::size_t steps,
                     std::size_t chunk, std::int64_t* out) {
  pass_in_chunks(chunk_pass, a, b, steps, chunk, out);
}

#undef PERMRSA_ROWS
#undef PERMRSA_DECLARE
#undef PERMRSA_FLUSH

}  // namespace permrsa::int16_tile
#endif
