// Ranking and standardising vectors: done once per RDM, since a permutation only reorders.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "permrsa/matrix.hpp"

namespace permrsa {

// 1-based ranks, ties get their average rank (scipy.stats.rankdata(method="average")).
std::vector<double> average_ranks(std::span<const double> values);

// Replaces every column of a P x T matrix by its average ranks (columns in parallel).
void rank_columns(Matrix<double>& m);

// 0-based dense ranks: equal values share a rank, ranks are consecutive.
std::vector<std::int32_t> dense_ranks(std::span<const double> values);

// out = (x - mean) / ||x - mean||, so that dot(out_a, out_b) is Pearson's r.
// Returns false, leaving `out` unspecified, when x is constant.
bool standardize(std::span<const double> values, std::span<double> out);

// Number of tied pairs: sum over groups of equal values of g(g-1)/2.
std::int64_t tied_pairs(std::span<const double> values);

}  // namespace permrsa
