#include "permrsa/output_location.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "permrsa/array_io.hpp"
#include "permrsa/error.hpp"

namespace permrsa {
namespace {

namespace fs = std::filesystem;

std::string named(const FileRole& f) {
  return f.path + " (" + f.role + ")";
}

// One file under two spellings: the same path once "." and ".." and symbolic links are resolved
// (as far as the path exists), or, for existing files, the same device and inode (hard links,
// bind mounts).
bool same_file(const std::string& a, const std::string& b) {
  std::error_code error_a, error_b;
  const fs::path resolved_a = fs::weakly_canonical(fs::absolute(a), error_a);
  const fs::path resolved_b = fs::weakly_canonical(fs::absolute(b), error_b);
  if (!error_a && !error_b && resolved_a == resolved_b) return true;
  struct stat stat_a {};
  struct stat stat_b {};
  return ::stat(a.c_str(), &stat_a) == 0 && ::stat(b.c_str(), &stat_b) == 0 &&
         stat_a.st_dev == stat_b.st_dev && stat_a.st_ino == stat_b.st_ino;
}

std::string kind_of(fs::file_type type) {
  switch (type) {
    case fs::file_type::directory:
      return "a folder";
    case fs::file_type::fifo:
      return "a FIFO";
    case fs::file_type::socket:
      return "a socket";
    case fs::file_type::block:
    case fs::file_type::character:
      return "a device";
    default:
      return "a special file";
  }
}

void check_one(const FileRole& out) {
  if (out.path.empty())
    throw InputError(out.role + ": expected a " + (out.folder ? "folder" : "file") +
                     " name, found an empty one");
  const fs::path parent = fs::absolute(fs::path(out.path)).parent_path();
  if (!fs::is_directory(parent))
    throw InputError(named(out) + ": expected an existing folder to write into, found no folder " +
                     parent.string());
  if (::access(parent.c_str(), W_OK | X_OK) != 0)
    throw InputError(named(out) + ": cannot write into the folder " + parent.string() + ": " +
                     std::strerror(errno));
  std::error_code error;
  const fs::file_status status = fs::status(out.path, error);
  if (!fs::exists(status)) return;
  if (out.folder) {
    if (!fs::is_directory(status))
      throw InputError(named(out) + ": expected a folder (or a new name), found a file");
    if (::access(out.path.c_str(), W_OK | X_OK) != 0)
      throw InputError(named(out) + ": cannot write into this folder: " + std::strerror(errno));
    return;
  }
  if (!fs::is_regular_file(status))
    throw InputError(named(out) + ": expected a file name, found " + kind_of(status.type()));
}

}  // namespace

void check_output_locations(const std::vector<FileRole>& outputs,
                            const std::vector<FileRole>& inputs) {
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const FileRole& out = outputs[i];
    check_one(out);
    for (const FileRole& in : inputs)
      if (!in.path.empty() && same_file(out.path, in.path))
        throw InputError(named(out) + ": is the same file as " + in.role + " (" + in.path +
                         "), an input: refusing to overwrite it; expected another name");
    for (std::size_t j = 0; j < i; ++j)
      if (same_file(out.path, outputs[j].path))
        throw InputError(named(out) + ": is the same file as " + outputs[j].role + " (" +
                         outputs[j].path + "); expected a different file for each");
  }
}

std::vector<FileRole> run_input_files(const RunSpec& spec) {
  std::vector<FileRole> files;
  auto add = [&](const std::string& source, const std::string& key) {
    if (source.empty()) return;
    try {
      files.push_back({parse_array_source(source, key).file, key});
    } catch (const InputError&) {
      files.push_back({source, key});  // malformed: the loader reports it
    }
  };
  add(spec.brain.file, "brain.file");
  for (std::size_t n = 0; n < spec.brain.files.size(); ++n)
    add(spec.brain.files[n], "brain.files[" + std::to_string(n) + "]");
  add(spec.brain.times, "brain.times");
  add(spec.models.file, "models.file");
  // A text file, or "file.h5:/dataset" (as the loader reads it).
  const auto add_names = [&](const std::string& source, const std::string& key) {
    if (!source.empty()) files.push_back({source.substr(0, source.find(':')), key});
  };
  add_names(spec.brain.stimuli, "brain.stimuli");
  add_names(spec.models.names, "models.names");
  add_names(spec.models.stimuli, "models.stimuli");
  add(spec.covariates.file, "covariates.file");
  add_names(spec.covariates.names, "covariates.names");
  add_names(spec.covariates.stimuli, "covariates.stimuli");
  add(spec.analysis.permutation_file, "analysis.permutation_file");
  return files;
}

}  // namespace permrsa
