#include "permrsa/analysis_spec.hpp"

namespace permrsa {

const char* to_string(Metric m) {
  switch (m) {
    case Metric::pearson:
      return "pearson";
    case Metric::spearman:
      return "spearman";
    case Metric::kendall_b:
      return "kendall-b";
    case Metric::kendall_a:
      return "kendall-a";
  }
  return "?";
}
const char* to_string(Tail t) {
  switch (t) {
    case Tail::greater:
      return "greater";
    case Tail::less:
      return "less";
    case Tail::two_sided:
      return "two-sided";
  }
  return "?";
}
const char* to_string(Scheme s) {
  switch (s) {
    case Scheme::stimulus:
      return "stimulus";
    case Scheme::sign_flip:
      return "sign-flip";
    case Scheme::two_group:
      return "two-group";
  }
  return "?";
}
const char* to_string(GroupStatistic g) {
  switch (g) {
    case GroupStatistic::t:
      return "t";
    case GroupStatistic::mean:
      return "mean";
    case GroupStatistic::welch_t:
      return "welch-t";
    case GroupStatistic::mean_difference:
      return "mean-difference";
    case GroupStatistic::f:
      return "f";
  }
  return "?";
}
const char* to_string(Precision p) {
  return p == Precision::float32 ? "float32" : "float64";
}
const char* to_string(ClusterThreshold c) {
  switch (c) {
    case ClusterThreshold::permutation_p:
      return "permutation-p";
    case ClusterThreshold::statistic:
      return "statistic";
    case ClusterThreshold::t_default:
      return "t-default";
  }
  return "?";
}
const char* to_string(ClusterStatistic c) {
  return c == ClusterStatistic::mass ? "mass" : "size";
}
const char* to_string(Connectivity c) {
  return c == Connectivity::time ? "time" : "layer-time";
}
const char* to_string(BrainLayout l) {
  switch (l) {
    case BrainLayout::pairs_time:
      return "pairs-time";
    case BrainLayout::time_pairs:
      return "time-pairs";
    case BrainLayout::subjects_pairs_time:
      return "subjects-pairs-time";
    case BrainLayout::subjects_layers_time:
      return "subjects-layers-time";
  }
  return "?";
}
const char* to_string(ModelKind k) {
  return k == ModelKind::dissimilarity ? "dissimilarity" : "similarity";
}
const char* to_string(CovariateMethod m) {
  return m == CovariateMethod::formula ? "formula" : "residual";
}
const char* to_string(CovariatePermute p) {
  return p == CovariatePermute::model ? "model" : "freedman-lane";
}

}  // namespace permrsa
