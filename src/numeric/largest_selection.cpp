#include "numeric/largest_selection.hpp"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <bit>
#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

#include "numeric/partition_select.hpp"

namespace permrsa {
namespace {

constexpr std::size_t kSample = 128;
constexpr std::size_t kShortest = 4 * kSample;
// Sample ranks each side of the k-th largest's expected rank: about two standard deviations of
// a sample count at k / n = 1/3, so the bracket holds in most calls and the inside stays small
// (about 2 * 12 / 128 of the values).
constexpr std::size_t kMargin = 12;

struct Split {
  std::size_t above = 0;   // values > the bracket's top
  std::size_t inside = 0;  // values within the bracket, ends included
  bool holds_kth = false;  // above < k <= above + inside
};

// Per thread: room for the values above and inside the bracket (2 n values), reused.
template <class T>
T* scratch_for(std::size_t n) {
  thread_local std::vector<T> scratch;
  if (scratch.size() < 2 * n) scratch.resize(2 * n);
  return scratch.data();
}

// The bracket's open ends: no value is above the top, every value is at or above the bottom.
template <class T>
constexpr T open_top() {
  if constexpr (std::numeric_limits<T>::has_infinity) return std::numeric_limits<T>::infinity();
  return std::numeric_limits<T>::max();
}
template <class T>
constexpr T open_bottom() {
  if constexpr (std::numeric_limits<T>::has_infinity) return -std::numeric_limits<T>::infinity();
  return std::numeric_limits<T>::lowest();
}

// The vector part of split_values: v[0 .. a multiple of the vector width), in order. Each class is
// compressed in a register and stored whole (the spill lands in room the next values overwrite):
// a compress straight to memory is microcoded on AMD's Zen 4, 3.4x slower here.
std::size_t split_vectors(const double* v, std::size_t n, double lo, double hi, double* above,
                          double* inside, std::size_t& na, std::size_t& ni) {
  std::size_t i = 0;
#if defined(__AVX512F__)
  const __m512d top = _mm512_set1_pd(hi), bottom = _mm512_set1_pd(lo);
  for (; i + 8 <= n; i += 8) {
    const __m512d x = _mm512_loadu_pd(v + i);
    const __mmask8 over = _mm512_cmp_pd_mask(x, top, _CMP_GT_OQ);
    const __mmask8 within =
        static_cast<__mmask8>(~over & _mm512_cmp_pd_mask(x, bottom, _CMP_GE_OQ));
    _mm512_storeu_pd(above + na, _mm512_maskz_compress_pd(over, x));
    _mm512_storeu_pd(inside + ni, _mm512_maskz_compress_pd(within, x));
    na += static_cast<std::size_t>(std::popcount(static_cast<unsigned>(over)));
    ni += static_cast<std::size_t>(std::popcount(static_cast<unsigned>(within)));
  }
#else
  (void)v, (void)n, (void)lo, (void)hi, (void)above, (void)inside, (void)na, (void)ni;
#endif
  return i;
}

std::size_t split_vectors(const std::int32_t* v, std::size_t n, std::int32_t lo, std::int32_t hi,
                          std::int32_t* above, std::int32_t* inside, std::size_t& na,
                          std::size_t& ni) {
  std::size_t i = 0;
#if defined(__AVX512F__)
  const __m512i top = _mm512_set1_epi32(hi), bottom = _mm512_set1_epi32(lo);
  for (; i + 16 <= n; i += 16) {
    const __m512i x = _mm512_loadu_si512(v + i);
    const __mmask16 over = _mm512_cmpgt_epi32_mask(x, top);
    const __mmask16 within = static_cast<__mmask16>(~over & _mm512_cmpge_epi32_mask(x, bottom));
    _mm512_storeu_si512(above + na, _mm512_maskz_compress_epi32(over, x));
    _mm512_storeu_si512(inside + ni, _mm512_maskz_compress_epi32(within, x));
    na += static_cast<std::size_t>(std::popcount(static_cast<unsigned>(over)));
    ni += static_cast<std::size_t>(std::popcount(static_cast<unsigned>(within)));
  }
#else
  (void)v, (void)n, (void)lo, (void)hi, (void)above, (void)inside, (void)na, (void)ni;
#endif
  return i;
}

// Copies the values above hi to `above` and those in [lo, hi] to `inside`, in their order.
template <class T>
void split_values(const T* v, std::size_t n, T lo, T hi, T* above, T* inside, Split& out) {
  std::size_t na = 0, ni = 0;
  std::size_t i = split_vectors(v, n, lo, hi, above, inside, na, ni);
  // Branch-free: every value is written to both, and only the right count advances.
  for (; i < n; ++i) {
    const T x = v[i];
    above[na] = x;
    inside[ni] = x;
    const bool over = x > hi;
    na += over;
    ni += !over && x >= lo;
  }
  out.above = na;
  out.inside = ni;
}

// Brackets the k-th largest of v[0..n) (n >= kShortest) by two order statistics of a fixed
// sample and splits the values around them.
template <class T>
Split split_around_kth(const T* v, std::size_t n, std::size_t k, T* above, T* inside) {
  T sample[kSample];
  const std::size_t stride = n / kSample;
  for (std::size_t i = 0; i < kSample; ++i) sample[i] = v[i * stride + (i * 7) % stride];
  // The k-th largest's expected index in the sample sorted in descending order.
  const std::size_t at = k * kSample / n;
  // The sample's order statistics by index in descending order (index i: rank i + 1).
  const T hi = at >= kMargin ? rth_largest(sample, kSample, at - kMargin + 1) : open_top<T>();
  const T lo =
      at + kMargin < kSample ? rth_largest(sample, kSample, at + kMargin + 1) : open_bottom<T>();
  Split split;
  split_values(v, n, lo, hi, above, inside, split);
  split.holds_kth = split.above < k && k <= split.above + split.inside;
  return split;
}

template <class T>
void select_largest_of(T* v, std::size_t n, std::size_t k) {
  if (n >= kShortest) {
    T* above = scratch_for<T>(n);
    T* inside = above + n;
    const Split split = split_around_kth(v, n, k, above, inside);
    if (split.holds_kth) {
      const std::size_t rest = k - split.above;  // taken from inside the bracket
      std::copy_n(above, split.above, v);
      copy_largest(inside, split.inside, rest, rth_largest(inside, split.inside, rest),
                   v + split.above);
      return;
    }
  }
  std::nth_element(v, v + (k - 1), v + n, std::greater<>());
}

template <class T>
T kth_largest_of(const T* v, std::size_t n, std::size_t k) {
  T* above = scratch_for<T>(n);
  T* inside = above + n;
  if (n >= kShortest) {
    const Split split = split_around_kth(v, n, k, above, inside);
    if (split.holds_kth) {
      return rth_largest(inside, split.inside, k - split.above);
    }
  }
  return rth_largest(v, n, k);
}

}  // namespace

void select_largest(double* v, std::size_t n, std::size_t k) {
  select_largest_of(v, n, k);
}
void select_largest(std::int32_t* v, std::size_t n, std::size_t k) {
  select_largest_of(v, n, k);
}

double kth_largest(const double* v, std::size_t n, std::size_t k) {
  return kth_largest_of(v, n, k);
}
std::int32_t kth_largest(const std::int32_t* v, std::size_t n, std::size_t k) {
  return kth_largest_of(v, n, k);
}

}  // namespace permrsa
