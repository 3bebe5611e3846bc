// What `permrsa info` shows of a results file, read and checked.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace permrsa {

struct ResultsSummary {
  std::string version, scheme, metric, tail;
  std::int64_t permutations = 0;
  std::uint64_t seed = 0;
  // Partialled-out covariates (comma-separated names) and the method; empty without them.
  std::string covariates, covariate_method, covariate_permute;
  std::size_t layers = 0, times = 0;  // L, T
  std::vector<std::string> layer_names;
  std::vector<double> time_axis;
  std::vector<double> observed, p_uncorrected, p_maxstat;  // L x T, C order
  struct Clusters {
    std::vector<double> p, statistic;
    std::vector<std::int64_t> size, layer_first, layer_last, time_first, time_last;
  } clusters;
  // What the maps hold ("one-sample t of Spearman rho (N = 20)"); files before the attribute
  // existed: the metric. alpha: correction.alpha (0.05 before it existed).
  std::string statistic_label;
  double alpha = 0.05;
  std::vector<std::string> settings;  // "key = value" lines of the resolved config

  struct Tfce {
    std::vector<double> tfce, p;  // L x T
    double step = 0;              // 0: not stored (files before tfce_step = "auto")
  };
  std::optional<Tfce> tfce;
  struct NoiseCeiling {
    std::vector<double> lower, upper;  // T
  };
  std::optional<NoiseCeiling> noise_ceiling;
  std::vector<double> cluster_onset;  // L seconds (NaN: none); empty in older files
  struct Interval {
    double estimate, low, high;
    std::int64_t missing;
  };
  struct Bootstrap {
    std::int64_t samples = 0;
    std::vector<Interval> peak, onset, threshold_onset;  // per layer (onset: the cluster onset)
    std::vector<std::string> difference_layers;          // empty, or the two layers compared
    Interval difference{};
    double difference_p = 0;
  };
  std::optional<Bootstrap> bootstrap;
  // [contrasts]: per pair, its name and its clusters (T-long tests of their own).
  struct Contrast {
    std::string name;
    std::vector<double> p, statistic;
    std::vector<std::int64_t> time_first, time_last;
  };
  std::vector<Contrast> contrasts;
  std::vector<std::int64_t> groups;  // two-group scheme: each subject's group
  bool generalise = false;           // a time x time map: the layers are times t1
};

// Reads `path` and checks it as a results file of this permrsa: the root attributes info
// prints (present, of the right type, a version not newer than this build), every (L, T) map
// shaped by /axes/layer and /axes/time, p-values in [0, 1], and the cluster table's columns of
// one length with layer and time indices inside the maps. InputError naming the file and the
// dataset or attribute at fault, and what was expected vs found.
ResultsSummary read_results_summary(const std::string& path);

}  // namespace permrsa
