// read_real_array / read_int_array: dispatch on the file's extension.
#include "io/source_readers.hpp"
#include "permrsa/array_io.hpp"
#include "permrsa/error.hpp"

namespace permrsa {

namespace {

[[noreturn]] void throw_unsupported_extension(const ArraySource& source, const std::string& what) {
  throw InputError(io::where(source, what) + ": unsupported file type; expected a .npy file, " +
                   "a MATLAB .mat file ('file.mat:variable') or an HDF5 .h5/.hdf5/.he5 file " +
                   "('file.h5:/group/dataset')");
}

}  // namespace

RealArray read_real_array(const std::string& spec, const std::string& what) {
  const ArraySource source = parse_array_source(spec, what);
  switch (io::container_of(source.file)) {
    case io::Container::npy:
      return io::read_npy_real(source, what);
    case io::Container::mat:
      return io::read_mat_real(source, what);
    case io::Container::hdf5:
      return io::read_hdf5_real(source, what);
    case io::Container::unknown:
      break;
  }
  throw_unsupported_extension(source, what);
}

IntArray read_int_array(const std::string& spec, const std::string& what) {
  const ArraySource source = parse_array_source(spec, what);
  switch (io::container_of(source.file)) {
    case io::Container::npy:
      return io::read_npy_int(source, what);
    case io::Container::mat:
      return io::read_mat_int(source, what);
    case io::Container::hdf5:
      return io::read_hdf5_int(source, what);
    case io::Container::unknown:
      break;
  }
  throw_unsupported_extension(source, what);
}

}  // namespace permrsa
