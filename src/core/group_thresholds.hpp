// The permutation-p thresholds of a data block whose pass-1 values are spread over permutation
// groups (mpirun grids of more than one group), without gathering every group's top values.
//
// Each cell's threshold is the capacity-th largest of all groups' values together. No value below
// the highest of the groups' bounds decides it: every bound is the capacity-th largest of a
// subset of the values (or a copy of another group's), so it is at most the threshold, and the
// group whose bound is highest holds capacity values at or above it. So each rank of the block
// owns a contiguous share of its cells, receives only every group's values at or above that
// floor for those cells, selects their thresholds, and the shares are gathered: the same
// thresholds as merging all top values (CellTopValues::keep_largest_of), with a fraction of the
// traffic, the memory and the selection work on each rank.
#pragma once

#include <cstdint>
#include <vector>

#include "core/cell_thresholds.hpp"
#include "permrsa/communicator.hpp"

namespace permrsa {

// Collective over `same_block` (this block's rank in every group, each with its own `top`):
// the threshold of every cell of the block, on every rank. total_values = K + 1.
std::vector<double> thresholds_across_groups(const CellTopValues& top,
                                             const Communicator& same_block,
                                             std::int64_t total_values);

}  // namespace permrsa
