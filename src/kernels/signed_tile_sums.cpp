#include "kernels/signed_tile_sums.hpp"

namespace permrsa {
namespace {
typedef double Vec __attribute__((vector_size(64)));
typedef double VecU __attribute__((vector_size(64), aligned(8), may_alias));
static_assert(kSignedTileCells == 8 * 8, "a tile is eight vectors of eight doubles");

// Eight named accumulators (not an array), so that they stay in registers.
struct TileAccumulator {
  Vec a0{}, a1{}, a2{}, a3{}, a4{}, a5{}, a6{}, a7{};
  void add(double s, Vec r0, Vec r1, Vec r2, Vec r3, Vec r4, Vec r5, Vec r6, Vec r7) {
    a0 += s * r0;
    a1 += s * r1;
    a2 += s * r2;
    a3 += s * r3;
    a4 += s * r4;
    a5 += s * r5;
    a6 += s * r6;
    a7 += s * r7;
  }
  void store(double* sum) const {
    VecU* out = reinterpret_cast<VecU*>(sum);
    out[0] = a0;
    out[1] = a1;
    out[2] = a2;
    out[3] = a3;
    out[4] = a4;
    out[5] = a5;
    out[6] = a6;
    out[7] = a7;
  }
};

const VecU* row(const double* maps, std::size_t i) {
  return reinterpret_cast<const VecU*>(maps + i * kSignedTileCells);
}
}  // namespace

void signed_tile_sum(const double* sign, const double* maps, std::size_t subjects, double* sum) {
  TileAccumulator acc;
  for (std::size_t i = 0; i < subjects; ++i) {
    const VecU* r = row(maps, i);
    acc.add(sign[i], r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]);
  }
  acc.store(sum);
}

void signed_tile_sum_pair(const double* sign_a, const double* sign_b, const double* maps,
                          std::size_t subjects, double* sum_a, double* sum_b) {
  TileAccumulator a, b;
  for (std::size_t i = 0; i < subjects; ++i) {
    const VecU* r = row(maps, i);
    const Vec r0 = r[0], r1 = r[1], r2 = r[2], r3 = r[3], r4 = r[4], r5 = r[5], r6 = r[6],
              r7 = r[7];
    a.add(sign_a[i], r0, r1, r2, r3, r4, r5, r6, r7);
    b.add(sign_b[i], r0, r1, r2, r3, r4, r5, r6, r7);
  }
  a.store(sum_a);
  b.store(sum_b);
}

}  // namespace permrsa
