// GramAccumulator: layer RDMs from Gram matrices. Expected values come from the textbook
// two-pass definitions computed here pair by pair (centre, then sum products: Pearson; the
// plain sum of squared differences: euclidean; dot / norms: cosine), in long double, which is
// also what scipy.spatial.distance.pdist computes. Bit-identity across panel widths is the
// invariant the memory budget and MPI rely on (src/features/gram_rdm.hpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "features/gram_rdm.hpp"
#include "permrsa/error.hpp"

namespace permrsa::features {
namespace {

constexpr std::size_t kS = 7;
constexpr std::size_t kD = 1300;  // two full 512-chunks and a partial one

std::vector<double> random_activations(unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.3, 1.0);
  std::vector<double> x(kS * kD);
  for (auto& v : x) v = std::max(0.0, normal(rng));  // ReLU-like, non-zero mean
  return x;
}

std::vector<double> rdm_in_panels(const std::vector<double>& x, std::size_t width, Distance d) {
  GramAccumulator gram(kS, kD);
  std::vector<double> panel;
  for (std::size_t begin = 0; begin < kD; begin += width) {
    const std::size_t w = std::min(width, kD - begin);
    panel.assign(kS * w, 0.0);
    for (std::size_t i = 0; i < kS; ++i)
      for (std::size_t k = 0; k < w; ++k) panel[i * w + k] = x[i * kD + begin + k];
    gram.add_panel(panel.data(), begin, w);
  }
  return gram.rdm(d);
}

long double textbook(const std::vector<double>& x, std::size_t i, std::size_t j, Distance d) {
  long double mi = 0, mj = 0, xy = 0, xx = 0, yy = 0, sq = 0;
  for (std::size_t k = 0; k < kD; ++k) mi += x[i * kD + k], mj += x[j * kD + k];
  mi /= kD;
  mj /= kD;
  const bool centre = d == Distance::correlation;
  for (std::size_t k = 0; k < kD; ++k) {
    const long double a = x[i * kD + k] - (centre ? mi : 0), b = x[j * kD + k] - (centre ? mj : 0);
    xy += a * b, xx += a * a, yy += b * b;
    const long double diff = static_cast<long double>(x[i * kD + k]) - x[j * kD + k];
    sq += diff * diff;
  }
  if (d == Distance::euclidean) return std::sqrt(sq);
  return 1.0L - xy / std::sqrt(xx * yy);
}

TEST(GramRdm, EveryDistanceMatchesTheTextbookPairwiseDefinition) {
  const auto x = random_activations(11);
  for (Distance d : {Distance::correlation, Distance::euclidean, Distance::cosine}) {
    const auto rdm = rdm_in_panels(x, GramAccumulator::kChunk, d);
    ASSERT_EQ(rdm.size(), kS * (kS - 1) / 2);
    std::size_t p = 0;
    for (std::size_t i = 0; i < kS; ++i)
      for (std::size_t j = i + 1; j < kS; ++j, ++p)
        EXPECT_NEAR(rdm[p], static_cast<double>(textbook(x, i, j, d)), 1e-12)
            << to_string(d) << " pair (" << i << "," << j << ")";
  }
}

TEST(GramRdm, PanelWidthDoesNotChangeOneBit) {
  const auto x = random_activations(12);
  const auto reference = rdm_in_panels(x, kD, Distance::correlation);
  for (std::size_t width : {std::size_t{512}, std::size_t{1024}})
    EXPECT_EQ(rdm_in_panels(x, width, Distance::correlation), reference) << "width " << width;
}

TEST(GramRdm, AConstantImageHasNoCorrelationDistance) {
  auto x = random_activations(13);
  for (std::size_t k = 0; k < kD; ++k) x[2 * kD + k] = 0.5;
  const auto rdm = rdm_in_panels(x, kD, Distance::correlation);
  EXPECT_TRUE(std::isnan(rdm[1]));   // pair (0, 2)
  EXPECT_FALSE(std::isnan(rdm[0]));  // pair (0, 1)
}

TEST(GramRdm, PanelsOffTheChunkGridAreABug) {
  GramAccumulator gram(kS, kD);
  std::vector<double> panel(kS * 100);
  EXPECT_THROW(gram.add_panel(panel.data(), 0, 100), InternalError);
}

}  // namespace
}  // namespace permrsa::features
