// MATLAB .mat reading (v5 and v7.3) through matio. Fixtures are written with matio's own
// writer (Mat_CreateVer), so the expected values are the ones put in below; MATLAB stores
// column-major, so M(r, c) sits at data[c * rows + r].
#include <gtest/gtest.h>
#include <matio.h>

#include <cstdint>
#include <functional>
#include <limits>

#include "io/h5_handles.hpp"
#include "permrsa/array_io.hpp"
#include "permrsa/error.hpp"
#include "test_io_support.hpp"

namespace permrsa {
namespace {

using test::message_of;
using test::ScratchDir;

// Writes one variable (not copied: the data stays the caller's) and frees it.
void add(mat_t* mat, const char* name, matio_classes class_type, matio_types data_type,
         std::vector<std::size_t> dims, void* data, int options = 0) {
  matvar_t* variable = Mat_VarCreate(name, class_type, data_type, static_cast<int>(dims.size()),
                                     dims.data(), data, options | MAT_F_DONT_COPY_DATA);
  ASSERT_NE(variable, nullptr) << name;
  EXPECT_EQ(Mat_VarWrite(mat, variable, MAT_COMPRESSION_NONE), 0) << name;
  Mat_VarFree(variable);
}

// A file with one variable of every kind the reader must accept or reject.
void write_fixture(const std::string& path, mat_ft version) {
  mat_t* mat = Mat_CreateVer(path.c_str(), nullptr, version);
  ASSERT_NE(mat, nullptr);
  // M = [0 1 2 3; 10 11 12 13; 20 21 22 23], i.e. M(r, c) = 10 r + c (0-based).
  std::vector<double> m(12);
  for (std::size_t r = 0; r < 3; ++r)
    for (std::size_t c = 0; c < 4; ++c) m[c * 3 + r] = static_cast<double>(10 * r + c);
  add(mat, "M", MAT_C_DOUBLE, MAT_T_DOUBLE, {3, 4}, m.data());
  std::vector<double> row = {-0.25, 0.0, 0.25, 0.5, 0.75};
  add(mat, "row", MAT_C_DOUBLE, MAT_T_DOUBLE, {1, 5}, row.data());
  std::vector<float> single = {1.5f, 2.5f, 3.5f, 4.5f};  // [1.5 3.5; 2.5 4.5]
  add(mat, "single", MAT_C_SINGLE, MAT_T_SINGLE, {2, 2}, single.data());
  std::vector<double> cube(24);  // cube(i, j, k) = 100 i + 10 j + k
  for (std::size_t k = 0; k < 4; ++k)
    for (std::size_t j = 0; j < 3; ++j)
      for (std::size_t i = 0; i < 2; ++i)
        cube[i + 2 * (j + 3 * k)] = static_cast<double>(100 * i + 10 * j + k);
  add(mat, "cube", MAT_C_DOUBLE, MAT_T_DOUBLE, {2, 3, 4}, cube.data());
  std::vector<std::int32_t> ints = {0, 3, 1, 4, 2, 5};  // [0 1 2; 3 4 5]
  add(mat, "ints", MAT_C_INT32, MAT_T_INT32, {2, 3}, ints.data());
  std::vector<std::uint8_t> bytes = {0, 255};
  add(mat, "bytes", MAT_C_UINT8, MAT_T_UINT8, {1, 2}, bytes.data());
  std::vector<std::uint64_t> huge = {1, std::numeric_limits<std::uint64_t>::max()};
  add(mat, "huge", MAT_C_UINT64, MAT_T_UINT64, {1, 2}, huge.data());
  std::vector<double> re = {1, 2}, im = {3, 4};
  mat_complex_split_t complex{re.data(), im.data()};
  add(mat, "z", MAT_C_DOUBLE, MAT_T_DOUBLE, {2, 1}, &complex, MAT_F_COMPLEX);
  std::vector<std::uint8_t> mask = {1, 0};
  add(mat, "mask", MAT_C_UINT8, MAT_T_UINT8, {1, 2}, mask.data(), MAT_F_LOGICAL);
  std::string text = "abc";
  add(mat, "txt", MAT_C_CHAR, MAT_T_UINT8, {1, 3}, text.data());
  // sparse([1 0; 0 2]): compressed columns.
  std::vector<mat_uint32_t> ir = {0, 1}, jc = {0, 1, 2};
  std::vector<double> nonzeros = {1, 2};
  mat_sparse_t sparse{2, ir.data(), 2, jc.data(), 3, 2, nonzeros.data()};
  add(mat, "sp", MAT_C_SPARSE, MAT_T_DOUBLE, {2, 2}, &sparse);
  // {1.0}: a 1 x 1 cell (matio frees the element with the cell).
  std::size_t one_by_one[2] = {1, 1};
  double one = 1.0;
  matvar_t* cells[1] = {Mat_VarCreate(nullptr, MAT_C_DOUBLE, MAT_T_DOUBLE, 2, one_by_one, &one, 0)};
  matvar_t* cell = Mat_VarCreate("c", MAT_C_CELL, MAT_T_CELL, 2, one_by_one, cells, 0);
  ASSERT_NE(cell, nullptr);
  EXPECT_EQ(Mat_VarWrite(mat, cell, MAT_COMPRESSION_NONE), 0);
  Mat_VarFree(cell);
  // struct('a', 1.0)
  const char* fields[1] = {"a"};
  matvar_t* structure = Mat_VarCreateStruct("s", 2, one_by_one, fields, 1);
  ASSERT_NE(structure, nullptr);
  Mat_VarSetStructFieldByName(
      structure, "a", 0,
      Mat_VarCreate(nullptr, MAT_C_DOUBLE, MAT_T_DOUBLE, 2, one_by_one, &one, 0));
  EXPECT_EQ(Mat_VarWrite(mat, structure, MAT_COMPRESSION_NONE), 0);
  Mat_VarFree(structure);
  Mat_Close(mat);
}

std::string version_name(const testing::TestParamInfo<mat_ft>& info) {
  return info.param == MAT_FT_MAT73 ? "v73" : "v5";
}

class MatReader : public testing::TestWithParam<mat_ft> {
 protected:
  void SetUp() override { write_fixture(path, GetParam()); }
  std::string spec(const std::string& variable) const { return path + ":" + variable; }

  ScratchDir dir;
  std::string path = dir.file("fixture.mat");
};

INSTANTIATE_TEST_SUITE_P(Versions, MatReader, testing::Values(MAT_FT_MAT5, MAT_FT_MAT73),
                         version_name);

TEST_P(MatReader, ReturnsAMatrixInCOrderWithMatlabsDims) {
  const RealArray array = read_real_array(spec("M"), "model.file");
  ASSERT_EQ(array.shape, (std::vector<std::size_t>{3, 4}));
  for (std::size_t r = 0; r < 3; ++r)
    for (std::size_t c = 0; c < 4; ++c)
      EXPECT_EQ(array.values[r * 4 + c], static_cast<double>(10 * r + c)) << r << "," << c;
  EXPECT_EQ(array.source, spec("M"));
}

TEST_P(MatReader, KeepsARowVectorAsOneByN) {
  const RealArray array = read_real_array(spec("row"), "brain.times");
  EXPECT_EQ(array.shape, (std::vector<std::size_t>{1, 5}));
  EXPECT_EQ(array.values, (std::vector<double>{-0.25, 0.0, 0.25, 0.5, 0.75}));
}

TEST_P(MatReader, WidensSingleToDouble) {
  // single = [1.5 3.5; 2.5 4.5], read row by row.
  EXPECT_EQ(read_real_array(spec("single"), "x").values, (std::vector<double>{1.5, 3.5, 2.5, 4.5}));
}

TEST_P(MatReader, ReordersA3dArray) {
  const RealArray array = read_real_array(spec("cube"), "model.file");
  ASSERT_EQ(array.shape, (std::vector<std::size_t>{2, 3, 4}));
  for (std::size_t i = 0; i < 2; ++i)
    for (std::size_t j = 0; j < 3; ++j)
      for (std::size_t k = 0; k < 4; ++k)
        EXPECT_EQ(array.values[12 * i + 4 * j + k], static_cast<double>(100 * i + 10 * j + k));
}

TEST_P(MatReader, ReadsIntegerClassesAsInt64) {
  EXPECT_EQ(read_int_array(spec("ints"), "p").values,
            (std::vector<std::int64_t>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(read_int_array(spec("ints"), "p").shape, (std::vector<std::size_t>{2, 3}));
  EXPECT_EQ(read_int_array(spec("bytes"), "p").values, (std::vector<std::int64_t>{0, 255}));
}

// ---- errors: each message names the file, the variable and the field ----

struct RejectedVariable {
  std::string name;
  std::string found;  // how the message describes it
};

TEST_P(MatReader, RejectsNonRealOrNonNumericVariablesForRealArrays) {
  for (const RejectedVariable& v :
       std::vector<RejectedVariable>{{"z", "found a complex double array"},
                                     {"sp", "found a sparse matrix"},
                                     {"c", "found a cell array"},
                                     {"s", "found a struct"},
                                     {"txt", "found a char array"},
                                     {"mask", "found a logical array"},
                                     {"ints", "found an int32 array"}}) {
    const std::string message =
        message_of<InputError>([&] { read_real_array(spec(v.name), "model.file"); });
    EXPECT_NE(message.find(spec(v.name) +
                           " (model.file): expected a real double or single array, " + v.found),
              std::string::npos)
        << message;
  }
}

TEST_P(MatReader, RejectsDoublesForIntegerArraysWithAHint) {
  const std::string message =
      message_of<InputError>([&] { read_int_array(spec("M"), "permutations.file"); });
  EXPECT_NE(message.find(spec("M") + " (permutations.file): expected a real integer array"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("found a double array (in MATLAB, save int64(x)"), std::string::npos)
      << message;
}

TEST_P(MatReader, RejectsUnsignedValuesBeyondInt64) {
  const std::string message = message_of<InputError>([&] { read_int_array(spec("huge"), "p"); });
  EXPECT_NE(message.find(spec("huge") + " (p): value 18446744073709551615 at element 1"),
            std::string::npos)
      << message;
}

TEST_P(MatReader, ListsTheFilesVariablesWhenOneIsMissing) {
  testing::internal::CaptureStderr();
  const std::string message =
      message_of<InputError>([&] { read_real_array(spec("nope"), "brain.times"); });
  const std::string printed = testing::internal::GetCapturedStderr();
  EXPECT_NE(message.find(spec("nope") + " (brain.times): the file has no variable 'nope'; its " +
                         "variables are: "),
            std::string::npos)
      << message;
  for (const char* name : {"M", "row", "cube", "ints", "txt"}) {
    EXPECT_NE(message.find(name), std::string::npos) << message;
  }
  EXPECT_EQ(printed.find("HDF5-DIAG"), std::string::npos) << printed;
}

TEST(MatReaderFiles, RejectsAMissingFile) {
  ScratchDir dir;
  const std::string path = dir.file("absent.mat");
  const std::string message =
      message_of<InputError>([&] { read_real_array(path + ":time", "brain.times"); });
  EXPECT_NE(message.find(path + ":time (brain.times): cannot open '" + path +
                         "': No such file or directory"),
            std::string::npos)
      << message;
}

TEST(MatReaderFiles, RejectsAFileThatIsNotAMatFile) {
  ScratchDir dir;
  const std::string path = dir.file("notes.mat");
  test::write_bytes(path, std::string(300, 'x'));
  testing::internal::CaptureStderr();
  const std::string message =
      message_of<InputError>([&] { read_real_array(path + ":time", "brain.times"); });
  const std::string printed = testing::internal::GetCapturedStderr();
  EXPECT_NE(message.find(path + ":time (brain.times): not a MATLAB .mat file"), std::string::npos)
      << message;
  EXPECT_TRUE(printed.empty()) << printed;
}

// DESIGN.md's trap: matio links the serial HDF5 library and permrsa the parallel one, so one
// process holds both. Read v5 and v7.3 files, then write and read an HDF5 file through the
// wrapper, in that order.
TEST(MatReaderFiles, ReadsV5AndV73ThenWritesAndReadsHdf5InTheSameProcess) {
  ScratchDir dir;
  write_fixture(dir.file("a5.mat"), MAT_FT_MAT5);
  write_fixture(dir.file("a73.mat"), MAT_FT_MAT73);
  const RealArray from_v5 = read_real_array(dir.file("a5.mat") + ":row", "x");
  const RealArray from_v73 = read_real_array(dir.file("a73.mat") + ":row", "x");
  {
    h5::File out = h5::File::create(dir.file("out.h5"));
    out.write<double>("/rows/v5", from_v5.values, {1, 5});
    out.write<double>("/rows/v73", from_v73.values, {1, 5});
    out.close();
  }
  const h5::File in = h5::File::open_read(dir.file("out.h5"));
  std::vector<h5::hsize_t> shape;
  EXPECT_EQ(in.read<double>("/rows/v5", &shape), from_v5.values);
  EXPECT_EQ(shape, (std::vector<h5::hsize_t>{1, 5}));
  EXPECT_EQ(in.read<double>("/rows/v73"), (std::vector<double>{-0.25, 0.0, 0.25, 0.5, 0.75}));
}

}  // namespace
}  // namespace permrsa
