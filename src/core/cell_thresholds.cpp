#include "core/cell_thresholds.hpp"

#include <algorithm>
#include <functional>

#include <tbb/parallel_for.h>

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
  double* v = buffer(cell);
  std::uint32_t& n = used_[cell];
  if (capacity_ == 0) {
    n = 0;
    bound_[cell] = std::numeric_limits<double>::infinity();
    trimmed_[cell] = 1;
    return;
  }
  // The capacity largest first; the capacity-th largest is the new bound.
  std::nth_element(v, v + (capacity_ - 1), v + n, std::greater<>());
  bound_[cell] = v[capacity_ - 1];
  n = static_cast<std::uint32_t>(capacity_);
  trimmed_[cell] = 1;
}

std::vector<double> CellTopValues::kept(std::size_t cell) const {
  const double* v = buffer(cell);
  std::vector<double> out(v, v + used_[cell]);
  std::sort(out.begin(), out.end(), std::greater<>());
  if (out.size() > capacity_) out.resize(capacity_);
  return out;
}

std::size_t CellTopValues::held_per_cell() const {
  return used_.empty() ? 0 : std::min<std::size_t>(used_[0], capacity_);
}

std::vector<double> CellTopValues::thresholds(std::int64_t total_values) const {
  const std::size_t cells = used_.size();
  constexpr double inf = std::numeric_limits<double>::infinity();
  // capacity = m + 1; m = 0 -> nothing passes; m + 1 > total -> everything passes.
  if (capacity_ <= 1) return std::vector<double>(cells, inf);
  if (static_cast<std::int64_t>(capacity_) > total_values) return std::vector<double>(cells, -inf);
  std::vector<double> out(cells);
  tbb::parallel_for(std::size_t{0}, cells, [&](std::size_t c) {
    if (used_[c] < capacity_) throw InternalError("cell thresholds: a cell's null is incomplete");
    // The (m+1)-th largest = d_{m+1}: a selection, not a sort.
    std::vector<double> v(buffer(c), buffer(c) + used_[c]);
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(capacity_ - 1), v.end(),
                     std::greater<>());
    out[c] = v[capacity_ - 1];
  });
  return out;
}

std::vector<double> CellTopValues::held_values() const {
  const std::size_t held = held_per_cell();
  std::vector<double> out;
  out.reserve(used_.size() * held);
  for (std::size_t c = 0; c < used_.size(); ++c) {
    const auto values = kept(c);
    if (values.size() != held) throw InternalError("cell thresholds: cells hold different counts");
    out.insert(out.end(), values.begin(), values.end());
  }
  return out;
}

}  // namespace permrsa
