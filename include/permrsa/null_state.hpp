// The null distribution as far as it is known: which permutations k are done, and what they
// contributed. It is what a Slurm array task's shard holds for its range, what a checkpoint
// holds, and what `permrsa merge` adds up. Every part combines exactly (integer counts, values
// stored per k, a multiset of per-cell top values), so any split of 0..K gives the same bits.
//
// k = 0 is the observed data. The range that holds k = 0 contributes the observed values to
// the per-cell top values (the permutation-p threshold counts the observed data in its null);
// it adds no exceedance count and no per-k maximum (those of k = 0 are computed from the
// observed map when the results are written).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace permrsa {

// Permutations [first, last) of 0..K.
struct KRange {
  std::int64_t first = 0, last = 0;
  std::int64_t size() const { return last > first ? last - first : 0; }
  friend bool operator==(const KRange&, const KRange&) = default;
};

// Sorted, disjoint, adjacent ranges joined.
using KRanges = std::vector<KRange>;

KRanges normalized(KRanges ranges);
// The union of two sets of ranges, normalized.
KRanges unite(const KRanges& a, const KRanges& b);
KRanges subtract(const KRanges& from, const KRanges& remove);
KRanges intersect(const KRanges& a, const KRanges& b);
std::int64_t count(const KRanges& ranges);
// "0:1000, 2000:3001" (half-open, as --permutations takes them); "none" when empty.
std::string describe(const KRanges& ranges);
// Parses "A:B" (A < B), "A:" (to K + 1), "I/N" (part I of N, 0-based, of 0:K+1) or "all" for a
// run of K permutations; InputError
// naming `option` otherwise, or when the range leaves 0..K.
KRange parse_k_range(const std::string& text, std::int64_t permutations, const std::string& option);

struct NullState {
  std::int64_t permutations = 0;  // K
  std::size_t cells = 0;          // L * T
  bool two_pass = false;          // permutation-p cluster-forming threshold
  bool tfce = false;
  KRanges pass1, pass2;              // done; pass2 only with two_pass
  std::vector<std::int64_t> exceed;  // cells: #{k >= 1 in pass1 : e_k >= e_0}
  // K + 1 each, valid at the k >= 1 of pass1 (max_cluster: of pass2 with two_pass); 0 elsewhere.
  std::vector<double> max_statistic, max_cluster, max_tfce;
  std::size_t top_capacity = 0;    // m + 1 (two_pass)
  std::size_t top_held = 0;        // values held per cell
  std::vector<double> top_values;  // cells x top_held: each cell's largest e over pass1
  std::vector<double> thresholds;  // cells: pass 2's thresholds (two_pass, pass 1 complete)

  // Nothing done yet.
  static NullState empty(std::int64_t permutations, std::size_t cells, bool two_pass, bool tfce,
                         std::size_t top_capacity);
  KRange all() const { return {0, permutations + 1}; }
  bool pass1_complete() const;
  bool complete() const;
  // Adds `other` (same K, cells and settings; ranges disjoint from this one's): InternalError
  // otherwise. Callers that can name files check first (check_mergeable).
  void absorb(const NullState& other);
  // The same state without pass 1: what a shard of stage 2 holds.
  NullState only_pass2() const;
  // With pass 1 complete (two_pass): the thresholds replace the top values they come from.
  void settle_thresholds();
};

// Why `a` and `b` cannot be added ("" when they can): different K, settings, or overlapping
// ranges (named).
std::string merge_conflict(const NullState& a, const NullState& b);

}  // namespace permrsa
