#include "kernels/map_codec.hpp"

#include <bit>
#include <cmath>
#include <utility>

#include "numeric/bit_words.hpp"
#include "permrsa/error.hpp"

namespace permrsa {
namespace {

void check_sizes(std::size_t in, std::size_t out, std::size_t cells) {
  if (in != out || (cells > 0 && in % cells != 0))
    throw InternalError("map codec: sizes do not match whole maps");
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
    for (std::size_t i = 0; i < s.size(); ++i)
      out[i] = std::bit_cast<std::uint32_t>(static_cast<float>(s[i]));
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
      for (std::size_t c = 0; c < cells; ++c) {
        const auto dot = static_cast<std::int32_t>(std::nearbyint(s[m + c] * d_[c]));
        out[m + c] = std::bit_cast<std::uint32_t>(dot);
      }
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

 private:
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
