// Group relabellings of the two-group scheme as a pure function of (seed, k) (issue 19).
//
// The subjects keep their maps; a relabelling assigns N_a of them to group a and the rest to
// group b. k = 0 is the observed assignment. When C(N, N_a) <= K + 1 every assignment is used
// once (then K = C(N, N_a) - 1 and p-values are exact): the subsets of size N_a in
// lexicographic order of their members, with the observed one moved to k = 0. Otherwise
// assignment k takes the first N_a subjects of a Fisher-Yates shuffle of 0..N-1 drawn from a
// Random123 Philox4x32-10 stream keyed by the seed, with k in the counter (stream tag "GRUP"),
// as MNE's permutation_cluster_test draws random relabellings (it has no exact mode for
// independent samples).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace permrsa {

inline constexpr std::uint32_t kGroupRelabelStream = 0x47525550u;  // "GRUP"

enum class RelabelKind { exhaustive, philox };

class GroupRelabelSet {
 public:
  // groups: each subject's observed group, 0 (a) or 1 (b), both with at least one subject.
  static GroupRelabelSet generated(std::vector<std::uint8_t> groups, std::int64_t requested_k,
                                   std::uint64_t seed);

  std::size_t subjects() const { return groups_.size(); }
  std::size_t group_a_size() const { return group_a_; }
  std::int64_t count() const { return k_; }
  RelabelKind kind() const { return kind_; }
  const std::vector<std::uint8_t>& observed() const { return groups_; }

  // out[n] = 0 (group a) or 1 (group b) in assignment k (0 <= k <= K).
  void labels(std::int64_t k, std::span<std::uint8_t> out) const;

 private:
  void subset(std::uint64_t rank, std::span<std::uint8_t> out) const;
  std::vector<std::uint8_t> groups_;
  std::size_t group_a_ = 0;
  std::int64_t k_ = 0;
  std::uint64_t seed_ = 0;
  std::uint64_t observed_rank_ = 0;  // the observed subset's place in the enumeration
  RelabelKind kind_ = RelabelKind::philox;
};

// C(n, r), or UINT64_MAX when it does not fit in 63 bits.
std::uint64_t binomial_or_max(std::size_t n, std::size_t r);

}  // namespace permrsa
