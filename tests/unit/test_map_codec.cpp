// The 4-byte map forms of kernels/map_codec.hpp, on the kernels' own output: decoding the
// encoded maps must give back every double bit for bit (the expected values are the kernel's
// outputs themselves), and a kernel whose values could leave int32 must offer no codec.
#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

#include "core/map_cache.hpp"
#include "kernels/map_codec.hpp"
#include "kernels/spearman_int16_kernel.hpp"
#include "kernels/statistic_kernel.hpp"
#include "permrsa/error.hpp"
#include "random_matrix.hpp"

namespace permrsa {
namespace {

// A brain whose first column is model row 0 and second its negation: at the identity gather
// those cells reach the largest |dot| the data allows (rho = 1 and -1).
Matrix<double> brain_with_model_columns(const Matrix<double>& models, std::size_t times,
                                        unsigned seed, double grid) {
  const std::size_t pairs = models.cols();
  Matrix<double> brain = random_matrix(pairs, times, seed, grid);
  for (std::size_t p = 0; p < pairs; ++p) {
    brain(p, 0) = models(0, p);
    brain(p, 1) = -models(0, p);
  }
  return brain;
}

void expect_round_trip(const StatisticKernel& kernel, std::size_t batch, unsigned seed) {
  const auto codec = kernel.map_codec();
  ASSERT_NE(codec, nullptr);
  const std::size_t cells = kernel.layers() * kernel.times();
  ASSERT_EQ(codec->cells(), cells);
  std::vector<double> s(batch * cells), back(batch * cells);
  kernel.compute(random_gathers(kernel.pairs(), batch, seed), batch, s);
  std::vector<std::uint32_t> code(s.size());
  codec->encode(s, code);
  codec->decode(code, back);
  for (std::size_t i = 0; i < s.size(); ++i)
    ASSERT_EQ(std::bit_cast<std::uint64_t>(back[i]), std::bit_cast<std::uint64_t>(s[i]))
        << "value " << i << ": " << s[i] << " came back as " << back[i];
}

// S = 49 (the seed's P = 1176) with ties, S = 61 (P = 1830, the largest S without ties whose
// |dot| bound P (P^2 - 1) / 3 stays below 2^31) and a small P.
TEST(MapCodec, SpearmanDotsComeBackBitForBit) {
  for (std::size_t pairs : {std::size_t{45}, std::size_t{1176}, std::size_t{1830}})
    for (double grid : {0.0, 0.5}) {
      SCOPED_TRACE("P = " + std::to_string(pairs) + ", grid " + std::to_string(grid));
      const auto models = random_matrix(5, pairs, 11, grid);
      const auto brain = brain_with_model_columns(models, 37, 12, grid);
      const auto kernel = make_spearman_int16_kernel(models, brain, int16_isa_for_this_process());
      expect_round_trip(*kernel, 6, 13);
    }
}

// Without ties |dot| can reach P (P^2 - 1) / 3 = 2.25e9 > 2^31 at P = 1891 (S = 62).
TEST(MapCodec, SpearmanOffersNoCodecWhenDotsCouldLeaveInt32) {
  const auto models = random_matrix(3, 1891, 21);
  const auto brain = random_matrix(1891, 4, 22);
  EXPECT_EQ(make_spearman_int16_kernel(models, brain, int16_isa_for_this_process())->map_codec(),
            nullptr);
}

TEST(MapCodec, PearsonFloat32ValuesComeBackBitForBit) {
  const auto models = random_matrix(7, 1176, 31);
  const auto brain = brain_with_model_columns(models, 45, 32, 0.0);
  expect_round_trip(*make_correlation_kernel(false, Precision::float32, models, brain), 5, 33);
}

TEST(MapCodec, Float64AndKendallKernelsKeepDoubles) {
  const auto models = random_matrix(3, 190, 41, 0.5);
  const auto brain = random_matrix(190, 6, 42, 0.5);
  EXPECT_EQ(make_correlation_kernel(false, Precision::float64, models, brain)->map_codec(),
            nullptr);
  EXPECT_EQ(make_kendall_kernel(Metric::kendall_b, models, brain)->map_codec(), nullptr);
}

// The cache gives back what was appended, in either form, across appends of uneven sizes.
TEST(MapCodec, MapCacheReadsBackWhatWasAppended) {
  const auto models = random_matrix(4, 300, 51, 0.5);
  const auto brain = random_matrix(300, 9, 52, 0.5);
  const auto kernel = make_spearman_int16_kernel(models, brain, int16_isa_for_this_process());
  const std::size_t cells = 36, maps = 23;
  std::vector<double> s(maps * cells), back;
  kernel->compute(random_gathers(300, maps, 53), maps, s);
  for (bool coded : {false, true}) {
    MapCache cache(maps, cells, coded ? kernel->map_codec() : nullptr);
    const std::span<const double> all(s);
    cache.append(all.first(7 * cells));
    cache.append(all.subspan(7 * cells));
    EXPECT_EQ(cache.maps(), maps);
    const auto got = cache.read(5, 11, back);
    ASSERT_EQ(got.size(), 11 * cells);
    for (std::size_t i = 0; i < got.size(); ++i)
      ASSERT_EQ(std::bit_cast<std::uint64_t>(got[i]),
                std::bit_cast<std::uint64_t>(s[5 * cells + i]));
    EXPECT_THROW(cache.read(20, 4, back), InternalError);             // maps 23..: never appended
    EXPECT_THROW(cache.append(all.first(cells + 1)), InternalError);  // not whole maps
  }
  // A rank whose data block is empty keeps no cache (core/null_sweep.cpp); one asked for is a bug.
  EXPECT_THROW(MapCache(maps, 0, nullptr), InternalError);
}

}  // namespace
}  // namespace permrsa
