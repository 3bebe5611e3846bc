// A team of ranks inside one process: each rank is a thread, and the collectives meet in shared
// memory. It is the real Communicator contract (same call order on every rank, rank-ordered
// gathers, splits by color and key) without MPI, so that C++ tests can run a grid of several
// data blocks and permutation groups in one process (as Arbor's dry-run context lets its tests
// pretend to be many ranks). Collectives sum and concatenate in rank order, as MPI does here.
#pragma once

#include <functional>

#include "permrsa/communicator.hpp"

namespace permrsa {

// Runs body(world) on `ranks` threads, world being that thread's rank of a team of `ranks`.
// Returns when every rank has returned. An exception escaping any rank ends the process with
// its message (the other ranks would wait in their next collective for ever).
void run_in_process(int ranks, const std::function<void(const Communicator& world)>& body);

}  // namespace permrsa
