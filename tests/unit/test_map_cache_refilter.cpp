// MapCache::refilter and append_masked (core/map_cache.hpp), and MapCodec::passing_codes and
// encode_kept (kernels/map_codec.hpp).
//
// passing_codes: for the quotient codec, the bounds must tell the same codes apart as decoding
// each code and comparing its null orientation with the floor (the expected values: decode, orient
// with numeric/tail.hpp, compare), at random codes and at the codes next to every bound, for every
// tail and for floors that are random, equal to a code's value, zero, negative and infinite. The
// float codec offers no bounds.
//
// passing: see its test below.
//
// refilter: maps appended under some floors and refiltered under higher ones, then appended and
// refiltered again, must read back, bit for bit, as their values where the orientation is above
// every floor the map went through and as the stand-in elsewhere (the expected maps are built
// from that rule by hand), with kept_values() the count of such cells: for doubles, the float
// codec (decoded and compared) and the quotient codec (compared as codes), every tail, maps of 150
// cells (words of 64 cut inside 16-cell groups), and 1, 2 and 37 maps (one part per thread, or
// fewer maps than threads).
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <random>
#include <span>
#include <vector>

#include "core/map_cache.hpp"
#include "kernels/map_codec.hpp"
#include "numeric/tail.hpp"

namespace permrsa {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr Tail kTails[] = {Tail::greater, Tail::less, Tail::two_sided};

// Denominators like the Spearman kernel's (|u_model| |u_brain|), and the largest |dot| they allow.
std::vector<double> denominators(std::size_t cells, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> d(2.0e7, 4.0e7);
  std::vector<double> out(cells);
  for (double& x : out) x = d(rng);
  return out;
}

double decoded(const MapCodec& codec, std::int32_t code, std::size_t cell) {
  std::vector<std::uint32_t> in(codec.cells(), 0);
  std::vector<double> out(codec.cells());
  in[cell] = std::bit_cast<std::uint32_t>(code);
  codec.decode(in, out);
  return out[cell];
}

TEST(MapCacheRefilter, PassingCodesAgreeWithTheDecodedValues) {
  std::mt19937_64 rng(20261207);
  const std::size_t cells = 40;
  const auto d = denominators(cells, rng);
  const auto codec = make_quotient_codec(d);
  std::uniform_int_distribution<std::int32_t> code(-1000000000, 1000000000);
  std::uniform_real_distribution<double> unit(-1.0, 1.0);
  for (const Tail tail : kTails) {
    std::vector<double> floor(cells);
    for (std::size_t c = 0; c < cells; ++c) floor[c] = 0.6 * unit(rng);
    floor[0] = 0.0;
    floor[1] = -kInf;
    floor[2] = kInf;
    floor[3] = decoded(*codec, 123456789, 3);   // equal to a code's value
    floor[4] = -decoded(*codec, 223456789, 4);  // and its negation
    floor[5] = -0.25;                           // negative: every |s| passes two-sided
    floor[6] = 1.5;                             // above every value
    std::vector<std::int32_t> above(cells), below(cells);
    ASSERT_TRUE(codec->passing_codes(floor, tail, above, below));
    for (std::size_t c = 0; c < cells; ++c) {
      std::vector<std::int64_t> probes;
      for (int i = 0; i < 200; ++i) probes.push_back(code(rng));
      for (const std::int64_t bound : {std::int64_t{above[c]}, std::int64_t{below[c]}})
        for (std::int64_t k = bound - 2; k <= bound + 2; ++k) probes.push_back(k);
      for (const std::int64_t k : probes) {
        if (k <= -2147482624 || k >= 2147482624) continue;  // codes stay inside m b < 2^31 - 1024
        const auto k32 = static_cast<std::int32_t>(k);
        const bool expected = null_oriented(decoded(*codec, k32, c), tail) > floor[c];
        ASSERT_EQ(above[c] < k32 || k32 < below[c], expected)
            << "cell " << c << ", floor " << floor[c] << ", code " << k << ", tail "
            << static_cast<int>(tail);
      }
    }
  }
  std::vector<std::int32_t> above(cells), below(cells);
  EXPECT_FALSE(make_float_codec(cells)->passing_codes(std::vector<double>(cells, 0.0),
                                                      Tail::greater, above, below));
}

enum class Form { doubles, floats, quotients };

struct Maps {
  std::vector<double> s, e;
  std::unique_ptr<MapCodec> codec;
};

// `maps` maps of `cells` values in the form's values: floats widened, or dot / d.
Maps random_maps(Form form, Tail tail, std::size_t maps, std::size_t cells, std::mt19937_64& rng) {
  Maps out;
  std::uniform_real_distribution<double> unit(-1.0, 1.0);
  std::uniform_int_distribution<std::int32_t> dot(-20000000, 20000000);
  const auto d = denominators(cells, rng);
  out.s.resize(maps * cells);
  for (std::size_t i = 0; i < out.s.size(); ++i) {
    switch (form) {
      case Form::doubles:
        out.s[i] = unit(rng);
        break;
      case Form::floats:
        out.s[i] = static_cast<double>(static_cast<float>(unit(rng)));
        break;
      case Form::quotients:
        out.s[i] = static_cast<double>(dot(rng)) / d[i % cells];
        break;
    }
  }
  out.e.resize(out.s.size());
  for (std::size_t i = 0; i < out.s.size(); ++i) out.e[i] = null_oriented(out.s[i], tail);
  if (form == Form::floats) out.codec = make_float_codec(cells);
  if (form == Form::quotients) out.codec = make_quotient_codec(d);
  return out;
}

// Floors at or above `below`, raised by up to `rise`, one cell left at -inf.
std::vector<double> raised(const std::vector<double>& below, double rise, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> up(0.0, rise);
  std::vector<double> out(below);
  for (double& f : out) f = std::max(f, -0.3) + up(rng);
  out[7] = below[7];  // -inf throughout: an untrimmed cell keeps everything
  return out;
}

// The first `maps` maps of m read back from the cache: s where e is above `floor` (the highest
// floor each cell went through), the stand-in elsewhere; and kept_values() their count.
void expect_reads(const MapCache& cache, const Maps& m, std::size_t maps,
                  const std::vector<double>& floor, double stand_in, const char* when) {
  const std::size_t cells = floor.size();
  std::vector<double> back;
  const auto got = cache.read(0, maps, back);
  std::size_t kept = 0;
  for (std::size_t i = 0; i < maps * cells; ++i) {
    const bool keep = m.e[i] > floor[i % cells];
    kept += keep;
    const double want = keep ? m.s[i] : stand_in;
    ASSERT_EQ(std::bit_cast<std::uint64_t>(got[i]), std::bit_cast<std::uint64_t>(want))
        << when << ", value " << i;
  }
  EXPECT_EQ(cache.kept_values(), kept) << when;
  EXPECT_GT(kept, 0U) << when;
  EXPECT_LT(kept, maps * cells) << when;
}

// Some cells' floors set to a value of theirs (the median of those above the floor), so that a
// value equal to its floor must go.
void on_values(std::vector<double>& floor, const Maps& m, std::size_t maps) {
  const std::size_t cells = floor.size();
  for (std::size_t c = 1; c < cells; c += 5) {
    std::vector<double> above;
    for (std::size_t k = 0; k < maps; ++k)
      if (m.e[k * cells + c] > floor[c]) above.push_back(m.e[k * cells + c]);
    if (above.empty()) continue;
    std::nth_element(above.begin(), above.begin() + above.size() / 2, above.end());
    floor[c] = above[above.size() / 2];
  }
}

TEST(MapCacheRefilter, MapsReadBackAsEveryFloorTheyWentThroughLetsThrough) {
  std::mt19937_64 rng(7);
  const std::size_t cells = 150;
  for (const Form form : {Form::doubles, Form::floats, Form::quotients})
    for (const Tail tail : kTails)
      for (const std::size_t first_maps : {std::size_t{1}, std::size_t{2}, std::size_t{37}}) {
        SCOPED_TRACE(testing::Message()
                     << "form " << static_cast<int>(form) << ", tail " << static_cast<int>(tail)
                     << ", " << first_maps << " first maps");
        const std::size_t later_maps = 11, maps = first_maps + later_maps;
        Maps m = random_maps(form, tail, maps, cells, rng);
        const double stand_in = least_extreme(tail);
        MapCache cache(maps, cells, std::move(m.codec), stand_in);
        std::vector<double> f1(cells, -kInf);
        for (std::size_t c = 0; c < cells; ++c)
          if (c != 7) f1[c] = c % 3 == 0 ? -kInf : 0.1;
        auto f2 = raised(f1, 0.5, rng);
        on_values(f2, m, first_maps);
        auto f3 = raised(f2, 0.2, rng), f4 = raised(f3, 0.3, rng);
        on_values(f4, m, maps);
        const std::span<const double> s(m.s), e(m.e);
        cache.append(s.first(first_maps * cells), e.first(first_maps * cells), f1);
        cache.refilter(f2, tail);
        expect_reads(cache, m, first_maps, f2, stand_in, "after the first refilter");
        cache.append(s.subspan(first_maps * cells), e.subspan(first_maps * cells), f3);
        cache.refilter(f4, tail);
        // Floors only rise: f4 is at or above every earlier floor of every map.
        expect_reads(cache, m, maps, f4, stand_in, "after the second");
      }
}

// append_masked: maps appended with the masks of e > floor (and garbage in the bits past the last
// cell) read back, bit for bit, as the same maps appended with the floors; the codecs' encode_kept
// gives the codes encode() gives, cell for cell. Expected values: append(), encode(), and
// expect_reads' rule by hand.
TEST(MapCacheMasks, AppendMaskedStoresWhatAppendStoresWithTheSameFloors) {
  std::mt19937_64 rng(11);
  const std::size_t cells = 150, maps = 9, words = 3, first = 4;
  for (const Form form : {Form::doubles, Form::floats, Form::quotients})
    for (const Tail tail : kTails) {
      SCOPED_TRACE(testing::Message()
                   << "form " << static_cast<int>(form) << ", tail " << static_cast<int>(tail));
      const std::uint64_t seed = rng();
      std::mt19937_64 r1(seed), r2(seed);  // twin maps, each with its own codec
      Maps m = random_maps(form, tail, maps, cells, r1);
      Maps twin = random_maps(form, tail, maps, cells, r2);
      const auto floor = raised(std::vector<double>(cells, -kInf), 0.6, rng);
      std::vector<std::uint64_t> masks(maps * words, 0);
      for (std::size_t i = 0; i < maps * cells; ++i)
        if (m.e[i] > floor[i % cells])
          masks[(i / cells) * words + (i % cells) / 64] |= std::uint64_t{1} << (i % cells % 64);
      const auto masks_clean = masks;
      for (std::size_t k = 0; k < maps; ++k) masks[k * words + 2] |= ~std::uint64_t{0} << 22;
      if (m.codec) {
        std::vector<std::uint32_t> all(maps * cells);
        m.codec->encode(m.s, all);
        for (std::size_t k = 0; k < maps; ++k) {
          std::vector<std::uint32_t> kept(cells, 0), want;
          m.codec->encode_kept(std::span<const double>(m.s).subspan(k * cells, cells),
                               masks_clean.data() + k * words, kept.data());
          for (std::size_t c = 0; c < cells; ++c)
            if ((masks_clean[k * words + c / 64] >> (c % 64)) & 1U)
              want.push_back(all[k * cells + c]);
          kept.resize(want.size());
          ASSERT_EQ(kept, want) << "map " << k;
        }
      }
      const double stand_in = least_extreme(tail);
      MapCache by_floor(maps, cells, std::move(m.codec), stand_in);
      MapCache by_mask(maps, cells, std::move(twin.codec), stand_in);
      const std::span<const double> s(m.s), e(m.e);
      const std::span<const std::uint64_t> w(masks);
      by_floor.append(s.first(first * cells), e.first(first * cells), floor);
      by_floor.append(s.subspan(first * cells), e.subspan(first * cells), floor);
      by_mask.append_masked(s.first(first * cells), w.first(first * words));
      by_mask.append_masked(s.subspan(first * cells), w.subspan(first * words));
      expect_reads(by_mask, m, maps, floor, stand_in, "appended with masks");
      std::vector<double> a, b;
      const auto got = by_mask.read(0, maps, a), want = by_floor.read(0, maps, b);
      ASSERT_EQ(got.size(), want.size());
      for (std::size_t i = 0; i < got.size(); ++i)
        ASSERT_EQ(std::bit_cast<std::uint64_t>(got[i]), std::bit_cast<std::uint64_t>(want[i]))
            << "value " << i;
      EXPECT_EQ(by_mask.kept_values(), by_floor.kept_values());
    }
}

// passing(): the cells of a cached map that pass thresholds at or above the floors it was kept
// under, read off the kept values (as codes for the quotient codec, decoded for the others), must
// be those whose null orientation is above the threshold, with those values and their signs.
// Expected values: the maps' own e and s, compared by hand. Thresholds include values of the maps
// (equal does not pass), +inf (none passes) and -inf on a cell kept whole.
TEST(MapCachePassing, PassingCellsAreThoseAboveTheThresholds) {
  std::mt19937_64 rng(13);
  const std::size_t cells = 150, maps = 23, words = 3;
  for (const Form form : {Form::doubles, Form::floats, Form::quotients})
    for (const Tail tail : kTails) {
      SCOPED_TRACE(testing::Message()
                   << "form " << static_cast<int>(form) << ", tail " << static_cast<int>(tail));
      Maps m = random_maps(form, tail, maps, cells, rng);
      const auto floor = raised(std::vector<double>(cells, -kInf), 0.4, rng);
      auto threshold = raised(floor, 0.5, rng);
      on_values(threshold, m, maps);
      threshold[3] = kInf;
      threshold[7] = -kInf;  // floor[7] is -inf: every value of cell 7 is kept
      MapCache cache(maps, cells, std::move(m.codec), least_extreme(tail));
      cache.append(m.s, m.e, floor);
      const auto test = cache.pass_test(threshold, tail);
      EXPECT_EQ(test.above.empty(), form != Form::quotients);
      std::vector<std::uint64_t> pass(words), negative(words);
      std::vector<double> e(cells, 0.0), scratch(cells);
      std::size_t passed = 0;
      for (std::size_t k = 0; k < maps; ++k) {
        cache.passing(k, test, pass, negative, e, scratch);
        for (std::size_t c = 0; c < cells; ++c) {
          const std::size_t i = k * cells + c;
          const bool want = m.e[i] > floor[c] && m.e[i] > threshold[c];
          const bool got = (pass[c / 64] >> (c % 64)) & 1U;
          ASSERT_EQ(got, want) << "map " << k << " cell " << c;
          if (!want) continue;
          ++passed;
          ASSERT_EQ(std::bit_cast<std::uint64_t>(e[c]), std::bit_cast<std::uint64_t>(m.e[i]))
              << "map " << k << " cell " << c;
          ASSERT_EQ(((negative[c / 64] >> (c % 64)) & 1U) != 0, m.s[i] < 0)
              << "map " << k << " cell " << c;
        }
        for (std::size_t w = 0; w < words; ++w) ASSERT_EQ(negative[w] & ~pass[w], 0U);
      }
      EXPECT_GT(passed, 0U);
      EXPECT_LT(passed, maps * cells);
    }
}

// stale(): nothing to refilter while every value is kept; stale once the maps hold more than
// 1.5 times what the last append's share would keep, not again until they grow by half (counts
// worked by hand: 4 maps of 64 cells, all kept, then 1 map with 16 kept: 272 > 1.5 * 16/64 * 5
// * 64 = 120).
TEST(MapCacheRefilter, StaleWhenTheLastAppendKeepsFarFewer) {
  const std::size_t cells = 64;
  std::vector<double> s(6 * cells), floor_all(cells, -kInf), floor_some(cells, -kInf);
  for (std::size_t i = 0; i < s.size(); ++i) s[i] = static_cast<double>(i % cells);
  for (std::size_t c = 0; c < cells; ++c) floor_some[c] = c < 16 ? -kInf : 100.0;
  MapCache cache(6, cells, nullptr, -kInf);
  const std::span<const double> all(s);
  cache.append(all.first(4 * cells), all.first(4 * cells), floor_all);
  EXPECT_FALSE(cache.stale());
  cache.append(all.subspan(4 * cells, cells), all.subspan(4 * cells, cells), floor_some);
  EXPECT_EQ(cache.kept_values(), 4 * cells + 16);
  EXPECT_TRUE(cache.stale());
  cache.refilter(floor_some, Tail::greater);
  EXPECT_EQ(cache.kept_values(), 5 * 16U);
  cache.append(all.subspan(5 * cells, cells), all.subspan(5 * cells, cells), floor_some);
  EXPECT_FALSE(cache.stale());  // 96 kept: 1.5 * 16 / 64 * 6 * 64 = 144 is more
}

// The bound itself, by hand: 2 maps of 64 cells all kept, then 1 map with 32 kept: 160 values
// against 1.5 * 32/64 * 3 * 64 = 144 is stale (1.67 times); with 40 kept, 168 against 180 is not.
TEST(MapCacheRefilter, StaleFromOneAndAHalfTimesWhatTheFloorsKeep) {
  const std::size_t cells = 64;
  std::vector<double> s(3 * cells), floor_all(cells, -kInf);
  for (std::size_t i = 0; i < s.size(); ++i) s[i] = static_cast<double>(i % cells);
  const std::span<const double> all(s);
  for (const std::size_t kept_last : {std::size_t{32}, std::size_t{40}}) {
    std::vector<double> floor_some(cells, -kInf);
    for (std::size_t c = kept_last; c < cells; ++c) floor_some[c] = 100.0;
    MapCache cache(3, cells, nullptr, -kInf);
    cache.append(all.first(2 * cells), all.first(2 * cells), floor_all);
    cache.append(all.subspan(2 * cells, cells), all.subspan(2 * cells, cells), floor_some);
    EXPECT_EQ(cache.kept_values(), 2 * cells + kept_last);
    EXPECT_EQ(cache.stale(), kept_last == 32) << kept_last << " kept of the last map";
  }
}

}  // namespace
}  // namespace permrsa
