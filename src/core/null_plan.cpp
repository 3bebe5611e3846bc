#include "core/null_plan.hpp"

#include <algorithm>

#include "core/work_share.hpp"
#include "permrsa/error.hpp"

namespace permrsa {
namespace {

PassPlan plan_pass(const KRanges& done, const KRanges& asked, int groups, std::size_t batch_size) {
  PassPlan p;
  p.done = done;
  p.todo = subtract(asked, done);
  p.batch_size = std::max<std::size_t>(1, batch_size);
  p.observed_included = !p.todo.empty() && p.todo.front().first == 0;
  for (int g = 0; g < groups; ++g) {
    p.shares.push_back(share_of(p.todo, groups, g));
    p.steps = std::max(p.steps, batches_of(p.shares.back(), p.batch_size).size());
  }
  p.done_batches.assign(p.shares.size(), 0);
  return p;
}

}  // namespace

std::vector<KRange> PassPlan::batches(int group) const {
  return batches_of(shares.at(static_cast<std::size_t>(group)), batch_size);
}

std::vector<KRange> PassPlan::all_batches() const {
  return batches_of(subtract(todo, {{0, 1}}), batch_size);
}

KRanges PassPlan::done_after(std::size_t n) const {
  KRanges out = unite(done, observed_included ? KRanges{{0, 1}} : KRanges{});
  for (const auto& share : shares) out = unite(out, first_batches(share, batch_size, n));
  return out;
}

std::vector<KRanges> PassPlan::did() const {
  std::vector<KRanges> out;
  for (std::size_t g = 0; g < shares.size(); ++g)
    out.push_back(first_batches(shares[g], batch_size, done_batches.at(g)));
  return out;
}

KRanges PassPlan::done_so_far() const {
  KRanges out = unite(done, observed_included ? KRanges{{0, 1}} : KRanges{});
  for (const auto& ranges : did()) out = unite(out, ranges);
  return out;
}

std::int64_t NullPlan::work(int group) const {
  const auto g = static_cast<std::size_t>(group);
  return count(pass1.shares.at(g)) + (two_pass ? count(pass2.shares.at(g)) : 0);
}

NullPlan plan_null(const NullPlanRequest& r) {
  NullPlan plan;
  plan.permutations = r.permutations;
  plan.two_pass = r.two_pass;
  const KRange all = plan.all();
  plan.pass1 = plan_pass(r.done1, {r.pass1.value_or(all)}, r.groups, r.batch_size);
  plan.pass2 = r.two_pass ? plan_pass(r.done2, {r.pass2.value_or(all)}, r.groups, r.batch_size)
                          : plan_pass({}, {}, r.groups, r.batch_size);
  plan.pass1_complete = plan.pass1.done_when_finished() == KRanges{all};
  plan.complete =
      plan.pass1_complete && (!r.two_pass || plan.pass2.done_when_finished() == KRanges{all});
  if (!plan.pass2.todo.empty() && !plan.pass1_complete)
    throw InputError("pass 2 of the permutation-p cluster threshold needs the whole of pass 1 (0:" +
                     std::to_string(r.permutations + 1) + "); pass 1 holds " +
                     describe(plan.pass1.done_when_finished()));
  return plan;
}

}  // namespace permrsa
