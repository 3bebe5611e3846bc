#include "io/seed_data_folder.hpp"

#include <cstdlib>
#include <filesystem>

namespace permrsa {

namespace fs = std::filesystem;

namespace {
const char* nonempty_env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : nullptr;
}
}  // namespace

std::string seed_data_cache_folder() {
  fs::path base;
  if (const char* xdg = nonempty_env("XDG_CACHE_HOME"))
    base = xdg;
  else if (const char* home = nonempty_env("HOME"))
    base = fs::path(home) / ".cache";
  else
    base = ".cache";
  return (base / "permrsa" / "seed-eeg-vgg16").string();
}

std::vector<std::string> seed_data_candidates(const std::string& beside_repository) {
  if (const char* env = nonempty_env(seed_data_variable)) return {env};
  return {beside_repository, seed_data_cache_folder()};
}

std::optional<std::string> find_seed_data_folder(const std::string& beside_repository) {
  for (const auto& folder : seed_data_candidates(beside_repository)) {
    std::error_code ec;
    if (fs::is_regular_file(fs::path(folder) / "brain_rdms.npy", ec)) return folder;
  }
  return std::nullopt;
}

std::string seed_data_missing_message(const std::string& beside_repository) {
  std::string looked;
  for (const auto& folder : seed_data_candidates(beside_repository))
    looked += (looked.empty() ? "" : ", ") + folder;
  return std::string("the real data set seed-eeg-vgg16 was not found (looked in ") + looked +
         "); fetch it with `" + seed_data_fetch_command + "`, or set " + seed_data_variable +
         " to its folder";
}

}  // namespace permrsa
