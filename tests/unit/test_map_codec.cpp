// The 4-byte map forms of kernels/map_codec.hpp, on the kernels' own output: decoding the
// encoded maps, whole or only the kept cells of each, must give back every double bit for bit
// (the expected values are the kernel's outputs themselves), their order keys must keep every
// value and its tail orientations in value order, and a kernel whose values could leave int32
// must offer no codec.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
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
  // The order keys (numeric/order_keys.hpp) keep every value and its orientations (s, -s, |s|),
  // and order each cell's values as double comparison does.
  const auto keys = codec->order_keys();
  ASSERT_TRUE(keys.has_value());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const std::size_t c = i % cells;
    for (const double v : {s[i], -s[i], std::fabs(s[i])})
      ASSERT_TRUE(keys->keeps(v, c)) << "value " << i << ": " << v;
    if (i >= cells) {
      const double a = s[i - cells], b = s[i];
      if (a < b) {
        ASSERT_LT(keys->key(a, c), keys->key(b, c)) << a << " " << b;
      }
      if (b < a) {
        ASSERT_LT(keys->key(b, c), keys->key(a, c)) << a << " " << b;
      }
    }
  }
  // decode_kept, map by map: a random third of the cells (and the first and last) given as
  // their codes in cell order must come back bit for bit; the other cells keep a sentinel.
  std::mt19937 rng(seed);
  const std::size_t words = (cells + 63) / 64;
  for (std::size_t m = 0; m < batch; ++m) {
    std::vector<std::uint64_t> mask(words, 0);
    std::vector<std::uint32_t> kept;
    for (std::size_t c = 0; c < cells; ++c)
      if (rng() % 3 == 0 || c == 0 || c + 1 == cells) {
        mask[c / 64] |= std::uint64_t{1} << (c % 64);
        kept.push_back(code[m * cells + c]);
      }
    std::vector<double> one(cells, -123.0);
    codec->decode_kept(kept.data(), mask.data(), one);
    for (std::size_t c = 0; c < cells; ++c) {
      const bool is_kept = (mask[c / 64] >> (c % 64)) & 1;
      const double want = is_kept ? s[m * cells + c] : -123.0;
      ASSERT_EQ(std::bit_cast<std::uint64_t>(one[c]), std::bit_cast<std::uint64_t>(want))
          << "map " << m << ", cell " << c << (is_kept ? " (kept)" : " (not kept)");
    }
  }
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

// The cache gives back what was appended, in either form, across appends of uneven sizes: with
// floors of -inf every value is kept (the expected values are the kernel's own maps).
TEST(MapCodec, MapCacheReadsBackWhatWasAppended) {
  const auto models = random_matrix(4, 300, 51, 0.5);
  const auto brain = random_matrix(300, 9, 52, 0.5);
  const auto kernel = make_spearman_int16_kernel(models, brain, int16_isa_for_this_process());
  const std::size_t cells = 36, maps = 23;
  std::vector<double> s(maps * cells), back;
  kernel->compute(random_gathers(300, maps, 53), maps, s);
  const std::vector<double> floor(cells, -std::numeric_limits<double>::infinity());
  for (bool coded : {false, true}) {
    MapCache cache(maps, cells, coded ? kernel->map_codec() : nullptr, 0.0);
    const std::span<const double> all(s);
    cache.append(all.first(7 * cells), all.first(7 * cells), floor);
    cache.append(all.subspan(7 * cells), all.subspan(7 * cells), floor);
    EXPECT_EQ(cache.maps(), maps);
    EXPECT_EQ(cache.kept_values(), maps * cells);
    const auto got = cache.read(5, 11, back);
    ASSERT_EQ(got.size(), 11 * cells);
    for (std::size_t i = 0; i < got.size(); ++i)
      ASSERT_EQ(std::bit_cast<std::uint64_t>(got[i]),
                std::bit_cast<std::uint64_t>(s[5 * cells + i]));
    EXPECT_THROW(cache.read(20, 4, back), InternalError);  // maps 23..: never appended
    EXPECT_THROW(cache.append(all.first(cells + 1), all.first(cells + 1), floor),
                 InternalError);  // not whole maps
  }
  // A rank whose data block is empty keeps no cache (core/null_sweep.cpp); one asked for is a bug.
  EXPECT_THROW(MapCache(maps, 0, nullptr, 0.0), InternalError);
}

// With floors, a cell's value comes back bit for bit where e > floor and as the stand-in
// elsewhere; maps of 150 cells cross the 64-bit words of the masks (the expected values are the
// appended maps themselves, masked by hand).
TEST(MapCodec, MapCacheKeepsOnlyTheCellsAboveTheirFloors) {
  const auto models = random_matrix(5, 200, 61, 0.5);
  const auto brain = random_matrix(200, 30, 62, 0.5);
  const auto kernel = make_spearman_int16_kernel(models, brain, int16_isa_for_this_process());
  const std::size_t cells = 150, maps = 40;
  std::vector<double> s(maps * cells), e(maps * cells), back;
  kernel->compute(random_gathers(200, maps, 63), maps, s);
  for (std::size_t i = 0; i < s.size(); ++i) e[i] = std::fabs(s[i]);  // two-sided orientation
  std::mt19937 rng(64);
  std::uniform_real_distribution<double> u(0.0, 0.3);
  std::vector<double> floor(cells);
  for (double& f : floor) f = u(rng);
  floor[3] = -std::numeric_limits<double>::infinity();  // an untrimmed cell: always kept
  floor[70] = std::numeric_limits<double>::infinity();  // never kept
  floor[149] = e[149];                                  // e == floor: not kept
  const double stand_in = -7.5;
  for (bool coded : {false, true}) {
    MapCache cache(maps, cells, coded ? kernel->map_codec() : nullptr, stand_in);
    const std::span<const double> all_s(s), all_e(e);
    cache.append(all_s.first(13 * cells), all_e.first(13 * cells), floor);
    cache.append(all_s.subspan(13 * cells), all_e.subspan(13 * cells), floor);
    std::size_t expected_kept = 0;
    for (std::size_t i = 0; i < s.size(); ++i) expected_kept += e[i] > floor[i % cells];
    EXPECT_EQ(cache.kept_values(), expected_kept);
    EXPECT_LT(expected_kept, s.size());
    EXPECT_GT(expected_kept, 0U);
    const auto got = cache.read(0, maps, back);
    for (std::size_t i = 0; i < got.size(); ++i) {
      const double want = e[i] > floor[i % cells] ? s[i] : stand_in;
      ASSERT_EQ(std::bit_cast<std::uint64_t>(got[i]), std::bit_cast<std::uint64_t>(want))
          << "value " << i << (coded ? " (coded)" : " (doubles)");
    }
  }
}

}  // namespace
}  // namespace permrsa
