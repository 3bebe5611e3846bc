// The null plan: which permutations k each permutation group computes, in which batches and
// passes, and what a resumed run skips. A pure function of plain data (as heFFTe's
// plan_operations): every rank computes the same plan for every group, and it is tested without
// MPI.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "permrsa/null_state.hpp"

namespace permrsa {

struct PassPlan {
  KRanges done;  // held by the resumed state
  KRanges todo;  // asked for, minus done
  // Per permutation group: its part of todo's k >= 1. Planned as equal contiguous parts; a
  // balanced sweep (core/null_sweep.hpp) instead hands todo's batches out round by round, and
  // then a share is what the group has been handed so far.
  std::vector<KRanges> shares;
  std::vector<std::size_t> done_batches;  // per group: the first batches of its share done
  std::size_t batch_size = 1;
  std::size_t steps = 0;           // batch steps every rank takes: the largest share's batches
  bool observed_included = false;  // todo holds k = 0 (the observed map enters the state)

  std::vector<KRange> batches(int group) const;
  // todo's k >= 1 cut into batches, in k order: what a balanced sweep hands out. A share made
  // of whole runs of them is cut back into the same batches by batches().
  std::vector<KRange> all_batches() const;
  // What the state holds after `steps` batch steps of every group (k = 0 included when todo
  // holds it): done, plus each group's first `steps` batches.
  KRanges done_after(std::size_t steps) const;
  KRanges done_when_finished() const { return done_after(steps); }
  // Each group's done batches (done_batches of its share), as ranges.
  std::vector<KRanges> did() const;
  // What the state holds now: done, k = 0 when todo holds it, and every group's done batches.
  KRanges done_so_far() const;
};

struct NullPlanRequest {
  std::int64_t permutations = 0;  // K
  bool two_pass = false;          // permutation-p cluster threshold
  std::size_t batch_size = 64;
  int groups = 1;                      // permutation groups of the grid
  KRanges done1, done2;                // the resumed state's ranges
  std::optional<KRange> pass1, pass2;  // the ranges asked for (a shard); all of 0..K by default
};

struct NullPlan {
  std::int64_t permutations = 0;
  bool two_pass = false;
  PassPlan pass1, pass2;        // pass2 is empty without two_pass
  bool pass1_complete = false;  // pass 1 covers 0..K once this run is done
  bool complete = false;        // every pass does

  KRange all() const { return {0, permutations + 1}; }
  // Permutation maps group g computes over both passes (for progress lines).
  std::int64_t work(int group) const;
};

// InputError when pass 2 is asked for without the whole of pass 1.
NullPlan plan_null(const NullPlanRequest& request);

}  // namespace permrsa
