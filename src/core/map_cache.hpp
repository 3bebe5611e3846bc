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
// The kept values are in the codec's 4-byte form when the kernel has one (kernels/map_codec.hpp),
// else doubles. The memory is a PageBuffer sized for the worst case (every value kept); pages
// that are never written are never faulted in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "kernels/map_codec.hpp"
#include "numeric/page_buffer.hpp"

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
  // Maps first .. first + count - 1 as they were appended (the cells not kept as the stand-in),
  // decoded into `scratch`.
  std::span<const double> read(std::size_t first, std::size_t count,
                               std::vector<double>& scratch) const;
  std::size_t maps() const { return maps_; }
  // Values kept so far, over all maps.
  std::size_t kept_values() const { return start_.empty() ? 0 : start_.back(); }

 private:
  void store(std::span<const double> map, const std::uint64_t* mask, std::size_t at,
             std::vector<std::uint32_t>& coded);
  void load(std::size_t map, double* out) const;
  PageBuffer masks_;                // per map: words_ 64-bit words, bit c set when cell c is kept
  PageBuffer values_;               // the kept values, map after map, in cell order
  std::vector<std::size_t> start_;  // per map: the offset of its first kept value; then the end
  std::unique_ptr<MapCodec> codec_;
  double stand_in_ = 0.0;
  std::size_t cells_ = 0, words_ = 0, maps_ = 0, capacity_ = 0;  // capacity in maps
};

}  // namespace permrsa
