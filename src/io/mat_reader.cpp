// Reading MATLAB .mat files: v4 and v5 through matio, v7.3 through mat73_reader.cpp. MATLAB stores
// arrays in column order; they are returned in C order with MATLAB's dims as the shape, so a 3 x 4
// matrix M gives shape {3, 4} and values[r * 4 + c] == M(r, c).
#include <matio.h>

#include <cstdint>
#include <limits>
#include <memory>

#include "io/array_layout.hpp"
#include "io/mat73_reader.hpp"
#include "io/mat_file_check.hpp"
#include "io/source_readers.hpp"
#include "permrsa/error.hpp"

namespace permrsa::io {

namespace {

// matio reports problems through a log function (by default, to stderr). Keep the last
// message instead, to put it into the InputError.
thread_local std::string last_matio_message;

void remember_matio_message(int, char* message) {
  last_matio_message = message != nullptr ? message : "";
}

void route_matio_log() {
  static const bool routed = [] { return Mat_LogInitFunc("permrsa", remember_matio_message); }();
  (void)routed;
}

std::string matio_reason() {
  return last_matio_message.empty() ? std::string() : " (matio: " + last_matio_message + ")";
}

struct MatCloser {
  void operator()(mat_t* mat) const { Mat_Close(mat); }
};
struct MatVarFreer {
  void operator()(matvar_t* variable) const { Mat_VarFree(variable); }
};
using MatFile = std::unique_ptr<mat_t, MatCloser>;
using MatVar = std::unique_ptr<matvar_t, MatVarFreer>;

std::string class_name(const matvar_t& variable) {
  if (variable.isLogical) return "logical array";
  std::string name;
  switch (variable.class_type) {
    case MAT_C_EMPTY:
      return "empty array";
    case MAT_C_CELL:
      return "cell array";
    case MAT_C_STRUCT:
      return "struct";
    case MAT_C_OBJECT:
      return "object";
    case MAT_C_CHAR:
      return "char array";
    case MAT_C_SPARSE:
      return "sparse matrix";
    case MAT_C_FUNCTION:
      return "function handle";
    case MAT_C_OPAQUE:
      return "opaque object";
    case MAT_C_DOUBLE:
      name = "double";
      break;
    case MAT_C_SINGLE:
      name = "single";
      break;
    case MAT_C_INT8:
      name = "int8";
      break;
    case MAT_C_UINT8:
      name = "uint8";
      break;
    case MAT_C_INT16:
      name = "int16";
      break;
    case MAT_C_UINT16:
      name = "uint16";
      break;
    case MAT_C_INT32:
      name = "int32";
      break;
    case MAT_C_UINT32:
      name = "uint32";
      break;
    case MAT_C_INT64:
      name = "int64";
      break;
    case MAT_C_UINT64:
      name = "uint64";
      break;
  }
  return (variable.isComplex ? "complex " : "") + name + " array";
}

std::string with_article(const std::string& noun) {
  const bool vowel = !noun.empty() && std::string("aeiou").find(noun[0]) != std::string::npos;
  return (vowel ? "an " : "a ") + noun;
}

std::string variable_list(mat_t* mat) {
  std::size_t count = 0;
  char** names = Mat_GetDir(mat, &count);  // owned by `mat`
  if (names == nullptr || count == 0) return "none";
  std::string list;
  for (std::size_t i = 0; i < count; ++i) {
    if (i > 0) list += ", ";
    list += names[i] != nullptr ? names[i] : "?";
  }
  return list;
}

// An open .mat file and the description of one of its variables (no data read yet).
struct OpenVariable {
  MatFile mat;
  MatVar info;
};

// v7.3 files go to mat73_reader.cpp; v4 and v5 files to matio, once their framing is checked
// (matio trusts the sizes the file declares: a cut or corrupted file read as data).
bool is_v73(const ArraySource& source, const std::string& what) {
  require_readable_file(source, what);
  return check_mat_file(source, what) == MatVersion::v73;
}

OpenVariable open_variable(const ArraySource& source, const std::string& what) {
  route_matio_log();
  last_matio_message.clear();
  MatFile mat(Mat_Open(source.file.c_str(), MAT_ACC_RDONLY));
  if (!mat) {
    throw InputError(where(source, what) + ": not a MATLAB .mat file (v4, v5 or v7.3)" +
                     matio_reason());
  }
  // Look the name up first: Mat_VarRead also fails on variables it cannot decode.
  MatVar info(Mat_VarReadInfo(mat.get(), source.dataset.c_str()));
  if (!info) {
    throw InputError(where(source, what) + ": the file has no variable '" + source.dataset +
                     "'; its variables are: " + variable_list(mat.get()));
  }
  return OpenVariable{std::move(mat), std::move(info)};
}

MatVar read_variable(const ArraySource& source, const std::string& what) {
  const OpenVariable open = open_variable(source, what);
  MatVar variable(Mat_VarRead(open.mat.get(), source.dataset.c_str()));
  if (!variable) {
    throw InputError(where(source, what) + ": cannot read variable '" + source.dataset + "' (" +
                     with_article(class_name(*open.info)) + ")" + matio_reason());
  }
  return variable;
}

std::vector<std::size_t> shape_of(const matvar_t& variable) {
  return std::vector<std::size_t>(variable.dims, variable.dims + variable.rank);
}

// Copies the column-major data as In into a C-order array of Out.
template <class In, class Out>
NdArray<Out> to_c_order(const matvar_t& variable, const ArraySource& source,
                        const std::string& what) {
  NdArray<Out> array;
  array.shape = shape_of(variable);
  array.source = source.text();
  const std::size_t count = checked_element_count(array.shape).value_or(0);
  if (count > 0 && (variable.data == nullptr || variable.data_size != sizeof(In) ||
                    variable.nbytes < count * sizeof(In))) {
    throw InputError(where(source, what) + ": matio returned " + std::to_string(variable.nbytes) +
                     " bytes for a " + shape_text(array.shape) + " " + class_name(variable));
  }
  const In* data = static_cast<const In*>(variable.data);
  std::vector<Out> column_major(count);
  for (std::size_t i = 0; i < count; ++i) {
    if constexpr (std::is_same_v<In, std::uint64_t>) {
      if (data[i] > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        throw InputError(where(source, what) + ": value " + std::to_string(data[i]) +
                         " at element " + std::to_string(i) + " does not fit in int64");
      }
    }
    column_major[i] = static_cast<Out>(data[i]);
  }
  array.values = fortran_to_c(column_major, array.shape);
  return array;
}

bool is_plain_numeric(const matvar_t& variable) {
  return !variable.isComplex && !variable.isLogical;
}

bool is_real_float(const matvar_t& variable) {
  return is_plain_numeric(variable) &&
         (variable.class_type == MAT_C_DOUBLE || variable.class_type == MAT_C_SINGLE);
}

[[noreturn]] void throw_not_real_float(const matvar_t& variable, const ArraySource& source,
                                       const std::string& what) {
  throw InputError(where(source, what) + ": expected a real double or single array, found " +
                   with_article(class_name(variable)));
}

}  // namespace

RealArray read_mat_real(const ArraySource& source, const std::string& what) {
  if (is_v73(source, what)) return read_mat73_real(source, what);
  const MatVar variable = read_variable(source, what);
  if (!is_real_float(*variable)) throw_not_real_float(*variable, source, what);
  if (variable->class_type == MAT_C_DOUBLE) {
    return to_c_order<double, double>(*variable, source, what);
  }
  return to_c_order<float, double>(*variable, source, what);
}

std::vector<std::size_t> read_mat_real_shape(const ArraySource& source, const std::string& what) {
  if (is_v73(source, what)) return read_mat73_real_shape(source, what);
  const OpenVariable open = open_variable(source, what);
  if (!is_real_float(*open.info)) throw_not_real_float(*open.info, source, what);
  return shape_of(*open.info);
}

IntArray read_mat_int(const ArraySource& source, const std::string& what) {
  if (is_v73(source, what)) return read_mat73_int(source, what);
  const MatVar variable = read_variable(source, what);
  if (is_plain_numeric(*variable)) {
    const matvar_t& v = *variable;
    switch (v.class_type) {
      case MAT_C_INT8:
        return to_c_order<std::int8_t, std::int64_t>(v, source, what);
      case MAT_C_UINT8:
        return to_c_order<std::uint8_t, std::int64_t>(v, source, what);
      case MAT_C_INT16:
        return to_c_order<std::int16_t, std::int64_t>(v, source, what);
      case MAT_C_UINT16:
        return to_c_order<std::uint16_t, std::int64_t>(v, source, what);
      case MAT_C_INT32:
        return to_c_order<std::int32_t, std::int64_t>(v, source, what);
      case MAT_C_UINT32:
        return to_c_order<std::uint32_t, std::int64_t>(v, source, what);
      case MAT_C_INT64:
        return to_c_order<std::int64_t, std::int64_t>(v, source, what);
      case MAT_C_UINT64:
        return to_c_order<std::uint64_t, std::int64_t>(v, source, what);
      default:
        break;
    }
  }
  throw InputError(where(source, what) + ": expected a real integer array (int8 to int64 or " +
                   "uint8 to uint64), found " + with_article(class_name(*variable)) +
                   " (in MATLAB, save int64(x) rather than x)");
}

}  // namespace permrsa::io
