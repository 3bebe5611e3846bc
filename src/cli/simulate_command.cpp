// `permrsa simulate --out DIR`: writes the synthetic data set and a runnable config.
#include "cli/commands.hpp"
#include "cli/demo_spec.hpp"
#include "permrsa/simulate.hpp"

namespace permrsa::cli {
namespace {

struct SimulateCli {
  std::string out;
  SimulationOptions options;
};

}  // namespace

std::function<int()> add_simulate_command(CLI::App& app, GlobalOptions&) {
  auto opt = std::make_shared<SimulateCli>();
  auto* cmd = app.add_subcommand("simulate",
                                 "Write deterministic synthetic data with planted effects "
                                 "and a config that runs it");
  auto& o = opt->options;
  cmd->add_option("--out", opt->out, "Output folder (created)")->required();
  cmd->add_option("--seed", o.seed, "Seed of the simulated data")->capture_default_str();
  cmd->add_option("--stimuli", o.stimuli, "Number of stimuli S")->capture_default_str();
  cmd->add_option("--layers", o.layers, "Number of model layers L")->capture_default_str();
  cmd->add_option("--times", o.times, "Number of time points T")->capture_default_str();
  cmd->add_flag("--epochs", o.epochs,
                "Write EEG epochs instead (one HDF5 file per subject) with a planted six-category "
                "structure and onset, for `permrsa rdm`");
  cmd->add_option("--subjects", o.subjects, "--epochs: subjects")->capture_default_str();
  cmd->add_option("--channels", o.channels, "--epochs: channels")->capture_default_str();
  cmd->add_option("--trials", o.trials, "--epochs: trials per stimulus")->capture_default_str();
  cmd->add_option("--onset", o.onset, "--epochs: planted onset (s)")->capture_default_str();
  return [opt] {
    write_simulation(opt->options, opt->out, demo_config_toml());
    return 0;
  };
}

}  // namespace permrsa::cli
