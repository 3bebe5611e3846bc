// MATLAB v7.3 variables, read through permrsa's own HDF5 layer (internal to src/io).
//
// A v7.3 file is an HDF5 file behind a 512-byte MAT header: a numeric variable is a dataset
// with a MATLAB_class attribute ("double", "int32", ...), its HDF5 dims the reverse of MATLAB's
// (MATLAB stores column-major). matio opened these files with H5Gget_info on the root group,
// which HDF5 1.10.8 answers with a segfault on a damaged symbol table (tests/fuzz, corpus
// mat/v73-*.mat); and it loaded a second copy of HDF5 (DESIGN.md's trap). Here only the one
// variable is opened, and every check of the HDF5 reader applies (stored data, filters, types).
// The messages match those of the v4/v5 path (mat_reader.cpp).
#pragma once

#include <string>
#include <vector>

#include "permrsa/array_io.hpp"

namespace permrsa::io {

RealArray read_mat73_real(const ArraySource& source, const std::string& what);
IntArray read_mat73_int(const ArraySource& source, const std::string& what);
std::vector<std::size_t> read_mat73_real_shape(const ArraySource& source, const std::string& what);

}  // namespace permrsa::io
