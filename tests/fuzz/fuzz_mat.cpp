// The MATLAB .mat reader (v4, v5 plain and compressed, v7.3): its framing check, then matio,
// for the variable "x" that the seed corpus holds.
#include <string>

#include "fuzz_support.hpp"
#include "permrsa/array_io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace permrsa;
  static const std::string path = fuzz::scratch_file(".mat");
  fuzz::write_file(path, data, size);
  const std::string spec = path + ":x";
  fuzz::expect_clean([&] { read_array_shape(spec, "brain.file"); });
  fuzz::expect_clean([&] { read_real_array(spec, "brain.file"); });
  fuzz::expect_clean([&] { read_int_array(spec, "analysis.permutation_file"); });
  return 0;
}
