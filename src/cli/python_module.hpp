// Runs a module of the permrsa Python package, `$PERMRSA_PYTHON -m <module> args...`, as
// `permrsa report` (permrsa.report) and `permrsa rdm --epochs x-epo.fif` (permrsa.from_mne) do.
// The interpreter is $PERMRSA_PYTHON, else the build's PERMRSA_PYTHON (/usr/bin/python3). The
// package is found through PYTHONPATH, to which $PERMRSA_PYTHONPATH is prepended when set, else
// the build tree's <build>/python when it exists; otherwise the interpreter's own sys.path must
// hold it (`pip install ./python`).
#pragma once

#include <string>
#include <vector>

namespace permrsa::cli {

// The interpreter that runs the modules.
std::string python_interpreter();

struct PythonRedirects {
  bool discard_stdout = false;  // stdout to /dev/null
  std::string stderr_file;      // when set, stderr goes to this file (created or truncated)
};

// The module's exit status (0-255). When the interpreter cannot be started, the child writes
// "permrsa: failed: cannot run <python>: <reason>" to stderr and exits 127. RuntimeFailure when
// the process cannot be forked or is killed by a signal.
int run_python_module(const std::string& module, const std::vector<std::string>& args,
                      const PythonRedirects& redirects = {});

}  // namespace permrsa::cli
