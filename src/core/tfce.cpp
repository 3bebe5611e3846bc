#include "core/tfce.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>

#include "permrsa/error.hpp"

namespace permrsa {

double tfce_height_count(double top, double step) {
  if (std::isnan(top) || std::isnan(step)) return std::numeric_limits<double>::infinity();
  if (!(top >= step)) return 0.0;
  return std::floor(top / step);
}

std::string tfce_heights_problem(double top, double step, const std::string& where) {
  const double heights = tfce_height_count(top, step);
  if (heights <= kTfceMaxHeights) return "";
  std::ostringstream m;
  m.precision(6);
  m << "a step of " << step << " takes " << heights << " heights up to " << where << " (" << top
    << "); expected at most " << static_cast<long long>(kTfceMaxHeights) << " heights";
  if (std::isfinite(top)) m << ", i.e. a tfce_step of at least " << top / kTfceMaxHeights;
  return m.str();
}

void require_tfce_heights(double top, double step, const std::string& where) {
  if (const auto problem = tfce_heights_problem(top, step, where); !problem.empty())
    throw InputError("correction.tfce_step: " + problem);
}

std::vector<double> tfce_map(const ClusterRule& rule, std::span<const double> e,
                             std::span<const double> s, double step) {
  const std::size_t cells = e.size();
  std::vector<double> out(cells, 0.0);
  if (cells == 0 || !(step > 0)) return out;
  constexpr double inf = std::numeric_limits<double>::infinity();
  // Heights up to the largest finite value; +inf and NaN cells pass at every height (!(e < h)).
  double top = -inf;
  bool unbounded = false;
  for (std::size_t c = 0; c < cells; ++c) {
    if (std::isfinite(e[c]))
      top = std::max(top, e[c]);
    else if (!(e[c] < 0))
      unbounded = true;
  }
  require_tfce_heights(top, step, "the largest finite statistic of the map");
  std::vector<std::uint8_t> mask(cells);
  for (std::size_t j = 1;; ++j) {
    const double h = static_cast<double>(j) * step;
    if (h > top) break;
    for (std::size_t c = 0; c < cells; ++c) mask[c] = !(e[c] < h);
    const auto map = find_clusters(rule, e, s, mask);
    const double weight = std::pow(h, kTfceHeightPower) * step;
    std::vector<double> gain(map.clusters.size());
    for (std::size_t k = 0; k < gain.size(); ++k)
      gain[k] = std::pow(static_cast<double>(map.clusters[k].size), kTfceExtentPower) * weight;
    for (std::size_t c = 0; c < cells; ++c)
      if (map.id[c] >= 0) out[c] += gain[static_cast<std::size_t>(map.id[c])];
  }
  if (unbounded)
    for (std::size_t c = 0; c < cells; ++c)
      if (!std::isfinite(e[c]) && !(e[c] < 0)) out[c] = inf;
  return out;
}

}  // namespace permrsa
