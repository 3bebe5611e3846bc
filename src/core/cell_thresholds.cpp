#include "core/cell_thresholds.hpp"

#include <algorithm>
#include <functional>

#include "permrsa/error.hpp"

namespace permrsa {

std::int64_t passing_count(double alpha, std::int64_t permutations) {
  const std::int64_t total = permutations + 1;
  auto passes = [&](std::int64_t c) {
    return static_cast<double>(c) / static_cast<double>(total) <= alpha;
  };
  auto c = std::min<std::int64_t>(total, static_cast<std::int64_t>(alpha * static_cast<double>(total)) + 2);
  while (c > 0 && !passes(c)) --c;
  return c;
}

CellTopValues::CellTopValues(std::size_t cells, std::size_t capacity)
    : capacity_(capacity), heap_(cells * capacity), used_(cells, 0) {}

void CellTopValues::insert(std::size_t cell, double value) {
  if (capacity_ == 0) return;
  double* h = heap_.data() + cell * capacity_;
  std::uint32_t& n = used_[cell];
  if (n < capacity_) {
    h[n++] = value;
    std::push_heap(h, h + n, std::greater<>());
    return;
  }
  // Replace the smallest (the root of the min-heap) and sift down: one pass instead of a pop
  // and a push.
  std::size_t i = 0;
  for (;;) {
    const std::size_t left = 2 * i + 1;
    if (left >= n) break;
    const std::size_t right = left + 1;
    const std::size_t child = right < n && h[right] < h[left] ? right : left;
    if (!(h[child] < value)) break;
    h[i] = h[child];
    i = child;
  }
  h[i] = value;
}

std::vector<double> CellTopValues::thresholds(std::int64_t total_values) const {
  const std::size_t cells = used_.size();
  constexpr double inf = std::numeric_limits<double>::infinity();
  // capacity = m + 1; m = 0 -> nothing passes; m + 1 > total -> everything passes.
  if (capacity_ <= 1) return std::vector<double>(cells, inf);
  if (static_cast<std::int64_t>(capacity_) > total_values) return std::vector<double>(cells, -inf);
  std::vector<double> out(cells);
  for (std::size_t c = 0; c < cells; ++c) {
    if (used_[c] != capacity_) throw InternalError("cell thresholds: a cell's null is incomplete");
    out[c] = heap_[c * capacity_];  // min of the m+1 largest = d_{m+1}
  }
  return out;
}

std::vector<double> CellTopValues::held_values() const {
  const std::size_t held = held_per_cell();
  std::vector<double> out;
  out.reserve(used_.size() * held);
  for (std::size_t c = 0; c < used_.size(); ++c) {
    if (used_[c] != held) throw InternalError("cell thresholds: cells hold different counts");
    out.insert(out.end(), heap_.begin() + static_cast<std::ptrdiff_t>(c * capacity_),
               heap_.begin() + static_cast<std::ptrdiff_t>(c * capacity_ + held));
  }
  return out;
}

}  // namespace permrsa
