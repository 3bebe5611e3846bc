// write_npy / write_npy_int: the bytes follow numpy/lib/format.py (version 1.0, '<f8'/'<i8',
// C order, header padded so the data starts at a multiple of 64 bytes).
#include <gtest/gtest.h>

#include <filesystem>

#include "permrsa/array_io.hpp"
#include "permrsa/error.hpp"
#include "test_io_support.hpp"

namespace permrsa {
namespace {

using test::message_of;
using test::read_bytes;
using test::ScratchDir;

TEST(NpyWriter, WritesTheHeaderNumpyWrites) {
  // Expected: np.save(f, np.zeros((2, 3))) writes this dict, padded with spaces to 128 bytes.
  ScratchDir dir;
  write_npy(dir.file("z.npy"), RealArray{{2, 3}, std::vector<double>(6, 0.0), ""});
  const std::string bytes = read_bytes(dir.file("z.npy"));
  const std::string dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }";
  ASSERT_EQ(bytes.size(), 128u + 48u);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  EXPECT_EQ(static_cast<unsigned char>(bytes[8]) + 256 * static_cast<unsigned char>(bytes[9]), 118);
  EXPECT_EQ(bytes.substr(10, dict.size()), dict);
  EXPECT_EQ(bytes[127], '\n');
  for (const auto& entry : std::filesystem::directory_iterator(dir.file("")))
    EXPECT_EQ(entry.path().filename(), "z.npy");  // no temporary left beside it
}

TEST(NpyWriter, RoundTripsRealArraysOfAnyRank) {
  ScratchDir dir;
  const std::vector<RealArray> arrays = {
      {{}, {3.5}, ""}, {{4}, {1, -2, 3e-300, 4}, ""}, {{2, 1, 3}, {1, 2, 3, 4, 5, 6}, ""}};
  for (const RealArray& array : arrays) {
    write_npy(dir.file("a.npy"), array);
    const RealArray back = read_real_array(dir.file("a.npy"), "x");
    EXPECT_EQ(back.shape, array.shape);
    EXPECT_EQ(back.values, array.values);
  }
}

TEST(NpyWriter, RoundTripsInt64Arrays) {
  ScratchDir dir;
  const IntArray perms{{2, 3}, {0, 1, 2, 2, 0, 1}, ""};
  write_npy_int(dir.file("p.npy"), perms);
  EXPECT_EQ(read_bytes(dir.file("p.npy")).substr(10, 15), "{'descr': '<i8'");
  const IntArray back = read_int_array(dir.file("p.npy"), "permutations.file");
  EXPECT_EQ(back.shape, perms.shape);
  EXPECT_EQ(back.values, perms.values);
}

TEST(NpyWriter, ReportsAnUnwritableFolderAsARuntimeFailure) {
  ScratchDir dir;
  const std::string path = dir.file("missing/out.npy");
  const std::string message = message_of<RuntimeFailure>([&] {
    write_npy(path, RealArray{{1}, {1.0}, ""});
  });
  const std::string start = path + ": cannot create the temporary file " + path + ".tmp-";
  EXPECT_EQ(message.substr(0, start.size()), start) << message;
  EXPECT_NE(message.find(": No such file or directory"), std::string::npos) << message;
}

TEST(NpyWriter, TreatsValuesThatDoNotMatchTheShapeAsABug) {
  ScratchDir dir;
  const std::string message = message_of<InternalError>([&] {
    write_npy(dir.file("bad.npy"), RealArray{{2, 2}, {1.0}, ""});
  });
  EXPECT_NE(message.find("1 values for a shape of 2 x 2"), std::string::npos) << message;
}

}  // namespace
}  // namespace permrsa
