#include "permrsa/group_relabels.hpp"

#include <algorithm>
#include <limits>
#include <numeric>

#include "permrsa/error.hpp"
#include "permrsa/permutations.hpp"

namespace permrsa {

std::uint64_t binomial_or_max(std::size_t n, std::size_t r) {
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  if (r > n) return 0;
  r = std::min(r, n - r);
  __extension__ typedef unsigned __int128 Wide;  // c * (n - r + i) before the division
  Wide c = 1;
  for (std::size_t i = 1; i <= r; ++i) {
    c = c * (n - r + i) / i;  // exact: c * (n - r + i) is divisible by i at every step
    if (c > (std::uint64_t{1} << 62)) return kMax;
  }
  return static_cast<std::uint64_t>(c);
}

namespace {

// The place of a subset (mask over n subjects, `members` of them set) among all subsets of that
// size in lexicographic order of their sorted members.
std::uint64_t subset_rank(const std::vector<std::uint8_t>& in_subset, std::size_t members) {
  std::uint64_t rank = 0;
  std::size_t left = members;
  const std::size_t n = in_subset.size();
  for (std::size_t i = 0; i < n && left > 0; ++i) {
    if (in_subset[i]) {
      --left;
    } else {
      // Every subset that takes i here (with the same earlier members) comes first.
      rank += binomial_or_max(n - i - 1, left - 1);
    }
  }
  return rank;
}

}  // namespace

GroupRelabelSet GroupRelabelSet::generated(std::vector<std::uint8_t> groups,
                                           std::int64_t requested_k, std::uint64_t seed) {
  if (requested_k < 1) throw InternalError("GroupRelabelSet: K must be >= 1");
  GroupRelabelSet set;
  set.group_a_ = static_cast<std::size_t>(std::count(groups.begin(), groups.end(), 0));
  if (set.group_a_ == 0 || set.group_a_ == groups.size())
    throw InternalError("GroupRelabelSet: both groups need subjects");
  set.groups_ = std::move(groups);
  set.seed_ = seed;
  set.k_ = requested_k;
  const std::uint64_t all = binomial_or_max(set.groups_.size(), set.group_a_);
  if (all <= static_cast<std::uint64_t>(requested_k) + 1) {
    set.kind_ = RelabelKind::exhaustive;
    set.k_ = static_cast<std::int64_t>(all - 1);
    std::vector<std::uint8_t> in_a(set.groups_.size());
    for (std::size_t n = 0; n < in_a.size(); ++n) in_a[n] = set.groups_[n] == 0;
    set.observed_rank_ = subset_rank(in_a, set.group_a_);
  }
  return set;
}

void GroupRelabelSet::subset(std::uint64_t rank, std::span<std::uint8_t> out) const {
  const std::size_t n = groups_.size();
  std::size_t left = group_a_;
  for (std::size_t i = 0; i < n; ++i) {
    if (left == 0) {
      out[i] = 1;
      continue;
    }
    // Subsets with i as their next member come first: C(n - i - 1, left - 1) of them.
    const std::uint64_t with_i = binomial_or_max(n - i - 1, left - 1);
    if (rank < with_i) {
      out[i] = 0;
      --left;
    } else {
      out[i] = 1;
      rank -= with_i;
    }
  }
}

void GroupRelabelSet::labels(std::int64_t k, std::span<std::uint8_t> out) const {
  if (out.size() != groups_.size() || k < 0 || k > k_)
    throw InternalError("group relabelling index out of range");
  if (k == 0) {
    std::copy(groups_.begin(), groups_.end(), out.begin());
    return;
  }
  if (kind_ == RelabelKind::exhaustive) {
    // Ranks 0..C-1 without the observed one, which is k = 0.
    const auto u = static_cast<std::uint64_t>(k);
    subset(u <= observed_rank_ ? u - 1 : u, out);
    return;
  }
  const std::size_t n = groups_.size();
  std::vector<std::uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  PhiloxStream words(seed_, static_cast<std::uint64_t>(k), kGroupRelabelStream);
  for (std::size_t i = n - 1; i >= 1; --i) {
    const auto j = bounded_draw(static_cast<std::uint32_t>(i + 1), words);
    std::swap(order[i], order[j]);
  }
  std::fill(out.begin(), out.end(), std::uint8_t{1});
  for (std::size_t i = 0; i < group_a_; ++i) out[order[i]] = 0;
}

}  // namespace permrsa
