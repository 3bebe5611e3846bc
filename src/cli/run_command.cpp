// `permrsa run [config.toml]`: the stimulus-permutation analysis, end to end.
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <optional>

#include "cli/agreement.hpp"
#include "cli/commands.hpp"
#include "cli/demo_spec.hpp"
#include "cli/progress_line.hpp"
#include "permrsa/config.hpp"
#include "permrsa/results_file.hpp"
#include "permrsa/rsa_problem.hpp"
#include "permrsa/permutation_analysis.hpp"
#include "permrsa/process_grid.hpp"
#include "permrsa/sign_flips.hpp"
#include "permrsa/subject_summaries.hpp"
#include "permrsa/error.hpp"
#include "permrsa/synthetic.hpp"

namespace permrsa::cli {
namespace {

// Input values held per layer x time cell, for the memory plan: P per subject (or for the group)
// with RDMs, one per subject with given maps.
std::size_t values_per_cell(const ProblemShape& shape) {
  return shape.pairs > 0 ? shape.pairs * std::max<std::size_t>(1, shape.subjects) : shape.subjects;
}

struct RunOptionsCli {
  std::string config;
  std::vector<std::string> overrides;
  std::size_t batch_size = 64;
  std::string grid;         // "DxG" or empty (automatic)
  std::string block_shape;  // "LBxTB" or empty
  double memory_per_rank_gib = 2.0;
};

RsaProblem demo_problem(const BlockRange& block) {
  auto data = make_synthetic(SyntheticSpec{});
  RsaProblem problem;
  problem.block = block;
  problem.brain = Matrix<double>(data.brain.rows(), block.times());
  for (std::size_t p = 0; p < data.brain.rows(); ++p)
    for (std::size_t t = 0; t < block.times(); ++t) problem.brain(p, t) = data.brain(p, block.time_begin + t);
  problem.models = Matrix<double>(block.layers(), data.models.cols());
  for (std::size_t l = 0; l < block.layers(); ++l) {
    const auto row = data.models.row(block.layer_begin + l);
    std::copy(row.begin(), row.end(), problem.models.row(l).begin());
  }
  problem.times = std::move(data.times);
  problem.layers = std::move(data.layers);
  problem.stimuli = SyntheticSpec{}.stimuli;
  validate_problem(problem, "<embedded demo>", "<embedded demo>");
  return problem;
}

ProblemShape demo_shape() {
  const SyntheticSpec d;
  return {d.stimuli, d.stimuli * (d.stimuli - 1) / 2, d.layers, d.times};
}

long peak_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
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
  const Communicator& world = global.runtime->world();
  const bool demo = opt.config.empty();
  RunSpec spec;
  ProblemShape shape;
  ProcessGrid grid;
  // Everything that can be wrong with the input is found here, agreed by all ranks, before
  // any heavy work.
  agree(world, [&] {
    spec = demo ? demo_run_spec(opt.overrides) : load_run_spec(opt.config, opt.overrides);
    check_output_location(spec.output.file);
    shape = demo ? demo_shape() : probe_problem_shape(spec);
  });
  NullDesign design;
  agree(world, [&] {
    if (spec.analysis.scheme == Scheme::sign_flip) {
      if (!spec.analysis.permutation_file.empty())
        throw InputError(spec.source + ": analysis.permutation_file: applies to the stimulus scheme, "
                         "not to \"sign-flip\"");
      design.flips.emplace(SignFlipSet::generated(shape.subjects, spec.analysis.permutations,
                                                  spec.analysis.seed));
    } else {
      design.permutations.emplace(load_permutations(spec, shape.stimuli));
    }
    GridRequest request;
    if (!opt.grid.empty()) request.grid = parse_grid_text(opt.grid, "--grid");
    if (!opt.block_shape.empty()) request.block_shape = parse_grid_text(opt.block_shape, "--block-shape");
    request.memory_per_rank = opt.memory_per_rank_gib * 1024.0 * 1024.0 * 1024.0;
    grid = plan_grid(world.size(), values_per_cell(shape), shape.layers,
                     shape.times, design.count(),
                     spec.correction.cluster_alpha, opt.batch_size, request);
  });
  const BlockRange block = grid.block(grid.block_of(world.rank()));
  RsaProblem problem;
  agree(world, [&] {
    problem = demo ? demo_problem(block) : load_problem(spec, block);
    for (const auto& name : spec.bootstrap.compare_layers)
      if (std::find(problem.layers.begin(), problem.layers.end(), name) == problem.layers.end())
        throw InputError(spec.source + ": bootstrap.compare_layers: expected a layer name, found \"" + name +
                         "\"; the layers are those of models.names (" + problem.layers.front() + ", ...)");
  });

  if (demo) spdlog::info("no config given: running the embedded synthetic demo");
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
  if (world.size() > 1) spdlog::info("{} ranks: {}", world.size(), grid.describe());

  const bool two_pass = spec.correction.cluster_threshold == ClusterThreshold::permutation_p;
  ProgressLine progress(two_pass ? "permutation maps (2 passes over K)" : "permutation maps",
                        !global.quiet && global.progress && world.rank() == 0);
  RunOptions run_options;
  run_options.batch_size = opt.batch_size;
  // What the memory budget leaves after the block's inputs and buffers may hold pass 1's maps.
  run_options.map_cache_bytes =
      opt.memory_per_rank_gib * 1024.0 * 1024.0 * 1024.0 -
      estimate_rank_bytes(values_per_cell(shape), block.layers(),
                          block.times(), block.cells(), K,
                          spec.correction.cluster_alpha, opt.batch_size);
  run_options.progress = [&](std::int64_t done, std::int64_t total) { progress.update(done, total); };
  auto result = run_analysis(problem, spec.analysis, spec.correction, design, grid, world,
                             run_options);
  progress.finish();

  const double fixed_threshold =
      spec.correction.cluster_threshold == ClusterThreshold::t_default
          ? t_default_threshold(spec.correction.cluster_alpha, spec.analysis.tail, shape.subjects)
          : spec.correction.cluster_value;
  auto summaries = summarize_subjects(problem, spec, result, fixed_threshold, grid, world);
  result.noise_ceiling = std::move(summaries.noise_ceiling);
  result.bootstrap = std::move(summaries.bootstrap);
  if (result.bootstrap)
    for (std::size_t l = 0; l < shape.layers; ++l)
      spdlog::info("bootstrap peak of {}: {:.4g} s, 95% CI [{:.4g}, {:.4g}]", problem.layers[l],
                   result.bootstrap->peak[l].estimate, result.bootstrap->peak[l].low, result.bootstrap->peak[l].high);

  write_results(spec.output.file, spec, problem, result, world);
  if (world.size() > 1) {
    // Per-rank peak memory, gathered to rank 0 for the log.
    const double mine = static_cast<double>(peak_rss_kib()) / 1024.0;
    const auto all = world.gatherv(std::span<const double>(&mine, 1), 0);
    std::string text;
    for (std::size_t r = 0; r < all.size(); ++r) text += fmt::format("{}{:.0f}", r ? ", " : "", all[r]);
    spdlog::info("peak RSS per rank (MiB): {}", text);
  } else {
    spdlog::info("peak RSS: {:.0f} MiB", static_cast<double>(peak_rss_kib()) / 1024.0);
  }
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
  cmd->add_option("--grid", opt->grid,
                  "Process grid DxG: D data blocks (layer x time ranges) x G permutation groups; "
                  "D*G must equal the number of MPI ranks (default: chosen from the problem size "
                  "and --memory-per-rank)");
  cmd->add_option("--block-shape", opt->block_shape,
                  "Split the D data blocks as LBxTB layer x time ranges (default: time first)");
  cmd->add_option("--memory-per-rank", opt->memory_per_rank_gib,
                  "Memory budget per rank in GiB for the automatic grid")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--batch-size", opt->batch_size,
                  "Permutations per kernel call (memory vs speed; results do not depend on it)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 20))
      ->capture_default_str();
  return [opt, &global] { return run(*opt, global); };
}

}  // namespace permrsa::cli
