// `permrsa run [config.toml]`: the stimulus-permutation analysis, end to end.
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "cli/commands.hpp"
#include "cli/demo_spec.hpp"
#include "cli/finish_results.hpp"
#include "cli/option_checks.hpp"
#include "cli/output_checks.hpp"
#include "cli/progress_line.hpp"
#include "cli/stop_signals.hpp"
#include "permrsa/agreement.hpp"
#include "permrsa/atomic_file.hpp"
#include "permrsa/config.hpp"
#include "permrsa/engine.hpp"
#include "permrsa/error.hpp"
#include "permrsa/output_location.hpp"
#include "permrsa/permutation_analysis.hpp"
#include "permrsa/phase_times.hpp"
#include "permrsa/process_grid.hpp"
#include "permrsa/rsa_problem.hpp"
#include "permrsa/shards.hpp"

namespace permrsa::cli {
namespace {

// The cluster-forming rule in the tail's own form: t > c, t < -c or |t| > c.
std::string tail_threshold_text(Tail tail, double c) {
  switch (tail) {
    case Tail::greater:
      return fmt::format("t > {:.6g}", c);
    case Tail::less:
      return fmt::format("t < {:.6g}", -c);
    default:
      return fmt::format("|t| > {:.6g}", c);
  }
}

struct RunOptionsCli {
  std::string config;
  std::vector<std::string> overrides;
  EngineOptions engine;
  RunRequest request;
  bool profile = false;  // --profile: the table of phase times on stderr (rank 0)
};

const char* kind_text(PermutationKind kind) {
  switch (kind) {
    case PermutationKind::exhaustive:
      return "all permutations, exact p-values";
    case PermutationKind::philox:
      return "Philox4x32-10 from the seed";
    case PermutationKind::explicit_rows:
      return "from analysis.permutation_file";
  }
  return "";
}

void log_design(const PreparedAnalysis& a, const Communicator& world) {
  const auto& spec = a.spec;
  const auto& shape = a.shape;
  const auto& design = a.design;
  if (a.demo()) spdlog::info("no config given: running the embedded synthetic demo");
  if (shape.pairs == 0) {
    spdlog::info(
        "per-subject maps given (brain.layout = subjects-layers-time): L = {} layers, T = {} "
        "time points; tail {}",
        shape.layers, shape.times, to_string(spec.analysis.tail));
  } else {
    spdlog::info(
        "S = {} stimuli ({} pairs), L = {} layers, T = {} time points; metric {}, tail {}, {}",
        shape.stimuli, shape.pairs, shape.layers, shape.times, to_string(spec.analysis.metric),
        to_string(spec.analysis.tail), to_string(spec.analysis.precision));
  }
  const std::int64_t K = design.count();
  if (design.flips()) {
    spdlog::info("sign-flip test over N = {} subjects, group statistic {}{}", shape.subjects,
                 to_string(spec.analysis.group_statistic),
                 spec.analysis.fisher_z ? " of Fisher z" : "");
    if (design.flips()->kind() == SignFlipKind::exhaustive && K != spec.analysis.permutations)
      spdlog::info(
          "2^N = {} <= K + 1: enumerating every sign pattern once (K = {}) instead of {} random "
          "ones",
          K + 1, K, spec.analysis.permutations);
    if (spec.correction.cluster_threshold == ClusterThreshold::t_default)
      spdlog::info("cluster-forming threshold t-default: {} (Student t, {} dof)",
                   tail_threshold_text(spec.analysis.tail,
                                       t_default_threshold(spec.correction.cluster_alpha,
                                                           spec.analysis.tail, shape.subjects)),
                   shape.subjects - 1);
  } else if (const auto* relabels = design.relabels()) {
    spdlog::info("two-group test: N_a = {} and N_b = {} subjects, group statistic {}{}",
                 relabels->group_a_size(), shape.subjects - relabels->group_a_size(),
                 to_string(spec.analysis.group_statistic),
                 spec.analysis.fisher_z ? " of Fisher z" : "");
    if (relabels->kind() == RelabelKind::exhaustive && K != spec.analysis.permutations)
      spdlog::info(
          "C(N, N_a) = {} <= K + 1: enumerating every relabelling once (K = {}) instead of {} "
          "random ones",
          K + 1, K, spec.analysis.permutations);
    if (spec.correction.cluster_threshold == ClusterThreshold::t_default)
      spdlog::info("cluster-forming threshold t-default: {} ({}, {} dof)",
                   tail_threshold_text(
                       spec.analysis.tail,
                       fixed_cluster_threshold(spec.correction, spec.analysis, shape.subjects)),
                   spec.analysis.group_statistic == GroupStatistic::f ? "F(1, N - 2)" : "Student t",
                   shape.subjects - 2);
  } else {
    if (design.permutations()->kind() == PermutationKind::exhaustive &&
        K != spec.analysis.permutations)
      spdlog::info(
          "S! = {} <= K + 1: enumerating every permutation once (K = {}) instead of {} random ones",
          K + 1, K, spec.analysis.permutations);
  }
  spdlog::info(
      "K = {} {} ({}), cluster threshold {}, connectivity {}", K,
      design.flips()      ? "sign flips"
      : design.relabels() ? "group relabellings"
                          : "permutations",
      design.flips()
          ? (design.flips()->kind() == SignFlipKind::exhaustive ? "all patterns, exact p-values"
                                                                : "Philox4x32-10 from the seed")
      : design.relabels() ? (design.relabels()->kind() == RelabelKind::exhaustive
                                 ? "all relabellings, exact p-values"
                                 : "Philox4x32-10 from the seed")
                          : kind_text(design.permutations()->kind()),
      to_string(spec.correction.cluster_threshold), to_string(spec.correction.connectivity));
  if (world.size() > 1) spdlog::info("{} ranks: {}", world.size(), a.grid.describe());
}

// Where this run writes (the results file, or the shard; the checkpoint), and what it reads: none
// may be another (D2 and D6 of issue 15: a checkpoint named like the output deleted the results,
// an output named like an input overwrote it).
void check_run_outputs(const RunOptionsCli& opt, const RunSpec& spec, bool demo,
                       const Communicator& world) {
  const RunRequest& r = opt.request;
  std::vector<FileRole> outputs{r.shard_out.empty() ? FileRole{spec.output.file, "output.file"}
                                                    : FileRole{r.shard_out, "--shard-out"}};
  if (!r.checkpoint.empty()) outputs.push_back({r.checkpoint, "--checkpoint"});
  std::vector<FileRole> inputs = demo ? std::vector<FileRole>{} : run_input_files(spec);
  if (!demo) inputs.push_back({opt.config, "the config file"});
  if (!r.pass1_from.empty()) inputs.push_back({r.pass1_from, "--pass1-from"});
  prepare_outputs(outputs, inputs, world);
}

// Checkpoints every --checkpoint-seconds or --checkpoint-every permutations, and on a stop signal.
struct CheckpointLog {
  int saved = 0;
  double seconds = 0;
};

void attach_checkpoints(const PreparedAnalysis& a, const RunRequest& r, PlannedRun& plan,
                        CheckpointLog& log) {
  if (r.checkpoint.empty()) return;
  auto& hooks = plan.options.checkpoint;
  hooks.stop_requested = [] { return stop_requested(); };
  hooks.seconds_spent = &log.seconds;
  hooks.save = [&a, &r, &log](const NullState& state) {
    save_checkpoint(a, r.checkpoint, state);
    ++log.saved;
    spdlog::debug("checkpoint {}: {}", r.checkpoint, describe(state.pass1));
  };
}

void finish_checkpoint(const RunRequest& r, const CheckpointLog& log, const Communicator& world) {
  if (r.checkpoint.empty() || world.rank() != 0) return;
  spdlog::info(
      "checkpoint {}: saved {} times during the run ({:.3f} s on states and saves); removed now "
      "that the output is complete",
      r.checkpoint, log.saved, log.seconds);
  std::error_code ignored;
  std::filesystem::remove(r.checkpoint, ignored);  // the finished output supersedes it
  remove_stale_temporaries(r.checkpoint);
}

int run(const RunOptionsCli& opt, const GlobalOptions& global) {
  const Communicator& world = global.runtime->world();
  const bool demo = opt.config.empty();
  const RunRequest& request = opt.request;
  if (!request.checkpoint.empty()) catch_stop_signals();
  const auto started = std::chrono::steady_clock::now();
  PhaseTimes phases;
  PhaseTimes* profile = opt.profile && world.rank() == 0 ? &phases : nullptr;
  std::optional<ScopedPhase> preparing(std::in_place, profile, "load, check and prepare inputs");
  const auto a = prepare_analysis(
      [&] {
        return demo ? demo_run_spec(opt.overrides) : load_run_spec(opt.config, opt.overrides);
      },
      demo ? AnalysisInput{EmbeddedDemo{}} : AnalysisInput{FilesInput{}}, opt.engine, world,
      [&](const RunSpec& spec) { check_run_outputs(opt, spec, demo, world); });
  PlannedRun plan = plan_run(a, opt.engine, request, world);
  preparing.reset();
  plan.options.profile = profile;
  log_design(a, world);
  if (plan.resumes_checkpoint)
    spdlog::info("resuming from {}: done {}{}", request.checkpoint, describe(plan.resume->pass1),
                 plan.two_pass ? " (pass 1), " + describe(plan.resume->pass2) + " (pass 2)" : "");
  plan.options.resume = plan.resume ? &*plan.resume : nullptr;
  CheckpointLog checkpoints;
  attach_checkpoints(a, request, plan, checkpoints);
  ProgressLine progress(plan.two_pass ? "permutation maps (2 passes over K)" : "permutation maps",
                        !global.quiet && global.progress && world.rank() == 0);
  plan.options.progress = [&](std::int64_t done, std::int64_t total) {
    progress.update(done, total);
  };
  AnalysisResult result;
  try {
    result = run_prepared(a, plan.options, world);
  } catch (const StoppedAtCheckpoint&) {
    progress.finish();
    if (world.rank() == 0)
      spdlog::warn("{}: saved the checkpoint {} and stopped; run the same command again to resume",
                   stop_signal_name()[0] ? stop_signal_name() : "a stop signal on another rank",
                   request.checkpoint);
    return kExitStoppedAtCheckpoint;
  }
  progress.finish();
  if (!request.shard_out.empty()) {
    write_shard(a, result, plan, request, world);
    spdlog::info("wrote shard {}: permutations {}{}", request.shard_out,
                 request.permutations.empty() ? "0:" + std::to_string(a.design.count() + 1)
                                              : request.permutations,
                 plan.two_pass ? (plan.stage2 ? " of pass 2" : " of pass 1") : "");
  } else {
    const ScopedPhase phase(profile, "summaries and results file");
    finish_results(a, result, a.spec.output.file, world);
  }
  finish_checkpoint(request, checkpoints, world);
  if (profile)
    std::fprintf(
        stderr, "permrsa run --profile (rank 0, wall clock):\n%s",
        phases
            .table(
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count())
            .c_str());
  return 0;
}

}  // namespace

std::function<int()> add_run_command(CLI::App& app, GlobalOptions& global) {
  auto opt = std::make_shared<RunOptionsCli>();
  auto* cmd = app.add_subcommand("run",
                                 "Run the permutation analysis described by a TOML config "
                                 "(without one: the embedded synthetic demo)");
  cmd->add_option("config", opt->config, "TOML config (see config/*.toml and README.md)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--set", opt->overrides,
                  "Override a config key: section.key=value (repeatable), e.g. "
                  "--set analysis.permutations=5000 --set analysis.metric=kendall-b")
      ->allow_extra_args(false);
  cmd->add_option("--grid", opt->engine.grid,
                  "Process grid DxG: D data blocks (layer x time ranges) x G permutation groups; "
                  "D*G must equal the number of MPI ranks (default: chosen from the problem size "
                  "and --memory-per-rank)");
  cmd->add_option("--block-shape", opt->engine.block_shape,
                  "Split the D data blocks as LBxTB layer x time ranges (default: time first)");
  cmd->add_option(
         "--memory-per-rank", opt->engine.memory_per_rank_gib,
         "Memory budget per rank in GiB: steers the automatic grid; permutations or bootstrap "
         "samples estimated to need more are refused up front (exit 2)")
      ->check(positive_number())
      ->capture_default_str();
  cmd->add_flag("--profile", opt->profile,
                "Print a table of the time spent in each phase (load, kernel, counting, top "
                "values, clusters, pass 2, write) on stderr when the run ends (rank 0)");
  cmd->add_option("--batch-size", opt->engine.batch_size,
                  "Permutations per kernel call (memory vs speed; results do not depend on it)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 20))
      ->capture_default_str();
  cmd->add_option(
      "--permutations", opt->request.permutations,
      "Compute only permutations A:B (half-open, of 0..K; k = 0 is the observed data) and "
      "write them to --shard-out, for `permrsa merge` (Slurm array tasks; see jobs/)");
  cmd->add_option("--shard-out", opt->request.shard_out,
                  "Write the null distribution of --permutations to this shard");
  cmd->add_option(
         "--pass1-from", opt->request.pass1_from,
         "Permutation-p threshold, second stage: the merged pass-1 file (`permrsa merge` of the "
         "first array's shards); --permutations then names a range of pass 2")
      ->check(CLI::ExistingFile);
  cmd->add_option("--checkpoint", opt->request.checkpoint,
                  "Save progress to this file and resume from it when it exists; SIGTERM, SIGUSR1 "
                  "and SIGINT (Ctrl-C; twice: stop at once) save it and stop with exit code 75");
  cmd->add_option("--checkpoint-every", opt->request.checkpoint_every,
                  "Also save the checkpoint every N permutations (0: only by time)")
      ->check(non_negative_number())
      ->capture_default_str();
  cmd->add_option("--checkpoint-seconds", opt->request.checkpoint_seconds,
                  "Save the checkpoint every S seconds (0: only by count)")
      ->check(non_negative_number())
      ->capture_default_str();
  return [opt, &global] { return run(*opt, global); };
}

}  // namespace permrsa::cli
