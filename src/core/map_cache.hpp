// Pass 1's null maps kept for pass 2 (the permutation-p threshold replays them instead of
// computing them again). As doubles, at the seed shape and K = 10000, this is 384 MB: a
// std::vector filled by one thread spent 15% of a run in page faults, zeroing and a serial copy
// (issue 20's profile). Here:
//   - the memory is a PageBuffer (anonymous, transparent huge pages requested, never zeroed by
//     us), and each batch is copied in by all threads, so the first-touch page faults are spread
//     over them too;
//   - when the kernel's values have a lossless 4-byte form (kernels/map_codec.hpp: Pearson
//     float32, exact Spearman while |dot| < 2^31), that is what is kept: half the pages, and
//     the same doubles come back.
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
  // Room for `maps` maps of `cells` values, in the codec's form (doubles without one); throws
  // std::bad_alloc when mmap fails.
  MapCache(std::size_t maps, std::size_t cells, std::unique_ptr<MapCodec> codec);
  MapCache(MapCache&&) noexcept = default;
  MapCache& operator=(MapCache&&) noexcept = default;

  // Bytes per value kept with this codec (null: doubles).
  static std::size_t bytes_per_value(const MapCodec* codec) {
    return codec ? sizeof(std::uint32_t) : sizeof(double);
  }
  // Appends whole maps (encoded in parallel); the total may not exceed the capacity.
  void append(std::span<const double> values);
  // Maps first .. first + count - 1, as they were appended: a view of the cache when it holds
  // doubles, else decoded into `scratch`.
  std::span<const double> read(std::size_t first, std::size_t count,
                               std::vector<double>& scratch) const;
  std::size_t maps() const { return maps_; }

 private:
  template <class Fn>
  void for_map_runs(std::size_t count, Fn&& fn) const;
  PageBuffer pages_;
  std::unique_ptr<MapCodec> codec_;
  std::size_t cells_ = 0, maps_ = 0, capacity_ = 0;  // in maps
};

}  // namespace permrsa
