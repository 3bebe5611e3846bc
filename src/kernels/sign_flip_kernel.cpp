#include "kernels/sign_flip_kernel.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>

#include "kernels/signed_tile_sums.hpp"
#include "numeric/tail.hpp"

namespace permrsa {

SignFlipKernel::SignFlipKernel(std::span<const double> maps, std::size_t subjects,
                               std::size_t cells)
    : subjects_(subjects),
      cells_(cells),
      tiles_((cells + kTile - 1) / kTile),
      groups_((subjects + kSignGroupSize - 1) / kSignGroupSize) {
  static_assert(kTile == kSignedTileCells);
  for (std::size_t j = 0; j < groups_; ++j) {
    group_row_.push_back(static_cast<std::uint32_t>(rows_));
    rows_ += sign_group_rows(subjects_, j);
  }
  square_sum_.assign(tiles_ * kTile, 0.0);
  for (std::size_t i = 0; i < subjects_; ++i)
    for (std::size_t c = 0; c < cells_; ++c)
      square_sum_[c] += maps[i * cells_ + c] * maps[i * cells_ + c];
  // Tile-major tables: row r of tile t at (t * rows_ + r) * kTile. Row group_row_[j] + b holds
  // group j's in-order sum with its first subject +1 and later subject m flipped iff bit m - 1
  // of b is set.
  table_.assign(tiles_ * rows_ * kTile, 0.0);
  for (std::size_t j = 0; j < groups_; ++j) {
    const std::size_t first = j * kSignGroupSize, rows = sign_group_rows(subjects_, j);
    const std::size_t size = sign_group_size(subjects_, j);
    for (std::size_t b = 0; b < rows; ++b)
      for (std::size_t c = 0; c < cells_; ++c) {
        double e = 0.0;
        for (std::size_t m = 0; m < size; ++m) {
          const double r = maps[(first + m) * cells_ + c];
          e = e + ((m > 0 && ((b >> (m - 1)) & 1u)) ? -r : r);
        }
        table_[((c / kTile) * rows_ + group_row_[j] + b) * kTile + c % kTile] = e;
      }
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
    orient_nulls(stat, kTile, tail, e);
    if (!whole) {
      std::copy(stat, stat + width, stat_out);
      std::copy(e, e + width, e_out);
    }
  };
  // Each pattern as its groups' signs and table rows.
  std::vector<double> group_sign(count * groups_);
  std::vector<std::uint32_t> group_row(count * groups_);
  for (std::size_t b = 0; b < count; ++b)
    for (std::size_t j = 0; j < groups_; ++j) {
      const double* sign = signs.data() + b * subjects_ + j * kSignGroupSize;
      const std::size_t size = sign_group_size(subjects_, j);
      std::uint32_t flipped = 0;
      for (std::size_t m = 1; m < size; ++m)
        flipped |= static_cast<std::uint32_t>(sign[m] != sign[0]) << (m - 1);
      group_sign[b * groups_ + j] = sign[0];
      group_row[b * groups_ + j] = group_row_[j] + flipped;
    }
  tbb::parallel_for(std::size_t{0}, tiles_ * chunks, [&](std::size_t task) {
    const std::size_t tile = task % tiles_, chunk = task / tiles_;
    const std::size_t c0 = tile * kTile, width = std::min(kTile, cells_ - c0);
    const double* table = table_.data() + tile * rows_ * kTile;
    const double* q = square_sum_.data() + c0;
    const std::size_t first = chunk * kPatterns, end = std::min(count, first + kPatterns);
    for (std::size_t b = first; b < end; ++b) {
      double sum[kTile];
      grouped_tile_sum(group_sign.data() + b * groups_, group_row.data() + b * groups_, groups_,
                       table, sum);
      epilogue(sum, q, width, out.data() + b * cells_ + c0, oriented.data() + b * cells_ + c0);
    }
  });
}

}  // namespace permrsa
