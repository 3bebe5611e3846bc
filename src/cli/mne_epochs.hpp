// `permrsa rdm --epochs x-epo.fif`: MNE-Python epochs files, converted by the Python module
// permrsa.from_mne (python/permrsa/from_mne.py) into HDF5 epochs files in a temporary folder,
// which `permrsa rdm` then reads as any other. The folder lives as long as this object.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace permrsa::cli {

bool is_mne_epochs_file(const std::string& path);  // *.fif or *.fif.gz

class ConvertedMneEpochs {
 public:
  ConvertedMneEpochs() = default;
  ConvertedMneEpochs(const ConvertedMneEpochs&) = delete;
  ConvertedMneEpochs& operator=(const ConvertedMneEpochs&) = delete;
  ~ConvertedMneEpochs();  // removes the temporary folder

  // `files` with every MNE file replaced by its converted HDF5 file, all converted by one run
  // of the module (which checks that they share channels, times and event names). InputError
  // naming the file for bad input, and, when Python or MNE-Python is not available, one that
  // says which command converts the files (`typed`: the --epochs values, for that command).
  std::vector<std::string> convert(const std::vector<std::string>& files,
                                   const std::vector<std::string>& typed);

  // `text` with each converted file's path replaced by "<its .fif> (converted)", so that
  // messages name the file the user gave.
  std::string with_original_names(std::string text) const;
  // The .fif file behind a converted source ("tmp/x_epochs.h5:/data"), else `source` itself.
  std::string original_source(const std::string& source) const;

 private:
  std::filesystem::path dir_;
  std::vector<std::pair<std::string, std::string>> converted_;  // (HDF5 file, .fif file)
};

}  // namespace permrsa::cli
