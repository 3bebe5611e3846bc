// GCC 12 reports a false -Wmaybe-uninitialized inside its own AVX-512 header
// (_mm512_reduce_add_pd, avx512fintrin.h) when Eigen's reductions are inlined with
// -march=native; the warning is about the intrinsic's internals, not this code.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "eeg/shrinkage.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace permrsa::eeg {

ShrunkClass sklearn_lw_class_covariance(const Eigen::Ref<const Eigen::MatrixXd>& x, bool dense) {
  const auto n = x.rows(), p = x.cols();
  const double nd = static_cast<double>(n), pd = static_cast<double>(p);
  ShrunkClass out;
  out.mean = x.colwise().mean().transpose();
  out.centred = x.rowwise() - out.mean.transpose();
  const Eigen::MatrixXd& y = out.centred;
  Eigen::MatrixXd covariance = Eigen::MatrixXd::Zero(p, p);
  covariance.selfadjointView<Eigen::Lower>().rankUpdate(y.transpose(), 1.0 / nd);
  covariance.triangularView<Eigen::StrictlyUpper>() = covariance.transpose();
  double a = 0, mu = 0;
  // StandardScaler's scale: the population std; features that are constant get scale 1.
  Eigen::VectorXd scale(p);
  for (Eigen::Index j = 0; j < p; ++j) {
    const double v = covariance(j, j);
    scale(j) = v > 0 && std::isfinite(v) ? std::sqrt(v) : 1.0;
  }
  if (p > 1) {  // ledoit_wolf: a single feature is never shrunk
    const Eigen::VectorXd inv_scale = scale.cwiseInverse();
    const Eigen::MatrixXd r = inv_scale.asDiagonal() * covariance * inv_scale.asDiagonal();
    const double trace = r.trace();
    mu = trace / pd;
    const double frob2 = r.squaredNorm();
    const Eigen::VectorXd row_norm2 = (y * inv_scale.asDiagonal()).rowwise().squaredNorm();
    const double fourth = row_norm2.squaredNorm();
    double beta = (fourth / nd - frob2) / (pd * nd);
    const double delta = (frob2 - 2.0 * mu * trace + pd * mu * mu) / pd;
    beta = std::min(beta, delta);
    a = beta == 0 ? 0.0 : beta / delta;
  }
  out.low_rank_weight = (1.0 - a) / nd;
  out.diagonal = (a * mu) * scale.cwiseProduct(scale);
  if (dense) {
    out.dense = (1.0 - a) * covariance;
    out.dense.diagonal() += out.diagonal;
  }
  return out;
}

Eigen::MatrixXd rsatoolbox_noise_covariance(Eigen::MatrixXd x, double dof,
                                            NoiseShrinkage shrinkage) {
  const auto n = x.rows(), p = x.cols();
  const double nd = static_cast<double>(n);
  x.rowwise() -= x.colwise().mean();
  const Eigen::MatrixXd s_sum = x.transpose() * x;
  const Eigen::MatrixXd x2 = x.array().square().matrix();
  const Eigen::MatrixXd s2_sum = x2.transpose() * x2;
  if (shrinkage == NoiseShrinkage::identity) {
    const Eigen::MatrixXd s = s_sum / nd;
    double b2 = (s2_sum / nd - s.cwiseProduct(s)).sum() / nd;
    const double m = s.trace() / static_cast<double>(p);
    const double d2 = (s - m * Eigen::MatrixXd::Identity(p, p)).squaredNorm();
    b2 = std::min(d2, b2);
    Eigen::MatrixXd shrunk = (d2 - b2) / d2 * s;
    shrunk.diagonal().array() += b2 / d2 * m;
    return shrunk * (nd / dof);
  }
  const Eigen::MatrixXd s = s_sum / dof;
  const Eigen::VectorXd var = s.diagonal();
  const Eigen::VectorXd stdev = var.cwiseSqrt();
  double num = 0, den = 0;
  for (Eigen::Index j = 0; j < p; ++j)
    for (Eigen::Index i = 0; i < p; ++i) {
      if (i == j) continue;
      const double s_mean = s_sum(i, j) / stdev(i) / stdev(j) / dof;
      const double s2_mean = s2_sum(i, j) / var(i) / var(j) / dof;
      num += nd / (dof * dof) * (s2_mean - s_mean * s_mean);
      den += s_mean * s_mean;
    }
  const double lambda = std::clamp(num / den, 0.0, 1.0);
  Eigen::MatrixXd shrunk = s * (1.0 - lambda);
  shrunk.diagonal() = s.diagonal();
  return shrunk;
}

}  // namespace permrsa::eeg
