#include "core/rank_topology.hpp"

#include "permrsa/error.hpp"

namespace permrsa {

RankTopology make_rank_topology(const ProcessGrid& grid, const Communicator& world,
                                const BlockRange& block) {
  if (grid.ranks() != world.size()) throw InternalError("process grid does not match the ranks");
  RankTopology t;
  t.grid = &grid;
  t.world = &world;
  t.block_id = grid.block_of(world.rank());
  t.group_id = grid.group_of(world.rank());
  t.block = grid.block(t.block_id);
  if (block.layer_begin != t.block.layer_begin || block.time_begin != t.block.time_begin ||
      block.cells() != t.block.cells())
    throw InternalError("the problem's block is not this rank's block");
  t.group = world.split(t.group_id, t.block_id);
  t.same_block = world.split(t.block_id, t.group_id);
  return t;
}

}  // namespace permrsa
