// The MATLAB .mat reader: its framing check, then matio, for the variable "x" the seed corpus
// holds. fuzz_mat fuzzes v4 and v5 (plain and compressed); a v7.3 file is HDF5, whose own
// parser raw mutations mostly exercise, so v7.3 inputs are skipped there and fuzzed by
// fuzz_hdf5 instead. replay_mat (PERMRSA_FUZZ_V73) reads them too, on regressions/mat.
#include <string>

#include "fuzz_support.hpp"
#include "permrsa/array_io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace permrsa;
#ifndef PERMRSA_FUZZ_V73
  // A v5/v7.3 header ends with the version (0x0200 for v7.3) and "IM" or "MI".
  if (size >= 128 && ((data[124] == 0x00 && data[125] == 0x02 && data[126] == 'I') ||
                      (data[124] == 0x02 && data[125] == 0x00 && data[126] == 'M')))
    return 0;
#endif
  static const std::string path = fuzz::scratch_file(".mat");
  fuzz::write_file(path, data, size);
  const std::string spec = path + ":x";
  fuzz::expect_clean([&] { read_array_shape(spec, "brain.file"); });
  fuzz::expect_clean([&] { read_real_array(spec, "brain.file"); });
  fuzz::expect_clean([&] { read_int_array(spec, "analysis.permutation_file"); });
  return 0;
}
