#include "core/group_thresholds.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <span>

#include "permrsa/error.hpp"

namespace permrsa {
namespace {

struct CellRange {
  std::size_t begin, end;
};

// Owner `part` of `parts`: contiguous, in rank order, sizes differing by at most one.
CellRange owned_cells(std::size_t cells, int parts, int part) {
  const auto n = static_cast<std::size_t>(parts), i = static_cast<std::size_t>(part);
  return {cells * i / n, cells * (i + 1) / n};
}

// The owner's received values: one segment per rank of the block, each the owned cells' counts
// followed by their values. Where each (segment, cell) run of values lies, segment-major.
struct Runs {
  std::vector<std::size_t> start, length;
};

Runs runs_of(std::span<const double> got, std::size_t cells, int ranks) {
  Runs runs;
  std::size_t at = 0;
  for (int r = 0; r < ranks; ++r) {
    if (got.size() < at + cells) throw InternalError("group thresholds: a truncated segment");
    std::size_t value = at + cells;
    for (std::size_t c = 0; c < cells; ++c) {
      const auto length = static_cast<std::size_t>(got[at + c]);
      runs.start.push_back(value);
      runs.length.push_back(length);
      value += length;
    }
    at = value;
  }
  if (at != got.size()) throw InternalError("group thresholds: segments of the wrong size");
  return runs;
}

}  // namespace

std::vector<double> thresholds_across_groups(const CellTopValues& top,
                                             const Communicator& same_block,
                                             std::int64_t total_values) {
  const std::size_t cells = top.cells();
  if (const auto uniform = top.value_free_threshold(total_values))
    return std::vector<double>(cells, *uniform);
  std::vector<double> floors(top.bounds().begin(), top.bounds().end());
  same_block.allreduce_max(floors);

  const int ranks = same_block.size();
  std::vector<double> got;
  CellRange mine{0, 0};
  for (int owner = 0; owner < ranks; ++owner) {
    const CellRange share = owned_cells(cells, ranks, owner);
    std::vector<double> send;
    top.append_at_least(
        share.begin, share.end,
        std::span<const double>(floors).subspan(share.begin, share.end - share.begin), send);
    auto received = same_block.gatherv(send, owner);
    if (owner == same_block.rank()) {
      got = std::move(received);
      mine = share;
    }
  }

  const std::size_t n = mine.end - mine.begin;
  const Runs runs = runs_of(got, n, ranks);
  std::vector<double> out(n);
  tbb::parallel_for(
      tbb::blocked_range<std::size_t>(0, n, 64), [&](const tbb::blocked_range<std::size_t>& range) {
        std::vector<double> all;
        for (std::size_t c = range.begin(); c != range.end(); ++c) {
          all.clear();
          for (int r = 0; r < ranks; ++r) {
            const std::size_t run = static_cast<std::size_t>(r) * n + c;
            const auto from = got.begin() + static_cast<std::ptrdiff_t>(runs.start[run]);
            all.insert(all.end(), from, from + static_cast<std::ptrdiff_t>(runs.length[run]));
          }
          out[c] = largest_at(all, top.capacity());
        }
      });
  return same_block.allgatherv(out);
}

}  // namespace permrsa
