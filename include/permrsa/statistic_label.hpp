// What a results file's maps hold, in words, for `permrsa info`, the figures and the report:
//   "Spearman rho"                            stimulus scheme, one group brain RDM per time;
//   "mean Spearman rho (N = 20)"              stimulus scheme on per-subject data, or sign-flip
//                                             with group_statistic = "mean";
//   "one-sample t of Spearman rho (N = 20)"   sign-flip with group_statistic = "t";
// with "Fisher z of" before the metric under fisher_z, and " between brain RDMs at t1 and t2"
// after it for the time x time generalisation ("Spearman rho between brain RDMs at t1 and t2").
// Stored as the root attribute statistic_label, so that every reader says the same.
#pragma once

#include <cstddef>
#include <string>

#include "permrsa/analysis_spec.hpp"

namespace permrsa {

// The metric's name as written in papers: "Pearson r", "Spearman rho", "Kendall tau-b", ...
std::string metric_name(Metric metric);

// `subjects` is N of per-subject data, 0 for one group brain RDM per time point; `partial`:
// covariates were partialled out ("partial Spearman rho").
std::string statistic_label(const AnalysisSettings& analysis, std::size_t subjects,
                            bool partial = false);

}  // namespace permrsa
