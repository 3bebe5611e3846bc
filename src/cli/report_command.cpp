// `permrsa report results.h5 --out report/`: the HTML report, written by the Python module
// permrsa.report (python/permrsa/report.py), which this command runs as
//   $PERMRSA_PYTHON -m permrsa.report results.h5 --out report/ ...
// The interpreter is $PERMRSA_PYTHON, else the build's PERMRSA_PYTHON (/usr/bin/python3). The
// module is found through PYTHONPATH, to which this command prepends $PERMRSA_PYTHONPATH when
// set, else the build tree's <build>/python when it exists; otherwise the interpreter's own
// sys.path must hold it (`pip install ./python`).
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/results_summary.hpp"
#include "permrsa/error.hpp"
#include "permrsa/output_location.hpp"

#ifndef PERMRSA_PYTHON_EXECUTABLE
#define PERMRSA_PYTHON_EXECUTABLE "/usr/bin/python3"
#endif
#ifndef PERMRSA_BUILD_PYTHON_DIR
#define PERMRSA_BUILD_PYTHON_DIR ""
#endif

namespace permrsa::cli {
namespace {

struct ReportOptions {
  std::string results, out, categories;
  std::vector<double> mds_times;
  double alpha = 0.05;
};

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

int report(const ReportOptions& opt, const GlobalOptions& global) {
  // --out is a folder (created); before Python starts, and never onto an input (issue 15, D14).
  std::vector<FileRole> inputs{{opt.results, "results"}};
  if (!opt.categories.empty()) inputs.push_back({opt.categories, "--categories"});
  check_output_locations({{opt.out, "--out", true}}, inputs);
  // The same checks as `permrsa info`: a damaged file is an input error here, not a Python
  // traceback half way through the figures (and a FIFO would block h5py).
  read_results_summary(opt.results);
  const std::string python = env_or("PERMRSA_PYTHON", PERMRSA_PYTHON_EXECUTABLE);
  std::vector<std::string> args{python,  "-m",    "permrsa.report", opt.results,
                                "--out", opt.out, "--alpha",        std::to_string(opt.alpha)};
  if (!opt.categories.empty()) args.insert(args.end(), {"--categories", opt.categories});
  if (!opt.mds_times.empty()) {
    args.push_back("--mds-times");
    for (double t : opt.mds_times) args.push_back(std::to_string(t));
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string pythonpath = module_path();
  const pid_t pid = ::fork();
  if (pid < 0)
    throw RuntimeFailure(std::string("report: cannot start Python: ") + std::strerror(errno));
  if (pid == 0) {
    if (!pythonpath.empty()) ::setenv("PYTHONPATH", pythonpath.c_str(), 1);
    ::setenv("MPLBACKEND", "Agg", 1);
    if (global.quiet) {
      // The module prints one line on success; errors still reach stderr.
      if (std::FILE* null = std::freopen("/dev/null", "w", stdout); null == nullptr) ::_exit(1);
    }
    ::execv(python.c_str(), argv.data());
    std::fprintf(stderr, "permrsa: failed: report: cannot run %s: %s\n", python.c_str(),
                 std::strerror(errno));
    ::_exit(kExitRuntimeFailure);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      throw RuntimeFailure(std::string("report: waitpid: ") + std::strerror(errno));
  if (WIFEXITED(status))
    return WEXITSTATUS(status) == 2 ? kExitInputError : WEXITSTATUS(status) ? 1 : 0;
  throw RuntimeFailure("report: " + python + " -m permrsa.report was killed by signal " +
                       std::to_string(WTERMSIG(status)));
}

}  // namespace

std::function<int()> add_report_command(CLI::App& app, GlobalOptions& global) {
  auto opt = std::make_shared<ReportOptions>();
  auto* cmd = app.add_subcommand(
      "report",
      "Write figures (PNG, SVG) and a self-contained index.html for a results file "
      "(runs the Python module permrsa.report)");
  cmd->add_option("results", opt->results, "Results file written by permrsa run")->required();
  cmd->add_option("--out", opt->out, "Folder for index.html and the figures")->required();
  cmd->add_option("--categories", opt->categories, "Text file: one category label per stimulus")
      ->check(CLI::ExistingFile);
  cmd->add_option("--mds-times", opt->mds_times, "Times (s) of the MDS panels");
  cmd->add_option("--alpha", opt->alpha, "Cluster p threshold for significance")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  return [opt, &global] { return report(*opt, global); };
}

}  // namespace permrsa::cli
