#include <hdf5.h>

#include "io/h5_handles.hpp"
#include "permrsa/hdf5_library.hpp"

namespace permrsa {

Hdf5Library::Hdf5Library() {
  // Both must come before any other HDF5 call (H5dont_atexit has no effect afterwards).
  H5dont_atexit();
  open_ = H5open() >= 0;
  h5::silence_errors();
}

Hdf5Library::~Hdf5Library() {
  close();
}

void Hdf5Library::close() noexcept {
  if (!open_) return;
  open_ = false;
  if (!h5::a_file_failed_to_close()) H5close();
}

}  // namespace permrsa
