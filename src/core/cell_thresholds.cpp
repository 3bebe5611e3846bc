#include "core/cell_thresholds.hpp"

#include <algorithm>
#include <functional>

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

CellTopValues::CellTopValues(std::size_t cells, std::size_t capacity)
    : capacity_(capacity),
      stride_(capacity + std::clamp<std::size_t>(2 * capacity, 16, 4096)),
      values_(cells * stride_ * sizeof(double)),
      bound_(cells, -std::numeric_limits<double>::infinity()),
      trimmed_(cells, 0),
      used_(cells, 0) {}

void CellTopValues::trim(std::size_t cell) {
  // The capacity largest first; the capacity-th largest is the new bound.
  if (capacity_ > 0) select_largest(buffer(cell), used_[cell], capacity_);
  settle_bound(cell);
}

void CellTopValues::settle_bound(std::size_t cell) {
  used_[cell] = static_cast<std::uint32_t>(capacity_);
  bound_[cell] =
      capacity_ == 0 ? std::numeric_limits<double>::infinity() : buffer(cell)[capacity_ - 1];
  trimmed_[cell] = 1;
}

void CellTopValues::raise_bounds(std::span<const double> floors) {
  if (floors.size() != bound_.size())
    throw InternalError("cell thresholds: floors for a different number of cells");
  for (std::size_t c = 0; c < bound_.size(); ++c)
    if (trimmed_[c] && floors[c] > bound_[c]) bound_[c] = floors[c];
}

// The cell's kept values, largest first, into out[0 .. min(used, capacity)).
void CellTopValues::kept(std::size_t cell, double* out) const {
  const double* v = buffer(cell);
  const std::size_t n = used_[cell], held = std::min<std::size_t>(n, capacity_);
  std::vector<double> all(v, v + n);
  std::nth_element(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(held), all.end(),
                   std::greater<>());
  std::sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(held), std::greater<>());
  std::copy_n(all.begin(), held, out);
}

std::size_t CellTopValues::held_per_cell() const {
  return used_.empty() ? 0 : std::min<std::size_t>(used_[0], capacity_);
}

double largest_at(std::span<const double> values, std::size_t rank) {
  if (rank == 0 || rank > values.size())
    throw InternalError("cell thresholds: a cell's null is incomplete");
  return kth_largest(values.data(), values.size(), rank);
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
  std::vector<double> out(cells);
  tbb::parallel_for(std::size_t{0}, cells, [&](std::size_t c) {
    if (used_[c] < capacity_) throw InternalError("cell thresholds: a cell's null is incomplete");
    // The (m+1)-th largest = d_{m+1}: a selection, not a sort.
    out[c] = largest_at(std::span<const double>(buffer(c), used_[c]), capacity_);
  });
  return out;
}

void CellTopValues::append_at_least(std::size_t begin, std::size_t end,
                                    std::span<const double> floors,
                                    std::vector<double>& out) const {
  if (end < begin || end > used_.size() || floors.size() != end - begin)
    throw InternalError("cell thresholds: floors for a different range of cells");
  // Counted first, so that `out` grows once: a doubling vector would fault in and copy about
  // twice the memory, and fresh pages are what the merge spends most of its time on.
  const std::size_t counts_at = out.size();
  std::size_t total = 0;
  out.resize(counts_at + (end - begin));
  for (std::size_t c = begin; c < end; ++c) {
    const double floor = floors[c - begin];
    const auto n = static_cast<std::size_t>(
        std::count_if(buffer(c), buffer(c) + used_[c], [floor](double v) { return v >= floor; }));
    out[counts_at + (c - begin)] = static_cast<double>(n);  // exact below 2^53
    total += n;
  }
  out.resize(out.size() + total);
  double* to = out.data() + counts_at + (end - begin);
  for (std::size_t c = begin; c < end; ++c) {
    const double floor = floors[c - begin];
    to =
        std::copy_if(buffer(c), buffer(c) + used_[c], to, [floor](double v) { return v >= floor; });
  }
}

std::vector<double> CellTopValues::held_values() const {
  const std::size_t held = held_per_cell(), cells = used_.size();
  for (std::size_t c = 0; c < cells; ++c)
    if (std::min<std::size_t>(used_[c], capacity_) != held)
      throw InternalError("cell thresholds: cells hold different counts");
  std::vector<double> out(cells * held);
  tbb::parallel_for(std::size_t{0}, cells, [&](std::size_t c) { kept(c, out.data() + c * held); });
  return out;
}

std::vector<double> CellTopValues::held_values_unordered() {
  const std::size_t held = held_per_cell(), cells = used_.size();
  std::vector<double> out(cells * held);
  tbb::parallel_for(std::size_t{0}, cells, [&](std::size_t c) {
    if (used_[c] > capacity_) trim(c);
    if (used_[c] != held) throw InternalError("cell thresholds: cells hold different counts");
    std::copy_n(buffer(c), held, out.data() + c * held);
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
  tbb::parallel_for(
      tbb::blocked_range<std::size_t>(0, cells, 64), [&](const tbb::blocked_range<std::size_t>& r) {
        std::vector<double> all(total);
        for (std::size_t c = r.begin(); c != r.end(); ++c) {
          std::size_t offset = 0, at = 0;
          for (std::size_t h : held) {
            std::copy_n(values.data() + offset + c * h, h, all.data() + at);
            at += h;
            offset += cells * h;
          }
          if (total >= capacity_) {  // the capacity largest first, as a trim leaves them
            if (capacity_ > 0) select_largest(all.data(), total, capacity_);
            std::copy_n(all.data(), capacity_, buffer(c));
            settle_bound(c);
          } else {
            std::copy_n(all.data(), total, buffer(c));
            used_[c] = static_cast<std::uint32_t>(total);
            bound_[c] = -std::numeric_limits<double>::infinity();
            trimmed_[c] = 0;
          }
        }
      });
}

}  // namespace permrsa
