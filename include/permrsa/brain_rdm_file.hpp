// The HDF5 file `permrsa rdm` writes (and `permrsa run` reads as brain RDMs):
//   /rdms       float64 (N, P, T), or (P, T) for one subject; condensed pairs like squareform
//   /mean       float64 (P, T), the mean over subjects (in subject order)
//   /axes/time  float64 (T,), seconds
//   /stimuli    strings (S,), the name of each RDM row: the epochs' event names (/event_names),
//               else the label as text; `permrsa run` checks them against the models' names
//   /stimulus_labels  int64 (S,), the label value of each RDM row (sorted)
//   /folds      int32, the fold of every trial: (trials,) for one subject, (N, max trials)
//               for several (padded with -1)
//   /subjects   strings (N,), the data source of each subject
//   root attributes: provenance (method, options, fold rule, version, command line)
// Written to "<path>.partial" and renamed, so a failed run never leaves a complete-looking file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace permrsa {

struct BrainRdmFile {
  std::size_t subjects = 0, pairs = 0, times = 0;
  std::vector<double> rdms;  // N x P x T, C order
  std::vector<double> time;
  std::vector<std::int64_t> stimuli;
  std::vector<std::string> stimulus_names;       // S
  std::vector<std::vector<std::int32_t>> folds;  // per subject
  std::vector<std::string> subject_sources;
  std::vector<std::pair<std::string, std::string>> text_attributes;
  std::vector<std::pair<std::string, std::int64_t>> integer_attributes;
};

// RuntimeFailure when the file cannot be written.
void write_brain_rdm_file(const std::string& path, const BrainRdmFile& file);

// `permrsa rdm --decision-values`: one subject's LDA decision values, /decision (P, T, trials)
// float64, with /folds (int32) and /labels (int64) per trial.
void write_decision_values(const std::string& path, const std::vector<double>& decisions,
                           std::size_t pairs, std::size_t times,
                           const std::vector<std::int32_t>& folds,
                           const std::vector<std::int64_t>& labels);

}  // namespace permrsa
