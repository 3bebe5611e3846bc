// h5::File hyperslabs and fixed-length strings on a serial file: the calls the parallel results
// writer makes, here in one process (tests/mpi runs them on parallel files under mpirun).
#include <gtest/gtest.h>

#include <cstdint>

#include "io/h5_handles.hpp"
#include "permrsa/error.hpp"
#include "test_io_support.hpp"

namespace permrsa {
namespace {

using h5::hsize_t;
using test::ScratchDir;

TEST(Hdf5Hyperslab, BlocksWrittenOneByOneMakeTheWholeDataset) {
  // Arrange: a 3 x 4 grid cut into a 2 x 4 block, a 1 x 3 block and a 1 x 1 block;
  // grid(l, t) = 10 l + t.
  ScratchDir dir;
  h5::File file = h5::File::create(dir.file("grid.h5"));
  file.create_dataset<double>("/maps/observed", {3, 4});
  // Act
  EXPECT_TRUE(file.write_hyperslab<double>(
      "/maps/observed", std::vector<double>{0, 1, 2, 3, 10, 11, 12, 13}, {0, 0}, {2, 4}, true));
  EXPECT_TRUE(file.write_hyperslab<double>("/maps/observed", std::vector<double>{20, 21, 22},
                                           {2, 0}, {1, 3}, true));
  EXPECT_TRUE(file.write_hyperslab<double>("/maps/observed", std::vector<double>{}, {}, {}, true));
  EXPECT_TRUE(file.write_hyperslab<double>("/maps/observed", std::vector<double>{23}, {2, 3},
                                           {1, 1}, false));
  // Assert
  std::vector<hsize_t> shape;
  EXPECT_EQ(file.read<double>("/maps/observed", &shape),
            (std::vector<double>{0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23}));
  EXPECT_EQ(shape, (std::vector<hsize_t>{3, 4}));
  EXPECT_EQ(file.read_hyperslab<double>("/maps/observed", {1, 1}, {2, 2}),
            (std::vector<double>{11, 12, 21, 22}));
  EXPECT_TRUE(file.read_hyperslab<double>("/maps/observed", {0, 0}, {}).empty());
  EXPECT_FALSE(file.is_parallel());
}

TEST(Hdf5Hyperslab, CreatesEmptyAndIntegerDatasetsThatReadAsZerosUntilWritten) {
  ScratchDir dir;
  h5::File file = h5::File::create(dir.file("ints.h5"));
  file.create_dataset<std::int32_t>("/cluster_id", {2, 2});
  file.create_dataset<std::int64_t>("/clusters/size", {0});
  EXPECT_TRUE(file.write_hyperslab<std::int64_t>("/clusters/size", std::vector<std::int64_t>{}, {},
                                                 {}, true));
  EXPECT_TRUE(file.write_hyperslab<std::int32_t>("/cluster_id", std::vector<std::int32_t>{7},
                                                 {1, 0}, {1, 1}, true));
  EXPECT_EQ(file.read<std::int32_t>("/cluster_id"), (std::vector<std::int32_t>{0, 0, 7, 0}));
  EXPECT_EQ(file.dataset_info("/cluster_id").type_name(), "int32");
  std::vector<hsize_t> shape;
  EXPECT_TRUE(file.read<std::int64_t>("/clusters/size", &shape).empty());
  EXPECT_EQ(shape, (std::vector<hsize_t>{0}));
}

TEST(Hdf5Hyperslab, TreatsABoxOutsideTheDatasetOrTheWrongValueCountAsABug) {
  ScratchDir dir;
  h5::File file = h5::File::create(dir.file("bad.h5"));
  file.create_dataset<double>("/m", {2, 3});
  EXPECT_THROW(file.write_hyperslab<double>("/m", std::vector<double>{1, 2}, {0, 2}, {1, 2}, true),
               InternalError);
  EXPECT_THROW(
      file.write_hyperslab<double>("/m", std::vector<double>{1, 2, 3}, {0, 0}, {1, 2}, true),
      InternalError);
  EXPECT_THROW(file.write_hyperslab<double>("/m", std::vector<double>{1}, {0}, {1}, true),
               InternalError);
  EXPECT_THROW(file.read_hyperslab<double>("/m", {2, 0}, {1, 1}), InternalError);
  EXPECT_THROW(file.create_dataset<double>("/m", {1}), h5::Error);  // exists already
}

TEST(Hdf5Hyperslab, WritesFixedLengthUtf8StringsThatReadBackTrimmed) {
  // NUL-padded like NumPy's 'S' dtype; "β" is two bytes in UTF-8.
  ScratchDir dir;
  h5::File file = h5::File::create(dir.file("names.h5"));
  const std::vector<std::string> names = {"conv1", "fc8", "β"};
  EXPECT_EQ(h5::File::fixed_string_width(names), 5u);
  EXPECT_EQ(h5::File::fixed_string_width({}), 1u);
  EXPECT_EQ(h5::File::fixed_string_width({""}), 1u);
  file.create_strings_dataset("/axes/layer", names.size(), h5::File::fixed_string_width(names));
  EXPECT_TRUE(file.write_strings_hyperslab("/axes/layer", {"conv1", "fc8"}, 0, true));
  EXPECT_TRUE(file.write_strings_hyperslab("/axes/layer", {}, 0, true));
  EXPECT_TRUE(file.write_strings_hyperslab("/axes/layer", {"β"}, 2, true));
  EXPECT_EQ(file.read_strings("/axes/layer"), names);
  const h5::DatasetInfo info = file.dataset_info("/axes/layer");
  EXPECT_EQ(info.type_name(), "string");
  EXPECT_EQ(info.type_size, 5u);
  EXPECT_THROW(file.write_strings_hyperslab("/axes/layer", {"too long"}, 0, true), InternalError);
  file.create_strings_dataset("/none", 0, 1);
  EXPECT_TRUE(file.write_strings_hyperslab("/none", {}, 0, true));
  EXPECT_TRUE(file.read_strings("/none").empty());
  file.write_strings("/variable", {"a"});
  EXPECT_THROW(file.write_strings_hyperslab("/variable", {"b"}, 0, true), InternalError);
}

}  // namespace
}  // namespace permrsa
