// Exact Spearman under permutation on int16 integer dot products (issue 20).
//
// Spearman is Pearson on doubled centred average ranks u = 2*rank - (P+1): integers with
// |u| <= P - 1, so the dot product of a permuted model row and a brain column is an exact
// integer, and rho = dot / (|u_model| |u_brain|). The kernel computes that integer exactly at
// every P, on int16 operands:
//   - each side is split into int16 digit planes, u = sum_i d_i 2^(i*b) (one plane while
//     |u| <= 32767 and the products stay short, more beyond);
//   - every pair of planes is one integer product, or with two planes of the same base on each
//     side (P > 32768) Karatsuba's three: low . low, high . high and (low + high) . (low + high),
//     the digits' sums being a third plane on each side (computed per pair block, not stored);
//   - each product runs on vpdpwssd (AVX512_VNNI) or vpmaddwd + add (AVX-512BW, AVX2) into int32
//     accumulators, flushed to int64 after chunks short enough that no int32 sum can overflow
//     (max|d_model| times the chunk's sum of |d_brain| < 2^31 in every lane of the panel: the
//     chunks follow the brain data);
//   - the plane products are combined exactly (int64, or __int128 beyond P = 2^19).
// The instruction path is picked at run time, so one binary runs on every x86-64 node, and
// all paths give the same bits because the integers are exact.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "kernels/spearman_int16_tile.hpp"
#include "kernels/statistic_kernel.hpp"

namespace permrsa {

enum class Int16Isa { generic, avx2, avx512bw, avx512vnni };

const char* int16_isa_name(Int16Isa isa);
std::optional<Int16Isa> int16_isa_from_name(const std::string& name);
// Whether this CPU (and this build: the SIMD paths exist on x86-64 only) can run `isa`.
bool int16_isa_supported(Int16Isa isa);
// The fastest supported path, unless PERMRSA_KERNEL_ISA (generic, avx2, avx512bw,
// avx512vnni) forces one; forcing a path this CPU lacks throws std::runtime_error.
Int16Isa int16_isa_for_this_process();

// models: L x P dissimilarities, brain: P x T (validated: finite, non-constant).
std::unique_ptr<StatisticKernel> make_spearman_int16_kernel(const Matrix<double>& models,
                                                            const Matrix<double>& brain,
                                                            Int16Isa isa);

}  // namespace permrsa
