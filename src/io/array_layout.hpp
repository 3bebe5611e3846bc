// Shapes and memory order of arrays read from files (internal to src/io).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace permrsa::io {

// Product of the extents (1 for a scalar), or nullopt if it overflows size_t.
inline std::optional<std::size_t> checked_element_count(const std::vector<std::size_t>& shape) {
  std::size_t count = 1;
  for (std::size_t extent : shape) {
    if (extent != 0 && count > static_cast<std::size_t>(-1) / extent) return std::nullopt;
    count *= extent;
  }
  return count;
}

// "1176 x 218"; "scalar" for an empty shape.
inline std::string shape_text(const std::vector<std::size_t>& shape) {
  if (shape.empty()) return "scalar";
  std::string text;
  for (std::size_t axis = 0; axis < shape.size(); ++axis) {
    if (axis > 0) text += " x ";
    text += std::to_string(shape[axis]);
  }
  return text;
}

// Reorders values stored in Fortran (column-major) order into C (row-major) order, keeping
// the shape: out[i0, ..., in-1] = in[i0 + d0 * (i1 + d1 * (...))].
template <class T>
std::vector<T> fortran_to_c(const std::vector<T>& in, const std::vector<std::size_t>& shape) {
  const std::size_t rank = shape.size();
  std::vector<std::size_t> c_stride(rank, 1);
  for (std::size_t axis = rank; axis-- > 1;) c_stride[axis - 1] = c_stride[axis] * shape[axis];
  std::vector<T> out(in.size());
  std::vector<std::size_t> index(rank, 0);
  std::size_t c_offset = 0;
  // Walk the input in its own order, axis 0 fastest, tracking the C offset incrementally.
  for (std::size_t f_offset = 0; f_offset < in.size(); ++f_offset) {
    out[c_offset] = in[f_offset];
    for (std::size_t axis = 0; axis < rank; ++axis) {
      c_offset += c_stride[axis];
      if (++index[axis] < shape[axis]) break;
      c_offset -= c_stride[axis] * shape[axis];
      index[axis] = 0;
    }
  }
  return out;
}

// A run of `length` elements starting at element `first` of an array's storage.
struct StorageRun {
  std::size_t first = 0, length = 0;
};

// The runs, in storage order, that hold the block [begin, end) along `axis` of an array of
// `shape` stored in C order (or Fortran order): the axes stored before `axis` repeat one run
// per index, those after it are contiguous inside the run. Empty for an empty block.
inline std::vector<StorageRun> block_runs(const std::vector<std::size_t>& shape, std::size_t axis,
                                          std::size_t begin, std::size_t end, bool fortran) {
  std::size_t outer = 1, inner = 1;
  for (std::size_t a = 0; a < shape.size(); ++a) {
    const bool stored_before = fortran ? a > axis : a < axis;
    if (stored_before)
      outer *= shape[a];
    else if (a != axis)
      inner *= shape[a];
  }
  std::vector<StorageRun> runs;
  if (end <= begin || inner == 0) return runs;
  runs.reserve(outer);
  for (std::size_t o = 0; o < outer; ++o)
    runs.push_back({(o * shape[axis] + begin) * inner, (end - begin) * inner});
  return runs;
}

}  // namespace permrsa::io
