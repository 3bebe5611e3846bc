#include "permrsa/runtime.hpp"

#include <sched.h>
#include <spdlog/spdlog.h>
#include <tbb/global_control.h>

#include <cstdlib>
#include <optional>
#include <string>

#include "permrsa/error.hpp"
#ifdef PERMRSA_WITH_MPI
#include <boost/mpi/environment.hpp>

#include "dist/mpi/mpi_communicator.hpp"
#endif

namespace permrsa {

#ifdef PERMRSA_WITH_MPI
struct Runtime::Mpi {
  boost::mpi::environment env;
  Mpi(int& argc, char**& argv) : env(argc, argv, boost::mpi::threading::funneled, false) {
    if (env.thread_level() < boost::mpi::threading::funneled)
      throw RuntimeFailure("MPI: the library provides no MPI_THREAD_FUNNELED support");
  }
};
#else
struct Runtime::Mpi {};
#endif

struct Runtime::Threads {
  std::optional<tbb::global_control> control;
};

bool launched_by_mpi() {
  if (const char* forced = std::getenv("PERMRSA_MPI")) return std::string(forced) == "1";
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
    if (std::getenv(var)) return true;
  return false;
}

Runtime::Runtime(int& argc, char**& argv) : threads_(std::make_unique<Threads>()) {
#ifdef PERMRSA_WITH_MPI
  if (launched_by_mpi()) {
    mpi_ = std::make_unique<Mpi>(argc, argv);
    world_ = make_mpi_world_communicator();
    return;
  }
#else
  (void)argc;
  (void)argv;
#endif
  world_ = make_serial_communicator();
}

Runtime::~Runtime() {
  world_.reset();  // communicators go before MPI_Finalize
  threads_.reset();
  mpi_.reset();
}

namespace {

// CPUs this process may run on (the affinity mask that mpirun, srun or taskset set); 0 if unknown.
int cpus_allowed() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return 0;
  return CPU_COUNT(&set);
}

}  // namespace

void Runtime::set_threads(int threads) {
  threads_->control.reset();
  if (threads <= 0) return;
  threads_->control.emplace(tbb::global_control::max_allowed_parallelism,
                            static_cast<std::size_t>(threads));
  // Open MPI binds each rank to one core when it starts at most two ranks: `mpirun -n 1
  // permrsa ... --threads 2` then runs both threads on one core, at half the speed.
  const int cpus = cpus_allowed();
  if (cpus > 0 && threads > cpus && world_->rank() == 0)
    spdlog::warn(
        "--threads {} is more than the {} CPU(s) this process may run on (its affinity mask, "
        "set by mpirun, srun or taskset), so threads will share CPUs. Give each rank its cores: "
        "mpirun --map-by slot:PE={} (or --bind-to none); srun/sbatch --cpus-per-task={}",
        threads, cpus, threads, threads);
}

}  // namespace permrsa
