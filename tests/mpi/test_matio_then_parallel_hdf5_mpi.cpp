// DESIGN.md's trap, under mpirun: matio links the serial HDF5 library and permrsa the parallel
// one, so one process holds two copies of HDF5 1.10.8. Read a v5 and a v7.3 .mat file through
// matio, then create a parallel HDF5 file in the same process and write it collectively.
#include <gtest/gtest.h>
#include <matio.h>

#include <vector>

#include "dist/mpi/mpi_communicator.hpp"
#include "io/h5_handles.hpp"
#include "io/h5_parallel.hpp"
#include "mpi_test_support.hpp"
#include "permrsa/array_io.hpp"

namespace permrsa {
namespace {

using h5::hsize_t;
using test::SharedScratchDir;
using test::world;

// M = [1 2 3; 4 5 6], written column-major by matio.
void write_mat(const std::string& path, mat_ft version) {
  mat_t* mat = Mat_CreateVer(path.c_str(), nullptr, version);
  ASSERT_NE(mat, nullptr) << path;
  std::vector<double> columns = {1, 4, 2, 5, 3, 6};
  std::size_t dims[2] = {2, 3};
  matvar_t* variable =
      Mat_VarCreate("M", MAT_C_DOUBLE, MAT_T_DOUBLE, 2, dims, columns.data(), MAT_F_DONT_COPY_DATA);
  ASSERT_NE(variable, nullptr);
  EXPECT_EQ(Mat_VarWrite(mat, variable, MAT_COMPRESSION_NONE), 0);
  Mat_VarFree(variable);
  Mat_Close(mat);
}

TEST(MatioThenParallelHdf5, ReadsV5AndV73ThenWritesAParallelFileInTheSameProcess) {
  SharedScratchDir dir;
  ASSERT_TRUE(dir.valid());
  const int r = world().rank(), n = world().size();
  // Each rank writes and reads its own .mat files (matio's serial HDF5 on v7.3).
  const std::string v5 = dir.file("m5-" + std::to_string(r) + ".mat");
  const std::string v73 = dir.file("m73-" + std::to_string(r) + ".mat");
  write_mat(v5, MAT_FT_MAT5);
  write_mat(v73, MAT_FT_MAT73);
  testing::internal::CaptureStderr();
  const RealArray from_v5 = read_real_array(v5 + ":M", "models.file");
  const RealArray from_v73 = read_real_array(v73 + ":M", "models.file");
  EXPECT_EQ(read_array_shape(v73 + ":M", "models.file"), (std::vector<std::size_t>{2, 3}));

  // Then the parallel file: rank r writes row r of an n x 6 dataset, collectively.
  const std::string path = dir.file("after-matio.h5");
  h5::File file = h5::File::create_parallel(path, h5::mpio_file_access(raw_mpi_comm(world()), path));
  file.create_dataset<double>("/rows", {static_cast<hsize_t>(n), 6});
  std::vector<double> row = from_v5.values;
  for (double& v : row) v += 10.0 * r;
  const bool collective =
      file.write_hyperslab<double>("/rows", row, {static_cast<hsize_t>(r), 0}, {1, 6}, true);
  file.close();
  world().barrier();
  const std::string printed = testing::internal::GetCapturedStderr();

  EXPECT_EQ(from_v5.values, (std::vector<double>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(from_v73.values, from_v5.values);
  EXPECT_TRUE(collective);
  std::vector<double> expected;
  for (int rank = 0; rank < n; ++rank)
    for (double v : from_v5.values) expected.push_back(v + 10.0 * rank);
  EXPECT_EQ(h5::File::open_read(path).read<double>("/rows"), expected);
  EXPECT_TRUE(printed.empty()) << printed;
}

}  // namespace
}  // namespace permrsa
