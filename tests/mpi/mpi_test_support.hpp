// Shared pieces of the MPI tests: the world communicator that main() set up, and a scratch
// folder that every rank of the job sees (made by rank 0, its path broadcast).
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

#include "permrsa/communicator.hpp"

namespace permrsa::test {

// The job's world communicator (the Runtime's): MPI under mpirun, serial otherwise.
const Communicator& world();

// A fresh folder under $TMPDIR for the whole job. Collective: every rank constructs and
// destroys it at the same point of the same test.
class SharedScratchDir {
 public:
  SharedScratchDir() {
    if (world().rank() == 0) {
      std::string pattern =
          (std::filesystem::temp_directory_path() / "permrsa-mpi-XXXXXX").string();
      if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
    }
    world().broadcast(path_, 0);
  }
  ~SharedScratchDir() {
    world().barrier();  // every rank is done with the files
    if (world().rank() == 0 && !path_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(path_, ignored);
    }
  }
  SharedScratchDir(const SharedScratchDir&) = delete;
  SharedScratchDir& operator=(const SharedScratchDir&) = delete;

  bool valid() const { return !path_.empty(); }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace permrsa::test
