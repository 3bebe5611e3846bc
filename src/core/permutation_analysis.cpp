// The stimulus-permutation analysis on a grid of data blocks x permutation groups.
//
// Each rank computes the maps of its block for its group's permutations. Per-cell quantities
// (exceedance counts, the top values for the permutation-p threshold) stay with the block and
// are combined across groups by exact integer sums and multiset merges. Per-permutation
// quantities (the map maximum, the largest cluster) need the whole map: the blocks of each
// batch are gathered to the group's leader (block 0), which runs the same code as a serial
// run on the assembled map. Communication per permutation with D > 1 blocks: L*T doubles to
// the leader (one gather per batch); none with D = 1.
#include "permrsa/permutation_analysis.hpp"

#include "core/p_adjustments.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <optional>

#include <boost/math/distributions/fisher_f.hpp>
#include <boost/math/distributions/students_t.hpp>

#include "core/analysis_frame.hpp"
#include "core/generalisation.hpp"
#include "core/null_accumulator.hpp"
#include "core/null_maps.hpp"
#include "core/null_plan.hpp"
#include "core/null_sweep.hpp"
#include "core/observed_clusters.hpp"
#include "core/rank_topology.hpp"
#include "core/result_maps.hpp"
#include "core/tfce.hpp"
#include "kernels/map_codec.hpp"
#include "permrsa/error.hpp"

namespace permrsa {
namespace {

NullPlanRequest null_plan_request(const AnalysisFrame& frame, const ProcessGrid& grid,
                                  const RunOptions& options) {
  NullPlanRequest r;
  r.permutations = frame.permutations;
  r.two_pass = frame.two_pass;
  r.batch_size = options.batch_size;
  r.groups = grid.perm_groups;
  if (const NullState* resume = options.resume) {
    r.done1 = resume->pass1;
    if (frame.two_pass) r.done2 = resume->pass2;
  }
  r.pass1 = options.pass1;
  r.pass2 = options.pass2;
  return r;
}

// Runs `step`, adding its time to the checkpoint hooks' account when they keep one.
template <class Step>
void timed(const CheckpointHooks& hooks, Step&& step) {
  const auto t0 = std::chrono::steady_clock::now();
  step();
  if (hooks.seconds_spent)
    *hooks.seconds_spent +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The state a shard or an unfinished run hands on (on world rank 0). Collective.
NullState final_state(const AnalysisFrame& frame, const NullPlan& plan,
                      NullAccumulator& accumulator) {
  if (!frame.two_pass) return accumulator.state(1);
  return plan.pass1_complete ? accumulator.state(2) : accumulator.state(1);
}

// tfce_step = "auto": the largest |statistic| of the whole observed map (each rank holds its
// block; a maximum is exact, so every layout agrees) / 100. A map of zeros has nothing to
// enhance at any step; 1 keeps the heights finite.
double auto_tfce_step(std::span<const double> observed_block, const Communicator& world) {
  double top = 0.0;
  for (const double v : observed_block)
    if (std::isfinite(v)) top = std::max(top, std::abs(v));
  world.allreduce_max(std::span<double>(&top, 1));
  const double step = top > 0 ? top / kTfceAutoHeights : 1.0;
  return step;
}

}  // namespace

std::int64_t NullDesign::count() const {
  return std::visit([](const auto& s) { return s.count(); }, set);
}

double t_default_threshold(double alpha, Tail tail, std::size_t subjects) {
  if (subjects < 2)  // Boost would throw a domain_error for 0 degrees of freedom
    throw InputError(
        "correction.cluster_threshold = \"t-default\": the Student t quantile has N - 1 degrees "
        "of freedom: expected at least 2 subjects, found " +
        std::to_string(subjects));
  const boost::math::students_t dist(static_cast<double>(subjects) - 1.0);
  // Boost's quantile is correct to the last bits (checked against mpmath in the unit test);
  // scipy.stats.t.ppf (1.10) can be ~6e-11 off, far below any t value's resolution here.
  return boost::math::quantile(dist, tail == Tail::two_sided ? 1.0 - alpha / 2.0 : 1.0 - alpha);
}

double two_group_default_threshold(double alpha, Tail tail, GroupStatistic statistic,
                                   std::size_t subjects) {
  if (subjects < 3)
    throw InputError(
        "correction.cluster_threshold = \"t-default\": the two-group quantile has N - 2 degrees "
        "of freedom: expected at least 3 subjects, found " +
        std::to_string(subjects));
  const double dof = static_cast<double>(subjects) - 2.0;
  if (statistic == GroupStatistic::f)
    return boost::math::quantile(boost::math::fisher_f(1.0, dof), 1.0 - alpha);
  return boost::math::quantile(boost::math::students_t(dof),
                               tail == Tail::two_sided ? 1.0 - alpha / 2.0 : 1.0 - alpha);
}

double fixed_cluster_threshold(const CorrectionSettings& correction,
                               const AnalysisSettings& analysis, std::size_t subjects) {
  if (correction.cluster_threshold != ClusterThreshold::t_default) return correction.cluster_value;
  if (analysis.scheme == Scheme::two_group)
    return two_group_default_threshold(correction.cluster_alpha, analysis.tail,
                                       analysis.group_statistic, subjects);
  return t_default_threshold(correction.cluster_alpha, analysis.tail, subjects);
}

AnalysisResult run_analysis(const RsaProblem& problem, const AnalysisSettings& analysis,
                            const CorrectionSettings& correction, const NullDesign& design,
                            const ProcessGrid& grid, const Communicator& world,
                            const RunOptions& options) {
  const RankTopology topology = make_rank_topology(grid, world, problem.block);
  if (grid.layers * grid.times ==
      0)  // the loaders refuse empty axes; maxima over no cells are undefined
    throw InputError("expected at least 1 layer and 1 time point, found L = " +
                     std::to_string(grid.layers) + " and T = " + std::to_string(grid.times));
  AnalysisFrame frame =
      make_analysis_frame(grid, analysis, correction, design.count(), problem.subject_count());
  NullPlan plan = plan_null(null_plan_request(frame, grid, options));  // the sweep hands out shares
  PhaseTimes* profile = world.rank() == 0 ? options.profile : nullptr;
  // The kernels' ranks and packed panels; the sign-flip and two-group schemes' per-subject maps.
  std::optional<ScopedPhase> setting_up(std::in_place, profile,
                                        "null maps set-up (kernels, per-subject maps)");
  auto maps = design.flips()      ? make_sign_flip_maps(problem, analysis, *design.flips())
              : design.relabels() ? make_two_group_maps(problem, analysis, *design.relabels())
                                  : make_stimulus_maps(problem, analysis, *design.permutations());
  if (analysis.generalise)
    maps = upper_triangle_only(std::move(maps), problem.block, analysis.tail);
  setting_up.reset();
  Batch observed;
  {
    const ScopedPhase phase(profile, "observed map");
    maps->fill(observed, 0, 1);
  }
  if (frame.tfce && frame.tfce_step_auto) frame.tfce_step = auto_tfce_step(observed.s, world);

  // The top values' buffers are faulted in here (NullAccumulator::seed_top_values pushes the
  // observed value into every cell's buffer); the map cache's pages only when written.
  setting_up.emplace(profile, "top-value buffers and map cache set up");
  const auto codec = maps->map_codec();
  NullAccumulator accumulator(frame, topology, plan, observed.e, options.resume,
                              codec ? codec->order_keys() : std::nullopt);
  NullSweep sweep(frame, topology, plan, *maps, accumulator, options);
  setting_up.reset();
  sweep.pass1();
  {
    const ScopedPhase phase(profile, "merge of the permutation groups");
    accumulator.merge_groups();
  }
  const bool keep_state = options.checkpoint.save || options.export_state || !plan.complete;
  if (frame.two_pass && keep_state) timed(options.checkpoint, [&] { accumulator.keep_pass1(); });
  if (frame.two_pass && plan.pass1_complete) {
    {
      const ScopedPhase phase(profile, "permutation-p thresholds");
      accumulator.settle_thresholds();
    }
    sweep.pass2();
  }

  std::optional<NullState> state;
  if (options.export_state || !plan.complete) state = final_state(frame, plan, accumulator);
  if (!plan.complete) {
    AnalysisResult partial;
    partial.permutations = frame.permutations;
    partial.block = topology.block;
    partial.writes_maps = topology.group_id == 0;
    partial.complete = false;
    if (world.rank() == 0) partial.state = std::move(state);
    return partial;
  }
  const ScopedPhase finishing(profile, "observed clusters and p-values");
  NullMaxima maxima = accumulator.maxima();
  ObservedClusters clusters =
      observe_clusters(frame, topology, observed.s, accumulator.thresholds(), maxima);
  AnalysisResult r =
      finalize_result(frame, {topology.block, observed.s, observed.e, accumulator.exceed()},
                      std::move(maxima), std::move(clusters));
  r.writes_maps = topology.group_id == 0;
  if (analysis.generalise) blank_untested(r.observed, r.block);
  r.tfce_step = frame.tfce ? frame.tfce_step : 0.0;
  r.cell_thresholds = accumulator.block_thresholds();
  // The time x time map's family is its upper triangle t1 < t2 (core/generalisation.hpp).
  const auto tested = analysis.generalise
                          ? std::function<bool(std::size_t, std::size_t)>(
                                [](std::size_t t1, std::size_t t2) { return t1 < t2; })
                          : std::function<bool(std::size_t, std::size_t)>();
  auto adjusted = adjust_over_map(r.p_uncorrected, r.block, r.writes_maps, grid.layers, grid.times,
                                  world, tested);
  r.p_fdr = std::move(adjusted.fdr);
  r.p_bonferroni = std::move(adjusted.bonferroni);
  r.p_holm = std::move(adjusted.holm);
  if (world.rank() == 0) r.state = std::move(state);
  return r;
}

AnalysisResult run_analysis(const RsaProblem& problem, const AnalysisSettings& analysis,
                            const CorrectionSettings& correction, const NullDesign& design,
                            const RunOptions& options) {
  ProcessGrid grid;
  grid.layers = problem.models.rows();
  grid.times = problem.time_count();
  grid.permutations = design.count();
  const auto serial = make_serial_communicator();
  if (problem.block.cells() == grid.layers * grid.times)
    return run_analysis(problem, analysis, correction, design, grid, *serial, options);
  RsaProblem whole = problem;  // a problem built without its block set: it is the whole grid
  whole.block = grid.block(0);
  return run_analysis(whole, analysis, correction, design, grid, *serial, options);
}

}  // namespace permrsa
