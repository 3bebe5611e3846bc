// The r-th largest of a short run of values (the sample and the values inside a bracket of
// numeric/largest_selection.hpp: 128 to a few hundred), by quickselect whose three-way partitions
// (above, equal to and below a median-of-three pivot) are branch-free vector compresses into
// scratch. std::nth_element's comparisons there are coin tosses for the branch predictor, about
// 10 cycles per value and pass. On the AMD host (issue 20), a permutation group's trim at the seed
// shape (the 501 largest of 1003 int32 keys, then the quota-th, 251st, of those) took 5.6 us with
// std::nth_element there and 1.4 us with this.
//
// The value is the one std::nth_element gives (the r-th largest is defined by the values alone).
// Without AVX-512, or after more levels than a fair pivot needs (adversarial orders), the rest
// goes to std::nth_element. NaNs are not expected.
#pragma once

#include <cstddef>
#include <cstdint>

namespace permrsa {

// The r-th largest of a[0..n) (1 <= r <= n); a is not changed.
double rth_largest(const double* a, std::size_t n, std::size_t r);
std::int32_t rth_largest(const std::int32_t* a, std::size_t n, std::size_t r);

// The r largest of a[0..n) to out[0..r), with the r-th largest, t, last: the values above t,
// in a's order, then copies of t. The same multiset as the first r of std::nth_element.
void copy_largest(const double* a, std::size_t n, std::size_t r, double t, double* out);
void copy_largest(const std::int32_t* a, std::size_t n, std::size_t r, std::int32_t t,
                  std::int32_t* out);

}  // namespace permrsa
