// Runs in pieces (README "Slurm"): a Slurm array task's shard of 0..K, the two stages of the
// permutation-p threshold, checkpoints that a killed run resumes from, and the merge of the
// shards into the results file one run writes, bit for bit. The files themselves are the
// engine's business; these functions read, check and write them.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "permrsa/communicator.hpp"
#include "permrsa/engine.hpp"
#include "permrsa/null_state.hpp"

namespace permrsa {

// What `permrsa run` is asked for beyond the whole analysis.
struct RunRequest {
  std::string permutations;  // "A:B" or "I/N": the shard's range of 0..K (with shard_out)
  std::string shard_out;     // write the shard here instead of the results
  std::string pass1_from;    // the second stage: the merged pass-1 file
  std::string checkpoint;    // save progress here, and resume from it when it exists
  double checkpoint_seconds = 60;
  std::int64_t checkpoint_every = 0;
};

// The run options a request makes: the passes' ranges and the resumed state, checked against
// the analysis (a file of another analysis, K or range is an InputError). Collective: agreed.
struct PlannedRun {
  RunOptions options;
  std::optional<NullState> resume;  // options.resume points here
  bool resumes_checkpoint = false;
  bool stage2 = false;
  bool two_pass = false;
};
PlannedRun plan_run(const PreparedAnalysis& a, const EngineOptions& engine,
                    const RunRequest& request, const Communicator& world);

// Saves a checkpoint of the analysis (rank 0 calls it with the whole state).
void save_checkpoint(const PreparedAnalysis& a, const std::string& path, const NullState& state);

// Writes the result's state as the request's shard (rank 0 writes; agreed).
void write_shard(const PreparedAnalysis& a, const AnalysisResult& result, const PlannedRun& plan,
                 const RunRequest& request, const Communicator& world);

// The shards added up: InputError naming the shards and ranges at fault when they do not cover
// 0..K exactly once, or come from different analyses.
struct MergedShards {
  NullState state;
  std::string config;  // the analysis's resolved config (without output.file)
  std::string inputs;  // "key=sha256;..." of its input files
  std::uint64_t seed = 0;
  std::string version;  // of the permrsa that wrote the shards
  std::string first;    // the first shard's name, for messages
  bool demo() const { return inputs == "embedded-demo"; }
};
MergedShards merge_shard_files(const std::vector<std::string>& paths);
// Pass 1 of the permutation-p threshold only: the file the second array reads (rank 0; agreed).
void write_pass1_file(const MergedShards& merged, const std::string& path,
                      const Communicator& world);
// The specification the shards were computed with, writing to `out`.
RunSpec merged_spec(const MergedShards& merged, const std::string& out);
// InputError when the analysis's inputs changed since the shards were computed.
void check_merged_inputs(const MergedShards& merged, const PreparedAnalysis& a);

}  // namespace permrsa
