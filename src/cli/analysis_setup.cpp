#include "cli/analysis_setup.hpp"

#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <algorithm>

#include "cli/agreement.hpp"
#include "permrsa/config.hpp"
#include "permrsa/error.hpp"
#include "permrsa/memory_budget.hpp"
#include "permrsa/results_file.hpp"
#include "permrsa/sign_flips.hpp"
#include "permrsa/statistic_checks.hpp"
#include "permrsa/subject_summaries.hpp"
#include "permrsa/synthetic.hpp"

namespace permrsa::cli {
namespace {

RsaProblem demo_problem(const BlockRange& block) {
  auto data = make_synthetic(SyntheticSpec{});
  RsaProblem problem;
  problem.block = block;
  problem.brain = Matrix<double>(data.brain.rows(), block.times());
  for (std::size_t p = 0; p < data.brain.rows(); ++p)
    for (std::size_t t = 0; t < block.times(); ++t)
      problem.brain(p, t) = data.brain(p, block.time_begin + t);
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

// Input values held per layer x time cell, for the memory plan: P per subject (or for the group)
// with RDMs, one per subject with given maps.
std::size_t values_per_cell(const ProblemShape& shape) {
  return shape.pairs > 0 ? shape.pairs * std::max<std::size_t>(1, shape.subjects) : shape.subjects;
}

long peak_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

}  // namespace

PreparedAnalysis prepare_analysis(const std::function<RunSpec()>& load_spec, bool demo,
                                  const GridOptions& opt, const Communicator& world,
                                  const std::function<void(const RunSpec&)>& check_outputs) {
  PreparedAnalysis a;
  a.demo = demo;
  RunSpec& spec = a.spec;
  // Everything that can be wrong with the input is found here, agreed by all ranks, before
  // any heavy work.
  agree(world, [&] {
    spec = load_spec();
    check_outputs(spec);
    a.shape = demo ? demo_shape() : probe_problem_shape(spec);
  });
  agree(world, [&] {
    check_subject_count(spec, a.shape.subjects);
    if (spec.analysis.scheme == Scheme::sign_flip) {
      if (!spec.analysis.permutation_file.empty())
        throw InputError(spec.source +
                         ": analysis.permutation_file: applies to the stimulus scheme, "
                         "not to \"sign-flip\"");
      a.design.flips.emplace(
          SignFlipSet::generated(a.shape.subjects, spec.analysis.permutations, spec.analysis.seed));
    } else {
      a.design.permutations.emplace(load_permutations(spec, a.shape.stimuli));
    }
    GridRequest request;
    if (!opt.grid.empty()) request.grid = parse_grid_text(opt.grid, "--grid");
    if (!opt.block_shape.empty())
      request.block_shape = parse_grid_text(opt.block_shape, "--block-shape");
    request.memory_per_rank = opt.memory_per_rank_gib * 1024.0 * 1024.0 * 1024.0;
    a.grid = plan_grid(world.size(), values_per_cell(a.shape), a.shape.layers, a.shape.times,
                       a.design.count(), spec.correction.cluster_alpha, opt.batch_size, request);
    // Before anything grows with K or B: refuse what cannot fit (every rank checks its block).
    check_memory_budget(
        spec, a.shape,
        run_footprint(spec, a.shape, a.grid.block(a.grid.block_of(world.rank())), opt.batch_size),
        a.design.count(), request.memory_per_rank, "--memory-per-rank");
  });
  const BlockRange block = a.grid.block(a.grid.block_of(world.rank()));
  agree(world, [&] {
    a.problem = demo ? demo_problem(block) : load_problem(spec, block);
    // The observed statistics (k = 0) and what a permutation can reach, before the sweep.
    check_statistics(a.problem, spec);
    for (const auto& name : spec.bootstrap.compare_layers)
      if (std::find(a.problem.layers.begin(), a.problem.layers.end(), name) ==
          a.problem.layers.end())
        throw InputError(
            spec.source + ": bootstrap.compare_layers: expected a layer name, found \"" + name +
            "\"; the layers are those of models.names (" + a.problem.layers.front() + ", ...)");
  });
  // Once the input is known good (a warning before an error would muddle the message).
  if (world.rank() == 0 && !demo && spec.brain.times.empty() && !spec.brain.time_start)
    spdlog::warn(
        "{}: neither brain.times nor brain.time_start is set: {}; set brain.times (a "
        "file) or brain.time_start and brain.time_step (seconds)",
        spec.source,
        spec.brain.time_step ? "the first sample is taken as t = 0 s"
                             : "the time axis is the sample index (0, 1, 2, ...), read as seconds");
  return a;
}

NullStateOrigin origin_of(const PreparedAnalysis& a) {
  NullStateOrigin o;
  RunSpec spec = a.spec;
  spec.output.file = "results.h5";  // where the results go is not part of what they are
  o.config = to_toml(spec);
  for (const auto& [key, sha] : a.problem.input_hashes) o.inputs += key + "=" + sha + ";";
  if (o.inputs.empty()) o.inputs = a.demo ? "embedded-demo" : "none";
  o.seed = static_cast<std::uint64_t>(a.spec.analysis.seed);
  o.version = PERMRSA_VERSION;
  return o;
}

RunOptions run_options_for(const PreparedAnalysis& a, const GridOptions& opt) {
  RunOptions run_options;
  run_options.batch_size = opt.batch_size;
  // What the memory budget leaves after everything else of the run may hold pass 1's maps.
  const auto& spec = a.spec;
  run_options.map_cache_bytes =
      opt.memory_per_rank_gib * 1024.0 * 1024.0 * 1024.0 -
      run_footprint(spec, a.shape, a.problem.block, opt.batch_size)
          .bytes(a.design.count(), spec.bootstrap.enabled ? spec.bootstrap.samples : 0);
  return run_options;
}

void finish_and_write(const PreparedAnalysis& a, AnalysisResult& result, const std::string& path,
                      const Communicator& world) {
  const auto& spec = a.spec;
  const double fixed_threshold =
      spec.correction.cluster_threshold == ClusterThreshold::t_default
          ? t_default_threshold(spec.correction.cluster_alpha, spec.analysis.tail, a.shape.subjects)
          : spec.correction.cluster_value;
  auto summaries = summarize_subjects(a.problem, spec, result, fixed_threshold, a.grid, world);
  result.noise_ceiling = std::move(summaries.noise_ceiling);
  result.bootstrap = std::move(summaries.bootstrap);
  if (const auto warning = noise_ceiling_warning(a.shape.subjects);
      result.noise_ceiling && !warning.empty() && world.rank() == 0)
    spdlog::warn("{}", warning);
  if (result.bootstrap)
    for (std::size_t l = 0; l < a.shape.layers; ++l)
      spdlog::info("bootstrap peak of {}: {:.4g} s, 95% CI [{:.4g}, {:.4g}]", a.problem.layers[l],
                   result.bootstrap->peak[l].estimate, result.bootstrap->peak[l].low,
                   result.bootstrap->peak[l].high);

  // write_results throws the same failure on every rank (a full disk): one message, exit 1.
  agree(world, [&] { write_results(path, spec, a.problem, result, world); });
  if (world.size() > 1) {
    // Per-rank peak memory, gathered to rank 0 for the log.
    const double mine = static_cast<double>(peak_rss_kib()) / 1024.0;
    const auto all = world.gatherv(std::span<const double>(&mine, 1), 0);
    std::string text;
    for (std::size_t r = 0; r < all.size(); ++r)
      text += fmt::format("{}{:.0f}", r ? ", " : "", all[r]);
    spdlog::info("peak RSS per rank (MiB): {}", text);
  } else {
    spdlog::info("peak RSS: {:.0f} MiB", static_cast<double>(peak_rss_kib()) / 1024.0);
  }
  std::size_t significant = 0;
  for (double p : result.cluster_p) significant += p <= 0.05;
  spdlog::info("wrote {}: {} clusters, {} with p <= 0.05 (see `permrsa info {}`)", path,
               result.clusters.size(), significant, path);
}

}  // namespace permrsa::cli
