#include "io/h5_global_heap.hpp"

#include "io/h5_handles.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <string_view>
#include <thread>
#include <vector>

namespace permrsa::h5::detail {

namespace {

constexpr std::uint64_t kMinCollection = 4096;  // H5HG_MINSIZE

std::uint64_t little_endian(const unsigned char* bytes, std::size_t width) {
  std::uint64_t value = 0;
  for (std::size_t i = width; i-- > 0;) value = (value << 8) | bytes[i];
  return value;
}

std::uint64_t align8(std::uint64_t n) {
  return (n + 7) & ~std::uint64_t{7};
}

// Walks the collection that `data` starts with (its declared size checked against the file
// by the caller); "" when sound.
std::string walk(const unsigned char* data, std::uint64_t size, std::size_t length_size) {
  const std::uint64_t header = align8(8 + length_size);         // H5HG_SIZEOF_HDR
  const std::uint64_t object_header = 2 + 2 + 4 + length_size;  // H5HG_SIZEOF_OBJHDR
  std::uint64_t p = header;
  while (p < size) {
    if (p + object_header > size) break;  // too small for an object: free space, as HDF5 reads it
    const auto index = static_cast<unsigned>(little_endian(data + p, 2));
    const std::uint64_t declared = little_endian(data + p + 8, length_size);
    // HDF5 1.10 (H5HG__cache_heap_deserialize): need = header + align8(size) for an object,
    // the size itself for free space (index 0), in wrapping unsigned arithmetic, and it moves on
    // by `need`. Only need == 0 keeps it at the same place for ever; a `need` beyond the end ends
    // its walk (as it ends this one): the tail of a collection written through MPI-IO may hold
    // bytes that were never objects, and HDF5 reads such files.
    const std::uint64_t need = index > 0 ? object_header + align8(declared) : declared;
    if (need > size - p) break;
    if (need == 0) {
      return "object " + std::to_string(index) + " at offset " + std::to_string(p) + " declares " +
             std::to_string(declared) + " bytes, but " + std::to_string(size - p) +
             " are left in the collection of " + std::to_string(size) + " bytes";
    }
    p += need;
  }
  return "";
}

}  // namespace

std::string global_heap_damage(const std::string& path, std::size_t length_size) {
  if (length_size != 2 && length_size != 4 && length_size != 8)
    return "unsupported size of lengths " + std::to_string(length_size);
  std::ifstream in(path, std::ios::binary);
  in.seekg(0, std::ios::end);
  const auto file_size = static_cast<std::uint64_t>(std::max<std::streamoff>(in.tellg(), 0));
  // A collection starts "GCOL", version 1, three reserved zero bytes, then its size. The
  // signature is searched for anywhere (collections are not aligned), block by block; a match
  // not followed by that header is data that happens to spell GCOL, and is skipped.
  static constexpr std::string_view kSignature = "GCOL";
  constexpr std::uint64_t kBlock = std::uint64_t{1} << 20;
  const std::uint64_t overlap = 8 + length_size;  // a header split across two blocks
  std::vector<unsigned char> block;
  for (std::uint64_t start = 0; start < file_size; start += kBlock) {
    const std::uint64_t length = std::min(kBlock + overlap, file_size - start);
    block.resize(length);
    in.clear();
    in.seekg(static_cast<std::streamoff>(start));
    in.read(reinterpret_cast<char*>(block.data()), static_cast<std::streamsize>(length));
    const unsigned char* begin = block.data();
    const unsigned char* end = begin + length;
    for (const unsigned char* at = begin;; ++at) {
      at = std::search(at, end, kSignature.begin(), kSignature.end());
      if (at == end || static_cast<std::uint64_t>(at - begin) >= kBlock) break;  // next block
      const std::uint64_t offset = start + static_cast<std::uint64_t>(at - begin);
      const std::uint64_t left = file_size - offset;
      const auto in_block = static_cast<std::uint64_t>(end - at);
      if (in_block < 8 + length_size || at[4] != 1 || at[5] != 0 || at[6] != 0 || at[7] != 0)
        continue;
      const std::uint64_t size = little_endian(at + 8, length_size);
      if (size < kMinCollection || size > left)
        return "global heap collection at byte " + std::to_string(offset) + " declares " +
               std::to_string(size) + " bytes (at least 4096), " + std::to_string(left) +
               " are left in the file";
      std::vector<unsigned char> collection(static_cast<std::size_t>(size));
      in.clear();
      in.seekg(static_cast<std::streamoff>(offset));
      in.read(reinterpret_cast<char*>(collection.data()), static_cast<std::streamsize>(size));
      if (const std::string why = walk(collection.data(), size, length_size); !why.empty())
        return "global heap collection at byte " + std::to_string(offset) + ": " + why;
    }
  }
  return "";
}

namespace {
bool heap_check_child = false;
}  // namespace

bool in_heap_check_child() {
  return heap_check_child;
}

bool hdf5_reads_in_time(const std::string& path, double seconds) {
  const pid_t child = ::fork();
  if (child < 0) return false;  // cannot ask HDF5: keep the finding
  if (child == 0) {
    heap_check_child = true;
    int status = 0;
    try {
      File::open_read(path).read_everything(true);
    } catch (...) {
      status = 1;  // HDF5 finished, with an error of its own: not a hang
    }
    ::_exit(status);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(child, &status, WNOHANG) == child) return WIFEXITED(status);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  return false;
}

}  // namespace permrsa::h5::detail
