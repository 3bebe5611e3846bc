// Requests bytes [from, to) of a buffer into L2 (prefetcht1), one request per 64-byte line.
//
// The kernels call it between micro-tiles with consecutive slices of the data the next cache
// block will read, so that the requests spread over the current block's arithmetic instead of
// stalling the next block's first tiles. A hint only: it changes no value.
#pragma once

#include <cstddef>
#include <cstdint>

namespace permrsa {

inline void prefetch_lines(const void* base, std::size_t from, std::size_t to) {
  constexpr std::uintptr_t kLine = 64;
  const auto begin = reinterpret_cast<std::uintptr_t>(base) + from;
  const auto end = reinterpret_cast<std::uintptr_t>(base) + to;
  for (std::uintptr_t at = begin & ~(kLine - 1); at < end; at += kLine)
    __builtin_prefetch(reinterpret_cast<const void*>(at), 0, 2);
}

}  // namespace permrsa
