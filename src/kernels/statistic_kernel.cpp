#include "kernels/statistic_kernel.hpp"

namespace permrsa {

std::unique_ptr<StatisticKernel> make_statistic_kernel(Metric metric, Precision precision,
                                                       const Matrix<double>& models,
                                                       const Matrix<double>& brain) {
  switch (metric) {
    case Metric::pearson: return make_correlation_kernel(false, precision, models, brain);
    case Metric::spearman: return make_correlation_kernel(true, precision, models, brain);
    case Metric::kendall_b:
    case Metric::kendall_a: return make_kendall_kernel(metric, models, brain);
  }
  return nullptr;
}

}  // namespace permrsa
