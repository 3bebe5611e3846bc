// This process's resident memory, from /proc/self/status (Linux).
#pragma once

#include <cstdint>

namespace permrsa::features {

struct MemoryUsage {
  std::uint64_t resident = 0;  // VmRSS, bytes
  std::uint64_t peak = 0;      // VmHWM, bytes
};

// Zeros when /proc is not available.
MemoryUsage memory_usage();

}  // namespace permrsa::features
