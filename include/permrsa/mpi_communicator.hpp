// For host programs that run MPI themselves (optional: the only public header that includes
// <mpi.h>; the library never decides on its own that it owns MPI_COMM_WORLD). Hand permrsa the
// communicator its ranks should use, as Arbor's make_context(resources, comm) takes one.
#pragma once

#include <mpi.h>

#include <memory>

#include "permrsa/communicator.hpp"

namespace permrsa {

// A Communicator over `comm` (attached, not owned: the host frees it). MPI must be initialised
// with at least MPI_THREAD_FUNNELED.
std::unique_ptr<Communicator> make_communicator(MPI_Comm comm);

}  // namespace permrsa
