// Brain RDMs from epochs (issue 6): the fold and pseudo-trial rules worked out by hand, the
// factored shrinkage covariance against its dense form, and the layout invariance that MPI relies
// on (any time range gives the same bits). The values against scikit-learn and NumPy are checked
// in tests/python/test_eeg_rdm.py.
// GCC 12's false -Wmaybe-uninitialized inside _mm512_reduce_add_pd (see src/eeg/shrinkage.cpp).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>

#include "eeg/shrinkage.hpp"
#include "permrsa/condensed.hpp"
#include "permrsa/eeg_rdm.hpp"
#include "permrsa/error.hpp"
#include "sim/synthetic_epochs.hpp"

namespace permrsa {
namespace {

TEST(EegFolds, KthTrialOfEachStimulusGoesToFoldKModF) {
  const std::vector<std::int64_t> labels{5, 3, 5, 5, 3, 5, 3, 5};
  // stimulus 5: trials 0,2,3,5,7 -> folds 0,1,2,0,1; stimulus 3: trials 1,4,6 -> 0,1,2
  EXPECT_EQ(assign_folds(labels, 3), (std::vector<std::int32_t>{0, 0, 1, 2, 1, 0, 2, 1}));
}

TEST(EegTrialDesign, PseudoTrialsAverageGroupsInFileOrderAndTheRemainderJoinsTheLastGroup) {
  // Stimulus 1 has 14 trials (7 per fold), stimulus 2 has 4 (2 per fold); 2 folds, g = 3.
  const std::vector<std::int64_t> labels{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2};
  RdmSpec spec;
  spec.folds = 2;
  spec.pseudo_trials = 3;
  const auto d = make_trial_design(labels, spec, "test");
  // Stimulus 1, fold 0: trials 0,2,4,6,8,10,12 (7) -> groups {0,2,4}, {6,8,10,12}.
  ASSERT_GE(d.unit_trials.size(), 2u);
  EXPECT_EQ(d.unit_trials[0], (std::vector<std::size_t>{0, 2, 4}));
  EXPECT_EQ(d.unit_trials[1], (std::vector<std::size_t>{6, 8, 10, 12}));
  // Stimulus 1, fold 1: 1,3,...,13 the same way; stimulus 2: two trials per fold, fewer than g:
  // one pseudo-trial each.
  ASSERT_EQ(d.unit_trials.size(), 6u);
  EXPECT_EQ(d.unit_trials[4], (std::vector<std::size_t>{14, 16}));
  EXPECT_EQ(d.unit_class, (std::vector<std::size_t>{0, 0, 0, 0, 1, 1}));
  EXPECT_EQ(d.unit_fold, (std::vector<std::int32_t>{0, 0, 1, 1, 0, 1}));
}

TEST(EegTrialDesign, OneStimulusIsAnInputError) {
  EXPECT_THROW(make_trial_design({4, 4, 4, 4, 4}, RdmSpec{}, "x.h5"), InputError);
}

TEST(EegTrialDesign, FewerTrialsThanFoldsNamesTheStimulusAndCount) {
  RdmSpec spec;
  spec.folds = 3;
  try {
    make_trial_design({1, 1, 1, 2, 2}, spec, "x.h5");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("stimulus 2 has 2"), std::string::npos) << e.what();
  }
  spec.method = RdmMethod::correlation;  // not cross-validated: any count will do
  EXPECT_NO_THROW(make_trial_design({1, 1, 1, 2, 2}, spec, "x.h5"));
}

TEST(EegShrinkage, FactoredFormEqualsTheDenseEstimate) {
  const Eigen::MatrixXd x = Eigen::MatrixXd::Random(9, 6) + Eigen::MatrixXd::Constant(9, 6, 2.0);
  const auto c = eeg::sklearn_lw_class_covariance(x, true);
  const Eigen::MatrixXd factored = c.low_rank_weight * c.centred.transpose() * c.centred +
                                   Eigen::MatrixXd(c.diagonal.asDiagonal());
  EXPECT_LT((factored - c.dense).cwiseAbs().maxCoeff(), 1e-14);
  // The trace is kept: (1 - a) tr(C) + a mu sum(s^2) with mu = 1 (standardised features).
  const Eigen::MatrixXd centred = x.rowwise() - x.colwise().mean();
  const Eigen::MatrixXd cov = centred.transpose() * centred / 9.0;
  EXPECT_NEAR(c.dense.trace(), cov.trace(), 1e-12);
}

std::vector<double> rdms_in_blocks(const SyntheticEpochs& e, std::size_t channels,
                                   const RdmSpec& spec, std::size_t cut) {
  const auto d = make_trial_design(e.labels, spec, "synthetic");
  const std::size_t T = e.times.size(), P = pair_count(d.stimuli.size());
  const auto first = subject_rdms(e.data, channels, T, d, spec, 0, cut);
  const auto second = subject_rdms(e.data, channels, T, d, spec, cut, T);
  std::vector<double> out(P * T);
  for (std::size_t p = 0; p < P; ++p)
    for (std::size_t t = 0; t < T; ++t)
      out[p * T + t] = t < cut ? first[p * cut + t] : second[p * (T - cut) + t - cut];
  return out;
}

TEST(EegSubjectRdms, AnyTimeRangeGivesTheSameBitsAsTheWholeEpoch) {
  SyntheticEpochsSpec sim;
  sim.subjects = 1;
  sim.stimuli = 7;
  sim.channels = 10;
  sim.times = 9;
  sim.trials_per_stimulus = 8;
  sim.onset = 0.0;
  const auto e = make_synthetic_epochs(sim, 0);
  for (auto method : {RdmMethod::lda, RdmMethod::crossnobis, RdmMethod::correlation}) {
    RdmSpec spec;
    spec.method = method;
    spec.folds = 4;
    spec.window = 3;
    const auto d = make_trial_design(e.labels, spec, "synthetic");
    const auto whole = subject_rdms(e.data, sim.channels, sim.times, d, spec, 0, sim.times);
    for (std::size_t cut : {1u, 4u, 8u})
      EXPECT_EQ(rdms_in_blocks(e, sim.channels, spec, cut), whole)
          << rdm_method_name(method) << " cut " << cut;
  }
}

TEST(SyntheticEpochs, AreAPureFunctionOfSeedAndSubject) {
  SyntheticEpochsSpec sim;
  sim.stimuli = 6;
  sim.channels = 4;
  sim.times = 5;
  sim.trials_per_stimulus = 3;
  const auto a = make_synthetic_epochs(sim, 1), b = make_synthetic_epochs(sim, 1);
  EXPECT_EQ(a.data, b.data);
  EXPECT_EQ(a.labels, b.labels);
  EXPECT_NE(make_synthetic_epochs(sim, 0).data, a.data);
  // Every stimulus appears once per repetition.
  for (std::size_t r = 0; r < 3; ++r) {
    std::vector<std::int64_t> block(a.labels.begin() + static_cast<std::ptrdiff_t>(6 * r),
                                    a.labels.begin() + static_cast<std::ptrdiff_t>(6 * r + 6));
    std::sort(block.begin(), block.end());
    EXPECT_EQ(block, (std::vector<std::int64_t>{101, 102, 103, 104, 105, 106}));
  }
}

TEST(SyntheticEpochs, CategoryModelIsZeroWithinAndOneBetweenTheSixCategories) {
  const auto rdm = synthetic_category_rdm(12);  // categories of 2: {0,1}, {2,3}, ...
  EXPECT_EQ(rdm[pair_index(0, 1, 12)], 0.0);
  EXPECT_EQ(rdm[pair_index(1, 2, 12)], 1.0);
  EXPECT_EQ(rdm[pair_index(10, 11, 12)], 0.0);
}

}  // namespace
}  // namespace permrsa
