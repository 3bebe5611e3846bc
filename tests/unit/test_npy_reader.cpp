// .npy reading: every layout and dtype the reader accepts, and every way a file can be wrong.
// Fixtures are written byte by byte here, following numpy/lib/format.py, so the reader is
// checked against the format and not against permrsa's own writer.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

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

const std::string kF8Matrix = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }";

TEST(NpyReader, ReadsAFloat64MatrixInCOrder) {
  // Arrange: the values 0.5, 1.5, ... in C order, as np.save(np.arange(6).reshape(2, 3) + 0.5)
  ScratchDir dir;
  const std::string path = dir.file("m.npy");
  write_bytes(path,
              npy_bytes(kF8Matrix, raw_bytes(std::vector<double>{0.5, 1.5, 2.5, 3.5, 4.5, 5.5})));
  // Act
  const RealArray array = read_real_array(path, "brain.file");
  // Assert
  EXPECT_EQ(array.shape, (std::vector<std::size_t>{2, 3}));
  EXPECT_EQ(array.values, (std::vector<double>{0.5, 1.5, 2.5, 3.5, 4.5, 5.5}));
  EXPECT_EQ(array.source, path);
}

TEST(NpyReader, WidensFloat32ToFloat64Exactly) {
  // Expected: the float32 values are exactly representable, so widening keeps them.
  ScratchDir dir;
  const std::string path = dir.file("f4.npy");
  write_bytes(path, npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }",
                              raw_bytes(std::vector<float>{0.5f, -1.25f, 3.0f})));
  const RealArray array = read_real_array(path, "brain.file");
  EXPECT_EQ(array.shape, (std::vector<std::size_t>{3}));
  EXPECT_EQ(array.values, (std::vector<double>{0.5, -1.25, 3.0}));
}

TEST(NpyReader, ReordersFortranOrderMatrixIntoCOrder) {
  // Arrange: np.asfortranarray([[1, 2, 3], [4, 5, 6]]) stores the columns: 1 4 2 5 3 6.
  ScratchDir dir;
  const std::string path = dir.file("fortran.npy");
  write_bytes(path, npy_bytes("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }",
                              raw_bytes(std::vector<double>{1, 4, 2, 5, 3, 6})));
  const RealArray array = read_real_array(path, "brain.file");
  EXPECT_EQ(array.shape, (std::vector<std::size_t>{2, 3}));
  EXPECT_EQ(array.values, (std::vector<double>{1, 2, 3, 4, 5, 6}));
}

TEST(NpyReader, ReordersFortranOrder3dArrayIntoCOrder) {
  // Arrange: element (i, j, k) has the value 100 i + 10 j + k; Fortran order runs i fastest.
  ScratchDir dir;
  const std::string path = dir.file("fortran3.npy");
  std::vector<double> stored;
  for (int k = 0; k < 4; ++k)
    for (int j = 0; j < 3; ++j)
      for (int i = 0; i < 2; ++i) stored.push_back(100 * i + 10 * j + k);
  write_bytes(path, npy_bytes("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3, 4), }",
                              raw_bytes(stored)));
  // Act
  const RealArray array = read_real_array(path, "model.file");
  // Assert: C order runs k fastest.
  ASSERT_EQ(array.shape, (std::vector<std::size_t>{2, 3, 4}));
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k)
        EXPECT_EQ(array.values[static_cast<std::size_t>(12 * i + 4 * j + k)], 100 * i + 10 * j + k);
}

TEST(NpyReader, ByteSwapsBigEndianFloats) {
  // Arrange: np.array([1.0, -2.5, 1e300], dtype='>f8') stores each value's bytes reversed.
  ScratchDir dir;
  const std::string path = dir.file("big.npy");
  const std::vector<double> values{1.0, -2.5, 1e300};
  write_bytes(path, npy_bytes("{'descr': '>f8', 'fortran_order': False, 'shape': (3,), }",
                              big_endian_bytes(values)));
  EXPECT_EQ(read_real_array(path, "brain.file").values, values);
}

TEST(NpyReader, ReadsFormatVersions2And3) {
  // Versions 2.0 and 3.0 differ from 1.0 only in a 4-byte header length (numpy format.py).
  ScratchDir dir;
  for (int major : {2, 3}) {
    const std::string path = dir.file("v" + std::to_string(major) + ".npy");
    write_bytes(path,
                npy_bytes(kF8Matrix, raw_bytes(std::vector<double>{1, 2, 3, 4, 5, 6}), major));
    const RealArray array = read_real_array(path, "brain.file");
    EXPECT_EQ(array.shape, (std::vector<std::size_t>{2, 3})) << "version " << major;
    EXPECT_EQ(array.values, (std::vector<double>{1, 2, 3, 4, 5, 6})) << "version " << major;
  }
}

TEST(NpyReader, ReadsAScalarAsAnEmptyShapeWithOneValue) {
  // np.save(f, np.float64(7.25)) writes shape ().
  ScratchDir dir;
  const std::string path = dir.file("scalar.npy");
  write_bytes(path, npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (), }",
                              raw_bytes(std::vector<double>{7.25})));
  const RealArray array = read_real_array(path, "x");
  EXPECT_TRUE(array.shape.empty());
  EXPECT_EQ(array.values, (std::vector<double>{7.25}));
}

TEST(NpyReader, AcceptsDoubleQuotesAndPython2LongShapes) {
  // Old NumPy under Python 2 wrote "(2L, 1L)"; other writers use double quotes.
  ScratchDir dir;
  const std::string path = dir.file("py2.npy");
  write_bytes(path, npy_bytes("{\"descr\": \"<f8\", \"fortran_order\": False, \"shape\": (2L, 1L)}",
                              raw_bytes(std::vector<double>{3, 4})));
  const RealArray array = read_real_array(path, "x");
  EXPECT_EQ(array.shape, (std::vector<std::size_t>{2, 1}));
  EXPECT_EQ(array.values, (std::vector<double>{3, 4}));
}

struct IntCase {
  std::string descr;
  std::string data;
  std::vector<std::int64_t> expected;
};

TEST(NpyReader, ReadsEveryIntegerDtypeAsInt64) {
  // Expected values: each dtype's extremes, as np.iinfo(dtype).min / .max give them.
  ScratchDir dir;
  const std::vector<IntCase> cases = {
      {"<i1", raw_bytes(std::vector<std::int8_t>{-128, 127}), {-128, 127}},
      {"|i1", raw_bytes(std::vector<std::int8_t>{-1, 5}), {-1, 5}},
      {"|u1", raw_bytes(std::vector<std::uint8_t>{0, 255}), {0, 255}},
      {"<i2", raw_bytes(std::vector<std::int16_t>{-32768, 32767}), {-32768, 32767}},
      {"<u2", raw_bytes(std::vector<std::uint16_t>{0, 65535}), {0, 65535}},
      {"<i4",
       raw_bytes(std::vector<std::int32_t>{-2147483647 - 1, 2147483647}),
       {-2147483648LL, 2147483647}},
      {"<u4", raw_bytes(std::vector<std::uint32_t>{0, 4294967295u}), {0, 4294967295LL}},
      {"<i8",
       raw_bytes(std::vector<std::int64_t>{std::numeric_limits<std::int64_t>::min(), 9}),
       {std::numeric_limits<std::int64_t>::min(), 9}},
      {"<u8",
       raw_bytes(std::vector<std::uint64_t>{0, 9223372036854775807ULL}),
       {0, std::numeric_limits<std::int64_t>::max()}},
      {">i4", big_endian_bytes(std::vector<std::int32_t>{-2, 70000}), {-2, 70000}},
      {">u2", big_endian_bytes(std::vector<std::uint16_t>{1, 65534}), {1, 65534}},
  };
  for (const IntCase& c : cases) {
    const std::string path = dir.file("int.npy");
    write_bytes(path, npy_bytes("{'descr': '" + c.descr + "', 'fortran_order': False, " +
                                    "'shape': (2,), }",
                                c.data));
    const IntArray array = read_int_array(path, "permutations.file");
    EXPECT_EQ(array.values, c.expected) << c.descr;
    EXPECT_EQ(array.shape, (std::vector<std::size_t>{2})) << c.descr;
  }
}

TEST(NpyReader, ReordersFortranOrderIntegers) {
  // np.asfortranarray([[0, 1, 2], [3, 4, 5]], dtype='<i4') stores 0 3 1 4 2 5.
  ScratchDir dir;
  const std::string path = dir.file("perm.npy");
  write_bytes(path, npy_bytes("{'descr': '<i4', 'fortran_order': True, 'shape': (2, 3), }",
                              raw_bytes(std::vector<std::int32_t>{0, 3, 1, 4, 2, 5})));
  EXPECT_EQ(read_int_array(path, "x").values, (std::vector<std::int64_t>{0, 1, 2, 3, 4, 5}));
}

// ---- errors: each message names the file and the field ----

TEST(NpyReader, RejectsAnIntegerArrayWhereRealsAreExpected) {
  ScratchDir dir;
  const std::string path = dir.file("ints.npy");
  write_bytes(path, npy_bytes("{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }",
                              raw_bytes(std::vector<std::int64_t>{1})));
  const std::string message = message_of<InputError>([&] { read_real_array(path, "brain.file"); });
  EXPECT_NE(message.find(path + " (brain.file)"), std::string::npos) << message;
  EXPECT_NE(message.find("expected dtype float32 or float64, found '<i8'"), std::string::npos)
      << message;
}

TEST(NpyReader, RejectsFloatsWhereIntegersAreExpected) {
  ScratchDir dir;
  const std::string path = dir.file("floats.npy");
  write_bytes(path, npy_bytes(kF8Matrix, raw_bytes(std::vector<double>(6, 0.0))));
  const std::string message =
      message_of<InputError>([&] { read_int_array(path, "permutations.file"); });
  EXPECT_NE(message.find(path + " (permutations.file)"), std::string::npos) << message;
  EXPECT_NE(message.find("expected an integer dtype"), std::string::npos) << message;
  EXPECT_NE(message.find("found '<f8' (float64)"), std::string::npos) << message;
}

TEST(NpyReader, RejectsBooleansAsNeitherRealNorInteger) {
  ScratchDir dir;
  const std::string path = dir.file("mask.npy");
  write_bytes(path, npy_bytes("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }",
                              std::string("\x01\x00", 2)));
  const std::string as_real = message_of<InputError>([&] { read_real_array(path, "a.b"); });
  const std::string as_int = message_of<InputError>([&] { read_int_array(path, "a.b"); });
  EXPECT_NE(as_real.find(path + " (a.b)"), std::string::npos) << as_real;
  EXPECT_NE(as_real.find("found '|b1' (bool)"), std::string::npos) << as_real;
  EXPECT_NE(as_int.find(path + " (a.b)"), std::string::npos) << as_int;
  EXPECT_NE(as_int.find("found '|b1' (bool)"), std::string::npos) << as_int;
}

TEST(NpyReader, RejectsATruncatedFileSayingHowManyBytesAreMissing) {
  // Arrange: the header promises 2 x 3 float64 = 48 bytes; only 5 doubles (40 bytes) follow.
  ScratchDir dir;
  const std::string path = dir.file("brain_rdms.npy");
  write_bytes(path, npy_bytes(kF8Matrix, raw_bytes(std::vector<double>(5, 1.0))));
  const std::string message = message_of<InputError>([&] { read_real_array(path, "brain.file"); });
  EXPECT_NE(message.find(path + " (brain.file): truncated: the header says 2 x 3 float64 = 48 " +
                         "bytes of data, the file holds 40"),
            std::string::npos)
      << message;
}

TEST(NpyReader, RejectsTrailingBytesAfterTheData) {
  ScratchDir dir;
  const std::string path = dir.file("long.npy");
  write_bytes(path, npy_bytes(kF8Matrix, raw_bytes(std::vector<double>(7, 1.0))));
  const std::string message = message_of<InputError>([&] { read_real_array(path, "brain.file"); });
  EXPECT_NE(message.find(path + " (brain.file): unexpected trailing data: the header says 2 x 3 " +
                         "float64 = 48 bytes of data, the file holds 56"),
            std::string::npos)
      << message;
}

TEST(NpyReader, RejectsAFileWithoutTheNpyMagic) {
  ScratchDir dir;
  const std::string path = dir.file("text.npy");
  write_bytes(path, "0.1,0.2,0.3\n0.4,0.5,0.6\n");
  const std::string message = message_of<InputError>([&] { read_real_array(path, "brain.file"); });
  EXPECT_NE(message.find(path + " (brain.file): not a .npy file"), std::string::npos) << message;
}

TEST(NpyReader, RejectsAnEmptyFile) {
  ScratchDir dir;
  const std::string path = dir.file("empty.npy");
  write_bytes(path, "");
  const std::string message = message_of<InputError>([&] { read_int_array(path, "p.file"); });
  EXPECT_NE(message.find(path + " (p.file): not a .npy file"), std::string::npos) << message;
}

TEST(NpyReader, RejectsAnUnknownFormatVersion) {
  ScratchDir dir;
  const std::string path = dir.file("v4.npy");
  std::string bytes = npy_bytes(kF8Matrix, raw_bytes(std::vector<double>(6, 1.0)));
  bytes[6] = '\x04';
  write_bytes(path, bytes);
  const std::string message = message_of<InputError>([&] { read_real_array(path, "brain.file"); });
  EXPECT_NE(message.find(path + " (brain.file): unsupported .npy format version 4.0; expected " +
                         "1.0, 2.0 or 3.0"),
            std::string::npos)
      << message;
}

TEST(NpyReader, RejectsAHeaderLongerThanTheFile) {
  ScratchDir dir;
  const std::string path = dir.file("cut.npy");
  write_bytes(path, npy_bytes(kF8Matrix, "").substr(0, 40));
  const std::string message = message_of<InputError>([&] { read_real_array(path, "brain.file"); });
  EXPECT_NE(message.find(path + " (brain.file): truncated: the prefix says the .npy header is"),
            std::string::npos)
      << message;
}

TEST(NpyReader, RejectsAnUnparsableHeaderQuotingIt) {
  ScratchDir dir;
  const std::string path = dir.file("bad.npy");
  write_bytes(path, npy_bytes("{'descr': '<f8', 'fortran_order': Maybe, 'shape': (1,), }",
                              raw_bytes(std::vector<double>{1})));
  const std::string message = message_of<InputError>([&] { read_real_array(path, "brain.file"); });
  EXPECT_NE(message.find(path + " (brain.file): cannot parse the .npy header \"{'descr'"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("expected True or False for 'fortran_order'"), std::string::npos)
      << message;
}

TEST(NpyReader, RejectsAHeaderWithoutAShape) {
  ScratchDir dir;
  const std::string path = dir.file("noshape.npy");
  write_bytes(path, npy_bytes("{'descr': '<f8', 'fortran_order': False}",
                              raw_bytes(std::vector<double>{1})));
  const std::string message = message_of<InputError>([&] { read_real_array(path, "brain.file"); });
  EXPECT_NE(message.find(path + " (brain.file)"), std::string::npos) << message;
  EXPECT_NE(message.find("the header has no 'shape'"), std::string::npos) << message;
}

TEST(NpyReader, RejectsStructuredDtypes) {
  ScratchDir dir;
  const std::string path = dir.file("rec.npy");
  write_bytes(path, npy_bytes("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (1,), }",
                              raw_bytes(std::vector<double>{1})));
  const std::string message = message_of<InputError>([&] { read_real_array(path, "brain.file"); });
  EXPECT_NE(message.find(path + " (brain.file)"), std::string::npos) << message;
  EXPECT_NE(message.find("structured dtypes"), std::string::npos) << message;
}

TEST(NpyReader, RejectsUnsignedValuesBeyondInt64) {
  // 2^64 - 1 is np.iinfo(np.uint64).max, which int64 cannot hold.
  ScratchDir dir;
  const std::string path = dir.file("huge.npy");
  write_bytes(path, npy_bytes("{'descr': '<u8', 'fortran_order': False, 'shape': (2,), }",
                              raw_bytes(std::vector<std::uint64_t>{1, ~0ULL})));
  const std::string message = message_of<InputError>([&] { read_int_array(path, "p.file"); });
  EXPECT_NE(message.find(path + " (p.file): value 18446744073709551615 at element 1 does not " +
                         "fit in int64"),
            std::string::npos)
      << message;
}

TEST(NpyReader, RejectsAMissingFile) {
  ScratchDir dir;
  const std::string path = dir.file("nowhere.npy");
  const std::string message = message_of<InputError>([&] { read_real_array(path, "brain.file"); });
  EXPECT_NE(
      message.find(path + " (brain.file): cannot open '" + path + "': No such file or directory"),
      std::string::npos)
      << message;
}

TEST(NpyReader, RejectsAFolderNamedLikeAFile) {
  ScratchDir dir;
  const std::string path = dir.file("folder.npy");
  std::filesystem::create_directory(path);
  const std::string message = message_of<InputError>([&] { read_real_array(path, "brain.file"); });
  EXPECT_NE(message.find(path + " (brain.file): cannot open '" + path + "': it is a directory"),
            std::string::npos)
      << message;
}

}  // namespace
}  // namespace permrsa
