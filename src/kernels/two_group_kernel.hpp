// The two-group statistic of every cell under a batch of group relabellings (the two-group
// scheme's null maps, issue 19). The subjects' maps are centred per cell once (x - the mean over
// all subjects, which changes none of the statistics and keeps the sums of squares free of
// cancellation); for each relabelling, each group's sum S and sum of squares Q over its members
// (subjects in order), then
//   welch-t          (m_a - m_b) / sqrt(v_a / n_a + v_b / n_b), v = (Q - S m) / (n - 1)
//                    (scipy.stats.ttest_ind(equal_var=False));
//   mean-difference  m_a - m_b;
//   f                n_a n_b / N (m_a - m_b)^2 / ((ss_a + ss_b) / (N - 2)), the one-way F of two
//                    groups (MNE's f_oneway, the default of permutation_cluster_test) = the
//                    squared pooled-variance t.
// Every cell's value depends only on the cell's subjects and the labels, never on the batch,
// the tile or the thread.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace permrsa {

// The kernel's own names for the statistics (kernels sit below core's GroupStatistic).
enum class TwoGroupStatistic { welch_t, mean_difference, f };

class TwoGroupKernel {
 public:
  // maps: N x cells (subject-major).
  TwoGroupKernel(std::span<const double> maps, std::size_t subjects, std::size_t cells,
                 TwoGroupStatistic statistic);
  std::size_t subjects() const { return subjects_; }
  std::size_t cells() const { return cells_; }
  // labels: count x N of 0 (group a) or 1 (group b); out: count x cells.
  void compute(std::span<const std::uint8_t> labels, std::size_t count,
               std::span<double> out) const;

 private:
  static constexpr std::size_t kTile = 64;  // cells per tile
  void tile_statistic(const std::uint8_t* labels, const double* maps, double* stat) const;
  std::size_t subjects_, cells_, tiles_;
  TwoGroupStatistic statistic_;
  std::vector<double> tiled_;  // tiles x N x kTile, centred, zero padded
};

}  // namespace permrsa
