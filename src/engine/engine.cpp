#include "permrsa/engine.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/contrasts.hpp"
#include "core/generalisation.hpp"
#include "core/memory_budget.hpp"
#include "core/problem_preparation.hpp"
#include "core/statistic_checks.hpp"
#include "core/subject_summaries.hpp"
#include "io/results_file.hpp"
#include "permrsa/agreement.hpp"
#include "permrsa/error.hpp"
#include "permrsa/noise_ceiling.hpp"
#include "permrsa/sign_flips.hpp"
#include "sim/demo_problem.hpp"

namespace permrsa {
namespace {

// Input values held per layer x time cell, for the memory plan: P per subject (or for the group)
// with RDMs, one per subject with given maps.
std::size_t values_per_cell(const ProblemShape& shape) {
  return shape.pairs > 0 ? shape.pairs * std::max<std::size_t>(1, shape.subjects) : shape.subjects;
}

ProblemShape shape_of_loaded(const RsaProblem& p) {
  return {p.stimuli, p.pair_count(), p.layers.size(), p.times.size(), p.subject_count()};
}

NullDesign make_null_design(const RunSpec& spec, const ProblemShape& shape) {
  const auto& a = spec.analysis;
  if (a.scheme == Scheme::stimulus) return {load_permutations(spec, shape.stimuli)};
  if (!a.permutation_file.empty())
    throw InputError(spec.source +
                     ": analysis.permutation_file: applies to the stimulus scheme, "
                     "not to \"" +
                     to_string(a.scheme) + "\"");
  if (a.scheme == Scheme::two_group) {
    std::vector<std::uint8_t> groups(spec.brain.groups.begin(), spec.brain.groups.end());
    return {GroupRelabelSet::generated(std::move(groups), a.permutations, a.seed)};
  }
  return {SignFlipSet::generated(shape.subjects, a.permutations, a.seed)};
}

ProcessGrid make_grid(const PreparedAnalysis& a, const EngineOptions& opt,
                      const Communicator& world) {
  GridRequest request;
  if (!opt.grid.empty()) request.grid = parse_grid_text(opt.grid, "--grid");
  if (!opt.block_shape.empty())
    request.block_shape = parse_grid_text(opt.block_shape, "--block-shape");
  request.memory_per_rank = opt.memory_per_rank_gib * 1024.0 * 1024.0 * 1024.0;
  const ProcessGrid grid =
      plan_grid(world.size(), values_per_cell(a.shape), a.shape.layers, a.shape.times,
                a.design.count(), a.spec.correction.cluster_alpha, opt.batch_size, request);
  // Before anything grows with K or B: refuse what cannot fit (every rank checks its block).
  check_memory_budget(
      a.spec, a.shape,
      run_footprint(a.spec, a.shape, grid.block(grid.block_of(world.rank())), opt.batch_size),
      a.design.count(), request.memory_per_rank, opt.memory_option);
  return grid;
}

void check_compared_layers(const RunSpec& spec, const RsaProblem& problem) {
  for (const auto& name : spec.bootstrap.compare_layers)
    if (std::find(problem.layers.begin(), problem.layers.end(), name) == problem.layers.end()) {
      std::string valid;
      for (const auto& layer : problem.layers) valid += (valid.empty() ? "" : ", ") + layer;
      throw InputError(spec.source + ": bootstrap.compare_layers: expected a layer name, found \"" +
                       name + "\"; the layers (models.names) are: " + valid);
    }
}

// This rank's block of the problem, from whichever input the analysis has.
RsaProblem load_block(const PreparedAnalysis& a, const BlockRange& block, RsaProblem loaded) {
  if (a.demo() && a.spec.analysis.generalise)
    return generalised_problem(a.spec.analysis, block, [](std::size_t t0, std::size_t t1) {
      return demo_problem(BlockRange{0, 0, t0, t1});
    });
  if (a.demo()) return demo_problem(block);
  if (std::holds_alternative<ProblemArrays>(a.input)) return loaded;  // one process: the whole grid
  return load_problem(a.spec, block);
}

void warn_about_times(const PreparedAnalysis& a, const Communicator& world) {
  const auto& b = a.spec.brain;
  if (world.rank() != 0 || !std::holds_alternative<FilesInput>(a.input) || !b.times.empty() ||
      b.time_start)
    return;
  spdlog::warn(
      "{}: neither brain.times nor brain.time_start is set: {}; set brain.times (a "
      "file) or brain.time_start and brain.time_step (seconds)",
      a.spec.source,
      b.time_step ? "the first sample is taken as t = 0 s"
                  : "the time axis is the sample index (0, 1, 2, ...), read as seconds");
}

// What partialling out changes in the maps, said once.
void log_covariates(const PreparedAnalysis& a, const Communicator& world) {
  const auto& c = a.problem.covariates;
  if (world.rank() != 0 || !c.any()) return;
  std::string names;
  for (const auto& n : c.names) names += (names.empty() ? "" : ", ") + n;
  spdlog::info("covariates: {} partialled out of every map (method {}, permute {})", names,
               to_string(a.spec.covariates.method), to_string(a.spec.covariates.permute));
  // A warning: the maps then have fewer layers than models.file.
  for (const auto& layer : a.spec.covariates.layers)
    spdlog::warn(
        "covariates: layer {} is a covariate: it has no partial map and is left out of "
        "the maps (/axes/layer lists the others)",
        layer);
  if (a.problem.subject_count() > 0)
    spdlog::info(
        "covariates: the noise ceiling bounds plain correlations, not partial ones: "
        "it is left out (no /noise_ceiling)");
}

}  // namespace

PreparedAnalysis prepare_analysis(const std::function<RunSpec()>& load_spec,
                                  const AnalysisInput& input, const EngineOptions& options,
                                  const Communicator& world,
                                  const std::function<void(const RunSpec&)>& check_outputs) {
  PreparedAnalysis a;
  a.input = input;
  const auto* arrays = std::get_if<ProblemArrays>(&input);
  if (arrays && world.size() != 1)
    throw InternalError("arrays in memory are analysed by one process");
  RsaProblem whole;  // arrays in memory: loaded whole, once
  // Everything that can be wrong with the input is found here, agreed by all ranks, before any
  // heavy work.
  agree(world, [&] {
    a.spec = load_spec();
    if (check_outputs) check_outputs(a.spec);
    if (arrays) whole = problem_from_arrays(a.spec, *arrays);
    a.shape = a.demo()
                  ? (a.spec.analysis.generalise ? generalised_shape(demo_shape()) : demo_shape())
              : arrays ? shape_of_loaded(whole)
                       : probe_problem_shape(a.spec);
  });
  agree(world, [&] {
    check_subject_count(a.spec, a.shape.subjects);
    a.design = make_null_design(a.spec, a.shape);
    a.grid = make_grid(a, options, world);
  });
  agree(world, [&] {
    a.problem = load_block(a, a.grid.block(a.grid.block_of(world.rank())), std::move(whole));
    rank_subjects_for_spearman(a.problem, a.spec.analysis.metric);
    // The observed statistics (k = 0) and what a permutation can reach, before the sweep.
    check_statistics(a.problem, a.spec);
    check_compared_layers(a.spec, a.problem);
    check_contrast_layers(a.spec, a.problem.layers);
  });
  // Once the input is known good (a warning before an error would muddle the message).
  warn_about_times(a, world);
  log_covariates(a, world);
  return a;
}

RunOptions run_options_for(const PreparedAnalysis& a, const EngineOptions& options) {
  RunOptions run;
  run.batch_size = options.batch_size;
  // What the memory budget leaves after everything else of the run may hold pass 1's maps.
  const auto& spec = a.spec;
  run.map_cache_bytes =
      options.memory_per_rank_gib * 1024.0 * 1024.0 * 1024.0 -
      run_footprint(spec, a.shape, a.problem.block, options.batch_size)
          .bytes(a.design.count(), spec.bootstrap.enabled ? spec.bootstrap.samples : 0);
  return run;
}

AnalysisResult run_prepared(const PreparedAnalysis& a, const RunOptions& options,
                            const Communicator& world) {
  AnalysisResult r =
      run_analysis(a.problem, a.spec.analysis, a.spec.correction, a.design, a.grid, world, options);
  if (a.spec.correction.tfce && !a.spec.correction.tfce_step && r.complete)
    spdlog::info(
        "TFCE: tfce_step = \"auto\" is {:.6g} (the largest |statistic| of the observed map / 100; "
        "stored as the attribute tfce_step)",
        r.tfce_step);
  return r;
}

std::vector<std::string> summarize(const PreparedAnalysis& a, AnalysisResult& result,
                                   const Communicator& world) {
  const double threshold =
      fixed_cluster_threshold(a.spec.correction, a.spec.analysis, a.shape.subjects);
  auto summaries = summarize_subjects(a.problem, a.spec, result, threshold, a.grid, world);
  result.noise_ceiling = std::move(summaries.noise_ceiling);
  result.subject_values = std::move(summaries.subject_values);
  result.bootstrap = std::move(summaries.bootstrap);
  if (!a.spec.contrasts.pairs.empty()) {
    if (!result.subject_values)
      throw InternalError("contrasts: the per-subject maps were not kept");
    result.contrasts = run_contrasts(a.spec, a.problem, *result.subject_values, 64, world);
  }
  std::vector<std::string> warnings;
  if (const auto w = noise_ceiling_warning(a.shape.subjects); result.noise_ceiling && !w.empty())
    warnings.push_back(w);
  return warnings;
}

void write_results_file(const PreparedAnalysis& a, const AnalysisResult& result,
                        const std::string& path, const Communicator& world) {
  // write_results throws the same failure on every rank (a full disk): one message, exit 1.
  agree(world, [&] { write_results(path, a.spec, a.problem, result, world); });
}

}  // namespace permrsa
