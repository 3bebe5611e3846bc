#include "core/p_adjustments.hpp"

#include <algorithm>
#include <numeric>

namespace permrsa {
namespace {

// Indices of p in ascending order. Tied p-values get the same adjusted value whatever their
// order (the running minimum or maximum spans the tie), so the sort need not be stable.
std::vector<std::size_t> ascending(std::span<const double> p) {
  std::vector<std::size_t> order(p.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return p[a] < p[b]; });
  return order;
}

}  // namespace

std::vector<double> benjamini_hochberg(std::span<const double> p) {
  const std::size_t m = p.size();
  const auto order = ascending(p);
  std::vector<double> sorted(m), out(m);
  for (std::size_t i = 0; i < m; ++i)
    sorted[i] = p[order[i]] / (static_cast<double>(i + 1) / static_cast<double>(m));
  for (std::size_t i = m; i-- > 1;) sorted[i - 1] = std::min(sorted[i - 1], sorted[i]);
  for (std::size_t i = 0; i < m; ++i) out[order[i]] = std::min(sorted[i], 1.0);
  return out;
}

std::vector<double> bonferroni(std::span<const double> p) {
  std::vector<double> out(p.size());
  const auto m = static_cast<double>(p.size());
  for (std::size_t i = 0; i < p.size(); ++i) out[i] = std::min(p[i] * m, 1.0);
  return out;
}

std::vector<double> holm(std::span<const double> p) {
  const std::size_t m = p.size();
  const auto order = ascending(p);
  std::vector<double> out(m);
  double running = 0;
  for (std::size_t i = 0; i < m; ++i) {
    running = std::max(running, p[order[i]] * static_cast<double>(m - i));
    out[order[i]] = std::min(running, 1.0);
  }
  return out;
}

AdjustedP adjust_over_map(const Matrix<double>& block_p, const BlockRange& block, bool writes,
                          std::size_t layers, std::size_t times, const Communicator& world,
                          const std::function<bool(std::size_t, std::size_t)>& tested) {
  // Each block as (layer_begin, layer_end, time_begin, time_end, values...).
  std::vector<double> mine;
  if (writes && !block.empty()) {
    mine = {static_cast<double>(block.layer_begin), static_cast<double>(block.layer_end),
            static_cast<double>(block.time_begin), static_cast<double>(block.time_end)};
    mine.insert(mine.end(), block_p.values().begin(), block_p.values().end());
  }
  const auto all = world.allgatherv(mine);
  std::vector<double> whole(layers * times, 0.0);
  for (std::size_t i = 0; i < all.size();) {
    const auto l0 = static_cast<std::size_t>(all[i]), l1 = static_cast<std::size_t>(all[i + 1]);
    const auto t0 = static_cast<std::size_t>(all[i + 2]), t1 = static_cast<std::size_t>(all[i + 3]);
    i += 4;
    for (std::size_t l = l0; l < l1; ++l)
      for (std::size_t t = t0; t < t1; ++t) whole[l * times + t] = all[i++];
  }
  if (!tested) return {benjamini_hochberg(whole), bonferroni(whole), holm(whole)};
  std::vector<std::size_t> family;
  std::vector<double> p;
  for (std::size_t c = 0; c < whole.size(); ++c)
    if (tested(c / times, c % times)) {
      family.push_back(c);
      p.push_back(whole[c]);
    }
  AdjustedP out{std::vector<double>(whole.size(), 1.0), std::vector<double>(whole.size(), 1.0),
                std::vector<double>(whole.size(), 1.0)};
  const auto fdr = benjamini_hochberg(p), bonf = bonferroni(p), hol = holm(p);
  for (std::size_t i = 0; i < family.size(); ++i) {
    out.fdr[family[i]] = fdr[i];
    out.bonferroni[family[i]] = bonf[i];
    out.holm[family[i]] = hol[i];
  }
  return out;
}

}  // namespace permrsa
