#include "cli/python_module.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "permrsa/error.hpp"

#ifndef PERMRSA_PYTHON_EXECUTABLE
#define PERMRSA_PYTHON_EXECUTABLE "/usr/bin/python3"
#endif
#ifndef PERMRSA_BUILD_PYTHON_DIR
#define PERMRSA_BUILD_PYTHON_DIR ""
#endif

namespace permrsa::cli {
namespace {

constexpr int kExitCannotRun = 127;  // the shell's "command not found"

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

std::string module_path() {
  std::string dir = env_or("PERMRSA_PYTHONPATH", "");
  if (dir.empty() && std::filesystem::is_directory(PERMRSA_BUILD_PYTHON_DIR "/permrsa"))
    dir = PERMRSA_BUILD_PYTHON_DIR;
  const std::string current = env_or("PYTHONPATH", "");
  if (dir.empty()) return current;
  return current.empty() ? dir : dir + ":" + current;
}

}  // namespace

std::string python_interpreter() {
  return env_or("PERMRSA_PYTHON", PERMRSA_PYTHON_EXECUTABLE);
}

int run_python_module(const std::string& module, const std::vector<std::string>& args,
                      const PythonRedirects& redirects) {
  const std::string python = python_interpreter();
  std::vector<std::string> all{python, "-m", module};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string pythonpath = module_path();
  const pid_t pid = ::fork();
  if (pid < 0)
    throw RuntimeFailure("cannot start Python (" + module + "): " + std::strerror(errno));
  if (pid == 0) {
    // The child only calls async-signal-safe functions (and setenv, before exec) and never
    // returns into permrsa: it execs or _exits.
    if (!pythonpath.empty()) ::setenv("PYTHONPATH", pythonpath.c_str(), 1);
    // `python -m` puts the working folder first on sys.path, so a matplotlib.py or an h5py/
    // folder lying there would be imported instead of the real one (Python >= 3.11 skips it;
    // older ones ignore the variable).
    ::setenv("PYTHONSAFEPATH", "1", 1);
    ::setenv("MPLBACKEND", "Agg", 1);
    if (redirects.discard_stdout) {
      const int null = ::open("/dev/null", O_WRONLY);
      if (null < 0 || ::dup2(null, STDOUT_FILENO) < 0) ::_exit(kExitRuntimeFailure);
    }
    if (!redirects.stderr_file.empty()) {
      const int err = ::open(redirects.stderr_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (err < 0 || ::dup2(err, STDERR_FILENO) < 0) ::_exit(kExitRuntimeFailure);
    }
    ::execv(python.c_str(), argv.data());
    std::fprintf(stderr, "permrsa: failed: cannot run %s: %s\n", python.c_str(),
                 std::strerror(errno));
    ::_exit(kExitCannotRun);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      throw RuntimeFailure("waitpid (" + python + " -m " + module + "): " + std::strerror(errno));
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  throw RuntimeFailure(python + " -m " + module + " was killed by signal " +
                       std::to_string(WTERMSIG(status)));
}

}  // namespace permrsa::cli
