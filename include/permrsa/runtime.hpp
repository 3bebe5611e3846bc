// The one object at the top of main() that owns the parallel runtime (as deal.II's
// MPI_InitFinalize): it starts MPI when the process was launched by mpirun or srun (checking
// that the library gives at least MPI_THREAD_FUNNELED: only the main thread calls MPI, oneTBB
// workers never do), sets the TBB threads per rank, and finalises MPI when it goes out of scope,
// also while an exception unwinds.
#pragma once

#include <memory>

#include "permrsa/communicator.hpp"

namespace permrsa {

class Runtime {
 public:
  // threads: TBB worker threads per rank, 0 = all cores.
  Runtime(int& argc, char**& argv);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  const Communicator& world() const { return *world_; }
  bool distributed() const { return mpi_ != nullptr; }
  void set_threads(int threads);

 private:
  struct Mpi;
  struct Threads;
  std::unique_ptr<Mpi> mpi_;
  std::unique_ptr<Threads> threads_;
  std::unique_ptr<Communicator> world_;
};

// True when an MPI launcher started this process (Open MPI, PMIx/srun, PMI), or PERMRSA_MPI=1.
bool launched_by_mpi();

}  // namespace permrsa
