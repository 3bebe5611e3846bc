// The selected layers' activations of the images one rank forwards, kept until the Gram
// matrices are built: in memory when they fit the budget, else in a scratch file (an unlinked
// temporary, so it vanishes with the process even on a crash). Page-cache pages of the scratch
// file are not resident memory of the process, so the budget holds either way.
//
// Layout: per layer, rows (images) x features, float32, row-major.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace permrsa::features {

class ActivationStore {
 public:
  ActivationStore(std::size_t rows, std::vector<std::size_t> layer_sizes, bool spill,
                  const std::string& scratch_dir);
  ~ActivationStore();
  ActivationStore(const ActivationStore&) = delete;
  ActivationStore& operator=(const ActivationStore&) = delete;

  // Stores rows [row, row + n) of `layer` from `block` (n x size, row-major).
  void put(std::size_t layer, std::size_t row, const std::vector<float>& block);
  // Columns [begin, end) of every row of `layer`, into `out` (rows x (end - begin)).
  void columns(std::size_t layer, std::size_t begin, std::size_t end, float* out) const;

  std::size_t rows() const { return rows_; }
  bool spilled() const { return fd_ >= 0; }

 private:
  std::size_t rows_;
  std::vector<std::size_t> sizes_;
  std::vector<std::size_t> offsets_;           // first float of each layer in the file
  std::vector<std::vector<float>> in_memory_;  // per layer, when not spilled
  int fd_ = -1;
  std::string scratch_name_;
};

}  // namespace permrsa::features
