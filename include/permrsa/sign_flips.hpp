// Subject sign flips as a pure function of (seed, k), for the random-effects test.
//
// k = 0 flips nobody (the observed data). When 2^N <= K + 1 every pattern is used once: subject
// n is flipped in pattern k iff bit n of k is 1, and p-values are exact. Otherwise each
// subject's sign comes from one bit of a Random123 Philox4x32-10 stream keyed by the seed, with
// k in the counter (stream tag "SIGN").
#pragma once

#include <cstdint>
#include <span>

namespace permrsa {

inline constexpr std::uint32_t kSignFlipStream = 0x5349474eu;  // "SIGN"

enum class SignFlipKind { exhaustive, philox };

class SignFlipSet {
 public:
  // Exhaustive when 2^N <= requested_k + 1 (then K = 2^N - 1), else Philox.
  static SignFlipSet generated(std::size_t subjects, std::int64_t requested_k, std::uint64_t seed);

  std::size_t subjects() const { return subjects_; }
  std::int64_t count() const { return k_; }
  SignFlipKind kind() const { return kind_; }

  // out[n] = +1 or -1 for pattern k (0 <= k <= K).
  void signs(std::int64_t k, std::span<std::int8_t> out) const;

 private:
  std::size_t subjects_ = 0;
  std::int64_t k_ = 0;
  std::uint64_t seed_ = 0;
  SignFlipKind kind_ = SignFlipKind::philox;
};

}  // namespace permrsa
