// Helpers for the I/O tests: a scratch folder, raw .npy bytes, and catching an error message.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace permrsa::test {

// A fresh folder under $TMPDIR, removed with everything in it at the end of the test.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "permrsa-io-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The bytes of a .npy file, laid out as numpy/lib/format.py describes: magic, version,
// header length (2 bytes in 1.0, 4 in 2.0/3.0, little-endian), the header dict, the data.
inline std::string npy_bytes(const std::string& header_dict, const std::string& data,
                             int major = 1) {
  std::string header = header_dict;
  const std::size_t prefix = major == 1 ? 10 : 12;
  while ((prefix + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string bytes = "\x93NUMPY";
  bytes += static_cast<char>(major);
  bytes += '\0';
  const std::size_t length_bytes = major == 1 ? 2 : 4;
  for (std::size_t i = 0; i < length_bytes; ++i) {
    bytes += static_cast<char>((header.size() >> (8 * i)) & 0xff);
  }
  return bytes + header + data;
}

// The raw little-endian bytes of `values` (the host is little-endian, as permrsa assumes).
template <class T>
std::string raw_bytes(const std::vector<T>& values) {
  return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
}

// The same values with each element's bytes reversed: big-endian storage.
template <class T>
std::string big_endian_bytes(const std::vector<T>& values) {
  std::string bytes;
  for (const T& value : values) {
    std::string one = raw_bytes(std::vector<T>{value});
    bytes.append(one.rbegin(), one.rend());
  }
  return bytes;
}

// Runs `action`, which must throw `Error`, and returns the message ("" and a failure if not).
template <class Error, class Action>
std::string message_of(Action action) {
  try {
    action();
  } catch (const Error& error) {
    return error.what();
  } catch (const std::exception& other) {
    ADD_FAILURE() << "threw another exception type: " << other.what();
    return "";
  }
  ADD_FAILURE() << "did not throw";
  return "";
}

}  // namespace permrsa::test
