#include "core/cell_thresholds.hpp"

#include <algorithm>
#include <functional>
#include <numeric>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include "numeric/largest_selection.hpp"
#include "permrsa/error.hpp"

namespace permrsa {

std::int64_t passing_count(double alpha, std::int64_t permutations) {
  const std::int64_t total = permutations + 1;
  auto passes = [&](std::int64_t c) {
    return static_cast<double>(c) / static_cast<double>(total) <= alpha;
  };
  auto c = std::min<std::int64_t>(
      total, static_cast<std::int64_t>(alpha * static_cast<double>(total)) + 2);
  while (c > 0 && !passes(c)) --c;
  return c;
}

namespace {

// A cell's buffer as doubles: keys are the values themselves.
struct DoubleBuffers {
  using Key = double;
  double* base;
  std::size_t stride;
  double* at(std::size_t cell) const { return base + cell * stride; }
  double value(double v, std::size_t) const { return v; }
  double key(double v, std::size_t) const { return v; }
  // The least key whose value is at least `floor`.
  double key_at_least(double floor, std::size_t) const { return floor; }
  bool holds(double, std::size_t) const { return true; }
  // Every value at or above key_at_least(floor) is at or above the floor, and no other is.
  static bool key_decides(double) { return true; }
};

// A cell's buffer as OrderKeys' keys.
struct KeyBuffers {
  using Key = std::int32_t;
  std::int32_t* base;
  std::size_t stride;
  const OrderKeys* keys;
  std::int32_t* at(std::size_t cell) const { return base + cell * stride; }
  double value(std::int32_t k, std::size_t cell) const { return keys->value(k, cell); }
  std::int32_t key(double v, std::size_t cell) const { return keys->key(v, cell); }
  std::int32_t key_at_least(double floor, std::size_t cell) const {
    return keys->least_key_at_least(floor, cell);
  }
  bool holds(double v, std::size_t cell) const { return keys->keeps(v, cell); }
  // The same, unless key_at_least gave an end of the int32 range: there may be no key whose
  // value is at or above the floor (or the floor is NaN or -inf), so the values decide.
  static bool key_decides(std::int32_t k) {
    return k != std::numeric_limits<std::int32_t>::lowest() &&
           k != std::numeric_limits<std::int32_t>::max();
  }
};

}  // namespace

template <class F>
decltype(auto) CellTopValues::with_buffers(F&& f) const {
  if (keys_) return f(KeyBuffers{values_.as<std::int32_t>(), stride_, &*keys_});
  return f(DoubleBuffers{values_.as<double>(), stride_});
}

namespace {

// The new values a cell's buffer takes between trims (CellTopValues' constructor): as many as it
// keeps, or twice the quota. At the seed shape (capacity 501) buffers of two capacities rather
// than three made the run's peak RSS 91 MiB instead of 101 and its map cache 0.043 s instead of
// 0.055 s (10 runs alternated; the counts and top values 0.077 s against 0.073 s, the trims being
// more frequent): the bound is the capacity-th largest of fewer values at each trim but follows
// the values more closely, so fewer of them enter the buffers and the map cache.
std::size_t between_trims(std::size_t capacity, std::size_t quota) {
  const bool quotas = quota > 0 && quota < capacity;
  return std::clamp<std::size_t>(quotas ? 2 * quota : capacity, 16, 4096);
}

}  // namespace

CellTopValues::CellTopValues(std::size_t cells, std::size_t capacity, std::optional<OrderKeys> keys,
                             std::size_t quota)
    : capacity_(capacity),
      stride_(capacity + between_trims(capacity, quota)),
      keys_(std::move(keys)),
      values_(cells * stride_ * (keys_ ? sizeof(std::int32_t) : sizeof(double))),
      bound_(cells, -std::numeric_limits<double>::infinity()),
      trimmed_(cells, 0),
      used_(cells, 0),
      quota_(quota),
      quota_bound_(cells, -std::numeric_limits<double>::infinity()) {}

void CellTopValues::trim(std::size_t cell) {
  // The capacity largest first; the capacity-th largest is the new bound.
  if (capacity_ > 0)
    with_buffers([&](const auto& b) { select_largest(b.at(cell), used_[cell], capacity_); });
  settle_bound(cell);
  // Then the quota-th largest of those, leaving them as they are (select_largest may leave
  // anything after the k largest).
  if (quota_ > 0 && quota_ < capacity_)
    quota_bound_[cell] = with_buffers(
        [&](const auto& b) { return b.value(kth_largest(b.at(cell), capacity_, quota_), cell); });
}

void CellTopValues::settle_bound(std::size_t cell) {
  used_[cell] = static_cast<std::uint32_t>(capacity_);
  // Never below a bound raised by raise_bounds: that was a floor under the threshold too.
  bound_[cell] = std::max(
      trimmed_[cell] ? bound_[cell] : -std::numeric_limits<double>::infinity(),
      capacity_ == 0 ? std::numeric_limits<double>::infinity() : with_buffers([&](const auto& b) {
        return b.value(b.at(cell)[capacity_ - 1], cell);
      }));
  trimmed_[cell] = 1;
}

void CellTopValues::raise_bounds(std::span<const double> floors) {
  if (floors.size() != bound_.size())
    throw InternalError("cell thresholds: floors for a different number of cells");
  for (std::size_t c = 0; c < bound_.size(); ++c)
    if (trimmed_[c] && floors[c] > bound_[c]) bound_[c] = floors[c];
}

std::vector<double> CellTopValues::buffered_largest_at(std::size_t rank) const {
  std::vector<double> out(used_.size(), -std::numeric_limits<double>::infinity());
  if (rank == 0) throw InternalError("cell thresholds: the 0th largest value");
  with_buffers([&](const auto& b) {
    tbb::parallel_for(std::size_t{0}, used_.size(), [&](std::size_t c) {
      if (used_[c] >= rank) out[c] = b.value(kth_largest(b.at(c), used_[c], rank), c);
    });
  });
  return out;
}

std::size_t CellTopValues::buffered() const {
  return std::accumulate(used_.begin(), used_.end(), std::size_t{0});
}

std::size_t CellTopValues::held_per_cell() const {
  return used_.empty() ? 0 : std::min<std::size_t>(used_[0], capacity_);
}

namespace {
template <class T>
T largest_of(std::span<const T> values, std::size_t rank) {
  if (rank == 0 || rank > values.size())
    throw InternalError("cell thresholds: a cell's null is incomplete");
  return kth_largest(values.data(), values.size(), rank);
}
}  // namespace

double largest_at(std::span<const double> values, std::size_t rank) {
  return largest_of(values, rank);
}
std::int32_t largest_at(std::span<const std::int32_t> keys, std::size_t rank) {
  return largest_of(keys, rank);
}

std::optional<double> CellTopValues::value_free_threshold(std::int64_t total_values) const {
  // capacity = m + 1; m = 0 -> nothing passes; m + 1 > total -> everything passes.
  if (capacity_ <= 1) return std::numeric_limits<double>::infinity();
  if (static_cast<std::int64_t>(capacity_) > total_values)
    return -std::numeric_limits<double>::infinity();
  return std::nullopt;
}

std::vector<double> CellTopValues::thresholds(std::int64_t total_values) const {
  const std::size_t cells = used_.size();
  if (const auto uniform = value_free_threshold(total_values))
    return std::vector<double>(cells, *uniform);
  for (std::size_t c = 0; c < cells; ++c)
    if (used_[c] < capacity_) throw InternalError("cell thresholds: a cell's null is incomplete");
  return buffered_largest_at(capacity_);  // the (m+1)-th largest = d_{m+1}: a selection
}

template <class Buffers, class Out, class Emit>
void CellTopValues::append_sent(const Buffers& b, std::size_t begin, std::size_t end,
                                std::span<const double> floors, std::vector<Out>& out,
                                Emit emit) const {
  if (end < begin || end > used_.size() || floors.size() != end - begin)
    throw InternalError("cell thresholds: floors for a different range of cells");
  // The floors as keys: compares of keys, and only the values sent are decoded. Keys are in
  // value order, so a key at or above the floor's least key is sent; only where that key is an
  // end of the key range is each value compared with the floor itself too.
  using Key = typename Buffers::Key;
  std::vector<Key> from(end - begin);
  for (std::size_t c = begin; c < end; ++c) from[c - begin] = b.key_at_least(floors[c - begin], c);
  auto sent = [&](std::size_t c) {
    return [&b, c, key = from[c - begin], floor = floors[c - begin],
            by_key = Buffers::key_decides(from[c - begin])](Key v) {
      return v >= key && (by_key || b.value(v, c) >= floor);
    };
  };
  // Counted first, so that `out` grows once: a doubling vector would fault in and copy about
  // twice the memory, and fresh pages are what the merge spends most of its time on.
  const std::size_t counts_at = out.size();
  std::size_t total = 0;
  out.resize(counts_at + (end - begin));
  for (std::size_t c = begin; c < end; ++c) {
    const Key* v = b.at(c);
    const Key key = from[c - begin];
    const auto n = static_cast<std::size_t>(
        Buffers::key_decides(key)
            ? std::count_if(v, v + used_[c], [key](Key x) { return x >= key; })
            : std::count_if(v, v + used_[c], sent(c)));
    out[counts_at + (c - begin)] = static_cast<Out>(n);  // n <= the buffer's stride
    total += n;
  }
  // Copied without branches (a buffer's values are in no order, so a branch per value is a
  // coin toss): every value is written, and the end moves on past the kept ones; one spare
  // slot takes the last write.
  const std::size_t values_at = out.size();
  out.resize(values_at + total + 1);
  Out* to = out.data() + values_at;
  for (std::size_t c = begin; c < end; ++c) {
    const auto keep = sent(c);
    for (const Key* v = b.at(c); v != b.at(c) + used_[c]; ++v) {
      *to = emit(*v, c);
      to += keep(*v) ? 1 : 0;
    }
  }
  out.pop_back();
}

void CellTopValues::append_at_least(std::size_t begin, std::size_t end,
                                    std::span<const double> floors,
                                    std::vector<double>& out) const {
  with_buffers([&](const auto& b) {
    append_sent(b, begin, end, floors, out, [&b](auto v, std::size_t c) { return b.value(v, c); });
  });
}

void CellTopValues::append_keys_at_least(std::size_t begin, std::size_t end,
                                         std::span<const double> floors,
                                         std::vector<std::int32_t>& out) const {
  if (!keys_) throw InternalError("cell thresholds: keys asked of buffers of doubles");
  append_sent(KeyBuffers{values_.as<std::int32_t>(), stride_, &*keys_}, begin, end, floors, out,
              [](std::int32_t v, std::size_t) { return v; });
}

std::vector<double> CellTopValues::held_values() const {
  const std::size_t held = held_per_cell(), cells = used_.size();
  for (std::size_t c = 0; c < cells; ++c)
    if (std::min<std::size_t>(used_[c], capacity_) != held)
      throw InternalError("cell thresholds: cells hold different counts");
  std::vector<double> out(cells * held);
  with_buffers([&](const auto& b) {
    using Key = typename std::decay_t<decltype(b)>::Key;
    tbb::parallel_for(std::size_t{0}, cells, [&](std::size_t c) {
      // The held values, largest first.
      std::vector<Key> all(b.at(c), b.at(c) + used_[c]);
      std::nth_element(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(held), all.end(),
                       std::greater<>());
      std::sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(held), std::greater<>());
      for (std::size_t j = 0; j < held; ++j) out[c * held + j] = b.value(all[j], c);
    });
  });
  return out;
}

std::vector<double> CellTopValues::held_values_unordered() {
  const std::size_t held = held_per_cell(), cells = used_.size();
  std::vector<double> out(cells * held);
  tbb::parallel_for(std::size_t{0}, cells, [&](std::size_t c) {
    if (used_[c] > capacity_) trim(c);
    if (used_[c] != held) throw InternalError("cell thresholds: cells hold different counts");
    with_buffers([&](const auto& b) {
      for (std::size_t j = 0; j < held; ++j) out[c * held + j] = b.value(b.at(c)[j], c);
    });
  });
  return out;
}

void CellTopValues::keep_largest_of(std::span<const double> values,
                                    std::span<const std::size_t> held) {
  const std::size_t cells = used_.size();
  std::size_t total = 0;
  for (std::size_t h : held) total += h;
  if (values.size() != cells * total)
    throw InternalError("cell thresholds: merging runs of the wrong size");
  with_buffers([&](const auto& b) {
    using Key = typename std::decay_t<decltype(b)>::Key;
    // Cell c's values of every run, as keys, into all[0 .. total).
    auto gather = [&](std::size_t c, Key* all) {
      std::size_t offset = 0;
      for (std::size_t h : held) {
        for (std::size_t j = 0; j < h; ++j) {
          const double v = values[offset + c * h + j];
          if (!b.holds(v, c)) throw InternalError("cell thresholds: a merged value has no key");
          *all++ = b.key(v, c);
        }
        offset += cells * h;
      }
    };
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, cells, 64),
                      [&](const tbb::blocked_range<std::size_t>& r) {
                        std::vector<Key> all(total);
                        for (std::size_t c = r.begin(); c != r.end(); ++c) {
                          gather(c, all.data());
                          keep_run(c, all.data(), total, b);
                        }
                      });
  });
}

template <class Buffers>
void CellTopValues::keep_run(std::size_t c, typename Buffers::Key* all, std::size_t total,
                             const Buffers& b) {
  if (total >= capacity_) {  // the capacity largest first, as a trim leaves them
    if (capacity_ > 0) select_largest(all, total, capacity_);
    std::copy(all, all + capacity_, b.at(c));
    settle_bound(c);
  } else {
    std::copy(all, all + total, b.at(c));
    used_[c] = static_cast<std::uint32_t>(total);
    bound_[c] = -std::numeric_limits<double>::infinity();
    trimmed_[c] = 0;
  }
}

}  // namespace permrsa
