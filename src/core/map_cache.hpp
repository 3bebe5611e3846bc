// Pass 1's null maps kept for pass 2 (the permutation-p threshold replays them instead of
// computing them again).
//
// Pass 2 needs of a map only the cells that pass their threshold, e > threshold(cell) (core/
// cell_thresholds.hpp), and those cells' raw values. While pass 1 runs the thresholds are not
// known yet, but a floor under each is: the running bound of the cell's top values (no value
// at or below it can be among the m + 1 largest of all K + 1). So a map is kept as a bit mask of
// the cells whose e is above the floor and the raw values of those cells only; every other cell
// reads back as the tail's least extreme value (numeric/tail.hpp), which passes no threshold that
// the true value did not pass either: the clusters of the replayed map are the same, bit for
// bit. At the seed shape and K = 10000 this keeps about a third of the values; written densely,
// the cache's fresh pages (192 MB) cost a third of a run in page faults (issue 20's profile).
//
// With one data block pass 2 does not read the maps back whole: passing() gives the cells that
// pass their thresholds, tested on the kept values (as codes, when the codec's codes are in value
// order), with their oriented values and signs, which is all the clusters need.
//
// The kept values are in the codec's 4-byte form when the kernel has one (kernels/map_codec.hpp),
// else doubles. The memory is a PageBuffer sized for the worst case (every value kept); pages
// that are never written are never faulted in.
//
// The floors rise as pass 1 goes on, so the maps kept early hold many values that a later floor
// rules out: one process at the seed shape keeps every value of its first 1002 maps (no cell has
// a bound before its first trim, core/cell_thresholds.hpp), then about capacity / (maps at the
// last trim) of each later map's values. refilter() drops them and moves the rest up, so that
// later maps reuse the pages. With top-value buffers of three capacities (first trim at 1503
// maps) the seed shape's cache ended with 12% of the values instead of 31%, about half the pages
// were faulted in, and pass 2 decoded 2/5 as many values.
//
// Fresh pages are what the cache costs most where memory comes cold: on the VMs this was measured
// on, a page the guest has not written for a few seconds is written at about 1 GB/s the first
// time against 40 GB/s the next (bench/fresh_pages_bench.cpp), so seed runs started 6 s apart
// spent 0.085-0.096 s in the map cache against 0.034-0.036 s back to back (4 runs each).
// stale() calls for a refilter once the kept values are 1.5 times what the floors would keep now
// (2.5 before): at the seed shape the first comes right after the first trims, and the cache's
// high-water mark is its first 1002 maps plus a little (20 MB of values instead of 30; peak RSS
// 84 MiB instead of 92). In 6 runs each, started 6 s apart, the map cache took a median 0.058 s
// instead of 0.068 s.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "kernels/map_codec.hpp"
#include "numeric/page_buffer.hpp"
#include "permrsa/statistics.hpp"

namespace permrsa {

class MapCache {
 public:
  MapCache() = default;
  // Room for `maps` maps of `cells` values, in the codec's form (doubles without one); a cell not
  // kept reads back as `stand_in`. Throws std::bad_alloc when mmap fails.
  MapCache(std::size_t maps, std::size_t cells, std::unique_ptr<MapCodec> codec, double stand_in);
  MapCache(MapCache&&) noexcept = default;
  MapCache& operator=(MapCache&&) noexcept = default;

  // The most bytes `maps` maps of `cells` values can take with this codec (null: doubles).
  static double worst_case_bytes(std::size_t maps, std::size_t cells, const MapCodec* codec);
  // Appends whole maps: raw values s and their oriented values e, map after map, keeping cell c's
  // value where e > floor[c] (floor: one value per cell of a map).
  void append(std::span<const double> s, std::span<const double> e, std::span<const double> floor);
  // The same with the kept cells given: masks holds words_for(cells) 64-bit words per map, bit
  // c % 64 of word c / 64 set when cell c is kept (the caller compared e with floors that only
  // rise and stay under the thresholds, as append does; bits past the last cell are ignored).
  void append_masked(std::span<const double> s, std::span<const std::uint64_t> masks);
  // Whether the maps kept so far hold more than 1.5 times the values that the last append's share
  // of kept values would keep of them all, i.e. refilter() with that append's floors would likely
  // drop a third of them or more; and they have grown by half since the last refilter.
  bool stale() const;
  // Drops from the maps kept so far every value whose null orientation (numeric/tail.hpp) is
  // not above floor[c] now; each such cell then reads back as the stand-in. With floors that
  // only rise and stay under the thresholds, pass 2's clusters are the same, bit for bit.
  void refilter(std::span<const double> floor, Tail tail);
  // Pass 2's test on the kept values: e > threshold[c], e the null orientation for `tail` of a
  // cell's value; with a codec whose codes are in value order, as bounds on the codes
  // (MapCodec::passing_codes), so that only the passing values are decoded.
  struct PassTest {
    std::vector<double> threshold;
    Tail tail = Tail::greater;
    std::vector<std::int32_t> above, below;  // empty: decode, orient and compare
  };
  PassTest pass_test(std::span<const double> threshold, Tail tail) const;
  // The cells of map `map` that pass `test` as bits in `pass` (words_for(cells) words; a cell
  // not kept never passes: its floor was under its threshold), those of them whose value is
  // negative in `negative`, and each passing cell's oriented value in e[c]; scratch holds
  // cells() values. e's other cells are left as they were.
  void passing(std::size_t map, const PassTest& test, std::span<std::uint64_t> pass,
               std::span<std::uint64_t> negative, std::span<double> e,
               std::span<double> scratch) const;
  std::size_t cells() const { return cells_; }
  // Maps first .. first + count - 1 as they were appended (the cells not kept as the stand-in),
  // decoded into `scratch`.
  std::span<const double> read(std::size_t first, std::size_t count,
                               std::vector<double>& scratch) const;
  std::size_t maps() const { return maps_; }
  // Values kept so far, over all maps.
  std::size_t kept_values() const { return start_.empty() ? 0 : start_.back(); }

 private:
  void store(std::span<const double> map, const std::uint64_t* mask, std::size_t at);
  void store_marked(std::span<const double> s);
  void load(std::size_t map, double* out) const;
  void decode(std::size_t map, double* out) const;
  // refilter's second half: the values of the cells set in `masks` (a subset of each map's
  // mask) moved up, map after map, and those masks made the maps' own.
  template <class W>
  void compact(const std::vector<std::uint64_t>& masks);
  // refilter when the codec's codes are in value order: one pass front to back that tests the
  // codes against per-cell bounds (MapCodec::passing_codes) and moves the kept ones up.
  void refilter_codes(std::span<const std::int32_t> above, std::span<const std::int32_t> below);
  PageBuffer masks_;                // per map: words_ 64-bit words, bit c set when cell c is kept
  PageBuffer values_;               // the kept values, map after map, in cell order
  std::vector<std::size_t> start_;  // per map: the offset of its first kept value; then the end
  std::unique_ptr<MapCodec> codec_;
  double stand_in_ = 0.0;
  std::size_t cells_ = 0, words_ = 0, maps_ = 0, capacity_ = 0;  // capacity in maps
  double last_share_ = 1.0;          // kept / appended values, in the last append
  std::size_t refiltered_kept_ = 0;  // kept_values() after the last refilter
};

}  // namespace permrsa
