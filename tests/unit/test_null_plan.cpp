// The null plan (core/null_plan.hpp) is plain data from plain data. Expected values are worked
// out by hand from its definition: groups share the k >= 1 still to do contiguously, sizes
// differing by at most one; k = 0 is nobody's share but enters the state when the pass's
// range holds it; every rank takes as many batch steps as the largest share has batches.
#include <gtest/gtest.h>

#include "core/null_plan.hpp"
#include "core/work_share.hpp"
#include "permrsa/error.hpp"

namespace permrsa {
namespace {

NullPlanRequest request(std::int64_t permutations, bool two_pass, std::size_t batch_size,
                        int groups) {
  NullPlanRequest r;
  r.permutations = permutations;
  r.two_pass = two_pass;
  r.batch_size = batch_size;
  r.groups = groups;
  return r;
}

TEST(NullPlan, AWholeRunSharesOneToKAmongTheGroups) {
  // K = 10, 3 groups, batches of 2: k = 1..10 split 3 + 3 + 4 (sizes floor(10 g / 3)).
  const NullPlan plan = plan_null(request(10, false, 2, 3));
  EXPECT_EQ(plan.pass1.shares[0], (KRanges{{1, 4}}));
  EXPECT_EQ(plan.pass1.shares[1], (KRanges{{4, 7}}));
  EXPECT_EQ(plan.pass1.shares[2], (KRanges{{7, 11}}));
  EXPECT_EQ(plan.pass1.steps, 2u);  // the largest share, 4 maps, is 2 batches
  EXPECT_TRUE(plan.pass1.observed_included);
  EXPECT_TRUE(plan.pass1_complete && plan.complete);
  EXPECT_TRUE(plan.pass2.todo.empty());
  EXPECT_EQ(plan.work(2), 4);
  // After one step: k = 0 and each group's first batch.
  EXPECT_EQ(plan.pass1.done_after(1), (KRanges{{0, 3}, {4, 6}, {7, 9}}));
  EXPECT_EQ(plan.pass1.done_when_finished(), (KRanges{{0, 11}}));
}

TEST(NullPlan, AResumedRunSkipsWhatItsStateHolds) {
  // Pass 1 held 0:6 already; pass 2 (two-pass threshold) nothing yet.
  auto r = request(10, true, 3, 1);
  r.done1 = {{0, 6}};
  const NullPlan plan = plan_null(r);
  EXPECT_EQ(plan.pass1.todo, (KRanges{{6, 11}}));
  EXPECT_FALSE(plan.pass1.observed_included);
  EXPECT_EQ(plan.pass1.batches(0), (std::vector<KRange>{{6, 9}, {9, 11}}));
  EXPECT_EQ(plan.pass2.shares[0], (KRanges{{1, 11}}));
  EXPECT_TRUE(plan.pass2.observed_included);
  EXPECT_TRUE(plan.complete);
  EXPECT_EQ(plan.work(0), 5 + 10);
}

TEST(NullPlan, AShardDoesItsRangeAndIsNotComplete) {
  auto r = request(100, false, 64, 2);
  r.pass1 = KRange{50, 101};
  const NullPlan plan = plan_null(r);
  EXPECT_EQ(plan.pass1.shares[0], (KRanges{{50, 75}}));
  EXPECT_EQ(plan.pass1.shares[1], (KRanges{{75, 101}}));
  EXPECT_FALSE(plan.pass1.observed_included);
  EXPECT_FALSE(plan.pass1_complete);
  EXPECT_FALSE(plan.complete);
}

TEST(NullPlan, PassTwoNeedsTheWholeOfPassOne) {
  try {
    auto r = request(10, true, 4, 1);
    r.done1 = {{0, 5}};
    r.pass1 = KRange{0, 0};
    r.pass2 = KRange{0, 11};
    plan_null(r);
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("pass 1 holds 0:5"), std::string::npos) << e.what();
  }
}

TEST(NullPlan, WhatIsDoneFollowsEachGroupsDoneBatches) {
  // K = 10, 2 groups, batches of 2: shares 1..5 and 6..10. Group 0 did 2 batches (1..4), group 1
  // one (6..7): k = 0 too, as todo holds it.
  NullPlan plan = plan_null(request(10, false, 2, 2));
  EXPECT_EQ(plan.pass1.done_batches, (std::vector<std::size_t>{0, 0}));
  EXPECT_EQ(plan.pass1.done_so_far(), (KRanges{{0, 1}}));
  plan.pass1.done_batches = {2, 1};
  EXPECT_EQ(plan.pass1.did(), (std::vector<KRanges>{{{1, 5}}, {{6, 8}}}));
  EXPECT_EQ(plan.pass1.done_so_far(), (KRanges{{0, 5}, {6, 8}}));
}

TEST(NullPlan, HandedOutRunsOfBatchesAreCutBackIntoTheSameBatches) {
  // A balanced sweep hands out all_batches(): k = 1..10 minus the resumed 4..5, in batches of 3
  // cut from each range's start: 1..3, 6..8, 9..10 (and 4..5 is done).
  auto r = request(10, false, 3, 2);
  r.done1 = {{4, 6}};
  NullPlan plan = plan_null(r);
  const auto all = plan.pass1.all_batches();
  EXPECT_EQ(all, (std::vector<KRange>{{1, 4}, {6, 9}, {9, 11}}));
  // Group 1 was handed the last two (adjacent: one range), group 0 the first.
  plan.pass1.shares = {{all[0]}, unite({all[1]}, {all[2]})};
  EXPECT_EQ(plan.pass1.shares[1], (KRanges{{6, 11}}));
  EXPECT_EQ(plan.pass1.batches(1), (std::vector<KRange>{all[1], all[2]}));
  plan.pass1.done_batches = {1, 2};
  EXPECT_EQ(plan.pass1.done_so_far(), (KRanges{{0, 11}}));
}

// split_by_rates (core/work_share.hpp), worked by hand: one batch each first, the rest in
// proportion to the rates by largest remainders (ties to the lower group).
TEST(SplitByRates, GivesEachGroupOneThenTheRestByRate) {
  const std::vector<double> none{0.0, 0.0};
  EXPECT_EQ(split_by_rates(16, none), (std::vector<std::size_t>{8, 8}));  // nothing measured
  EXPECT_EQ(split_by_rates(15, none), (std::vector<std::size_t>{8, 7}));  // tie to group 0
  // Rates 3:1 of the 14 after one each: 10.5 and 3.5; the tie of remainders goes to group 0.
  EXPECT_EQ(split_by_rates(16, std::vector<double>{3.0, 1.0}), (std::vector<std::size_t>{12, 4}));
  // A group far slower still takes one batch a round.
  EXPECT_EQ(split_by_rates(8, std::vector<double>{1e-9, 1.0, 1.0}),
            (std::vector<std::size_t>{1, 4, 3}));
  // A group with no time yet counts at the others' mean: rates 2, (3), 4 of the 6 after one
  // each: 4/3, 2, 8/3 -> floors 1, 2, 2 and the last batch to the largest remainder (group 2).
  EXPECT_EQ(split_by_rates(9, std::vector<double>{2.0, 0.0, 4.0}),
            (std::vector<std::size_t>{2, 3, 4}));
  // Fewer batches than groups: none first, by rate.
  EXPECT_EQ(split_by_rates(1, std::vector<double>{1.0, 5.0}), (std::vector<std::size_t>{0, 1}));
  EXPECT_EQ(split_by_rates(0, std::vector<double>{1.0, 5.0}), (std::vector<std::size_t>{0, 0}));
}

TEST(KRanges, UniteJoinsOverlappingAndAdjacentRanges) {
  EXPECT_EQ(unite({{0, 3}, {10, 12}}, {{3, 5}, {11, 20}}), (KRanges{{0, 5}, {10, 20}}));
  EXPECT_EQ(unite({}, {{2, 2}}), KRanges{});
}

}  // namespace
}  // namespace permrsa
