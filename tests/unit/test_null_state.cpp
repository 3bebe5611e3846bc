// Shards and checkpoints (issue 7): k ranges, work shares, merging null states, and the driver
// run in pieces. Expected values: worked out by hand for the ranges; for the driver, the same
// analysis run whole in one call (DESIGN.md invariant 1: any split of 0..K, and resuming, gives
// the same bits), compared with ==, no tolerance.
#include <gtest/gtest.h>

#include <algorithm>

#include "core/cell_thresholds.hpp"
#include "core/work_share.hpp"
#include "permrsa/error.hpp"
#include "permrsa/null_state.hpp"
#include "permrsa/permutation_analysis.hpp"
#include "sim/synthetic.hpp"
#include "synthetic_problem.hpp"

namespace permrsa {
namespace {

TEST(KRanges, SubtractLeavesTheGapsInOrder) {
  const KRanges all{{0, 101}};
  EXPECT_EQ(subtract(all, {{10, 20}, {0, 5}, {50, 101}}), (KRanges{{5, 10}, {20, 50}}));
  EXPECT_EQ(describe(subtract(all, {{10, 20}, {0, 5}, {50, 101}})), "5:10, 20:50");
  EXPECT_EQ(normalized({{5, 10}, {0, 5}, {7, 12}}), (KRanges{{0, 12}}));
  EXPECT_EQ(intersect({{0, 10}}, {{5, 20}}), (KRanges{{5, 10}}));
}

TEST(KRanges, ParsesHalfOpenRangesAndPartsOfN) {
  EXPECT_EQ(parse_k_range("2000:3000", 16000, "--permutations"), (KRange{2000, 3000}));
  EXPECT_EQ(parse_k_range("15000:", 16000, "--permutations"), (KRange{15000, 16001}));
  // Part I of N of the K + 1 = 10 values: floor(10 * I / 4).
  EXPECT_EQ(parse_k_range("0/4", 9, "--permutations"), (KRange{0, 2}));
  EXPECT_EQ(parse_k_range("3/4", 9, "--permutations"), (KRange{7, 10}));
  EXPECT_THROW(parse_k_range("5:5", 9, "--permutations"), InputError);
  EXPECT_THROW(parse_k_range("0:11", 9, "--permutations"), InputError);
  EXPECT_THROW(parse_k_range("4/4", 9, "--permutations"), InputError);
  EXPECT_THROW(parse_k_range("1-3", 9, "--permutations"), InputError);
}

TEST(WorkShare, GroupsShareTheNullPermutationsContiguouslyAndSkipTheObservedOne) {
  const KRanges todo{{0, 4}, {10, 15}};  // k >= 1: 1,2,3,10,11,12,13,14 (8 values)
  EXPECT_EQ(share_of(todo, 2, 0), (KRanges{{1, 4}, {10, 11}}));
  EXPECT_EQ(share_of(todo, 2, 1), (KRanges{{11, 15}}));
  EXPECT_EQ(batches_of(share_of(todo, 2, 0), 2), (std::vector<KRange>{{1, 3}, {3, 4}, {10, 11}}));
  EXPECT_EQ(first_batches(share_of(todo, 2, 0), 2, 2), (KRanges{{1, 4}}));
}

TEST(NullStateMerge, TopValuesOfTwoPartsGiveTheThresholdsOfTheWhole) {
  // Reference: every value pushed into one CellTopValues (the single-run path).
  const std::size_t cells = 3, cap = 4;
  auto part = [&](std::int64_t first, std::int64_t last) {
    NullState s = NullState::empty(9, cells, true, false, cap);
    s.pass1 = {{first, last}};
    CellTopValues top(cells, cap);
    for (std::int64_t k = first; k < last; ++k)
      for (std::size_t c = 0; c < cells; ++c)
        top.push(c, static_cast<double>((k * 7 + static_cast<std::int64_t>(c) * 3) % 10));
    s.top_held = top.held_per_cell();
    s.top_values = top.held_values();
    return s;
  };
  CellTopValues whole(cells, cap);
  for (std::int64_t k = 0; k < 10; ++k)
    for (std::size_t c = 0; c < cells; ++c)
      whole.push(c, static_cast<double>((k * 7 + static_cast<std::int64_t>(c) * 3) % 10));
  NullState merged = part(0, 3);
  merged.absorb(part(3, 10));
  EXPECT_TRUE(merged.pass1_complete());
  merged.settle_thresholds();
  EXPECT_EQ(merged.thresholds, whole.thresholds(10));
}

TEST(NullStateMerge, OverlappingRangesAreNamed) {
  NullState a = NullState::empty(9, 2, false, false, 0), b = a;
  a.pass1 = {{0, 6}};
  b.pass1 = {{4, 10}};
  EXPECT_EQ(merge_conflict(a, b), "both hold permutations 4:6");
  EXPECT_THROW(a.absorb(b), InternalError);
}

// A synthetic problem, whole grid.
RsaProblem small_problem() {
  return synthetic_problem(12, 3, 40);
}

void expect_same(const AnalysisResult& a, const AnalysisResult& b) {
  EXPECT_EQ(a.p_uncorrected.values(), b.p_uncorrected.values());
  EXPECT_EQ(a.p_maxstat.values(), b.p_maxstat.values());
  EXPECT_EQ(a.p_cluster.values(), b.p_cluster.values());
  EXPECT_EQ(a.cluster_id.values(), b.cluster_id.values());
  EXPECT_EQ(a.cell_thresholds.values(), b.cell_thresholds.values());
  EXPECT_EQ(a.null_max_statistic, b.null_max_statistic);
  EXPECT_EQ(a.null_max_cluster, b.null_max_cluster);
  EXPECT_EQ(a.cluster_p, b.cluster_p);
}

TEST(RunInPieces, ShardsOfBothPassesMergedEqualTheWholeRun) {
  const auto problem = small_problem();
  AnalysisSettings analysis;
  analysis.permutations = 300;
  CorrectionSettings correction;  // permutation-p threshold: two passes
  NullDesign design{
      PermutationSet::generated(problem.stimuli, analysis.permutations, analysis.seed)};
  RunOptions plain;
  plain.batch_size = 16;
  const auto whole = run_analysis(problem, analysis, correction, design, plain);

  auto stage = [&](KRange pass1, KRange pass2, const NullState* resume) {
    RunOptions o = plain;
    o.pass1 = pass1;
    o.pass2 = pass2;
    o.resume = resume;
    o.export_state = true;
    auto r = run_analysis(problem, analysis, correction, design, o);
    EXPECT_FALSE(r.complete);
    return *r.state;
  };
  NullState pass1 = stage({0, 100}, {0, 0}, nullptr);
  pass1.absorb(stage({100, 301}, {0, 0}, nullptr));
  pass1.settle_thresholds();
  NullState all = pass1;
  all.absorb(stage({0, 0}, {0, 150}, &pass1).only_pass2());
  all.absorb(stage({0, 0}, {150, 301}, &pass1).only_pass2());
  ASSERT_TRUE(all.complete());
  RunOptions merge = plain;
  merge.resume = &all;
  expect_same(run_analysis(problem, analysis, correction, design, merge), whole);
}

TEST(RunInPieces, AStopRequestSavesTheStateAndTheResumedRunEqualsTheWholeRun) {
  const auto problem = small_problem();
  AnalysisSettings analysis;
  analysis.permutations = 300;
  CorrectionSettings correction;
  correction.tfce = true;
  NullDesign design{
      PermutationSet::generated(problem.stimuli, analysis.permutations, analysis.seed)};
  RunOptions plain;
  plain.batch_size = 16;
  const auto whole = run_analysis(problem, analysis, correction, design, plain);
  for (int stop_after : {5, 25}) {  // batches: in pass 1, in pass 2
    int seen = 0;
    std::optional<NullState> saved;
    RunOptions o = plain;
    o.checkpoint.stop_requested = [&] { return ++seen >= stop_after; };
    o.checkpoint.save = [&](const NullState& s) { saved = s; };
    EXPECT_THROW(run_analysis(problem, analysis, correction, design, o), StoppedAtCheckpoint);
    ASSERT_TRUE(saved.has_value());
    EXPECT_FALSE(saved->complete());
    RunOptions again = plain;
    again.resume = &*saved;
    const auto resumed = run_analysis(problem, analysis, correction, design, again);
    expect_same(resumed, whole);
    EXPECT_EQ(resumed.null_max_tfce, whole.null_max_tfce);
  }
}

}  // namespace
}  // namespace permrsa
