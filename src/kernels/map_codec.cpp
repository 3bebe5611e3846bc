#include "kernels/map_codec.hpp"

#include <bit>
#include <cmath>
#include <limits>
#include <utility>

#include "numeric/bit_words.hpp"
#include "permrsa/error.hpp"

namespace permrsa {
namespace {

void check_sizes(std::size_t in, std::size_t out, std::size_t cells) {
  if (in != out || (cells > 0 && in % cells != 0))
    throw InternalError("map codec: sizes do not match whole maps");
}

// code(s[c], c) for the cells c set in `mask`, in cell order, to `kept`.
template <class Code>
void encode_masked(std::span<const double> s, const std::uint64_t* mask, std::uint32_t* kept,
                   Code code) {
  for_each_set_cell(mask, words_for(s.size()), [&](std::size_t c) { *kept++ = code(s[c], c); });
}

// s[c] = value(code, c) for the cells c set in `mask`, their codes taken from `kept` in order.
template <class Value>
void decode_masked(const std::uint32_t* kept, const std::uint64_t* mask, std::span<double> s,
                   Value value) {
  for_each_set_cell(mask, words_for(s.size()), [&](std::size_t c) { s[c] = value(*kept++, c); });
}

class FloatCodec final : public MapCodec {
 public:
  explicit FloatCodec(std::size_t cells) : cells_(cells) {}
  void encode(std::span<const double> s, std::span<std::uint32_t> out) const override {
    check_sizes(s.size(), out.size(), cells_);
    for (std::size_t i = 0; i < s.size(); ++i) out[i] = code(s[i]);
  }
  void encode_kept(std::span<const double> s, const std::uint64_t* mask,
                   std::uint32_t* kept) const override {
    check_sizes(s.size(), cells_, cells_);
    encode_masked(s, mask, kept, [](double v, std::size_t) { return code(v); });
  }
  void decode(std::span<const std::uint32_t> in, std::span<double> s) const override {
    check_sizes(in.size(), s.size(), cells_);
    for (std::size_t i = 0; i < in.size(); ++i) s[i] = value(in[i]);
  }
  void decode_kept(const std::uint32_t* kept, const std::uint64_t* mask,
                   std::span<double> s) const override {
    check_sizes(s.size(), cells_, cells_);
    decode_masked(kept, mask, s, [](std::uint32_t code, std::size_t) { return value(code); });
  }
  std::size_t cells() const override { return cells_; }
  std::optional<OrderKeys> order_keys() const override { return OrderKeys::of_floats(); }

 private:
  static std::uint32_t code(double v) {
    return std::bit_cast<std::uint32_t>(static_cast<float>(v));
  }
  static double value(std::uint32_t code) {
    return static_cast<double>(std::bit_cast<float>(code));
  }
  std::size_t cells_;
};

class QuotientCodec final : public MapCodec {
 public:
  explicit QuotientCodec(std::vector<double> denominators) : d_(std::move(denominators)) {}
  void encode(std::span<const double> s, std::span<std::uint32_t> out) const override {
    const std::size_t cells = d_.size();
    check_sizes(s.size(), out.size(), cells);
    for (std::size_t m = 0; m < s.size(); m += cells)
      for (std::size_t c = 0; c < cells; ++c) out[m + c] = code(s[m + c], c);
  }
  void encode_kept(std::span<const double> s, const std::uint64_t* mask,
                   std::uint32_t* kept) const override {
    check_sizes(s.size(), d_.size(), d_.size());
    encode_masked(s, mask, kept, [this](double v, std::size_t c) { return code(v, c); });
  }
  void decode(std::span<const std::uint32_t> in, std::span<double> s) const override {
    const std::size_t cells = d_.size();
    check_sizes(in.size(), s.size(), cells);
    for (std::size_t m = 0; m < in.size(); m += cells)
      for (std::size_t c = 0; c < cells; ++c) s[m + c] = value(in[m + c], c);
  }
  void decode_kept(const std::uint32_t* kept, const std::uint64_t* mask,
                   std::span<double> s) const override {
    check_sizes(s.size(), d_.size(), d_.size());
    decode_masked(kept, mask, s,
                  [this](std::uint32_t code, std::size_t c) { return value(code, c); });
  }
  std::size_t cells() const override { return d_.size(); }
  std::optional<OrderKeys> order_keys() const override { return OrderKeys::of_quotients(d_); }
  // A code's value rises with the code (d > 0, and a correctly rounded division is monotone),
  // so each side is one threshold, found by bisection on the codec's own division. The codes
  // lie strictly inside the int32 range (|dot| <= m b < 2^31 - 1024, the kernel's codec
  // condition), so the range's ends stand for "every code" and "none".
  bool passing_codes(std::span<const double> floor, Tail tail, std::span<std::int32_t> above,
                     std::span<std::int32_t> below) const override {
    if (floor.size() != d_.size() || above.size() < d_.size() || below.size() < d_.size())
      throw InternalError("map codec: bounds for other maps");
    constexpr std::int32_t lowest = std::numeric_limits<std::int32_t>::lowest();
    constexpr std::int32_t highest = std::numeric_limits<std::int32_t>::max();
    for (std::size_t c = 0; c < d_.size(); ++c) {
      const double f = floor[c];
      // greater (and two-sided): s > f from the first code on whose value is above f.
      above[c] = tail == Tail::less
                     ? highest
                     : first_code([&](std::int64_t k) { return at(k, c) > f; }, f * d_[c]) - 1;
      // less (and two-sided): -s > f, i.e. s < -f, up to the first code whose value is not.
      below[c] = tail == Tail::greater
                     ? lowest
                     : first_code([&](std::int64_t k) { return !(at(k, c) < -f); }, -f * d_[c]);
    }
    return true;
  }

 private:
  // value(code) for a code read as an int32 (here widened), as value() divides.
  double at(std::int64_t dot, std::size_t c) const {
    return static_cast<double>(static_cast<std::int32_t>(dot)) / d_[c];
  }
  // The least code in [lowest + 1, highest] where `holds` (false, then true, as codes rise) is
  // true; highest when it never is. Codes at the ends never occur, so "lowest" in `above` (the
  // result less one) keeps every code and "highest" none. `guess`, where the change should be
  // (f d), narrows the bisection to a few codes when it brackets the change.
  template <class Holds>
  static std::int32_t first_code(Holds holds, double guess) {
    const std::int64_t start = std::int64_t{std::numeric_limits<std::int32_t>::lowest()} + 1;
    std::int64_t lo = start, hi = std::numeric_limits<std::int32_t>::max();
    if (std::fabs(guess) < 2.0e9) {  // finite and inside the codes
      const auto g = static_cast<std::int64_t>(std::floor(guess));
      if (!holds(g - 2) && holds(g + 2)) {
        lo = g - 2;
        hi = g + 2;
      }
    }
    if (lo == start && holds(lo)) return static_cast<std::int32_t>(lo);
    while (hi - lo > 1) {  // holds(lo) is false; hi holds, or is the end
      const std::int64_t mid = lo + (hi - lo) / 2;
      (holds(mid) ? hi : lo) = mid;
    }
    return static_cast<std::int32_t>(hi);
  }

  // The dot product back from its quotient (exact: |dot| < 2^31, and the division was rounded
  // correctly).
  std::uint32_t code(double v, std::size_t c) const {
    return std::bit_cast<std::uint32_t>(static_cast<std::int32_t>(std::nearbyint(v * d_[c])));
  }
  // The exact dot product over cell c's denominator: the kernel's own division.
  double value(std::uint32_t code, std::size_t c) const {
    return static_cast<double>(std::bit_cast<std::int32_t>(code)) / d_[c];
  }
  std::vector<double> d_;
};

}  // namespace

std::unique_ptr<MapCodec> make_float_codec(std::size_t cells) {
  return std::make_unique<FloatCodec>(cells);
}

std::unique_ptr<MapCodec> make_quotient_codec(std::vector<double> denominators) {
  return std::make_unique<QuotientCodec>(std::move(denominators));
}

}  // namespace permrsa
