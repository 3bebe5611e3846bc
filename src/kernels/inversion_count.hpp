// Counting inversions (pairs i < j with a[i] > a[j]) in O(n log n) by merge sort, the core of
// Knight's algorithm for Kendall's tau (Knight 1966, JASA 61:436). Equal values are not
// inversions.
#pragma once

#include <cstddef>
#include <cstdint>

namespace permrsa {

// Sorts a[0..n) (using scratch[0..n)) and returns the number of inversions it had. The sorted
// values end up in either a or scratch; callers use only the count.
std::int64_t count_inversions(std::int32_t* a, std::int32_t* scratch, std::size_t n);

}  // namespace permrsa
