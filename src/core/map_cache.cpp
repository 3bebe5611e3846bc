#include "core/map_cache.hpp"

#include <sys/mman.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cstring>
#include <new>
#include <utility>

#include "permrsa/error.hpp"

namespace permrsa {

MapCache::MapCache(std::size_t capacity) : capacity_(capacity) {
  if (capacity == 0) return;
  bytes_ = capacity * sizeof(double);
  void* p = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  // A hint only: without THP the pages are ordinary ones.
  (void)madvise(p, bytes_, MADV_HUGEPAGE);
  data_ = static_cast<double*>(p);
}

MapCache::~MapCache() {
  release();
}

MapCache::MapCache(MapCache&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      capacity_(std::exchange(other.capacity_, 0)),
      bytes_(std::exchange(other.bytes_, 0)) {}

MapCache& MapCache::operator=(MapCache&& other) noexcept {
  if (this != &other) {
    release();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    capacity_ = std::exchange(other.capacity_, 0);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

void MapCache::release() noexcept {
  if (data_) munmap(data_, bytes_);
  data_ = nullptr;
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
