// An HDF5 dataset is read only when all its values are stored in the file and decodable
// (issue 15, D1 and D16). HDF5 itself returns fill values (zeros) for storage that was never
// written and for external or virtual sources that are missing, and fails on a missing filter
// with a message about the plugin folder. The fixtures are built here with HDF5's C API: each
// test makes the one defect its name says, next to a sound dataset that must still read.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <string>
#include <vector>

#include "io/h5_handles.hpp"
#include "permrsa/array_io.hpp"
#include "permrsa/error.hpp"
#include "test_io_support.hpp"

namespace permrsa {
namespace {

using test::message_of;
using test::ScratchDir;

// A raw HDF5 file handle for building fixtures the wrapper does not make on purpose.
class RawFile {
 public:
  explicit RawFile(const std::string& path)
      : id_(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT)) {}
  ~RawFile() { H5Fclose(id_); }
  RawFile(const RawFile&) = delete;
  RawFile& operator=(const RawFile&) = delete;
  hid_t id() const { return id_; }

  // A 1-D float64 dataset of `n` values with creation properties `dcpl`; `values` written
  // into [0, values.size()) unless empty.
  void dataset(const char* name, hsize_t n, hid_t dcpl, const std::vector<double>& values) {
    const hid_t space = H5Screate_simple(1, &n, nullptr);
    const hid_t set = H5Dcreate2(id_, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    ASSERT_GE(set, 0) << name;
    if (!values.empty()) {
      const hsize_t start = 0, count = values.size();
      const hid_t memory = H5Screate_simple(1, &count, nullptr);
      H5Sselect_hyperslab(space, H5S_SELECT_SET, &start, nullptr, &count, nullptr);
      ASSERT_GE(H5Dwrite(set, H5T_NATIVE_DOUBLE, memory, space, H5P_DEFAULT, values.data()), 0);
      H5Sclose(memory);
    }
    H5Dclose(set);
    H5Sclose(space);
  }

 private:
  hid_t id_;
};

hid_t chunked(hsize_t chunk) {
  const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_chunk(dcpl, 1, &chunk);
  return dcpl;
}

std::string read_message_names(const std::string& path) {
  return message_of<InputError>([&] { read_names(path + ":/names", "models.names"); });
}

std::string read_message(const std::string& spec) {
  return message_of<InputError>([&] { read_real_array(spec, "brain.file"); });
}

TEST(Hdf5StoredData, RefusesADatasetWhoseDataWasNeverWritten) {
  ScratchDir dir;
  const std::string path = dir.file("unwritten.h5");
  {
    RawFile file(path);
    file.dataset("/sound", 4, H5P_DEFAULT, {1, 2, 3, 4});
    file.dataset("/never", 4, H5P_DEFAULT, {});
  }
  EXPECT_EQ(read_real_array(path + ":/sound", "x").values, (std::vector<double>{1, 2, 3, 4}));
  const std::string message = read_message(path + ":/never");
  EXPECT_NE(message.find(path + ":/never (brain.file): cannot read: the dataset's data was never "
                                "written"),
            std::string::npos)
      << message;
  // The shape alone (what `permrsa run` probes first) is refused the same way.
  EXPECT_NE(message_of<InputError>([&] {
              read_array_shape(path + ":/never", "brain.file");
            }).find("never written"),
            std::string::npos);
}

TEST(Hdf5StoredData, RefusesAChunkedDatasetWithChunksNeverWritten) {
  ScratchDir dir;
  const std::string path = dir.file("partial.h5");
  {
    RawFile file(path);
    const hid_t dcpl = chunked(2);
    file.dataset("/whole", 6, dcpl, {1, 2, 3, 4, 5, 6});
    file.dataset("/part", 6, dcpl, {1, 2});  // the chunks of [2, 6) stay unwritten
    H5Pclose(dcpl);
  }
  EXPECT_EQ(read_real_array(path + ":/whole", "x").values.size(), 6u);
  const std::string message = read_message(path + ":/part");
  EXPECT_NE(message.find("only 1 of the dataset's 3 chunks are stored in the file"),
            std::string::npos)
      << message;
}

// Compressed chunks take fewer bytes than their values (HDF5's own space status then says
// "partly allocated"): a complete compressed dataset must still read, values intact.
TEST(Hdf5StoredData, ReadsACompleteCompressedDataset) {
  ScratchDir dir;
  const std::string path = dir.file("gzip.h5");
  std::vector<double> values(1000, 0.25);  // compresses to a few bytes per chunk
  values[123] = 7;
  {
    RawFile file(path);
    const hid_t dcpl = chunked(100);
    ASSERT_GE(H5Pset_deflate(dcpl, 6), 0);
    file.dataset("/x", 1000, dcpl, values);
    H5Pclose(dcpl);
  }
  EXPECT_EQ(read_real_array(path + ":/x", "x").values, values);
}

// LZF (h5py's filter 32000) is not built into HDF5; an optional filter lets the fixture be
// made without it (its chunks are then stored unfiltered, but the file still names it).
TEST(Hdf5StoredData, NamesAFilterThatThisHdf5DoesNotHave) {
  ScratchDir dir;
  const std::string path = dir.file("lzf.h5");
  ASSERT_LE(H5Zfilter_avail(32000), 0) << "an LZF plugin is installed: the fixture needs none";
  H5Eclear2(H5E_DEFAULT);
  {
    RawFile file(path);
    const hid_t dcpl = chunked(4);
    const unsigned values[3] = {4, 261, 32};
    ASSERT_GE(H5Pset_filter(dcpl, 32000, H5Z_FLAG_OPTIONAL, 3, values), 0);
    file.dataset("/lzf", 4, dcpl, {1, 2, 3, 4});
    H5Pclose(dcpl);
  }
  const std::string message = read_message(path + ":/lzf");
  EXPECT_NE(message.find("the data is stored with HDF5 filter 32000"), std::string::npos)
      << message;
  EXPECT_NE(message.find("which this HDF5 library does not have"), std::string::npos) << message;
  EXPECT_EQ(message.find("plugins"), std::string::npos) << message;
}

TEST(Hdf5StoredData, RefusesExternalRawData) {
  ScratchDir dir;
  const std::string path = dir.file("external.h5");
  {
    RawFile file(path);
    const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    ASSERT_GE(H5Pset_external(dcpl, dir.file("raw.bin").c_str(), 0, 4 * sizeof(double)), 0);
    file.dataset("/ext", 4, dcpl, {1, 2, 3, 4});
    H5Pclose(dcpl);
  }
  EXPECT_NE(read_message(path + ":/ext").find("keeps its data in external raw files"),
            std::string::npos);
}

TEST(Hdf5StoredData, RefusesAVirtualDataset) {
  ScratchDir dir;
  const std::string path = dir.file("virtual.h5");
  {
    RawFile file(path);
    const hsize_t n = 4;
    const hid_t source_space = H5Screate_simple(1, &n, nullptr);
    const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    ASSERT_GE(
        H5Pset_virtual(dcpl, source_space, dir.file("missing.h5").c_str(), "/data", source_space),
        0);
    file.dataset("/virtual", n, dcpl, {});
    H5Pclose(dcpl);
    H5Sclose(source_space);
  }
  EXPECT_NE(read_message(path + ":/virtual").find("the dataset is virtual"), std::string::npos);
}

// Found by tests/fuzz (a float type of 1024 bytes with 32 bits of precision made HDF5 copy
// past a decoded chunk): only IEEE float32/float64 and whole 8- to 64-bit integers are read.
TEST(Hdf5StoredData, RefusesNonStandardNumberTypes) {
  ScratchDir dir;
  const std::string path = dir.file("odd.h5");
  {
    RawFile file(path);
    const hsize_t n = 2;
    const hid_t space = H5Screate_simple(1, &n, nullptr);
    const hid_t half = H5Tcopy(H5T_IEEE_F32LE);  // IEEE half precision: 1 + 5 + 10 bits
    H5Tset_fields(half, 15, 10, 5, 0, 10);
    H5Tset_precision(half, 16);
    H5Tset_size(half, 2);
    H5Tset_ebias(half, 15);
    const hid_t int24 = H5Tcopy(H5T_STD_I32LE);
    H5Tset_precision(int24, 24);
    for (const auto& [name, type] : {std::pair{"/half", half}, std::pair{"/int24", int24}}) {
      const hid_t set =
          H5Dcreate2(file.id(), name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
      ASSERT_GE(set, 0) << name;
      const std::vector<double> values = {1, 2};
      ASSERT_GE(H5Dwrite(set, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), 0);
      H5Dclose(set);
    }
    H5Tclose(half);
    H5Tclose(int24);
    H5Sclose(space);
  }
  const std::string half = read_message(path + ":/half");
  EXPECT_NE(half.find("a non-standard 2-byte float type with 16 bits of precision"),
            std::string::npos)
      << half;
  const std::string int24 = message_of<InputError>(
      [&] { read_int_array(path + ":/int24", "analysis.permutation_file"); });
  EXPECT_NE(int24.find("a non-standard 4-byte integer type with 24 bits of precision"),
            std::string::npos)
      << int24;
}

// A dataspace whose extents multiply past 2^64 never sizes a buffer: h5::Error, not a
// wrapped-around count.
TEST(Hdf5StoredData, RefusesAShapeWhoseElementCountOverflows) {
  ScratchDir dir;
  const std::string path = dir.file("huge.h5");
  {
    RawFile file(path);
    const hsize_t dims[2] = {hsize_t{1} << 40, hsize_t{1} << 40};
    const hsize_t chunk[2] = {1, 1};
    const hid_t space = H5Screate_simple(2, dims, nullptr);
    const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 2, chunk);
    const hid_t set =
        H5Dcreate2(file.id(), "/huge", H5T_IEEE_F64LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    ASSERT_GE(set, 0);
    H5Dclose(set);
    H5Pclose(dcpl);
    H5Sclose(space);
  }
  const h5::File file = h5::File::open_read(path);
  const std::string message = message_of<h5::Error>([&] { file.read<double>("/huge"); });
  EXPECT_NE(message.find("overflows"), std::string::npos) << message;
}

// Found by tests/fuzz/fuzz_hdf5: one heap object whose size grew from 1 to 26 bytes makes
// HDF5 1.10.8's walk over the collection land inside the free space, on zeros (an object of
// size 0), and never move on; reading the strings hung forever. The file is written by the
// wrapper (layer names, as `permrsa features` writes them), then that one field is changed.
// Layout (HDF5 format spec, "Global Heap"): a 16-byte collection header, then per object
// index (2 bytes), references (2), reserved (4), size (8), the data padded to 8 bytes.
TEST(Hdf5StoredData, RefusesStringsWhoseGlobalHeapWouldHangHdf5) {
  ScratchDir dir;
  const std::string path = dir.file("names.h5");
  {
    h5::File file = h5::File::create(path);
    file.write_strings("/names", {"b", "a"});
    file.close();
  }
  EXPECT_EQ(read_names(path + ":/names", "models.names"), (std::vector<std::string>{"b", "a"}));
  std::string bytes = test::read_bytes(path);
  const std::size_t collection = bytes.find("GCOL\x01");
  ASSERT_NE(collection, std::string::npos);
  // Objects "b" at +16 and "a" at +40 (16 + 24), the free space at +64. "a" declaring 26
  // bytes moves the walk to +40 + 16 + 32 = +88: inside the free space, all zeros.
  const std::size_t size_field = collection + 40 + 8;
  ASSERT_EQ(bytes[size_field], 1);
  bytes[size_field] = 26;
  test::write_bytes(path, bytes);
  const std::string message = read_message_names(path);
  EXPECT_NE(message.find("damaged file: global heap collection at byte " +
                         std::to_string(collection) + ": object 0 at offset 88 declares 0 bytes"),
            std::string::npos)
      << message;
}

}  // namespace
}  // namespace permrsa
