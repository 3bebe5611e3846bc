#include "cli/heap_pages.hpp"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>

namespace permrsa::cli {

void keep_heap_in_huge_pages() {
  constexpr std::size_t kMiB = std::size_t{1} << 20, kHugePage = 2 * kMiB, kStep = 256 * kMiB;
  // mallopt returns 0 when an allocator other than glibc's (a sanitizer's, say) ignores it.
  if (mallopt(M_MMAP_THRESHOLD, 256 * kMiB) == 0 || mallopt(M_TRIM_THRESHOLD, 1024 * kMiB) == 0 ||
      mallopt(M_TOP_PAD, kStep) == 0)
    return;
  // Grow the heap by one step now, then advise the part above this block: it is mapped but not
  // touched yet, so every page it gets later is a huge one.
  void* block = std::malloc(kMiB);
  if (block == nullptr) return;
  const auto from = (reinterpret_cast<std::uintptr_t>(block) + kHugePage - 1) & ~(kHugePage - 1);
  const auto top = reinterpret_cast<std::uintptr_t>(sbrk(0)) & ~(kHugePage - 1);
  if (top > from && top - from <= 2 * kStep)  // the block is on the heap, below its top
    (void)madvise(reinterpret_cast<void*>(from), top - from, MADV_HUGEPAGE);  // a hint only
  std::free(block);
}

}  // namespace permrsa::cli
