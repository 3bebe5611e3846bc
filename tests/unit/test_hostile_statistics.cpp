// Issue 15 (statistics and sizes): the pure functions behind the refusals and the NaN rules.
// Every expected value is computed here from its definition (stated by each test), not copied
// from a run.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/group_statistic.hpp"
#include "core/memory_budget.hpp"
#include "core/statistic_checks.hpp"
#include "numeric/tail.hpp"
#include "permrsa/bootstrap_latency.hpp"
#include "permrsa/condensed.hpp"
#include "permrsa/error.hpp"
#include "permrsa/noise_ceiling.hpp"
#include "permrsa/permutations.hpp"

namespace permrsa {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(HostileStatistics, TheTStatisticOfEqualValuesIsUndefined) {
  const std::vector<double> equal{0.3, 0.3, 0.3};
  EXPECT_TRUE(std::isnan(group_statistic(equal.data(), 3, true)));
  EXPECT_EQ(group_statistic(equal.data(), 3, false),
            (0.3 + 0.3 + 0.3) / 3.0);  // the mean is defined
  // Distinct values: mean / sqrt(var(ddof = 1) / n) = 0.15 / sqrt(0.005 / 2).
  const std::vector<double> x{0.1, 0.2};
  const double mean = (0.1 + 0.2) / 2.0;
  const double ss = (0.1 - mean) * (0.1 - mean) + (0.2 - mean) * (0.2 - mean);
  EXPECT_EQ(group_statistic(x.data(), 2, true), mean / std::sqrt(ss / 1.0 / 2.0));
}

TEST(HostileStatistics, APermutationsNaNCountsAsTheMostExtremeValue) {
  for (Tail tail : {Tail::greater, Tail::less, Tail::two_sided}) {
    EXPECT_EQ(null_oriented(std::nan(""), tail), kInf);
    EXPECT_EQ(null_oriented(-0.25, tail), oriented(-0.25, tail));
  }
}

TEST(HostileStatistics, TheNoiseCeilingOfOneSubjectIsUndefinedAndSaysSo) {
  const Matrix<double> one(3, 2, std::vector<double>{0.1, 0.5, 0.4, 0.2, 0.9, 0.7});
  const auto ceiling = noise_ceiling({one}, Metric::pearson);
  ASSERT_EQ(ceiling.lower.size(), 2u);
  for (std::size_t t = 0; t < 2; ++t) {
    EXPECT_TRUE(std::isnan(ceiling.lower[t]));
    EXPECT_TRUE(std::isnan(ceiling.upper[t]));
  }
  EXPECT_NE(noise_ceiling_warning(1).find("NaN"), std::string::npos);
  EXPECT_EQ(noise_ceiling_warning(2), "");
}

// Subjects 1 and 2 add up to a constant RDM, so subject 0's "others" mean is constant: its
// correlation is undefined, and the lower bound with it (it used to count as r = 0).
TEST(HostileStatistics, TheLowerBoundIsUndefinedWhenTheOtherSubjectsMeanIsConstant) {
  const std::vector<double> a{0.1, 0.5, 0.4, 0.8}, b{0.3, 0.9, 0.2, 0.6};
  std::vector<double> c(4);
  for (std::size_t p = 0; p < 4; ++p) c[p] = 1.0 - b[p];
  const auto ceiling = noise_ceiling(
      {Matrix<double>(4, 1, a), Matrix<double>(4, 1, b), Matrix<double>(4, 1, c)}, Metric::pearson);
  EXPECT_TRUE(std::isnan(ceiling.lower[0]));
  EXPECT_TRUE(std::isfinite(ceiling.upper[0]));
}

// N = 2, t statistic: a sample that draws one subject twice has zero variance everywhere, so no
// peak (NaN, counted as missing) instead of the first time point. The draws are recomputed here
// as the header defines them (Philox, counter b + 1, stream "BOOT", Lemire's bounded draw). The
// difference p counts only the samples with both peaks.
TEST(HostileStatistics, ABootstrapSampleOfOneSubjectDrawnTwiceHasNoPeak) {
  const std::size_t N = 2, L = 2, T = 4;
  // N x L x T: subject 1 is subject 0 plus a different bump, so their t maps are defined.
  const std::vector<double> maps{0.1, 0.4, 0.2, 0.1, 0.3, 0.1, 0.2, 0.5,
                                 0.2, 0.6, 0.1, 0.3, 0.2, 0.2, 0.4, 0.7};
  const std::vector<double> times{0.0, 0.1, 0.2, 0.3}, threshold(L * T, 100.0);
  // No cluster onsets here (bound +inf): the test is about the peaks.
  const LatencyInputs in{maps, N, L, T, times, threshold, true, Tail::greater, ClusterRule{}, kInf};
  const std::int64_t B = 64;
  const std::uint64_t seed = 9;
  const auto boot = bootstrap_latency(in, B, seed, {"a", "b"}, {"a", "b"});
  std::int64_t same = 0, at_most = 0, at_least = 0;
  for (std::int64_t b = 0; b < B; ++b) {
    PhiloxStream words(seed, static_cast<std::uint64_t>(b) + 1, kBootstrapStream);
    const auto first = bounded_draw(2, words), second = bounded_draw(2, words);
    for (std::size_t l = 0; l < L; ++l)
      EXPECT_EQ(std::isnan(boot.peak_samples[static_cast<std::size_t>(b) * L + l]), first == second)
          << b;
    same += first == second;
    if (first != second) {
      const double d = boot.peak_samples[static_cast<std::size_t>(b) * L] -
                       boot.peak_samples[static_cast<std::size_t>(b) * L + 1];
      at_most += d <= 0;
      at_least += d >= 0;
    }
  }
  ASSERT_GT(same, 0);
  ASSERT_LT(same, B);
  EXPECT_EQ(boot.peak[0].missing, same);
  ASSERT_EQ(boot.differences.size(), 1u);
  EXPECT_EQ(boot.differences[0].p,
            std::min(1.0, 2.0 * static_cast<double>(std::min(at_most, at_least)) /
                              static_cast<double>(B - same)));
}

// The message's largest K fits and K + 1 does not: the estimate is linear in K, and the bound
// is read back from the message.
TEST(HostileStatistics, TheMemoryBudgetNamesTheLargestKAndBThatFit) {
  RunSpec spec;
  spec.source = "c.toml";
  const ProblemShape shape{12, 66, 3, 40, 6};
  const BlockRange block{0, 3, 0, 40};
  const double budget = 64.0 * 1024 * 1024;
  auto largest = [](const std::string& m, const std::string& what) {
    const auto at = m.find(what);
    EXPECT_NE(at, std::string::npos) << m;
    return std::stoll(m.substr(at + what.size()));
  };
  const auto f = run_footprint(spec, shape, block, 64);
  const auto m = message_of(
      [&] { check_memory_budget(spec, shape, f, 1000000000, budget, "--memory-per-rank"); });
  EXPECT_NE(m.find("c.toml (analysis.permutations): K = 1000000000 permutations"),
            std::string::npos)
      << m;
  const auto k = largest(m, "the largest K that fits is ");
  EXPECT_NO_THROW(check_memory_budget(spec, shape, f, k, budget, "--memory-per-rank"));
  EXPECT_THROW(check_memory_budget(spec, shape, f, k + 1, budget, "--memory-per-rank"), InputError);

  spec.bootstrap.enabled = true;
  spec.bootstrap.samples = 1000000000;
  const auto g = run_footprint(spec, shape, block, 64);
  const auto mb =
      message_of([&] { check_memory_budget(spec, shape, g, 100, budget, "--memory-per-rank"); });
  EXPECT_NE(mb.find("c.toml (bootstrap.samples): B = 1000000000"), std::string::npos) << mb;
  spec.bootstrap.samples = largest(mb, "the largest B that fits is ");
  EXPECT_NO_THROW(check_memory_budget(spec, shape, g, 100, budget, "--memory-per-rank"));
  spec.bootstrap.samples += 1;
  EXPECT_THROW(check_memory_budget(spec, shape, g, 100, budget, "--memory-per-rank"), InputError);
}

// Per-subject maps in memory (N x 1 layer x 3 times) through check_statistics: each cause is
// named with its cell.
struct MapsCase {
  RunSpec spec;
  RsaProblem problem;
  MapsCase(std::vector<double> maps, std::size_t subjects) {
    spec.source = "c.toml";
    spec.brain.file = "maps.npy";
    spec.brain.layout = BrainLayout::subjects_layers_time;
    spec.analysis.scheme = Scheme::sign_flip;
    problem.block = {0, 1, 0, 3};
    problem.brain = SubjectMaps{std::move(maps), subjects};
    problem.models = Matrix<double>(1, 0);
    problem.layers = {"fc7"};
    problem.times = {0.0, 0.1, 0.2};
  }
  std::string message() const {
    return message_of([&] { check_statistics(problem, spec); });
  }
};

TEST(HostileStatistics, EachUndefinedStatisticIsRefusedWithItsCellAndCause) {
  // Valid: distinct values and magnitudes at every cell.
  MapsCase ok({0.1, 0.2, 0.3, 0.3, -0.1, 0.4, 0.2, 0.5, -0.2}, 3);
  EXPECT_EQ(ok.message(), "");

  MapsCase equal({0.1, 0.2, 0.3, 0.3, 0.2, 0.4, 0.2, 0.2, -0.2}, 3);
  EXPECT_NE(equal.message().find(
                "maps.npy (brain.file): layer 0 (fc7), time point 1 (t = 0.1 s): all 3 subjects "
                "have the value 0.2: zero variance"),
            std::string::npos)
      << equal.message();
  equal.spec.analysis.group_statistic =
      GroupStatistic::mean;  // the mean of equal values is defined
  EXPECT_EQ(equal.message(), "");

  MapsCase magnitude({0.1, 0.2, 0.3, 0.3, -0.2, 0.4, 0.2, 0.2, -0.2}, 3);
  EXPECT_NE(magnitude.message().find(
                "time point 1 (t = 0.1 s): all 3 subjects have the magnitude |x| = 0.2: the "
                "sign flip that makes them all positive has zero variance"),
            std::string::npos)
      << magnitude.message();

  MapsCase one({0.1, 0.2, 0.3, 0.3, -0.1, 1.0, 0.2, 0.5, -0.2}, 3);
  one.spec.analysis.fisher_z = true;
  EXPECT_NE(one.message().find(
                "time point 2 (t = 0.2 s): subject 1 has r = 1, and analysis.fisher_z takes "
                "atanh(r), which is infinite at |r| = 1"),
            std::string::npos)
      << one.message();
  std::get<SubjectMaps>(one.problem.brain).maps[5] = -1.5;
  EXPECT_NE(one.message().find(
                "subject 1 has r = -1.5, and analysis.fisher_z takes atanh(r), which is undefined "
                "for |r| > 1"),
            std::string::npos)
      << one.message();

  MapsCase huge({0.1, 0.2, 0.3, 0.3, -0.1, 1e300, 0.2, 0.5, -0.2}, 3);
  EXPECT_NE(huge.message().find("time point 2 (t = 0.2 s): the group statistic is"),
            std::string::npos)
      << huge.message();
  EXPECT_NE(huge.message().find("reach |x| = 1e+300, which overflows a double in their sums"),
            std::string::npos);

  // TFCE: the largest t any flip reaches, at cell 2 of the valid maps with all signs aligned.
  ok.spec.correction.tfce = true;
  ok.spec.correction.tfce_step = 1e-12;
  EXPECT_NE(ok.message().find("c.toml (correction.tfce_step): a step of 1e-12 takes"),
            std::string::npos)
      << ok.message();
  EXPECT_NE(ok.message().find(
                "up to the largest statistic a sign flip can reach, at layer 0 (fc7), time point"),
            std::string::npos);
}

// A pair count from a file header may be anything up to 2^64 - 1: S is found from the closed
// form, not by counting S up (which took minutes near 2^63 and never ended beyond, where
// S(S-1) overflows). Exact for every S it can represent: S(S-1)/2 round-trips, its neighbours do
// not.
TEST(HostileStatistics, APairCountIsInvertedWithoutCountingUp) {
  for (std::size_t s = 2; s < 3000; ++s) {
    EXPECT_EQ(stimuli_for_pairs(pair_count(s)), s);
    EXPECT_FALSE(stimuli_for_pairs(pair_count(s) + 1).has_value()) << s;
  }
  EXPECT_FALSE(stimuli_for_pairs(0).has_value());
  const std::size_t top = std::size_t{1} << 32;  // the largest S whose S(S-1) fits 64 bits
  EXPECT_EQ(stimuli_for_pairs(pair_count(top)), top);
  EXPECT_EQ(stimuli_for_pairs(pair_count(top - 7)), top - 7);
  EXPECT_FALSE(stimuli_for_pairs(pair_count(top) + 1).has_value());
  EXPECT_FALSE(stimuli_for_pairs(std::numeric_limits<std::size_t>::max()).has_value());
}

}  // namespace
}  // namespace permrsa
