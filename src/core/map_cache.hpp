// Pass 1's null maps kept for pass 2 (the permutation-p threshold replays them instead of
// computing them again). At the seed shape and K = 10000 this is 384 MB: a std::vector filled by
// one thread spent 15% of a run in page faults, zeroing and a serial copy (issue 20's profile).
// Here the memory is a PageBuffer (anonymous, transparent huge pages requested, never zeroed by
// us), and each batch is copied in by all threads, so the first-touch page faults are spread over
// them too.
#pragma once

#include <cstddef>
#include <span>

#include "numeric/page_buffer.hpp"

namespace permrsa {

class MapCache {
 public:
  MapCache() = default;
  explicit MapCache(std::size_t capacity);  // values; throws std::bad_alloc when mmap fails
  MapCache(const MapCache&) = delete;
  MapCache& operator=(const MapCache&) = delete;
  MapCache(MapCache&& other) noexcept;
  MapCache& operator=(MapCache&& other) noexcept;

  // Appends `values` (copied in parallel); the total may not exceed the capacity.
  void append(std::span<const double> values);
  std::span<const double> view() const { return {data_, size_}; }
  std::size_t size() const { return size_; }

 private:
  PageBuffer pages_;
  double* data_ = nullptr;
  std::size_t size_ = 0, capacity_ = 0;
};

}  // namespace permrsa
