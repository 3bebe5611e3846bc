// Layer RDMs from Gram matrices, in float64 (Eigen).
//
// For one layer with activations X (S images x D features): G = X X^T and the row sums s.
//   correlation: 1 - (G_ij - s_i s_j / D) / sqrt((G_ii - s_i^2 / D)(G_jj - s_j^2 / D))  (1 -
//   Pearson) euclidean:   sqrt(max(0, G_ii + G_jj - 2 G_ij)) cosine:      1 - G_ij / sqrt(G_ii
//   G_jj)
// G is accumulated over fixed feature chunks [k * kChunk, (k + 1) * kChunk): every entry is the
// same sum in the same order however the columns arrive (panel widths, memory budget, ranks),
// so the RDMs are identical bit for bit.
#pragma once

#include <Eigen/Core>
#include <cstddef>
#include <vector>

#include "permrsa/features.hpp"

namespace permrsa::features {

class GramAccumulator {
 public:
  static constexpr std::size_t kChunk = 512;  // features per rank-k update (a fixed constant)

  GramAccumulator(std::size_t stimuli, std::size_t features);
  // Adds the columns [begin, begin + width) of X, given as stimuli x width row-major doubles.
  // `begin` must be a multiple of kChunk, and width too unless the panel ends the layer.
  void add_panel(const double* panel, std::size_t begin, std::size_t width);
  // The condensed RDM (S(S-1)/2 entries); needs every column added. Pairs whose distance is
  // undefined (a constant activation vector for correlation, a zero one for cosine) are NaN.
  std::vector<double> rdm(Distance distance) const;
  std::size_t columns_added() const { return added_; }

 private:
  std::size_t stimuli_;
  std::size_t features_;
  std::size_t added_ = 0;
  Eigen::MatrixXd gram_;  // lower triangle used
  Eigen::VectorXd sums_;
  Eigen::MatrixXd chunk_;  // stimuli x kChunk scratch
};

}  // namespace permrsa::features
