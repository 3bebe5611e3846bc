// Where the real EEG x VGG16 data set (seed-eeg-vgg16) is, in the order tools/seed_data.py
// gives for the tests, benchmarks and examples: $PERMRSA_SEED_DATA when set (only it), else
// ../shared/data/seed-eeg-vgg16 beside the repository, else the folder tools/fetch_seed_data.py
// writes by default, ${XDG_CACHE_HOME:-~/.cache}/permrsa/seed-eeg-vgg16.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace permrsa {

inline constexpr const char* seed_data_variable = "PERMRSA_SEED_DATA";
inline constexpr const char* seed_data_fetch_command = "python3 tools/fetch_seed_data.py";

// ${XDG_CACHE_HOME:-~/.cache}/permrsa/seed-eeg-vgg16
std::string seed_data_cache_folder();

// The folders to look in, in order ($PERMRSA_SEED_DATA alone when it is set).
std::vector<std::string> seed_data_candidates(const std::string& beside_repository);

// The first candidate that holds brain_rdms.npy, if any.
std::optional<std::string> find_seed_data_folder(const std::string& beside_repository);

// "the real data set seed-eeg-vgg16 was not found (looked in ...); fetch it with ..."
std::string seed_data_missing_message(const std::string& beside_repository);

}  // namespace permrsa
