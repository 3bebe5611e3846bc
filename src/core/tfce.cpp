#include "permrsa/tfce.hpp"

#include <algorithm>
#include <cmath>

namespace permrsa {

std::vector<double> tfce_map(const ClusterRule& rule, std::span<const double> e,
                             std::span<const double> s, double step) {
  const std::size_t cells = e.size();
  std::vector<double> out(cells, 0.0);
  if (cells == 0 || !(step > 0)) return out;
  const double top = *std::max_element(e.begin(), e.end());
  std::vector<std::uint8_t> mask(cells);
  for (std::size_t j = 1;; ++j) {
    const double h = static_cast<double>(j) * step;
    if (h > top) break;
    for (std::size_t c = 0; c < cells; ++c) mask[c] = e[c] >= h;
    const auto map = find_clusters(rule, e, s, mask);
    const double weight = std::pow(h, kTfceHeightPower) * step;
    std::vector<double> gain(map.clusters.size());
    for (std::size_t k = 0; k < gain.size(); ++k)
      gain[k] = std::pow(static_cast<double>(map.clusters[k].size), kTfceExtentPower) * weight;
    for (std::size_t c = 0; c < cells; ++c)
      if (map.id[c] >= 0) out[c] += gain[static_cast<std::size_t>(map.id[c])];
  }
  return out;
}

}  // namespace permrsa
