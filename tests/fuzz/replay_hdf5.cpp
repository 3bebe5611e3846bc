// Raw bytes as an HDF5 file: the array reader ("file.h5:/x") and the names reader
// ("file.h5:/names"). Run by ctest on regressions/hdf5 only (each file once, -runs=0): damaged
// files that once crashed, hung or leaked permrsa, or that HDF5 mishandled in a way permrsa
// now defends against. Fuzzing raw HDF5 bytes finds mostly HDF5 1.10.8's own crashes, which
// permrsa cannot reach (see fuzz_hdf5.cpp and README.md).
#include <string>

#include "fuzz_support.hpp"
#include "permrsa/array_io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace permrsa;
  static const std::string path = fuzz::scratch_file(".h5");
  fuzz::write_file(path, data, size);
  const std::string spec = path + ":/x";
  fuzz::expect_clean([&] {
    const auto shape = read_array_shape(spec, "brain.file");
    if (shape.size() == 2 && shape[1] > 0)
      read_real_array_block(spec, "brain.file", 1, 0, shape[1] > 1 ? 2 : 1);
  });
  fuzz::expect_clean([&] { read_real_array(spec, "brain.file"); });
  fuzz::expect_clean([&] { read_int_array(spec, "analysis.permutation_file"); });
  fuzz::expect_clean([&] { read_names(path + ":/names", "models.names"); });
  return 0;
}
