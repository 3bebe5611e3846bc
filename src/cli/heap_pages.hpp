// The permrsa executable's heap policy: big arrays from a heap in transparent huge pages.
#pragma once

namespace permrsa::cli {

// Called first thing in main(). glibc serves allocations of 128 KB and more (every map, stack
// and batch array of a run) from fresh mmaps, faulted in 4 KB at a time and returned on free.
// On a virtual machine a 4 KB fault can cost 9 us (0.44 GB/s, against 12 GB/s in 2 MB pages on
// the development VM), which made reading and checking a 0.9 MB input take 20 ms. So:
//   - allocations up to 256 MB come from the heap, which keeps what is freed for reuse
//     (M_MMAP_THRESHOLD, M_TRIM_THRESHOLD);
//   - the heap grows in 256 MB steps (M_TOP_PAD), and its first step is advised as transparent
//     huge pages (THP is in madvise mode on Debian).
// What glibc's tunable glibc.malloc.hugetlb=1 does, which can only be set in the environment
// before the process starts. Memory not touched is not resident, so the peak RSS stays that of
// the arrays. Nothing changes in any result. Not for library users: the embeddable engine
// (include/permrsa) leaves the host's allocator alone.
void keep_heap_in_huge_pages();

}  // namespace permrsa::cli
