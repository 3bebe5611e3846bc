// What `run` and `merge` share: from a RunSpec to the design, grid and problem of this rank
// (every input error agreed by all ranks before any heavy work), and from a result to the
// results file.
#pragma once

#include <string>

#include "permrsa/analysis_spec.hpp"
#include "permrsa/communicator.hpp"
#include "permrsa/null_state_file.hpp"
#include "permrsa/permutation_analysis.hpp"
#include "permrsa/process_grid.hpp"
#include "permrsa/rsa_problem.hpp"

namespace permrsa::cli {

struct GridOptions {
  std::size_t batch_size = 64;
  std::string grid;         // "DxG" or empty (automatic)
  std::string block_shape;  // "LBxTB" or empty
  double memory_per_rank_gib = 2.0;
};

struct PreparedAnalysis {
  RunSpec spec;
  bool demo = false;
  ProblemShape shape;
  NullDesign design;
  ProcessGrid grid;
  RsaProblem problem;  // this rank's block
};

// Collective. `load_spec` runs inside the agreement (it may throw InputError), and then
// `check_outputs` with the spec: before anything is read, so that a bad output location is
// found in the first second (cli/output_checks.hpp).
PreparedAnalysis prepare_analysis(const std::function<RunSpec()>& load_spec, bool demo,
                                  const GridOptions& opt, const Communicator& world,
                                  const std::function<void(const RunSpec&)>& check_outputs);

// What a shard or checkpoint of this analysis must carry to be merged or resumed.
NullStateOrigin origin_of(const PreparedAnalysis& a);

RunOptions run_options_for(const PreparedAnalysis& a, const GridOptions& opt);

// Noise ceiling and bootstrap, the results file, the closing log lines. Collective.
void finish_and_write(const PreparedAnalysis& a, AnalysisResult& result, const std::string& path,
                      const Communicator& world);

}  // namespace permrsa::cli
