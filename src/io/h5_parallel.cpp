#ifdef PERMRSA_WITH_MPI  // (the glob compiles every io source)
#include "io/h5_parallel.hpp"

#include "io/h5_detail.hpp"

#ifndef H5_HAVE_PARALLEL
#error "PERMRSA_WITH_MPI needs a parallel HDF5 build (Debian: libhdf5-openmpi-dev)"
#endif

namespace permrsa::h5 {

PropList mpio_file_access(MPI_Comm comm, const std::string& path) {
  using detail::check_id;
  using detail::check_status;
  PropList fapl(check_id(H5Pcreate(H5P_FILE_ACCESS), path, "", "create file access list"));
  check_status(H5Pset_fapl_mpio(fapl.get(), comm, MPI_INFO_NULL), path, "",
               "set the MPI-IO file driver");
  // Metadata goes out in one collective write at flush instead of from rank 0 alone.
  check_status(H5Pset_coll_metadata_write(fapl.get(), true), path, "",
               "set collective metadata writes");
  return fapl;
}

}  // namespace permrsa::h5
#endif  // PERMRSA_WITH_MPI
