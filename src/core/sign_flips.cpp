#include "permrsa/sign_flips.hpp"

#include "permrsa/error.hpp"
#include "permrsa/permutations.hpp"

namespace permrsa {

SignFlipSet SignFlipSet::generated(std::size_t subjects, std::int64_t requested_k, std::uint64_t seed) {
  if (requested_k < 1) throw InternalError("SignFlipSet: K must be >= 1");
  SignFlipSet set;
  set.subjects_ = subjects;
  set.seed_ = seed;
  set.k_ = requested_k;
  if (subjects < 63 && (std::uint64_t{1} << subjects) <= static_cast<std::uint64_t>(requested_k) + 1) {
    set.kind_ = SignFlipKind::exhaustive;
    set.k_ = static_cast<std::int64_t>((std::uint64_t{1} << subjects) - 1);
  }
  return set;
}

void SignFlipSet::signs(std::int64_t k, std::span<std::int8_t> out) const {
  if (out.size() != subjects_ || k < 0 || k > k_) throw InternalError("sign-flip index out of range");
  if (k == 0) {
    for (auto& s : out) s = 1;
    return;
  }
  if (kind_ == SignFlipKind::exhaustive) {
    for (std::size_t n = 0; n < subjects_; ++n)
      out[n] = ((static_cast<std::uint64_t>(k) >> n) & 1u) ? -1 : 1;
    return;
  }
  PhiloxStream words(seed_, static_cast<std::uint64_t>(k), kSignFlipStream);
  std::uint32_t word = 0;
  for (std::size_t n = 0; n < subjects_; ++n) {
    if (n % 32 == 0) word = words();
    out[n] = ((word >> (n % 32)) & 1u) ? -1 : 1;
  }
}

}  // namespace permrsa
