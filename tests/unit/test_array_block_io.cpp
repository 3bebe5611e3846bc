// read_array_shape and read_real_array_block: every block equals the same cut of the whole
// array that read_real_array returns (itself checked against the formats in the reader tests),
// for .npy in C and Fortran order, float32 and float64, little- and big-endian, HDF5 and .mat
// v5/v7.3; every block of a 3-D stack along each axis equals the cut written out from the
// formula that filled it. The shape probe and the block reader reject what read_real_array rejects,
// with the same message.
#include <gtest/gtest.h>
#include <matio.h>

#include <cstdint>
#include <tuple>

#include "io/h5_handles.hpp"
#include "permrsa/array_io.hpp"
#include "permrsa/error.hpp"
#include "test_io_support.hpp"

namespace permrsa {
namespace {

using test::big_endian_bytes;
using test::message_of;
using test::npy_bytes;
using test::raw_bytes;
using test::ScratchDir;
using test::write_bytes;

// a(i, j) = 1000 i + j + 0.5: exact in float32 for the sizes used here.
double element(std::size_t i, std::size_t j) {
  return 1000.0 * double(i) + double(j) + 0.5;
}

// The values of an n0 x n1 array in C order (fortran = false) or Fortran order.
template <class T>
std::vector<T> stored_values(std::size_t n0, std::size_t n1, bool fortran) {
  std::vector<T> values;
  values.reserve(n0 * n1);
  if (fortran) {
    for (std::size_t j = 0; j < n1; ++j)
      for (std::size_t i = 0; i < n0; ++i) values.push_back(static_cast<T>(element(i, j)));
  } else {
    for (std::size_t i = 0; i < n0; ++i)
      for (std::size_t j = 0; j < n1; ++j) values.push_back(static_cast<T>(element(i, j)));
  }
  return values;
}

std::string npy_header(const std::string& descr, bool fortran, std::size_t n0, std::size_t n1) {
  return "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") +
         ", 'shape': (" + std::to_string(n0) + ", " + std::to_string(n1) + "), }";
}

template <class T>
void write_npy_fixture(const std::string& path, std::size_t n0, std::size_t n1, bool fortran,
                       bool big_endian = false) {
  const std::vector<T> values = stored_values<T>(n0, n1, fortran);
  const std::string descr = std::string(big_endian ? ">" : "<") + (sizeof(T) == 4 ? "f4" : "f8");
  write_bytes(path, npy_bytes(npy_header(descr, fortran, n0, n1),
                              big_endian ? big_endian_bytes(values) : raw_bytes(values)));
}

// The block of `whole` (a 2-D C-order array) that read_real_array_block must return.
RealArray cut(const RealArray& whole, std::size_t axis, std::size_t begin, std::size_t end) {
  RealArray out;
  out.shape = whole.shape;
  out.shape[axis] = end - begin;
  for (std::size_t i = 0; i < whole.shape[0]; ++i) {
    for (std::size_t j = 0; j < whole.shape[1]; ++j) {
      const std::size_t along = axis == 0 ? i : j;
      if (along >= begin && along < end) out.values.push_back(whole.values[i * whole.shape[1] + j]);
    }
  }
  return out;
}

// Every block [begin, end) with 0 <= begin <= end <= extent, along both axes.
void expect_every_block_matches(const std::string& spec) {
  const RealArray whole = read_real_array(spec, "brain.file");
  ASSERT_EQ(whole.shape.size(), 2u);
  EXPECT_EQ(read_array_shape(spec, "brain.file"), whole.shape);
  for (std::size_t axis = 0; axis < 2; ++axis) {
    for (std::size_t begin = 0; begin <= whole.shape[axis]; ++begin) {
      for (std::size_t end = begin; end <= whole.shape[axis]; ++end) {
        const RealArray block = read_real_array_block(spec, "brain.file", axis, begin, end);
        const RealArray expected = cut(whole, axis, begin, end);
        ASSERT_EQ(block.shape, expected.shape)
            << spec << " axis " << axis << " [" << begin << ", " << end << ")";
        ASSERT_EQ(block.values, expected.values)
            << spec << " axis " << axis << " [" << begin << ", " << end << ")";
        EXPECT_EQ(block.source, whole.source);
      }
    }
  }
}

// ---- .npy ----

// (float64?, Fortran order?, big-endian?)
class NpyBlocks : public testing::TestWithParam<std::tuple<bool, bool, bool>> {};

TEST_P(NpyBlocks, EveryBlockEqualsTheCutOfTheWholeArray) {
  const auto [is_double, fortran, big_endian] = GetParam();
  ScratchDir dir;
  const std::string path = dir.file("a.npy");
  if (is_double) {
    write_npy_fixture<double>(path, 7, 5, fortran, big_endian);
  } else {
    write_npy_fixture<float>(path, 7, 5, fortran, big_endian);
  }
  expect_every_block_matches(path);
}

std::string npy_case_name(const testing::TestParamInfo<std::tuple<bool, bool, bool>>& info) {
  return std::string(std::get<0>(info.param) ? "f8" : "f4") +
         (std::get<1>(info.param) ? "_fortran" : "_c") + (std::get<2>(info.param) ? "_big" : "");
}

INSTANTIATE_TEST_SUITE_P(Layouts, NpyBlocks,
                         testing::Combine(testing::Bool(), testing::Bool(), testing::Bool()),
                         npy_case_name);

TEST(NpyBlockReads, ReadsPiecesFarApartAndBlocksLongerThanOneReadBuffer) {
  // Rows of 80 kB (gaps beyond the 64 kB merge limit) and a 8.8 MB file (more than one 8 MB
  // read when the gaps are small): the reader's separate-read and chunked paths.
  ScratchDir dir;
  const std::string wide = dir.file("wide.npy");
  write_npy_fixture<double>(wide, 6, 10000, false);
  const RealArray whole_wide = read_real_array(wide, "x");
  EXPECT_EQ(read_real_array_block(wide, "x", 1, 10, 20).values, cut(whole_wide, 1, 10, 20).values);
  EXPECT_EQ(read_real_array_block(wide, "x", 1, 9990, 10000).values,
            cut(whole_wide, 1, 9990, 10000).values);

  const std::string tall = dir.file("tall.npy");
  write_npy_fixture<double>(tall, 1100, 1000, false);
  const RealArray whole_tall = read_real_array(tall, "x");
  EXPECT_EQ(read_real_array_block(tall, "x", 1, 50, 950).values,
            cut(whole_tall, 1, 50, 950).values);
  EXPECT_EQ(read_real_array_block(tall, "x", 0, 3, 1099).values,
            cut(whole_tall, 0, 3, 1099).values);

  const std::string tall_fortran = dir.file("tall_f.npy");
  write_npy_fixture<float>(tall_fortran, 1000, 1100, true);
  const RealArray whole_f = read_real_array(tall_fortran, "x");
  EXPECT_EQ(read_real_array_block(tall_fortran, "x", 0, 50, 950).values,
            cut(whole_f, 0, 50, 950).values);
  EXPECT_EQ(read_real_array_block(tall_fortran, "x", 1, 1, 1100).values,
            cut(whole_f, 1, 1, 1100).values);
}

TEST(NpyBlockReads, RejectWhatTheWholeReaderRejectsWithTheSameMessage) {
  ScratchDir dir;
  const std::string ints = dir.file("ints.npy");
  write_bytes(ints, npy_bytes(npy_header("<i8", false, 2, 2),
                              raw_bytes(std::vector<std::int64_t>{1, 2, 3, 4})));
  const std::string truncated = dir.file("truncated.npy");
  write_bytes(truncated,
              npy_bytes(npy_header("<f8", false, 2, 3), raw_bytes(std::vector<double>{1, 2, 3})));
  for (const std::string& path : {ints, truncated, dir.file("missing.npy")}) {
    const std::string expected =
        message_of<InputError>([&] { read_real_array(path, "brain.file"); });
    ASSERT_FALSE(expected.empty());
    EXPECT_EQ(message_of<InputError>([&] { read_array_shape(path, "brain.file"); }), expected);
    EXPECT_EQ(message_of<InputError>([&] { read_real_array_block(path, "brain.file", 0, 0, 1); }),
              expected);
  }
  EXPECT_NE(message_of<InputError>([&] {
              read_array_shape(ints, "brain.file");
            }).find(ints + " (brain.file): expected dtype float32 or float64, found '<i8'"),
            std::string::npos);
  EXPECT_NE(
      message_of<InputError>([&] { read_array_shape(truncated, "brain.file"); }).find("truncated"),
      std::string::npos);
}

TEST(NpyBlockReads, NeedATwoDimensionalArrayAndARangeInsideIt) {
  ScratchDir dir;
  const std::string vector = dir.file("v.npy");
  write_bytes(vector, npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }",
                                raw_bytes(std::vector<double>{1, 2, 3})));
  EXPECT_EQ(read_array_shape(vector, "brain.times"), (std::vector<std::size_t>{3}));
  EXPECT_EQ(message_of<InputError>([&] { read_real_array_block(vector, "brain.file", 0, 0, 1); }),
            vector + " (brain.file): expected a 2-D array, found shape 3");
  const std::string matrix = dir.file("m.npy");
  write_npy_fixture<double>(matrix, 2, 3, false);
  EXPECT_THROW(read_real_array_block(matrix, "x", 1, 2, 4), InternalError);
  EXPECT_THROW(read_real_array_block(matrix, "x", 0, 2, 1), InternalError);
  EXPECT_THROW(read_real_array_block(matrix, "x", 2, 0, 1), InternalError);
}

// ---- 3-D stacks (N x P x T: per-subject RDMs, per-subject maps) ----

// s(i, j, k) = 10000 i + 100 j + k + 0.25: exact in float32 for the sizes used here.
const std::vector<std::size_t> kStack{4, 5, 3};

double stack_element(std::size_t i, std::size_t j, std::size_t k) {
  return 10000.0 * double(i) + 100.0 * double(j) + double(k) + 0.25;
}

template <class T>
std::vector<T> stored_stack(bool fortran) {
  std::vector<T> values;
  const auto [n0, n1, n2] = std::tuple(kStack[0], kStack[1], kStack[2]);
  if (fortran) {
    for (std::size_t k = 0; k < n2; ++k)
      for (std::size_t j = 0; j < n1; ++j)
        for (std::size_t i = 0; i < n0; ++i)
          values.push_back(static_cast<T>(stack_element(i, j, k)));
  } else {
    for (std::size_t i = 0; i < n0; ++i)
      for (std::size_t j = 0; j < n1; ++j)
        for (std::size_t k = 0; k < n2; ++k)
          values.push_back(static_cast<T>(stack_element(i, j, k)));
  }
  return values;
}

// Every block along every axis of a 4 x 5 x 3 stack equals the cut written out index by index
// from stack_element (the whole-array reader is not needed as the peer here).
void expect_every_stack_block_matches(const std::string& spec) {
  EXPECT_EQ(read_array_shape(spec, "brain.file"), kStack);
  for (std::size_t axis = 0; axis < 3; ++axis) {
    for (std::size_t begin = 0; begin <= kStack[axis]; ++begin) {
      for (std::size_t end = begin; end <= kStack[axis]; ++end) {
        std::vector<std::size_t> shape = kStack;
        shape[axis] = end - begin;
        std::vector<double> expected;
        for (std::size_t i = 0; i < kStack[0]; ++i)
          for (std::size_t j = 0; j < kStack[1]; ++j)
            for (std::size_t k = 0; k < kStack[2]; ++k) {
              const std::size_t along = axis == 0 ? i : axis == 1 ? j : k;
              if (along >= begin && along < end) expected.push_back(stack_element(i, j, k));
            }
        const RealArray block = read_real_array_block(spec, "brain.file", axis, begin, end, 3);
        ASSERT_EQ(block.shape, shape)
            << spec << " axis " << axis << " [" << begin << ", " << end << ")";
        ASSERT_EQ(block.values, expected)
            << spec << " axis " << axis << " [" << begin << ", " << end << ")";
      }
    }
  }
}

TEST(StackBlockReads, NpyInCAndFortranOrderFloat32AndFloat64) {
  ScratchDir dir;
  for (const bool fortran : {false, true}) {
    for (const bool is_double : {false, true}) {
      const std::string path =
          dir.file(std::string(fortran ? "f" : "c") + (is_double ? "8" : "4") + ".npy");
      const std::string header = std::string("{'descr': '<f") + (is_double ? "8" : "4") +
                                 "', 'fortran_order': " + (fortran ? "True" : "False") +
                                 ", 'shape': (4, 5, 3), }";
      write_bytes(path, is_double ? npy_bytes(header, raw_bytes(stored_stack<double>(fortran)))
                                  : npy_bytes(header, raw_bytes(stored_stack<float>(fortran))));
      expect_every_stack_block_matches(path);
    }
  }
}

TEST(StackBlockReads, Hdf5Float32AndFloat64Datasets) {
  ScratchDir dir;
  const std::string path = dir.file("stack.h5");
  {
    h5::File file = h5::File::create(path);
    file.write<double>("/f8", stored_stack<double>(false), {4, 5, 3});
    file.write<float>("/f4", stored_stack<float>(false), {4, 5, 3});
    file.close();
  }
  expect_every_stack_block_matches(path + ":/f8");
  expect_every_stack_block_matches(path + ":/f4");
}

TEST(StackBlockReads, NeedTheExpectedNumberOfDimensions) {
  ScratchDir dir;
  const std::string matrix = dir.file("m.npy");
  write_npy_fixture<double>(matrix, 2, 3, false);
  EXPECT_EQ(
      message_of<InputError>([&] { read_real_array_block(matrix, "brain.file", 2, 0, 1, 3); }),
      matrix + " (brain.file): expected a 3-D array, found shape 2 x 3");
  EXPECT_THROW(read_real_array_block(matrix, "x", 2, 0, 1), InternalError);
}

// ---- HDF5 ----

TEST(Hdf5BlockReads, EveryBlockOfFloat32AndFloat64DatasetsEqualsTheCut) {
  ScratchDir dir;
  const std::string path = dir.file("rdms.h5");
  {
    h5::File file = h5::File::create(path);
    file.write<double>("/brain/f8", stored_values<double>(6, 4, false), {6, 4});
    file.write<float>("/brain/f4", stored_values<float>(3, 7, false), {3, 7});
    file.close();
  }
  expect_every_block_matches(path + ":/brain/f8");
  expect_every_block_matches(path + ":/brain/f4");
}

TEST(Hdf5BlockReads, RejectWhatTheWholeReaderRejectsWithTheSameMessage) {
  ScratchDir dir;
  const std::string path = dir.file("bad.h5");
  {
    h5::File file = h5::File::create(path);
    file.write<std::int32_t>("/ints", std::vector<std::int32_t>{1, 2, 3, 4}, {2, 2});
    file.write_strings("/names", {"a"});
    file.write<double>("/cube", std::vector<double>(8, 1.0), {2, 2, 2});
    file.close();
  }
  for (const char* dataset : {":/ints", ":/names", ":/missing"}) {
    const std::string spec = path + dataset;
    const std::string expected =
        message_of<InputError>([&] { read_real_array(spec, "brain.file"); });
    ASSERT_FALSE(expected.empty());
    EXPECT_EQ(message_of<InputError>([&] { read_array_shape(spec, "brain.file"); }), expected);
    EXPECT_EQ(message_of<InputError>([&] { read_real_array_block(spec, "brain.file", 0, 0, 1); }),
              expected);
  }
  EXPECT_EQ(read_array_shape(path + ":/cube", "x"), (std::vector<std::size_t>{2, 2, 2}));
  EXPECT_EQ(message_of<InputError>([&] { read_real_array_block(path + ":/cube", "x", 0, 0, 1); }),
            path + ":/cube (x): expected a 2-D array, found shape 2 x 2 x 2");
}

// ---- .mat (read whole, then cut) ----

class MatBlocks : public testing::TestWithParam<mat_ft> {
 protected:
  void SetUp() override {
    mat_t* mat = Mat_CreateVer(path.c_str(), nullptr, GetParam());
    ASSERT_NE(mat, nullptr);
    // MATLAB is column-major: the Fortran-order values are its data.
    std::vector<double> doubles = stored_values<double>(5, 4, true);
    std::vector<float> singles = stored_values<float>(3, 6, true);
    std::vector<std::int32_t> ints = {1, 2, 3, 4};
    std::vector<double> re = {1, 2}, im = {3, 4};
    mat_complex_split_t complex{re.data(), im.data()};
    add(mat, "D", MAT_C_DOUBLE, MAT_T_DOUBLE, {5, 4}, doubles.data());
    add(mat, "S", MAT_C_SINGLE, MAT_T_SINGLE, {3, 6}, singles.data());
    add(mat, "I", MAT_C_INT32, MAT_T_INT32, {2, 2}, ints.data());
    add(mat, "Z", MAT_C_DOUBLE, MAT_T_DOUBLE, {2, 1}, &complex, MAT_F_COMPLEX);
    std::vector<double> stack = stored_stack<double>(true);
    add(mat, "C", MAT_C_DOUBLE, MAT_T_DOUBLE, kStack, stack.data());
    Mat_Close(mat);
  }
  static void add(mat_t* mat, const char* name, matio_classes class_type, matio_types data_type,
                  std::vector<std::size_t> dims, void* data, int options = 0) {
    matvar_t* variable = Mat_VarCreate(name, class_type, data_type, static_cast<int>(dims.size()),
                                       dims.data(), data, options | MAT_F_DONT_COPY_DATA);
    ASSERT_NE(variable, nullptr) << name;
    EXPECT_EQ(Mat_VarWrite(mat, variable, MAT_COMPRESSION_NONE), 0) << name;
    Mat_VarFree(variable);
  }
  ScratchDir dir;
  std::string path = dir.file("blocks.mat");
};

INSTANTIATE_TEST_SUITE_P(Versions, MatBlocks, testing::Values(MAT_FT_MAT5, MAT_FT_MAT73),
                         [](const testing::TestParamInfo<mat_ft>& version) {
                           return std::string(version.param == MAT_FT_MAT73 ? "v73" : "v5");
                         });

TEST_P(MatBlocks, EveryBlockOfDoubleAndSingleVariablesEqualsTheCut) {
  expect_every_block_matches(path + ":D");
  expect_every_block_matches(path + ":S");
  EXPECT_EQ(read_array_shape(path + ":D", "x"), (std::vector<std::size_t>{5, 4}));
}

TEST_P(MatBlocks, EveryBlockOfAThreeDimensionalVariableEqualsTheCut) {
  expect_every_stack_block_matches(path + ":C");
}

TEST_P(MatBlocks, ShapeProbeRejectsWhatTheWholeReaderRejectsWithTheSameMessage) {
  testing::internal::CaptureStderr();
  for (const char* variable : {":I", ":Z", ":missing"}) {
    const std::string spec = path + variable;
    const std::string expected =
        message_of<InputError>([&] { read_real_array(spec, "models.file"); });
    ASSERT_FALSE(expected.empty());
    EXPECT_EQ(message_of<InputError>([&] { read_array_shape(spec, "models.file"); }), expected);
    EXPECT_EQ(message_of<InputError>([&] { read_real_array_block(spec, "models.file", 0, 0, 1); }),
              expected);
  }
  const std::string printed = testing::internal::GetCapturedStderr();
  EXPECT_TRUE(printed.empty()) << printed;
}

}  // namespace
}  // namespace permrsa
