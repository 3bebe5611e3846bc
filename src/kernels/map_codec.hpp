// A lossless 4-byte form of a kernel's output maps, for pass 1's map cache (core/map_cache.hpp).
//
// Pass 2 of a permutation-p cluster test replays every map of pass 1. Stored as doubles they take
// 8 bytes a value (384 MB at the seed shape and K = 10000), and clearing the fresh pages cost
// about a tenth of a run (issue 20's profile). Two kernels produce values that are a fixed
// function of a 4-byte quantity, so they can store that quantity instead and give back the very
// same doubles:
//   - Pearson in float32: every value is a float sum, widened to double;
//   - exact Spearman: every value is rho = dot / (|u_model| |u_brain|), one division of an exact
//     integer; while every |dot| is below 2^31 the integer is an int32, recovered from rho as
//     round(rho * |u_model| |u_brain|), exactly (the relative error before rounding is below
//     2^-51, so the rounding lands on the integer).
// decode(encode(s)) == s bit for bit; tests/unit/test_map_codec.cpp checks it on kernel output.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "numeric/order_keys.hpp"
#include "permrsa/statistics.hpp"

namespace permrsa {

class MapCodec {
 public:
  virtual ~MapCodec() = default;
  // Values of whole maps of `cells()` values each (s.size() a multiple of cells()).
  virtual void encode(std::span<const double> s, std::span<std::uint32_t> out) const = 0;
  virtual void decode(std::span<const std::uint32_t> in, std::span<double> s) const = 0;
  // The inverse of decode_kept: the codes of one map's cells set in `mask`, in cell order, to
  // `kept` (as many as there are bits). The same codes as encode(), cell for cell, but only the
  // kept cells pay for it (a tenth of them at the seed shape, once the floors are up).
  virtual void encode_kept(std::span<const double> s, const std::uint64_t* mask,
                           std::uint32_t* kept) const = 0;
  // One map's cells whose bit is set in `mask` (bit c % 64 of word c / 64): their codes in cell
  // order in `kept`, decoded into those cells of `s` (cells() values); other cells untouched.
  // The same values as decode(), cell for cell, but only the kept cells pay for it.
  virtual void decode_kept(const std::uint32_t* kept, const std::uint64_t* mask,
                           std::span<double> s) const = 0;
  virtual std::size_t cells() const = 0;
  // Order-preserving 4-byte keys of these values and of their tail orientations
  // (numeric/order_keys.hpp), or none.
  virtual std::optional<OrderKeys> order_keys() const = 0;
  // Per cell c, the codes whose value s has a null orientation for `tail` (numeric/tail.hpp)
  // above floor[c], as a test on the code read as an int32: above[c] < code or code < below[c].
  // False, and nothing set, when the codes are not in the order of their values (floats). The
  // spans hold at least cells() values.
  virtual bool passing_codes(std::span<const double> floor, Tail tail,
                             std::span<std::int32_t> above, std::span<std::int32_t> below) const {
    (void)floor, (void)tail, (void)above, (void)below;
    return false;
  }
};

// Values that are floats widened to double.
std::unique_ptr<MapCodec> make_float_codec(std::size_t cells);

// Values s = double(dot) / denominator[cell] with integer |dot| < 2^31; the denominators are the
// kernel's own (the same double products), one per cell of a map.
std::unique_ptr<MapCodec> make_quotient_codec(std::vector<double> denominators);

}  // namespace permrsa
