// h5::File: whole-dataset reads and writes, hyperslabs (serial and parallel), string datasets
// and scalar attributes.
#include <hdf5.h>

#include <algorithm>
#include <cstring>

#include "io/h5_detail.hpp"
#include "io/h5_global_heap.hpp"
#include "io/h5_handles.hpp"

namespace permrsa::h5 {

using detail::check_id;
using detail::check_status;

namespace {

// The in-memory type of T and the type it is stored as (little-endian, as NumPy writes).
template <class T>
struct TypeOf;
#define PERMRSA_H5_TYPE(T, MEMORY, STORED)   \
  template <>                                \
  struct TypeOf<T> {                         \
    static hid_t memory() { return MEMORY; } \
    static hid_t stored() { return STORED; } \
  };
PERMRSA_H5_TYPE(double, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE)
PERMRSA_H5_TYPE(float, H5T_NATIVE_FLOAT, H5T_IEEE_F32LE)
PERMRSA_H5_TYPE(std::int8_t, H5T_NATIVE_INT8, H5T_STD_I8LE)
PERMRSA_H5_TYPE(std::uint8_t, H5T_NATIVE_UINT8, H5T_STD_U8LE)
PERMRSA_H5_TYPE(std::int16_t, H5T_NATIVE_INT16, H5T_STD_I16LE)
PERMRSA_H5_TYPE(std::uint16_t, H5T_NATIVE_UINT16, H5T_STD_U16LE)
PERMRSA_H5_TYPE(std::int32_t, H5T_NATIVE_INT32, H5T_STD_I32LE)
PERMRSA_H5_TYPE(std::uint32_t, H5T_NATIVE_UINT32, H5T_STD_U32LE)
PERMRSA_H5_TYPE(std::int64_t, H5T_NATIVE_INT64, H5T_STD_I64LE)
PERMRSA_H5_TYPE(std::uint64_t, H5T_NATIVE_UINT64, H5T_STD_U64LE)
#undef PERMRSA_H5_TYPE

std::size_t element_count(const std::vector<hsize_t>& shape) {
  std::size_t count = 1;
  for (hsize_t extent : shape) count *= static_cast<std::size_t>(extent);
  return count;
}

// element_count for a shape read from a file: h5::Error when the product overflows (a damaged
// or hostile file), so that no buffer is sized by a wrapped-around count.
std::size_t checked_count(const std::vector<hsize_t>& shape, const std::string& file,
                          const std::string& object) {
  std::size_t count = 1;
  for (hsize_t extent : shape) {
    if (extent != 0 && count > static_cast<std::size_t>(-1) / extent) {
      std::string text;
      for (hsize_t e : shape) text += (text.empty() ? "" : " x ") + std::to_string(e);
      throw Error(file, object, "read", "the dataset's shape " + text + " overflows");
    }
    count *= static_cast<std::size_t>(extent);
  }
  return count;
}

// Refuses to read a dataset whose values are not all stored in this file and decodable. HDF5
// would otherwise return fill values (zeros) for storage that was never written (a writer that
// stopped early), read the raw data of external or virtual datasets from other files that may
// be missing (fill values again), or fail on a missing filter plugin with a message about the
// plugin folder.
void require_stored_values(hid_t dataset, std::size_t elements, const std::string& file,
                           const std::string& object) {
  const PropList dcpl(
      check_id(H5Dget_create_plist(dataset), file, object, "get the dataset's properties"));
  const int filters = check_status(H5Pget_nfilters(dcpl.get()), file, object, "list filters");
  for (int i = 0; i < filters; ++i) {
    unsigned flags = 0;
    std::size_t values = 0;
    unsigned filter_config = 0;
    char name[128] = {};
    const H5Z_filter_t id = H5Pget_filter2(dcpl.get(), static_cast<unsigned>(i), &flags, &values,
                                           nullptr, sizeof name, name, &filter_config);
    if (id < 0) detail::throw_last_error(file, object, "list filters");
    if (H5Zfilter_avail(id) > 0) continue;
    H5Eclear2(H5E_DEFAULT);  // the failed plugin search
    name[sizeof name - 1] = '\0';
    throw Error(file, object, "read",
                "the data is stored with HDF5 filter " + std::to_string(id) +
                    (name[0] != '\0' ? " (" + std::string(name) + ")" : std::string()) +
                    ", which this HDF5 library does not have; rewrite the dataset without it, "
                    "e.g. h5repack -f GZIP=4 in.h5 out.h5");
  }
  const H5D_layout_t layout = H5Pget_layout(dcpl.get());
  if (layout == H5D_VIRTUAL) {
    throw Error(file, object, "read",
                "the dataset is virtual (its data lives in other files); store it as a plain "
                "dataset, e.g. with h5repack");
  }
  if (check_status(H5Pget_external_count(dcpl.get()), file, object, "list external files") > 0) {
    throw Error(file, object, "read",
                "the dataset keeps its data in external raw files; store it in the HDF5 file "
                "itself, e.g. with h5repack");
  }
  if (elements == 0) return;
  const std::string unfinished = ": an unfinished or damaged file";
  if (layout == H5D_CHUNKED) {
    // Compressed chunks hold fewer bytes than the values they decode to, so the storage size
    // (and H5Dget_space_status, built on it) cannot tell: count the chunks instead.
    const DataspaceId space(check_id(H5Dget_space(dataset), file, object, "get dataspace"));
    const int rank = H5Sget_simple_extent_ndims(space.get());
    if (rank <= 0) detail::throw_last_error(file, object, "get dataspace");
    std::vector<hsize_t> extent(static_cast<std::size_t>(rank)), chunk(extent.size());
    H5Sget_simple_extent_dims(space.get(), extent.data(), nullptr);
    check_status(H5Pget_chunk(dcpl.get(), rank, chunk.data()), file, object, "get chunk shape");
    hsize_t total = 1;
    for (std::size_t axis = 0; axis < extent.size(); ++axis) {
      const hsize_t along = chunk[axis] == 0 ? 0 : (extent[axis] + chunk[axis] - 1) / chunk[axis];
      if (along != 0 && total > static_cast<hsize_t>(-1) / along)
        throw Error(file, object, "read", "the dataset's number of chunks overflows");
      total *= along;
    }
    hsize_t stored = 0;
    check_status(H5Dget_num_chunks(dataset, space.get(), &stored), file, object,
                 "count stored chunks");
    if (stored == 0)
      throw Error(
          file, object, "read",
          "the dataset's data was never written (no chunk is stored in the file)" + unfinished);
    if (stored < total)
      throw Error(file, object, "read",
                  "only " + std::to_string(stored) + " of the dataset's " + std::to_string(total) +
                      " chunks are stored in the file (the others would read as fill values)" +
                      unfinished);
    return;
  }
  H5D_space_status_t status = H5D_SPACE_STATUS_ERROR;
  check_status(H5Dget_space_status(dataset, &status), file, object, "ask for the storage status");
  if (status == H5D_SPACE_STATUS_NOT_ALLOCATED)
    throw Error(file, object, "read",
                "the dataset's data was never written (no storage in the file)" + unfinished);
  // Contiguous or compact: the storage holds exactly the values the shape and type declare
  // (a damaged dataspace would otherwise size a read far beyond the file). Variable-length
  // types store references of another size: only their allocation is checked.
  const DatatypeId type(check_id(H5Dget_type(dataset), file, object, "get type"));
  if (check_status(H5Tdetect_class(type.get(), H5T_VLEN), file, object, "get type") > 0 ||
      check_status(H5Tis_variable_str(type.get()), file, object, "get type") > 0)
    return;
  const std::size_t value_size = H5Tget_size(type.get());
  const hsize_t storage = H5Dget_storage_size(dataset);
  if (value_size == 0 || elements > static_cast<std::size_t>(-1) / value_size ||
      storage != elements * value_size)
    throw Error(file, object, "read",
                "the dataset's storage holds " + std::to_string(storage) +
                    " bytes, its shape and " + "type declare " + std::to_string(elements) +
                    " values of " + std::to_string(value_size) + " bytes" + unfinished);
}

std::string attribute_action(const char* verb, const std::string& name) {
  return std::string(verb) + " attribute '" + name + "'";
}

std::string class_name(H5T_class_t type_class) {
  switch (type_class) {
    case H5T_INTEGER:
      return "integer";
    case H5T_FLOAT:
      return "float";
    case H5T_STRING:
      return "string";
    case H5T_TIME:
      return "time";
    case H5T_BITFIELD:
      return "bitfield";
    case H5T_OPAQUE:
      return "opaque";
    case H5T_COMPOUND:
      return "compound";
    case H5T_REFERENCE:
      return "reference";
    case H5T_ENUM:
      return "enum";
    case H5T_VLEN:
      return "variable-length sequence";
    case H5T_ARRAY:
      return "array";
    default:
      return "unknown";
  }
}

DatasetInfo describe(hid_t type, hid_t space) {
  DatasetInfo info;
  const H5T_class_t type_class = H5Tget_class(type);
  info.type_size = H5Tget_size(type);
  switch (type_class) {
    case H5T_INTEGER:
      info.type_class = DatasetInfo::Class::integer;
      info.is_signed = H5Tget_sign(type) == H5T_SGN_2;
      break;
    case H5T_FLOAT:
      info.type_class = DatasetInfo::Class::floating;
      break;
    case H5T_STRING:
      info.type_class = DatasetInfo::Class::string;
      break;
    default:
      info.other_name = class_name(type_class);
      break;
  }
  const int rank = H5Sget_simple_extent_ndims(space);
  if (rank > 0) {
    info.shape.resize(static_cast<std::size_t>(rank));
    H5Sget_simple_extent_dims(space, info.shape.data(), nullptr);
  }
  if (H5Sget_simple_extent_type(space) == H5S_NULL) info.shape = {0};
  return info;
}

// "" for the number types permrsa reads (IEEE float32/float64, 8- to 64-bit integers, either
// byte order); otherwise what the type is. A damaged type (a float of 1024 bytes with 32 bits
// of precision: tests/fuzz) makes HDF5 1.10.8 copy past the end of a decoded chunk.
std::string nonstandard_number(hid_t type) {
  const H5T_class_t type_class = H5Tget_class(type);
  const std::size_t size = H5Tget_size(type);
  const std::size_t precision = H5Tget_precision(type);
  const int offset = H5Tget_offset(type);
  const bool whole = precision == 8 * size && offset == 0;
  if (type_class == H5T_INTEGER && whole && (size == 1 || size == 2 || size == 4 || size == 8))
    return "";
  if (type_class == H5T_FLOAT && whole && (size == 4 || size == 8)) {
    std::size_t sign = 0, exponent_at = 0, exponent_bits = 0, mantissa_at = 0, mantissa_bits = 0;
    H5Tget_fields(type, &sign, &exponent_at, &exponent_bits, &mantissa_at, &mantissa_bits);
    const bool ieee = size == 4 ? sign == 31 && exponent_at == 23 && exponent_bits == 8 &&
                                      mantissa_at == 0 && mantissa_bits == 23
                                : sign == 63 && exponent_at == 52 && exponent_bits == 11 &&
                                      mantissa_at == 0 && mantissa_bits == 52;
    if (ieee) return "";
  }
  H5Eclear2(H5E_DEFAULT);
  return "a non-standard " + std::to_string(size) + "-byte " +
         (type_class == H5T_FLOAT ? "float" : "integer") + " type with " +
         std::to_string(precision) + " bits of precision (expected IEEE float32/float64 or an " +
         "8- to 64-bit integer)";
}

// A variable-length UTF-8 string type, for writing.
DatatypeId utf8_string_type(const std::string& file, const std::string& object) {
  DatatypeId type(check_id(H5Tcopy(H5T_C_S1), file, object, "make a string type"));
  check_status(H5Tset_size(type.get(), H5T_VARIABLE), file, object, "make a string type");
  check_status(H5Tset_cset(type.get(), H5T_CSET_UTF8), file, object, "make a string type");
  return type;
}

// Reads `count` strings stored with `stored_type` (fixed or variable length) through
// `read(memory_type, buffer)`, which wraps H5Dread or H5Aread.
template <class ReadFn>
std::vector<std::string> read_string_values(hid_t stored_type, hid_t space, std::size_t count,
                                            ReadFn read, const std::string& file,
                                            const std::string& object) {
  std::vector<std::string> out(count);
  if (count == 0) return out;
  const htri_t variable = check_status(H5Tis_variable_str(stored_type), file, object, "read");
  DatatypeId memory(check_id(H5Tcopy(H5T_C_S1), file, object, "read"));
  check_status(H5Tset_cset(memory.get(), H5Tget_cset(stored_type)), file, object, "read");
  if (variable > 0) {
    check_status(H5Tset_size(memory.get(), H5T_VARIABLE), file, object, "read");
    std::vector<char*> pointers(count, nullptr);
    check_status(read(memory.get(), pointers.data()), file, object, "read strings");
    for (std::size_t i = 0; i < count; ++i) {
      if (pointers[i] != nullptr) out[i] = pointers[i];
    }
    H5Dvlen_reclaim(memory.get(), space, H5P_DEFAULT, pointers.data());
    return out;
  }
  const std::size_t size = H5Tget_size(stored_type);
  const H5T_str_t pad = H5Tget_strpad(stored_type);
  check_status(H5Tset_size(memory.get(), size), file, object, "read");
  check_status(H5Tset_strpad(memory.get(), pad), file, object, "read");
  std::vector<char> buffer(count * size);
  check_status(read(memory.get(), buffer.data()), file, object, "read strings");
  for (std::size_t i = 0; i < count; ++i) {
    const char* begin = buffer.data() + i * size;
    std::size_t length = strnlen(begin, size);
    if (pad == H5T_STR_SPACEPAD) {
      while (length > 0 && begin[length - 1] == ' ') --length;
    }
    out[i].assign(begin, length);
  }
  return out;
}

PropList intermediate_groups_lcpl(const std::string& file, const std::string& object) {
  PropList lcpl(check_id(H5Pcreate(H5P_LINK_CREATE), file, object, "create link properties"));
  check_status(H5Pset_create_intermediate_group(lcpl.get(), 1), file, object,
               "create link properties");
  check_status(H5Pset_char_encoding(lcpl.get(), H5T_CSET_UTF8), file, object,
               "create link properties");
  return lcpl;
}

DataspaceId make_space(const std::vector<hsize_t>& shape, const std::string& file,
                       const std::string& object) {
  const hid_t space = shape.empty()
                          ? H5Screate(H5S_SCALAR)
                          : H5Screate_simple(static_cast<int>(shape.size()), shape.data(), nullptr);
  return DataspaceId(check_id(space, file, object, "create dataspace"));
}

// A property list, or H5P_DEFAULT for the empty PropList.
hid_t list_or_default(const PropList& list) {
  return list.valid() ? list.get() : H5P_DEFAULT;
}

}  // namespace

// ---- files ----

File File::create(const std::string& path, const PropList& fapl) {
  silence_errors();
  const hid_t id = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, list_or_default(fapl));
  return File(path, FileId(check_id(id, path, "", "create file")));
}

File File::open_read(const std::string& path, const PropList& fapl) {
  silence_errors();
  const hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, list_or_default(fapl));
  return File(path, FileId(check_id(id, path, "", "open file for reading")));
}

File File::open_rw(const std::string& path, const PropList& fapl) {
  silence_errors();
  const hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDWR, list_or_default(fapl));
  return File(path, FileId(check_id(id, path, "", "open file for writing")));
}

File File::create_parallel(const std::string& path, const PropList& mpio_fapl) {
  File file = create(path, mpio_fapl);
  file.parallel_ = true;
  return file;
}

void File::close() {
  if (!id_.valid()) return;
  const hid_t id = id_.release();
  if (H5Fclose(id) < 0) {
    detail::note_failed_file_close();
    detail::throw_last_error(path_, "", "close file");
  }
}

// ---- datasets ----

template <class T>
void File::write(const std::string& dataset_path, std::span<const T> values,
                 const std::vector<hsize_t>& shape) {
  if (element_count(shape) != values.size()) {
    throw InternalError("h5::File::write(" + path_ + ":" + dataset_path +
                        "): " + std::to_string(values.size()) + " values for a shape of " +
                        std::to_string(element_count(shape)) + " elements");
  }
  const DataspaceId space = make_space(shape, path_, dataset_path);
  const PropList lcpl = intermediate_groups_lcpl(path_, dataset_path);
  const DatasetId dataset(check_id(H5Dcreate2(id_.get(), dataset_path.c_str(), TypeOf<T>::stored(),
                                              space.get(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT),
                                   path_, dataset_path, "create dataset"));
  if (values.empty()) return;
  check_status(
      H5Dwrite(dataset.get(), TypeOf<T>::memory(), H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
      path_, dataset_path, "write dataset");
}

void File::write_strings(const std::string& dataset_path, const std::vector<std::string>& values) {
  const DataspaceId space = make_space({values.size()}, path_, dataset_path);
  const PropList lcpl = intermediate_groups_lcpl(path_, dataset_path);
  const DatatypeId type = utf8_string_type(path_, dataset_path);
  const DatasetId dataset(check_id(H5Dcreate2(id_.get(), dataset_path.c_str(), type.get(),
                                              space.get(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT),
                                   path_, dataset_path, "create dataset"));
  if (values.empty()) return;
  std::vector<const char*> pointers;
  pointers.reserve(values.size());
  for (const std::string& value : values) pointers.push_back(value.c_str());
  check_status(H5Dwrite(dataset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data()),
               path_, dataset_path, "write dataset");
}

DatasetInfo File::dataset_info(const std::string& dataset_path) const {
  const DatasetId dataset(check_id(H5Dopen2(id_.get(), dataset_path.c_str(), H5P_DEFAULT), path_,
                                   dataset_path, "open dataset"));
  const DatatypeId type(check_id(H5Dget_type(dataset.get()), path_, dataset_path, "get type"));
  const DataspaceId space(
      check_id(H5Dget_space(dataset.get()), path_, dataset_path, "get dataspace"));
  return describe(type.get(), space.get());
}

namespace {

// A dataset opened for reading numbers: its id, file dataspace and description. Text,
// compound and other non-numeric data are an error naming the file and dataset.
struct NumericDataset {
  DatasetId dataset;
  DataspaceId space;
  DatasetInfo info;
};

NumericDataset open_numeric(hid_t file, const std::string& file_path,
                            const std::string& dataset_path) {
  DatasetId dataset(check_id(H5Dopen2(file, dataset_path.c_str(), H5P_DEFAULT), file_path,
                             dataset_path, "open dataset"));
  const DatatypeId type(check_id(H5Dget_type(dataset.get()), file_path, dataset_path, "get type"));
  DataspaceId space(
      check_id(H5Dget_space(dataset.get()), file_path, dataset_path, "get dataspace"));
  DatasetInfo info = describe(type.get(), space.get());
  if (info.type_class != DatasetInfo::Class::integer &&
      info.type_class != DatasetInfo::Class::floating) {
    throw Error(file_path, dataset_path, "read numbers", "the dataset holds " + info.type_name());
  }
  if (const std::string odd = nonstandard_number(type.get()); !odd.empty())
    throw Error(file_path, dataset_path, "read numbers", "the dataset holds " + odd);
  return {std::move(dataset), std::move(space), std::move(info)};
}

}  // namespace

template <class T>
std::vector<T> File::read(const std::string& dataset_path, std::vector<hsize_t>* shape) const {
  const auto [dataset, space, info] = open_numeric(id_.get(), path_, dataset_path);
  const std::size_t count = checked_count(info.shape, path_, dataset_path);
  require_stored_values(dataset.get(), count, path_, dataset_path);
  std::vector<T> values(count);
  if (!values.empty()) {
    check_status(
        H5Dread(dataset.get(), TypeOf<T>::memory(), H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
        path_, dataset_path, "read dataset");
  }
  if (shape != nullptr) *shape = info.shape;
  return values;
}

std::vector<std::string> File::read_strings(const std::string& dataset_path) const {
  const DatasetId dataset(check_id(H5Dopen2(id_.get(), dataset_path.c_str(), H5P_DEFAULT), path_,
                                   dataset_path, "open dataset"));
  const DatatypeId type(check_id(H5Dget_type(dataset.get()), path_, dataset_path, "get type"));
  const DataspaceId space(
      check_id(H5Dget_space(dataset.get()), path_, dataset_path, "get dataspace"));
  const DatasetInfo info = describe(type.get(), space.get());
  if (info.type_class != DatasetInfo::Class::string) {
    throw Error(path_, dataset_path, "read strings", "the dataset holds " + info.type_name());
  }
  const std::size_t count = checked_count(info.shape, path_, dataset_path);
  if (info.type_size != 0 && count > static_cast<std::size_t>(-1) / info.type_size) {
    throw Error(path_, dataset_path, "read strings", "the dataset's size overflows");
  }
  require_stored_values(dataset.get(), count, path_, dataset_path);
  check_global_heaps(type.get(), dataset_path);
  const auto read = [&](hid_t memory, void* buffer) {
    return H5Dread(dataset.get(), memory, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer);
  };
  return read_string_values(type.get(), space.get(), count, read, path_, dataset_path);
}

void File::require_stored_data(const std::string& dataset_path) const {
  const DatasetId dataset(check_id(H5Dopen2(id_.get(), dataset_path.c_str(), H5P_DEFAULT), path_,
                                   dataset_path, "open dataset"));
  const DatatypeId type(check_id(H5Dget_type(dataset.get()), path_, dataset_path, "get type"));
  const DataspaceId space(
      check_id(H5Dget_space(dataset.get()), path_, dataset_path, "get dataspace"));
  const DatasetInfo info = describe(type.get(), space.get());
  require_stored_values(dataset.get(), checked_count(info.shape, path_, dataset_path), path_,
                        dataset_path);
}

void File::check_global_heaps(hid_t type, const std::string& object) const {
  if (detail::in_heap_check_child() || heaps_checked_ ||
      check_status(H5Tis_variable_str(type), path_, object, "read") <= 0)
    return;
  const PropList fcpl(check_id(H5Fget_create_plist(id_.get()), path_, "", "get file properties"));
  std::size_t address_size = 0, length_size = 0;
  check_status(H5Pget_sizes(fcpl.get(), &address_size, &length_size), path_, "",
               "get file properties");
  // The walk reads every "GCOL" in the file, also freed copies that HDF5 never visits (a
  // parallel write can leave some). So a finding is confirmed by HDF5 itself, reading every
  // variable-length value of the file in a child process that is given 3 s (milliseconds
  // suffice): only if that does not finish is the file refused.
  const std::string damage = detail::global_heap_damage(path_, length_size);
  if (!damage.empty() && !detail::hdf5_reads_in_time(path_, 3.0))
    throw Error(path_, object, "read strings",
                "damaged file: " + damage + " (HDF5 would never finish reading it)");
  heaps_checked_ = true;
}

bool File::is_dataset(const std::string& path) const {
  if (!exists(path)) return false;
  H5O_info_t info{};
  if (H5Oget_info_by_name2(id_.get(), path.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) {
    H5Eclear2(H5E_DEFAULT);
    return false;
  }
  return info.type == H5O_TYPE_DATASET;
}

bool File::exists(const std::string& path) const {
  // H5Lexists fails (rather than saying no) when a parent is missing, so walk the prefixes.
  std::size_t begin = 0;
  while (begin < path.size()) {
    std::size_t end = path.find('/', begin);
    if (end == std::string::npos) end = path.size();
    if (end > begin) {
      const std::string prefix = path.substr(0, end);
      const htri_t found = H5Lexists(id_.get(), prefix.c_str(), H5P_DEFAULT);
      if (found <= 0) {
        H5Eclear2(H5E_DEFAULT);  // e.g. the parent is a dataset, not a group
        return false;
      }
    }
    begin = end + 1;
  }
  if (path.find_first_not_of('/') == std::string::npos) return true;  // the root
  const htri_t resolves = H5Oexists_by_name(id_.get(), path.c_str(), H5P_DEFAULT);
  if (resolves < 0) H5Eclear2(H5E_DEFAULT);
  return resolves > 0;
}

namespace {

herr_t collect_object(hid_t, const char* name, const H5O_info_t* info, void* data) {
  static_cast<std::vector<std::pair<std::string, H5O_type_t>>*>(data)->emplace_back(name,
                                                                                    info->type);
  return 0;
}

// Reads `count` elements of `type` through `read(type, buffer)` (H5Dread or H5Aread), in the
// stored type itself, and frees what variable-length data HDF5 allocated.
template <class ReadFn>
void read_and_drop(hid_t type, hid_t space, ReadFn read, const std::string& file,
                   const std::string& object, const char* action) {
  const hssize_t count = H5Sget_select_npoints(space);
  if (count <= 0) return;
  std::vector<unsigned char> buffer(static_cast<std::size_t>(count) * H5Tget_size(type));
  check_status(read(type, buffer.data()), file, object, action);
  if (H5Tdetect_class(type, H5T_VLEN) > 0 || H5Tis_variable_str(type) > 0)
    H5Dvlen_reclaim(type, space, H5P_DEFAULT, buffer.data());
}

}  // namespace

void File::read_everything(bool variable_length_only) const {
  std::vector<std::pair<std::string, H5O_type_t>> objects{{".", H5O_TYPE_GROUP}};
  check_status(
      H5Ovisit2(id_.get(), H5_INDEX_NAME, H5_ITER_INC, collect_object, &objects, H5O_INFO_BASIC),
      path_, "/", "list objects");
  for (const auto& [name, type] : objects) {
    const std::string object = name == "." ? "/" : "/" + name;
    H5O_info_t info{};
    check_status(
        H5Oget_info_by_name2(id_.get(), name.c_str(), &info, H5O_INFO_NUM_ATTRS, H5P_DEFAULT),
        path_, object, "read the object header");
    for (hsize_t a = 0; a < info.num_attrs; ++a) {
      const AttributeId attribute(check_id(H5Aopen_by_idx(id_.get(), name.c_str(), H5_INDEX_NAME,
                                                          H5_ITER_INC, a, H5P_DEFAULT, H5P_DEFAULT),
                                           path_, object, "open an attribute"));
      const DatatypeId stored(check_id(H5Aget_type(attribute.get()), path_, object, "read"));
      const DataspaceId space(check_id(H5Aget_space(attribute.get()), path_, object, "read"));
      read_and_drop(
          stored.get(), space.get(),
          [&](hid_t t, void* buffer) { return H5Aread(attribute.get(), t, buffer); }, path_, object,
          "read an attribute");
    }
    if (type != H5O_TYPE_DATASET) continue;
    const DatasetId dataset(
        check_id(H5Dopen2(id_.get(), name.c_str(), H5P_DEFAULT), path_, object, "open dataset"));
    const DatatypeId stored(check_id(H5Dget_type(dataset.get()), path_, object, "get type"));
    if (variable_length_only && H5Tdetect_class(stored.get(), H5T_VLEN) <= 0 &&
        H5Tis_variable_str(stored.get()) <= 0)
      continue;
    const DataspaceId space(check_id(H5Dget_space(dataset.get()), path_, object, "get dataspace"));
    read_and_drop(
        stored.get(), space.get(),
        [&](hid_t t, void* buffer) {
          return H5Dread(dataset.get(), t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer);
        },
        path_, object, "read dataset");
  }
}

// ---- hyperslabs ----

namespace {

std::size_t box_elements(const std::vector<hsize_t>& count) {
  return count.empty() ? 0 : element_count(count);
}

// Selects [offset, offset + count) in `file_space`, or nothing for an empty box, and returns
// the matching memory space. A box outside the extent is an InternalError (the caller's bug).
DataspaceId select_box(hid_t file_space, const std::vector<hsize_t>& offset,
                       const std::vector<hsize_t>& count, const std::string& file,
                       const std::string& object) {
  const std::size_t elements = box_elements(count);
  if (elements == 0) {
    check_status(H5Sselect_none(file_space), file, object, "select nothing");
    const hsize_t one = 1;
    DataspaceId memory(
        check_id(H5Screate_simple(1, &one, nullptr), file, object, "create dataspace"));
    check_status(H5Sselect_none(memory.get()), file, object, "select nothing");
    return memory;
  }
  const int rank = H5Sget_simple_extent_ndims(file_space);
  std::vector<hsize_t> extent(static_cast<std::size_t>(std::max(rank, 0)));
  if (rank > 0) H5Sget_simple_extent_dims(file_space, extent.data(), nullptr);
  bool inside = offset.size() == extent.size() && count.size() == extent.size();
  for (std::size_t axis = 0; inside && axis < extent.size(); ++axis) {
    inside = offset[axis] <= extent[axis] && count[axis] <= extent[axis] - offset[axis];
  }
  if (!inside) {
    std::string text;
    for (std::size_t axis = 0; axis < count.size(); ++axis) {
      text += (axis > 0 ? ", " : "") + std::to_string(axis < offset.size() ? offset[axis] : 0) +
              "+" + std::to_string(count[axis]);
    }
    std::string shape;
    for (std::size_t axis = 0; axis < extent.size(); ++axis) {
      shape += (axis > 0 ? " x " : "") + std::to_string(extent[axis]);
    }
    throw InternalError("h5::File hyperslab (" + file + ":" + object + "): box [" + text +
                        "] does not fit the dataset's extent " + shape);
  }
  check_status(H5Sselect_hyperslab(file_space, H5S_SELECT_SET, offset.data(), nullptr, count.data(),
                                   nullptr),
               file, object, "select hyperslab");
  return DataspaceId(
      check_id(H5Screate_simple(static_cast<int>(count.size()), count.data(), nullptr), file,
               object, "create dataspace"));
}

}  // namespace

PropList File::transfer_list(const std::string& dataset_path, bool collective) const {
  if (!parallel_) return PropList();
#ifdef PERMRSA_WITH_MPI
  PropList dxpl(check_id(H5Pcreate(H5P_DATASET_XFER), path_, dataset_path, "create transfer list"));
  check_status(
      H5Pset_dxpl_mpio(dxpl.get(), collective ? H5FD_MPIO_COLLECTIVE : H5FD_MPIO_INDEPENDENT),
      path_, dataset_path, "set the MPI-IO transfer mode");
  return dxpl;
#else
  (void)dataset_path;
  (void)collective;
  return PropList();
#endif
}

bool File::was_collective(const PropList& dxpl, const std::string& dataset_path,
                          bool collective) const {
  if (!parallel_) return true;
  if (!collective) return false;
#ifdef PERMRSA_WITH_MPI
  std::uint32_t local_cause = 0;
  std::uint32_t global_cause = 0;
  check_status(H5Pget_mpio_no_collective_cause(dxpl.get(), &local_cause, &global_cause), path_,
               dataset_path, "ask whether the transfer was collective");
  return global_cause == H5D_MPIO_COLLECTIVE;
#else
  (void)dxpl;
  (void)dataset_path;
  return false;
#endif
}

template <class T>
void File::create_dataset(const std::string& dataset_path, const std::vector<hsize_t>& shape) {
  const DataspaceId space = make_space(shape, path_, dataset_path);
  const PropList lcpl = intermediate_groups_lcpl(path_, dataset_path);
  const DatasetId dataset(check_id(H5Dcreate2(id_.get(), dataset_path.c_str(), TypeOf<T>::stored(),
                                              space.get(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT),
                                   path_, dataset_path, "create dataset"));
}

void File::create_soft_link(const std::string& target_path, const std::string& link_path) {
  const PropList lcpl = intermediate_groups_lcpl(path_, link_path);
  check_status(
      H5Lcreate_soft(target_path.c_str(), id_.get(), link_path.c_str(), lcpl.get(), H5P_DEFAULT),
      path_, link_path, "create soft link");
}

template <class T>
bool File::write_hyperslab(const std::string& dataset_path, std::span<const T> values,
                           const std::vector<hsize_t>& offset, const std::vector<hsize_t>& count,
                           bool collective) {
  const std::size_t elements = box_elements(count);
  if (elements != values.size()) {
    throw InternalError("h5::File::write_hyperslab(" + path_ + ":" + dataset_path +
                        "): " + std::to_string(values.size()) + " values for a box of " +
                        std::to_string(elements) + " elements");
  }
  const DatasetId dataset(check_id(H5Dopen2(id_.get(), dataset_path.c_str(), H5P_DEFAULT), path_,
                                   dataset_path, "open dataset"));
  const DataspaceId file_space(
      check_id(H5Dget_space(dataset.get()), path_, dataset_path, "get dataspace"));
  const DataspaceId memory_space = select_box(file_space.get(), offset, count, path_, dataset_path);
  // A dataset with no elements has no storage, and parallel HDF5 fails on a transfer into it
  // ("addr overflow"); every rank sees the same extent, so all skip it alike.
  if (H5Sget_simple_extent_npoints(file_space.get()) == 0) return !parallel_ || collective;
  const PropList dxpl = transfer_list(dataset_path, collective);
  // HDF5 wants a buffer even for an empty selection.
  const T placeholder{};
  const T* data = values.empty() ? &placeholder : values.data();
  check_status(H5Dwrite(dataset.get(), TypeOf<T>::memory(), memory_space.get(), file_space.get(),
                        list_or_default(dxpl), data),
               path_, dataset_path, "write hyperslab");
  return was_collective(dxpl, dataset_path, collective);
}

template <class T>
std::vector<T> File::read_hyperslab(const std::string& dataset_path,
                                    const std::vector<hsize_t>& offset,
                                    const std::vector<hsize_t>& count) const {
  const auto [dataset, file_space, info] = open_numeric(id_.get(), path_, dataset_path);
  const DataspaceId memory_space = select_box(file_space.get(), offset, count, path_, dataset_path);
  // After select_box: a box outside the dataset is the caller's bug, reported first.
  require_stored_values(dataset.get(), checked_count(info.shape, path_, dataset_path), path_,
                        dataset_path);
  std::vector<T> values(box_elements(count));
  if (!values.empty()) {
    check_status(H5Dread(dataset.get(), TypeOf<T>::memory(), memory_space.get(), file_space.get(),
                         H5P_DEFAULT, values.data()),
                 path_, dataset_path, "read hyperslab");
  }
  return values;
}

// ---- fixed-length strings ----

namespace {

DatatypeId fixed_string_type(std::size_t width, const std::string& file,
                             const std::string& object) {
  DatatypeId type(check_id(H5Tcopy(H5T_C_S1), file, object, "make a string type"));
  check_status(H5Tset_size(type.get(), width), file, object, "make a string type");
  check_status(H5Tset_strpad(type.get(), H5T_STR_NULLPAD), file, object, "make a string type");
  check_status(H5Tset_cset(type.get(), H5T_CSET_UTF8), file, object, "make a string type");
  return type;
}

}  // namespace

std::size_t File::fixed_string_width(const std::vector<std::string>& values) {
  std::size_t width = 1;
  for (const std::string& value : values) width = std::max(width, value.size());
  return width;
}

void File::create_strings_dataset(const std::string& dataset_path, hsize_t count,
                                  std::size_t width) {
  if (width == 0) {
    throw InternalError("h5::File::create_strings_dataset(" + path_ + ":" + dataset_path +
                        "): a fixed string width must be at least 1");
  }
  const DataspaceId space = make_space({count}, path_, dataset_path);
  const PropList lcpl = intermediate_groups_lcpl(path_, dataset_path);
  const DatatypeId type = fixed_string_type(width, path_, dataset_path);
  const DatasetId dataset(check_id(H5Dcreate2(id_.get(), dataset_path.c_str(), type.get(),
                                              space.get(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT),
                                   path_, dataset_path, "create dataset"));
}

bool File::write_strings_hyperslab(const std::string& dataset_path,
                                   const std::vector<std::string>& values, hsize_t offset,
                                   bool collective) {
  const DatasetId dataset(check_id(H5Dopen2(id_.get(), dataset_path.c_str(), H5P_DEFAULT), path_,
                                   dataset_path, "open dataset"));
  const DatatypeId stored(check_id(H5Dget_type(dataset.get()), path_, dataset_path, "get type"));
  if (H5Tget_class(stored.get()) != H5T_STRING || H5Tis_variable_str(stored.get()) != 0) {
    H5Eclear2(H5E_DEFAULT);
    throw InternalError("h5::File::write_strings_hyperslab(" + path_ + ":" + dataset_path +
                        "): the dataset does not hold fixed-length strings");
  }
  const std::size_t width = H5Tget_size(stored.get());
  std::vector<char> packed(std::max<std::size_t>(values.size() * width, 1), '\0');
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (values[i].size() > width) {
      throw InternalError("h5::File::write_strings_hyperslab(" + path_ + ":" + dataset_path +
                          "): '" + values[i] + "' is longer than the width " +
                          std::to_string(width));
    }
    std::memcpy(packed.data() + i * width, values[i].data(), values[i].size());
  }
  const DataspaceId file_space(
      check_id(H5Dget_space(dataset.get()), path_, dataset_path, "get dataspace"));
  const std::vector<hsize_t> count =
      values.empty() ? std::vector<hsize_t>{} : std::vector<hsize_t>{values.size()};
  const DataspaceId memory_space =
      select_box(file_space.get(), {offset}, count, path_, dataset_path);
  if (H5Sget_simple_extent_npoints(file_space.get()) == 0) return !parallel_ || collective;
  const PropList dxpl = transfer_list(dataset_path, collective);
  // The memory type is the stored type, so no conversion stands in the way of collective I/O.
  check_status(H5Dwrite(dataset.get(), stored.get(), memory_space.get(), file_space.get(),
                        list_or_default(dxpl), packed.data()),
               path_, dataset_path, "write strings");
  return was_collective(dxpl, dataset_path, collective);
}

// ---- attributes ----

template <class T>
void File::write_attribute_scalar(const std::string& object_path, const std::string& name,
                                  const T& value) {
  const htri_t present =
      check_status(H5Aexists_by_name(id_.get(), object_path.c_str(), name.c_str(), H5P_DEFAULT),
                   path_, object_path, attribute_action("write", name).c_str());
  if (present > 0) {
    check_status(H5Adelete_by_name(id_.get(), object_path.c_str(), name.c_str(), H5P_DEFAULT),
                 path_, object_path, attribute_action("replace", name).c_str());
  }
  const DataspaceId space = make_space({}, path_, object_path);
  DatatypeId string_type;
  hid_t stored = -1;
  hid_t memory = -1;
  const void* data = &value;
  const char* text = nullptr;
  if constexpr (std::is_same_v<T, std::string>) {
    string_type = utf8_string_type(path_, object_path);
    stored = memory = string_type.get();
    text = value.c_str();
    data = &text;
  } else {
    stored = TypeOf<T>::stored();
    memory = TypeOf<T>::memory();
  }
  const AttributeId attribute(
      check_id(H5Acreate_by_name(id_.get(), object_path.c_str(), name.c_str(), stored, space.get(),
                                 H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
               path_, object_path, attribute_action("create", name).c_str()));
  check_status(H5Awrite(attribute.get(), memory, data), path_, object_path,
               attribute_action("write", name).c_str());
}

void File::set_attribute(const std::string& object_path, const std::string& name,
                         const std::string& value) {
  write_attribute_scalar(object_path, name, value);
}
void File::set_attribute(const std::string& object_path, const std::string& name,
                         const char* value) {
  write_attribute_scalar(object_path, name, std::string(value));
}
void File::set_attribute(const std::string& object_path, const std::string& name, double value) {
  write_attribute_scalar(object_path, name, value);
}
void File::set_attribute(const std::string& object_path, const std::string& name,
                         std::int64_t value) {
  write_attribute_scalar(object_path, name, value);
}
void File::set_attribute(const std::string& object_path, const std::string& name,
                         std::uint64_t value) {
  write_attribute_scalar(object_path, name, value);
}

template <class T>
T File::read_attribute_scalar(const std::string& object_path, const std::string& name) const {
  const std::string action = attribute_action("read", name);
  const AttributeId attribute(check_id(
      H5Aopen_by_name(id_.get(), object_path.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT),
      path_, object_path, action.c_str()));
  const DatatypeId type(check_id(H5Aget_type(attribute.get()), path_, object_path, action.c_str()));
  const DataspaceId space(
      check_id(H5Aget_space(attribute.get()), path_, object_path, action.c_str()));
  const DatasetInfo info = describe(type.get(), space.get());
  if (element_count(info.shape) != 1) {
    throw Error(path_, object_path, action,
                "expected a single value, found " + std::to_string(element_count(info.shape)));
  }
  if constexpr (std::is_same_v<T, std::string>) {
    if (info.type_class != DatasetInfo::Class::string) {
      throw Error(path_, object_path, action, "expected a string, found " + info.type_name());
    }
    check_global_heaps(type.get(), object_path);
    const auto read = [&](hid_t memory, void* buffer) {
      return H5Aread(attribute.get(), memory, buffer);
    };
    return read_string_values(type.get(), space.get(), 1, read, path_, object_path).front();
  } else {
    if (info.type_class != DatasetInfo::Class::integer &&
        info.type_class != DatasetInfo::Class::floating) {
      throw Error(path_, object_path, action, "expected a number, found " + info.type_name());
    }
    if (const std::string odd = nonstandard_number(type.get()); !odd.empty())
      throw Error(path_, object_path, action, "expected a number, found " + odd);
    T value{};
    check_status(H5Aread(attribute.get(), TypeOf<T>::memory(), &value), path_, object_path,
                 action.c_str());
    return value;
  }
}

std::string File::attribute_string(const std::string& object_path, const std::string& name) const {
  return read_attribute_scalar<std::string>(object_path, name);
}
double File::attribute_double(const std::string& object_path, const std::string& name) const {
  return read_attribute_scalar<double>(object_path, name);
}
std::int64_t File::attribute_int64(const std::string& object_path, const std::string& name) const {
  return read_attribute_scalar<std::int64_t>(object_path, name);
}
std::uint64_t File::attribute_uint64(const std::string& object_path,
                                     const std::string& name) const {
  return read_attribute_scalar<std::uint64_t>(object_path, name);
}

bool File::has_attribute(const std::string& object_path, const std::string& name) const {
  return check_status(H5Aexists_by_name(id_.get(), object_path.c_str(), name.c_str(), H5P_DEFAULT),
                      path_, object_path, attribute_action("look up", name).c_str()) > 0;
}

namespace {
herr_t collect_link_name(hid_t, const char* name, const H5L_info_t*, void* data) {
  static_cast<std::vector<std::string>*>(data)->emplace_back(name);
  return 0;
}
}  // namespace

std::vector<std::string> File::member_names(const std::string& group_path) const {
  const GroupId group(check_id(H5Gopen2(id_.get(), group_path.c_str(), H5P_DEFAULT), path_,
                               group_path, "open group"));
  std::vector<std::string> names;
  hsize_t index = 0;
  check_status(
      H5Literate(group.get(), H5_INDEX_NAME, H5_ITER_INC, &index, collect_link_name, &names), path_,
      group_path, "list the group's members");
  return names;
}

namespace {
herr_t collect_attribute_name(hid_t, const char* name, const H5A_info_t*, void* data) {
  static_cast<std::vector<std::string>*>(data)->emplace_back(name);
  return 0;
}
}  // namespace

std::vector<std::string> File::attribute_names(const std::string& object_path) const {
  std::vector<std::string> names;
  check_status(H5Aiterate_by_name(id_.get(), object_path.c_str(), H5_INDEX_NAME, H5_ITER_INC,
                                  nullptr, collect_attribute_name, &names, H5P_DEFAULT),
               path_, object_path, "list attributes");
  std::sort(names.begin(), names.end());
  return names;
}

// ---- the element types the wrapper supports ----
#define PERMRSA_H5_INSTANTIATE(T)                                                                  \
  template void File::write<T>(const std::string&, std::span<const T>,                             \
                               const std::vector<hsize_t>&);                                       \
  template std::vector<T> File::read<T>(const std::string&, std::vector<hsize_t>*) const;          \
  template void File::create_dataset<T>(const std::string&, const std::vector<hsize_t>&);          \
  template bool File::write_hyperslab<T>(const std::string&, std::span<const T>,                   \
                                         const std::vector<hsize_t>&, const std::vector<hsize_t>&, \
                                         bool);                                                    \
  template std::vector<T> File::read_hyperslab<T>(const std::string&, const std::vector<hsize_t>&, \
                                                  const std::vector<hsize_t>&) const;
PERMRSA_H5_INSTANTIATE(double)
PERMRSA_H5_INSTANTIATE(float)
PERMRSA_H5_INSTANTIATE(std::int8_t)
PERMRSA_H5_INSTANTIATE(std::uint8_t)
PERMRSA_H5_INSTANTIATE(std::int16_t)
PERMRSA_H5_INSTANTIATE(std::uint16_t)
PERMRSA_H5_INSTANTIATE(std::int32_t)
PERMRSA_H5_INSTANTIATE(std::uint32_t)
PERMRSA_H5_INSTANTIATE(std::int64_t)
PERMRSA_H5_INSTANTIATE(std::uint64_t)
#undef PERMRSA_H5_INSTANTIATE

}  // namespace permrsa::h5
