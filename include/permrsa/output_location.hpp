// Where a command will write, checked before any work: a bad output location is an input error
// (exit 2) found in the first second, not a failure after the whole computation, and no output
// may overwrite an input or another output of the same command.
#pragma once

#include <string>
#include <vector>

#include "permrsa/analysis_spec.hpp"

namespace permrsa {

// A file and what it is to the command, for messages: "output.file", "--checkpoint",
// "brain.file", "the config", ...
struct FileRole {
  std::string path;
  std::string role;
  bool folder = false;  // an output folder (`report --out`) rather than a file
};

// InputError naming the role and the path unless every output
// - lies in an existing folder this process may write into;
// - is not a folder (or, for a folder output, not a file) and not another special file (a
//   FIFO, a device);
// - is not one of the inputs, nor another output. Paths are compared after resolving "." and
//   ".." and symbolic links, and existing files by device and inode, so that "./brain.npy", a
//   symbolic link to it or a hard link are all seen to be brain.npy.
void check_output_locations(const std::vector<FileRole>& outputs,
                            const std::vector<FileRole>& inputs = {});

// The files a run reads, by config key: brain.file, brain.files[i], brain.times, models.file,
// models.names and analysis.permutation_file (the file part of "file.h5:/dataset" sources).
std::vector<FileRole> run_input_files(const RunSpec& spec);

}  // namespace permrsa
