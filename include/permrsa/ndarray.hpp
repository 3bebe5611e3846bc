// An n-dimensional array read from a file, converted to C order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace permrsa {

template <class T>
struct NdArray {
  std::vector<std::size_t> shape;  // C order: last index varies fastest
  std::vector<T> values;           // size == product(shape)
  std::string source;              // "file.npy", "file.mat:var", "file.h5:/ds" (for messages)

  std::size_t dims() const { return shape.size(); }
  std::size_t extent(std::size_t axis) const { return shape.at(axis); }
};

using RealArray = NdArray<double>;
using IntArray = NdArray<std::int64_t>;

}  // namespace permrsa
