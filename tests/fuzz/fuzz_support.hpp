// Shared by the fuzz targets: each input is written to a file (the readers take paths, as
// permrsa does), then read. Bad input must end in permrsa::InputError (exit 2); anything else
// that escapes (another exception, a crash, a sanitizer report, a hang) is a finding.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "permrsa/error.hpp"

namespace permrsa::fuzz {

// A file of this process in $TMPDIR with the given extension (the readers dispatch on it).
inline std::string scratch_file(const std::string& extension) {
  const char* dir = std::getenv("TMPDIR");
  return std::string(dir != nullptr && *dir != '\0' ? dir : "/tmp") + "/permrsa-fuzz-" +
         std::to_string(::getpid()) + extension;
}

inline void write_file(const std::string& path, const std::uint8_t* data, std::size_t size) {
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) std::abort();  // the harness itself failed, not the reader
  if (size > 0 && std::fwrite(data, 1, size, file) != size) std::abort();
  std::fclose(file);
}

// Runs `read`; an InputError is the expected answer to bad input.
template <class Read>
void expect_clean(Read&& read) {
  try {
    read();
  } catch (const InputError&) {
  }
}

}  // namespace permrsa::fuzz
