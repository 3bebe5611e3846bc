#include "io/mat73_reader.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>

#include "io/array_layout.hpp"
#include "io/h5_handles.hpp"
#include "io/source_readers.hpp"
#include "permrsa/error.hpp"

namespace permrsa::io {

namespace {

const std::vector<std::string>& integer_classes() {
  static const std::vector<std::string> names = {"int8",  "uint8",  "int16", "uint16",
                                                 "int32", "uint32", "int64", "uint64"};
  return names;
}

std::string with_article(const std::string& noun) {
  const bool vowel = !noun.empty() && std::string("aeiou").find(noun[0]) != std::string::npos;
  return (vowel ? "an " : "a ") + noun;
}

// One variable of an open v7.3 file: what MATLAB says it is, and its MATLAB shape.
struct Variable {
  std::string path;      // "/name"
  std::string matlab;    // MATLAB_class, e.g. "double"
  std::string kind;      // as the v5 path words it: "double array", "cell array", "struct"...
  bool numeric = false;  // a real, non-logical numeric array
  bool empty = false;    // MATLAB_empty: the dataset holds the dims, not data
  std::vector<std::size_t> shape;
};

[[noreturn]] void fail(const ArraySource& source, const std::string& what, const std::string& why) {
  throw InputError(where(source, what) + ": " + why);
}

std::string variable_list(const h5::File& file) {
  std::string list;
  for (const std::string& name : file.member_names("/")) {
    if (name.empty() || name[0] == '#') continue;  // "#refs#", "#subsystem#": MATLAB's own
    list += (list.empty() ? "" : ", ") + name;
  }
  return list.empty() ? "none" : list;
}

Variable describe(const h5::File& file, const ArraySource& source, const std::string& what) {
  Variable v;
  v.path = "/" + source.dataset;
  if (source.dataset.find('/') != std::string::npos || !file.exists(v.path)) {
    fail(source, what,
         "the file has no variable '" + source.dataset +
             "'; its variables are: " + variable_list(file));
  }
  v.matlab = file.has_attribute(v.path, "MATLAB_class")
                 ? file.attribute_string(v.path, "MATLAB_class")
                 : std::string();
  if (!file.is_dataset(v.path)) {  // structs, sparse matrices, objects are groups
    v.kind = file.has_attribute(v.path, "MATLAB_sparse") ? "sparse matrix"
             : v.matlab.empty()                          ? "group"
             : v.matlab == "struct"                      ? "struct"
                                                         : v.matlab + " object";
    return v;
  }
  const h5::DatasetInfo info = file.dataset_info(v.path);
  v.empty = file.has_attribute(v.path, "MATLAB_empty") &&
            file.attribute_int64(v.path, "MATLAB_empty") != 0;
  const bool plain = v.matlab == "double" || v.matlab == "single" ||
                     std::count(integer_classes().begin(), integer_classes().end(), v.matlab) > 0;
  if (v.matlab == "cell") {
    v.kind = "cell array";
  } else if (v.matlab == "char") {
    v.kind = "char array";
  } else if (v.matlab == "logical") {
    v.kind = "logical array";
  } else if (v.matlab == "function_handle") {
    v.kind = "function handle";
  } else if (plain && v.empty) {
    v.kind = "empty array";
  } else if (plain && info.type_class == h5::DatasetInfo::Class::other) {
    v.kind = "complex " + v.matlab + " array";  // a {real, imag} compound
  } else if (plain && (info.type_class == h5::DatasetInfo::Class::floating ||
                       info.type_class == h5::DatasetInfo::Class::integer)) {
    v.kind = v.matlab + " array";
    v.numeric = true;
  } else {
    v.kind = v.matlab.empty() ? "dataset without a MATLAB_class" : v.matlab + " variable";
  }
  // MATLAB's dims are the dataset's, reversed.
  v.shape.assign(info.shape.rbegin(), info.shape.rend());
  return v;
}

template <class Body>
auto with_file(const ArraySource& source, const std::string& what, Body body) {
  require_readable_file(source, what);
  try {
    const h5::File file = h5::File::open_read(source.file);
    return body(file, describe(file, source, what));
  } catch (const h5::Error& error) {
    const std::string object = error.object().empty() ? "" : " " + error.object();
    throw InputError(where(source, what) + ": truncated or damaged MATLAB v7.3 file (HDF5): " +
                     "cannot " + error.action() + object + ": " + error.detail());
  }
}

bool is_float_class(const Variable& v) {
  return v.numeric && (v.matlab == "double" || v.matlab == "single");
}

[[noreturn]] void not_real_float(const Variable& v, const ArraySource& source,
                                 const std::string& what) {
  fail(source, what, "expected a real double or single array, found " + with_article(v.kind));
}

// The dataset's values (C order of the HDF5 dims = MATLAB's column-major) in MATLAB's shape,
// C order.
template <class T>
NdArray<T> matlab_array(const h5::File& file, const Variable& v, const ArraySource& source) {
  NdArray<T> array;
  array.shape = v.shape;
  array.source = source.text();
  array.values = fortran_to_c(file.read<T>(v.path), array.shape);
  return array;
}

}  // namespace

std::vector<std::size_t> read_mat73_real_shape(const ArraySource& source, const std::string& what) {
  return with_file(source, what, [&](const h5::File& file, const Variable& v) {
    if (!is_float_class(v)) not_real_float(v, source, what);
    file.require_stored_data(v.path);  // as the HDF5 reader: the shape probe fails as a read
    return v.shape;
  });
}

RealArray read_mat73_real(const ArraySource& source, const std::string& what) {
  return with_file(source, what, [&](const h5::File& file, const Variable& v) {
    if (!is_float_class(v)) not_real_float(v, source, what);
    return matlab_array<double>(file, v, source);
  });
}

IntArray read_mat73_int(const ArraySource& source, const std::string& what) {
  return with_file(source, what, [&](const h5::File& file, const Variable& v) {
    const auto& ints = integer_classes();
    if (!v.numeric || std::find(ints.begin(), ints.end(), v.matlab) == ints.end()) {
      fail(source, what,
           "expected a real integer array (int8 to int64 or uint8 to uint64), found " +
               with_article(v.kind) + " (in MATLAB, save int64(x) rather than x)");
    }
    if (v.matlab != "uint64") return matlab_array<std::int64_t>(file, v, source);
    // HDF5 would clamp uint64 values above INT64_MAX to it silently: check them instead, at
    // MATLAB's linear (column-major) index, as the v5 path does.
    const std::vector<std::uint64_t> wide = file.read<std::uint64_t>(v.path);
    std::vector<std::int64_t> values(wide.size());
    for (std::size_t i = 0; i < wide.size(); ++i) {
      if (wide[i] > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        fail(source, what,
             "value " + std::to_string(wide[i]) + " at element " + std::to_string(i) +
                 " does not fit in int64");
      values[i] = static_cast<std::int64_t>(wide[i]);
    }
    return IntArray{v.shape, fortran_to_c(values, v.shape), source.text()};
  });
}

}  // namespace permrsa::io
