// `permrsa run [config.toml]`: the stimulus-permutation analysis, end to end.
#include <spdlog/spdlog.h>

#include "cli/commands.hpp"
#include "cli/demo_spec.hpp"
#include "cli/progress_line.hpp"
#include "permrsa/config.hpp"
#include "permrsa/results_file.hpp"
#include "permrsa/rsa_problem.hpp"
#include "permrsa/stimulus_analysis.hpp"
#include "permrsa/synthetic.hpp"

namespace permrsa::cli {
namespace {

struct RunOptionsCli {
  std::string config;
  std::vector<std::string> overrides;
  std::size_t batch_size = 64;
};

RsaProblem demo_problem() {
  auto data = make_synthetic(SyntheticSpec{});
  RsaProblem problem;
  problem.brain = std::move(data.brain);
  problem.models = std::move(data.models);
  problem.times = std::move(data.times);
  problem.layers = std::move(data.layers);
  problem.stimuli = SyntheticSpec{}.stimuli;
  validate_problem(problem, "<embedded demo>", "<embedded demo>");
  return problem;
}

const char* kind_text(PermutationKind kind) {
  switch (kind) {
    case PermutationKind::exhaustive: return "all permutations, exact p-values";
    case PermutationKind::philox: return "Philox4x32-10 from the seed";
    case PermutationKind::explicit_rows: return "from analysis.permutation_file";
  }
  return "";
}

int run(const RunOptionsCli& opt, const GlobalOptions& global) {
  const bool demo = opt.config.empty();
  RunSpec spec = demo ? demo_run_spec(opt.overrides) : load_run_spec(opt.config, opt.overrides);
  check_output_location(spec.output.file);
  if (demo) spdlog::info("no config given: running the embedded synthetic demo");
  const RsaProblem problem = demo ? demo_problem() : load_problem(spec);
  const PermutationSet perms = load_permutations(spec, problem.stimuli);
  spdlog::info("S = {} stimuli ({} pairs), L = {} layers, T = {} time points; metric {}, tail {}, {}",
               problem.stimuli, problem.brain.rows(), problem.models.rows(), problem.brain.cols(),
               to_string(spec.analysis.metric), to_string(spec.analysis.tail),
               to_string(spec.analysis.precision));
  if (perms.kind() == PermutationKind::exhaustive &&
      perms.count() != spec.analysis.permutations)
    spdlog::info("S! = {} <= K + 1: enumerating every permutation once (K = {}) instead of {} random ones",
                 perms.count() + 1, perms.count(), spec.analysis.permutations);
  spdlog::info("K = {} permutations ({}), cluster threshold {}, connectivity {}", perms.count(),
               kind_text(perms.kind()), to_string(spec.correction.cluster_threshold),
               to_string(spec.correction.connectivity));

  const bool two_pass = spec.correction.cluster_threshold == ClusterThreshold::permutation_p;
  ProgressLine progress(two_pass ? "permutation maps (2 passes over K)" : "permutation maps",
                        !global.quiet && global.progress);
  RunOptions run_options;
  run_options.batch_size = opt.batch_size;
  run_options.progress = [&](std::int64_t done, std::int64_t total) { progress.update(done, total); };
  const auto result = run_stimulus_analysis(problem, spec.analysis, spec.correction, perms, run_options);
  progress.finish();

  write_results(spec.output.file, spec, problem, result);
  std::size_t significant = 0;
  for (double p : result.cluster_p) significant += p <= 0.05;
  spdlog::info("wrote {}: {} clusters, {} with p <= 0.05 (see `permrsa info {}`)", spec.output.file,
               result.clusters.size(), significant, spec.output.file);
  return 0;
}

}  // namespace

std::function<int()> add_run_command(CLI::App& app, GlobalOptions& global) {
  auto opt = std::make_shared<RunOptionsCli>();
  auto* cmd = app.add_subcommand("run", "Run the permutation analysis described by a TOML config "
                                        "(without one: the embedded synthetic demo)");
  cmd->add_option("config", opt->config, "TOML config (see config/*.toml and README.md)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--set", opt->overrides,
                  "Override a config key: section.key=value (repeatable), e.g. "
                  "--set analysis.permutations=5000 --set analysis.metric=kendall-b")
      ->allow_extra_args(false);
  cmd->add_option("--batch-size", opt->batch_size,
                  "Permutations per kernel call (memory vs speed; results do not depend on it)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 20))
      ->capture_default_str();
  return [opt, &global] { return run(*opt, global); };
}

}  // namespace permrsa::cli
