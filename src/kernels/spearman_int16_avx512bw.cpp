// The exact int16 Spearman micro-tile with AVX-512BW: vpmaddwd + vpaddd per 16 outputs and two
// pairs (32 multiply-adds). Built with -march=x86-64-v4 (src/CMakeLists.txt); the fallback
// for AVX-512 CPUs without VNNI (int16_isa_for_this_process).
//
// Registers: 12 rows x 2 vectors = 24 int32 accumulators + 2 brain vectors; the model pair of a
// row is broadcast. Per step (two pairs): 2 loads of 64 bytes, 24 vpmaddwd and 24 vpaddd,
// i.e. 1536 flop (a multiply and an add per product).
#include "kernels/spearman_int16_avx512.hpp"

#if defined(__x86_64__)
namespace permrsa::int16_tile {
namespace {

// One chunk: steps [s0, s1) summed in int32 and added to out. One step is inline assembly
// (two statements for AVX-512BW: an asm takes at most 30 operands),
// a broadcast per row, then vpmaddwd and vpaddd per accumulator: 24 accumulators, 2 brain vectors,
// 2 temporaries.
void chunk_pass(const std::int16_t* a, const std::int16_t* b, std::size_t s0, std::size_t s1,
                std::int64_t* out) {
  PERMRSA_ROWS(PERMRSA_DECLARE)
  for (std::size_t s = s0; s < s1; ++s) {
    const __m512i b0 = _mm512_load_si512(b + s * 2 * kTimes);
    const __m512i b1 = _mm512_load_si512(b + s * 2 * kTimes + 32);
    const std::int16_t* as = a + s * 2 * kRows;
    __m512i t0, t1;
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
        : [c00] "+v"(c00), [c01] "+v"(c01), [c10] "+v"(c10), [c11] "+v"(c11), [c20] "+v"(c20), [c21] "+v"(c21), [c30] "+v"(c30), [c31] "+v"(c31), [c40] "+v"(c40), [c41] "+v"(c41), [c50] "+v"(c50), [c51] "+v"(c51), [t0] "=&v"(t0), [t1] "=&v"(t1)
        : [a] "r"(as), [b0] "v"(b0), [b1] "v"(b1)
        : "memory");
    asm("vpbroadcastd 24(%[a]), %[t0]\n\t"
        "vpmaddwd %[t0], %[b0], %[t1]\n\t"
        "vpaddd %[t1], %[c60], %[c60]\n\t"
        "vpmaddwd %[t0], %[b1], %[t1]\n\t"
        "vpaddd %[t1], %[c61], %[c61]\n\t"
        "vpbroadcastd 28(%[a]), %[t0]\n\t"
        "vpmaddwd %[t0], %[b0], %[t1]\n\t"
        "vpaddd %[t1], %[c70], %[c70]\n\t"
        "vpmaddwd %[t0], %[b1], %[t1]\n\t"
        "vpaddd %[t1], %[c71], %[c71]\n\t"
        "vpbroadcastd 32(%[a]), %[t0]\n\t"
        "vpmaddwd %[t0], %[b0], %[t1]\n\t"
        "vpaddd %[t1], %[c80], %[c80]\n\t"
        "vpmaddwd %[t0], %[b1], %[t1]\n\t"
        "vpaddd %[t1], %[c81], %[c81]\n\t"
        "vpbroadcastd 36(%[a]), %[t0]\n\t"
        "vpmaddwd %[t0], %[b0], %[t1]\n\t"
        "vpaddd %[t1], %[c90], %[c90]\n\t"
        "vpmaddwd %[t0], %[b1], %[t1]\n\t"
        "vpaddd %[t1], %[c91], %[c91]\n\t"
        "vpbroadcastd 40(%[a]), %[t0]\n\t"
        "vpmaddwd %[t0], %[b0], %[t1]\n\t"
        "vpaddd %[t1], %[c100], %[c100]\n\t"
        "vpmaddwd %[t0], %[b1], %[t1]\n\t"
        "vpaddd %[t1], %[c101], %[c101]\n\t"
        "vpbroadcastd 44(%[a]), %[t0]\n\t"
        "vpmaddwd %[t0], %[b0], %[t1]\n\t"
        "vpaddd %[t1], %[c110], %[c110]\n\t"
        "vpmaddwd %[t0], %[b1], %[t1]\n\t"
        "vpaddd %[t1], %[c111], %[c111]\n\t"
        : [c60] "+v"(c60), [c61] "+v"(c61), [c70] "+v"(c70), [c71] "+v"(c71), [c80] "+v"(c80), [c81] "+v"(c81), [c90] "+v"(c90), [c91] "+v"(c91), [c100] "+v"(c100), [c101] "+v"(c101), [c110] "+v"(c110), [c111] "+v"(c111), [t0] "=&v"(t0), [t1] "=&v"(t1)
        : [a] "r"(as), [b0] "v"(b0), [b1] "v"(b1)
        : "memory");
    // clang-format on
  }
  PERMRSA_ROWS(PERMRSA_FLUSH)
}

}  // namespace

void pass_avx512bw(const std::int16_t* a, const std::int16_t* b, std::size_t steps,
                   std::size_t chunk, std::int64_t* out) {
  pass_in_chunks(chunk_pass, a, b, steps, chunk, out);
}

#undef PERMRSA_ROWS
#undef PERMRSA_DECLARE
#undef PERMRSA_FLUSH

}  // namespace permrsa::int16_tile
#endif
