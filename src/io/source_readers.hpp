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

}  // namespace permrsa::io
