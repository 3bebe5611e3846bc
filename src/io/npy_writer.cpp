// Writing .npy files: format 1.0, little-endian, C order (what numpy.save writes).
#include <cerrno>
#include <cstring>
#include <fstream>

#include "io/array_layout.hpp"
#include "permrsa/atomic_file.hpp"
#include "permrsa/array_io.hpp"
#include "permrsa/error.hpp"

namespace permrsa {

namespace {

// The magic, version 1.0, the header length and the dict, padded with spaces and ended by
// '\n' so that the data starts at a multiple of 64 bytes (as NumPy does, for memory mapping).
std::string npy_prefix(const std::string& descr, const std::vector<std::size_t>& shape) {
  std::string shape_tuple = "(";
  for (std::size_t axis = 0; axis < shape.size(); ++axis) {
    if (axis > 0) shape_tuple += ", ";
    shape_tuple += std::to_string(shape[axis]);
  }
  shape_tuple += shape.size() == 1 ? ",)" : ")";
  std::string dict =
      "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape_tuple + ", }";
  const std::size_t unpadded = 10 + dict.size() + 1;
  dict.append((64 - unpadded % 64) % 64, ' ');
  dict += '\n';
  if (dict.size() > 0xffff) throw InternalError("write_npy: shape too long for format 1.0");
  std::string prefix = "\x93NUMPY";
  prefix += '\x01';
  prefix += '\x00';
  prefix += static_cast<char>(dict.size() & 0xff);
  prefix += static_cast<char>(dict.size() >> 8);
  return prefix + dict;
}

// Written to a temporary name and renamed (AtomicFile), so a failed write never leaves a file
// that looks complete.
template <class T>
void write_npy_file(const std::string& path, const NdArray<T>& array, const std::string& descr) {
  const auto count = io::checked_element_count(array.shape);
  if (!count || *count != array.values.size()) {
    throw InternalError("write_npy(" + path + "): " + std::to_string(array.values.size()) +
                        " values for a shape of " + io::shape_text(array.shape));
  }
  AtomicFile file(path);
  std::ofstream out(file.temp_path(), std::ios::binary | std::ios::trunc);
  if (!out) {
    throw RuntimeFailure(path + ": cannot create the temporary file " + file.temp_path() + ": " +
                         std::strerror(errno));
  }
  const std::string prefix = npy_prefix(descr, array.shape);
  out.write(prefix.data(), static_cast<std::streamsize>(prefix.size()));
  out.write(reinterpret_cast<const char*>(array.values.data()),
            static_cast<std::streamsize>(array.values.size() * sizeof(T)));
  out.close();
  if (!out) throw RuntimeFailure(path + ": cannot write it (disk full?)");
  file.commit();
}

}  // namespace

void write_npy(const std::string& path, const RealArray& array) {
  write_npy_file(path, array, "<f8");
}

void write_npy_int(const std::string& path, const IntArray& array) {
  write_npy_file(path, array, "<i8");
}

}  // namespace permrsa
