// Deterministic synthetic data with planted effects: the embedded default of `permrsa run`
// and the output of `permrsa simulate`.
//
// S stimuli in 4 categories. Layer l's features mix low-level random features (weight 1 - w)
// and category prototypes (weight w = l / (L-1)), plus private noise; its RDM is 1 - Pearson
// between the stimuli's feature vectors. The brain RDM at time t is temporally smooth AR(1)
// noise plus two planted effects: the first layer's RDM in an early window (a Gaussian bump at
// `early_peak` s) and the last layer's RDM in a late window (at `late_peak` s).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "permrsa/matrix.hpp"

namespace permrsa {

struct SyntheticSpec {
  std::size_t stimuli = 24;
  std::size_t layers = 6;
  std::size_t times = 120;
  double time_start = -0.1;
  double time_step = 0.005;
  double early_peak = 0.10, early_width = 0.025, early_amplitude = 0.6;
  double late_peak = 0.30, late_width = 0.04, late_amplitude = 0.6;
  double noise_autocorrelation = 0.8;  // AR(1) coefficient of the noise between time points
  std::uint64_t seed = 7;
};

struct SyntheticData {
  Matrix<double> brain;   // P x T
  Matrix<double> models;  // L x P
  std::vector<double> times;
  std::vector<std::string> layers;
  std::string description;  // what was planted where, for README/--help
};

SyntheticData make_synthetic(const SyntheticSpec& spec);

}  // namespace permrsa
