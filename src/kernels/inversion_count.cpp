#include "kernels/inversion_count.hpp"

#include <algorithm>
#include <utility>

namespace permrsa {

std::int64_t count_inversions(std::int32_t* a, std::int32_t* scratch, std::size_t n) {
  constexpr std::size_t kRun = 16;  // insertion-sort runs: fewer passes, cheap on short runs
  std::int64_t inversions = 0;
  for (std::size_t lo = 0; lo < n; lo += kRun) {
    const std::size_t hi = std::min(n, lo + kRun);
    for (std::size_t i = lo + 1; i < hi; ++i) {
      const std::int32_t x = a[i];
      std::size_t j = i;
      while (j > lo && a[j - 1] > x) {
        a[j] = a[j - 1];
        --j;
      }
      inversions += static_cast<std::int64_t>(i - j);
      a[j] = x;
    }
  }
  std::int32_t* src = a;
  std::int32_t* dst = scratch;
  for (std::size_t width = kRun; width < n; width *= 2) {
    for (std::size_t lo = 0; lo < n; lo += 2 * width) {
      const std::size_t mid = std::min(n, lo + width), hi = std::min(n, lo + 2 * width);
      std::size_t i = lo, j = mid, k = lo;
      while (i < mid && j < hi) {
        // Taking from the right past the i..mid-1 still waiting on the left: each is an inversion.
        const bool right = src[j] < src[i];
        inversions += right ? static_cast<std::int64_t>(mid - i) : 0;
        dst[k++] = right ? src[j++] : src[i++];
      }
      while (i < mid) dst[k++] = src[i++];
      while (j < hi) dst[k++] = src[j++];
    }
    std::swap(src, dst);
  }
  return inversions;
}

}  // namespace permrsa
