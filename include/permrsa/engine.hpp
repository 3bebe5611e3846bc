// The engine: one way from a run specification and its inputs (the files it names, arrays in
// memory, or the embedded demo) to the results, for `permrsa run`, `permrsa merge`, the Python
// module and any host program (README "Using permrsa as a library").
//
//   prepare  the inputs read and checked (every error agreed by all ranks, before any heavy
//            work), the null design, the process grid and this rank's block;
//   run      the permutations (or a shard of them), with checkpoints;
//   write    the noise ceiling and bootstrap, then the results file.
//
// Every function is collective over `world`: all of its ranks call it, in the same order.
#pragma once

#include <functional>
#include <string>
#include <variant>

#include "permrsa/analysis_spec.hpp"
#include "permrsa/communicator.hpp"
#include "permrsa/permutation_analysis.hpp"
#include "permrsa/process_grid.hpp"
#include "permrsa/rsa_problem.hpp"

namespace permrsa {

// How a run is spread and how much memory it may use. Results do not depend on any of these.
struct EngineOptions {
  std::size_t batch_size = 64;       // permutations per kernel call
  std::string grid;                  // "DxG": D data blocks x G permutation groups; "" automatic
  std::string block_shape;           // "LBxTB"; "" splits time first
  double memory_per_rank_gib = 2.0;  // steers the grid; K or B that cannot fit are refused
  std::string memory_option = "--memory-per-rank";  // how messages name the budget
};

// Where the inputs come from.
struct FilesInput {};    // the files the specification names
struct EmbeddedDemo {};  // the deterministic synthetic data set with planted effects
using AnalysisInput = std::variant<FilesInput, EmbeddedDemo, ProblemArrays>;

struct PreparedAnalysis {
  RunSpec spec;
  AnalysisInput input;
  ProblemShape shape;
  NullDesign design;
  ProcessGrid grid;
  RsaProblem problem;  // this rank's block
  bool demo() const { return std::holds_alternative<EmbeddedDemo>(input); }
};

// `load_spec` runs inside the first agreed step (it may throw InputError), then
// `check_outputs` with the specification: before any input is read.
PreparedAnalysis prepare_analysis(const std::function<RunSpec()>& load_spec,
                                  const AnalysisInput& input, const EngineOptions& options,
                                  const Communicator& world,
                                  const std::function<void(const RunSpec&)>& check_outputs = {});

// The run options of a prepared analysis: batch size, and the memory pass 1's maps may use.
RunOptions run_options_for(const PreparedAnalysis& a, const EngineOptions& options);

// The permutation analysis (`options` may ask for a shard, a resume or checkpoints).
AnalysisResult run_prepared(const PreparedAnalysis& a, const RunOptions& options,
                            const Communicator& world);

// The noise ceiling and the bootstrap, added to the result; warnings (e.g. the noise ceiling
// of one subject) are returned for the caller to show.
std::vector<std::string> summarize(const PreparedAnalysis& a, AnalysisResult& result,
                                   const Communicator& world);

// The results file, written under a temporary name and renamed when complete.
void write_results_file(const PreparedAnalysis& a, const AnalysisResult& result,
                        const std::string& path, const Communicator& world);

}  // namespace permrsa
