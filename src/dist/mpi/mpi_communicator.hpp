// The MPI communicator (Boost.MPI). Only src/dist and the parallel HDF5 writer see MPI.
#pragma once

#include <mpi.h>

#include <memory>

#include "permrsa/communicator.hpp"

namespace permrsa {

// Wraps MPI_COMM_WORLD (MPI must be initialised, see Runtime).
std::unique_ptr<Communicator> make_mpi_world_communicator();

// The raw communicator behind an MPI Communicator (MPI_COMM_SELF for the serial one), for the
// parallel-HDF5 file-access property list.
MPI_Comm raw_mpi_comm(const Communicator& comm);

}  // namespace permrsa
