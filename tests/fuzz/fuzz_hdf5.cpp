// The HDF5 array reader, the HDF5 names reader and the MATLAB v7.3 reader, on files the input
// describes: the bytes choose a dataset's type, shape, layout, filters, allocation, what part
// of it is written and with which values, its MATLAB attributes, a names dataset's strings,
// and whether the file is a v7.3 .mat file (a 512-byte MAT header). The file is written with
// HDF5's own API, then read as permrsa reads it.
//
// Why not raw bytes: mutating an HDF5 file's bytes mostly exercises HDF5 1.10.8's own parser,
// which crashes on some damaged files in ways permrsa cannot reach (unchecked allocation
// failures, e.g. H5F__accum_read copying from NULL). The byte-level findings permrsa could
// defend against are kept in regressions/hdf5 and replayed by replay_hdf5 (README.md).
#include <fuzzer/FuzzedDataProvider.h>
#include <hdf5.h>

#include <cstdio>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "permrsa/array_io.hpp"

namespace {

// The stored types the input picks from: permrsa's own, their big-endian twins, and types
// it must refuse (half floats, 24-bit integers, strings, compounds, enums, opaque data).
hid_t pick_type(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange<int>(0, 15)) {
    case 0:
      return H5Tcopy(H5T_IEEE_F64LE);
    case 1:
      return H5Tcopy(H5T_IEEE_F32LE);
    case 2:
      return H5Tcopy(H5T_IEEE_F64BE);
    case 3:
      return H5Tcopy(H5T_STD_I8LE);
    case 4:
      return H5Tcopy(H5T_STD_U8LE);
    case 5:
      return H5Tcopy(H5T_STD_I16BE);
    case 6:
      return H5Tcopy(H5T_STD_I32LE);
    case 7:
      return H5Tcopy(H5T_STD_U32LE);
    case 8:
      return H5Tcopy(H5T_STD_I64LE);
    case 9:
      return H5Tcopy(H5T_STD_U64LE);
    case 10: {  // a 16-bit float: not IEEE float32/float64
      const hid_t t = H5Tcopy(H5T_IEEE_F32LE);
      H5Tset_fields(t, 15, 10, 5, 0, 10);
      H5Tset_precision(t, 16);
      H5Tset_size(t, 2);
      H5Tset_ebias(t, 15);
      return t;
    }
    case 11: {  // 24 bits of a 32-bit integer
      const hid_t t = H5Tcopy(H5T_STD_I32LE);
      H5Tset_precision(t, 24);
      return t;
    }
    case 12: {
      const hid_t t = H5Tcopy(H5T_C_S1);
      H5Tset_size(t, in.ConsumeIntegralInRange<std::size_t>(1, 8));
      return t;
    }
    case 13: {  // MATLAB's complex numbers
      const hid_t t = H5Tcreate(H5T_COMPOUND, 16);
      H5Tinsert(t, "real", 0, H5T_IEEE_F64LE);
      H5Tinsert(t, "imag", 8, H5T_IEEE_F64LE);
      return t;
    }
    case 14: {
      const hid_t t = H5Tenum_create(H5T_NATIVE_INT);
      int value = 0;
      H5Tenum_insert(t, "zero", &value);
      return t;
    }
    default:
      return H5Tcreate(H5T_OPAQUE, 4);
  }
}

// The dataset's creation properties: layout, chunking, filters, allocation and fill times.
hid_t pick_layout(FuzzedDataProvider& in, const std::vector<hsize_t>& dims) {
  const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  const int layout = in.ConsumeIntegralInRange<int>(0, 2);
  if (layout == 1 && !dims.empty()) {
    std::vector<hsize_t> chunk;
    for (const hsize_t d : dims) chunk.push_back(in.ConsumeIntegralInRange<hsize_t>(1, d + 1));
    H5Pset_chunk(dcpl, static_cast<int>(chunk.size()), chunk.data());
    // Not nbit: HDF5 1.10.8's nbit filter writes past its buffer for some types (found here,
    // in the writing half of this harness; permrsa never writes with it).
    const int filters = in.ConsumeIntegralInRange<int>(0, 7);
    if (filters & 1) H5Pset_shuffle(dcpl);
    if (filters & 2) H5Pset_deflate(dcpl, in.ConsumeIntegralInRange<unsigned>(0, 9));
    if (filters & 4) H5Pset_fletcher32(dcpl);
  } else if (layout == 2) {
    H5Pset_layout(dcpl, H5D_COMPACT);
  }
  const H5D_alloc_time_t times[] = {H5D_ALLOC_TIME_DEFAULT, H5D_ALLOC_TIME_EARLY,
                                    H5D_ALLOC_TIME_LATE, H5D_ALLOC_TIME_INCR};
  H5Pset_alloc_time(dcpl, times[in.ConsumeIntegralInRange<int>(0, 3)]);
  if (in.ConsumeBool()) H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER);
  return dcpl;
}

void string_attribute(hid_t object, const char* name, const std::string& value) {
  const hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, value.size() + 1);
  const hid_t space = H5Screate(H5S_SCALAR);
  const hid_t attribute = H5Acreate2(object, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
  if (attribute >= 0) {
    H5Awrite(attribute, type, value.c_str());
    H5Aclose(attribute);
  }
  H5Sclose(space);
  H5Tclose(type);
}

// The dataset "x": written whole, in part (one hyperslab) or not at all, with the input's
// bytes as its values (any bit pattern: NaN, infinities, huge integers).
void write_x(FuzzedDataProvider& in, hid_t file, bool mat73) {
  std::vector<hsize_t> dims(in.ConsumeIntegralInRange<std::size_t>(0, 3));
  for (hsize_t& d : dims) d = in.ConsumeIntegralInRange<hsize_t>(0, 6);
  const hid_t type = pick_type(in);
  const hid_t dcpl = pick_layout(in, dims);
  const hid_t space = dims.empty() ? H5Screate(H5S_SCALAR)
                                   : H5Screate_simple(static_cast<int>(dims.size()), dims.data(),
                                                      nullptr);
  const hid_t set = H5Dcreate2(file, "x", type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  if (set >= 0) {
    hsize_t points = 1;
    for (const hsize_t d : dims) points *= d;
    const std::size_t bytes = points * H5Tget_size(type);
    const int how = in.ConsumeIntegralInRange<int>(0, 2);
    if (how > 0 && points > 0 && H5Tget_class(type) != H5T_STRING) {
      std::vector<unsigned char> values = in.ConsumeBytes<unsigned char>(bytes);
      values.resize(bytes);
      if (how == 2 && !dims.empty()) {  // a hyperslab: the first index along axis 0 only
        std::vector<hsize_t> start(dims.size(), 0), count = dims;
        count[0] = 1;
        const hid_t memory = H5Screate_simple(static_cast<int>(count.size()), count.data(), nullptr);
        H5Sselect_hyperslab(space, H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr);
        H5Dwrite(set, type, memory, space, H5P_DEFAULT, values.data());
        H5Sclose(memory);
      } else {
        H5Dwrite(set, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
      }
    }
    if (mat73 || in.ConsumeBool()) {
      static const char* classes[] = {"double", "single", "int8",    "uint8",  "int16",
                                      "uint16", "int32",  "uint32",  "int64",  "uint64",
                                      "logical", "char",  "cell",    "struct", ""};
      string_attribute(set, "MATLAB_class", classes[in.ConsumeIntegralInRange<int>(0, 14)]);
      if (in.ConsumeBool()) {
        const hid_t scalar = H5Screate(H5S_SCALAR);
        const hid_t a = H5Acreate2(set, "MATLAB_empty", H5T_STD_U32LE, scalar, H5P_DEFAULT,
                                   H5P_DEFAULT);
        const unsigned one = 1;
        if (a >= 0) {
          H5Awrite(a, H5T_NATIVE_UINT, &one);
          H5Aclose(a);
        }
        H5Sclose(scalar);
      }
    }
    H5Dclose(set);
  }
  H5Sclose(space);
  H5Pclose(dcpl);
  H5Tclose(type);
}

// The dataset "names": fixed or variable-length strings with the input's bytes (invalid
// UTF-8, NUL and control characters included), 1-D or 2-D.
void write_names(FuzzedDataProvider& in, hid_t file) {
  const bool variable = in.ConsumeBool();
  std::vector<std::string> names(in.ConsumeIntegralInRange<std::size_t>(0, 4));
  for (auto& name : names) name = in.ConsumeRandomLengthString(12);
  const hid_t type = H5Tcopy(H5T_C_S1);
  std::size_t width = 1;
  for (const auto& name : names) width = std::max(width, name.size() + 1);
  H5Tset_size(type, variable ? H5T_VARIABLE : width);
  if (in.ConsumeBool()) H5Tset_cset(type, H5T_CSET_UTF8);
  const bool two_d = in.ConsumeBool() && names.size() % 2 == 0 && !names.empty();
  const hsize_t dims[2] = {two_d ? names.size() / 2 : names.size(), 2};
  const hid_t space = H5Screate_simple(two_d ? 2 : 1, dims, nullptr);
  const hid_t set = H5Dcreate2(file, "names", type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (set >= 0 && !names.empty()) {
    if (variable) {
      std::vector<const char*> pointers;
      for (const auto& name : names) pointers.push_back(name.c_str());
      H5Dwrite(set, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data());
    } else {
      std::vector<char> packed(names.size() * width, '\0');
      for (std::size_t i = 0; i < names.size(); ++i)
        std::copy(names[i].begin(), names[i].end(), packed.begin() + i * width);
      H5Dwrite(set, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, packed.data());
    }
  }
  if (set >= 0) H5Dclose(set);
  H5Sclose(space);
  H5Tclose(type);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace permrsa;
  static const bool silenced = [] { return H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr) >= 0; }();
  (void)silenced;
  FuzzedDataProvider in(data, size);
  const bool mat73 = in.ConsumeBool();
  static const std::string h5_path = fuzz::scratch_file(".h5");
  static const std::string mat_path = fuzz::scratch_file(".mat");
  const std::string& path = mat73 ? mat_path : h5_path;
  {
    const hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
    if (mat73) H5Pset_userblock(fcpl, 512);
    const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
    H5Pclose(fcpl);
    if (file < 0) return 0;
    write_x(in, file, mat73);
    write_names(in, file);
    H5Fclose(file);
  }
  if (mat73) {  // the MAT header: text, subsystem offset, version 0x0200, "IM"
    std::string header = "MATLAB 7.3 MAT-file, permrsa fuzz_hdf5";
    header.resize(116, ' ');
    header += std::string(8, '\0') + std::string("\x00\x02", 2) + "IM";
    std::FILE* file = std::fopen(path.c_str(), "r+b");
    if (file == nullptr) std::abort();
    std::fwrite(header.data(), 1, header.size(), file);
    std::fclose(file);
  }
  const std::string spec = mat73 ? path + ":x" : path + ":/x";
  fuzz::expect_clean([&] {
    const auto shape = read_array_shape(spec, "brain.file");
    if (shape.size() == 2 && shape[1] > 0)
      read_real_array_block(spec, "brain.file", 1, 0, shape[1] > 1 ? 2 : 1);
  });
  fuzz::expect_clean([&] { read_real_array(spec, "brain.file"); });
  fuzz::expect_clean([&] { read_int_array(spec, "analysis.permutation_file"); });
  if (!mat73) fuzz::expect_clean([&] { read_names(path + ":/names", "models.names"); });
  return 0;
}
