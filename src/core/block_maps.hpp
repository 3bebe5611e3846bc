// Assembling whole layer x time maps from the data blocks of a permutation group.
#pragma once

#include <span>
#include <vector>

#include "permrsa/communicator.hpp"
#include "permrsa/process_grid.hpp"

namespace permrsa {

// Collective over `group` (whose ranks are the data blocks 0..D-1, in order): gathers `count`
// maps of each block (count x block cells, C order) to the group's rank 0 as whole maps
// (count x L x T) in `whole` (reused across calls). Returns the whole maps there, nothing on
// the other ranks; with one data block the block is the whole map and nothing is copied.
std::span<const double> gather_block_maps(const Communicator& group, const ProcessGrid& grid,
                                          std::span<const double> mine, std::size_t count,
                                          std::vector<double>& whole);

// The same for one map, returned as a copy (empty on ranks other than the group's rank 0).
std::vector<double> gather_block_map(const Communicator& group, const ProcessGrid& grid,
                                     std::span<const double> mine);

}  // namespace permrsa
