// This rank's place in the process grid: its data block, its permutation group, and the two
// communicators the sweep talks over.
#pragma once

#include <memory>

#include "permrsa/communicator.hpp"
#include "permrsa/process_grid.hpp"

namespace permrsa {

struct RankTopology {
  const ProcessGrid* grid = nullptr;
  const Communicator* world = nullptr;
  BlockRange block;  // the cells this rank holds
  int block_id = 0, group_id = 0;
  std::unique_ptr<Communicator> group;       // the data blocks of this permutation group, in order
  std::unique_ptr<Communicator> same_block;  // this data block in every permutation group
  bool leader() const { return group->rank() == 0; }  // assembles the group's whole maps
  // Cell c of this block as a cell of the whole grid (row-major, layer x time).
  std::size_t whole_cell(std::size_t c) const {
    return (block.layer_begin + c / block.times()) * grid->times + block.time_begin +
           c % block.times();
  }
};

// Collective over `world`. InternalError when the grid does not match the ranks or `block` is
// not this rank's block.
RankTopology make_rank_topology(const ProcessGrid& grid, const Communicator& world,
                                const BlockRange& block);

}  // namespace permrsa
