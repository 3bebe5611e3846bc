// Partial statistic maps (see partial_kernel.hpp for the definitions and their sources).
#include "kernels/partial_kernel.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "numeric/ranks.hpp"
#include "permrsa/error.hpp"

namespace permrsa {
namespace {

// The P x q matrix whose columns are the covariates: the "brain" side of x-vs-z correlations.
Matrix<double> columns_of(const Matrix<double>& rows) {
  Matrix<double> out(rows.cols(), rows.rows());
  for (std::size_t i = 0; i < rows.rows(); ++i)
    for (std::size_t p = 0; p < rows.cols(); ++p) out(p, i) = rows(i, p);
  return out;
}

std::vector<std::uint32_t> identity_gather(std::size_t pairs) {
  std::vector<std::uint32_t> g(pairs);
  std::iota(g.begin(), g.end(), 0u);
  return g;
}

// A q x q matrix's inverse by Gauss-Jordan elimination with partial pivoting (q is small; the
// order of operations is fixed). `what` names the matrix for the error when it is singular.
Matrix<double> inverse(Matrix<double> a, const std::string& what) {
  const std::size_t q = a.rows();
  Matrix<double> inv(q, q, 0.0);
  for (std::size_t i = 0; i < q; ++i) inv(i, i) = 1.0;
  double scale = 0;
  for (std::size_t i = 0; i < q; ++i) scale = std::max(scale, std::fabs(a(i, i)));
  for (std::size_t c = 0; c < q; ++c) {
    std::size_t pivot = c;
    for (std::size_t r = c + 1; r < q; ++r)
      if (std::fabs(a(r, c)) > std::fabs(a(pivot, c))) pivot = r;
    // A pivot this small leaves the partial value to rounding: the covariates are collinear.
    if (!(std::fabs(a(pivot, c)) > 1e-10 * scale))
      throw InputError("covariates: " + what +
                       " is singular: the covariates are collinear (one is a combination of the "
                       "others); leave one out");
    for (std::size_t k = 0; k < q; ++k) {
      std::swap(a(c, k), a(pivot, k));
      std::swap(inv(c, k), inv(pivot, k));
    }
    const double d = a(c, c);
    for (std::size_t k = 0; k < q; ++k) {
      a(c, k) /= d;
      inv(c, k) /= d;
    }
    for (std::size_t r = 0; r < q; ++r) {
      if (r == c) continue;
      const double f = a(r, c);
      if (f == 0.0) continue;
      for (std::size_t k = 0; k < q; ++k) {
        a(r, k) -= f * a(c, k);
        inv(r, k) -= f * inv(c, k);
      }
    }
  }
  return inv;
}

class PartialFormulaKernel final : public StatisticKernel {
 public:
  PartialFormulaKernel(Metric metric, Precision precision, const Matrix<double>& models,
                       const Matrix<double>& brain, const Matrix<double>& covariates)
      : q_(covariates.rows()) {
    const Matrix<double> z_columns = columns_of(covariates);
    xy_ = make_statistic_kernel(metric, precision, models, brain);
    xz_ = make_statistic_kernel(metric, precision, models, z_columns);
    const auto identity = identity_gather(brain.rows());
    // r_yz (q x T) and Rzz (q x q) once: neither moves under a permutation of the model.
    const std::size_t T = brain.cols();
    std::vector<double> yz(q_ * T), zz(q_ * q_);
    make_statistic_kernel(metric, precision, covariates, brain)->compute(identity, 1, yz);
    make_statistic_kernel(metric, precision, covariates, z_columns)->compute(identity, 1, zz);
    Matrix<double> rzz(q_, q_, std::move(zz));
    for (std::size_t i = 0; i < q_; ++i) rzz(i, i) = 1.0;
    rzz_inv_ = inverse(rzz, "the correlation matrix of the covariates");
    // Brain side of the Schur complement per time point: r_yz(t) and 1 / sqrt(s_yy(t)).
    ryz_.resize(T * q_);
    y_scale_.resize(T);
    for (std::size_t t = 0; t < T; ++t) {
      for (std::size_t j = 0; j < q_; ++j) ryz_[t * q_ + j] = yz[j * T + t];
      double quad = 0;
      for (std::size_t j = 0; j < q_; ++j) {
        double w = 0;
        for (std::size_t i = 0; i < q_; ++i) w += rzz_inv_(j, i) * ryz_[t * q_ + i];
        quad += ryz_[t * q_ + j] * w;
      }
      y_scale_[t] = 1.0 / std::sqrt(1.0 - quad);
    }
  }

  std::size_t layers() const override { return xy_->layers(); }
  std::size_t times() const override { return xy_->times(); }
  std::size_t pairs() const override { return xy_->pairs(); }
  double work_per_permutation() const override {
    return xy_->work_per_permutation() + xz_->work_per_permutation();
  }

  void compute(std::span<const std::uint32_t> gathers, std::size_t batch,
               std::span<double> out) const override {
    std::vector<double> xz(batch * layers() * q_);
    xy_->compute(gathers, batch, out);
    xz_->compute(gathers, batch, xz);
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, batch * layers()),
                      [&](const tbb::blocked_range<std::size_t>& range) {
                        for (std::size_t task = range.begin(); task != range.end(); ++task)
                          combine(xz.data() + task * q_, out.data() + task * times());
                      });
  }

 private:
  // One (permutation, layer) row of cells: r_xy in, the partial value out. Per row u = Rzz^-1 r_xz
  // and 1 / sqrt(s_xx) (2q^2 + 2q + 2 flop), per cell 2q + 2 flop: s_xy / sqrt(s_xx s_yy) as
  // s_xy * (1 / sqrt(s_xx)) * (1 / sqrt(s_yy)), one square root per row instead of per cell.
  void combine(const double* rxz, double* cell) const {
    const std::size_t T = times();
    std::vector<double> u(q_);
    double sxx = 1.0;
    for (std::size_t j = 0; j < q_; ++j) {
      double w = 0;
      for (std::size_t i = 0; i < q_; ++i) w += rzz_inv_(j, i) * rxz[i];
      u[j] = w;
    }
    for (std::size_t j = 0; j < q_; ++j) sxx -= rxz[j] * u[j];
    const double x_scale = 1.0 / std::sqrt(sxx);
    if (q_ == 1) {  // a flat loop over t that vectorises
      const double u0 = u[0];
      for (std::size_t t = 0; t < T; ++t)
        cell[t] = (cell[t] - u0 * ryz_[t]) * x_scale * y_scale_[t];
      return;
    }
    for (std::size_t t = 0; t < T; ++t) {
      double sxy = cell[t];
      for (std::size_t j = 0; j < q_; ++j) sxy -= u[j] * ryz_[t * q_ + j];
      cell[t] = sxy * x_scale * y_scale_[t];
    }
  }

  std::size_t q_;
  std::unique_ptr<StatisticKernel> xy_, xz_;
  Matrix<double> rzz_inv_;
  std::vector<double> ryz_;      // T x q
  std::vector<double> y_scale_;  // T: 1 / sqrt(s_yy(t))
};

// (v - mean) / sd with ddof = 1, as pandas' DataFrame.std() in pingouin 0.3.
std::vector<double> standardized(std::span<const double> v) {
  const auto n = static_cast<double>(v.size());
  double mean = 0;
  for (double x : v) mean += x;
  mean /= n;
  double ss = 0;
  for (double x : v) ss += (x - mean) * (x - mean);
  const double sd = std::sqrt(ss / (n - 1.0));
  std::vector<double> out(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) out[i] = (v[i] - mean) / sd;
  return out;
}

class PartialResidualKernel final : public StatisticKernel {
 public:
  PartialResidualKernel(Metric metric, Precision precision, const Matrix<double>& models,
                        const Matrix<double>& brain, const Matrix<double>& covariates)
      : metric_(metric),
        precision_(precision),
        q_(covariates.rows()),
        pairs_(models.cols()),
        layers_(models.rows()),
        times_(brain.cols()),
        z_(q_, pairs_),
        x_(layers_, pairs_) {
    for (std::size_t j = 0; j < q_; ++j) {
      const auto s = standardized(covariates.row(j));
      std::copy(s.begin(), s.end(), z_.row(j).begin());
    }
    Matrix<double> gram(q_, q_);
    for (std::size_t i = 0; i < q_; ++i)
      for (std::size_t j = 0; j < q_; ++j) {
        double g = 0;
        for (std::size_t p = 0; p < pairs_; ++p) g += z_(i, p) * z_(j, p);
        gram(i, j) = g;
      }
    gram_inv_ = inverse(gram, "the Gram matrix of the standardised covariates");
    for (std::size_t l = 0; l < layers_; ++l) {
      const auto s = standardized(models.row(l));
      std::copy(s.begin(), s.end(), x_.row(l).begin());
    }
    brain_residuals_ = Matrix<double>(pairs_, times_);
    std::vector<double> column(pairs_), r(pairs_);
    for (std::size_t t = 0; t < times_; ++t) {
      for (std::size_t p = 0; p < pairs_; ++p) column[p] = brain(p, t);
      residual(standardized(column), r);
      for (std::size_t p = 0; p < pairs_; ++p) brain_residuals_(p, t) = r[p];
    }
    identity_ = identity_gather(pairs_);
    plain_work_ =
        make_statistic_kernel(metric, precision, x_, brain_residuals_)->work_per_permutation();
  }

  std::size_t layers() const override { return layers_; }
  std::size_t times() const override { return times_; }
  std::size_t pairs() const override { return pairs_; }
  double work_per_permutation() const override {
    return 4.0 * static_cast<double>(q_ * pairs_ * layers_) + plain_work_;
  }

  void compute(std::span<const std::uint32_t> gathers, std::size_t batch,
               std::span<double> out) const override {
    // The residuals of every permuted model row of the batch, then one kernel for all of them:
    // each output is still a function of its own row and column only.
    Matrix<double> rows(batch * layers_, pairs_);
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, batch * layers_),
                      [&](const tbb::blocked_range<std::size_t>& range) {
                        std::vector<double> x(pairs_);
                        for (std::size_t task = range.begin(); task != range.end(); ++task) {
                          const std::uint32_t* g = gathers.data() + (task / layers_) * pairs_;
                          const auto model = x_.row(task % layers_);
                          for (std::size_t p = 0; p < pairs_; ++p) x[p] = model[g[p]];
                          residual(x, rows.row(task));
                        }
                      });
    make_statistic_kernel(metric_, precision_, rows, brain_residuals_)->compute(identity_, 1, out);
  }

 private:
  // v - Z' beta with beta = (Z Z')^-1 Z v: least squares on the standardised covariates without
  // intercept (pingouin 0.3 uses np.linalg.lstsq; the normal equations give the same solution).
  void residual(std::span<const double> v, std::span<double> out) const {
    std::vector<double> c(q_), beta(q_, 0.0);
    for (std::size_t j = 0; j < q_; ++j) {
      double s = 0;
      for (std::size_t p = 0; p < pairs_; ++p) s += z_(j, p) * v[p];
      c[j] = s;
    }
    for (std::size_t j = 0; j < q_; ++j)
      for (std::size_t i = 0; i < q_; ++i) beta[j] += gram_inv_(j, i) * c[i];
    for (std::size_t p = 0; p < pairs_; ++p) {
      double fit = 0;
      for (std::size_t j = 0; j < q_; ++j) fit += z_(j, p) * beta[j];
      out[p] = v[p] - fit;
    }
  }

  Metric metric_;
  Precision precision_;
  std::size_t q_, pairs_, layers_, times_;
  Matrix<double> z_;                // q x P standardised covariates
  Matrix<double> x_;                // L x P standardised models
  Matrix<double> gram_inv_;         // (Z Z')^-1
  Matrix<double> brain_residuals_;  // P x T
  std::vector<std::uint32_t> identity_;
  double plain_work_ = 0;  // the metric's kernel on the residuals
};

// Freedman-Lane: permuted brain residuals (see partial_kernel.hpp). With r_x = resid(x | 1, z)
// and e = resid(y | 1, z), y* = fitted + e o pi and r_x orthogonal to [1, z]:
//   r_x . resid(y* | 1, z) = r_x . (e o pi),
//   |resid(y* | 1, z)|^2   = |e|^2 - c' Rzz^-1 c,  c_j = z_j . (e o pi)  (z_j unit norm, centred),
// so partial = corr(r_x, e o pi) / sqrt(1 - sum_ij corr(z_i, e o pi) Rzz^-1_ij corr(z_j, e o pi)).
// Both correlations are the Pearson kernel's with the model side gathered by the inverse
// permutation (r_x . (e o pi) = (r_x o pi^-1) . e): 2 P (L + q) T flop per permutation, plus
// P to invert the gather and 2 q^2 T for the root.
class PartialFreedmanLaneKernel final : public StatisticKernel {
 public:
  PartialFreedmanLaneKernel(Metric metric, Precision precision, const Matrix<double>& models,
                            const Matrix<double>& brain, const Matrix<double>& covariates)
      : q_(covariates.rows()), pairs_(models.cols()), layers_(models.rows()), times_(brain.cols()) {
    const bool ranked = metric == Metric::spearman;
    Matrix<double> z(q_, pairs_);
    for (std::size_t j = 0; j < q_; ++j) {
      const std::vector<double> r = ranks_or_values(covariates.row(j), ranked);
      if (!standardize(r, z.row(j)))
        throw InternalError("freedman-lane kernel: a constant covariate");
    }
    Matrix<double> rzz(q_, q_);
    for (std::size_t a = 0; a < q_; ++a)
      for (std::size_t b = 0; b < q_; ++b) rzz(a, b) = a == b ? 1.0 : dot(z.row(a), z.row(b));
    rzz_inv_ = inverse(rzz, "the correlation matrix of the covariates");
    // Residuals on [1, z]: the z rows are centred with unit norm, so beta = Rzz^-1 (Z v).
    auto residual = [&](std::span<const double> v, std::span<double> out) {
      double mean = 0;
      for (double x : v) mean += x;
      mean /= static_cast<double>(pairs_);
      std::vector<double> c(q_), beta(q_, 0.0);
      for (std::size_t j = 0; j < q_; ++j) c[j] = dot(z.row(j), v);
      for (std::size_t j = 0; j < q_; ++j)
        for (std::size_t i = 0; i < q_; ++i) beta[j] += rzz_inv_(j, i) * c[i];
      for (std::size_t p = 0; p < pairs_; ++p) {
        double fit = mean;
        for (std::size_t j = 0; j < q_; ++j) fit += z(j, p) * beta[j];
        out[p] = v[p] - fit;
      }
    };
    Matrix<double> rx(layers_, pairs_), e(pairs_, times_);
    std::vector<double> column(pairs_), r(pairs_), unit(pairs_);
    for (std::size_t l = 0; l < layers_; ++l) {
      residual(ranks_or_values(models.row(l), ranked), rx.row(l));
      if (!standardize(rx.row(l), unit))
        throw InputError("covariates: a model layer (row " + std::to_string(l) +
                         " of the block) is a combination of the covariates: its partial "
                         "correlation is undefined");
    }
    for (std::size_t t = 0; t < times_; ++t) {
      for (std::size_t p = 0; p < pairs_; ++p) column[p] = brain(p, t);
      residual(ranks_or_values(column, ranked), r);
      if (!standardize(r, unit))
        throw InputError("covariates: the brain RDM at time index " + std::to_string(t) +
                         " of the block is a combination of the covariates: freedman-lane has no "
                         "residuals to permute");
      for (std::size_t p = 0; p < pairs_; ++p) e(p, t) = r[p];
    }
    xe_ = make_correlation_kernel(false, precision, rx, e);
    ze_ = make_correlation_kernel(false, precision, z, e);
  }

  std::size_t layers() const override { return layers_; }
  std::size_t times() const override { return times_; }
  std::size_t pairs() const override { return pairs_; }
  double work_per_permutation() const override {
    return xe_->work_per_permutation() + ze_->work_per_permutation();
  }

  void compute(std::span<const std::uint32_t> gathers, std::size_t batch,
               std::span<double> out) const override {
    std::vector<std::uint32_t> inverse_gathers(gathers.size());
    for (std::size_t b = 0; b < batch; ++b)
      for (std::size_t p = 0; p < pairs_; ++p)
        inverse_gathers[b * pairs_ + gathers[b * pairs_ + p]] = static_cast<std::uint32_t>(p);
    std::vector<double> ze(batch * q_ * times_);
    xe_->compute(inverse_gathers, batch, out);
    ze_->compute(inverse_gathers, batch, ze);
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, batch),
                      [&](const tbb::blocked_range<std::size_t>& range) {
                        for (std::size_t b = range.begin(); b != range.end(); ++b)
                          combine(ze.data() + b * q_ * times_, out.data() + b * layers_ * times_);
                      });
  }

 private:
  static std::vector<double> ranks_or_values(std::span<const double> v, bool ranked) {
    return ranked ? average_ranks(v) : std::vector<double>(v.begin(), v.end());
  }
  // Pairs summed in order: the fixed summation order.
  static double dot(std::span<const double> a, std::span<const double> b) {
    double s = 0;
    for (std::size_t p = 0; p < a.size(); ++p) s += a[p] * b[p];
    return s;
  }
  // One permutation: ze (q x T) scales the L x T correlations of r_x with e o pi.
  void combine(const double* ze, double* cells) const {
    for (std::size_t t = 0; t < times_; ++t) {
      double quad = 0;
      for (std::size_t j = 0; j < q_; ++j) {
        double w = 0;
        for (std::size_t i = 0; i < q_; ++i) w += rzz_inv_(j, i) * ze[i * times_ + t];
        quad += ze[j * times_ + t] * w;
      }
      const double scale = 1.0 / std::sqrt(1.0 - quad);
      for (std::size_t l = 0; l < layers_; ++l) cells[l * times_ + t] *= scale;
    }
  }

  std::size_t q_, pairs_, layers_, times_;
  Matrix<double> rzz_inv_;
  std::unique_ptr<StatisticKernel> xe_, ze_;  // corr(r_x o pi^-1, e), corr(z o pi^-1, e)
};

}  // namespace

std::unique_ptr<StatisticKernel> make_partial_kernel(Metric metric, Precision precision,
                                                     PartialDefinition definition,
                                                     const Matrix<double>& models,
                                                     const Matrix<double>& brain,
                                                     const Matrix<double>& covariates) {
  if (covariates.rows() == 0 || covariates.cols() != models.cols() || brain.rows() != models.cols())
    throw InternalError("partial kernel: covariates, models and brain disagree on P");
  if (definition == PartialDefinition::freedman_lane) {
    if (metric != Metric::pearson && metric != Metric::spearman)
      throw InternalError("partial kernel: freedman-lane takes pearson or spearman");
    return std::make_unique<PartialFreedmanLaneKernel>(metric, precision, models, brain,
                                                       covariates);
  }
  if (definition == PartialDefinition::residual)
    return std::make_unique<PartialResidualKernel>(metric, precision, models, brain, covariates);
  return std::make_unique<PartialFormulaKernel>(metric, precision, models, brain, covariates);
}

}  // namespace permrsa
