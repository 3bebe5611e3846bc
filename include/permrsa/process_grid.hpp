// How ranks divide an analysis: a grid of `data blocks x permutation groups` (DESIGN.md
// "Distribution"). Pure planning, no MPI: rank r works on data block r % D and permutation
// group r / D.
//
// A data block is a rectangle of the layer x time grid: the D blocks are layer_blocks x
// time_blocks contiguous ranges (uneven splits allowed; blocks may be empty when there are
// more ranks than cells). Splitting time first divides the brain RDMs (P x T), which is most of
// the memory. A permutation group takes a contiguous range of k in 1..K.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace permrsa {

struct BlockRange {
  std::size_t layer_begin = 0, layer_end = 0, time_begin = 0, time_end = 0;
  std::size_t layers() const { return layer_end - layer_begin; }
  std::size_t times() const { return time_end - time_begin; }
  std::size_t cells() const { return layers() * times(); }
  bool empty() const { return cells() == 0; }
};

struct ProcessGrid {
  int data_blocks = 1;                    // D
  int perm_groups = 1;                    // G
  int layer_blocks = 1, time_blocks = 1;  // D = layer_blocks * time_blocks
  std::size_t layers = 0, times = 0;
  std::int64_t permutations = 0;  // K

  int ranks() const { return data_blocks * perm_groups; }
  int block_of(int rank) const { return rank % data_blocks; }
  int group_of(int rank) const { return rank / data_blocks; }
  // Block b = layer_block * time_blocks + time_block.
  BlockRange block(int b) const;
  // Permutations [first, last] (1-based, inclusive; empty when first > last) of group g.
  std::pair<std::int64_t, std::int64_t> permutation_range(int g) const;
  std::string describe() const;
};

struct GridRequest {
  std::optional<std::pair<int, int>> grid;            // --grid DxG
  std::optional<std::pair<int, int>> block_shape;     // --block-shape LBxTB (layer x time blocks)
  double memory_per_rank = 2.0 * 1024 * 1024 * 1024;  // bytes, for the automatic choice
};

// Parses "4x2" (both numbers >= 1); InputError naming `option` otherwise.
std::pair<int, int> parse_grid_text(const std::string& text, const std::string& option);

// Bytes one rank needs for a block of `cells` cells over `block_times` time points.
double estimate_rank_bytes(std::size_t pairs, std::size_t layers, std::size_t block_times,
                           std::size_t block_cells, std::int64_t permutations, double cluster_alpha,
                           std::size_t batch_size);

// The grid for `ranks` ranks. Automatic: the fewest data blocks whose per-rank memory fits the
// budget (D divides the rank count), the rest as permutation groups. InputError when a
// requested grid does not match the rank count.
ProcessGrid plan_grid(int ranks, std::size_t pairs, std::size_t layers, std::size_t times,
                      std::int64_t permutations, double cluster_alpha, std::size_t batch_size,
                      const GridRequest& request);

}  // namespace permrsa
