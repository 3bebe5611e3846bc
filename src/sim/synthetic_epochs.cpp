#include "sim/synthetic_epochs.hpp"

#include <cmath>
#include <numbers>
#include <numeric>

#include "permrsa/condensed.hpp"
#include "permrsa/permutations.hpp"
#include "sim/philox_normals.hpp"

namespace permrsa {
namespace {

constexpr std::uint32_t kEpochsStream = 0x45504f43u;  // "EPOC"

// Standard normals and raw words of one Philox stream.
class Normals : public PhiloxNormals {
 public:
  Normals(std::uint64_t seed, std::uint64_t stream) : PhiloxNormals(seed, stream, kEpochsStream) {}
};

std::size_t category_of(std::size_t stimulus, std::size_t stimuli) {
  return stimulus * kSyntheticCategories / stimuli;
}

}  // namespace

std::vector<double> synthetic_category_rdm(std::size_t stimuli) {
  std::vector<double> rdm(pair_count(stimuli));
  for (std::size_t i = 0; i < stimuli; ++i)
    for (std::size_t j = i + 1; j < stimuli; ++j)
      rdm[pair_index(i, j, stimuli)] =
          category_of(i, stimuli) == category_of(j, stimuli) ? 0.0 : 1.0;
  return rdm;
}

SyntheticEpochs make_synthetic_epochs(const SyntheticEpochsSpec& spec, std::size_t subject) {
  const std::size_t S = spec.stimuli, C = spec.channels, T = spec.times;
  const std::size_t trials = S * spec.trials_per_stimulus;
  const std::uint64_t base = 1000 * (static_cast<std::uint64_t>(subject) + 1);
  SyntheticEpochs out;
  out.times.resize(T);
  std::vector<double> envelope(T);
  for (std::size_t t = 0; t < T; ++t) {
    out.times[t] = spec.time_start + static_cast<double>(t) * spec.time_step;
    envelope[t] =
        out.times[t] < spec.onset ? 0.0 : 1.0 - std::exp(-(out.times[t] - spec.onset) / spec.rise);
  }
  // Each stimulus's pattern over channels.
  Normals proto_draw(spec.seed, base + 1), item_draw(spec.seed, base + 2);
  std::vector<double> prototypes(kSyntheticCategories * C), pattern(S * C);
  for (auto& v : prototypes) v = proto_draw();
  for (std::size_t i = 0; i < S; ++i)
    for (std::size_t c = 0; c < C; ++c)
      pattern[i * C + c] = spec.category_amplitude * prototypes[category_of(i, S) * C + c] +
                           spec.item_amplitude * item_draw();
  // Trial order: repetitions of a Fisher-Yates shuffle of the stimuli.
  Normals order_draw(spec.seed, base + 3);
  out.labels.resize(trials);
  std::vector<std::size_t> order(S);
  for (std::size_t r = 0; r < spec.trials_per_stimulus; ++r) {
    std::iota(order.begin(), order.end(), std::size_t{0});
    for (std::size_t i = S - 1; i > 0; --i)
      std::swap(order[i], order[bounded_draw(static_cast<std::uint32_t>(i + 1),
                                             [&] { return order_draw.word(); })]);
    for (std::size_t i = 0; i < S; ++i)
      out.labels[r * S + i] = 101 + static_cast<std::int64_t>(order[i]);
  }
  Normals noise(spec.seed, base + 4);
  out.data.resize(trials * C * T);
  for (std::size_t k = 0; k < trials; ++k) {
    const auto stimulus = static_cast<std::size_t>(out.labels[k] - 101);
    for (std::size_t c = 0; c < C; ++c)
      for (std::size_t t = 0; t < T; ++t)
        out.data[(k * C + c) * T + t] = envelope[t] * pattern[stimulus * C + c] + noise();
  }
  return out;
}

}  // namespace permrsa
