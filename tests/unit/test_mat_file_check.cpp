// A .mat file cut short or corrupted is refused before matio reads it (issue 15, D1). matio
// alone read such files as data (zeros past the cut; a compressed variable whose zlib stream
// fails its Adler-32 check). Fixtures are written with matio's own writer (Mat_CreateVer), so
// the intact files must read back the values put in; every damaged variant is made from them
// byte by byte here.
#include <gtest/gtest.h>
#include <matio.h>

#include <string>
#include <vector>

#include "permrsa/array_io.hpp"
#include "permrsa/error.hpp"
#include "test_io_support.hpp"

namespace permrsa {
namespace {

using test::ScratchDir;

// M(r, c) = 10 r + c for a 6 x 5 double matrix, then a 1 x 4 single vector (two variables,
// so that a cut can fall inside either), written with the given compression.
void write_two_variables(const std::string& path, mat_ft version, matio_compression compression) {
  mat_t* mat = Mat_CreateVer(path.c_str(), nullptr, version);
  ASSERT_NE(mat, nullptr);
  std::vector<double> m(30);
  for (std::size_t r = 0; r < 6; ++r)
    for (std::size_t c = 0; c < 5; ++c) m[c * 6 + r] = static_cast<double>(10 * r + c);
  std::size_t dims_m[2] = {6, 5};
  matvar_t* a =
      Mat_VarCreate("M", MAT_C_DOUBLE, MAT_T_DOUBLE, 2, dims_m, m.data(), MAT_F_DONT_COPY_DATA);
  ASSERT_EQ(Mat_VarWrite(mat, a, compression), 0);
  Mat_VarFree(a);
  std::vector<float> v = {0.5f, 1.5f, 2.5f, 3.5f};
  std::size_t dims_v[2] = {1, 4};
  matvar_t* b =
      Mat_VarCreate("vec", MAT_C_SINGLE, MAT_T_SINGLE, 2, dims_v, v.data(), MAT_F_DONT_COPY_DATA);
  ASSERT_EQ(Mat_VarWrite(mat, b, compression), 0);
  Mat_VarFree(b);
  Mat_Close(mat);
}

std::vector<double> expected_m() {
  std::vector<double> out;
  for (int r = 0; r < 6; ++r)
    for (int c = 0; c < 5; ++c) out.push_back(10.0 * r + c);
  return out;
}

// read_real_array of `variable`: the values, or the InputError's message (any other exception
// fails the test).
struct Outcome {
  bool refused = false;
  std::string message;
  std::vector<double> values;
};

Outcome read(const std::string& path, const std::string& variable) {
  Outcome out;
  try {
    out.values = read_real_array(path + ":" + variable, "brain.file").values;
  } catch (const InputError& error) {
    out.refused = true;
    out.message = error.what();
  }
  return out;
}

class MatFileCheck : public testing::TestWithParam<matio_compression> {
 protected:
  void SetUp() override {
    write_two_variables(path, MAT_FT_MAT5, GetParam());
    bytes = test::read_bytes(path);
  }
  ScratchDir dir;
  std::string path = dir.file("two.mat");
  std::string bytes;
};

std::string compression_name(const testing::TestParamInfo<matio_compression>& param) {
  return param.param == MAT_COMPRESSION_NONE ? "plain" : "zlib";
}

INSTANTIATE_TEST_SUITE_P(Compression, MatFileCheck,
                         testing::Values(MAT_COMPRESSION_NONE, MAT_COMPRESSION_ZLIB),
                         compression_name);

TEST_P(MatFileCheck, ReadsTheIntactFile) {
  const Outcome m = read(path, "M");
  ASSERT_FALSE(m.refused) << m.message;
  EXPECT_EQ(m.values, expected_m());
  const Outcome v = read(path, "vec");
  ASSERT_FALSE(v.refused) << v.message;
  EXPECT_EQ(v.values, (std::vector<double>{0.5, 1.5, 2.5, 3.5}));
}

// Every cut after the 128-byte header: refused, naming the file and the word "truncated";
// whichever variable is asked for (a file cut short is damaged as a whole). The one exception
// is a cut exactly between the two variables: that is a sound file holding M only (SciPy reads
// it too), so M reads as itself and "vec" is missing.
TEST_P(MatFileCheck, RefusesTheFileCutAtEveryLength) {
  const std::string cut = dir.file("cut.mat");
  // The first element's tag at byte 128: type, then its length (little-endian uint32).
  std::size_t first_length = 0;
  for (int i = 3; i >= 0; --i)
    first_length = first_length * 256 + static_cast<unsigned char>(bytes[132 + i]);
  const std::size_t boundary = 128 + 8 + first_length;
  for (std::size_t length = 129; length < bytes.size(); ++length) {
    test::write_bytes(cut, bytes.substr(0, length));
    if (length == boundary) {
      const Outcome m = read(cut, "M");
      ASSERT_FALSE(m.refused) << m.message;
      EXPECT_EQ(m.values, expected_m());
      const Outcome v = read(cut, "vec");
      ASSERT_TRUE(v.refused);
      EXPECT_NE(v.message.find("the file has no variable 'vec'; its variables are: M"),
                std::string::npos)
          << v.message;
      continue;
    }
    for (const char* variable : {"M", "vec"}) {
      const Outcome out = read(cut, variable);
      ASSERT_TRUE(out.refused) << "cut to " << length << " of " << bytes.size()
                               << " bytes, variable " << variable << " read as data";
      EXPECT_NE(out.message.find(cut + ":" + variable + " (brain.file)"), std::string::npos)
          << out.message;
      EXPECT_TRUE(out.message.find("truncated") != std::string::npos ||
                  out.message.find("damaged") != std::string::npos)
          << out.message;
    }
  }
}

// A cut inside the first variable's data names that variable and the bytes it lacks.
TEST_P(MatFileCheck, NamesTheVariableTheCutFallsIn) {
  const std::string cut = dir.file("cut.mat");
  test::write_bytes(cut, bytes.substr(0, 128 + 100));  // inside M's element (its data: 240 B)
  const Outcome out = read(cut, "vec");
  ASSERT_TRUE(out.refused);
  EXPECT_NE(out.message.find("truncated MATLAB v5 file: variable 'M' (data element at byte 128)"),
            std::string::npos)
      << out.message;
  EXPECT_NE(out.message.find("only 92 are left in the file"), std::string::npos) << out.message;
}

// Every single-bit flip after the header of a compressed file: refused, or, where the flip
// cannot matter (padding bits the decoder ignores), read as the original values. Nothing is
// ever read as different data. (An uncompressed v5 file has no checksum: a flipped data bit
// there is new data, for SciPy too; its framing is covered by the cuts.)
TEST(MatFileCheckElements, NeverReadsAFlippedBitOfACompressedFileAsDifferentData) {
  ScratchDir dir;
  const std::string path = dir.file("zlib.mat");
  write_two_variables(path, MAT_FT_MAT5, MAT_COMPRESSION_ZLIB);
  const std::string bytes = test::read_bytes(path);
  const std::string flipped = dir.file("flip.mat");
  std::size_t refused = 0;
  for (std::size_t byte = 128; byte < bytes.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string copy = bytes;
      copy[byte] = static_cast<char>(copy[byte] ^ (1 << bit));
      test::write_bytes(flipped, copy);
      const Outcome m = read(flipped, "M");
      if (m.refused) {
        ++refused;
        continue;
      }
      ASSERT_EQ(m.values, expected_m()) << "bit " << bit << " of byte " << byte;
    }
  }
  // Nearly all flips change the stream: zlib's header check, block decoding or Adler-32, or
  // the element tags.
  EXPECT_GT(refused, 8 * (bytes.size() - 128) * 9 / 10);
}

// A real part that holds fewer values than the dimensions say (a writer's bug or a patched
// file) is refused with both counts.
TEST(MatFileCheckElements, RefusesARealPartShorterThanTheDimensions) {
  ScratchDir dir;
  const std::string path = dir.file("short.mat");
  write_two_variables(path, MAT_FT_MAT5, MAT_COMPRESSION_NONE);
  std::string bytes = test::read_bytes(path);
  // M's element: tag (8) at 128, flags (16), dims (16), name "M" (small element, 8), then the
  // real part's tag: miDOUBLE, 240 bytes. Declare 232 (29 values) instead.
  const std::size_t real_tag = 128 + 8 + 16 + 16 + 8;
  ASSERT_EQ(static_cast<unsigned char>(bytes[real_tag]), 9u);  // miDOUBLE
  ASSERT_EQ(static_cast<unsigned char>(bytes[real_tag + 4]), 240u);
  bytes[real_tag + 4] = static_cast<char>(232);
  test::write_bytes(path, bytes);
  const Outcome out = read(path, "M");
  ASSERT_TRUE(out.refused);
  EXPECT_NE(out.message.find("damaged MATLAB v5 file: variable 'M'"), std::string::npos)
      << out.message;
  EXPECT_NE(out.message.find("6 x 5 double array, so its real part should hold 30 values of 8 "
                             "bytes = 240 bytes, it holds 232"),
            std::string::npos)
      << out.message;
}

TEST(MatFileCheckElements, RefusesTrailingBytesThatAreNoElement) {
  ScratchDir dir;
  const std::string path = dir.file("tail.mat");
  write_two_variables(path, MAT_FT_MAT5, MAT_COMPRESSION_NONE);
  test::write_bytes(path, test::read_bytes(path) + "abc");
  const Outcome out = read(path, "M");
  ASSERT_TRUE(out.refused);
  EXPECT_NE(out.message.find("are not a whole data element"), std::string::npos) << out.message;
}

// v7.3 files are HDF5 files: HDF5 itself checks the end-of-file address its superblock records,
// which a cut file no longer reaches. matio alone reported "its variables are: none".
TEST(MatFileCheckElements, RefusesACutV73FileAsTruncated) {
  ScratchDir dir;
  const std::string path = dir.file("v73.mat");
  write_two_variables(path, MAT_FT_MAT73, MAT_COMPRESSION_NONE);
  const std::string bytes = test::read_bytes(path);
  ASSERT_FALSE(read(path, "M").refused);
  const std::string cut = dir.file("v73cut.mat");
  for (const std::size_t missing : {std::size_t{1}, std::size_t{100}, bytes.size() / 2}) {
    test::write_bytes(cut, bytes.substr(0, bytes.size() - missing));
    const Outcome out = read(cut, "M");
    ASSERT_TRUE(out.refused) << missing << " bytes cut";
    EXPECT_NE(out.message.find(cut + ":M (brain.file): truncated or damaged MATLAB v7.3 file"),
              std::string::npos)
        << out.message;
    EXPECT_EQ(out.message.find("its variables are: none"), std::string::npos) << out.message;
  }
}

// v4 (header, name and data per matrix, no file header): every cut is refused.
TEST(MatFileCheckElements, RefusesAV4FileCutAtEveryLength) {
  ScratchDir dir;
  const std::string path = dir.file("v4.mat");
  mat_t* mat = Mat_CreateVer(path.c_str(), nullptr, MAT_FT_MAT4);
  ASSERT_NE(mat, nullptr);
  std::vector<double> m = {1, 2, 3, 4, 5, 6};
  std::size_t dims[2] = {2, 3};
  matvar_t* a =
      Mat_VarCreate("A", MAT_C_DOUBLE, MAT_T_DOUBLE, 2, dims, m.data(), MAT_F_DONT_COPY_DATA);
  ASSERT_EQ(Mat_VarWrite(mat, a, MAT_COMPRESSION_NONE), 0);
  Mat_VarFree(a);
  Mat_Close(mat);
  const std::string bytes = test::read_bytes(path);
  const Outcome whole = read(path, "A");
  ASSERT_FALSE(whole.refused) << whole.message;
  EXPECT_EQ(whole.values, (std::vector<double>{1, 3, 5, 2, 4, 6}));  // column-major 2 x 3
  const std::string cut = dir.file("v4cut.mat");
  for (std::size_t length = 1; length < bytes.size(); ++length) {
    test::write_bytes(cut, bytes.substr(0, length));
    const Outcome out = read(cut, "A");
    ASSERT_TRUE(out.refused) << "cut to " << length << " bytes";
    EXPECT_NE(out.message.find(cut + ":A (brain.file)"), std::string::npos) << out.message;
  }
}

}  // namespace
}  // namespace permrsa
