#include "core/statistic_checks.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "core/generalisation.hpp"
#include "core/null_maps.hpp"
#include "core/tfce.hpp"
#include "kernels/two_group_kernel.hpp"
#include "numeric/ranks.hpp"
#include "permrsa/error.hpp"

namespace permrsa {
namespace {

// The shortest text that reads back as v (up to 17 digits).
std::string number(double v) {
  for (int digits = 6;; ++digits) {
    std::ostringstream m;
    m.precision(digits);
    m << v;
    if (digits >= 17 || std::strtod(m.str().c_str(), nullptr) == v) return m.str();
  }
}

// "<brain input> (<key>)": the file for one N x ... array, the config for brain.files.
std::string brain_label(const RunSpec& spec) {
  if (!spec.brain.files.empty()) return spec.source + " (brain.files)";
  return spec.brain.file + " (brain.file)";
}

std::string subject_name(const RunSpec& spec, std::size_t n) {
  if (n < spec.brain.files.size())
    return "subject " + std::to_string(n) + " (" + spec.brain.files[n] + ")";
  return "subject " + std::to_string(n);
}

// Cell c of the block as "layer 1 (fc7), time point 10 (t = 0.1 s)".
std::string cell_text(const RsaProblem& problem, std::size_t c) {
  const std::size_t l = problem.block.layer_begin + c / problem.block.times();
  const std::size_t t = problem.block.time_begin + c % problem.block.times();
  std::string out = "layer " + std::to_string(l);
  if (l < problem.layers.size()) out += " (" + problem.layers[l] + ")";
  out += ", time point " + std::to_string(t);
  if (t < problem.times.size()) {  // a label: 6 digits read better than the exact value
    std::ostringstream m;
    m << " (t = " << problem.times[t] << " s)";
    out += m.str();
  }
  return out;
}

[[noreturn]] void refuse(const RunSpec& spec, const RsaProblem& problem, std::size_t c,
                         const std::string& cause) {
  throw InputError(brain_label(spec) + ": " + cell_text(problem, c) + ": " + cause);
}

// The sign-flip kernel's t (core/null_maps.cpp) from S = sum x and Q = sum x^2 in subject
// order, the same operations in the same order, so the observed value is the kernel's.
double flip_t(double sum, double square_sum, double n) {
  const double ss = square_sum - sum * sum * (1.0 / n);
  return sum / std::sqrt(std::max(0.0, ss) * (n / (n - 1)));
}

}  // namespace

// brain.groups: one 0/1 per subject, at least 2 subjects in each group (a group's variance has
// n - 1 degrees of freedom).
void check_groups(const RunSpec& spec, std::size_t subjects) {
  const auto& groups = spec.brain.groups;
  const std::string label = brain_label(spec);
  if (groups.size() != subjects)
    throw InputError(spec.source + ": brain.groups: expected one group (0 or 1) per subject, N = " +
                     std::to_string(subjects) + " in " + label + ", found " +
                     std::to_string(groups.size()));
  const auto in_a = static_cast<std::size_t>(std::count(groups.begin(), groups.end(), 0));
  if (in_a < 2 || subjects - in_a < 2)
    throw InputError(spec.source +
                     ": brain.groups: expected at least 2 subjects in each group (a group's "
                     "variance has n - 1 degrees of freedom), found " +
                     std::to_string(in_a) + " in group a (0) and " +
                     std::to_string(subjects - in_a) + " in group b (1)");
}

void check_subject_count(const RunSpec& spec, std::size_t subjects) {
  if (spec.analysis.scheme == Scheme::two_group) return check_groups(spec, subjects);
  const bool flip = spec.analysis.scheme == Scheme::sign_flip;
  if (subjects >= 2 || (!flip && !spec.bootstrap.enabled)) return;
  const std::string found = "found " + std::to_string(subjects);
  const std::string label = brain_label(spec);
  if (flip)
    throw InputError(label +
                     ": expected at least 2 subjects for the sign-flip test (its t statistic has "
                     "N - 1 degrees of freedom), " +
                     found);
  throw InputError(label + ": [bootstrap] resamples subjects: expected at least 2 subjects, " +
                   found + " (every resample of one subject is that subject)");
}

namespace {

// Under analysis.fisher_z every subject's r must lie strictly inside (-1, 1).
void check_fisher_range(const RsaProblem& problem, const RunSpec& spec,
                        std::span<const double> raw) {
  const std::size_t N = problem.subject_count(), cells = problem.block.cells();
  for (std::size_t c = 0; c < cells; ++c)
    for (std::size_t n = 0; n < N; ++n) {
      if (spec.analysis.generalise && untested_cell(problem.block, c)) break;  // not tested
      const double r = raw[n * cells + c];
      if (std::fabs(r) < 1) continue;
      // A perfect match computed in floating point may land a few ulps beyond 1.
      const bool one = std::fabs(r) - 1 <= 64 * std::numeric_limits<double>::epsilon();
      const std::string rounding =
          std::fabs(r) != 1 && one ? " (" + std::string(r < 0 ? "-1" : "1") + " to rounding)" : "";
      refuse(spec, problem, c,
             subject_name(spec, n) + " has r = " + number(r) + rounding +
                 ", and analysis.fisher_z takes atanh(r), " +
                 (one ? "which is infinite at |r| = 1"
                      : "which is undefined for |r| > 1 (a correlation lies in [-1, 1])"));
    }
}

// One cell's subjects under sign flips (x: what the test sees; raw: the user's values).
struct FlipCell {
  double sum = 0, magnitude_sum = 0, square_sum = 0, largest = 0;
  bool equal = true, equal_magnitude = true;
};

FlipCell flip_cell(std::span<const double> x, std::size_t cells, std::size_t subjects,
                   std::size_t c) {
  FlipCell f;
  const double first = x[c];
  for (std::size_t i = 0; i < subjects; ++i) {
    const double v = x[i * cells + c];
    f.sum += v;
    f.magnitude_sum += std::fabs(v);
    f.square_sum += v * v;
    f.largest = std::max(f.largest, std::fabs(v));
    f.equal = f.equal && v == first;
    f.equal_magnitude = f.equal_magnitude && std::fabs(v) == std::fabs(first);
  }
  return f;
}

// The largest statistic a sign flip can reach at cell c (all values made positive), after
// checking that the observed statistic and that one are defined.
double checked_flip_reach(const RsaProblem& problem, const RunSpec& spec, std::span<const double> x,
                          std::span<const double> raw, std::size_t c) {
  const std::size_t N = problem.subject_count();
  const bool t = spec.analysis.group_statistic == GroupStatistic::t;
  const bool fisher = spec.analysis.fisher_z;
  const FlipCell f = flip_cell(x, problem.block.cells(), N, c);
  const double n = static_cast<double>(N);
  const double observed = t ? flip_t(f.sum, f.square_sum, n) : f.sum / n;
  const double reach = t ? flip_t(f.magnitude_sum, f.square_sum, n) : f.magnitude_sum / n;
  const bool undefined_t = t && (f.equal || f.equal_magnitude);
  // Every cell passes through here: the messages are built only for a cell that fails (their
  // number formatting for all 4796 cells of the seed shape took 32 ms).
  if (!undefined_t && std::isfinite(observed) && std::isfinite(reach)) return reach;
  const std::string count = std::to_string(N);
  // The user's value (before atanh) and, with Fisher z, the value the test sees.
  const std::string value =
      number(std::fabs(raw[c])) + (fisher ? " (Fisher z " + number(std::fabs(x[c])) + ")" : "");
  if (t && f.equal)
    refuse(
        spec, problem, c,
        "all " + count + " subjects have the value " + (raw[c] < 0 ? "-" : "") + value +
            ": zero variance, so the t statistic is undefined (analysis.group_statistic = \"t\")");
  if (t && f.equal_magnitude)
    refuse(spec, problem, c,
           "all " + count + " subjects have the magnitude |x| = " + value +
               ": the sign flip that makes them all positive has zero variance, so its "
               "t statistic is undefined (analysis.group_statistic = \"t\")");
  const std::string values = "the " + count + " subjects' values";
  const bool overflow = !std::isfinite(f.square_sum) || !std::isfinite(f.magnitude_sum);
  refuse(
      spec, problem, c,
      (std::isfinite(observed)
           ? "the sign flip that makes all subjects' values positive gives a group statistic of " +
                 number(reach)
           : "the group statistic is " + number(observed)) +
          ": " +
          (overflow ? values + " reach |x| = " + number(f.largest) +
                          ", which overflows a double in their sums"
                    : values + " have zero variance to rounding"));
}

// The largest e any permutation's map can reach, and what it is (for the TFCE height check).
struct Reach {
  double value = std::numeric_limits<double>::quiet_NaN();
  std::string text;
};

Reach flip_reach(const RsaProblem& problem, const RunSpec& spec, std::span<const double> x,
                 std::span<const double> raw) {
  Reach r;
  r.value = -std::numeric_limits<double>::infinity();
  std::size_t at = problem.block.cells();
  for (std::size_t c = 0; c < problem.block.cells(); ++c)
    if (spec.analysis.generalise && untested_cell(problem.block, c)) {
      continue;  // t1 >= t2: not tested (core/generalisation.hpp)
    } else if (const double reach = checked_flip_reach(problem, spec, x, raw, c); reach > r.value) {
      r.value = reach;
      at = c;
    }
  if (at < problem.block.cells())
    r.text = "the largest statistic a sign flip can reach, at " + cell_text(problem, at);
  return r;
}

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// A partial correlation is undefined where the model or the brain is a combination of the
// covariates (a file covariate equal to a layer, say): the observed map must be finite.
// An orthonormal basis of the standardised covariates' span (Gram-Schmidt in order; a collinear
// covariate adds nothing, and the kernels refuse it).
std::vector<std::vector<double>> covariate_basis(const Matrix<double>& z) {
  const std::size_t P = z.cols();
  std::vector<std::vector<double>> basis;
  for (std::size_t j = 0; j < z.rows(); ++j) {
    std::vector<double> v(P);
    standardize(z.row(j), v);
    for (const auto& u : basis) {
      double d = 0;
      for (std::size_t p = 0; p < P; ++p) d += u[p] * v[p];
      for (std::size_t p = 0; p < P; ++p) v[p] -= d * u[p];
    }
    double norm = 0;
    for (double x : v) norm += x * x;
    if (norm < 1e-20) continue;
    for (auto& x : v) x /= std::sqrt(norm);
    basis.push_back(std::move(v));
  }
  return basis;
}

// A layer (nearly) in the span of the covariates has no partial variance left: 1 - R^2 of its
// least-squares fit on them (Pearson, on the values) below 1e-8 leaves only rounding.
void check_layers_outside_covariates(const RsaProblem& problem, const RunSpec& spec) {
  const auto basis = covariate_basis(problem.covariates.rdms);
  const std::size_t P = problem.covariates.rdms.cols();
  std::vector<double> x(P);
  for (std::size_t l = 0; l < problem.models.rows(); ++l) {
    standardize(problem.models.row(l), x);
    double left = 1.0;  // |x|^2 = 1
    for (const auto& u : basis) {
      double d = 0;
      for (std::size_t p = 0; p < P; ++p) d += u[p] * x[p];
      left -= d * d;
    }
    if (left < 1e-8) {
      const std::size_t layer = problem.block.layer_begin + l;
      throw InputError(
          spec.source + ": covariates: layer " +
          (layer < problem.layers.size() ? problem.layers[layer] : std::to_string(layer)) +
          " is (to 1e-8) a linear combination of the covariates (" +
          join_names(problem.covariates.names) +
          "): its partial correlation is undefined; leave it out of the models or the covariate "
          "out");
    }
  }
}

void check_partial_maps(const RsaProblem& problem, const RunSpec& spec) {
  if (!problem.covariates.any() || !problem.has_rdms() || problem.block.cells() == 0) return;
  check_layers_outside_covariates(problem, spec);
  AnalysisSettings plain = spec.analysis;
  plain.fisher_z = false;
  const auto identity = PermutationSet::generated(problem.stimuli, 1, 1);
  Batch observed;
  make_stimulus_maps(problem, plain, identity)->fill(observed, 0, 1);
  for (std::size_t c = 0; c < problem.block.cells(); ++c)
    if (!std::isfinite(observed.s[c]))
      refuse(spec, problem, c,
             "the partial correlation is undefined (" + number(observed.s[c]) +
                 "): the layer or the brain RDM there is a combination of the covariates (" +
                 problem.covariates.names.front() +
                 (problem.covariates.names.size() > 1 ? ", ..." : "") +
                 "); leave that covariate out");
}

}  // namespace

// The two-group statistic of the observed groups must be defined in every cell: Welch's t and
// F need some variance within the groups (a cell where every subject in each group has the same
// value, e.g. given maps of constants, has none).
void check_two_group_cells(const RsaProblem& problem, const RunSpec& spec,
                           std::span<const double> x) {
  const std::size_t N = problem.subject_count(), cells = problem.block.cells();
  if (spec.analysis.group_statistic == GroupStatistic::mean_difference || cells == 0) return;
  const TwoGroupKernel kernel(x, N, cells, two_group_statistic(spec.analysis.group_statistic));
  std::vector<std::uint8_t> labels(spec.brain.groups.begin(), spec.brain.groups.end());
  std::vector<double> observed(cells);
  kernel.compute(labels, 1, observed);
  for (std::size_t c = 0; c < cells; ++c)
    if (!std::isfinite(observed[c]))
      refuse(spec, problem, c,
             std::string("the ") + to_string(spec.analysis.group_statistic) +
                 " statistic is undefined: no variance within the groups (every subject of each "
                 "group has the same value); expected maps that vary within a group, or "
                 "analysis.group_statistic = \"mean-difference\"");
}

void check_statistics(const RsaProblem& problem, const RunSpec& spec) {
  check_partial_maps(problem, spec);
  const auto& analysis = spec.analysis;
  const bool two_group = analysis.scheme == Scheme::two_group;
  const bool flip = analysis.scheme == Scheme::sign_flip;
  const bool fisher = analysis.fisher_z && problem.subject_count() > 0;
  Reach reach;
  if (flip || fisher || two_group) {
    // Each subject's own values (r before atanh), N x block cells.
    AnalysisSettings plain = analysis;
    plain.fisher_z = false;
    const std::vector<double> raw =
        problem.has_rdms() ? per_subject_maps(problem, plain) : problem.subject_maps()->maps;
    if (fisher) check_fisher_range(problem, spec, raw);
    std::vector<double> x(raw);
    if (fisher)
      for (auto& v : x) v = std::atanh(v);
    if (flip) reach = flip_reach(problem, spec, x, raw);
    if (two_group) check_two_group_cells(problem, spec, x);
  }
  if (two_group) return;  // Welch's t and F have no fixed bound for tfce_step to be checked against
  if (!flip) {
    // Correlations lie in [-1, 1]; their Fisher z below the atanh of the largest double < 1.
    reach.value = fisher ? std::atanh(std::nextafter(1.0, 0.0)) : 1.0;
    reach.text = fisher ? "the largest Fisher z of a correlation below 1"
                        : "the largest value a correlation can reach";
  }
  // With tfce_step = "auto" the step follows the observed map (run_analysis) and tfce_map
  // refuses a null map that would take too many heights.
  if (!spec.correction.tfce || !spec.correction.tfce_step || reach.text.empty()) return;
  if (const auto why = tfce_heights_problem(reach.value, *spec.correction.tfce_step, reach.text);
      !why.empty())
    throw InputError(spec.source + " (correction.tfce_step): " + why);
}

}  // namespace permrsa
