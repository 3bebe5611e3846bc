#include "kernels/sign_flip_kernel.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>

#include "kernels/signed_tile_sums.hpp"
#include "numeric/tail.hpp"

namespace permrsa {

SignFlipKernel::SignFlipKernel(std::span<const double> maps, std::size_t subjects,
                               std::size_t cells)
    : subjects_(subjects), cells_(cells), tiles_((cells + kTile - 1) / kTile) {
  static_assert(kTile == kSignedTileCells);
  // Tile-major copy: tile j of subject i at ((j * N) + i) * kTile.
  tiled_.assign(tiles_ * subjects_ * kTile, 0.0);
  square_sum_.assign(tiles_ * kTile, 0.0);
  for (std::size_t i = 0; i < subjects_; ++i)
    for (std::size_t c = 0; c < cells_; ++c) {
      const double r = maps[i * cells_ + c];
      tiled_[((c / kTile) * subjects_ + i) * kTile + c % kTile] = r;
      square_sum_[c] += r * r;
    }
}

void SignFlipKernel::compute(std::span<const double> signs, std::size_t count, bool t, Tail tail,
                             std::span<double> out, std::span<double> oriented) const {
  switch (tail) {  // the tail chosen once, so that the epilogue vectorises
    case Tail::greater:
      return compute_for<Tail::greater>(signs, count, t, out, oriented);
    case Tail::less:
      return compute_for<Tail::less>(signs, count, t, out, oriented);
    case Tail::two_sided:
      return compute_for<Tail::two_sided>(signs, count, t, out, oriented);
  }
}

template <Tail tail>
void SignFlipKernel::compute_for(std::span<const double> signs, std::size_t count, bool t,
                                 std::span<double> out, std::span<double> oriented) const {
  const double n = static_cast<double>(subjects_), inverse_n = 1.0 / n, n_over_dof = n / (n - 1);
  constexpr std::size_t kPatterns = 32;  // patterns per task
  const std::size_t chunks = (count + kPatterns - 1) / kPatterns;
  // One pattern's statistics of one tile from its signed sums, to stat_out and e_out.
  const auto epilogue = [&](const double* sum, const double* q, std::size_t width, double* stat_out,
                            double* e_out) {
    // Whole tiles keep the loops vectorised and are written in place; the last, partial tile
    // goes through scratch and drops its padding. (Copies of every tile cost 9% of a run.)
    double stat_scratch[kTile], e_scratch[kTile];
    const bool whole = width == kTile;
    double* __restrict stat = whole ? stat_out : stat_scratch;
    double* __restrict e = whole ? e_out : e_scratch;
    if (t) {  // t = mean / sqrt(ss / (n - 1) / n) = S / sqrt(ss * n / (n - 1))
      for (std::size_t c = 0; c < kTile; ++c) {
        const double ss = q[c] - sum[c] * sum[c] * inverse_n;
        stat[c] = sum[c] / std::sqrt(std::max(0.0, ss) * n_over_dof);
      }
    } else {
      for (std::size_t c = 0; c < kTile; ++c) stat[c] = sum[c] / n;
    }
    for (std::size_t c = 0; c < kTile; ++c) e[c] = null_oriented(stat[c], tail);
    if (!whole) {
      std::copy(stat, stat + width, stat_out);
      std::copy(e, e + width, e_out);
    }
  };
  tbb::parallel_for(std::size_t{0}, tiles_ * chunks, [&](std::size_t task) {
    const std::size_t tile = task % tiles_, chunk = task / tiles_;
    const std::size_t c0 = tile * kTile, width = std::min(kTile, cells_ - c0);
    const double* maps = tiled_.data() + tile * subjects_ * kTile;
    const double* q = square_sum_.data() + c0;
    const std::size_t first = chunk * kPatterns, end = std::min(count, first + kPatterns);
    // Two patterns per pass over the tile: each row of it loaded once for both.
    for (std::size_t b = first; b < end; b += 2) {
      double sum[2][kTile];
      const double* sign = signs.data() + b * subjects_;
      if (b + 1 < end)
        signed_tile_sum_pair(sign, sign + subjects_, maps, subjects_, sum[0], sum[1]);
      else
        signed_tile_sum(sign, maps, subjects_, sum[0]);
      for (std::size_t j = 0; j < std::min<std::size_t>(2, end - b); ++j)
        epilogue(sum[j], q, width, out.data() + (b + j) * cells_ + c0,
                 oriented.data() + (b + j) * cells_ + c0);
    }
  });
}

}  // namespace permrsa
