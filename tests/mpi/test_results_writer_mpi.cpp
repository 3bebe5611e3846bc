// write_results under mpirun: a synthetic result split into data blocks (and permutation
// groups) over the ranks gives the same file as one serial write of the whole result. "Same"
// is read back dataset by dataset and attribute by attribute, and checked with h5diff (no
// tolerance), as the run tests compare serial and MPI runs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <span>
#include <tuple>
#include <vector>

#include "io/h5_handles.hpp"
#include "mpi_test_support.hpp"
#include "permrsa/error.hpp"
#include "permrsa/process_grid.hpp"
#include "io/results_file.hpp"

namespace permrsa {
namespace {

using h5::hsize_t;
using test::SharedScratchDir;
using test::world;

constexpr std::size_t kLayers = 3, kTimes = 7;  // 7 divides by none of 2, 3, 4

RunSpec synthetic_spec() {
  RunSpec spec;
  spec.analysis.permutations = 10;
  spec.analysis.seed = 12345;
  spec.analysis.metric = Metric::pearson;
  spec.resolved_toml = "[analysis]\nmetric = \"pearson\"\npermutations = 10\n";
  return spec;
}

RsaProblem synthetic_problem() {
  RsaProblem problem;
  problem.stimuli = 6;
  problem.layers = {"conv1_1", "fc7", "layer-β"};
  for (std::size_t t = 0; t < kTimes; ++t) problem.times.push_back(-0.1 + 0.05 * double(t));
  problem.input_hashes = {{"brain.file", std::string(64, 'a')},
                          {"models.file", std::string(64, 'b')}};
  problem.block = {0, kLayers, 0, kTimes};
  return problem;
}

// The whole-grid result a serial run would have: maps with distinct values in every cell.
AnalysisResult whole_result(bool with_thresholds, bool with_clusters = true) {
  AnalysisResult r;
  r.block = {0, kLayers, 0, kTimes};
  r.observed = Matrix<double>(kLayers, kTimes);
  r.p_uncorrected = Matrix<double>(kLayers, kTimes);
  r.p_maxstat = Matrix<double>(kLayers, kTimes);
  r.p_cluster = Matrix<double>(kLayers, kTimes, 1.0);
  r.cluster_id = Matrix<std::int32_t>(kLayers, kTimes, -1);
  if (with_thresholds) r.cell_thresholds = Matrix<double>(kLayers, kTimes);
  for (std::size_t l = 0; l < kLayers; ++l) {
    for (std::size_t t = 0; t < kTimes; ++t) {
      r.observed(l, t) = std::sin(double(7 * l + t)) / 3.0;
      r.p_uncorrected(l, t) = double(1 + l + t) / 11.0;
      r.p_maxstat(l, t) = double(2 + l * t) / 11.0;
      if (with_thresholds) r.cell_thresholds(l, t) = 0.01 * double(l) + 0.001 * double(t);
    }
  }
  // Two clusters that straddle block boundaries: layer 1, t = 2..5, and layers 0..2 at t = 6.
  for (std::size_t t = 2; t <= 5; ++t) {
    r.cluster_id(1, t) = 0;
    r.p_cluster(1, t) = 1.0 / 11.0;
  }
  for (std::size_t l = 0; l < kLayers; ++l) {
    r.cluster_id(l, 6) = 1;
    r.p_cluster(l, 6) = 4.0 / 11.0;
  }
  r.clusters = {Cluster{1.25, 4, 1, 1, 2, 5, 1}, Cluster{-0.5, 3, 0, 2, 6, 6, -1}};
  r.cluster_p = {1.0 / 11.0, 4.0 / 11.0};
  if (!with_clusters) {  // empty /clusters/* datasets
    r.clusters.clear();
    r.cluster_p.clear();
    for (std::int32_t& id : r.cluster_id.values()) id = -1;
    for (double& p : r.p_cluster.values()) p = 1.0;
  }
  for (int k = 0; k <= 10; ++k) {
    r.null_max_statistic.push_back(0.1 * k);
    r.null_max_cluster.push_back(k % 3 == 0 ? 0.0 : 0.5 * k);
  }
  r.permutations = 10;
  return r;
}

template <class T>
Matrix<T> cut(const Matrix<T>& whole, const BlockRange& block) {
  if (whole.size() == 0) return whole;
  Matrix<T> out(block.layers(), block.times());
  for (std::size_t l = 0; l < block.layers(); ++l)
    for (std::size_t t = 0; t < block.times(); ++t)
      out(l, t) = whole(block.layer_begin + l, block.time_begin + t);
  return out;
}

// What rank r holds under `grid`: its block's maps; ranks of other permutation groups hold
// maps too (garbage here), which must not reach the file.
AnalysisResult rank_result(const AnalysisResult& whole, const ProcessGrid& grid, int rank) {
  AnalysisResult r = whole;
  r.block = grid.block(grid.block_of(rank));
  r.writes_maps = grid.group_of(rank) == 0;
  r.observed = cut(whole.observed, r.block);
  r.p_uncorrected = cut(whole.p_uncorrected, r.block);
  r.p_maxstat = cut(whole.p_maxstat, r.block);
  r.p_cluster = cut(whole.p_cluster, r.block);
  r.cluster_id = cut(whole.cluster_id, r.block);
  r.cell_thresholds = cut(whole.cell_thresholds, r.block);
  if (!r.writes_maps) {
    for (double& v : r.observed.values()) v = -999.0;
    for (std::int32_t& v : r.cluster_id.values()) v = -999;
  }
  return r;
}

ProcessGrid make_grid(int layer_blocks, int time_blocks, int groups) {
  ProcessGrid grid;
  grid.layer_blocks = layer_blocks;
  grid.time_blocks = time_blocks;
  grid.data_blocks = layer_blocks * time_blocks;
  grid.perm_groups = groups;
  grid.layers = kLayers;
  grid.times = kTimes;
  grid.permutations = 10;
  return grid;
}

// The grids for n ranks: time blocks, layer blocks (more ranks than layers with n = 4) and,
// for an even n, half as many blocks in two permutation groups.
std::vector<ProcessGrid> grids_for(int n) {
  std::vector<ProcessGrid> grids = {make_grid(1, n, 1), make_grid(n, 1, 1)};
  if (n % 2 == 0) grids.push_back(make_grid(1, n / 2, 2));
  if (n == 4) grids.push_back(make_grid(2, 2, 1));
  return grids;
}

const std::vector<std::string> kDatasets = {"/observed",
                                            "/p_uncorrected",
                                            "/p_maxstat",
                                            "/p_cluster",
                                            "/cluster_id",
                                            "/clusters/statistic",
                                            "/clusters/p",
                                            "/clusters/size",
                                            "/clusters/layer_first",
                                            "/clusters/layer_last",
                                            "/clusters/time_first",
                                            "/clusters/time_last",
                                            "/clusters/sign",
                                            "/null/max_statistic",
                                            "/null/max_cluster",
                                            "/axes/time"};

// Rank 0 compares the two files: same datasets (types, shapes, values), same root attributes.
void expect_same_file(const std::string& distributed, const std::string& serial,
                      bool with_thresholds) {
  const h5::File a = h5::File::open_read(distributed);
  const h5::File b = h5::File::open_read(serial);
  std::vector<std::string> datasets = kDatasets;
  if (with_thresholds) datasets.push_back("/null/cell_threshold");
  EXPECT_EQ(a.exists("/null/cell_threshold"), with_thresholds);
  for (const std::string& name : datasets) {
    const h5::DatasetInfo ia = a.dataset_info(name), ib = b.dataset_info(name);
    EXPECT_EQ(ia.type_name(), ib.type_name()) << name;
    EXPECT_EQ(ia.shape, ib.shape) << name;
    EXPECT_EQ(a.read<double>(name), b.read<double>(name)) << name;
  }
  EXPECT_EQ(a.read_strings("/axes/layer"), b.read_strings("/axes/layer"));
  EXPECT_EQ(a.read_strings("/axes/layer"), synthetic_problem().layers);
  EXPECT_EQ(a.dataset_info("/axes/layer").type_size, b.dataset_info("/axes/layer").type_size);
  EXPECT_EQ(a.attribute_names("/"), b.attribute_names("/"));
  for (const char* name :
       {"permrsa_version", "config", "metric", "scheme", "tail", "precision", "cluster_threshold",
        "cluster_statistic", "connectivity", "sha256_brain_file", "sha256_models_file"}) {
    EXPECT_EQ(a.attribute_string("/", name), b.attribute_string("/", name)) << name;
  }
  EXPECT_EQ(a.attribute_uint64("/", "seed"), 12345u);
  EXPECT_EQ(a.attribute_int64("/", "permutations"), 10);
  EXPECT_EQ(a.attribute_int64("/", "stimuli"), 6);
  // h5diff (hdf5-tools) compares every dataset and attribute, bit for bit without -d/-p. It
  // exits 0 even when objects are "not comparable" (e.g. different types), so with -c every
  // such line must be h5diff's note on empty datasets (/clusters/* without clusters), which it
  // never compares.
  const std::string command = "h5diff -c " + distributed + " " + serial + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr) << command;
  std::string printed;
  char line[512];
  while (std::fgets(line, sizeof line, pipe) != nullptr) {
    const std::string text = line;
    printed += text;
    EXPECT_NE(text.find("is an empty dataset"), std::string::npos) << command << ": " << text;
  }
  const int status = ::pclose(pipe);
  EXPECT_EQ(status, 0) << command << "\n" << printed;
}

void expect_only(const SharedScratchDir& dir, const std::vector<std::string>& names) {
  std::vector<std::string> found;
  for (const auto& entry : std::filesystem::directory_iterator(dir.file("")))
    found.push_back(entry.path().filename().string());
  std::sort(found.begin(), found.end());
  EXPECT_EQ(found, names) << "temporary files left behind?";
}

// (with cell thresholds?, with clusters?)
class DistributedResults : public testing::TestWithParam<std::tuple<bool, bool>> {};

TEST_P(DistributedResults, BlocksWrittenByEveryRankEqualOneSerialWriteOfTheWhole) {
  const auto [with_thresholds, with_clusters] = GetParam();
  SharedScratchDir dir;
  ASSERT_TRUE(dir.valid());
  const RunSpec spec = synthetic_spec();
  const RsaProblem problem = synthetic_problem();
  const AnalysisResult whole = whole_result(with_thresholds, with_clusters);
  const int n = world().size(), r = world().rank();

  // The serial reference: rank 0 alone, serial communicator, a plain HDF5 file.
  const std::string serial = dir.file("serial.h5");
  if (r == 0) write_results(serial, spec, problem, whole, *make_serial_communicator());
  world().barrier();

  int index = 0;
  for (const ProcessGrid& grid : grids_for(n)) {
    ASSERT_EQ(grid.ranks(), n);
    const std::string path = dir.file("grid" + std::to_string(index++) + ".h5");
    RsaProblem mine = problem;
    mine.block = grid.block(grid.block_of(r));
    write_results(path, spec, mine, rank_result(whole, grid, r), world());
    world().barrier();
    if (r == 0) {
      SCOPED_TRACE(grid.describe());
      expect_same_file(path, serial, with_thresholds);
    }
  }
  world().barrier();
  if (r == 0) {
    std::vector<std::string> names = {"serial.h5"};
    for (int i = 0; i < index; ++i) names.push_back("grid" + std::to_string(i) + ".h5");
    std::sort(names.begin(), names.end());
    expect_only(dir, names);
  }
}

INSTANTIATE_TEST_SUITE_P(Contents, DistributedResults,
                         testing::Combine(testing::Bool(), testing::Bool()),
                         [](const testing::TestParamInfo<std::tuple<bool, bool>>& contents) {
                           return std::string(std::get<0>(contents.param) ? "Thresholds"
                                                                          : "NoThresholds") +
                                  (std::get<1>(contents.param) ? "Clusters" : "NoClusters");
                         });

TEST(DistributedResultsFailure, LeavesNoFileWhenTheFolderIsMissing) {
  SharedScratchDir dir;
  ASSERT_TRUE(dir.valid());
  const std::string path = dir.file("missing/results.h5");
  bool threw = false;
  try {
    write_results(path, synthetic_spec(), synthetic_problem(), whole_result(false), world());
  } catch (const RuntimeFailure&) {
    threw = true;
  }
  EXPECT_TRUE(threw);
  world().barrier();
  if (world().rank() == 0) expect_only(dir, {});
}

TEST(DistributedResultsFailure, AllRanksRefuseWhenOneRanksMapsDoNotMatchItsBlock) {
  // The last rank's maps are one cell short: every rank throws, none waits inside HDF5.
  SharedScratchDir dir;
  ASSERT_TRUE(dir.valid());
  const int n = world().size(), r = world().rank();
  const ProcessGrid grid = make_grid(1, n, 1);
  AnalysisResult mine = rank_result(whole_result(false), grid, r);
  if (r == n - 1) mine.observed = Matrix<double>(0, 0);
  bool threw = false;
  try {
    write_results(dir.file("results.h5"), synthetic_spec(), synthetic_problem(), mine, world());
  } catch (const InternalError&) {
    threw = true;
  }
  EXPECT_TRUE(threw);
  world().barrier();
  if (r == 0) expect_only(dir, {});
}

}  // namespace
}  // namespace permrsa
