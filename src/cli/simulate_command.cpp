// `permrsa simulate --out DIR`: writes the synthetic data set and a runnable config.
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>

#include "cli/commands.hpp"
#include "cli/demo_spec.hpp"
#include "permrsa/array_io.hpp"
#include "permrsa/error.hpp"
#include "permrsa/synthetic.hpp"

namespace permrsa::cli {
namespace {

namespace fs = std::filesystem;

struct SimulateOptions {
  std::string out;
  SyntheticSpec spec;
};

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
  if (!f) throw RuntimeFailure(path.string() + ": cannot be written");
}

int simulate(const SimulateOptions& opt) {
  if (opt.spec.stimuli < 3) throw InputError("--stimuli: expected at least 3, found " + std::to_string(opt.spec.stimuli));
  if (opt.spec.layers < 1 || opt.spec.times < 2)
    throw InputError("--layers/--times: expected at least 1 layer and 2 time points");
  const auto data = make_synthetic(opt.spec);
  const fs::path dir(opt.out);
  fs::create_directories(dir);
  write_npy((dir / "brain.npy").string(),
            RealArray{{data.brain.rows(), data.brain.cols()}, data.brain.values(), "brain.npy"});
  write_npy((dir / "models.npy").string(),
            RealArray{{data.models.rows(), data.models.cols()}, data.models.values(), "models.npy"});
  write_npy((dir / "times.npy").string(), RealArray{{data.times.size()}, data.times, "times.npy"});
  std::string names;
  for (const auto& n : data.layers) names += n + "\n";
  write_text(dir / "layers.txt", names);
  write_text(dir / "config.toml", demo_config_toml(data));
  write_text(dir / "README.txt", data.description +
             "\nFiles: brain.npy (P x T), models.npy (L x P), times.npy (T), layers.txt, config.toml.\n"
             "Run: permrsa run " + (dir / "config.toml").string() + "\n");
  spdlog::info("wrote {}/{{brain.npy, models.npy, times.npy, layers.txt, config.toml, README.txt}}", opt.out);
  spdlog::info("{}", data.description);
  return 0;
}

}  // namespace

std::function<int()> add_simulate_command(CLI::App& app, GlobalOptions&) {
  auto opt = std::make_shared<SimulateOptions>();
  auto* cmd = app.add_subcommand("simulate", "Write deterministic synthetic data with planted effects "
                                             "and a config that runs it");
  cmd->add_option("--out", opt->out, "Output folder (created)")->required();
  cmd->add_option("--seed", opt->spec.seed, "Seed of the simulated data")->capture_default_str();
  cmd->add_option("--stimuli", opt->spec.stimuli, "Number of stimuli S")->capture_default_str();
  cmd->add_option("--layers", opt->spec.layers, "Number of model layers L")->capture_default_str();
  cmd->add_option("--times", opt->spec.times, "Number of time points T")->capture_default_str();
  return [opt] { return simulate(*opt); };
}

}  // namespace permrsa::cli
