// How the permutations still to do are divided: among permutation groups, and into batches.
// Pure planning; every rank computes the same plan for every group.
#pragma once

#include <cstddef>
#include <span>
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

// How many of the next n batches each of rates.size() groups takes, in proportion to its rate
// (batches per second; a group with none measured yet counts at the others' mean, and all at 1
// before any is): every group one batch first when n allows (a group slowed down once is not
// starved for the rest of the run), the rest by largest remainders, ties to the lower group.
// The counts sum to n.
std::vector<std::size_t> split_by_rates(std::size_t n, std::span<const double> rates);

}  // namespace permrsa
