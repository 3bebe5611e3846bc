// Parallel HDF5 through h5::File under mpirun: every rank writes its hyperslab of one file, the
// transfers are collective (H5Pget_mpio_no_collective_cause, as HighFive's parallel tests
// check), and the file holds what the ranks wrote.
#include <gtest/gtest.h>

#include <cstdint>
#include <span>
#include <vector>

#include "dist/mpi/mpi_communicator.hpp"
#include "io/h5_handles.hpp"
#include "io/h5_parallel.hpp"
#include "mpi_test_support.hpp"

namespace permrsa {
namespace {

using h5::hsize_t;
using test::SharedScratchDir;
using test::world;

// Rows [first, last) of `rows` rows for rank r of n: uneven, empty for some ranks when n > rows.
std::pair<std::size_t, std::size_t> row_range(std::size_t rows, int r, int n) {
  return {rows * static_cast<std::size_t>(r) / static_cast<std::size_t>(n),
          rows * static_cast<std::size_t>(r + 1) / static_cast<std::size_t>(n)};
}

// grid(i, j) = 10 i + j.
double cell(std::size_t i, std::size_t j) {
  return 10.0 * double(i) + double(j);
}

TEST(ParallelHdf5, RanksWriteTheirRowsCollectivelyIntoOneFile) {
  // Arrange: a 3 x 5 float64 map and an int32 map, split by rows over the ranks (with 4 ranks
  // one rank has no row and takes part with an empty selection).
  SharedScratchDir dir;
  ASSERT_TRUE(dir.valid());
  const int n = world().size(), r = world().rank();
  const std::size_t rows = 3, cols = 5;
  const auto [first, last] = row_range(rows, r, n);
  std::vector<double> mine;
  std::vector<std::int32_t> mine_ids;
  for (std::size_t i = first; i < last; ++i) {
    for (std::size_t j = 0; j < cols; ++j) {
      mine.push_back(cell(i, j));
      mine_ids.push_back(static_cast<std::int32_t>(cell(i, j)) - 7);
    }
  }
  const std::vector<hsize_t> offset =
      last > first ? std::vector<hsize_t>{first, 0} : std::vector<hsize_t>{};
  const std::vector<hsize_t> count =
      last > first ? std::vector<hsize_t>{last - first, cols} : std::vector<hsize_t>{};
  const std::string path = dir.file("maps.h5");

  // Act
  h5::File file = h5::File::create_parallel(path, h5::mpio_file_access(raw_mpi_comm(world()), path));
  file.create_dataset<double>("/maps/observed", {rows, cols});
  file.create_dataset<std::int32_t>("/maps/cluster_id", {rows, cols});
  const bool observed_collective =
      file.write_hyperslab<double>("/maps/observed", mine, offset, count, true);
  const bool ids_collective =
      file.write_hyperslab<std::int32_t>("/maps/cluster_id", mine_ids, offset, count, true);
  const std::vector<std::string> names = {"conv1", "fc8", "β"};
  file.create_strings_dataset("/axes/layer", names.size(), h5::File::fixed_string_width(names));
  const bool strings_collective = file.write_strings_hyperslab(
      "/axes/layer", r == 0 ? names : std::vector<std::string>{}, 0, true);
  file.set_attribute("/", "permutations", std::int64_t{1000});
  file.set_attribute("/", "config", std::string("[analysis]\nseed = 7\n"));
  const bool parallel = file.is_parallel();
  file.close();
  world().barrier();

  // Assert
  EXPECT_TRUE(parallel);
  EXPECT_TRUE(observed_collective) << "rank " << r;
  EXPECT_TRUE(ids_collective) << "rank " << r;
  EXPECT_TRUE(strings_collective) << "rank " << r;
  const h5::File in = h5::File::open_read(path);
  std::vector<double> expected;
  std::vector<std::int32_t> expected_ids;
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t j = 0; j < cols; ++j) {
      expected.push_back(cell(i, j));
      expected_ids.push_back(static_cast<std::int32_t>(cell(i, j)) - 7);
    }
  }
  std::vector<hsize_t> shape;
  EXPECT_EQ(in.read<double>("/maps/observed", &shape), expected);
  EXPECT_EQ(shape, (std::vector<hsize_t>{rows, cols}));
  EXPECT_EQ(in.read<std::int32_t>("/maps/cluster_id"), expected_ids);
  EXPECT_EQ(in.read_strings("/axes/layer"), names);
  EXPECT_EQ(in.attribute_int64("/", "permutations"), 1000);
  EXPECT_EQ(in.attribute_string("/", "config"), "[analysis]\nseed = 7\n");
}

TEST(ParallelHdf5, ReportsIndependentTransfersAsNotCollective) {
  SharedScratchDir dir;
  ASSERT_TRUE(dir.valid());
  const int r = world().rank();
  h5::File file = h5::File::create_parallel(dir.file("independent.h5"), h5::mpio_file_access(raw_mpi_comm(world()), dir.file("independent.h5")));
  file.create_dataset<double>("/v", {static_cast<hsize_t>(world().size())});
  const std::vector<double> mine = {double(r)};
  const bool collective = file.write_hyperslab<double>("/v", mine, {static_cast<hsize_t>(r)}, {1},
                                                       /*collective=*/false);
  file.close();
  world().barrier();
  EXPECT_FALSE(collective);
  std::vector<double> expected(static_cast<std::size_t>(world().size()));
  for (std::size_t i = 0; i < expected.size(); ++i) expected[i] = double(i);
  EXPECT_EQ(h5::File::open_read(dir.file("independent.h5")).read<double>("/v"), expected);
}

TEST(ParallelHdf5, WritesEmptyDatasetsWithEveryRankTakingPart) {
  SharedScratchDir dir;
  ASSERT_TRUE(dir.valid());
  h5::File file = h5::File::create_parallel(dir.file("empty.h5"), h5::mpio_file_access(raw_mpi_comm(world()), dir.file("empty.h5")));
  file.create_dataset<std::int64_t>("/clusters/size", {0});
  const bool collective = file.write_hyperslab<std::int64_t>(
      "/clusters/size", std::vector<std::int64_t>{}, {}, {}, true);
  file.create_strings_dataset("/axes/layer", 0, 1);
  const bool strings_collective = file.write_strings_hyperslab("/axes/layer", {}, 0, true);
  file.close();
  world().barrier();
  EXPECT_TRUE(collective);
  EXPECT_TRUE(strings_collective);
  std::vector<hsize_t> shape;
  const h5::File in = h5::File::open_read(dir.file("empty.h5"));
  EXPECT_TRUE(in.read<std::int64_t>("/clusters/size", &shape).empty());
  EXPECT_EQ(shape, (std::vector<hsize_t>{0}));
  EXPECT_TRUE(in.read_strings("/axes/layer").empty());
}

TEST(ParallelHdf5, FailsOnEveryRankWhenTheFolderIsMissing) {
  // The same error on every rank, so no rank is left waiting in a collective call.
  SharedScratchDir dir;
  ASSERT_TRUE(dir.valid());
  bool threw = false;
  std::string message;
  testing::internal::CaptureStderr();
  try {
    h5::File::create_parallel(dir.file("missing/out.h5"), h5::mpio_file_access(raw_mpi_comm(world()), dir.file("missing/out.h5")));
  } catch (const h5::Error& error) {
    threw = true;
    message = error.what();
  }
  const std::string printed = testing::internal::GetCapturedStderr();
  EXPECT_TRUE(threw);
  EXPECT_NE(message.find(dir.file("missing/out.h5") + ": cannot create file"), std::string::npos)
      << message;
  EXPECT_EQ(printed.find("HDF5-DIAG"), std::string::npos) << printed;
}

}  // namespace
}  // namespace permrsa
