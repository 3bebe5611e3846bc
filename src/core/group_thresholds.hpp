// The permutation-p thresholds of a data block whose pass-1 values are spread over permutation
// groups (mpirun grids of more than one group), without gathering every group's top values.
//
// Each cell's threshold is the capacity-th largest of all groups' values together. No value below
// a floor decides it: the highest of the groups' bounds (every bound is the capacity-th largest
// of a subset of the values, or a floor shared earlier, so it is at most the threshold, and the
// group whose bound is highest holds capacity values at or above it), or the least of the
// groups' ceil(capacity / G)-th largest buffered values (together the groups hold at least
// capacity values at or above it), whichever is higher. So each rank of the block owns a
// contiguous share of its cells, receives only every group's values at or above that floor for
// those cells, selects their thresholds, and the shares are gathered: the same thresholds as
// merging all top values (CellTopValues::keep_largest_of), with a fraction of the traffic, the
// memory and the selection work on each rank. Top values kept as 4-byte order keys travel as
// keys (half the bytes of doubles); the owner selects among them and decodes the threshold.
#pragma once

#include <cstdint>
#include <vector>

#include "core/cell_thresholds.hpp"
#include "permrsa/communicator.hpp"

namespace permrsa {

// The quota that CellTopValues takes with `groups` permutation groups:
// ceil(capacity / groups), so that the groups' quota largest values number at least capacity.
std::size_t group_quota(std::size_t capacity, int groups);

// Collective over `same_block`, every few batch steps of pass 1 (NullSweep): every cell's bound is
// raised to the highest of the groups' bounds or the least of their quota bounds, whichever is
// higher. Both are floors under the final threshold: the group with the highest bound holds
// capacity values at or above it, and the groups together hold at least capacity values at or above
// the least quota bound. The second is the tighter by far (each group has seen only a share of the
// values, so its capacity-th largest lies deeper in its null than the threshold does): fewer
// values are buffered, trimmed, cached and merged, and the thresholds are the same.
void share_group_bounds(CellTopValues& top, const Communicator& same_block);

// Collective over `same_block` (this block's rank in every group, each with its own `top`):
// the threshold of every cell of the block, on every rank. total_values = K + 1.
std::vector<double> thresholds_across_groups(const CellTopValues& top,
                                             const Communicator& same_block,
                                             std::int64_t total_values);

}  // namespace permrsa
