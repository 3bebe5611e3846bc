#include "permrsa/process_grid.hpp"

#include <algorithm>
#include <cstdio>

#include "permrsa/error.hpp"

namespace permrsa {
namespace {

std::size_t split_point(std::size_t n, int parts, int i) {
  return static_cast<std::size_t>(static_cast<unsigned long long>(n) * static_cast<unsigned>(i) /
                                  static_cast<unsigned>(parts));
}

// The most time blocks (a divisor of D, at most T), so that the brain RDMs are split.
std::pair<int, int> default_block_shape(int d, std::size_t times) {
  for (int tb = d; tb >= 1; --tb)
    if (d % tb == 0 && static_cast<std::size_t>(tb) <= std::max<std::size_t>(times, 1))
      return {d / tb, tb};
  return {d, 1};
}

}  // namespace

BlockRange ProcessGrid::block(int b) const {
  const int lb = b / time_blocks, tb = b % time_blocks;
  return {split_point(layers, layer_blocks, lb), split_point(layers, layer_blocks, lb + 1),
          split_point(times, time_blocks, tb), split_point(times, time_blocks, tb + 1)};
}

std::pair<std::int64_t, std::int64_t> ProcessGrid::permutation_range(int g) const {
  const auto k = static_cast<std::size_t>(permutations);
  return {static_cast<std::int64_t>(split_point(k, perm_groups, g)) + 1,
          static_cast<std::int64_t>(split_point(k, perm_groups, g + 1))};
}

std::string ProcessGrid::describe() const {
  char buf[160];
  std::snprintf(buf, sizeof buf, "%d data blocks (%d layer x %d time) x %d permutation groups",
                data_blocks, layer_blocks, time_blocks, perm_groups);
  return buf;
}

std::pair<int, int> parse_grid_text(const std::string& text, const std::string& option) {
  int a = 0, b = 0;
  char x = 0, extra = 0;
  if (std::sscanf(text.c_str(), "%d%c%d%c", &a, &x, &b, &extra) != 3 || (x != 'x' && x != 'X') ||
      a < 1 || b < 1)
    throw InputError(option + ": expected AxB with whole numbers >= 1 (e.g. 4x2), found \"" + text + "\"");
  return {a, b};
}

double estimate_rank_bytes(std::size_t pairs, std::size_t layers, std::size_t block_times,
                           std::size_t block_cells, std::int64_t permutations, double cluster_alpha,
                           std::size_t batch_size) {
  const double p = static_cast<double>(pairs);
  const double brain = p * static_cast<double>(block_times) * (8.0 + 8.0);  // input + kernel copy
  const double models = p * static_cast<double>(layers) * (8.0 + 8.0);
  const double heaps = static_cast<double>(block_cells) *
                       (cluster_alpha * static_cast<double>(permutations + 1) + 2.0) * 8.0;
  const double batch = static_cast<double>(batch_size) * static_cast<double>(block_cells) * 24.0;
  return brain + models + heaps + batch;
}

ProcessGrid plan_grid(int ranks, std::size_t pairs, std::size_t layers, std::size_t times,
                      std::int64_t permutations, double cluster_alpha, std::size_t batch_size,
                      const GridRequest& request) {
  ProcessGrid grid;
  grid.layers = layers;
  grid.times = times;
  grid.permutations = permutations;
  if (request.grid) {
    grid.data_blocks = request.grid->first;
    grid.perm_groups = request.grid->second;
    if (grid.ranks() != ranks)
      throw InputError("--grid " + std::to_string(grid.data_blocks) + "x" +
                       std::to_string(grid.perm_groups) + ": expected D x G = " +
                       std::to_string(ranks) + " ranks, found " + std::to_string(grid.ranks()));
  } else {
    grid.data_blocks = ranks;
    for (int d = 1; d <= ranks; ++d) {
      if (ranks % d != 0) continue;
      const auto shape = default_block_shape(d, times);
      const std::size_t bt = (times + static_cast<std::size_t>(shape.second) - 1) / static_cast<std::size_t>(shape.second);
      const std::size_t bl = (layers + static_cast<std::size_t>(shape.first) - 1) / static_cast<std::size_t>(shape.first);
      if (estimate_rank_bytes(pairs, layers, bt, bl * bt, permutations, cluster_alpha, batch_size) <=
          request.memory_per_rank) {
        grid.data_blocks = d;
        break;
      }
    }
    grid.perm_groups = ranks / grid.data_blocks;
  }
  const auto shape = request.block_shape ? *request.block_shape
                                         : default_block_shape(grid.data_blocks, times);
  if (shape.first * shape.second != grid.data_blocks)
    throw InputError("--block-shape " + std::to_string(shape.first) + "x" + std::to_string(shape.second) +
                     ": expected layer blocks x time blocks = " + std::to_string(grid.data_blocks) +
                     " data blocks");
  grid.layer_blocks = shape.first;
  grid.time_blocks = shape.second;
  return grid;
}

}  // namespace permrsa
