// The header of a NumPy .npy file (format 1.0-3.0): a Python dict literal such as
// {'descr': '<f8', 'fortran_order': False, 'shape': (1176, 218), }
// Spec: numpy/lib/format.py ("The .npy format"). Internal to src/io.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace permrsa::io {

struct NpyDtype {
  std::string descr;      // as written, e.g. "<f8"
  char byte_order = '|';  // '<' little, '>' big, '|' not applicable, '=' native
  char kind = '?';        // 'f' float, 'i' signed, 'u' unsigned, 'b' bool, others unsupported
  std::size_t item_size = 0;

  // "float64", "int8", "bool"...; the descr itself for types permrsa does not read.
  std::string name() const;
  bool is_float() const { return kind == 'f' && (item_size == 4 || item_size == 8); }
  bool is_integer() const {
    return (kind == 'i' || kind == 'u') &&
           (item_size == 1 || item_size == 2 || item_size == 4 || item_size == 8);
  }
  bool is_big_endian() const { return byte_order == '>' && item_size > 1; }
};

struct NpyHeader {
  NpyDtype dtype;
  bool fortran_order = false;
  std::vector<std::size_t> shape;  // empty for a 0-d array
};

// Thrown by parse_npy_header with what is wrong; the reader adds the file and field.
class NpyHeaderError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

NpyHeader parse_npy_header(const std::string& text);

}  // namespace permrsa::io
