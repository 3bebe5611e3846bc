#include "permrsa/statistic_checks.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "core/null_maps.hpp"
#include "permrsa/error.hpp"
#include "permrsa/tfce.hpp"

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

void check_subject_count(const RunSpec& spec, std::size_t subjects) {
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

void check_statistics(const RsaProblem& problem, const RunSpec& spec) {
  const auto& analysis = spec.analysis;
  const auto& correction = spec.correction;
  const bool flip = analysis.scheme == Scheme::sign_flip;
  const std::size_t N = problem.subject_count(), cells = problem.block.cells();
  const bool fisher = analysis.fisher_z && N > 0;
  // The largest e any permutation's map can reach, and the cell where it does (for TFCE).
  double top = std::numeric_limits<double>::quiet_NaN();
  std::size_t top_cell = cells;
  std::string top_text;

  if (flip || fisher) {
    // Each subject's own values (r before atanh), N x block cells.
    AnalysisSettings plain = analysis;
    plain.fisher_z = false;
    const std::vector<double> raw =
        problem.has_rdms() ? per_subject_maps(problem, plain) : problem.subject_maps;
    if (fisher)
      for (std::size_t c = 0; c < cells; ++c)
        for (std::size_t n = 0; n < N; ++n) {
          const double r = raw[n * cells + c];
          if (std::fabs(r) < 1) continue;
          // A perfect match computed in floating point may land a few ulps beyond 1.
          const bool one = std::fabs(r) - 1 <= 64 * std::numeric_limits<double>::epsilon();
          refuse(spec, problem, c,
                 subject_name(spec, n) + " has r = " + number(r) +
                     (std::fabs(r) != 1 && one
                          ? " (" + std::string(r < 0 ? "-1" : "1") + " to rounding)"
                          : "") +
                     ", and analysis.fisher_z takes atanh(r), " +
                     (one ? "which is infinite at |r| = 1"
                          : "which is undefined for |r| > 1 (a correlation lies in [-1, 1])"));
        }
    std::vector<double> x(raw);
    if (fisher)
      for (auto& v : x) v = std::atanh(v);
    if (flip) {
      const bool t = analysis.group_statistic == GroupStatistic::t;
      const double n = static_cast<double>(N);
      top = -std::numeric_limits<double>::infinity();
      for (std::size_t c = 0; c < cells; ++c) {
        double sum = 0, magnitude_sum = 0, square_sum = 0, largest = 0;
        bool equal = true, equal_magnitude = true;
        const double first = x[c];
        for (std::size_t i = 0; i < N; ++i) {
          const double v = x[i * cells + c];
          sum += v;
          magnitude_sum += std::fabs(v);
          square_sum += v * v;
          largest = std::max(largest, std::fabs(v));
          equal = equal && v == first;
          equal_magnitude = equal_magnitude && std::fabs(v) == std::fabs(first);
        }
        const std::string values = "the " + std::to_string(N) + " subjects' values";
        // The user's value (before atanh) and, with Fisher z, the value the test sees.
        const std::string value = number(std::fabs(raw[c])) +
                                  (fisher ? " (Fisher z " + number(std::fabs(first)) + ")" : "");
        if (t && equal)
          refuse(spec, problem, c,
                 "all " + std::to_string(N) + " subjects have the value " +
                     (raw[c] < 0 ? "-" : "") + value +
                     ": zero variance, so the t statistic is undefined "
                     "(analysis.group_statistic = \"t\")");
        if (t && equal_magnitude)
          refuse(spec, problem, c,
                 "all " + std::to_string(N) + " subjects have the magnitude |x| = " + value +
                     ": the sign flip that makes them all positive has zero variance, so its "
                     "t statistic is undefined (analysis.group_statistic = \"t\")");
        const double observed = t ? flip_t(sum, square_sum, n) : sum / n;
        const double reach = t ? flip_t(magnitude_sum, square_sum, n) : magnitude_sum / n;
        if (!std::isfinite(observed) || !std::isfinite(reach)) {
          const bool overflow = !std::isfinite(square_sum) || !std::isfinite(magnitude_sum);
          refuse(spec, problem, c,
                 (std::isfinite(observed) ? "the sign flip that makes all subjects' values "
                                            "positive gives a group statistic of " +
                                                number(reach)
                                          : "the group statistic is " + number(observed)) +
                     ": " +
                     (overflow ? values + " reach |x| = " + number(largest) +
                                     ", which overflows a double in their sums"
                               : values + " have zero variance to rounding"));
        }
        if (reach > top) {
          top = reach;
          top_cell = c;
        }
      }
      if (top_cell < cells)
        top_text =
            "the largest statistic a sign flip can reach, at " + cell_text(problem, top_cell);
    }
  }
  if (!flip) {
    // Correlations lie in [-1, 1]; their Fisher z below the atanh of the largest double < 1.
    top = fisher ? std::atanh(std::nextafter(1.0, 0.0)) : 1.0;
    top_text = fisher ? "the largest Fisher z of a correlation below 1"
                      : "the largest value a correlation can reach";
  }
  if (!correction.tfce || top_text.empty()) return;
  if (const auto why = tfce_heights_problem(top, correction.tfce_step, top_text); !why.empty())
    throw InputError(spec.source + " (correction.tfce_step): " + why);
}

}  // namespace permrsa
