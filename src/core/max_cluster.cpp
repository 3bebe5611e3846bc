// The largest cluster of a map, for the null distribution: labelling by runs.
//
// Each layer (row) is cut into runs: maximal stretches of passing cells of one sign. With
// layer-time connectivity a run joins every run of the row above that overlaps it in time and
// has its sign (union-find over runs, which are few: a null map passes few cells). The
// statistics are then added cell by cell in row-major order into each run's root, the same
// order find_clusters() uses, so the largest statistic is bit-equal to its result.
#include <algorithm>
#include <cstring>
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

// Row l's pass kinds as bits, cell t at bit t % 64 of word t / 64: `ones` the cells of kind 1,
// `twos` those of kind 2. Eight kind bytes (0, 1 or 2) at a time: a byte's low bit moves to bit
// i of the product's top byte (the multiplier's bytes 0x80 >> j never carry into it).
void pack_row(const std::uint8_t* row, std::size_t T, std::vector<std::uint64_t>& ones,
              std::vector<std::uint64_t>& twos) {
  constexpr std::uint64_t kLow = 0x0101010101010101ull, kGather = 0x0102040810204080ull;
  const std::size_t words = (T + 63) / 64;
  ones.assign(words, 0);
  twos.assign(words, 0);
  for (std::size_t t = 0; t < T; t += 8) {
    std::uint64_t bytes = 0;
    std::memcpy(&bytes, row + t, std::min<std::size_t>(8, T - t));
    if (bytes == 0) continue;  // a null map passes few cells
    const unsigned shift = static_cast<unsigned>(t % 64);
    ones[t / 64] |= (((bytes & kLow) * kGather) >> 56) << shift;
    twos[t / 64] |= ((((bytes >> 1) & kLow) * kGather) >> 56) << shift;
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

// Appends the runs of row l (T cells of pass kinds) to `runs`, in time order.
void add_row_runs(const std::uint8_t* row, std::size_t l, std::size_t T, Scratch& scratch) {
  auto &ones = scratch.ones, &twos = scratch.twos, &any = scratch.any;
  pack_row(row, T, ones, twos);
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

// pass: L*T bytes, 0 (fails), 1 (passes, positive or unsplit), 2 (passes, negative and split).
double largest(const ClusterRule& rule, std::span<const double> e, const std::uint8_t* pass) {
  thread_local Scratch scratch;
  auto& runs = scratch.runs;
  auto& parent = scratch.parent;
  runs.clear();
  const std::size_t T = rule.times;
  std::size_t above = 0;  // the previous row's first run
  for (std::size_t l = 0; l < rule.layers; ++l) {
    const std::size_t row_begin = runs.size();
    add_row_runs(pass + l * T, l, T, scratch);
    parent.resize(runs.size());
    for (std::size_t r = row_begin; r < runs.size(); ++r) parent[r] = static_cast<std::uint32_t>(r);
    if (rule.connectivity == Connectivity::layer_time) join_rows(runs, parent, above, row_begin);
    above = row_begin;
  }
  return runs.empty() ? 0.0 : largest_root(rule, e, scratch);
}

// Cells that pass, with their side: a run never mixes 1 and 2.
template <class Passes>
double largest_of(const ClusterRule& rule, std::span<const double> e, std::span<const double> s,
                  Passes&& passes) {
  thread_local std::vector<std::uint8_t> kinds;
  kinds.resize(e.size());
  // Through a local pointer: stores through the thread_local vector's own would make the
  // compiler reload its data pointer per cell, and keep the loop scalar.
  std::uint8_t* kind = kinds.data();
  const double* sc = s.data();
  const auto split = static_cast<std::uint8_t>(rule.split_by_sign);
  for (std::size_t c = 0; c < e.size(); ++c)  // vectorised
    kind[c] = static_cast<std::uint8_t>(passes(c) * (1 + (split & (sc[c] < 0))));
  return largest(rule, e, kind);
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
