// The null plan (core/null_plan.hpp) is plain data from plain data. Expected values are worked
// out by hand from its definition: groups share the k >= 1 still to do contiguously, sizes
// differing by at most one; k = 0 is nobody's share but enters the state when the pass's
// range holds it; every rank takes as many batch steps as the largest share has batches.
#include <gtest/gtest.h>

#include "core/null_plan.hpp"
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

TEST(KRanges, UniteJoinsOverlappingAndAdjacentRanges) {
  EXPECT_EQ(unite({{0, 3}, {10, 12}}, {{3, 5}, {11, 20}}), (KRanges{{0, 5}, {10, 20}}));
  EXPECT_EQ(unite({}, {{2, 2}}), KRanges{});
}

}  // namespace
}  // namespace permrsa
