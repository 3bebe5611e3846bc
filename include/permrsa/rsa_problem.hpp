// Validated inputs of one analysis: what the statistics see, whatever the files were.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "permrsa/analysis_spec.hpp"
#include "permrsa/matrix.hpp"
#include "permrsa/ndarray.hpp"
#include "permrsa/permutations.hpp"
#include "permrsa/process_grid.hpp"

namespace permrsa {

// One rank's view: the brain columns and model rows of its data block (all of them in a serial
// run), with the full axes.
struct RsaProblem {
  BlockRange block;                  // the cells this rank holds
  Matrix<double> brain;              // P x block.times() dissimilarities (baseline-corrected)
  std::vector<Matrix<double>> subjects;  // per-subject data instead of `brain`: N x (P x block.times())
  Matrix<double> models;             // block.layers() x P dissimilarities
  std::vector<double> times;         // all T time points, seconds
  std::vector<std::string> layers;   // all L names
  std::size_t stimuli = 0;           // S, with P = S(S-1)/2
  std::vector<std::pair<std::string, std::string>> input_hashes;  // (config key, sha256)
  // Per-subject maps given as input (brain.layout = subjects-layers-time) instead of RDMs:
  // N x block cells, cell (l, t) of the block at l * block.times() + t. `models` then has
  // block.layers() rows and no columns.
  std::vector<double> subject_maps;
  std::size_t map_subjects = 0;

  std::size_t subject_count() const { return subjects.empty() ? map_subjects : subjects.size(); }
  bool has_rdms() const { return subject_maps.empty() && map_subjects == 0; }
  std::size_t time_count() const {  // this block's time points
    return !has_rdms() ? block.times() : subjects.empty() ? brain.cols() : subjects.front().cols();
  }
};

struct ProblemShape {
  std::size_t stimuli = 0, pairs = 0, layers = 0, times = 0;
  std::size_t subjects = 0;  // N for per-subject brain RDMs (or maps), 0 for one group RDM per time
  // pairs = stimuli = 0 when the input is per-subject maps (brain.layout = subjects-layers-time)
};

// The problem's dimensions from the files' headers (cheap), checked against each other.
ProblemShape probe_problem_shape(const RunSpec& spec);

// Reads and validates every input the spec names. Throws InputError (file, field, expected vs
// actual) for any bad input, before any heavy work.
// With a block, only the block's brain columns and model rows are kept (and only they, plus
// the baseline window, are read from .npy and HDF5 files).
RsaProblem load_problem(const RunSpec& spec);
RsaProblem load_problem(const RunSpec& spec, const BlockRange& block);

// Inputs held in memory (the Python bindings) instead of the files spec.brain.file and
// spec.models.file name; those names then label the arrays in messages.
struct ProblemArrays {
  RealArray brain;                  // as spec.brain.layout says: P x T, T x P or N x P x T
  RealArray models;                 // L x P condensed or L x S x S square
  std::vector<double> times;        // T seconds; empty: spec.brain.time_start/time_step
  std::vector<std::string> layers;  // L names; empty: layer_0..layer_{L-1}
};

// The same transformations (baseline, similarity, square to condensed) and checks as
// load_problem, with the same messages, on arrays in memory. Serial: the whole grid.
RsaProblem problem_from_arrays(const RunSpec& spec, const ProblemArrays& arrays);

// The permutations a spec asks for: the explicit file, exhaustive enumeration, or Philox.
PermutationSet load_permutations(const RunSpec& spec, std::size_t stimuli);

// Checks a problem built in memory (the embedded demo, tests, bindings) the same way.
void validate_problem(const RsaProblem& problem, const std::string& brain_name,
                      const std::string& models_name,
                      const std::vector<std::string>& subject_names = {});

}  // namespace permrsa
