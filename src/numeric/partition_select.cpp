#include "numeric/partition_select.hpp"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <bit>
#include <functional>
#include <vector>

namespace permrsa {
namespace {

// Below this many values the partitions cost more than they save.
constexpr std::size_t kShort = 32;
// Room past the end of every scratch run: whole vectors are stored.
constexpr std::size_t kSpill = 16;

template <class T>
T median_of_three(T x, T y, T z) {
  return std::max(std::min(x, y), std::min(std::max(x, y), z));
}

template <class T>
T nth_in(T* v, std::size_t n, std::size_t r) {
  std::nth_element(v, v + (r - 1), v + n, std::greater<>());
  return v[r - 1];
}

#if defined(__AVX512F__)
// The values of a[0..n) above p to `above` and those below it to `below`, in a's order.
void split_at(const std::int32_t* a, std::size_t n, std::int32_t p, std::int32_t* above,
              std::int32_t* below, std::size_t& na, std::size_t& nb) {
  const __m512i pivot = _mm512_set1_epi32(p);
  for (std::size_t i = 0; i < n; i += 16) {
    const auto live = static_cast<__mmask16>(n - i >= 16 ? 0xFFFFu : (1u << (n - i)) - 1u);
    const __m512i x = _mm512_maskz_loadu_epi32(live, a + i);
    const __mmask16 gt = _mm512_mask_cmpgt_epi32_mask(live, x, pivot);
    const __mmask16 lt = _mm512_mask_cmplt_epi32_mask(live, x, pivot);
    // The register compress and a plain store: a compress straight to memory is microcoded on
    // AMD's Zen 4 (3.4x slower in numeric/largest_selection.cpp's split).
    _mm512_storeu_si512(above + na, _mm512_maskz_compress_epi32(gt, x));
    _mm512_storeu_si512(below + nb, _mm512_maskz_compress_epi32(lt, x));
    na += static_cast<std::size_t>(std::popcount(static_cast<unsigned>(gt)));
    nb += static_cast<std::size_t>(std::popcount(static_cast<unsigned>(lt)));
  }
}

void split_at(const double* a, std::size_t n, double p, double* above, double* below,
              std::size_t& na, std::size_t& nb) {
  const __m512d pivot = _mm512_set1_pd(p);
  for (std::size_t i = 0; i < n; i += 8) {
    const auto live = static_cast<__mmask8>(n - i >= 8 ? 0xFFu : (1u << (n - i)) - 1u);
    const __m512d x = _mm512_maskz_loadu_pd(live, a + i);
    const __mmask8 gt = _mm512_mask_cmp_pd_mask(live, x, pivot, _CMP_GT_OQ);
    const __mmask8 lt = _mm512_mask_cmp_pd_mask(live, x, pivot, _CMP_LT_OQ);
    _mm512_storeu_pd(above + na, _mm512_maskz_compress_pd(gt, x));
    _mm512_storeu_pd(below + nb, _mm512_maskz_compress_pd(lt, x));
    na += static_cast<std::size_t>(std::popcount(static_cast<unsigned>(gt)));
    nb += static_cast<std::size_t>(std::popcount(static_cast<unsigned>(lt)));
  }
}
#endif

template <class T>
T rth_largest_of(const T* a, std::size_t n, std::size_t r) {
  // Four runs of n + kSpill values: each level splits its input into the pair of runs it is
  // not in.
  thread_local std::vector<T> scratch;
  const std::size_t run = n + kSpill;
  if (scratch.size() < 4 * run) scratch.resize(4 * run);
  const T* in = a;
  std::size_t level = 0;
#if defined(__AVX512F__)
  // A fair pivot needs about log2(n) levels; more means an order that defeats the median of
  // three, and std::nth_element (introselect) takes over.
  const std::size_t most = 2 * static_cast<std::size_t>(std::bit_width(n)) + 4;
  for (; n > kShort && level < most; ++level) {
    T* above = scratch.data() + (level % 2) * 2 * run;
    T* below = above + run;
    const T p = median_of_three(in[n / 4], in[n / 2], in[3 * n / 4]);
    std::size_t na = 0, nb = 0;
    split_at(in, n, p, above, below, na, nb);
    if (r <= na) {
      in = above;
      n = na;
    } else if (r <= n - nb) {
      return p;  // among the values equal to the pivot
    } else {
      r -= n - nb;
      in = below;
      n = nb;
    }
  }
#endif
  T* room = scratch.data() + (level % 2) * 2 * run;  // not the pair `in` lies in
  std::copy_n(in, n, room);
  return nth_in(room, n, r);
}

template <class T>
void copy_largest_of(const T* a, std::size_t n, std::size_t r, T t, T* out) {
  // Fewer than r values lie above the r-th largest, so every write is inside out[0..r).
  std::size_t above = 0;
  for (std::size_t i = 0; i < n; ++i) {
    out[above] = a[i];
    above += a[i] > t;
  }
  std::fill(out + above, out + r, t);
}

}  // namespace

double rth_largest(const double* a, std::size_t n, std::size_t r) {
  return rth_largest_of(a, n, r);
}
std::int32_t rth_largest(const std::int32_t* a, std::size_t n, std::size_t r) {
  return rth_largest_of(a, n, r);
}

void copy_largest(const double* a, std::size_t n, std::size_t r, double t, double* out) {
  copy_largest_of(a, n, r, t, out);
}
void copy_largest(const std::int32_t* a, std::size_t n, std::size_t r, std::int32_t t,
                  std::int32_t* out) {
  copy_largest_of(a, n, r, t, out);
}

}  // namespace permrsa
