#include "core/block_maps.hpp"

namespace permrsa {

std::span<const double> gather_block_maps(const Communicator& group, const ProcessGrid& grid,
                                          std::span<const double> mine, std::size_t count,
                                          std::vector<double>& whole) {
  const std::size_t cells = grid.layers * grid.times;
  if (grid.data_blocks == 1) return mine;
  const auto all = group.gatherv(mine, 0);
  if (group.rank() != 0) return {};
  whole.resize(count * cells);
  std::size_t offset = 0;
  for (int b = 0; b < grid.data_blocks; ++b) {
    const auto blk = grid.block(b);
    for (std::size_t k = 0; k < count; ++k)
      for (std::size_t l = 0; l < blk.layers(); ++l)
        for (std::size_t t = 0; t < blk.times(); ++t)
          whole[k * cells + (blk.layer_begin + l) * grid.times + blk.time_begin + t] =
              all[offset + (k * blk.layers() + l) * blk.times() + t];
    offset += count * blk.cells();
  }
  return whole;
}

std::vector<double> gather_block_map(const Communicator& group, const ProcessGrid& grid,
                                     std::span<const double> mine) {
  std::vector<double> whole;
  const auto s = gather_block_maps(group, grid, mine, 1, whole);
  return {s.begin(), s.end()};
}

}  // namespace permrsa
