#include "numeric/page_buffer.hpp"

#include <sys/mman.h>

#include <cstdint>
#include <limits>
#include <new>
#include <utility>

namespace permrsa {

namespace {

constexpr std::size_t kHugePage = std::size_t{2} << 20;
constexpr std::size_t kPage = 4096;

std::size_t round_up(std::size_t n, std::size_t to) {
  return (n + to - 1) / to * to;
}

}  // namespace

PageBuffer::PageBuffer(std::size_t bytes) : bytes_(bytes) {
  if (bytes == 0) return;
  // Too large to round up and slide: no mapping could hold it anyway.
  if (bytes > std::numeric_limits<std::size_t>::max() - 2 * kHugePage) throw std::bad_alloc();
  const bool huge = bytes >= kHugePage;
  mapped_ = round_up(bytes, huge ? kHugePage : kPage);
  // Room to slide to a 2 MB boundary; what is left over before and after is unmapped again.
  const std::size_t asked = huge ? mapped_ + kHugePage : mapped_;
  void* p = mmap(nullptr, asked, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  auto* start = static_cast<char*>(p);
  if (huge) {
    const auto at = reinterpret_cast<std::uintptr_t>(start);
    const std::size_t head = round_up(at, kHugePage) - at;
    if (head > 0) munmap(start, head);
    if (asked - head > mapped_) munmap(start + head + mapped_, asked - head - mapped_);
    start += head;
  }
  // A hint only: without THP the pages are ordinary ones.
  (void)madvise(start, mapped_, MADV_HUGEPAGE);
  data_ = start;
}

PageBuffer::~PageBuffer() {
  release();
}

PageBuffer::PageBuffer(PageBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      bytes_(std::exchange(other.bytes_, 0)),
      mapped_(std::exchange(other.mapped_, 0)) {}

PageBuffer& PageBuffer::operator=(PageBuffer&& other) noexcept {
  if (this != &other) {
    release();
    data_ = std::exchange(other.data_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
    mapped_ = std::exchange(other.mapped_, 0);
  }
  return *this;
}

void PageBuffer::release() noexcept {
  if (data_) munmap(data_, mapped_);
  data_ = nullptr;
}

}  // namespace permrsa
