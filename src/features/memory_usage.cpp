#include "features/memory_usage.hpp"

#include <fstream>
#include <sstream>
#include <string>

namespace permrsa::features {

MemoryUsage memory_usage() {
  MemoryUsage usage;
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    std::istringstream fields(line);
    std::string key;
    std::uint64_t kib = 0;
    fields >> key >> kib;
    if (key == "VmRSS:") usage.resident = kib * 1024;
    if (key == "VmHWM:") usage.peak = kib * 1024;
  }
  return usage;
}

}  // namespace permrsa::features
