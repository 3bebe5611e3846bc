#include "kernels/two_group_kernel.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace permrsa {

TwoGroupKernel::TwoGroupKernel(std::span<const double> maps, std::size_t subjects,
                               std::size_t cells, TwoGroupStatistic statistic)
    : subjects_(subjects),
      cells_(cells),
      tiles_((cells + kTile - 1) / kTile),
      statistic_(statistic) {
  tiled_.assign(tiles_ * subjects_ * kTile, 0.0);
  for (std::size_t c = 0; c < cells_; ++c) {
    double sum = 0;
    for (std::size_t i = 0; i < subjects_; ++i) sum += maps[i * cells_ + c];
    const double mean = sum / static_cast<double>(subjects_);
    for (std::size_t i = 0; i < subjects_; ++i)
      tiled_[((c / kTile) * subjects_ + i) * kTile + c % kTile] = maps[i * cells_ + c] - mean;
  }
}

void TwoGroupKernel::tile_statistic(const std::uint8_t* labels, const double* maps,
                                    double* stat) const {
  double s[2][kTile] = {}, q[2][kTile] = {};
  std::size_t n[2] = {0, 0};
  for (std::size_t i = 0; i < subjects_; ++i) {
    const std::size_t g = labels[i];
    ++n[g];
    const double* x = maps + i * kTile;
    double* sg = s[g];
    double* qg = q[g];
    for (std::size_t c = 0; c < kTile; ++c) {
      sg[c] += x[c];
      qg[c] += x[c] * x[c];
    }
  }
  const double na = static_cast<double>(n[0]), nb = static_cast<double>(n[1]);
  const double total = na + nb;
  for (std::size_t c = 0; c < kTile; ++c) {
    const double ma = s[0][c] / na, mb = s[1][c] / nb, d = ma - mb;
    const double ssa = std::max(0.0, q[0][c] - s[0][c] * ma);
    const double ssb = std::max(0.0, q[1][c] - s[1][c] * mb);
    switch (statistic_) {
      case TwoGroupStatistic::mean_difference:
        stat[c] = d;
        break;
      case TwoGroupStatistic::f: {
        const double within = (ssa + ssb) / (total - 2.0);
        stat[c] = within > 0 ? na * nb / total * d * d / within
                             : std::numeric_limits<double>::quiet_NaN();
        break;
      }
      case TwoGroupStatistic::welch_t: {
        const double se2 = ssa / (na - 1.0) / na + ssb / (nb - 1.0) / nb;
        stat[c] = se2 > 0 ? d / std::sqrt(se2) : std::numeric_limits<double>::quiet_NaN();
      }
    }
  }
}

void TwoGroupKernel::compute(std::span<const std::uint8_t> labels, std::size_t count,
                             std::span<double> out) const {
  constexpr std::size_t kRelabels = 32;  // relabellings per task
  const std::size_t chunks = (count + kRelabels - 1) / kRelabels;
  tbb::parallel_for(std::size_t{0}, tiles_ * chunks, [&](std::size_t task) {
    const std::size_t tile = task % tiles_, chunk = task / tiles_;
    const std::size_t c0 = tile * kTile, width = std::min(kTile, cells_ - c0);
    const double* maps = tiled_.data() + tile * subjects_ * kTile;
    for (std::size_t b = chunk * kRelabels; b < std::min(count, (chunk + 1) * kRelabels); ++b) {
      double stat[kTile];  // whole tiles keep the loops vectorised; padding is dropped
      tile_statistic(labels.data() + b * subjects_, maps, stat);
      std::copy(stat, stat + width, out.data() + b * cells_ + c0);
    }
  });
}

}  // namespace permrsa
