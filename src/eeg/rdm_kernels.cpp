// GCC 12 reports a false -Wmaybe-uninitialized inside its own AVX-512 header
// (_mm512_reduce_add_pd, avx512fintrin.h) when Eigen's reductions are inlined with
// -march=native; the warning is about the intrinsic's internals, not this code.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "eeg/rdm_kernels.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "eeg/shrinkage.hpp"
#include "permrsa/condensed.hpp"

namespace permrsa::eeg {
namespace {

// Rows of x whose unit satisfies `keep`, in unit order.
template <class Keep>
Eigen::MatrixXd select_rows(const Eigen::MatrixXd& x, std::size_t units, Keep keep) {
  std::vector<Eigen::Index> rows;
  for (std::size_t u = 0; u < units; ++u)
    if (keep(u)) rows.push_back(static_cast<Eigen::Index>(u));
  Eigen::MatrixXd out(static_cast<Eigen::Index>(rows.size()), x.cols());
  for (std::size_t i = 0; i < rows.size(); ++i)
    out.row(static_cast<Eigen::Index>(i)) = x.row(rows[i]);
  return out;
}

// Mean pattern (rows) of every stimulus over the units that satisfy `keep`.
template <class Keep>
Eigen::MatrixXd class_means(const Eigen::MatrixXd& x, const TrialDesign& d, Keep keep) {
  const auto S = static_cast<Eigen::Index>(d.stimuli.size());
  Eigen::MatrixXd sums = Eigen::MatrixXd::Zero(S, x.cols());
  Eigen::VectorXd counts = Eigen::VectorXd::Zero(S);
  for (std::size_t u = 0; u < d.unit_class.size(); ++u)
    if (keep(u)) {
      const auto c = static_cast<Eigen::Index>(d.unit_class[u]);
      sums.row(c) += x.row(static_cast<Eigen::Index>(u));
      counts(c) += 1;
    }
  return counts.cwiseInverse().asDiagonal() * sums;
}

// Mann-Whitney form of the ROC AUC (ties count 1/2), as sklearn's roc_auc_score.
double roc_auc(const std::vector<double>& positive, const std::vector<double>& negative) {
  double wins = 0;
  for (double a : positive)
    for (double b : negative) wins += a > b ? 1.0 : (a == b ? 0.5 : 0.0);
  return wins / (static_cast<double>(positive.size()) * static_cast<double>(negative.size()));
}

}  // namespace

namespace {

// The solution of (prior_a S_a + prior_b S_b) w = rhs. When the pair has fewer training units
// than channels, the pooled covariance is diag(D) + U'U with U = [sqrt(prior_a w_a) Y_a;
// sqrt(prior_b w_b) Y_b] (k x p, k = n_a + n_b), and the Woodbury identity turns the p x p solve
// into a k x k one: with E = 1/D and W = U diag(sqrt E),
//   Sigma^-1 r = E r - sqrt(E) W' (I + W W')^-1 W (sqrt(E) r).
// FLOP: k^2 p (W W') + k^3/3 (Cholesky) instead of p^3/3. Otherwise (or when D has a zero, i.e.
// no shrinkage) the dense Cholesky solve; an indefinite matrix falls back to the minimum-norm
// least-squares solution, as scipy.linalg.lstsq gives.
Eigen::MatrixXd pooled_solve(const ShrunkClass& a, double prior_a, const ShrunkClass& b,
                             double prior_b, const Eigen::MatrixXd& rhs, bool low_rank) {
  const Eigen::VectorXd d = prior_a * a.diagonal + prior_b * b.diagonal;
  if (low_rank && d.minCoeff() > 0) {
    const Eigen::VectorXd sqrt_e = d.cwiseSqrt().cwiseInverse();
    const auto na = a.centred.rows(), nb = b.centred.rows(), p = a.centred.cols();
    Eigen::MatrixXd w(na + nb, p);
    w.topRows(na) = std::sqrt(prior_a * a.low_rank_weight) * a.centred * sqrt_e.asDiagonal();
    w.bottomRows(nb) = std::sqrt(prior_b * b.low_rank_weight) * b.centred * sqrt_e.asDiagonal();
    Eigen::MatrixXd k = Eigen::MatrixXd::Identity(na + nb, na + nb);
    k.selfadjointView<Eigen::Lower>().rankUpdate(w);
    const Eigen::LLT<Eigen::MatrixXd> llt(k);
    const Eigen::MatrixXd scaled = sqrt_e.asDiagonal() * rhs;
    const Eigen::MatrixXd inner = llt.solve(w * scaled);
    return sqrt_e.asDiagonal() * (scaled - w.transpose() * inner);
  }
  const Eigen::MatrixXd sigma = prior_a * a.dense + prior_b * b.dense;
  Eigen::LLT<Eigen::MatrixXd> llt(sigma);
  if (llt.info() == Eigen::Success) return llt.solve(rhs);
  return sigma.completeOrthogonalDecomposition().solve(rhs);
}

}  // namespace

namespace {

// One fold's test decision values of a pair: class a's units, then class b's.
struct PairDecisions {
  std::vector<double> a, b;
};

double fold_score(const PairDecisions& dec, DecodingScore score) {
  if (score != DecodingScore::accuracy) return roc_auc(dec.b, dec.a);
  std::size_t correct = 0;
  for (double v : dec.a) correct += v > 0 ? 0 : 1;  // predicted class b when > 0
  for (double v : dec.b) correct += v > 0 ? 1 : 0;
  return static_cast<double>(correct) / static_cast<double>(dec.a.size() + dec.b.size());
}

// scikit-learn: priors from the training class frequencies, pooled covariance = the
// prior-weighted sum, coef_k = Sigma^-1 m_k (lstsq), intercept_k = -m_k.coef_k/2 + log prior_k;
// the binary classifier is class b (the larger label) minus class a.
PairDecisions pair_decisions(const Eigen::MatrixXd& x, const ShrunkClass& a, double count_a,
                             const ShrunkClass& b, double count_b,
                             const std::vector<std::size_t>& test_a,
                             const std::vector<std::size_t>& test_b, bool low_rank) {
  const double total = count_a + count_b;
  const double prior_a = count_a / total, prior_b = count_b / total;
  Eigen::MatrixXd rhs(x.cols(), 2);
  rhs.col(0) = a.mean;
  rhs.col(1) = b.mean;
  const Eigen::MatrixXd w = pooled_solve(a, prior_a, b, prior_b, rhs, low_rank);
  const Eigen::VectorXd coef = w.col(1) - w.col(0);
  const double intercept = (-0.5 * b.mean.dot(w.col(1)) + std::log(prior_b)) -
                           (-0.5 * a.mean.dot(w.col(0)) + std::log(prior_a));
  PairDecisions dec;
  for (std::size_t u : test_a)
    dec.a.push_back(x.row(static_cast<Eigen::Index>(u)).dot(coef) + intercept);
  for (std::size_t u : test_b)
    dec.b.push_back(x.row(static_cast<Eigen::Index>(u)).dot(coef) + intercept);
  return dec;
}

// One fold's classes: their training means and shrunk covariances, test units, and whether
// every pair takes the low-rank path (even the two largest classes together have fewer
// training units than there are channels).
struct FoldClasses {
  std::vector<ShrunkClass> shrunk;
  std::vector<double> train_count;
  std::vector<std::vector<std::size_t>> test_units;
  bool low_rank = false;
};

FoldClasses fold_classes(const Eigen::MatrixXd& x, const TrialDesign& d, std::int32_t fold) {
  const std::size_t S = d.stimuli.size(), units = d.unit_class.size();
  FoldClasses f;
  f.shrunk.resize(S);
  f.train_count.resize(S);
  f.test_units.resize(S);
  std::vector<std::size_t> counts(S, 0);
  for (std::size_t u = 0; u < units; ++u) {
    if (d.unit_fold[u] == fold)
      f.test_units[d.unit_class[u]].push_back(u);
    else
      ++counts[d.unit_class[u]];
  }
  std::vector<std::size_t> sorted = counts;
  std::sort(sorted.rbegin(), sorted.rend());
  f.low_rank = sorted[0] + sorted[1] < static_cast<std::size_t>(x.cols());
  tbb::parallel_for(std::size_t{0}, S, [&](std::size_t c) {
    const auto train = select_rows(
        x, units, [&](std::size_t u) { return d.unit_class[u] == c && d.unit_fold[u] != fold; });
    f.train_count[c] = static_cast<double>(train.rows());
    f.shrunk[c] = sklearn_lw_class_covariance(train, !f.low_rank);
  });
  return f;
}

}  // namespace

void lda_scores(const Eigen::MatrixXd& x, const TrialDesign& d, DecodingScore score,
                std::span<double> scores, std::span<double> decisions) {
  const std::size_t S = d.stimuli.size(), P = pair_count(S), units = d.unit_class.size();
  std::fill(scores.begin(), scores.end(), 0.0);
  if (!decisions.empty())
    std::fill(decisions.begin(), decisions.end(), std::numeric_limits<double>::quiet_NaN());
  std::vector<std::size_t> pair_first, pair_second;
  for (std::size_t a = 0; a < S; ++a)
    for (std::size_t b = a + 1; b < S; ++b) {
      pair_first.push_back(a);
      pair_second.push_back(b);
    }
  for (std::size_t f = 0; f < d.folds; ++f) {
    const FoldClasses fc = fold_classes(x, d, static_cast<std::int32_t>(f));
    tbb::parallel_for(std::size_t{0}, P, [&](std::size_t pair) {
      const std::size_t a = pair_first[pair], b = pair_second[pair];
      const PairDecisions dec =
          pair_decisions(x, fc.shrunk[a], fc.train_count[a], fc.shrunk[b], fc.train_count[b],
                         fc.test_units[a], fc.test_units[b], fc.low_rank);
      scores[pair] += fold_score(dec, score);
      if (decisions.empty()) return;
      for (std::size_t i = 0; i < dec.a.size(); ++i)
        decisions[pair * units + fc.test_units[a][i]] = dec.a[i];
      for (std::size_t i = 0; i < dec.b.size(); ++i)
        decisions[pair * units + fc.test_units[b][i]] = dec.b[i];
    });
  }
  for (auto& s : scores) s /= static_cast<double>(d.folds);
}

void crossnobis_distances(const Eigen::MatrixXd& x, const TrialDesign& d, NoiseShrinkage noise,
                          std::span<double> distances) {
  const std::size_t S = d.stimuli.size(), units = d.unit_class.size();
  const auto all = [](std::size_t) { return true; };
  const Eigen::MatrixXd means = class_means(x, d, all);
  Eigen::MatrixXd residuals(x.rows(), x.cols());
  for (std::size_t u = 0; u < units; ++u)
    residuals.row(static_cast<Eigen::Index>(u)) =
        x.row(static_cast<Eigen::Index>(u)) - means.row(static_cast<Eigen::Index>(d.unit_class[u]));
  const double dof = static_cast<double>(units) - static_cast<double>(S);
  const Eigen::MatrixXd cov = rsatoolbox_noise_covariance(std::move(residuals), dof, noise);
  const Eigen::MatrixXd precision =
      cov.llt().solve(Eigen::MatrixXd::Identity(cov.rows(), cov.cols()));
  const double p = static_cast<double>(x.cols());
  std::fill(distances.begin(), distances.end(), 0.0);
  for (std::size_t f = 0; f < d.folds; ++f) {
    const auto fold = static_cast<std::int32_t>(f);
    const Eigen::MatrixXd train =
        class_means(x, d, [&](std::size_t u) { return d.unit_fold[u] != fold; });
    const Eigen::MatrixXd test =
        class_means(x, d, [&](std::size_t u) { return d.unit_fold[u] == fold; });
    const Eigen::MatrixXd kernel = train * precision * test.transpose();
    for (std::size_t i = 0; i < S; ++i)
      for (std::size_t j = i + 1; j < S; ++j) {
        const auto a = static_cast<Eigen::Index>(i), b = static_cast<Eigen::Index>(j);
        distances[pair_index(i, j, S)] +=
            (kernel(a, a) + kernel(b, b) - kernel(a, b) - kernel(b, a)) / p;
      }
  }
  for (auto& v : distances) v /= static_cast<double>(d.folds);
}

void mean_pattern_distances(const Eigen::MatrixXd& x, const TrialDesign& d, RdmMethod method,
                            std::span<double> distances) {
  const std::size_t S = d.stimuli.size();
  Eigen::MatrixXd m = class_means(x, d, [](std::size_t) { return true; });
  if (method == RdmMethod::correlation) {
    const Eigen::VectorXd row_means = m.rowwise().mean();
    m.colwise() -= row_means;
    const Eigen::VectorXd inverse_norms = m.rowwise().norm().cwiseInverse();
    m = inverse_norms.asDiagonal() * m;
  }
  for (std::size_t i = 0; i < S; ++i)
    for (std::size_t j = i + 1; j < S; ++j) {
      const auto a = static_cast<Eigen::Index>(i), b = static_cast<Eigen::Index>(j);
      distances[pair_index(i, j, S)] = method == RdmMethod::correlation
                                           ? 1.0 - m.row(a).dot(m.row(b))
                                           : (m.row(a) - m.row(b)).norm();
    }
}

}  // namespace permrsa::eeg
