// Files that hold a NullState: the shard of a Slurm array task, the pass-1 file of the
// permutation-p threshold's two-stage pipeline, and a run's checkpoint. One HDF5 layout for
// all three (README "Slurm"), written by one process to a temporary name and renamed, so a
// file under its name is always complete.
#pragma once

#include <cstdint>
#include <string>

#include "permrsa/null_state.hpp"

namespace permrsa {

// What the state belongs to: merging or resuming needs all four to be equal.
struct NullStateOrigin {
  std::string config;  // the resolved config without output.file
  std::string inputs;  // "key=sha256;..." of every input file
  std::uint64_t seed = 0;
  std::string version;  // permrsa's
};

// "" when equal, else what differs ("seed 1 vs 2", "input files", ...).
std::string origin_mismatch(const NullStateOrigin& a, const NullStateOrigin& b);

struct NullStateFile {
  std::string kind;  // "shard", "pass1" or "checkpoint"
  NullStateOrigin origin;
  NullState state;
};

void write_null_state(const std::string& path, const NullStateFile& file);
// InputError naming the file when it is not a complete permrsa state file.
NullStateFile read_null_state(const std::string& path);

}  // namespace permrsa
