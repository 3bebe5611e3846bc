// The .npy reader: the header dict parser on the raw text, then the whole reader on the file
// (shape, float and integer reads, a block of columns).
#include <string>

#include "fuzz_support.hpp"
#include "io/npy_header.hpp"
#include "permrsa/array_io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace permrsa;
  try {
    io::parse_npy_header(std::string(reinterpret_cast<const char*>(data), size));
  } catch (const io::NpyHeaderError&) {
  }
  static const std::string path = fuzz::scratch_file(".npy");
  fuzz::write_file(path, data, size);
  fuzz::expect_clean([&] {
    const auto shape = read_array_shape(path, "brain.file");
    if (shape.size() == 2 && shape[1] > 0)
      read_real_array_block(path, "brain.file", 1, 0, shape[1] > 1 ? 2 : 1);
  });
  fuzz::expect_clean([&] { read_real_array(path, "brain.file"); });
  fuzz::expect_clean([&] { read_int_array(path, "analysis.permutation_file"); });
  return 0;
}
