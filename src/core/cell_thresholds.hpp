// The permutation-p cluster-forming threshold, cell by cell.
//
// A value e of cell c passes when its p within the cell's own null (observed included),
// #{j in 0..K : e_j >= e} / (K+1), is <= alpha. With m the largest count whose p is <= alpha,
// that holds iff e > d_{m+1}, the (m+1)-th largest of the K+1 values. So pass 1 keeps the
// m+1 largest values of each cell, and pass 2 compares with their smallest.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <vector>

#include "numeric/bit_words.hpp"
#include "numeric/order_keys.hpp"
#include "numeric/page_buffer.hpp"

namespace permrsa {

// Largest count c in [0, K+1] with double(c) / double(K+1) <= alpha.
std::int64_t passing_count(double alpha, std::int64_t permutations);

// The rank-th largest of `values` (rank >= 1, at most values.size()), by selection
// (numeric/largest_selection.hpp); the values are not changed.
double largest_at(std::span<const double> values, std::size_t rank);
std::int32_t largest_at(std::span<const std::int32_t> keys, std::size_t rank);

// The largest `capacity` values pushed into each cell, by buffered selection: values above the
// cell's running bound go into a buffer that takes as many new values between trims as it keeps
// (16 at least, 4096 at most; twice the quota with a quota, below); a full buffer is trimmed to its
// `capacity` largest by selection (numeric/largest_selection.hpp), whose smallest then becomes the
// bound. Amortised O(1) per value, against O(log capacity) for a heap's sift, and the kept multiset
// (so every threshold) is the same as a heap's: a value equal to the bound changes neither. The
// buffers (38 MB of doubles at the seed shape and K = 10000, 19 MB of keys) are a PageBuffer: huge
// pages, faulted in by the threads that push, never cleared or copied by us (move-only).
class CellTopValues {
 public:
  // With keys, every value pushed or merged has their form (numeric/order_keys.hpp) and the
  // buffers hold 4-byte keys instead of doubles: half the pages to fault in, and the trims
  // select among 16 keys per vector instead of 8 doubles. Values, bounds and thresholds are the
  // same (a quotient key gives a zero back with the sign OrderKeys::with_zero set).
  //
  // With a quota (0 < quota < capacity), each trim also finds the cell's quota-th largest value,
  // after the capacity-th: quota_bounds(). With G permutation groups and quota = ceil(capacity /
  // G), the least of the groups' quota bounds is a floor under the threshold (together they hold
  // G quota >= capacity values at or above it), and a much higher one than any group's
  // capacity-th largest: each group has seen only a G-th of the values. A group's buffer then
  // takes twice the quota in new values between trims instead of the capacity (about the
  // capacity with two groups, less with more), so that its quota bound moves often: at the seed
  // shape under mpirun -n 2 (1x2), with buffers of three capacities without a quota, 36-38% of a
  // group's values entered its buffers and map cache instead of 41.6% (every trim selects among
  // fewer values, but there are more trims).
  CellTopValues(std::size_t cells, std::size_t capacity,
                std::optional<OrderKeys> keys = std::nullopt, std::size_t quota = 0);
  CellTopValues(CellTopValues&&) noexcept = default;
  CellTopValues& operator=(CellTopValues&&) noexcept = default;
  // Not thread-safe per cell; different cells may be pushed concurrently.
  void push(std::size_t cell, double value) {
    std::uint32_t& n = used_[cell];
    // Fast path: once the bound is set, most values are not above it.
    if (!(value > bound_[cell]) && trimmed_[cell]) return;
    store(cell, n, value);
    if (++n == stride_) trim(cell);
  }
  // push(c, e[c]) for the cells [begin, end) of one map, in cell order: the same values kept.
  // Which cells' values enter is decided 64 cells at a time, as bit words (numeric/bit_words.hpp:
  // a few vector compares; most values do not enter, and which ones do is unpredictable), then
  // only the entering values are stored. With `above`, word i of it gets the bits of cells
  // begin + 64 i ... where e[c] was above the cell's bound before the push (a floor for the map
  // cache, MapCache::append_masked, computed with the same compares); begin is then a multiple of
  // 64.
  void push_cells(std::size_t begin, std::size_t end, const double* e,
                  std::uint64_t* above = nullptr) {
    for (std::size_t c0 = begin; c0 < end; c0 += kWordCells) {
      const std::size_t n = std::min(kWordCells, end - c0);
      const std::uint64_t greater = greater_bits(e + c0, bound_.data() + c0, n);
      if (above != nullptr) *above++ = greater;
      std::uint64_t enter = greater | (~nonzero_bits(trimmed_.data() + c0, n) & low_bits(n));
      for (; enter != 0; enter &= enter - 1) {
        const std::size_t c = c0 + static_cast<std::size_t>(std::countr_zero(enter));
        store(c, used_[c], e[c]);
        if (++used_[c] == stride_) trim(c);
      }
    }
  }
  // Per cell, the running bound: -inf until the cell's buffer is first trimmed, then the
  // capacity-th largest value pushed so far, or a higher floor that raise_bounds set. Bounds only
  // rise, and the final threshold (the capacity-th largest of all values, at least that of the
  // values so far) is never below them: no value at or below its cell's bound can pass in pass 2.
  std::span<const double> bounds() const { return bound_; }
  // Per cell, the quota-th largest value at the cell's last trim; -inf before its first trim or
  // without a quota. The quota-th largest of the values so far is never below it.
  std::span<const double> quota_bounds() const { return quota_bound_; }
  // Per cell, the rank-th largest of the values in its buffer (those held at its last trim and
  // any that entered since); -inf when the buffer holds fewer. The buffers are not changed.
  std::vector<double> buffered_largest_at(std::size_t rank) const;
  // Raises the bound of every trimmed cell to floors[c] where that is higher. Another set's
  // bounds are such floors when the final threshold is the capacity-th largest of both sets'
  // values together: the other set keeps capacity values at or above its bound, so a value at or
  // below it is never needed for that threshold (the merge of permutation groups under mpirun).
  // A trimmed cell keeps holding capacity values, so every cell still holds the same count.
  void raise_bounds(std::span<const double> floors);
  // e passes iff e > threshold(cell). +inf when nothing can pass (m = 0).
  std::vector<double> thresholds(std::int64_t total_values) const;
  // The threshold of every cell when it does not depend on the values: +inf when nothing can
  // pass (capacity <= 1), -inf when everything does (capacity > total_values).
  std::optional<double> value_free_threshold(std::int64_t total_values) const;
  std::size_t cells() const { return used_.size(); }
  std::size_t capacity() const { return capacity_; }
  // The values in the buffers now, over all cells: at most what append_at_least can append.
  std::size_t buffered() const;
  // For the merge of permutation groups' thresholds: the buffered values of cells [begin, end)
  // that are at or above floors[c - begin], appended to `out` as the cells' counts, then their
  // values cell after cell. A buffer holds the cell's held values (and any that entered since its
  // last trim), so with floors at most the final thresholds, every value that decides one is
  // among them.
  void append_at_least(std::size_t begin, std::size_t end, std::span<const double> floors,
                       std::vector<double>& out) const;
  // The same in the buffers' 4-byte form, when they hold keys (keyed()): the counts, then the
  // keys themselves, half the bytes of doubles; key_value() turns a key of cell c back into its
  // value.
  void append_keys_at_least(std::size_t begin, std::size_t end, std::span<const double> floors,
                            std::vector<std::int32_t>& out) const;
  bool keyed() const { return keys_.has_value(); }
  double key_value(std::int32_t key, std::size_t cell) const { return keys_->value(key, cell); }
  // The values held (the min(capacity, pushed) largest), cell by cell, each cell's in
  // descending order: the same whatever order they were pushed in.
  std::vector<double> held_values() const;
  std::size_t held_per_cell() const;
  // held_values() without the sort, for merging: each cell's held values in no set order. Trims
  // the buffers it reads, which changes no kept multiset.
  std::vector<double> held_values_unordered();
  // Replaces every cell's kept values with the `capacity` largest over runs of held values
  // (each cells x held[g], in any order within a cell), one after another in `values`: the
  // same multiset as pushing all of them into an empty CellTopValues (the merge of permutation
  // groups under mpirun).
  void keep_largest_of(std::span<const double> values, std::span<const std::size_t> held);

 private:
  void store(std::size_t cell, std::size_t at, double value) {
    if (keys_)
      values_.as<std::int32_t>()[cell * stride_ + at] = keys_->key(value, cell);
    else
      values_.as<double>()[cell * stride_ + at] = value;
  }
  // f(buffers): the buffers seen as doubles or as keys (cell_thresholds.cpp), one body for both.
  template <class F>
  decltype(auto) with_buffers(F&& f) const;
  // append_at_least's body over buffers `b`: emit(key, cell) is what is appended per value.
  template <class Buffers, class Out, class Emit>
  void append_sent(const Buffers& b, std::size_t begin, std::size_t end,
                   std::span<const double> floors, std::vector<Out>& out, Emit emit) const;
  void trim(std::size_t cell);
  // The buffer's first `capacity` values are the cell's largest, the last of them the smallest:
  // it becomes the bound, as after a trim.
  void settle_bound(std::size_t cell);
  // Cell c keeps the capacity largest of all[0 .. total) (keys in the buffers' form `b`).
  template <class Buffers>
  void keep_run(std::size_t c, typename Buffers::Key* all, std::size_t total, const Buffers& b);
  std::size_t capacity_, stride_;
  std::optional<OrderKeys> keys_;
  PageBuffer values_;                  // cells x stride doubles, or keys
  std::vector<double> bound_;          // per cell: values not above it cannot enter (once trimmed)
  std::vector<std::uint8_t> trimmed_;  // per cell: the buffer has been trimmed at least once
  std::vector<std::uint32_t> used_;    // values in the buffer per cell
  std::size_t quota_;                  // 0: no quota bounds
  std::vector<double> quota_bound_;    // per cell: the quota-th largest at the last trim
};

}  // namespace permrsa
