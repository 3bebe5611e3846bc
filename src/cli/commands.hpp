// The subcommands of `permrsa`. Each registers its options on a CLI11 app and runs.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

#include "permrsa/runtime.hpp"

namespace permrsa::cli {

struct GlobalOptions {
  int threads = 0;  // 0 = all cores
  bool quiet = false;
  bool progress = false;
  Runtime* runtime = nullptr;
};

// Returns the function that runs the subcommand after parsing (exit code).
std::function<int()> add_run_command(CLI::App& app, GlobalOptions& global);
std::function<int()> add_simulate_command(CLI::App& app, GlobalOptions& global);
std::function<int()> add_info_command(CLI::App& app, GlobalOptions& global);
std::function<int()> add_features_command(CLI::App& app, GlobalOptions& global);
std::function<int()> add_rdm_command(CLI::App& app, GlobalOptions& global);
std::function<int()> add_merge_command(CLI::App& app, GlobalOptions& global);
std::function<int()> add_report_command(CLI::App& app, GlobalOptions& global);

}  // namespace permrsa::cli
