// Large working arrays in fresh anonymous memory with transparent huge pages requested (THP runs
// in madvise mode on Debian, so a plain allocation gets 4 KB pages). Random reads across tens of
// megabytes (the permuted model values of a large S, a cache of null maps) then miss the TLB far
// less. The pages come from the kernel zero-filled and are faulted in on first touch, so a
// buffer filled by several threads has its page faults spread over them too.
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
  std::size_t bytes_ = 0;
};

}  // namespace permrsa
