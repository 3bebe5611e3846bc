// How the permutations still to do are divided: among permutation groups, and into batches.
// Pure planning; every rank computes the same plan for every group.
#pragma once

#include <cstddef>
#include <vector>

#include "permrsa/null_state.hpp"

namespace permrsa {

// Part `part` of `parts` of the k >= 1 in `todo` (k = 0, the observed data, is nobody's share):
// contiguous in k order, sizes differing by at most one.
KRanges share_of(const KRanges& todo, int parts, int part);

// `share` cut into batches of at most `batch_size` permutations (a batch never spans two ranges).
std::vector<KRange> batches_of(const KRanges& share, std::size_t batch_size);

// The first `n` batches of `share`, as ranges.
KRanges first_batches(const KRanges& share, std::size_t batch_size, std::size_t n);

}  // namespace permrsa
