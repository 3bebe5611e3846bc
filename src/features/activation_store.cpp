#include "features/activation_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "permrsa/error.hpp"

namespace permrsa::features {
namespace {

void write_all(int fd, const char* data, std::size_t bytes, off_t offset, const std::string& name) {
  while (bytes > 0) {
    const ssize_t n = ::pwrite(fd, data, bytes, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      throw RuntimeFailure(name +
                           ": cannot write the activations scratch file: " + std::strerror(errno));
    data += n;
    bytes -= static_cast<std::size_t>(n);
    offset += n;
  }
}

void read_all(int fd, char* data, std::size_t bytes, off_t offset, const std::string& name) {
  while (bytes > 0) {
    const ssize_t n = ::pread(fd, data, bytes, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      throw RuntimeFailure(name + ": cannot read the activations scratch file: " +
                           (n == 0 ? std::string("unexpected end") : std::strerror(errno)));
    data += n;
    bytes -= static_cast<std::size_t>(n);
    offset += n;
  }
}

}  // namespace

ActivationStore::ActivationStore(std::size_t rows, std::vector<std::size_t> layer_sizes, bool spill,
                                 const std::string& scratch_dir)
    : rows_(rows), sizes_(std::move(layer_sizes)) {
  std::size_t offset = 0;
  for (const auto size : sizes_) {
    offsets_.push_back(offset);
    offset += rows_ * size;
  }
  if (!spill) {
    in_memory_.resize(sizes_.size());
    for (std::size_t l = 0; l < sizes_.size(); ++l) in_memory_[l].resize(rows_ * sizes_[l]);
    return;
  }
  std::string name = (std::filesystem::path(scratch_dir) / "permrsa-activations-XXXXXX").string();
  fd_ = ::mkstemp(name.data());
  if (fd_ < 0)
    throw InputError(scratch_dir +
                     ": --scratch-dir: cannot create a scratch file for the "
                     "activations: " +
                     std::strerror(errno));
  ::unlink(name.c_str());  // removed with the last descriptor, whatever happens
  scratch_name_ = name;
}

ActivationStore::~ActivationStore() {
  if (fd_ >= 0) ::close(fd_);
}

void ActivationStore::put(std::size_t layer, std::size_t row, const std::vector<float>& block) {
  const std::size_t size = sizes_.at(layer);
  if (block.size() % size != 0 || row + block.size() / size > rows_)
    throw InternalError("ActivationStore::put: block does not fit the layer's rows");
  if (fd_ < 0) {
    std::copy(block.begin(), block.end(),
              in_memory_[layer].begin() + static_cast<std::ptrdiff_t>(row * size));
    return;
  }
  write_all(fd_, reinterpret_cast<const char*>(block.data()), block.size() * sizeof(float),
            static_cast<off_t>((offsets_[layer] + row * size) * sizeof(float)), scratch_name_);
}

void ActivationStore::columns(std::size_t layer, std::size_t begin, std::size_t end,
                              float* out) const {
  const std::size_t size = sizes_.at(layer);
  const std::size_t width = end - begin;
  for (std::size_t r = 0; r < rows_; ++r) {
    if (fd_ < 0) {
      const float* src = in_memory_[layer].data() + r * size + begin;
      std::copy(src, src + width, out + r * width);
    } else {
      read_all(fd_, reinterpret_cast<char*>(out + r * width), width * sizeof(float),
               static_cast<off_t>((offsets_[layer] + r * size + begin) * sizeof(float)),
               scratch_name_);
    }
  }
}

}  // namespace permrsa::features
