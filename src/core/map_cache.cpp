#include "core/map_cache.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cstring>
#include <new>
#include <utility>

#include "permrsa/error.hpp"

namespace permrsa {

MapCache::MapCache(std::size_t capacity)
    : pages_(capacity * sizeof(double)), data_(pages_.as<double>()), capacity_(capacity) {}

MapCache::MapCache(MapCache&& other) noexcept
    : pages_(std::move(other.pages_)),
      data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      capacity_(std::exchange(other.capacity_, 0)) {}

MapCache& MapCache::operator=(MapCache&& other) noexcept {
  if (this != &other) {
    pages_ = std::move(other.pages_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    capacity_ = std::exchange(other.capacity_, 0);
  }
  return *this;
}

void MapCache::append(std::span<const double> values) {
  if (size_ + values.size() > capacity_) throw InternalError("map cache: more maps than planned");
  double* dst = data_ + size_;
  constexpr std::size_t kChunk = 1 << 15;  // 256 KB per task
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, values.size(), kChunk),
                    [&](const tbb::blocked_range<std::size_t>& r) {
                      std::memcpy(dst + r.begin(), values.data() + r.begin(),
                                  (r.end() - r.begin()) * sizeof(double));
                    });
  size_ += values.size();
}

}  // namespace permrsa
