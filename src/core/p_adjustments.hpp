// Adjustments of the uncorrected permutation p-values over the whole layer x time map (issue 17),
// for users who report them next to the permutation corrections. Each takes the m p-values of
// the map in any order and returns the adjusted values in the same order.
#pragma once

#include <functional>
#include <span>
#include <vector>

#include "permrsa/communicator.hpp"
#include "permrsa/matrix.hpp"
#include "permrsa/process_grid.hpp"

namespace permrsa {

// Benjamini-Hochberg (controls the false discovery rate for independent or positively dependent
// tests): p_(i) / (i / m) over the ascending order, then the running minimum from the largest
// down, capped at 1; the same operations as mne.stats.fdr_correction(p, method="indep").
std::vector<double> benjamini_hochberg(std::span<const double> p);

// Bonferroni (family-wise error rate under any dependence): min(1, m p), as statsmodels'
// multipletests(method="bonferroni").
std::vector<double> bonferroni(std::span<const double> p);

// Holm-Bonferroni step-down (family-wise error rate, uniformly more powerful than Bonferroni):
// (m - i + 1) p_(i) over the ascending order, then the running maximum, capped at 1, as
// statsmodels' multipletests(method="holm").
std::vector<double> holm(std::span<const double> p);

struct AdjustedP {
  std::vector<double> fdr, bonferroni, holm;  // whole L x T maps, C order
};

// Collective over `world`: the three adjustments of the whole L x T map of uncorrected p-values,
// on every rank, from the blocks of the ranks that write maps (`writes`). A fixed function of the
// whole map, so the same for any grid. `tested(l, t)`, when given, says which cells form the
// family (m counts them only); the others get 1 (the time x time map's cells t1 >= t2).
AdjustedP adjust_over_map(const Matrix<double>& block_p, const BlockRange& block, bool writes,
                          std::size_t layers, std::size_t times, const Communicator& world,
                          const std::function<bool(std::size_t, std::size_t)>& tested = {});

}  // namespace permrsa
