// The HDF5 wrapper (h5::File) and reading arrays from "file.h5:/dataset". Expected values are
// the ones written in the same test; fixed-length strings are written with the raw C API, the
// way h5py and MATLAB write them.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <cstdint>
#include <limits>

#include "io/h5_handles.hpp"
#include "permrsa/array_io.hpp"
#include "permrsa/error.hpp"
#include "test_io_support.hpp"

namespace permrsa {
namespace {

using test::message_of;
using test::ScratchDir;

// Open HDF5 objects of any file in this process: a leak check for the wrapper's handles.
ssize_t open_hdf5_objects() {
  return H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL);
}

template <class T>
class Hdf5RoundTrip : public testing::Test {};
using ElementTypes = testing::Types<double, float, std::int8_t, std::uint8_t, std::int32_t,
                                    std::int64_t, std::uint64_t>;
TYPED_TEST_SUITE(Hdf5RoundTrip, ElementTypes);

TYPED_TEST(Hdf5RoundTrip, WritesAndReadsBackEveryElementType) {
  // Arrange: each type's extremes, from std::numeric_limits.
  ScratchDir dir;
  const std::vector<TypeParam> values = {
      std::numeric_limits<TypeParam>::lowest(), TypeParam(0), TypeParam(1),
      std::numeric_limits<TypeParam>::max(),    TypeParam(7), TypeParam(3)};
  // Act
  {
    h5::File file = h5::File::create(dir.file("types.h5"));
    file.write<TypeParam>("/a/b/values", values, {2, 3});
  }
  std::vector<h5::hsize_t> shape;
  const std::vector<TypeParam> back =
      h5::File::open_read(dir.file("types.h5")).read<TypeParam>("/a/b/values", &shape);
  // Assert
  EXPECT_EQ(back, values);
  EXPECT_EQ(shape, (std::vector<h5::hsize_t>{2, 3}));
  EXPECT_EQ(open_hdf5_objects(), 0);
}

TEST(Hdf5File, CreatesIntermediateGroupsAndConvertsTypesOnRead) {
  ScratchDir dir;
  h5::File file = h5::File::create(dir.file("g.h5"));
  file.write<std::int32_t>("/deep/er/ints", std::vector<std::int32_t>{-3, 4}, {2});
  EXPECT_TRUE(file.exists("/deep"));
  EXPECT_TRUE(file.exists("/deep/er"));
  EXPECT_EQ(file.read<double>("/deep/er/ints"), (std::vector<double>{-3.0, 4.0}));
}

TEST(Hdf5File, WritesScalarsAndEmptyDatasets) {
  ScratchDir dir;
  h5::File file = h5::File::create(dir.file("s.h5"));
  file.write<double>("/scalar", std::vector<double>{2.5}, {});
  file.write<double>("/empty", std::vector<double>{}, {0});
  std::vector<h5::hsize_t> scalar_shape{9}, empty_shape;
  EXPECT_EQ(file.read<double>("/scalar", &scalar_shape), (std::vector<double>{2.5}));
  EXPECT_TRUE(scalar_shape.empty());
  EXPECT_TRUE(file.read<double>("/empty", &empty_shape).empty());
  EXPECT_EQ(empty_shape, (std::vector<h5::hsize_t>{0}));
}

TEST(Hdf5File, WritesAndReadsVariableLengthUtf8Strings) {
  ScratchDir dir;
  const std::vector<std::string> names = {"block1_conv1", "fc2", "", "Ünïcode λ"};
  {
    h5::File file = h5::File::create(dir.file("names.h5"));
    file.write_strings("/axes/layer", names);
  }
  EXPECT_EQ(h5::File::open_read(dir.file("names.h5")).read_strings("/axes/layer"), names);
  EXPECT_EQ(open_hdf5_objects(), 0);
}

// A fixed-length string dataset written with the C API, as h5py does for numpy 'S' arrays.
void write_fixed_strings(const std::string& path, const std::string& dataset,
                         const std::string& packed, std::size_t width, H5T_str_t pad) {
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  const hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, width);
  H5Tset_strpad(type, pad);
  const hsize_t count = packed.size() / width;
  const hid_t space = H5Screate_simple(1, &count, nullptr);
  const hid_t set =
      H5Dcreate2(file, dataset.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(set, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, packed.data());
  H5Dclose(set);
  H5Sclose(space);
  H5Tclose(type);
  H5Fclose(file);
}

TEST(Hdf5File, ReadsFixedLengthStringsWithAnyPadding) {
  ScratchDir dir;
  const std::string path = dir.file("fixed.h5");
  h5::File::create(path).close();
  write_fixed_strings(path, "/nullpad", std::string("conv1\0\0\0fc8\0\0\0\0\0", 16), 8,
                      H5T_STR_NULLPAD);
  write_fixed_strings(path, "/spacepad", "conv1   fc8     ", 8, H5T_STR_SPACEPAD);
  write_fixed_strings(path, "/full", "abcdwxyz", 4, H5T_STR_NULLPAD);
  const h5::File file = h5::File::open_read(path);
  EXPECT_EQ(file.read_strings("/nullpad"), (std::vector<std::string>{"conv1", "fc8"}));
  EXPECT_EQ(file.read_strings("/spacepad"), (std::vector<std::string>{"conv1", "fc8"}));
  EXPECT_EQ(file.read_strings("/full"), (std::vector<std::string>{"abcd", "wxyz"}));
}

TEST(Hdf5File, SetsReplacesAndListsAttributes) {
  ScratchDir dir;
  h5::File file = h5::File::create(dir.file("attr.h5"));
  file.write<double>("/observed", std::vector<double>{1, 2}, {2});
  file.set_attribute("/", "metric", "spearman");
  file.set_attribute("/", "config", std::string("a = 1\nb = 'ü'\n"));
  file.set_attribute("/", "alpha", 0.05);
  file.set_attribute("/", "permutations", std::int64_t{-10000});
  file.set_attribute("/", "seed", std::uint64_t{18446744073709551615ULL});
  file.set_attribute("/", "stimuli", 49);  // int goes through the integral overload
  file.set_attribute("/observed", "units", "r");
  file.set_attribute("/", "metric", "pearson");  // replaces
  EXPECT_EQ(file.attribute_string("/", "metric"), "pearson");
  EXPECT_EQ(file.attribute_string("/", "config"), "a = 1\nb = 'ü'\n");
  EXPECT_EQ(file.attribute_double("/", "alpha"), 0.05);
  EXPECT_EQ(file.attribute_int64("/", "permutations"), -10000);
  EXPECT_EQ(file.attribute_uint64("/", "seed"), 18446744073709551615ULL);
  EXPECT_EQ(file.attribute_int64("/", "stimuli"), 49);
  EXPECT_EQ(file.attribute_double("/", "stimuli"), 49.0);
  EXPECT_EQ(file.attribute_string("/observed", "units"), "r");
  EXPECT_TRUE(file.has_attribute("/", "seed"));
  EXPECT_FALSE(file.has_attribute("/", "nope"));
  EXPECT_EQ(
      file.attribute_names("/"),
      (std::vector<std::string>{"alpha", "config", "metric", "permutations", "seed", "stimuli"}));
}

TEST(Hdf5File, AnswersExistsForNestedMissingAndRootPaths) {
  ScratchDir dir;
  h5::File file = h5::File::create(dir.file("e.h5"));
  file.write<double>("/a/b", std::vector<double>{1}, {1});
  EXPECT_TRUE(file.exists("/"));
  EXPECT_TRUE(file.exists("/a"));
  EXPECT_TRUE(file.exists("/a/b"));
  EXPECT_TRUE(file.exists("a/b"));
  EXPECT_FALSE(file.exists("/a/c"));
  EXPECT_FALSE(file.exists("/x/y/z"));
  EXPECT_FALSE(file.exists("/a/b/c"));  // a dataset has no children
}

TEST(Hdf5File, DescribesDatasetTypesAndShapes) {
  ScratchDir dir;
  h5::File file = h5::File::create(dir.file("d.h5"));
  file.write<float>("/f", std::vector<float>(6, 0.f), {3, 2});
  file.write<std::uint8_t>("/u", std::vector<std::uint8_t>{1}, {1});
  file.write_strings("/s", {"a"});
  EXPECT_EQ(file.dataset_info("/f").type_name(), "float32");
  EXPECT_EQ(file.dataset_info("/f").shape, (std::vector<h5::hsize_t>{3, 2}));
  EXPECT_EQ(file.dataset_info("/u").type_name(), "uint8");
  EXPECT_EQ(file.dataset_info("/s").type_name(), "string");
}

TEST(Hdf5File, MovesOwnershipOfItsHandle) {
  ScratchDir dir;
  h5::File first = h5::File::create(dir.file("m.h5"));
  h5::File second = std::move(first);
  second.write<double>("/x", std::vector<double>{1}, {1});
  EXPECT_EQ(second.path(), dir.file("m.h5"));
  h5::PropList list(H5Pcreate(H5P_FILE_ACCESS));
  const h5::hid raw = list.get();
  h5::PropList moved = std::move(list);
  EXPECT_FALSE(list.valid());  // NOLINT(bugprone-use-after-move): checking the moved-from state
  EXPECT_EQ(moved.get(), raw);
}

TEST(Hdf5File, CreatesWithAFileAccessPropertyList) {
  // The hook the MPI layer uses to pass an H5Pset_fapl_mpio list.
  ScratchDir dir;
  h5::PropList fapl(H5Pcreate(H5P_FILE_ACCESS));
  ASSERT_GE(H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_EARLIEST, H5F_LIBVER_LATEST), 0);
  {
    h5::File file = h5::File::create(dir.file("fapl.h5"), fapl);
    file.write<double>("/x", std::vector<double>{4}, {1});
  }
  EXPECT_EQ(h5::File::open_read(dir.file("fapl.h5"), fapl).read<double>("/x"),
            (std::vector<double>{4}));
}

TEST(Hdf5File, ClosesEverythingItOpened) {
  ScratchDir dir;
  {
    h5::File file = h5::File::create(dir.file("c.h5"));
    file.write_strings("/s", {"a", "b"});
    file.set_attribute("/s", "n", 2);
    (void)file.read_strings("/s");
    (void)file.attribute_int64("/s", "n");
    (void)file.attribute_names("/s");
  }
  EXPECT_EQ(open_hdf5_objects(), 0);
  // A handle left open would make truncating the same file fail.
  EXPECT_NO_THROW(h5::File::create(dir.file("c.h5")));
}

// ---- errors: one exception naming file, object and HDF5's reason; nothing printed ----

TEST(Hdf5File, ReportsAMissingFileWithItsPathAndPrintsNothing) {
  ScratchDir dir;
  const std::string path = dir.file("absent.h5");
  testing::internal::CaptureStderr();
  const std::string message = message_of<h5::Error>([&] { h5::File::open_read(path); });
  const std::string printed = testing::internal::GetCapturedStderr();
  EXPECT_EQ(message.rfind(path + ": cannot open file for reading: ", 0), 0u) << message;
  EXPECT_EQ(printed.find("HDF5-DIAG"), std::string::npos) << printed;
  EXPECT_TRUE(printed.empty()) << printed;
}

TEST(Hdf5File, ReportsAMissingDatasetWithFileAndPath) {
  ScratchDir dir;
  const std::string path = dir.file("r.h5");
  const h5::File file = h5::File::create(path);
  testing::internal::CaptureStderr();
  const std::string message = message_of<h5::Error>([&] { file.read<double>("/maps/p"); });
  const std::string printed = testing::internal::GetCapturedStderr();
  EXPECT_EQ(message.rfind(path + ":/maps/p: cannot open dataset: ", 0), 0u) << message;
  EXPECT_NE(message.find("component not found"), std::string::npos) << message;  // HDF5's innermost
  EXPECT_TRUE(printed.empty()) << printed;
}

TEST(Hdf5File, RefusesToOverwriteADatasetAsARuntimeFailure) {
  ScratchDir dir;
  const std::string path = dir.file("w.h5");
  h5::File file = h5::File::create(path);
  file.write<double>("/x", std::vector<double>{1}, {1});
  const std::string message =
      message_of<RuntimeFailure>([&] { file.write<double>("/x", std::vector<double>{2}, {1}); });
  EXPECT_EQ(message.rfind(path + ":/x: cannot create dataset: ", 0), 0u) << message;
}

TEST(Hdf5File, ReportsAWriteIntoAReadOnlyFile) {
  ScratchDir dir;
  const std::string path = dir.file("ro.h5");
  h5::File::create(path).close();
  h5::File file = h5::File::open_read(path);
  const std::string message =
      message_of<RuntimeFailure>([&] { file.set_attribute("/", "a", 1.0); });
  EXPECT_NE(message.find(path + ":/: cannot "), std::string::npos) << message;
  EXPECT_NE(message.find("attribute 'a'"), std::string::npos) << message;
}

TEST(Hdf5File, TreatsAShapeThatDoesNotMatchTheValuesAsABug) {
  ScratchDir dir;
  h5::File file = h5::File::create(dir.file("bug.h5"));
  const std::string message = message_of<InternalError>([&] {
    file.write<double>("/x", std::vector<double>{1, 2, 3}, {2, 2});
  });
  EXPECT_NE(message.find("3 values for a shape of 4 elements"), std::string::npos) << message;
}

TEST(Hdf5File, ReportsReadingTheWrongKindOfData) {
  ScratchDir dir;
  const std::string path = dir.file("kinds.h5");
  h5::File file = h5::File::create(path);
  file.write_strings("/names", {"a"});
  file.write<double>("/values", std::vector<double>{1}, {1});
  EXPECT_NE(message_of<h5::Error>([&] {
              file.read<double>("/names");
            }).find(path + ":/names: cannot read numbers: the dataset holds string"),
            std::string::npos);
  EXPECT_NE(message_of<h5::Error>([&] {
              file.read_strings("/values");
            }).find(path + ":/values: cannot read strings: the dataset holds float64"),
            std::string::npos);
  EXPECT_NE(message_of<h5::Error>([&] {
              file.attribute_double("/", "missing");
            }).find(path + ":/: cannot read attribute 'missing': "),
            std::string::npos);
  file.set_attribute("/", "text", "x");
  EXPECT_NE(message_of<h5::Error>([&] {
              file.attribute_int64("/", "text");
            }).find("expected a number, found string"),
            std::string::npos);
  EXPECT_NE(message_of<h5::Error>([&] {
              file.attribute_string("/", "missing");
            }).find("cannot read attribute 'missing'"),
            std::string::npos);
}

TEST(Hdf5File, ReportsAnErrorWhenClosing) {
  // close() on an already-closed file is a no-op; closing reports failures (here: none).
  ScratchDir dir;
  h5::File file = h5::File::create(dir.file("close.h5"));
  EXPECT_NO_THROW(file.close());
  EXPECT_NO_THROW(file.close());
}

// ---- read_real_array / read_int_array on "file.h5:/dataset" ----

class Hdf5ArraySource : public testing::Test {
 protected:
  void SetUp() override {
    h5::File file = h5::File::create(path);
    file.write<double>("/brain/rdms", std::vector<double>{1, 2, 3, 4, 5, 6}, {3, 2});
    file.write<float>("/f32", std::vector<float>{0.5f}, {1});
    file.write<std::int32_t>("/perm", std::vector<std::int32_t>{2, 0, 1}, {1, 3});
    file.write<std::uint64_t>("/big", std::vector<std::uint64_t>{1, ~0ULL}, {2});
    file.write_strings("/layers", {"a", "b"});
  }
  ScratchDir dir;
  std::string path = dir.file("inputs.h5");
};

TEST_F(Hdf5ArraySource, ReadsFloatDatasetsAsRealArraysInCOrder) {
  const RealArray array = read_real_array(path + ":/brain/rdms", "brain.file");
  EXPECT_EQ(array.shape, (std::vector<std::size_t>{3, 2}));
  EXPECT_EQ(array.values, (std::vector<double>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(array.source, path + ":/brain/rdms");
  EXPECT_EQ(read_real_array(path + ":/f32", "x").values, (std::vector<double>{0.5}));
}

TEST_F(Hdf5ArraySource, ReadsIntegerDatasetsAsIntArrays) {
  const IntArray array = read_int_array(path + ":/perm", "permutations.file");
  EXPECT_EQ(array.shape, (std::vector<std::size_t>{1, 3}));
  EXPECT_EQ(array.values, (std::vector<std::int64_t>{2, 0, 1}));
}

TEST_F(Hdf5ArraySource, RejectsAnIntegerDatasetForRealsNamingTheTypes) {
  const std::string message =
      message_of<InputError>([&] { read_real_array(path + ":/perm", "brain.file"); });
  EXPECT_NE(message.find(path + ":/perm (brain.file): expected a float32 or float64 dataset, " +
                         "found int32"),
            std::string::npos)
      << message;
}

TEST_F(Hdf5ArraySource, RejectsFloatAndStringDatasetsForIntegers) {
  const std::string as_float =
      message_of<InputError>([&] { read_int_array(path + ":/brain/rdms", "permutations.file"); });
  EXPECT_NE(as_float.find(path + ":/brain/rdms (permutations.file): expected an integer " +
                          "dataset (int8 to int64 or uint8 to uint64), found float64"),
            std::string::npos)
      << as_float;
  const std::string as_string =
      message_of<InputError>([&] { read_int_array(path + ":/layers", "permutations.file"); });
  EXPECT_NE(as_string.find(path + ":/layers (permutations.file)"), std::string::npos);
  EXPECT_NE(as_string.find("found string"), std::string::npos) << as_string;
}

TEST_F(Hdf5ArraySource, RejectsUnsignedValuesBeyondInt64) {
  const std::string message = message_of<InputError>([&] { read_int_array(path + ":/big", "p"); });
  EXPECT_NE(message.find(path + ":/big (p): value 18446744073709551615 at element 1"),
            std::string::npos)
      << message;
}

TEST_F(Hdf5ArraySource, RejectsAMissingDatasetAndAGroup) {
  const std::string missing =
      message_of<InputError>([&] { read_real_array(path + ":/brain/rdm", "brain.file"); });
  EXPECT_NE(missing.find(path + ":/brain/rdm (brain.file): the file has no dataset '/brain/rdm'"),
            std::string::npos)
      << missing;
  const std::string group =
      message_of<InputError>([&] { read_real_array(path + ":/brain", "brain.file"); });
  EXPECT_NE(group.find(path + ":/brain (brain.file): cannot open dataset: "), std::string::npos)
      << group;
}

TEST_F(Hdf5ArraySource, RejectsAFileThatIsNotHdf5AndAMissingFile) {
  const std::string text_path = dir.file("text.h5");
  test::write_bytes(text_path, "not an HDF5 file at all\n");
  testing::internal::CaptureStderr();
  const std::string not_hdf5 =
      message_of<InputError>([&] { read_real_array(text_path + ":/x", "brain.file"); });
  const std::string missing =
      message_of<InputError>([&] { read_real_array(dir.file("no.h5") + ":/x", "brain.file"); });
  const std::string printed = testing::internal::GetCapturedStderr();
  EXPECT_NE(not_hdf5.find(text_path + ":/x (brain.file): cannot open file for reading: "),
            std::string::npos)
      << not_hdf5;
  EXPECT_NE(missing.find(dir.file("no.h5") + ":/x (brain.file): cannot open '" + dir.file("no.h5") +
                         "': No such file or directory"),
            std::string::npos)
      << missing;
  EXPECT_TRUE(printed.empty()) << printed;
}

}  // namespace
}  // namespace permrsa
