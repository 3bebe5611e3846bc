// Deterministic synthetic data with planted effects, written to a folder (`permrsa simulate`):
// brain and model RDMs with a runnable config, or EEG epochs for `permrsa rdm`.
#pragma once

#include <cstdint>
#include <string>

namespace permrsa {

struct SimulationOptions {
  std::uint64_t seed = 7;
  std::size_t stimuli = 24, layers = 6, times = 120;  // S, L, T
  bool epochs = false;  // epochs (one HDF5 file per subject) instead of RDMs
  std::size_t subjects = 3, channels = 32, trials = 20;  // epochs: N, channels, trials per stimulus
  double onset = 0.1;                                    // epochs: planted onset, seconds
};

// Creates `folder` and writes the data set (and, for RDMs, `config_text` as config.toml beside
// it). InputError for sizes that cannot be (an empty axis, more than 4 GiB in memory).
void write_simulation(const SimulationOptions& options, const std::string& folder,
                      const std::string& config_text);

}  // namespace permrsa
