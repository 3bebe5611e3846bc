// The typed form of a run's TOML config. Every key of the config maps to one field here;
// src/io/config_reader.cpp owns the key names, defaults and validation.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "permrsa/statistics.hpp"

namespace permrsa {

// two_group: per-subject maps of two groups compared across subjects, the group labels
// permuted (issue 19).
enum class Scheme { stimulus, sign_flip, two_group };
// sign-flip: t (one-sample t), mean. two-group: welch_t (Welch's t of group a - group b),
// mean_difference (mean a - mean b), f (the one-way F of MNE's permutation_cluster_test, i.e. the
// squared pooled-variance t).
enum class GroupStatistic { t, mean, welch_t, mean_difference, f };
enum class ClusterThreshold { permutation_p, statistic, t_default };
enum class ClusterStatistic { mass, size };
enum class Connectivity { time, layer_time };
// subjects_layers_time: the file holds per-subject model-brain maps (N x L x T) computed
// elsewhere, for the sign-flip test alone (as MNE's permutation_cluster_1samp_test takes them).
enum class BrainLayout { pairs_time, time_pairs, subjects_pairs_time, subjects_layers_time };
enum class ModelKind { dissimilarity, similarity };
// Partial correlations (issue 17). formula: from the metric's correlations between model x,
// brain y and covariates z (R vegan's mantel.partial); residual: the metric between the
// residuals of x and y after least squares on the standardised covariates (pingouin 0.3).
enum class CovariateMethod { formula, residual };
// model: the model's stimulus labels are permuted; brain and covariates stay fixed (vegan).
// freedman_lane: the brain's residuals after regression on the covariates are permuted
// (pearson and spearman, formula method).
enum class CovariatePermute { model, freedman_lane };

struct BrainSpec {
  std::string file;                // array source: P x T (or T x P, N x P x T, N x L x T)
  std::vector<std::string> files;  // per-subject P x T (or T x P) sources, in order
  BrainLayout layout = BrainLayout::pairs_time;
  std::string times;                 // array source of T seconds, or empty
  std::optional<double> time_start;  // used when `times` is empty
  std::optional<double> time_step;
  std::optional<std::pair<double, double>> baseline;  // [start, end) in seconds
  // The stimulus names of the RDM rows (text file, one per line, or an HDF5 string dataset);
  // empty: the brain file's own /stimuli when it is a permrsa HDF5 file, else none.
  std::string stimuli;
  // analysis.scheme = "two-group": each subject's group, 0 (a) or 1 (b), in subject order
  // (brain.groups, or brain.files_a / brain.files_b, which fill brain.files and this).
  std::vector<std::int64_t> groups;
};

struct ModelSpec {
  std::string file;  // L x P condensed or L x S x S square
  ModelKind kind = ModelKind::dissimilarity;
  std::string names;    // text file or HDF5 string dataset; empty = layer_0..layer_{L-1}
  std::string stimuli;  // as BrainSpec::stimuli, for the models file
};

// [covariates]: RDMs partialled out of every model-brain correlation. Present (enabled) when the
// config has the section; then `file` and/or `layers` name at least one covariate.
struct CovariateSpec {
  bool enabled = false;
  std::string file;  // q x P condensed or q x S x S square, read as models.file
  ModelKind kind = ModelKind::dissimilarity;
  std::string names;    // as models.names; empty = covariate_0..covariate_{q-1}
  std::string stimuli;  // as BrainSpec::stimuli, for covariates.file (its stimulus order)
  std::vector<std::string> layers;  // rows of models.file (left out of the maps)
  CovariateMethod method = CovariateMethod::formula;
  CovariatePermute permute = CovariatePermute::model;
};

struct AnalysisSettings {
  Scheme scheme = Scheme::stimulus;
  Metric metric = Metric::spearman;
  std::int64_t permutations = 10000;  // K: null permutations besides the identity
  std::uint64_t seed = 1;
  Tail tail = Tail::greater;
  Precision precision = Precision::float32;
  std::string permutation_file;  // optional K x S array; row k-1 is permutation k
  GroupStatistic group_statistic = GroupStatistic::t;  // sign-flip: one-sample t or mean
  bool fisher_z = false;  // per-subject correlations through atanh before the group statistic
  // Time x time generalisation (issue 19): the maps are brain RDM at t1 (rows, the "layers")
  // against brain RDM at t2; no models (core/generalisation.hpp).
  bool generalise = false;
};

struct CorrectionSettings {
  ClusterThreshold cluster_threshold = ClusterThreshold::permutation_p;
  double cluster_alpha = 0.05;
  double cluster_value = 0.1;
  ClusterStatistic cluster_statistic = ClusterStatistic::mass;
  Connectivity connectivity = Connectivity::time;
  // The family-wise level at which a cluster is significant for the onsets (/onset/cluster_time
  // and the bootstrap's cluster onsets).
  double alpha = 0.05;
  bool tfce = false;  // also threshold-free cluster enhancement (/tfce, /p_tfce)
  // dh, in units of the statistic; none ("auto", the default): the largest |statistic| of the
  // observed map / 100, FSL's 100 height steps, so that t maps and correlations get the same
  // resolution. The step used is stored in the results (attribute tfce_step).
  std::optional<double> tfce_step;
};

// Bootstrap over subjects ([bootstrap] present in the config): peak and onset latency CIs.
struct BootstrapSpec {
  bool enabled = false;
  std::int64_t samples = 1000;              // B
  std::vector<std::string> compare_layers;  // two layer names: CI and p of their peak difference
};

// [contrasts]: paired sign-flip tests of r_A - r_B across subjects (issue 19).
struct ContrastSpec {
  std::vector<std::pair<std::string, std::string>> pairs;  // (A, B) layer names
};

struct OutputSpec {
  std::string file = "results.h5";
};

struct RunSpec {
  BrainSpec brain;
  ModelSpec models;
  CovariateSpec covariates;
  AnalysisSettings analysis;
  CorrectionSettings correction;
  BootstrapSpec bootstrap;
  ContrastSpec contrasts;
  OutputSpec output;
  std::string resolved_toml;  // the full config with defaults filled in (stored in the output)
  std::string source;         // config file path, or "<embedded demo>"

  // Per-subject brain data: one file per subject, an N x P x T stack, or N x L x T maps.
  bool per_subject() const {
    return !brain.files.empty() || brain.layout == BrainLayout::subjects_pairs_time ||
           brain.layout == BrainLayout::subjects_layers_time;
  }
};

// Names as written in configs and output attributes.
const char* to_string(Metric m);
const char* to_string(Tail t);
const char* to_string(Scheme s);
const char* to_string(GroupStatistic g);
const char* to_string(Precision p);
const char* to_string(ClusterThreshold c);
const char* to_string(ClusterStatistic c);
const char* to_string(Connectivity c);
const char* to_string(BrainLayout l);
const char* to_string(ModelKind k);
const char* to_string(CovariateMethod m);
const char* to_string(CovariatePermute p);

}  // namespace permrsa
