// The Kendall kernels and how one is chosen (make_kendall_kernel in statistic_kernel.hpp takes
// `automatic`, or what PERMRSA_KENDALL_METHOD forces).
//
//   merge_sort    O(P log P) per cell: Knight's algorithm (kendall_kernel.cpp);
//   bit_parallel  O(P^2 / 64) words per cell, by AND/XOR/popcount over bit planes of the
//                 pairwise signs (kendall_bit_kernel.cpp), shared by all cells of a row.
// Both count the same integers and end in kendall_tau(), so their outputs are identical bits.
#pragma once

#include <cstddef>
#include <memory>

#include "kernels/kendall_bits.hpp"
#include "kernels/statistic_kernel.hpp"

namespace permrsa {

enum class KendallMethod { automatic, merge_sort, bit_parallel };

// `automatic` takes the bit-parallel count for P up to this (the crossover measured on AVX-512
// with VPOPCNTDQ, bench/README.md), and for P up to kKendallPortableMaxPairs without it.
inline constexpr std::size_t kKendallBitParallelMaxPairs = 8000;
inline constexpr std::size_t kKendallPortableMaxPairs = 2000;
// The bit-parallel kernel stores dense ranks in int16.
inline constexpr std::size_t kKendallBitParallelLimit = 32768;

// The method `automatic` picks for P pairs on this CPU.
KendallMethod kendall_method_for(std::size_t pairs, PopcountPath path);

// PERMRSA_KENDALL_METHOD=merge-sort|bit-parallel|automatic (unset: automatic). A developer hook
// for tests and benchmarks; any other value is an InputError.
KendallMethod kendall_method_from_environment();

// PopcountPath::avx512 when the CPU has it, unless PERMRSA_KENDALL_POPCOUNT=portable.
PopcountPath popcount_path_from_environment();

std::unique_ptr<StatisticKernel> make_merge_sort_kendall_kernel(Metric variant,
                                                                const Matrix<double>& models,
                                                                const Matrix<double>& brain);

// Brain bit planes are kept when they take at most `stored_bytes`; otherwise each compute()
// builds them again for blocks of time points of at most that size (at least one column).
std::unique_ptr<StatisticKernel> make_bit_parallel_kendall_kernel(
    Metric variant, const Matrix<double>& models, const Matrix<double>& brain, PopcountPath path,
    std::size_t stored_bytes = std::size_t{64} << 20);

// Any method and path (tests compare them).
std::unique_ptr<StatisticKernel> make_kendall_kernel(Metric variant, const Matrix<double>& models,
                                                     const Matrix<double>& brain,
                                                     KendallMethod method, PopcountPath path);

}  // namespace permrsa
