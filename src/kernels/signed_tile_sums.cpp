#include "kernels/signed_tile_sums.hpp"

namespace permrsa {
namespace {
typedef double Vec __attribute__((vector_size(64)));
typedef double VecU __attribute__((vector_size(64), aligned(8), may_alias));
static_assert(kSignedTileCells == 8 * 8, "a tile is eight vectors of eight doubles");

// Eight named accumulators (not an array), so that they stay in registers.
struct TileAccumulator {
  Vec a0{}, a1{}, a2{}, a3{}, a4{}, a5{}, a6{}, a7{};
  void add(double s, const VecU* r) {
    a0 += s * r[0];
    a1 += s * r[1];
    a2 += s * r[2];
    a3 += s * r[3];
    a4 += s * r[4];
    a5 += s * r[5];
    a6 += s * r[6];
    a7 += s * r[7];
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
}  // namespace

void grouped_tile_sum(const double* sign, const std::uint32_t* row, std::size_t groups,
                      const double* table, double* sum) {
  TileAccumulator acc;
  for (std::size_t j = 0; j < groups; ++j)
    acc.add(sign[j], reinterpret_cast<const VecU*>(table + row[j] * kSignedTileCells));
  acc.store(sum);
}

}  // namespace permrsa
