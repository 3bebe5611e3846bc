// PageBuffer (numeric/page_buffer.hpp): zero-filled, writable over every byte asked for, and from
// 2 MB on starting at a 2 MB boundary, so that transparent huge pages can back all of it. The
// expected values are the class's own promises: zeros from mmap, the 2 MB boundary from its
// header, and a moved-from buffer that owns nothing.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <new>
#include <string>
#include <utility>

#include "numeric/page_buffer.hpp"

namespace permrsa {
namespace {

constexpr std::size_t kTwoMegabytes = std::size_t{2} << 20;

TEST(PageBuffer, ZeroedWritableAndAlignedFromTwoMegabytes) {
  for (const std::size_t bytes : {std::size_t{1}, std::size_t{4096}, kTwoMegabytes - 1,
                                  kTwoMegabytes, 5 * kTwoMegabytes + 123}) {
    SCOPED_TRACE("bytes = " + std::to_string(bytes));
    const PageBuffer buffer(bytes);
    ASSERT_NE(buffer.as<unsigned char>(), nullptr);
    EXPECT_EQ(buffer.bytes(), bytes);
    const auto* p = buffer.as<unsigned char>();
    if (bytes >= kTwoMegabytes) {
      EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % kTwoMegabytes, 0U);
    }
    // Zeros at both ends and in the middle; then every byte written and read back.
    EXPECT_EQ(p[0], 0);
    EXPECT_EQ(p[bytes / 2], 0);
    EXPECT_EQ(p[bytes - 1], 0);
    std::memset(buffer.as<unsigned char>(), 0xa5, bytes);
    EXPECT_EQ(p[0], 0xa5);
    EXPECT_EQ(p[bytes - 1], 0xa5);
  }
}

TEST(PageBuffer, MovesOwnership) {
  PageBuffer a(3 * kTwoMegabytes);
  a.as<std::uint64_t>()[0] = 42;
  PageBuffer b(std::move(a));
  EXPECT_EQ(a.as<void>(), nullptr);  // NOLINT(bugprone-use-after-move): moved-from is empty
  EXPECT_EQ(a.bytes(), 0U);
  EXPECT_EQ(b.as<std::uint64_t>()[0], 42U);
  PageBuffer c(4096);
  c = std::move(b);
  EXPECT_EQ(c.bytes(), 3 * kTwoMegabytes);
  EXPECT_EQ(c.as<std::uint64_t>()[0], 42U);
  const PageBuffer empty(0);
  EXPECT_EQ(empty.as<void>(), nullptr);
}

// A size that cannot be rounded up to whole 2 MB pages is refused as mmap refuses any size too
// large: std::bad_alloc, not a wrapped-around small mapping.
TEST(PageBuffer, RefusesSizesBeyondTheAddressSpace) {
  EXPECT_THROW(PageBuffer(std::numeric_limits<std::size_t>::max()), std::bad_alloc);
  EXPECT_THROW(PageBuffer(std::numeric_limits<std::size_t>::max() - kTwoMegabytes), std::bad_alloc);
}

}  // namespace
}  // namespace permrsa
