// The permutation-p cluster-forming threshold, cell by cell.
//
// A value e of cell c passes when its p within the cell's own null (observed included),
// #{j in 0..K : e_j >= e} / (K+1), is <= alpha. With m the largest count whose p is <= alpha,
// that holds iff e > d_{m+1}, the (m+1)-th largest of the K+1 values. So pass 1 keeps the
// m+1 largest values of each cell (a min-heap), and pass 2 compares with its smallest.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

namespace permrsa {

// Largest count c in [0, K+1] with double(c) / double(K+1) <= alpha.
std::int64_t passing_count(double alpha, std::int64_t permutations);

class CellTopValues {
 public:
  CellTopValues(std::size_t cells, std::size_t capacity);
  // Not thread-safe per cell; different cells may be pushed concurrently.
  void push(std::size_t cell, double value) {
    // Fast path: once a cell holds capacity values, most values are below its smallest.
    if (used_[cell] == capacity_ && !(value > heap_[cell * capacity_])) return;
    insert(cell, value);
  }
  // e passes iff e > threshold(cell). +inf when nothing can pass (m = 0).
  std::vector<double> thresholds(std::int64_t total_values) const;
  // The values held, cell by cell (every cell holds the same number: all see the same k).
  std::vector<double> held_values() const;
  std::size_t held_per_cell() const { return used_.empty() ? 0 : used_[0]; }

 private:
  void insert(std::size_t cell, double value);
  std::size_t capacity_;
  std::vector<double> heap_;        // cells x capacity
  std::vector<std::uint32_t> used_;  // values held per cell
};

}  // namespace permrsa
