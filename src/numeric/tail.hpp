// The tail-oriented statistic e: larger e is always more extreme.
#pragma once

#include <cmath>
#include <cstddef>
#include <limits>

#include "permrsa/statistics.hpp"

namespace permrsa {

inline double oriented(double s, Tail tail) {
  switch (tail) {
    case Tail::greater:
      return s;
    case Tail::less:
      return -s;
    case Tail::two_sided:
      return std::fabs(s);
  }
  return s;
}

// The oriented statistic of a permutation's map. A NaN there (an undefined statistic, which the
// checks before the run rule out for the observed map) counts as +inf, the most extreme value:
// it can then only raise the p-values it enters (exceedance counts, maxima, clusters, TFCE),
// where a NaN, comparing false with everything, would lower them. Finite values are unchanged.
inline double null_oriented(double s, Tail tail) {
  return std::isnan(s) ? std::numeric_limits<double>::infinity() : oriented(s, tail);
}

// e[i] = null_oriented(s[i], tail) for i < n, with the tail chosen once outside the loop, so
// that the loop vectorises (with the tail chosen per value it did not: 48 million values in
// pass 2 of a seed-shape run).
inline void orient_nulls(const double* s, std::size_t n, Tail tail, double* e) {
  auto each = [&](auto oriented_value) {
    for (std::size_t i = 0; i < n; ++i) e[i] = oriented_value(s[i]);
  };
  switch (tail) {
    case Tail::greater:
      return each([](double v) { return null_oriented(v, Tail::greater); });
    case Tail::less:
      return each([](double v) { return null_oriented(v, Tail::less); });
    case Tail::two_sided:
      return each([](double v) { return null_oriented(v, Tail::two_sided); });
  }
}

// The raw value whose null orientation is the least extreme of all: -inf, +inf and 0 for the
// tails greater, less and two-sided, so null_oriented(least_extreme(tail), tail) <=
// null_oriented(s, tail) for every s. It stands in for values that cannot pass a threshold
// (core/map_cache.hpp).
inline double least_extreme(Tail tail) {
  constexpr double inf = std::numeric_limits<double>::infinity();
  switch (tail) {
    case Tail::greater:
      return -inf;
    case Tail::less:
      return inf;
    case Tail::two_sided:
      return 0.0;
  }
  return -inf;
}

}  // namespace permrsa
