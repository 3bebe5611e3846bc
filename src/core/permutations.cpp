#include "permrsa/permutations.hpp"

#include <Random123/philox.h>

#include <algorithm>
#include <numeric>

#include "permrsa/condensed.hpp"
#include "permrsa/error.hpp"

namespace permrsa {

PhiloxStream::PhiloxStream(std::uint64_t seed, std::uint64_t k, std::uint32_t stream_tag)
    : key_{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)},
      counter_{static_cast<std::uint32_t>(k), static_cast<std::uint32_t>(k >> 32), 0, stream_tag} {}

std::uint32_t PhiloxStream::operator()() {
  if (used_ == 4) {
    r123::Philox4x32 rng;
    r123::Philox4x32::ctr_type ctr = {{counter_[0], counter_[1], counter_[2], counter_[3]}};
    r123::Philox4x32::key_type key = {{key_[0], key_[1]}};
    const auto out = rng(ctr, key);
    std::copy(out.v, out.v + 4, block_);
    ++counter_[2];
    used_ = 0;
  }
  return block_[used_++];
}

std::optional<std::uint64_t> factorial_up_to(std::size_t n, std::uint64_t cap) {
  std::uint64_t f = 1;
  for (std::size_t i = 2; i <= n; ++i) {
    if (f > cap / i) return std::nullopt;
    f *= i;
  }
  return f;
}

PermutationSet PermutationSet::generated(std::size_t stimuli, std::int64_t requested_k,
                                         std::uint64_t seed) {
  if (requested_k < 1) throw InternalError("PermutationSet: K must be >= 1");
  PermutationSet set;
  set.stimuli_ = stimuli;
  set.seed_ = seed;
  const auto all = factorial_up_to(stimuli, static_cast<std::uint64_t>(requested_k) + 1);
  if (all) {
    set.kind_ = PermutationKind::exhaustive;
    set.k_ = static_cast<std::int64_t>(*all) - 1;
  } else {
    set.kind_ = PermutationKind::philox;
    set.k_ = requested_k;
  }
  return set;
}

PermutationSet PermutationSet::from_rows(std::size_t stimuli, std::vector<std::uint32_t> rows) {
  PermutationSet set;
  set.stimuli_ = stimuli;
  set.kind_ = PermutationKind::explicit_rows;
  set.k_ = static_cast<std::int64_t>(rows.size() / stimuli);
  set.rows_ = std::move(rows);
  return set;
}

void PermutationSet::permutation(std::int64_t k, std::span<std::uint32_t> out) const {
  if (out.size() != stimuli_ || k < 0 || k > k_) throw InternalError("permutation index out of range");
  std::iota(out.begin(), out.end(), 0u);
  if (k == 0) return;
  switch (kind_) {
    case PermutationKind::explicit_rows: {
      const auto* row = rows_.data() + static_cast<std::size_t>(k - 1) * stimuli_;
      std::copy(row, row + stimuli_, out.begin());
      return;
    }
    case PermutationKind::exhaustive: {
      // k in the factorial number system: digit i picks among the S-i unused stimuli.
      auto rest = static_cast<std::uint64_t>(k);
      std::vector<std::uint64_t> radix(stimuli_);
      std::uint64_t f = 1;
      for (std::size_t i = 0; i < stimuli_; ++i) {
        radix[stimuli_ - 1 - i] = f;  // (S-1-pos)!
        f *= (i + 1);
      }
      std::vector<std::uint32_t> pool(out.begin(), out.end());
      for (std::size_t pos = 0; pos < stimuli_; ++pos) {
        const std::uint64_t digit = rest / radix[pos];
        rest %= radix[pos];
        out[pos] = pool[digit];
        pool.erase(pool.begin() + static_cast<std::ptrdiff_t>(digit));
      }
      return;
    }
    case PermutationKind::philox: {
      PhiloxStream words(seed_, static_cast<std::uint64_t>(k), kStimulusStream);
      for (std::size_t i = stimuli_ - 1; i >= 1; --i) {
        const auto j = bounded_draw(static_cast<std::uint32_t>(i + 1), words);
        std::swap(out[i], out[j]);
      }
      return;
    }
  }
}

void pair_gather(std::span<const std::uint32_t> pi, std::span<std::uint32_t> gather) {
  const std::size_t s = pi.size();
  std::size_t p = 0;
  for (std::size_t i = 0; i + 1 < s; ++i)
    for (std::size_t j = i + 1; j < s; ++j)
      gather[p++] = static_cast<std::uint32_t>(pair_index(pi[i], pi[j], s));
}

}  // namespace permrsa
