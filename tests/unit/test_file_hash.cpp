// SHA-256 known answers from FIPS 180-2 (appendix B and C examples) and NIST's test vectors.
#include <gtest/gtest.h>

#include "permrsa/error.hpp"
#include "io/file_hash.hpp"
#include "test_io_support.hpp"

namespace permrsa {
namespace {

using test::message_of;
using test::ScratchDir;
using test::write_bytes;

TEST(FileHash, MatchesTheFipsKnownAnswerForAbc) {
  // FIPS 180-2, appendix B.1: SHA-256("abc").
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(FileHash, MatchesTheKnownAnswerForTheEmptyMessage) {
  // NIST CAVP SHAVS short messages, Len = 0.
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(FileHash, MatchesTheFipsKnownAnswerForTheTwoBlockMessage) {
  // FIPS 180-2, appendix B.2: the 448-bit message "abcdbcdecdef...nopq".
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(FileHash, HashesAFileLikeItsBytes) {
  ScratchDir dir;
  write_bytes(dir.file("abc.txt"), "abc");
  EXPECT_EQ(sha256_file(dir.file("abc.txt")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(FileHash, HashesAMillionAsFromAFile) {
  // FIPS 180-2, appendix B.3: one million repetitions of 'a'.
  ScratchDir dir;
  write_bytes(dir.file("a.bin"), std::string(1000000, 'a'));
  EXPECT_EQ(sha256_file(dir.file("a.bin")),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(FileHash, StreamsFilesLargerThanOneChunkToTheSameDigest) {
  // Expected: the digest of the same bytes hashed in one piece (the file is read in 1 MiB
  // chunks, so 3.5 MiB crosses several chunk boundaries).
  ScratchDir dir;
  std::string bytes(3 * 1024 * 1024 + 512 * 1024, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>((i * 131) % 251);
  write_bytes(dir.file("big.bin"), bytes);
  EXPECT_EQ(sha256_file(dir.file("big.bin")), sha256_hex(bytes));
}

TEST(FileHash, RejectsAMissingFileNamingIt) {
  ScratchDir dir;
  const std::string path = dir.file("brain_rdms.npy");
  const std::string message = message_of<InputError>([&] { sha256_file(path); });
  EXPECT_EQ(message, "cannot open '" + path + "' to hash it: No such file or directory");
}

TEST(FileHash, RejectsAFolder) {
  ScratchDir dir;
  const std::string message = message_of<InputError>([&] { sha256_file(dir.file("")); });
  EXPECT_NE(message.find("it is a directory, expected a file"), std::string::npos) << message;
}

}  // namespace
}  // namespace permrsa
