// Validated inputs of one analysis: what the statistics see, whatever the files were.
#pragma once

#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "permrsa/analysis_spec.hpp"
#include "permrsa/matrix.hpp"
#include "permrsa/ndarray.hpp"
#include "permrsa/permutations.hpp"
#include "permrsa/process_grid.hpp"

namespace permrsa {

// The brain side of a problem, in one of three forms (only the block's time points):
struct GroupRdms {  // one group RDM per time point: P x block.times()
  Matrix<double> rdms;
};
struct SubjectRdms {  // per-subject RDMs: N x (P x block.times())
  std::vector<Matrix<double>> rdms;
};
struct SubjectMaps {  // per-subject model-brain maps given as input (brain.layout =
  // subjects-layers-time): N x block cells, cell (l, t) of the block at l * block.times() + t
  std::vector<double> maps;
  std::size_t subjects = 0;
};
using BrainData = std::variant<GroupRdms, SubjectRdms, SubjectMaps>;

// Covariate RDMs partialled out of every model-brain correlation (config [covariates]): q x P
// dissimilarities over all pairs (no data block splits them), their names, and which
// definition of the partial value the statistics use. None when rdms has no rows.
struct CovariateRdms {
  Matrix<double> rdms;
  std::vector<std::string> names;
  CovariateMethod method = CovariateMethod::formula;
  CovariatePermute permute = CovariatePermute::model;
  bool any() const { return rdms.rows() > 0; }
};

// One rank's view: the brain columns and model rows of its data block (all of them in a serial
// run), with the full axes.
struct RsaProblem {
  BlockRange block;                 // the cells this rank holds
  BrainData brain;                  // baseline-corrected dissimilarities, or given maps
  Matrix<double> models;            // block.layers() x P dissimilarities (no columns with maps)
  std::vector<double> times;        // all T time points, seconds
  std::vector<std::string> layers;  // all L names (without the layers that are covariates)
  CovariateRdms covariates;         // none without [covariates]
  std::size_t stimuli = 0;          // S, with P = S(S-1)/2
  std::vector<std::string> stimulus_names;  // the brain's S names, when it has them
  std::vector<std::pair<std::string, std::string>> input_hashes;  // (config key, sha256)

  const GroupRdms* group() const { return std::get_if<GroupRdms>(&brain); }
  const SubjectRdms* subject_rdms() const { return std::get_if<SubjectRdms>(&brain); }
  const SubjectMaps* subject_maps() const { return std::get_if<SubjectMaps>(&brain); }
  bool has_rdms() const { return subject_maps() == nullptr; }
  // N (0 for group RDMs).
  std::size_t subject_count() const {
    if (const auto* s = subject_rdms()) return s->rdms.size();
    if (const auto* m = subject_maps()) return m->subjects;
    return 0;
  }
  // This block's time points (from the data: a problem built in memory may leave block unset).
  std::size_t time_count() const {
    if (const auto* g = group()) return g->rdms.cols();
    if (const auto* s = subject_rdms()) return s->rdms.empty() ? 0 : s->rdms.front().cols();
    return block.times();
  }
  std::size_t pair_count() const {
    if (const auto* g = group()) return g->rdms.rows();
    if (const auto* s = subject_rdms()) return s->rdms.empty() ? 0 : s->rdms.front().rows();
    return 0;
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
  RealArray covariates;             // q x P or q x S x S when spec.covariates.file is set
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
