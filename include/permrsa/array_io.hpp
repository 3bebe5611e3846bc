// Reading arrays and names from .npy, MATLAB .mat (v5 and v7.3) and HDF5 files.
//
// A source is written "file.npy", "file.mat:variable" or "file.h5:/group/dataset".
// Every reader throws InputError naming the file, the field (`what`) and the expected vs
// actual type or shape when the source cannot be read as asked.
#pragma once

#include <string>
#include <vector>

#include "permrsa/ndarray.hpp"

namespace permrsa {

struct ArraySource {
  std::string file;     // path on disk
  std::string dataset;  // variable (.mat) or dataset path (.h5); empty for .npy
  std::string text() const { return dataset.empty() ? file : file + ":" + dataset; }
};

// Splits "file.h5:/ds" / "file.mat:var" / "file.npy". `what` names the config field.
ArraySource parse_array_source(const std::string& spec, const std::string& what);

// float32 or float64 data, any dimension, returned as float64 in C order.
RealArray read_real_array(const std::string& spec, const std::string& what);

// The shape of a float32/float64 array, from the file's header or metadata only (.npy header,
// HDF5 dataspace, matio's Mat_VarReadInfo); no data is read. It checks what read_real_array
// checks before reading (file, variable or dataset, dtype, and for .npy the data length), with
// the same messages.
std::vector<std::size_t> read_array_shape(const std::string& spec, const std::string& what);

// The indices [begin, end) along `axis` of a float32/float64 array of `rank` dimensions, as
// float64 in C order: the array's shape with extent end - begin on `axis` (rows or columns of
// a matrix; the time columns of an N x P x T stack). Checks what read_real_array checks, and
// that the array has `rank` dimensions. Memory is proportional to the block: .npy reads only
// the bytes of the block (in a few large reads), HDF5 selects a hyperslab. A .mat variable is
// read whole and then cut (matio reads whole variables only). A range outside the array is an
// InternalError (callers take it from read_array_shape).
RealArray read_real_array_block(const std::string& spec, const std::string& what, std::size_t axis,
                                std::size_t begin, std::size_t end, std::size_t rank = 2);

// Integer data (int8..int64, uint8..uint32), returned as int64 in C order.
IntArray read_int_array(const std::string& spec, const std::string& what);

// One name per line from a text file (blank lines ignored), or an HDF5 string dataset.
std::vector<std::string> read_names(const std::string& spec, const std::string& what);

// Writers used by `permrsa simulate` and the tests: .npy format 1.0, C order, written to
// "<path>.partial" and renamed. RuntimeFailure if the file cannot be written.
void write_npy(const std::string& path, const RealArray& array);     // float64 ('<f8')
void write_npy_int(const std::string& path, const IntArray& array);  // int64 ('<i8')

}  // namespace permrsa
