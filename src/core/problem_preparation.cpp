#include "core/problem_preparation.hpp"

#include "numeric/ranks.hpp"

namespace permrsa {

void rank_subjects_for_spearman(RsaProblem& problem, Metric metric) {
  if (metric != Metric::spearman) return;
  // The residual method regresses the values themselves: their ranks would change its residuals.
  if (problem.covariates.any() && problem.covariates.method == CovariateMethod::residual) return;
  if (auto* subjects = std::get_if<SubjectRdms>(&problem.brain))
    for (auto& subject : subjects->rdms) rank_columns(subject);
}

}  // namespace permrsa
