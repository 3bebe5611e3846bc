// The largest cluster of a map, for the null distribution: labelling by runs.
//
// Each layer (row) is cut into runs: maximal stretches of passing cells of one sign. With
// layer-time connectivity a run joins every run of the row above that overlaps it in time and
// has its sign (union-find over runs, which are few: a null map passes few cells). The
// statistics are then added cell by cell in row-major order into each run's root, the same
// order find_clusters() uses, so the largest statistic is bit-equal to its result.
#include <algorithm>
#include <bit>
#include <vector>

#include "numeric/bit_words.hpp"
#include "permrsa/clusters.hpp"
#include "permrsa/error.hpp"

namespace permrsa {
namespace {

struct Run {
  std::uint32_t row, first, last;  // cells [first, last] of the row (times)
  bool positive;
};

// One row's bits, word by word (cell t at bit t % 64 of word t / 64).
struct RowBits {
  std::vector<std::uint64_t> ones, twos;  // passing cells, positive (or unsplit) and negative
  std::vector<std::uint64_t> starts;      // the first cell of each run
  std::vector<std::uint32_t> before;      // runs of the row that start in the words before
  std::size_t first_run = 0;              // the row's first run in Scratch::runs
  void resize(std::size_t words) {
    ones.resize(words);
    twos.resize(words);
    starts.resize(words);
    before.resize(words);
  }
  // The run that holds passing cell t of the row: the runs that start at or before t, less one.
  std::uint32_t run_at(std::size_t w, unsigned bit) const {
    const std::uint64_t up_to_bit = ~std::uint64_t{0} >> (63 - bit);
    return static_cast<std::uint32_t>(
        first_run + before[w] + static_cast<std::size_t>(std::popcount(starts[w] & up_to_bit)) - 1);
  }
};

struct Scratch {
  std::vector<Run> runs;
  std::vector<std::uint32_t> parent;
  std::vector<double> statistic;
  RowBits row, above;  // this row and the one above it
};

std::uint32_t root(std::vector<std::uint32_t>& parent, std::uint32_t i) {
  while (parent[i] != i) {
    parent[i] = parent[parent[i]];  // path halving
    i = parent[i];
  }
  return i;
}

// pass = e > threshold, cell by cell; negative: s < 0.
struct AboveThreshold {
  const double *e, *threshold, *s;
  std::uint64_t word(std::size_t c0, std::size_t n) const {
    return greater_bits(e + c0, threshold + c0, n);
  }
  std::uint64_t negative(std::size_t c0, std::size_t n) const { return negative_bits(s + c0, n); }
};

// pass given as one byte per cell, nonzero for passing.
struct PassBytes {
  const std::uint8_t* pass;
  const double* s;
  std::uint64_t word(std::size_t c0, std::size_t n) const { return nonzero_bits(pass + c0, n); }
  std::uint64_t negative(std::size_t c0, std::size_t n) const { return negative_bits(s + c0, n); }
};

// n <= 64 bits of `words` from bit c0 on (cell c at bit c % 64 of word c / 64).
std::uint64_t bits_at(const std::uint64_t* words, std::size_t c0, std::size_t n) {
  const std::size_t w = c0 / kWordCells, shift = c0 % kWordCells;
  std::uint64_t bits = words[w] >> shift;
  if (shift != 0 && shift + n > kWordCells) bits |= words[w + 1] << (kWordCells - shift);
  return bits & low_bits(n);
}

// pass and the negative cells given as bits.
struct GivenBits {
  const std::uint64_t *pass, *negatives;
  std::uint64_t word(std::size_t c0, std::size_t n) const { return bits_at(pass, c0, n); }
  std::uint64_t negative(std::size_t c0, std::size_t n) const { return bits_at(negatives, c0, n); }
};

// Row l's passing cells as bits, cell t at bit t % 64 of word t / 64: `ones` those that pass on
// the positive side (or unsplit), `twos` those that pass negative when the rule splits by sign.
// Straight from the map, a word at a time (numeric/bit_words.hpp).
template <class Passes>
void row_bits(std::size_t base, std::size_t T, bool split, const Passes& passes, RowBits& row) {
  const std::size_t words = words_for(T);
  row.resize(words);
  std::uint64_t* one = row.ones.data();  // local pointers: the vectors are thread_local scratch
  std::uint64_t* two = row.twos.data();
  for (std::size_t w = 0; w < words; ++w) {
    const std::size_t c0 = base + w * kWordCells, n = std::min(kWordCells, T - w * kWordCells);
    const std::uint64_t pass = passes.word(c0, n);
    const std::uint64_t negative = split ? passes.negative(c0, n) : 0;
    one[w] = pass & ~negative;
    two[w] = pass & negative;
  }
}

// The runs of one sign's bits start where a bit is set and the cell before is not, and end where
// a bit is set and the cell after is not (shifts with the carry between words). Runs of the two
// signs never overlap, so the k-th start of the row begins the run that the k-th end closes:
// every run comes from two bit scans, without searching the words for where it ends.
void add_row_runs(std::size_t l, RowBits& row, std::vector<Run>& runs) {
  const auto &ones = row.ones, &twos = row.twos;
  const std::size_t words = ones.size();
  row.first_run = runs.size();
  std::size_t open = runs.size();  // the first run of the row whose end is not found yet
  for (std::size_t w = 0; w < words; ++w) {
    const std::uint64_t o = ones[w], n = twos[w];
    const std::uint64_t o_before = (o << 1) | (w > 0 ? ones[w - 1] >> 63 : 0);
    const std::uint64_t n_before = (n << 1) | (w > 0 ? twos[w - 1] >> 63 : 0);
    const std::uint64_t o_after = (o >> 1) | (w + 1 < words ? ones[w + 1] << 63 : 0);
    const std::uint64_t n_after = (n >> 1) | (w + 1 < words ? twos[w + 1] << 63 : 0);
    const auto base = static_cast<std::uint32_t>(w * kWordCells);
    row.before[w] = static_cast<std::uint32_t>(runs.size() - row.first_run);
    row.starts[w] = (o & ~o_before) | (n & ~n_before);
    for (std::uint64_t starts = row.starts[w]; starts != 0; starts &= starts - 1) {
      const auto bit = static_cast<std::uint32_t>(std::countr_zero(starts));
      runs.push_back({static_cast<std::uint32_t>(l), base + bit, 0, ((o >> bit) & 1u) != 0});
    }
    for (std::uint64_t ends = (o & ~o_after) | (n & ~n_after); ends != 0; ends &= ends - 1)
      runs[open++].last = base + static_cast<std::uint32_t>(std::countr_zero(ends));
  }
}

// Joins every run of `row` with the runs of `above` that share a cell of its sign. The cells
// that pass with one sign in both rows form stretches; each stretch lies in one run of each row,
// so one union per stretch, found with a bit scan (no walk over both rows' runs, whose
// comparisons the branch predictor could not guess).
void join_rows(const RowBits& row, const RowBits& above, std::vector<std::uint32_t>& parent) {
  std::uint64_t o_carry = 0, n_carry = 0;  // the last cell of the previous word's stretches
  for (std::size_t w = 0; w < row.ones.size(); ++w) {
    const std::uint64_t o = row.ones[w] & above.ones[w], n = row.twos[w] & above.twos[w];
    std::uint64_t stretch_starts = (o & ~((o << 1) | o_carry)) | (n & ~((n << 1) | n_carry));
    o_carry = o >> 63;
    n_carry = n >> 63;
    for (; stretch_starts != 0; stretch_starts &= stretch_starts - 1) {
      const auto bit = static_cast<unsigned>(std::countr_zero(stretch_starts));
      const auto ra = root(parent, above.run_at(w, bit));
      const auto rb = root(parent, row.run_at(w, bit));
      if (ra != rb) parent[std::max(ra, rb)] = std::min(ra, rb);
    }
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
double largest_of(const ClusterRule& rule, std::span<const double> e, const Passes& passes) {
  thread_local Scratch scratch;
  auto& runs = scratch.runs;
  auto& parent = scratch.parent;
  runs.clear();
  const std::size_t T = rule.times;
  for (std::size_t l = 0; l < rule.layers; ++l) {
    auto& row = scratch.row;
    row_bits(l * T, T, rule.split_by_sign, passes, row);
    add_row_runs(l, row, runs);
    parent.resize(runs.size());
    for (std::size_t r = row.first_run; r < runs.size(); ++r)
      parent[r] = static_cast<std::uint32_t>(r);
    if (l > 0 && rule.connectivity == Connectivity::layer_time)
      join_rows(row, scratch.above, parent);
    std::swap(scratch.row, scratch.above);
  }
  return runs.empty() ? 0.0 : largest_root(rule, e, scratch);
}

}  // namespace

double max_cluster_statistic(const ClusterRule& rule, std::span<const double> e,
                             std::span<const double> s, std::span<const std::uint8_t> pass) {
  return largest_of(rule, e, PassBytes{pass.data(), s.data()});
}

double max_cluster_statistic(const ClusterRule& rule, std::span<const double> e,
                             std::span<const double> s, std::span<const double> threshold) {
  return largest_of(rule, e, AboveThreshold{e.data(), threshold.data(), s.data()});
}

double max_cluster_statistic(const ClusterRule& rule, std::span<const double> e,
                             std::span<const std::uint64_t> pass,
                             std::span<const std::uint64_t> negative) {
  const std::size_t words = words_for(rule.layers * rule.times);
  if (pass.size() < words || (rule.split_by_sign && negative.size() < words))
    throw InternalError("max_cluster_statistic: fewer bit words than cells");
  return largest_of(rule, e, GivenBits{pass.data(), negative.data()});
}

}  // namespace permrsa
