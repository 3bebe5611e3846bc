// Order-preserving 4-byte keys of the values a kernel writes, cell by cell: key(a, c) < key(b, c)
// iff a < b, and value(key(v, c), c) == v. The top values of a permutation-p threshold
// (core/cell_thresholds.hpp) keep these keys instead of doubles, which halves the memory the
// buffers fault in (57 MB per permutation group at the seed shape and K = 10000).
//
// Two forms, those of kernels/map_codec.hpp, for the oriented values too (a sign change or an
// absolute value keeps a value in its form):
//   - floats widened to double: the float's bits, negative ones reflected so that integer order
//     is float order (-0.0 sorts just below +0.0);
//   - quotients v = dot / d[c] of an integer |dot| < 2^31 and d[c] > 0: the integer dot itself,
//     round(v * d[c]) exactly (kernels/map_codec.hpp). A zero comes back as the zero given by
//     with_zero (+0.0 unless told): an oriented map's zeros all have one sign.
// No NaN and no infinity is a quotient key; a kernel whose denominators are all finite and
// positive never writes one.
#pragma once

#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

namespace permrsa {

class OrderKeys {
 public:
  static OrderKeys of_floats() { return OrderKeys({}); }
  // None when a denominator is not finite and positive (or there are none).
  static std::optional<OrderKeys> of_quotients(std::vector<double> denominators) {
    if (denominators.empty()) return std::nullopt;
    for (double d : denominators)
      if (!(d > 0.0 && d < std::numeric_limits<double>::infinity())) return std::nullopt;
    return OrderKeys(std::move(denominators));
  }

  // The same keys, whose quotient zero comes back as `zero` (+0.0 or -0.0).
  OrderKeys with_zero(double zero) const {
    OrderKeys k = *this;
    k.zero_ = zero;
    return k;
  }

  std::int32_t key(double v, std::size_t cell) const {
    if (d_.empty()) {
      const auto bits = std::bit_cast<std::int32_t>(static_cast<float>(v));
      return bits < 0 ? bits ^ std::numeric_limits<std::int32_t>::max() : bits;
    }
    return static_cast<std::int32_t>(std::nearbyint(v * d_[cell]));
  }
  double value(std::int32_t key, std::size_t cell) const {
    if (d_.empty()) {
      const std::int32_t bits = key < 0 ? key ^ std::numeric_limits<std::int32_t>::max() : key;
      return static_cast<double>(std::bit_cast<float>(bits));
    }
    return key == 0 ? zero_ : static_cast<double>(key) / d_[cell];
  }
  // key(v, c) is defined: v is an infinity or within the finite floats' range, or a quotient's
  // v * d[c] rounds to an int32 whose magnitude is below 2^31.
  bool in_range(double v, std::size_t cell) const {
    if (d_.empty()) return std::isinf(v) || std::fabs(v) <= std::numeric_limits<float>::max();
    return std::fabs(v) * d_[cell] < 2147483647.5;  // rounds to at most INT32_MAX
  }
  // The least key whose value is at least `floor`, for comparing keys instead of values. Where no
  // key's value is, it gives an end of the int32 range: compare the values there too.
  std::int32_t least_key_at_least(double floor, std::size_t cell) const {
    constexpr auto lowest = std::numeric_limits<std::int32_t>::lowest();
    constexpr auto highest = std::numeric_limits<std::int32_t>::max();
    constexpr double float_max = std::numeric_limits<float>::max();
    if (std::isnan(floor) || floor == -std::numeric_limits<double>::infinity()) return lowest;
    if (d_.empty()) {  // beyond the finite floats: the next float value, an infinity or the largest
      if (floor > float_max) floor = std::numeric_limits<double>::infinity();
      if (floor < -float_max) floor = -float_max;
    } else if (!in_range(floor, cell)) {
      return floor > 0 ? highest : lowest;
    }
    std::int32_t k = key(floor, cell);  // the nearest key: the least one is at most a step off
    if (value(k, cell) < floor) return k == highest ? k : k + 1;
    if (k > lowest && value(k - 1, cell) >= floor) --k;
    return k;
  }
  // value(key(v, c), c) == v: v has this form (a zero of either sign counts as kept).
  bool keeps(double v, std::size_t cell) const {
    return in_range(v, cell) && value(key(v, cell), cell) == v;
  }

 private:
  explicit OrderKeys(std::vector<double> denominators) : d_(std::move(denominators)) {}
  std::vector<double> d_;  // per cell; empty for floats
  double zero_ = 0.0;
};

}  // namespace permrsa
