#include "core/observed_clusters.hpp"

#include <algorithm>

#include "core/block_maps.hpp"
#include "core/tfce.hpp"
#include "numeric/tail.hpp"

namespace permrsa {
namespace {

// Rank 0's work: the whole observed map's clusters and TFCE, and maxima[0].
ObservedClusters label(const AnalysisFrame& f, std::span<const double> s,
                       std::span<const double> thresholds, NullMaxima& maxima) {
  ObservedClusters o;
  std::vector<double> e(f.cells);
  std::vector<std::uint8_t> pass(f.cells);
  for (std::size_t c = 0; c < f.cells; ++c) {
    e[c] = oriented(s[c], f.tail);
    pass[c] = e[c] > thresholds[c];
  }
  maxima.statistic[0] = *std::max_element(e.begin(), e.end());
  auto map = find_clusters(f.rule, e, s, pass);
  for (auto cl : map.clusters) {
    maxima.cluster[0] = std::max(maxima.cluster[0], cl.statistic);
    std::int64_t beaten = 0;
    for (std::int64_t k = 1; k <= f.permutations; ++k)
      beaten += maxima.cluster[static_cast<std::size_t>(k)] >= cl.statistic;
    if (f.tail == Tail::less) cl.sign = -1;
    o.clusters.push_back(cl);
    o.p.push_back(permutation_p(beaten, f.permutations));
  }
  o.id = std::move(map.id);
  if (f.tfce) {
    o.tfce = tfce_map(f.rule, e, s, f.tfce_step);
    maxima.tfce[0] = *std::max_element(o.tfce.begin(), o.tfce.end());
  }
  return o;
}

}  // namespace

ObservedClusters observe_clusters(const AnalysisFrame& f, const RankTopology& t,
                                  std::span<const double> observed_s,
                                  std::span<const double> thresholds, NullMaxima& maxima) {
  const auto whole = gather_block_map(*t.group, *t.grid, observed_s);
  const Communicator& world = *t.world;
  ObservedClusters o;
  if (world.rank() == 0) o = label(f, whole, thresholds, maxima);
  o.id.resize(f.cells, -1);
  world.broadcast(std::span<std::int32_t>(o.id), 0);
  world.broadcast_values(o.clusters, 0);
  world.broadcast_values(o.p, 0);
  world.broadcast(std::span<double>(maxima.statistic), 0);
  world.broadcast(std::span<double>(maxima.cluster), 0);
  if (f.tfce) {
    o.tfce.resize(f.cells);
    world.broadcast(std::span<double>(o.tfce), 0);
    world.broadcast(std::span<double>(maxima.tfce), 0);
  }
  return o;
}

}  // namespace permrsa
