#include "permrsa/noise_ceiling.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include "numeric/ranks.hpp"
#include "kernels/inversion_count.hpp"

namespace permrsa {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double pearson(std::span<const double> x, std::span<const double> y) {
  std::vector<double> zx(x.size()), zy(y.size());
  if (!standardize(x, zx) || !standardize(y, zy)) return std::numeric_limits<double>::quiet_NaN();
  double r = 0;
  for (std::size_t i = 0; i < zx.size(); ++i) r += zx[i] * zy[i];
  return r;
}

double kendall(std::span<const double> x, std::span<const double> y, bool tau_b) {
  const std::size_t n = x.size();
  std::vector<std::uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return y[a] < y[b]; });
  const auto rx = dense_ranks(x);
  std::vector<std::int32_t> seq(n);
  for (std::size_t i = 0; i < n; ++i) seq[i] = rx[order[i]];
  std::int64_t joint = 0;
  for (std::size_t i = 0; i < n;) {  // runs of tied y: sort x inside, count joint ties
    std::size_t j = i + 1;
    while (j < n && y[order[j]] == y[order[i]]) ++j;
    std::sort(seq.begin() + static_cast<std::ptrdiff_t>(i),
              seq.begin() + static_cast<std::ptrdiff_t>(j));
    for (std::size_t a = i; a < j;) {
      std::size_t b = a + 1;
      while (b < j && seq[b] == seq[a]) ++b;
      joint += static_cast<std::int64_t>((b - a) * (b - a - 1) / 2);
      a = b;
    }
    i = j;
  }
  const int bits = bits_for(static_cast<std::uint32_t>(*std::max_element(seq.begin(), seq.end())));
  std::vector<std::int32_t> counters(std::size_t{1} << bits);
  const std::int64_t dis = count_inversions(seq.data(), n, bits, counters.data());
  const auto n0 = static_cast<std::int64_t>(n * (n - 1) / 2);
  const std::int64_t xt = tied_pairs(x), yt = tied_pairs(y);
  const auto cmd = static_cast<double>(n0 - xt - yt + joint - 2 * dis);
  if (!tau_b) return cmd / static_cast<double>(n0);
  return std::clamp(
      cmd / std::sqrt(static_cast<double>(n0 - xt)) / std::sqrt(static_cast<double>(n0 - yt)), -1.0,
      1.0);
}

}  // namespace

double correlate(Metric metric, std::span<const double> x, std::span<const double> y) {
  switch (metric) {
    case Metric::pearson:
      return pearson(x, y);
    case Metric::spearman:
      return pearson(average_ranks(x), average_ranks(y));
    case Metric::kendall_b:
      return kendall(x, y, true);
    case Metric::kendall_a:
      return kendall(x, y, false);
  }
  return std::numeric_limits<double>::quiet_NaN();
}

std::string noise_ceiling_warning(std::size_t subjects) {
  if (subjects != 1) return "";
  return "noise ceiling: one subject has no other subjects to be compared with, so its bounds are "
         "undefined; /noise_ceiling/lower and /noise_ceiling/upper hold NaN";
}

namespace {

// A vector standardised for a dot-product correlation; NaN when it is constant (it has no
// correlation: the NaN carries into the bound instead of the zeros standardize() leaves).
std::vector<double> z_scored(const std::vector<double>& v) {
  std::vector<double> out(v.size());
  if (!standardize(v, out)) out.assign(v.size(), kNaN);
  return out;
}

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double r = 0;
  for (std::size_t p = 0; p < a.size(); ++p) r += a[p] * b[p];
  return r;
}

// The bounds at time point t: {lower, upper} summed over subjects.
std::pair<double, double> bounds_at(const std::vector<Matrix<double>>& subjects, Metric metric,
                                    std::size_t t) {
  const std::size_t N = subjects.size(), P = subjects.front().rows();
  const bool ranked = metric != Metric::pearson;
  const bool kendall_metric = metric == Metric::kendall_b || metric == Metric::kendall_a;
  const bool spearman = metric == Metric::spearman;
  // Each subject's RDM and its basis for the group mean (its ranks for the rank metrics).
  std::vector<std::vector<double>> rdm(N, std::vector<double>(P)), basis(N);
  for (std::size_t n = 0; n < N; ++n) {
    for (std::size_t p = 0; p < P; ++p) rdm[n][p] = subjects[n](p, t);
    basis[n] = ranked ? average_ranks(rdm[n]) : rdm[n];
  }
  std::vector<double> total(P, 0.0), mean(P), others(P);
  for (std::size_t n = 0; n < N; ++n)
    for (std::size_t p = 0; p < P; ++p) total[p] += basis[n][p];
  for (std::size_t p = 0; p < P; ++p) mean[p] = total[p] / static_cast<double>(N);
  // Pearson and Spearman are dot products of standardised vectors: a subject's own basis (its
  // ranks for Spearman) is standardised once, and each group mean once per subject. Spearman
  // ranks the sums (total, total - own) in place of the means: the same order, and sums of ranks
  // lie on the half grid, where ranking is a two-pass radix sort.
  auto z = [&](const std::vector<double>& v) { return z_scored(spearman ? average_ranks(v) : v); };
  const auto z_mean = kendall_metric ? std::vector<double>() : z(spearman ? total : mean);
  double lower = 0, upper = 0;
  for (std::size_t n = 0; n < N; ++n) {
    for (std::size_t p = 0; p < P; ++p)
      others[p] =
          spearman ? total[p] - basis[n][p] : (total[p] - basis[n][p]) / static_cast<double>(N - 1);
    if (kendall_metric) {
      upper += correlate(metric, rdm[n], mean);
      lower += correlate(metric, rdm[n], others);
    } else {
      const auto z_own = z_scored(basis[n]);  // the ranks themselves for Spearman
      upper += dot(z_own, z_mean);
      lower += dot(z_own, z(others));
    }
  }
  return {lower, upper};
}

}  // namespace

NoiseCeiling noise_ceiling(const std::vector<Matrix<double>>& subjects, Metric metric) {
  NoiseCeiling out;
  if (subjects.empty()) return out;
  const std::size_t N = subjects.size(), T = subjects.front().cols();
  if (N < 2) {  // no "other subjects" (0 / 0), and a subject against itself says nothing
    out.lower.assign(T, kNaN);
    out.upper.assign(T, kNaN);
    return out;
  }
  out.lower.assign(T, 0.0);
  out.upper.assign(T, 0.0);
  tbb::parallel_for(std::size_t{0}, T, [&](std::size_t t) {
    const auto [lower, upper] = bounds_at(subjects, metric, t);
    out.upper[t] = upper / static_cast<double>(N);
    out.lower[t] = lower / static_cast<double>(N);
  });
  return out;
}

}  // namespace permrsa
