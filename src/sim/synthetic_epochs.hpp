// Deterministic synthetic EEG epochs with a planted six-category structure (as the original
// study's stimuli: fearful, happy and neutral faces, animals, scenes, objects), for
// `permrsa simulate --epochs` and the tests.
//
// Stimulus i (0-based; label 101 + i) is in category floor(6 i / S). Subject n's trial of
// stimulus i at time t, channel c is
//   a(t) * (category_amplitude * prototype[n][cat(i)][c] + item_amplitude * item[n][i][c])
//   + noise[n][trial][c][t]
// with all patterns and the noise independent standard normals drawn from Philox4x32-10 keyed by
// the seed (stream per subject and role), and the envelope a(t) = 0 before `onset` and
// 1 - exp(-(t - onset) / rise) from it. Before the onset the data are pure noise, so decoding is
// at chance; after it, stimuli of different categories are far apart and stimuli of the same
// category close. Trials come in repetitions: each repetition shows every stimulus once, in a
// Fisher-Yates order drawn from the same generator.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace permrsa {

struct SyntheticEpochsSpec {
  std::size_t subjects = 3;
  std::size_t stimuli = 24;
  std::size_t channels = 32;
  std::size_t times = 120;
  std::size_t trials_per_stimulus = 20;
  double time_start = -0.1, time_step = 0.005;
  double onset = 0.1, rise = 0.02;
  double category_amplitude = 0.4, item_amplitude = 0.1;
  std::uint64_t seed = 7;
};

inline constexpr std::size_t kSyntheticCategories = 6;

struct SyntheticEpochs {
  std::vector<double> data;          // trials x channels x times, C order
  std::vector<std::int64_t> labels;  // one per trial
  std::vector<double> times;
};

// One subject's epochs (subject = 0, 1, ...): a pure function of (spec, subject).
SyntheticEpochs make_synthetic_epochs(const SyntheticEpochsSpec& spec, std::size_t subject);

// The planted model RDM, condensed: 1 between categories, 0 within.
std::vector<double> synthetic_category_rdm(std::size_t stimuli);

}  // namespace permrsa
