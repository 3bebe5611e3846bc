#include "permrsa/statistic_label.hpp"

namespace permrsa {

std::string metric_name(Metric metric) {
  switch (metric) {
    case Metric::pearson:
      return "Pearson r";
    case Metric::spearman:
      return "Spearman rho";
    case Metric::kendall_b:
      return "Kendall tau-b";
    case Metric::kendall_a:
      return "Kendall tau-a";
  }
  return "similarity";
}

std::string statistic_label(const AnalysisSettings& analysis, std::size_t subjects, bool partial) {
  std::string name = (partial ? "partial " : "") + metric_name(analysis.metric);
  if (analysis.generalise) name += " between brain RDMs at t1 and t2";
  if (subjects == 0) return name;
  if (analysis.fisher_z) name = "Fisher z of " + name;
  if (analysis.scheme == Scheme::two_group) {
    const char* what = analysis.group_statistic == GroupStatistic::f ? "F (two groups) of "
                       : analysis.group_statistic == GroupStatistic::mean_difference
                           ? "mean difference (a - b) of "
                           : "Welch t (a - b) of ";
    return what + name + " (N = " + std::to_string(subjects) + ")";
  }
  const bool t =
      analysis.scheme == Scheme::sign_flip && analysis.group_statistic == GroupStatistic::t;
  return (t ? "one-sample t of " : "mean ") + name + " (N = " + std::to_string(subjects) + ")";
}

}  // namespace permrsa
