#include "sim/synthetic.hpp"

#include <cmath>
#include <numbers>
#include <sstream>

#include "numeric/ranks.hpp"
#include "permrsa/condensed.hpp"
#include "permrsa/permutations.hpp"
#include "sim/philox_normals.hpp"

namespace permrsa {
namespace {

constexpr std::uint32_t kSimulationStream = 0x53494d55u;  // "SIMU"

// Standard normal draws: a pure function of (seed, stream).
class Normals : public PhiloxNormals {
 public:
  Normals(std::uint64_t seed, std::uint64_t stream)
      : PhiloxNormals(seed, stream, kSimulationStream) {}
};

Matrix<double> gaussian(std::size_t rows, std::size_t cols, std::uint64_t seed,
                        std::uint64_t stream) {
  Normals draw(seed, stream);
  Matrix<double> m(rows, cols);
  for (auto& v : m.values()) v = draw();
  return m;
}

// 1 - Pearson correlation between the rows of `features`, condensed.
std::vector<double> correlation_rdm(const Matrix<double>& features) {
  const std::size_t s = features.rows(), d = features.cols();
  Matrix<double> z(s, d);
  for (std::size_t i = 0; i < s; ++i) standardize(features.row(i), z.row(i));
  std::vector<double> rdm(pair_count(s));
  for (std::size_t i = 0; i < s; ++i)
    for (std::size_t j = i + 1; j < s; ++j) {
      double r = 0;
      for (std::size_t k = 0; k < d; ++k) r += z(i, k) * z(j, k);
      rdm[pair_index(i, j, s)] = 1.0 - r;
    }
  return rdm;
}

}  // namespace

SyntheticData make_synthetic(const SyntheticSpec& spec) {
  const std::size_t S = spec.stimuli, L = spec.layers, T = spec.times, P = pair_count(S);
  constexpr std::size_t kFeatures = 40, kCategories = 4;
  SyntheticData data;

  const auto low = gaussian(S, kFeatures, spec.seed, 1);
  const auto prototypes = gaussian(kCategories, kFeatures, spec.seed, 2);
  data.models = Matrix<double>(L, P);
  for (std::size_t l = 0; l < L; ++l) {
    const double w = L > 1 ? static_cast<double>(l) / static_cast<double>(L - 1) : 0.0;
    const auto own = gaussian(S, kFeatures, spec.seed, 100 + l);
    Matrix<double> features(S, kFeatures);
    for (std::size_t i = 0; i < S; ++i)
      for (std::size_t k = 0; k < kFeatures; ++k)
        features(i, k) =
            (1 - w) * low(i, k) + w * prototypes(i * kCategories / S, k) + 0.5 * own(i, k);
    const auto rdm = correlation_rdm(features);
    std::copy(rdm.begin(), rdm.end(), data.models.row(l).begin());
    data.layers.push_back("layer" + std::to_string(l + 1));
  }

  std::vector<double> early(P), late(P);
  standardize(data.models.row(0), early);
  standardize(data.models.row(L - 1), late);
  const double scale = std::sqrt(static_cast<double>(P));  // unit variance per pair
  data.times.resize(T);
  data.brain = Matrix<double>(P, T);
  const double rho = spec.noise_autocorrelation, innovation = std::sqrt(1 - rho * rho);
  auto bump = [](double t, double peak, double width) {
    return std::exp(-0.5 * (t - peak) * (t - peak) / (width * width));
  };
  for (std::size_t p = 0; p < P; ++p) {
    Normals draw(spec.seed, 1000 + p);
    double noise = draw();
    for (std::size_t t = 0; t < T; ++t) {
      const double time = spec.time_start + spec.time_step * static_cast<double>(t);
      data.times[t] = time;
      if (t > 0) noise = rho * noise + innovation * draw();
      const double signal =
          spec.early_amplitude * bump(time, spec.early_peak, spec.early_width) * early[p] +
          spec.late_amplitude * bump(time, spec.late_peak, spec.late_width) * late[p];
      data.brain(p, t) = 0.5 + 0.05 * (scale * signal + noise);
    }
  }

  std::ostringstream d;
  d << "Synthetic data (seed " << spec.seed << "): S = " << S << " stimuli in " << kCategories
    << " categories, L = " << L << " layers (" << data.layers.front() << " low-level ... "
    << data.layers.back() << " categorical), T = " << T << " time points from " << spec.time_start
    << " s, step " << spec.time_step << " s.\nPlanted: " << data.layers.front()
    << "'s RDM around t = " << spec.early_peak << " s (sd " << spec.early_width << " s) and "
    << data.layers.back() << "'s RDM around t = " << spec.late_peak << " s (sd " << spec.late_width
    << " s); elsewhere the brain RDMs are smooth noise.\n";
  data.description = d.str();
  return data;
}

}  // namespace permrsa
