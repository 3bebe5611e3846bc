// Stimulus permutations as a pure function of (seed, k).
//
// k = 0 is always the identity. For k >= 1 the permutation comes from one of three sources:
//  - exhaustive: when S! <= K + 1, permutation k is the k-th in lexicographic order, so every
//    permutation is used exactly once and p-values are exact;
//  - philox: a Fisher-Yates shuffle whose draws come from Random123 Philox4x32-10 keyed by the
//    seed, with k in the counter;
//  - explicit: row k-1 of a user-supplied K x S array.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace permrsa {

// Uniform integer in [0, bound) from a stream of 32-bit words: Lemire's multiply-shift with
// rejection ("Fast random integer generation in an interval", ACM TOMACS 2019). Defined here,
// not by the standard library, so every platform draws the same numbers.
template <class NextWord>
std::uint32_t bounded_draw(std::uint32_t bound, NextWord&& next) {
  std::uint64_t m = std::uint64_t{next()} * bound;
  auto low = static_cast<std::uint32_t>(m);
  if (low < bound) {
    const std::uint32_t threshold = static_cast<std::uint32_t>(-bound) % bound;
    while (low < threshold) {
      m = std::uint64_t{next()} * bound;
      low = static_cast<std::uint32_t>(m);
    }
  }
  return static_cast<std::uint32_t>(m >> 32);
}

// A stream of 32-bit words from Philox4x32-10: key = seed, counter = (k, block, stream tag).
class PhiloxStream {
 public:
  PhiloxStream(std::uint64_t seed, std::uint64_t k, std::uint32_t stream_tag);
  std::uint32_t operator()();

 private:
  std::uint32_t key_[2];
  std::uint32_t counter_[4];
  std::uint32_t block_[4] = {0, 0, 0, 0};
  int used_ = 4;
};

inline constexpr std::uint32_t kStimulusStream = 0x5354494du;  // "STIM"

enum class PermutationKind { exhaustive, philox, explicit_rows };

class PermutationSet {
 public:
  // Chooses exhaustive enumeration when S! <= requested_k + 1 (then K = S! - 1), else Philox.
  static PermutationSet generated(std::size_t stimuli, std::int64_t requested_k,
                                  std::uint64_t seed);
  // Rows are permutations 1..K (validated by the caller).
  static PermutationSet from_rows(std::size_t stimuli, std::vector<std::uint32_t> rows);

  std::size_t stimuli() const { return stimuli_; }
  std::int64_t count() const { return k_; }  // K, not counting the identity
  PermutationKind kind() const { return kind_; }

  // Writes permutation k (0 <= k <= K) into out[0..S).
  void permutation(std::int64_t k, std::span<std::uint32_t> out) const;

 private:
  std::size_t stimuli_ = 0;
  std::int64_t k_ = 0;
  std::uint64_t seed_ = 0;
  PermutationKind kind_ = PermutationKind::philox;
  std::vector<std::uint32_t> rows_;
};

// Factorial of n when it is at most `cap`, else nothing (avoids overflow).
std::optional<std::uint64_t> factorial_up_to(std::size_t n, std::uint64_t cap);

// The pair gather of a stimulus permutation: gather[p] is the condensed index of
// (pi[i], pi[j]) for pair p = (i, j), so the permuted RDM is D'[p] = D[gather[p]].
void pair_gather(std::span<const std::uint32_t> pi, std::span<std::uint32_t> gather);

}  // namespace permrsa
