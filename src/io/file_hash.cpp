// SHA-256 through OpenSSL's EVP interface (FIPS 180-4).
#include "io/file_hash.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <vector>

#include "permrsa/error.hpp"

namespace permrsa {

namespace {

struct DigestContextFree {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};
struct FileClose {
  void operator()(std::FILE* file) const { std::fclose(file); }
};

// Feeds chunks from `next(buffer, capacity) -> bytes` (0 at the end) into SHA-256.
template <class NextChunk>
std::string sha256_of_stream(NextChunk next) {
  const std::unique_ptr<EVP_MD_CTX, DigestContextFree> context(EVP_MD_CTX_new());
  if (!context || EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) != 1) {
    throw RuntimeFailure("OpenSSL cannot set up SHA-256");
  }
  std::vector<unsigned char> buffer(1 << 20);
  for (std::size_t bytes; (bytes = next(buffer.data(), buffer.size())) > 0;) {
    if (EVP_DigestUpdate(context.get(), buffer.data(), bytes) != 1) {
      throw RuntimeFailure("OpenSSL SHA-256 update failed");
    }
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(context.get(), digest, &length) != 1) {
    throw RuntimeFailure("OpenSSL SHA-256 finalisation failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * length);
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0x0f];
  }
  return hex;
}

}  // namespace

std::string sha256_file(const std::string& path) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    throw InputError("cannot hash '" + path + "': it is a directory, expected a file");
  }
  // A FIFO or device would block fopen, or hash what happens to flow through it.
  if (std::filesystem::exists(path, error) && !std::filesystem::is_regular_file(path, error)) {
    throw InputError("cannot hash '" + path + "': it is not a regular file");
  }
  const std::unique_ptr<std::FILE, FileClose> file(std::fopen(path.c_str(), "rb"));
  if (!file) throw InputError("cannot open '" + path + "' to hash it: " + std::strerror(errno));
  return sha256_of_stream([&](unsigned char* buffer, std::size_t capacity) {
    const std::size_t bytes = std::fread(buffer, 1, capacity, file.get());
    if (bytes == 0 && std::ferror(file.get())) {
      throw RuntimeFailure("cannot read '" + path + "' to hash it: " + std::strerror(errno));
    }
    return bytes;
  });
}

std::string sha256_hex(std::string_view bytes) {
  bool done = false;
  return sha256_of_stream([&](unsigned char* buffer, std::size_t capacity) -> std::size_t {
    if (done) return 0;
    const std::size_t n = std::min(capacity, bytes.size());
    std::memcpy(buffer, bytes.data(), n);
    bytes.remove_prefix(n);
    done = bytes.empty();
    return n;
  });
}

}  // namespace permrsa
