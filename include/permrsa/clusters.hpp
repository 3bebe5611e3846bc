// Clusters of supra-threshold cells on the layer x time grid.
//
// Cells join when both pass the threshold and are neighbours: adjacent time points of one
// layer (`time`), or also the same time point of adjacent layers (`layer-time`, 4-neighbour).
// With split_by_sign (two-sided tests) neighbours join only when their statistic s has the
// same sign (s >= 0 counts as positive), so clusters never mix positive and negative cells.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "permrsa/analysis_spec.hpp"

namespace permrsa {

struct Cluster {
  double statistic = 0;  // mass: sum of e over the cells (row-major order); size: cell count
  std::int64_t size = 0;
  std::int64_t layer_first = 0, layer_last = 0, time_first = 0, time_last = 0;
  std::int8_t sign = 1;
};

// Clusters as columns: the layout of /clusters/* in the results file and the Python module.
struct ClusterColumns {
  std::vector<double> statistic;
  std::vector<std::int64_t> size, layer_first, layer_last, time_first, time_last;
  std::vector<std::int8_t> sign;
};
ClusterColumns cluster_columns(const std::vector<Cluster>& clusters);

struct ClusterMap {
  std::vector<std::int32_t> id;   // L*T, -1 outside clusters
  std::vector<Cluster> clusters;  // numbered by their first cell in a row-major scan
};

struct ClusterRule {
  std::size_t layers = 0, times = 0;
  Connectivity connectivity = Connectivity::time;
  ClusterStatistic statistic = ClusterStatistic::mass;
  bool split_by_sign = false;
};

// e: oriented statistic, s: raw statistic (for the sign), pass: threshold mask; all L*T.
ClusterMap find_clusters(const ClusterRule& rule, std::span<const double> e,
                         std::span<const double> s, std::span<const std::uint8_t> pass);

// The largest cluster statistic, or 0 when no cell passes: bit-equal to the largest statistic of
// find_clusters() (the same sums in the same row-major order), without building the map. For
// the null distribution: one call per permutation, no allocation after the first on a thread.
double max_cluster_statistic(const ClusterRule& rule, std::span<const double> e,
                             std::span<const double> s, std::span<const std::uint8_t> pass);
// The same with pass = e > threshold, cell by cell.
double max_cluster_statistic(const ClusterRule& rule, std::span<const double> e,
                             std::span<const double> s, std::span<const double> threshold);
// The same with the passing cells, and with split_by_sign those of them whose s is negative,
// given as bits (cell c at bit c % 64 of word c / 64): e is read at passing cells only (pass 2
// over the map cache's kept cells, core/map_cache.hpp).
double max_cluster_statistic(const ClusterRule& rule, std::span<const double> e,
                             std::span<const std::uint64_t> pass,
                             std::span<const std::uint64_t> negative);

}  // namespace permrsa
