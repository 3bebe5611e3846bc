#include "cli/mne_epochs.hpp"

#include <spdlog/spdlog.h>
#include <stdlib.h>  // mkdtemp

#include <cerrno>
#include <fstream>
#include <sstream>
#include <system_error>

#include "cli/python_module.hpp"
#include "permrsa/error.hpp"

namespace permrsa::cli {
namespace {

constexpr const char* kModule = "permrsa.from_mne";
// permrsa.from_mne's exit codes (its docstring): 2 bad input, 3 MNE-Python not importable;
// 127 is run_python_module's "interpreter not found".
constexpr int kModuleInputError = 2, kModuleNoMne = 3, kCannotRun = 127;

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The module's last stderr line without its "permrsa.from_mne: error: " prefix.
std::string last_message(const std::string& err) {
  std::string line;
  std::istringstream lines(err);
  for (std::string l; std::getline(lines, l);)
    if (!l.empty()) line = l;
  for (const std::string prefix :
       {"permrsa.from_mne: error: ", "permrsa.from_mne: failed: ", "permrsa: failed: "})
    if (line.rfind(prefix, 0) == 0) return line.substr(prefix.size());
  return line;
}

std::string quoted_if_glob(const std::string& s) {
  return s.find_first_of("*?[ ") == std::string::npos ? s : "'" + s + "'";
}

}  // namespace

bool is_mne_epochs_file(const std::string& path) {
  return ends_with(path, ".fif") || ends_with(path, ".fif.gz");
}

ConvertedMneEpochs::~ConvertedMneEpochs() {
  if (dir_.empty()) return;
  std::error_code ignored;  // a destructor never throws; a leftover temp folder is harmless
  std::filesystem::remove_all(dir_, ignored);
}

std::vector<std::string> ConvertedMneEpochs::convert(const std::vector<std::string>& files,
                                                     const std::vector<std::string>& typed) {
  std::vector<std::string> fif;
  for (const auto& f : files)
    if (is_mne_epochs_file(f)) fif.push_back(f);
  if (fif.empty()) return files;

  std::string pattern = (std::filesystem::temp_directory_path() / "permrsa-rdm-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr)
    throw RuntimeFailure(
        "--epochs: cannot create a temporary folder for the converted MNE "
        "epochs in " +
        std::filesystem::temp_directory_path().string() + ": " +
        std::error_code(errno, std::generic_category()).message());
  dir_ = pattern;
  const auto manifest = dir_ / "manifest.txt", err = dir_ / "stderr.txt";
  std::vector<std::string> args = fif;
  args.insert(args.end(), {"--out-dir", dir_.string(), "--manifest", manifest.string()});
  args.push_back("--quiet");
  PythonRedirects redirects;
  redirects.discard_stdout = true;
  redirects.stderr_file = err.string();
  const int status = run_python_module(kModule, args, redirects);
  const std::string stderr_text = read_text(err);
  if (status == kModuleInputError) throw InputError(last_message(stderr_text));
  const bool unavailable = status == kModuleNoMne || status == kCannotRun ||
                           stderr_text.find("No module named") != std::string::npos;
  if (unavailable) {
    std::string given;
    for (const auto& t : typed)
      if (is_mne_epochs_file(t)) given.append(" ").append(quoted_if_glob(t));
    throw InputError(
        fif.front() + ": MNE-Python epochs: permrsa rdm converts them by running " +
        python_interpreter() + " -m " + kModule + ", which is not available here (" +
        last_message(stderr_text) + "). Convert them where MNE-Python is installed: python3 -m " +
        kModule + given +
        " --out-dir epochs/ ; then: permrsa rdm --epochs 'epochs/*_epochs.h5' "
        "... (or set PERMRSA_PYTHON to a Python with MNE-Python and PERMRSA_PYTHONPATH to the "
        "folder that holds the permrsa package)");
  }
  if (status != 0)
    throw RuntimeFailure(python_interpreter() + " -m " + kModule + " failed (exit " +
                         std::to_string(status) + "): " + last_message(stderr_text));

  std::vector<std::string> outputs;
  std::istringstream lines(read_text(manifest));
  for (std::string l; std::getline(lines, l);)
    if (!l.empty()) outputs.push_back(l);
  if (outputs.size() != fif.size())
    throw InternalError(std::string(kModule) + " listed " + std::to_string(outputs.size()) +
                        " converted files for " + std::to_string(fif.size()) + " inputs");
  std::vector<std::string> out;
  std::size_t next = 0;
  for (const auto& f : files) {
    if (!is_mne_epochs_file(f)) {
      out.push_back(f);
      continue;
    }
    converted_.emplace_back(outputs[next], f);
    out.push_back(outputs[next++]);
  }
  spdlog::info("converted {} MNE epochs file(s) with {} -m {}", fif.size(), python_interpreter(),
               kModule);
  return out;
}

std::string ConvertedMneEpochs::with_original_names(std::string text) const {
  for (const auto& [h5, fif] : converted_) {
    const std::string replacement = fif + " (converted)";
    for (auto at = text.find(h5); at != std::string::npos;
         at = text.find(h5, at + replacement.size()))
      text.replace(at, h5.size(), replacement);
  }
  return text;
}

std::string ConvertedMneEpochs::original_source(const std::string& source) const {
  for (const auto& [h5, fif] : converted_)
    if (source == h5 || source.rfind(h5 + ":", 0) == 0) return fif;
  return source;
}

}  // namespace permrsa::cli
