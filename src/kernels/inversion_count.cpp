#include "kernels/inversion_count.hpp"

#include <algorithm>

namespace permrsa {

int bits_for(std::uint32_t max_value) {
  int bits = 1;
  while (bits < 32 && (max_value >> bits) != 0) ++bits;
  return bits;
}

std::int64_t count_inversions(const std::int32_t* a, std::size_t n, int bits, std::int32_t* counters) {
  std::fill(counters, counters + (std::size_t{1} << bits), 0);
  std::int64_t inversions = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const auto v = static_cast<std::uint32_t>(a[i]);
    for (int level = 0; level < bits; ++level) {
      const int bit_index = bits - 1 - level;
      // Counters of one level in a heap layout: node 2^level + prefix.
      const std::uint32_t node = (1u << level) + (v >> (bit_index + 1));
      const std::uint32_t bit = (v >> bit_index) & 1u;
      inversions += static_cast<std::int64_t>(1 - bit) * counters[node];
      counters[node] += static_cast<std::int32_t>(bit);
    }
  }
  return inversions;
}

}  // namespace permrsa
