#include "permrsa/analysis_spec.hpp"

namespace permrsa {

const char* to_string(Metric m) {
  switch (m) {
    case Metric::pearson: return "pearson";
    case Metric::spearman: return "spearman";
    case Metric::kendall_b: return "kendall-b";
    case Metric::kendall_a: return "kendall-a";
  }
  return "?";
}
const char* to_string(Tail t) {
  switch (t) {
    case Tail::greater: return "greater";
    case Tail::less: return "less";
    case Tail::two_sided: return "two-sided";
  }
  return "?";
}
const char* to_string(Scheme) { return "stimulus"; }
const char* to_string(Precision p) { return p == Precision::float32 ? "float32" : "float64"; }
const char* to_string(ClusterThreshold c) {
  return c == ClusterThreshold::permutation_p ? "permutation-p" : "statistic";
}
const char* to_string(ClusterStatistic c) { return c == ClusterStatistic::mass ? "mass" : "size"; }
const char* to_string(Connectivity c) { return c == Connectivity::time ? "time" : "layer-time"; }
const char* to_string(BrainLayout l) {
  return l == BrainLayout::pairs_time ? "pairs-time" : "time-pairs";
}
const char* to_string(ModelKind k) {
  return k == ModelKind::dissimilarity ? "dissimilarity" : "similarity";
}

}  // namespace permrsa
