// The one place in io that sees MPI: the file-access list of a parallel-HDF5 file shared by the
// ranks of a communicator, which the results writer receives from dist (raw_mpi_comm).
#pragma once

#include <mpi.h>

#include <string>

#include "io/h5_handles.hpp"

namespace permrsa::h5 {

// MPI-IO driver over `comm`, metadata written collectively (H5Pset_coll_metadata_write).
PropList mpio_file_access(MPI_Comm comm, const std::string& path);

}  // namespace permrsa::h5
