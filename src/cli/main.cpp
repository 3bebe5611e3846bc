// permrsa: time-resolved RSA between brains and deep networks, with permutation statistics.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>

#include "cli/commands.hpp"
#include "cli/heap_pages.hpp"
#include "cli/option_checks.hpp"
#include "cli/stop_signals.hpp"
#include "permrsa/agreement.hpp"
#include "permrsa/error.hpp"
#include "permrsa/hdf5_library.hpp"
#include "permrsa/runtime.hpp"

namespace {

using permrsa::Communicator;

// Every subcommand documents and takes the common options.
void add_common_options(CLI::App& app, permrsa::cli::GlobalOptions& global) {
  for (auto* sub : app.get_subcommands({})) {
    sub->add_flag("--quiet,-q", global.quiet, "Only warnings and errors on stderr");
    // Every compute stage (run, features, rdm, merge, ...) takes threads and progress.
    if (sub->get_name() == "info" || sub->get_name() == "simulate" || sub->get_name() == "report")
      continue;
    sub->add_option("--threads", global.threads, "Worker threads (default: all cores)")
        ->check(permrsa::cli::non_negative_number());
    sub->add_flag("--progress", global.progress,
                  "Progress line with rate and ETA on stderr (always shown on a terminal)");
  }
}

std::string command_names(CLI::App& app) {
  std::string names;
  for (const auto* sub : app.get_subcommands({}))
    names += (names.empty() ? "" : ", ") + sub->get_name();
  return names;
}

// CLI11 says "A subcommand is required" both for no command and for an unknown one: name
// the word it did not know, and list the commands. The only options before the command are
// --help and --version, so the first word without a dash is the command. False when unknown.
bool command_is_known(CLI::App& app, const Communicator& world, int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string word = argv[i];
    if (word.empty() || word[0] == '-') continue;
    const auto subs = app.get_subcommands({});
    if (std::any_of(subs.begin(), subs.end(), [&](CLI::App* sub) { return sub->check_name(word); }))
      return true;
    if (world.rank() == 0)
      std::fprintf(stderr, "permrsa: error: unknown command '%s'; the commands are: %s\n",
                   word.c_str(), command_names(app).c_str());
    return false;
  }
  return true;
}

// Parses the command line: nullopt when parsed, else the exit code (help, version or an error).
std::optional<int> parse_command_line(CLI::App& app, const Communicator& world, int argc,
                                      char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (dynamic_cast<const CLI::RequiredError*>(&e) != nullptr && app.get_subcommands().empty()) {
      if (world.rank() == 0)
        std::fprintf(stderr, "permrsa: error: expected a command: %s (see permrsa --help)\n",
                     command_names(app).c_str());
      return permrsa::kExitInputError;
    }
    // Every rank parses the same command line; rank 0 speaks.
    const int code = world.rank() == 0 ? app.exit(e) : (e.get_exit_code() == 0 ? 0 : 1);
    return code == 0 ? 0 : permrsa::kExitInputError;
  }
  return std::nullopt;
}

void set_up_logging(permrsa::cli::GlobalOptions& global, const Communicator& world) {
  auto logger = spdlog::stderr_color_mt("permrsa");
  logger->set_pattern("[permrsa] %^%l%$: %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(global.quiet || world.rank() != 0 ? spdlog::level::warn : spdlog::level::info);
  if (::isatty(2)) global.progress = global.progress || !global.quiet;
}

// Runs the parsed command; every failure becomes one message and an exit code.
int run_parsed_command(CLI::App& app, const std::vector<std::function<int()>>& commands,
                       const Communicator& world) {
  using namespace permrsa;
  try {
    for (std::size_t i = 0; i < commands.size(); ++i)
      if (app.get_subcommands({})[i]->parsed()) return commands[i]();
  } catch (const AgreedFailure& e) {
    // Every rank failed together: one message, one exit code.
    if (world.rank() == 0) std::fprintf(stderr, "permrsa: %s\n", e.what());
    return e.exit_code();
  } catch (const std::exception& e) {
    // A failure on some ranks only: the others may be waiting in a collective, so end the job.
    const bool input = dynamic_cast<const InputError*>(&e) != nullptr;
    const int code = input ? kExitInputError : kExitRuntimeFailure;
    std::fprintf(stderr, "permrsa: %s%s: %s\n", input ? "error" : "failed",
                 world.size() > 1 ? (" on rank " + std::to_string(world.rank())).c_str() : "",
                 e.what());
    if (world.size() > 1) world.abort(code);
    return code;
  }
  return kExitInputError;
}

// The command line, parsed and run: the exit code.
int run_cli(permrsa::Runtime& runtime, int argc, char** argv) {
  using namespace permrsa;
  const Communicator& world = runtime.world();
  CLI::App app{"permrsa " PERMRSA_VERSION
               ": time-resolved representational similarity analysis between brain and model "
               "RDMs, with permutation statistics and cluster / max-statistic corrections"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("permrsa ") + PERMRSA_VERSION);
  cli::GlobalOptions global;
  global.runtime = &runtime;
  const std::vector<std::function<int()>> commands{
      cli::add_run_command(app, global),   cli::add_simulate_command(app, global),
      cli::add_info_command(app, global),  cli::add_features_command(app, global),
      cli::add_rdm_command(app, global),   cli::add_merge_command(app, global),
      cli::add_report_command(app, global)};
  add_common_options(app, global);
  if (!command_is_known(app, world, argc, argv)) return kExitInputError;
  if (const auto code = parse_command_line(app, world, argc, argv)) return *code;
  set_up_logging(global, world);
  runtime.set_threads(global.threads);
  cli::remove_temporaries_on_signals();
  return run_parsed_command(app, commands, world);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace permrsa;
  cli::keep_heap_in_huge_pages();
  // HDF5 starts before MPI and is closed before MPI_Finalize (see permrsa/hdf5_library.hpp).
  Hdf5Library hdf5;
  // Owns MPI (when launched by mpirun/srun) and the threads; finalises MPI on every exit path.
  std::optional<Runtime> runtime;
  try {
    runtime.emplace(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "permrsa: failed: %s\n", e.what());
    return kExitRuntimeFailure;
  }
  const int code = run_cli(*runtime, argc, argv);
  hdf5.close();
  return code;
}
