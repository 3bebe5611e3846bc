#include "permrsa/clusters.hpp"

#include <algorithm>
#include <vector>

namespace permrsa {

ClusterMap find_clusters(const ClusterRule& rule, std::span<const double> e,
                         std::span<const double> s, std::span<const std::uint8_t> pass) {
  const std::size_t L = rule.layers, T = rule.times, n = L * T;
  ClusterMap map;
  map.id.assign(n, -1);
  // !(s < 0) rather than s >= 0: a NaN falls on the same side as in max_cluster_statistic().
  auto positive = [&](std::size_t c) { return !rule.split_by_sign || !(s[c] < 0); };
  auto joins = [&](std::size_t a, std::size_t b) {
    return pass[b] && map.id[b] < 0 && positive(a) == positive(b);
  };
  std::vector<std::size_t> stack;
  // Flood fill from each unlabelled passing cell in row-major order: ids follow first cells.
  for (std::size_t start = 0; start < n; ++start) {
    if (!pass[start] || map.id[start] >= 0) continue;
    const auto id = static_cast<std::int32_t>(map.clusters.size());
    Cluster cl;
    cl.layer_first = cl.layer_last = static_cast<std::int64_t>(start / T);
    cl.time_first = cl.time_last = static_cast<std::int64_t>(start % T);
    cl.sign = static_cast<std::int8_t>(positive(start) ? 1 : -1);
    map.clusters.push_back(cl);
    map.id[start] = id;
    stack.assign(1, start);
    while (!stack.empty()) {
      const std::size_t c = stack.back();
      stack.pop_back();
      const std::size_t l = c / T, t = c % T;
      auto visit = [&](std::size_t nb) {
        if (joins(c, nb)) {
          map.id[nb] = id;
          stack.push_back(nb);
        }
      };
      if (t > 0) visit(c - 1);
      if (t + 1 < T) visit(c + 1);
      if (rule.connectivity == Connectivity::layer_time) {
        if (l > 0) visit(c - T);
        if (l + 1 < L) visit(c + T);
      }
    }
  }
  // Statistics in one row-major pass, so every sum has a fixed order.
  for (std::size_t c = 0; c < n; ++c) {
    if (map.id[c] < 0) continue;
    Cluster& cl = map.clusters[static_cast<std::size_t>(map.id[c])];
    const auto l = static_cast<std::int64_t>(c / T), t = static_cast<std::int64_t>(c % T);
    cl.size += 1;
    cl.statistic += rule.statistic == ClusterStatistic::mass ? e[c] : 1.0;
    cl.layer_first = std::min(cl.layer_first, l);
    cl.layer_last = std::max(cl.layer_last, l);
    cl.time_first = std::min(cl.time_first, t);
    cl.time_last = std::max(cl.time_last, t);
  }
  return map;
}

ClusterColumns cluster_columns(const std::vector<Cluster>& clusters) {
  ClusterColumns columns;
  for (const Cluster& c : clusters) {
    columns.statistic.push_back(c.statistic);
    columns.size.push_back(c.size);
    columns.layer_first.push_back(c.layer_first);
    columns.layer_last.push_back(c.layer_last);
    columns.time_first.push_back(c.time_first);
    columns.time_last.push_back(c.time_last);
    columns.sign.push_back(c.sign);
  }
  return columns;
}

}  // namespace permrsa
