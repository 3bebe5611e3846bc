// The HDF5 array reader ("file.h5:/x") and the string reader ("file.h5:/names") that the seed
// corpus's files hold.
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
