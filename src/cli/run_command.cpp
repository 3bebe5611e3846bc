// `permrsa run [config.toml]`: the stimulus-permutation analysis, end to end.
#include <spdlog/spdlog.h>

#include <filesystem>
#include <optional>

#include "cli/agreement.hpp"
#include "cli/analysis_setup.hpp"
#include "cli/commands.hpp"
#include "cli/demo_spec.hpp"
#include "cli/option_checks.hpp"
#include "cli/output_checks.hpp"
#include "cli/progress_line.hpp"
#include "cli/stop_signals.hpp"
#include "io/atomic_file.hpp"
#include "permrsa/config.hpp"
#include "permrsa/error.hpp"
#include "permrsa/null_state_file.hpp"
#include "permrsa/output_location.hpp"
#include "permrsa/permutation_analysis.hpp"
#include "permrsa/process_grid.hpp"
#include "permrsa/results_file.hpp"
#include "permrsa/rsa_problem.hpp"
#include "permrsa/sign_flips.hpp"
#include "permrsa/synthetic.hpp"

namespace permrsa::cli {
namespace {

struct RunOptionsCli {
  std::string config;
  std::vector<std::string> overrides;
  GridOptions grid;
  std::string permutations;  // "A:B" with --shard-out
  std::string shard_out;
  std::string pass1_from;
  std::string checkpoint;
  std::int64_t checkpoint_every = 0;
  double checkpoint_seconds = 60.0;
};

const char* kind_text(PermutationKind kind) {
  switch (kind) {
    case PermutationKind::exhaustive: return "all permutations, exact p-values";
    case PermutationKind::philox: return "Philox4x32-10 from the seed";
    case PermutationKind::explicit_rows: return "from analysis.permutation_file";
  }
  return "";
}

void log_design(const PreparedAnalysis& a, const Communicator& world) {
  const auto& spec = a.spec;
  const auto& shape = a.shape;
  const auto& design = a.design;
  if (a.demo) spdlog::info("no config given: running the embedded synthetic demo");
  if (shape.pairs == 0) {
    spdlog::info("per-subject maps given (brain.layout = subjects-layers-time): L = {} layers, T = {} "
                 "time points; tail {}", shape.layers, shape.times, to_string(spec.analysis.tail));
  } else {
    spdlog::info("S = {} stimuli ({} pairs), L = {} layers, T = {} time points; metric {}, tail {}, {}",
                 shape.stimuli, shape.pairs, shape.layers, shape.times, to_string(spec.analysis.metric),
                 to_string(spec.analysis.tail), to_string(spec.analysis.precision));
  }
  const std::int64_t K = design.count();
  if (design.flips) {
    spdlog::info("sign-flip test over N = {} subjects, group statistic {}{}", shape.subjects,
                 to_string(spec.analysis.group_statistic), spec.analysis.fisher_z ? " of Fisher z" : "");
    if (design.flips->kind() == SignFlipKind::exhaustive && K != spec.analysis.permutations)
      spdlog::info("2^N = {} <= K + 1: enumerating every sign pattern once (K = {}) instead of {} random ones",
                   K + 1, K, spec.analysis.permutations);
    if (spec.correction.cluster_threshold == ClusterThreshold::t_default)
      spdlog::info("cluster-forming threshold t-default: |t| > {:.6g} (Student t, {} dof)",
                   t_default_threshold(spec.correction.cluster_alpha, spec.analysis.tail, shape.subjects),
                   shape.subjects - 1);
  } else {
    if (design.permutations->kind() == PermutationKind::exhaustive && K != spec.analysis.permutations)
      spdlog::info("S! = {} <= K + 1: enumerating every permutation once (K = {}) instead of {} random ones",
                   K + 1, K, spec.analysis.permutations);
  }
  spdlog::info("K = {} {} ({}), cluster threshold {}, connectivity {}", K,
               design.flips ? "sign flips" : "permutations",
               design.flips ? (design.flips->kind() == SignFlipKind::exhaustive ? "all patterns, exact p-values"
                                                                              : "Philox4x32-10 from the seed")
                            : kind_text(design.permutations->kind()),
               to_string(spec.correction.cluster_threshold), to_string(spec.correction.connectivity));
  if (world.size() > 1) spdlog::info("{} ranks: {}", world.size(), a.grid.describe());
}

// Where this run writes (the results file, or the shard; the checkpoint), and what it reads: none
// may be another (D2 and D6 of issue 15: a checkpoint named like the output deleted the results,
// an output named like an input overwrote it).
void check_run_outputs(const RunOptionsCli& opt, const RunSpec& spec, bool demo,
                       const Communicator& world) {
  std::vector<FileRole> outputs{opt.shard_out.empty() ? FileRole{spec.output.file, "output.file"}
                                                      : FileRole{opt.shard_out, "--shard-out"}};
  if (!opt.checkpoint.empty()) outputs.push_back({opt.checkpoint, "--checkpoint"});
  std::vector<FileRole> inputs = demo ? std::vector<FileRole>{} : run_input_files(spec);
  if (!demo) inputs.push_back({opt.config, "the config file"});
  if (!opt.pass1_from.empty()) inputs.push_back({opt.pass1_from, "--pass1-from"});
  prepare_outputs(outputs, inputs, world);
}

// Rank 0 writes a state file; every rank learns whether that worked.
void write_state_agreed(const std::string& path, const NullStateFile& file, const Communicator& world) {
  agree(world, [&] {
    if (world.rank() == 0) write_null_state(path, file);
  });
}

int run(const RunOptionsCli& opt, const GlobalOptions& global) {
  const Communicator& world = global.runtime->world();
  const bool demo = opt.config.empty();
  if (!opt.checkpoint.empty()) catch_stop_signals();
  const auto a = prepare_analysis(
      [&] {
        return demo ? demo_run_spec(opt.overrides) : load_run_spec(opt.config, opt.overrides);
      },
      demo, opt.grid, world,
      [&](const RunSpec& spec) { check_run_outputs(opt, spec, demo, world); });
  const auto origin = origin_of(a);
  const std::int64_t K = a.design.count();
  const bool two_pass = a.spec.correction.cluster_threshold == ClusterThreshold::permutation_p;
  const KRange all{0, K + 1}, none{0, 0};

  // The work of this run (a shard's range of one stage, or everything) and what is done already
  // (the pass-1 file of stage 2, a checkpoint).
  RunOptions run_options = run_options_for(a, opt.grid);
  std::optional<NullState> resume;
  const bool stage2 = !opt.pass1_from.empty();
  agree(world, [&] {
    if (!opt.permutations.empty() && opt.shard_out.empty())
      throw InputError("--permutations " + opt.permutations + ": a range of permutations is a shard; "
                       "expected --shard-out FILE with it");
    if (stage2 && !two_pass)
      throw InputError("--pass1-from " + opt.pass1_from + ": only the permutation-p cluster threshold "
                       "(correction.cluster_threshold = \"permutation-p\") has a second pass; this config uses \"" +
                       std::string(to_string(a.spec.correction.cluster_threshold)) + "\"");
    const KRange range = opt.permutations.empty() ? all : parse_k_range(opt.permutations, K, "--permutations");
    KRanges target1{all}, target2{two_pass ? all : none};
    if (!opt.shard_out.empty()) {
      target1 = stage2 ? KRanges{} : KRanges{range};
      target2 = stage2 ? KRanges{range} : KRanges{};
      run_options.pass1 = stage2 ? none : range;
      run_options.pass2 = stage2 ? range : none;
    }
    auto read_checked = [&](const std::string& path, const std::string& option) {
      auto f = read_null_state(path);
      if (const auto why = origin_mismatch(f.origin, origin); !why.empty())
        throw InputError(path + " (" + option + "): refusing a file written for another analysis: " + why +
                         (option == "--checkpoint" ? "; delete it to start over" : ""));
      const auto expected = NullState::empty(K, a.shape.layers * a.shape.times, two_pass,
                                             a.spec.correction.tfce, 0);
      if (f.state.permutations != K || f.state.cells != expected.cells || f.state.two_pass != two_pass)
        throw InputError(path + " (" + option + "): expected K = " + std::to_string(K) + " over " +
                         std::to_string(expected.cells) + " cells, found K = " +
                         std::to_string(f.state.permutations) + " over " + std::to_string(f.state.cells));
      return f;
    };
    if (stage2) {
      auto f = read_checked(opt.pass1_from, "--pass1-from");
      if (!f.state.pass1_complete())
        throw InputError(opt.pass1_from + " (--pass1-from): expected pass 1 over all of 0:" + std::to_string(K + 1) +
                         " (the output of `permrsa merge` over the first array's shards), found " +
                         describe(f.state.pass1));
      f.state.pass2.clear();
      resume = std::move(f.state);
    }
    if (!opt.checkpoint.empty() && std::filesystem::exists(opt.checkpoint)) {
      auto f = read_checked(opt.checkpoint, "--checkpoint");
      const bool fits = (stage2 ? f.state.pass1_complete() : subtract(f.state.pass1, target1).empty()) &&
                        subtract(f.state.pass2, target2).empty();
      if (!fits)
        throw InputError(opt.checkpoint + " (--checkpoint): holds permutations " + describe(f.state.pass1) +
                         (two_pass ? " (pass 1) and " + describe(f.state.pass2) + " (pass 2)" : "") +
                         ", outside this run's " + describe(stage2 ? target2 : target1) + "; delete it to start over");
      resume = std::move(f.state);
    }
  });
  log_design(a, world);
  if (resume && !opt.checkpoint.empty() && std::filesystem::exists(opt.checkpoint))
    spdlog::info("resuming from {}: done {}{}", opt.checkpoint, describe(resume->pass1),
                 two_pass ? " (pass 1), " + describe(resume->pass2) + " (pass 2)" : "");
  run_options.resume = resume ? &*resume : nullptr;
  run_options.export_state = !opt.shard_out.empty();
  int checkpoints_saved = 0;
  double checkpoint_seconds = 0;
  if (!opt.checkpoint.empty()) {
    run_options.checkpoint.seconds = opt.checkpoint_seconds;
    run_options.checkpoint.permutations = opt.checkpoint_every;
    run_options.checkpoint.stop_requested = [] { return stop_requested(); };
    run_options.checkpoint.seconds_spent = &checkpoint_seconds;
    run_options.checkpoint.save = [&](const NullState& state) {
      write_null_state(opt.checkpoint, {"checkpoint", origin, state});
      ++checkpoints_saved;
      spdlog::debug("checkpoint {}: {}", opt.checkpoint, describe(state.pass1));
    };
  }

  ProgressLine progress(two_pass ? "permutation maps (2 passes over K)" : "permutation maps",
                        !global.quiet && global.progress && world.rank() == 0);
  run_options.progress = [&](std::int64_t done, std::int64_t total) { progress.update(done, total); };
  AnalysisResult result;
  try {
    result = run_analysis(a.problem, a.spec.analysis, a.spec.correction, a.design, a.grid, world, run_options);
  } catch (const StoppedAtCheckpoint&) {
    progress.finish();
    if (world.rank() == 0)
      spdlog::warn("{}: saved the checkpoint {} and stopped; run the same command again to resume",
                   stop_signal_name()[0] ? stop_signal_name() : "a stop signal on another rank", opt.checkpoint);
    return kExitStoppedAtCheckpoint;
  }
  progress.finish();

  if (!opt.shard_out.empty()) {
    NullState state = world.rank() == 0 ? *result.state : NullState{};
    if (stage2) state = state.only_pass2();
    write_state_agreed(opt.shard_out, {"shard", origin, std::move(state)}, world);
    spdlog::info("wrote shard {}: permutations {}{}", opt.shard_out,
                 opt.permutations.empty() ? "0:" + std::to_string(K + 1) : opt.permutations,
                 two_pass ? (stage2 ? " of pass 2" : " of pass 1") : "");
  } else {
    finish_and_write(a, result, a.spec.output.file, world);
  }
  if (!opt.checkpoint.empty() && world.rank() == 0) {
    spdlog::info("checkpoint {}: saved {} times during the run ({:.3f} s on states and saves); removed now "
                 "that the output is complete", opt.checkpoint, checkpoints_saved, checkpoint_seconds);
    std::error_code ignored;
    std::filesystem::remove(opt.checkpoint, ignored);  // the finished output supersedes it
    remove_stale_temporaries(opt.checkpoint);
  }
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
  cmd->add_option("--grid", opt->grid.grid,
                  "Process grid DxG: D data blocks (layer x time ranges) x G permutation groups; "
                  "D*G must equal the number of MPI ranks (default: chosen from the problem size "
                  "and --memory-per-rank)");
  cmd->add_option("--block-shape", opt->grid.block_shape,
                  "Split the D data blocks as LBxTB layer x time ranges (default: time first)");
  cmd->add_option(
         "--memory-per-rank", opt->grid.memory_per_rank_gib,
         "Memory budget per rank in GiB: steers the automatic grid; permutations or bootstrap "
         "samples estimated to need more are refused up front (exit 2)")
      ->check(positive_number())
      ->capture_default_str();
  cmd->add_option("--batch-size", opt->grid.batch_size,
                  "Permutations per kernel call (memory vs speed; results do not depend on it)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 20))
      ->capture_default_str();
  cmd->add_option("--permutations", opt->permutations,
                  "Compute only permutations A:B (half-open, of 0..K; k = 0 is the observed data) and "
                  "write them to --shard-out, for `permrsa merge` (Slurm array tasks; see jobs/)");
  cmd->add_option("--shard-out", opt->shard_out, "Write the null distribution of --permutations to this shard");
  cmd->add_option("--pass1-from", opt->pass1_from,
                  "Permutation-p threshold, second stage: the merged pass-1 file (`permrsa merge` of the "
                  "first array's shards); --permutations then names a range of pass 2")
      ->check(CLI::ExistingFile);
  cmd->add_option("--checkpoint", opt->checkpoint,
                  "Save progress to this file and resume from it when it exists; SIGTERM, SIGUSR1 "
                  "and SIGINT (Ctrl-C; twice: stop at once) save it and stop with exit code 75");
  cmd->add_option("--checkpoint-every", opt->checkpoint_every,
                  "Also save the checkpoint every N permutations (0: only by time)")
      ->check(non_negative_number())
      ->capture_default_str();
  cmd->add_option("--checkpoint-seconds", opt->checkpoint_seconds,
                  "Save the checkpoint every S seconds (0: only by count)")
      ->check(non_negative_number())
      ->capture_default_str();
  return [opt, &global] { return run(*opt, global); };
}

}  // namespace permrsa::cli
