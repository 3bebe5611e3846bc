// permrsa: time-resolved RSA between brains and deep networks, with permutation statistics.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <tbb/global_control.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <optional>

#include "cli/commands.hpp"
#include "permrsa/error.hpp"

int main(int argc, char** argv) {
  using namespace permrsa;
  CLI::App app{"permrsa " PERMRSA_VERSION
               ": time-resolved representational similarity analysis between brain and model "
               "RDMs, with permutation statistics and cluster / max-statistic corrections"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("permrsa ") + PERMRSA_VERSION);
  cli::GlobalOptions global;
  std::vector<std::function<int()>> commands{cli::add_run_command(app, global),
                                             cli::add_simulate_command(app, global),
                                             cli::add_info_command(app, global)};
  // Every subcommand documents and takes the common options.
  for (auto* sub : app.get_subcommands({})) {
    sub->add_flag("--quiet,-q", global.quiet, "Only warnings and errors on stderr");
    if (sub->get_name() != "run") continue;
    sub->add_option("--threads", global.threads, "Worker threads (default: all cores)")
        ->check(CLI::NonNegativeNumber);
    sub->add_flag("--progress", global.progress,
                  "Progress line with rate and ETA on stderr (always shown on a terminal)");
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : kExitInputError;
  }
  auto logger = spdlog::stderr_color_mt("permrsa");
  logger->set_pattern("[permrsa] %^%l%$: %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(global.quiet ? spdlog::level::warn : spdlog::level::info);
  if (::isatty(2)) global.progress = global.progress || !global.quiet;

  std::optional<tbb::global_control> threads;
  if (global.threads > 0)
    threads.emplace(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(global.threads));
  try {
    for (std::size_t i = 0; i < commands.size(); ++i)
      if (app.get_subcommands({})[i]->parsed()) return commands[i]();
  } catch (const InputError& e) {
    std::fprintf(stderr, "permrsa: error: %s\n", e.what());
    return kExitInputError;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "permrsa: failed: %s\n", e.what());
    return kExitRuntimeFailure;
  }
  return kExitInputError;
}
