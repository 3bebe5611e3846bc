// The k largest of n doubles (or of n int32 keys, core/cell_thresholds.hpp), by a sampled three-way
// split (the idea of Floyd and Rivest's SELECT): two order statistics of a fixed sample of 128
// values bracket the k-th largest, one branch-free pass splits the values into those above the
// bracket, those inside it and those below, and a selection then runs on the few inside only.
// The sample's order statistics and that selection are vector quickselects
// (numeric/partition_select.hpp), not std::nth_element, whose branches mispredict on random data.
// At the top-value buffers' sizes of the time (1503 values, k = 501: K = 10000, alpha = 0.05; 1002
// values since the buffers hold two capacities) a selection took 1.4 us on the AMD host,
// against 5.3 us with std::nth_element inside and compresses straight to memory, and 9.7 us for
// std::nth_element on all values.
//
// The result is the multiset std::nth_element gives: the k largest values, and the k-th largest
// itself, are defined by the values alone, so which algorithm picks them changes no threshold.
// When the bracket misses (the sample was unlucky, or many values are tied), the functions fall
// back to std::nth_element on all values: slower, never different. Short inputs (< 512 values)
// go to the vector quickselect (kth_largest) or std::nth_element (select_largest) directly. NaNs
// are not expected (null maps are oriented, NaN -> +inf).
#pragma once

#include <cstddef>
#include <cstdint>

namespace permrsa {

// Reorders v[0..n) so that v[0..k) hold its k largest values (a multiset) and v[k-1] is the
// k-th largest; v[k..n) are left unspecified (not necessarily the other values).
// 1 <= k <= n.
void select_largest(double* v, std::size_t n, std::size_t k);
void select_largest(std::int32_t* v, std::size_t n, std::size_t k);

// The k-th largest of v[0..n), which is left unchanged. 1 <= k <= n.
double kth_largest(const double* v, std::size_t n, std::size_t k);
std::int32_t kth_largest(const std::int32_t* v, std::size_t n, std::size_t k);

}  // namespace permrsa
