// The per-format readers behind read_real_array / read_int_array (internal to src/io).
#pragma once

#include <string>

#include "permrsa/array_io.hpp"

namespace permrsa::io {

enum class Container { npy, mat, hdf5, unknown };

// By the file's extension (case-insensitive): .npy, .mat, .h5/.hdf5/.he5.
Container container_of(const std::string& file);

// "file.h5:/ds (brain.file)": where a message points the user to.
inline std::string where(const ArraySource& source, const std::string& what) {
  return what.empty() ? source.text() : source.text() + " (" + what + ")";
}

// Throws InputError ("cannot open 'x': No such file or directory") unless `source.file` can
// be opened for reading.
void require_readable_file(const ArraySource& source, const std::string& what);

RealArray read_npy_real(const ArraySource& source, const std::string& what);
IntArray read_npy_int(const ArraySource& source, const std::string& what);
RealArray read_mat_real(const ArraySource& source, const std::string& what);
IntArray read_mat_int(const ArraySource& source, const std::string& what);
RealArray read_hdf5_real(const ArraySource& source, const std::string& what);
IntArray read_hdf5_int(const ArraySource& source, const std::string& what);

// Shapes and blocks of float arrays (read_array_shape, read_real_array_block).
std::vector<std::size_t> read_npy_real_shape(const ArraySource& source, const std::string& what);
std::vector<std::size_t> read_mat_real_shape(const ArraySource& source, const std::string& what);
std::vector<std::size_t> read_hdf5_real_shape(const ArraySource& source, const std::string& what);

// A block request: [begin, end) along `axis` of an array of `rank` dimensions, checked by
// require_block against the array's shape.
struct BlockRequest {
  std::size_t axis = 0, begin = 0, end = 0, rank = 2;
  std::size_t length() const { return end - begin; }
};
// InputError unless `shape` has block.rank dimensions; InternalError unless the request fits.
void require_block(const std::vector<std::size_t>& shape, const BlockRequest& block,
                   const ArraySource& source, const std::string& what);
// The block's shape within `shape`.
std::vector<std::size_t> block_shape(const std::vector<std::size_t>& shape,
                                     const BlockRequest& block);

RealArray read_npy_real_block(const ArraySource& source, const std::string& what,
                              const BlockRequest& block);
RealArray read_hdf5_real_block(const ArraySource& source, const std::string& what,
                               const BlockRequest& block);

}  // namespace permrsa::io
