// A small owning wrapper over HDF5's C API (namespace permrsa::h5).
//
// - Every hid_t has an owner: `Id<Kind>` closes it with the matching H5*close, is movable and
//   not copyable, and its destructor never throws.
// - HDF5's own error printing is switched off once; a failing call is turned into one
//   `h5::Error` (a RuntimeFailure) whose message names the file, the object path and HDF5's
//   innermost message. No "HDF5-DIAG" text is ever printed.
// - `File` is what the rest of permrsa uses: whole-dataset writes and reads, string datasets
//   and scalar attributes. Intermediate groups are created on write.
// - Parallel files (`File::create_parallel`, MPI-IO driver; builds with PERMRSA_WITH_MPI only):
//   every call that creates or changes an object (create_dataset, set_attribute, close) is
//   collective, made by all ranks with identical arguments; data goes in by hyperslabs
//   (`write_hyperslab`), with collective transfers whose collectiveness is checked.
//
// The header includes <hdf5.h> (for hid_t and hsize_t): a target that uses it needs
// ${HDF5_C_INCLUDE_DIRS}, as permrsa_lib and the unit tests have.
//
// Errors: reading and writing throw h5::Error (RuntimeFailure, exit code 1); callers that read
// a user's input file catch it and rethrow an InputError with the config field
// (see hdf5_reader.cpp). Misuse (values.size() != product(shape)) is an InternalError.
#pragma once

#include <hdf5.h>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "permrsa/error.hpp"

namespace permrsa::h5 {

using hid = ::hid_t;
using ::hsize_t;

// A failed HDF5 call, with its context kept for callers that reword the message.
class Error : public RuntimeFailure {
 public:
  Error(std::string file, std::string object, std::string action, std::string detail);
  const std::string& file() const { return file_; }
  const std::string& object() const { return object_; }
  const std::string& action() const { return action_; }  // "open dataset", "write", ...
  const std::string& detail() const { return detail_; }  // HDF5's innermost message

 private:
  std::string file_, object_, action_, detail_;
};

enum class Kind { file, group, dataset, dataspace, datatype, attribute, property_list, object };

// Closes `id` with the H5*close function of `kind`; ignores (never throws on) failure.
void close_id(Kind kind, hid id) noexcept;

// Switches off HDF5's automatic error printing for this process. Idempotent.
void silence_errors() noexcept;

// True once an H5Fclose failed in this process: HDF5 1.10 then holds a dangling file id, and
// closing the library would crash (see permrsa/hdf5_library.hpp).
bool a_file_failed_to_close() noexcept;

// Owns one HDF5 identifier of a given kind. A negative id means "empty".
template <Kind K>
class Id {
 public:
  Id() = default;
  explicit Id(hid id) : id_(id) {}
  Id(const Id&) = delete;
  Id& operator=(const Id&) = delete;
  Id(Id&& other) noexcept : id_(std::exchange(other.id_, -1)) {}
  Id& operator=(Id&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = std::exchange(other.id_, -1);
    }
    return *this;
  }
  ~Id() { reset(); }

  hid get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  hid release() { return std::exchange(id_, -1); }
  void reset() noexcept {
    if (id_ >= 0) close_id(K, std::exchange(id_, -1));
  }

 private:
  hid id_ = -1;
};

using FileId = Id<Kind::file>;
using GroupId = Id<Kind::group>;
using DatasetId = Id<Kind::dataset>;
using DataspaceId = Id<Kind::dataspace>;
using DatatypeId = Id<Kind::datatype>;
using AttributeId = Id<Kind::attribute>;
using PropList = Id<Kind::property_list>;
using ObjectId = Id<Kind::object>;  // opened with H5Oopen: a group, dataset or named type

// What a dataset holds, without reading it (for readers' type checks and `permrsa info`).
struct DatasetInfo {
  enum class Class { integer, floating, string, other };
  Class type_class = Class::other;
  std::size_t type_size = 0;  // bytes per element (for variable-length strings: pointer size)
  bool is_signed = false;     // integers only
  std::vector<hsize_t> shape;
  std::string type_name() const;  // "float64", "int32", "uint8", "string", "compound"...
  std::string other_name;         // HDF5 class name when type_class == other
};

// An open HDF5 file. Paths inside the file are absolute ("/group/dataset") or relative to
// the root; "/" is the root group (for attributes).
class File {
 public:
  // Creates (truncating) a file. `fapl` is a file-access property list, e.g. one set up with
  // H5Pset_fapl_mpio by the MPI layer; the default-constructed PropList means H5P_DEFAULT.
  static File create(const std::string& path, const PropList& fapl = PropList());
  static File open_read(const std::string& path, const PropList& fapl = PropList());
  static File open_rw(const std::string& path, const PropList& fapl = PropList());
  // The same with a parallel file-access list (io/h5_parallel.hpp makes it): one file shared
  // by every rank of its communicator. Collective over that communicator.
  static File create_parallel(const std::string& path, const PropList& mpio_fapl);

  const std::string& path() const { return path_; }
  hid id() const { return id_.get(); }
  bool is_parallel() const { return parallel_; }

  // Flushes and closes, throwing h5::Error on failure (the destructor cannot report it).
  void close();

  // ---- datasets ----
  // Writes a whole dataset of `shape` (C order); {} is a scalar. T is one of double, float,
  // int8_t, uint8_t, int16_t, uint16_t, int32_t, uint32_t, int64_t, uint64_t. Stored
  // little-endian. Fails if the dataset exists.
  template <class T>
  void write(const std::string& dataset_path, std::span<const T> values,
             const std::vector<hsize_t>& shape);
  template <class T>
  void write(const std::string& dataset_path, const std::vector<T>& values,
             const std::vector<hsize_t>& shape) {
    write(dataset_path, std::span<const T>(values), shape);
  }
  // A 1-D dataset of variable-length UTF-8 strings. Not for parallel files: parallel HDF5 1.10
  // cannot write variable-length data at all ("Parallel IO does not support writing VL
  // datatypes yet"), independent transfers included; use the fixed-length strings below.
  void write_strings(const std::string& dataset_path, const std::vector<std::string>& values);

  // ---- hyperslabs (serial and parallel files alike) ----
  // Creates a dataset of `shape` (C order, T as for write) without writing data; unwritten
  // elements read as 0. Intermediate groups are created. Fails if the dataset exists.
  template <class T>
  void create_dataset(const std::string& dataset_path, const std::vector<hsize_t>& shape);
  // A soft link at link_path (intermediate groups created) that resolves to target_path, e.g.
  // /generalisation/observed -> /observed. Metadata: in a parallel file every rank calls it.
  void create_soft_link(const std::string& target_path, const std::string& link_path);
  // Writes `values` (C order) into the box [offset, offset + count) of an existing dataset.
  // An empty `count` (or one with a zero extent) selects nothing: in a parallel file the rank
  // still takes part in the transfer. `collective` asks for an H5FD_MPIO_COLLECTIVE transfer
  // (then every rank of the file must call it); the result says whether HDF5 really did one
  // (H5Pget_mpio_no_collective_cause, global cause). Independent transfers return false;
  // serial files are written plainly and return true.
  template <class T>
  bool write_hyperslab(const std::string& dataset_path, std::span<const T> values,
                       const std::vector<hsize_t>& offset, const std::vector<hsize_t>& count,
                       bool collective);
  template <class T>
  bool write_hyperslab(const std::string& dataset_path, const std::vector<T>& values,
                       const std::vector<hsize_t>& offset, const std::vector<hsize_t>& count,
                       bool collective) {
    return write_hyperslab(dataset_path, std::span<const T>(values), offset, count, collective);
  }
  // Reads the box [offset, offset + count) of a numeric dataset, in C order, converted to T.
  // h5::Error when the box lies outside the dataset.
  template <class T>
  std::vector<T> read_hyperslab(const std::string& dataset_path, const std::vector<hsize_t>& offset,
                                const std::vector<hsize_t>& count) const;

  // A 1-D dataset of `count` fixed-length UTF-8 strings of `width` bytes each (>= 1),
  // NUL-padded like NumPy's 'S' dtype. Fixed length because parallel HDF5 1.10 can write
  // only fixed-length strings; serial and parallel results files use it alike.
  void create_strings_dataset(const std::string& dataset_path, hsize_t count, std::size_t width);
  // Writes `values` into elements [offset, offset + values.size()) of such a dataset; empty
  // `values` = this rank writes nothing. Collectiveness as in write_hyperslab. A value longer
  // than the width is an InternalError.
  bool write_strings_hyperslab(const std::string& dataset_path,
                               const std::vector<std::string>& values, hsize_t offset,
                               bool collective);
  // The width create_strings_dataset needs for `values`: the longest, in bytes, at least 1.
  static std::size_t fixed_string_width(const std::vector<std::string>& values);

  // Reads a whole numeric dataset in C order, converted to T by HDF5 (same T as write).
  template <class T>
  std::vector<T> read(const std::string& dataset_path, std::vector<hsize_t>* shape = nullptr) const;
  // Reads a string dataset (fixed or variable length) of any rank, flattened in C order.
  std::vector<std::string> read_strings(const std::string& dataset_path) const;
  DatasetInfo dataset_info(const std::string& dataset_path) const;
  // h5::Error unless every value of the dataset is stored in this file and decodable: its
  // storage was written (not left to fill values), it is neither virtual nor external, and
  // every filter it uses is available. read, read_hyperslab and read_strings check this too.
  void require_stored_data(const std::string& dataset_path) const;
  // True when `path` exists and is a dataset (not a group or named type).
  bool is_dataset(const std::string& path) const;
  // The names of the links in a group, in name order.
  std::vector<std::string> member_names(const std::string& group_path) const;

  // True when every link on the path exists and the last one resolves to an object.
  bool exists(const std::string& path) const;

  // Reads every attribute and every dataset whole (and drops the values), throwing h5::Error
  // at the first that cannot be read. After a parallel write this shows that the file is
  // complete: Open MPI 4.1's MPI-IO (OMPIO) can lose a collective write on a full disk without
  // returning an error to HDF5.
  void read_everything(bool variable_length_only = false) const;

  // ---- scalar attributes on a group or dataset (replaced if present) ----
  void set_attribute(const std::string& object_path, const std::string& name,
                     const std::string& value);  // variable-length UTF-8
  void set_attribute(const std::string& object_path, const std::string& name, const char* value);
  void set_attribute(const std::string& object_path, const std::string& name, double value);
  void set_attribute(const std::string& object_path, const std::string& name, std::int64_t value);
  void set_attribute(const std::string& object_path, const std::string& name, std::uint64_t value);
  template <std::integral T>
  requires(!std::same_as<T, bool>) void set_attribute(const std::string& object_path,
                                                      const std::string& name, T value) {
    if constexpr (std::is_signed_v<T>) {
      set_attribute(object_path, name, static_cast<std::int64_t>(value));
    } else {
      set_attribute(object_path, name, static_cast<std::uint64_t>(value));
    }
  }

  std::string attribute_string(const std::string& object_path, const std::string& name) const;
  double attribute_double(const std::string& object_path, const std::string& name) const;
  std::int64_t attribute_int64(const std::string& object_path, const std::string& name) const;
  std::uint64_t attribute_uint64(const std::string& object_path, const std::string& name) const;
  bool has_attribute(const std::string& object_path, const std::string& name) const;
  std::vector<std::string> attribute_names(const std::string& object_path) const;  // sorted

 private:
  File(std::string path, FileId id) : path_(std::move(path)), id_(std::move(id)) {}
  // The transfer list of a hyperslab write, and whether it was collective after it.
  PropList transfer_list(const std::string& dataset_path, bool collective) const;
  bool was_collective(const PropList& dxpl, const std::string& dataset_path, bool collective) const;
  template <class T>
  void write_attribute_scalar(const std::string& object_path, const std::string& name,
                              const T& value);
  template <class T>
  T read_attribute_scalar(const std::string& object_path, const std::string& name) const;
  // Before the first read of variable-length strings (a dataset or an attribute of `object`
  // whose stored type is `type`): h5::Error if a global heap collection of the file is damaged
  // in a way that makes HDF5 1.10.8 loop forever (h5_global_heap.hpp). Once per File.
  void check_global_heaps(hid type, const std::string& object) const;

  std::string path_;
  FileId id_;
  bool parallel_ = false;
  mutable bool heaps_checked_ = false;
};

}  // namespace permrsa::h5
