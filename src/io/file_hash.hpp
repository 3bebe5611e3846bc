// SHA-256 of input files, recorded in results for provenance (and checked by `merge`).
#pragma once

#include <string>
#include <string_view>

namespace permrsa {

// Lower-case hex SHA-256 of the file's bytes, read in chunks (files may be gigabytes).
// InputError if the file cannot be opened; RuntimeFailure if reading it fails midway.
std::string sha256_file(const std::string& path);

// Lower-case hex SHA-256 of `bytes` (e.g. a config's text).
std::string sha256_hex(std::string_view bytes);

}  // namespace permrsa
