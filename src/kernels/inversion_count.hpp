// Counting inversions (pairs i < j with a[i] > a[j]; equal values are not inversions), the
// core of Knight's O(n log n) algorithm for Kendall's tau (Knight 1966, JASA 61:436).
//
// Bit-level counting: an inverted pair is counted once, at the highest bit where its values
// differ; there they share the higher bits (the "prefix") and the earlier value has a 1. So
// with one counter per prefix and level, holding how many earlier values had a 1 there, every
// value with a 0 adds that counter. One pass, `bits` branch-free steps per value: about twice
// as fast as a merge sort, whose comparisons the branch predictor cannot guess.
#pragma once

#include <cstddef>
#include <cstdint>

namespace permrsa {

// Bits needed for values in [0, max_value].
int bits_for(std::uint32_t max_value);

// a[0..n) in [0, 2^bits); counters: scratch of 2^bits entries. O(n * bits).
std::int64_t count_inversions(const std::int32_t* a, std::size_t n, int bits, std::int32_t* counters);

}  // namespace permrsa
