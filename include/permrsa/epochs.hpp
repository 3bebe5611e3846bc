// EEG/MEG epochs of one subject: trials x channels x times, one integer stimulus label per trial
// and a time axis, read from
//   - HDF5: one file with /data (trials x channels x times), /labels (trials), /times (times);
//   - MATLAB .mat (v5 or v7.3): variables `data`, `labels`, `times`;
//   - .npy: the data file, with the labels and times given separately.
// Any of the three may be overridden by an explicit source ("file.npy", "file.h5:/ds",
// "file.mat:var"). Every check names the file, the field and expected vs found.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace permrsa {

struct EpochsSources {
  std::string data, labels, times;  // array sources, see array_io.hpp
};

// Resolves `--epochs FILE [--labels SRC] [--times SRC]` to the three sources. InputError when a
// .npy file comes without labels or times.
EpochsSources epochs_sources(const std::string& epochs, const std::string& labels,
                             const std::string& times);

// Everything about a subject's epochs except the data: cheap to read on every rank.
struct EpochsHeader {
  EpochsSources sources;
  std::size_t trials = 0, channels = 0, times = 0;
  std::vector<std::int64_t> labels;      // one per trial
  std::vector<std::string> event_names;  // one per trial (/event_names beside /labels), or none
  std::vector<double> time;              // seconds, one per time point
};

// Reads the labels, the time axis and the data's shape (not the data). InputError when the data
// are not 3-D, when trials, labels and times do not match, or when labels are not integers.
EpochsHeader read_epochs_header(const EpochsSources& sources);

// The data, float64, trials x channels x times in C order. InputError on NaN or Inf (naming the
// trial, channel and time index) or when the shape differs from the header's.
std::vector<double> read_epochs_data(const EpochsHeader& header);

// Writes one subject's epochs as the HDF5 file `permrsa rdm` reads: /data (float32, trials x
// channels x times), /labels (int64), /times (float64). RuntimeFailure when it cannot.
void write_epochs_file(const std::string& path, const std::vector<double>& data,
                       const std::vector<std::int64_t>& labels, const std::vector<double>& times,
                       std::size_t channels);

// The name of each stimulus label (sorted labels, as the RDM rows): the subjects' event names,
// which must give one name per label in every trial and every subject, else the label as text.
std::vector<std::string> stimulus_names(const std::vector<EpochsHeader>& subjects,
                                        const std::vector<std::int64_t>& stimuli);

// InputError unless every subject has the channels, time axis and stimulus label set of the
// first one (`names` label the subjects in messages).
void check_same_layout(const std::vector<EpochsHeader>& subjects);

}  // namespace permrsa
