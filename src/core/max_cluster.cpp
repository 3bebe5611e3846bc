// The largest cluster of a map, for the null distribution: labelling by runs.
//
// Each layer (row) is cut into runs: maximal stretches of passing cells of one sign. With
// layer-time connectivity a run joins every run of the row above that overlaps it in time and
// has its sign (union-find over runs, which are few: a null map passes few cells). The
// statistics are then added cell by cell in row-major order into each run's root, the same
// order find_clusters() uses, so the largest statistic is bit-equal to its result.
#include <algorithm>
#include <vector>

#include "permrsa/clusters.hpp"

namespace permrsa {
namespace {

struct Run {
  std::uint32_t row, first, last;  // cells [first, last] of the row (times)
  bool positive;
};

struct Scratch {
  std::vector<Run> runs;
  std::vector<std::uint32_t> parent;
  std::vector<double> statistic;
  std::vector<std::uint64_t> ones, twos, any;  // one row's pass bits (add_row_runs)
};

std::uint32_t root(std::vector<std::uint32_t>& parent, std::uint32_t i) {
  while (parent[i] != i) {
    parent[i] = parent[parent[i]];  // path halving
    i = parent[i];
  }
  return i;
}

// Row l's passing cells as bits, cell t at bit t % 64 of word t / 64: `ones` those that pass on
// the positive side (or unsplit), `twos` those that pass negative when the rule splits by sign.
// Straight from the map, 64 cells a word: a compare and a shift per lane, vectorised.
template <class Passes>
void row_bits(std::size_t base, std::size_t T, const double* s, bool split, const Passes& passes,
              std::vector<std::uint64_t>& ones, std::vector<std::uint64_t>& twos) {
  const std::size_t words = (T + 63) / 64;
  ones.resize(words);
  twos.resize(words);
  std::uint64_t* one = ones.data();  // local pointers: the vectors are thread_local scratch
  std::uint64_t* two = twos.data();
  for (std::size_t w = 0; w < words; ++w) {
    const std::size_t c0 = base + w * 64, n = std::min<std::size_t>(64, T - w * 64);
    std::uint64_t pass = 0, negative = 0;
    for (std::size_t i = 0; i < n; ++i) {
      pass |= static_cast<std::uint64_t>(passes(c0 + i)) << i;
      negative |= static_cast<std::uint64_t>(s[c0 + i] < 0) << i;
    }
    if (!split) negative = 0;
    one[w] = pass & ~negative;
    two[w] = pass & negative;
  }
}

// The first cell >= from whose bit is `value` in the row's words, or T.
std::size_t next_bit(const std::vector<std::uint64_t>& words, std::size_t from, std::size_t T,
                     bool value) {
  const std::uint64_t flip = value ? 0 : ~std::uint64_t{0};
  for (std::size_t w = from / 64; w < words.size(); ++w) {
    std::uint64_t word = words[w] ^ flip;
    if (w == from / 64) word &= ~std::uint64_t{0} << (from % 64);
    if (word != 0) return std::min(T, w * 64 + static_cast<std::size_t>(__builtin_ctzll(word)));
  }
  return T;
}

// Appends the runs of row l (its bits in scratch.ones and scratch.twos) to `runs`, in time order.
void add_row_runs(std::size_t l, std::size_t T, Scratch& scratch) {
  auto &ones = scratch.ones, &twos = scratch.twos, &any = scratch.any;
  any.resize(ones.size());
  for (std::size_t w = 0; w < ones.size(); ++w) any[w] = ones[w] | twos[w];
  for (std::size_t t = next_bit(any, 0, T, true); t < T; t = next_bit(any, t, T, true)) {
    const bool positive = (ones[t / 64] >> (t % 64)) & 1u;
    const std::size_t u = next_bit(positive ? ones : twos, t + 1, T, false);
    scratch.runs.push_back({static_cast<std::uint32_t>(l), static_cast<std::uint32_t>(t),
                            static_cast<std::uint32_t>(u - 1), positive});
    t = u;
  }
}

// Joins the runs [below, end) of a row with the overlapping runs of one sign of the row above,
// [above, below), walking both rows in time order.
void join_rows(const std::vector<Run>& runs, std::vector<std::uint32_t>& parent, std::size_t above,
               std::size_t below) {
  std::size_t a = above, b = below;
  const std::size_t above_end = below;
  while (a < above_end && b < runs.size()) {
    const Run &up = runs[a], &down = runs[b];
    if (up.last >= down.first && down.last >= up.first && up.positive == down.positive) {
      const auto ra = root(parent, static_cast<std::uint32_t>(a));
      const auto rb = root(parent, static_cast<std::uint32_t>(b));
      if (ra != rb) parent[std::max(ra, rb)] = std::min(ra, rb);
    }
    if (up.last < down.last)
      ++a;
    else
      ++b;
  }
}

// The statistics added cell by cell in row-major order into each run's root; the largest.
double largest_root(const ClusterRule& rule, std::span<const double> e, Scratch& scratch) {
  auto& runs = scratch.runs;
  auto& statistic = scratch.statistic;
  statistic.assign(runs.size(), 0.0);
  const bool mass = rule.statistic == ClusterStatistic::mass;
  for (std::size_t r = 0; r < runs.size(); ++r) {  // runs and their cells in row-major order
    double& into = statistic[root(scratch.parent, static_cast<std::uint32_t>(r))];
    const std::size_t base = runs[r].row * rule.times;
    for (std::size_t t = runs[r].first; t <= runs[r].last; ++t) into += mass ? e[base + t] : 1.0;
  }
  double best = 0;
  for (std::size_t r = 0; r < runs.size(); ++r)
    if (scratch.parent[r] == r) best = std::max(best, statistic[r]);
  return best;
}

// The largest cluster of the cells for which passes(c) is 1, each on its side: a run never mixes
// positive and negative cells when the rule splits by sign.
template <class Passes>
double largest_of(const ClusterRule& rule, std::span<const double> e, std::span<const double> s,
                  const Passes& passes) {
  thread_local Scratch scratch;
  auto& runs = scratch.runs;
  auto& parent = scratch.parent;
  runs.clear();
  const std::size_t T = rule.times;
  std::size_t above = 0;  // the previous row's first run
  for (std::size_t l = 0; l < rule.layers; ++l) {
    const std::size_t row_begin = runs.size();
    row_bits(l * T, T, s.data(), rule.split_by_sign, passes, scratch.ones, scratch.twos);
    add_row_runs(l, T, scratch);
    parent.resize(runs.size());
    for (std::size_t r = row_begin; r < runs.size(); ++r) parent[r] = static_cast<std::uint32_t>(r);
    if (rule.connectivity == Connectivity::layer_time) join_rows(runs, parent, above, row_begin);
    above = row_begin;
  }
  return runs.empty() ? 0.0 : largest_root(rule, e, scratch);
}

}  // namespace

double max_cluster_statistic(const ClusterRule& rule, std::span<const double> e,
                             std::span<const double> s, std::span<const std::uint8_t> pass) {
  const std::uint8_t* p = pass.data();
  return largest_of(rule, e, s,
                    [p](std::size_t c) { return static_cast<std::uint8_t>(p[c] != 0); });
}

double max_cluster_statistic(const ClusterRule& rule, std::span<const double> e,
                             std::span<const double> s, std::span<const double> threshold) {
  const double *ec = e.data(), *th = threshold.data();
  return largest_of(rule, e, s,
                    [ec, th](std::size_t c) { return static_cast<std::uint8_t>(ec[c] > th[c]); });
}

}  // namespace permrsa
