// Large working arrays in fresh anonymous memory with transparent huge pages requested (THP runs
// in madvise mode on Debian, so a plain allocation gets 4 KB pages). Random reads across tens of
// megabytes (the permuted model values of a large S, a cache of null maps) then miss the TLB far
// less. The pages come from the kernel zero-filled and are faulted in on first touch, so a
// buffer filled by several threads has its page faults spread over them too.
//
// A buffer of 2 MB or more starts on a 2 MB boundary and spans whole 2 MB pages: the kernel only
// backs aligned 2 MB stretches of a mapping with huge pages, and Debian bookworm's does not align
// anonymous mappings itself, so the stretch before the first boundary and after the last came in
// 4 KB pages, a fault each. Where fresh memory is slow (a VM: about 11 us per 4 KB fault against
// 2 ms per 2 MB page, bench/fresh_pages_bench.cpp) that was up to 5.6 ms per unaligned end.
#pragma once

#include <cstddef>

namespace permrsa {

class PageBuffer {
 public:
  PageBuffer() = default;
  // `bytes` of zeros (rounded up to whole pages); throws std::bad_alloc when mmap fails.
  explicit PageBuffer(std::size_t bytes);
  ~PageBuffer();
  PageBuffer(const PageBuffer&) = delete;
  PageBuffer& operator=(const PageBuffer&) = delete;
  PageBuffer(PageBuffer&& other) noexcept;
  PageBuffer& operator=(PageBuffer&& other) noexcept;

  template <class T>
  T* as() const {
    return static_cast<T*>(data_);
  }
  std::size_t bytes() const { return bytes_; }

 private:
  void release() noexcept;
  void* data_ = nullptr;
  std::size_t bytes_ = 0;   // as asked for
  std::size_t mapped_ = 0;  // the mapping at data_: bytes_ rounded up to whole pages
};

}  // namespace permrsa
