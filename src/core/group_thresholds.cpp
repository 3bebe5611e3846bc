#include "core/group_thresholds.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cstdint>
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

template <class T>
Runs runs_of(std::span<const T> got, std::size_t cells, int ranks) {
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

// Per cell, the highest of the groups' `bounds` or the least of their `quota_values`, whichever
// is higher (share_group_bounds); one max-reduction for both, the quota values negated.
std::vector<double> shared_floors(std::span<const double> bounds,
                                  std::span<const double> quota_values,
                                  const Communicator& same_block) {
  const std::size_t cells = bounds.size();
  std::vector<double> shared(2 * cells);
  std::copy(bounds.begin(), bounds.end(), shared.begin());
  for (std::size_t c = 0; c < cells; ++c) shared[cells + c] = -quota_values[c];
  same_block.allreduce_max(shared);
  for (std::size_t c = 0; c < cells; ++c) shared[c] = std::max(shared[c], -shared[cells + c]);
  shared.resize(cells);
  return shared;
}

// What a group sends an owner, in the buffers' form: counts then values as doubles, or counts
// then keys as int32 (half the bytes to send, receive and fault in).
void append_share(const CellTopValues& top, CellRange share, std::span<const double> floors,
                  std::vector<double>& send) {
  top.append_at_least(share.begin, share.end, floors, send);
}
void append_share(const CellTopValues& top, CellRange share, std::span<const double> floors,
                  std::vector<std::int32_t>& send) {
  top.append_keys_at_least(share.begin, share.end, floors, send);
}

double value_of(const CellTopValues&, double v, std::size_t) {
  return v;
}
double value_of(const CellTopValues& top, std::int32_t key, std::size_t cell) {
  return top.key_value(key, cell);
}

// The thresholds of this rank's owned share of the cells: every group's values (T: double) or
// keys (T: int32) at or above the floors of each owner's cells go to that owner in one exchange
// (every rank sends and receives at once), and the owner selects the capacity-th largest of each
// of its cells.
template <class T>
std::vector<double> owned_thresholds(const CellTopValues& top, const Communicator& same_block,
                                     std::span<const double> floors) {
  const int ranks = same_block.size();
  std::vector<T> send;
  // Room for every buffered value and each cell's count: reserved, not touched, so that the
  // segments are appended without a copy.
  send.reserve(top.buffered() + top.cells() + static_cast<std::size_t>(ranks));
  std::vector<std::size_t> counts;
  for (int owner = 0; owner < ranks; ++owner) {
    const CellRange share = owned_cells(top.cells(), ranks, owner);
    const std::size_t before = send.size();
    append_share(top, share, floors.subspan(share.begin, share.end - share.begin), send);
    counts.push_back(send.size() - before);
  }
  const std::vector<T> got = same_block.exchange_values(std::span<const T>(send), counts);
  const CellRange mine = owned_cells(top.cells(), ranks, same_block.rank());
  const std::size_t n = mine.end - mine.begin;
  const Runs runs = runs_of(std::span<const T>(got), n, ranks);
  std::vector<double> out(n);
  tbb::parallel_for(
      tbb::blocked_range<std::size_t>(0, n, 64), [&](const tbb::blocked_range<std::size_t>& range) {
        std::vector<T> all;
        for (std::size_t c = range.begin(); c != range.end(); ++c) {
          all.clear();
          for (int r = 0; r < ranks; ++r) {
            const std::size_t run = static_cast<std::size_t>(r) * n + c;
            const auto from = got.begin() + static_cast<std::ptrdiff_t>(runs.start[run]);
            all.insert(all.end(), from, from + static_cast<std::ptrdiff_t>(runs.length[run]));
          }
          out[c] =
              value_of(top, largest_at(std::span<const T>(all), top.capacity()), mine.begin + c);
        }
      });
  return out;
}

}  // namespace

std::size_t group_quota(std::size_t capacity, int groups) {
  const auto g = static_cast<std::size_t>(std::max(1, groups));
  return (capacity + g - 1) / g;
}

void share_group_bounds(CellTopValues& top, const Communicator& same_block) {
  top.raise_bounds(shared_floors(top.bounds(), top.quota_bounds(), same_block));
}

std::vector<double> thresholds_across_groups(const CellTopValues& top,
                                             const Communicator& same_block,
                                             std::int64_t total_values) {
  const std::size_t cells = top.cells();
  if (const auto uniform = top.value_free_threshold(total_values))
    return std::vector<double>(cells, *uniform);
  // The floors as in pass 1, with each group's quota-th largest of all it has buffered, not
  // only of what it held at its last trim: a group's buffer takes up to twice its capacity in
  // new values before it is trimmed, so the quota bounds of pass 1 can lag far behind (seed
  // shape, 2 groups: 3.4x the values sent).
  const int ranks = same_block.size();
  const std::vector<double> floors = shared_floors(
      top.bounds(), top.buffered_largest_at(group_quota(top.capacity(), ranks)), same_block);

  std::vector<double> out = top.keyed() ? owned_thresholds<std::int32_t>(top, same_block, floors)
                                        : owned_thresholds<double>(top, same_block, floors);
  return same_block.allgatherv(out);
}

}  // namespace permrsa
