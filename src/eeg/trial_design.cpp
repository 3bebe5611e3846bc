// Folds and pseudo-trials: which trials each method sees, and in which fold.
#include <algorithm>
#include <map>

#include "permrsa/eeg_rdm.hpp"
#include "permrsa/error.hpp"

namespace permrsa {

RdmMethod parse_rdm_method(const std::string& text) {
  if (text == "lda") return RdmMethod::lda;
  if (text == "correlation") return RdmMethod::correlation;
  if (text == "euclidean") return RdmMethod::euclidean;
  if (text == "crossnobis") return RdmMethod::crossnobis;
  throw InputError("--method: expected one of lda, correlation, euclidean, crossnobis; found \"" +
                   text + "\"");
}

std::string rdm_method_name(RdmMethod method) {
  switch (method) {
    case RdmMethod::lda:
      return "lda";
    case RdmMethod::correlation:
      return "correlation";
    case RdmMethod::euclidean:
      return "euclidean";
    case RdmMethod::crossnobis:
      return "crossnobis";
  }
  return "?";
}

bool cross_validated(RdmMethod method) {
  return method == RdmMethod::lda || method == RdmMethod::crossnobis;
}

std::vector<std::int32_t> assign_folds(const std::vector<std::int64_t>& labels, std::size_t folds) {
  std::map<std::int64_t, std::size_t> seen;
  std::vector<std::int32_t> fold(labels.size());
  for (std::size_t i = 0; i < labels.size(); ++i)
    fold[i] = static_cast<std::int32_t>(seen[labels[i]]++ % folds);
  return fold;
}

namespace {

void check_trials_per_fold(const std::vector<std::int64_t>& stimuli,
                           const std::vector<std::size_t>& count, std::size_t folds,
                           const std::string& source) {
  std::string few;
  for (std::size_t c = 0; c < stimuli.size(); ++c)
    if (count[c] < folds) {
      if (!few.empty()) few += ", ";
      few += "stimulus " + std::to_string(stimuli[c]) + " has " + std::to_string(count[c]);
    }
  if (!few.empty())
    throw InputError(source + ": labels: expected at least " + std::to_string(folds) +
                     " trials per stimulus (--folds " + std::to_string(folds) + "), found " + few);
}

// The units decoding works on: trials, or (g > 1) pseudo-trials ordered by stimulus, fold, group.
void make_units(TrialDesign& d, const std::vector<std::size_t>& trial_class, std::size_t g) {
  const std::size_t S = d.stimuli.size();
  if (g == 1) {
    for (std::size_t i = 0; i < trial_class.size(); ++i) {
      d.unit_trials.push_back({i});
      d.unit_class.push_back(trial_class[i]);
      d.unit_fold.push_back(d.trial_fold[i]);
    }
    return;
  }
  for (std::size_t c = 0; c < S; ++c)
    for (std::size_t f = 0; f < d.folds; ++f) {
      std::vector<std::size_t> members;
      for (std::size_t i = 0; i < trial_class.size(); ++i)
        if (trial_class[i] == c && d.trial_fold[i] == static_cast<std::int32_t>(f))
          members.push_back(i);
      if (members.empty()) continue;
      const std::size_t groups = std::max<std::size_t>(1, members.size() / g);
      const std::size_t first = d.unit_trials.size();
      for (std::size_t k = 0; k < groups; ++k) {
        d.unit_trials.emplace_back();
        d.unit_class.push_back(c);
        d.unit_fold.push_back(static_cast<std::int32_t>(f));
      }
      for (std::size_t r = 0; r < members.size(); ++r)
        d.unit_trials[first + std::min(r / g, groups - 1)].push_back(members[r]);
    }
}

}  // namespace

TrialDesign make_trial_design(const std::vector<std::int64_t>& labels, const RdmSpec& spec,
                              const std::string& source) {
  if (spec.folds < 2)
    throw InputError("--folds: expected at least 2, found " + std::to_string(spec.folds));
  if (spec.pseudo_trials < 1) throw InputError("--pseudo-trials: expected at least 1, found 0");
  TrialDesign d;
  d.folds = spec.folds;
  d.stimuli = labels;
  std::sort(d.stimuli.begin(), d.stimuli.end());
  d.stimuli.erase(std::unique(d.stimuli.begin(), d.stimuli.end()), d.stimuli.end());
  if (d.stimuli.size() < 2)
    throw InputError(source + ": labels: expected at least 2 distinct stimulus labels, found 1 (" +
                     (d.stimuli.empty() ? std::string("no trials")
                                        : "every trial is " + std::to_string(d.stimuli[0])) +
                     ")");
  const std::size_t S = d.stimuli.size();
  std::vector<std::size_t> trial_class(labels.size()), count(S, 0);
  for (std::size_t i = 0; i < labels.size(); ++i) {
    trial_class[i] = static_cast<std::size_t>(
        std::lower_bound(d.stimuli.begin(), d.stimuli.end(), labels[i]) - d.stimuli.begin());
    ++count[trial_class[i]];
  }
  if (cross_validated(spec.method)) check_trials_per_fold(d.stimuli, count, spec.folds, source);
  d.trial_fold = assign_folds(labels, spec.folds);
  make_units(d, trial_class, spec.pseudo_trials);
  return d;
}

}  // namespace permrsa
