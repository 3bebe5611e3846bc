// `permrsa report results.h5 --out report/`: the HTML report, written by the Python module
// permrsa.report (python/permrsa/report.py), which this command runs as
//   $PERMRSA_PYTHON -m permrsa.report results.h5 --out report/ ...
// (interpreter and module path: cli/python_module.hpp).
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/python_module.hpp"
#include "permrsa/results_summary.hpp"
#include "permrsa/error.hpp"
#include "permrsa/output_location.hpp"

namespace permrsa::cli {
namespace {

struct ReportOptions {
  std::string results, out, categories;
  std::vector<double> mds_times;
  double alpha = 0.05;
};

int report(const ReportOptions& opt, const GlobalOptions& global) {
  // --out is a folder (created); before Python starts, and never onto an input (issue 15, D14).
  std::vector<FileRole> inputs{{opt.results, "results"}};
  if (!opt.categories.empty()) inputs.push_back({opt.categories, "--categories"});
  check_output_locations({{opt.out, "--out", true}}, inputs);
  // The same checks as `permrsa info`: a damaged file is an input error here, not a Python
  // traceback half way through the figures (and a FIFO would block h5py).
  read_results_summary(opt.results);
  std::vector<std::string> args{opt.results, "--out", opt.out, "--alpha",
                                std::to_string(opt.alpha)};
  if (!opt.categories.empty()) args.insert(args.end(), {"--categories", opt.categories});
  if (!opt.mds_times.empty()) {
    args.push_back("--mds-times");
    for (double t : opt.mds_times) args.push_back(std::to_string(t));
  }
  // The module prints one line on success (not with --quiet); errors still reach stderr.
  PythonRedirects redirects;
  redirects.discard_stdout = global.quiet;
  const int status = run_python_module("permrsa.report", args, redirects);
  return status == 2 ? kExitInputError : status != 0 ? kExitRuntimeFailure : 0;
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
