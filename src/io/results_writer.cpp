#include <unistd.h>

#include <filesystem>

#include "io/h5_handles.hpp"
#include "permrsa/error.hpp"
#include "permrsa/results_file.hpp"

namespace permrsa {
namespace {

namespace fs = std::filesystem;

void write_contents(h5::File& f, const RunSpec& spec, const RsaProblem& problem,
                    const AnalysisResult& r) {
  const hsize_t L = r.observed.rows(), T = r.observed.cols();
  const std::vector<hsize_t> grid{L, T};
  f.write<double>("/observed", r.observed.values(), grid);
  f.write<double>("/p_uncorrected", r.p_uncorrected.values(), grid);
  f.write<double>("/p_maxstat", r.p_maxstat.values(), grid);
  f.write<double>("/p_cluster", r.p_cluster.values(), grid);
  f.write<std::int32_t>("/cluster_id", r.cluster_id.values(), grid);

  const hsize_t n = r.clusters.size();
  std::vector<double> statistic;
  std::vector<std::int64_t> size, lf, ll, tf, tl;
  std::vector<std::int8_t> sign;
  for (const auto& c : r.clusters) {
    statistic.push_back(c.statistic);
    size.push_back(c.size);
    lf.push_back(c.layer_first);
    ll.push_back(c.layer_last);
    tf.push_back(c.time_first);
    tl.push_back(c.time_last);
    sign.push_back(c.sign);
  }
  f.write<double>("/clusters/statistic", statistic, {n});
  f.write<double>("/clusters/p", r.cluster_p, {n});
  f.write<std::int64_t>("/clusters/size", size, {n});
  f.write<std::int64_t>("/clusters/layer_first", lf, {n});
  f.write<std::int64_t>("/clusters/layer_last", ll, {n});
  f.write<std::int64_t>("/clusters/time_first", tf, {n});
  f.write<std::int64_t>("/clusters/time_last", tl, {n});
  f.write<std::int8_t>("/clusters/sign", sign, {n});

  const hsize_t k1 = r.null_max_statistic.size();
  f.write<double>("/null/max_statistic", r.null_max_statistic, {k1});
  f.write<double>("/null/max_cluster", r.null_max_cluster, {k1});
  if (!r.cell_thresholds.empty()) f.write<double>("/null/cell_threshold", r.cell_thresholds, grid);

  f.write<double>("/axes/time", problem.times, {T});
  f.write_strings("/axes/layer", problem.layers);

  f.set_attribute("/", "permrsa_version", std::string(PERMRSA_VERSION));
  f.set_attribute("/", "config", spec.resolved_toml);
  f.set_attribute("/", "seed", static_cast<std::uint64_t>(spec.analysis.seed));
  f.set_attribute("/", "permutations", static_cast<std::int64_t>(r.permutations));
  f.set_attribute("/", "metric", std::string(to_string(spec.analysis.metric)));
  f.set_attribute("/", "scheme", std::string(to_string(spec.analysis.scheme)));
  f.set_attribute("/", "tail", std::string(to_string(spec.analysis.tail)));
  f.set_attribute("/", "precision", std::string(to_string(spec.analysis.precision)));
  f.set_attribute("/", "cluster_threshold", std::string(to_string(spec.correction.cluster_threshold)));
  f.set_attribute("/", "cluster_statistic", std::string(to_string(spec.correction.cluster_statistic)));
  f.set_attribute("/", "connectivity", std::string(to_string(spec.correction.connectivity)));
  f.set_attribute("/", "stimuli", static_cast<std::int64_t>(problem.stimuli));
  for (const auto& [key, sha] : problem.input_hashes) {
    std::string name = "sha256_" + key;
    for (auto& ch : name) ch = ch == '.' ? '_' : ch;
    f.set_attribute("/", name, sha);
  }
}

}  // namespace

void check_output_location(const std::string& path) {
  const auto parent = fs::absolute(fs::path(path)).parent_path();
  if (!fs::is_directory(parent))
    throw InputError(path + " (output.file): expected an existing folder for the results, found no folder " +
                     parent.string());
}

void write_results(const std::string& path, const RunSpec& spec, const RsaProblem& problem,
                   const AnalysisResult& result) {
  const std::string temp = path + ".tmp-" + std::to_string(::getpid());
  try {
    auto f = h5::File::create(temp);
    write_contents(f, spec, problem, result);
    f.close();
    fs::rename(temp, path);
  } catch (...) {
    std::error_code ignored;
    fs::remove(temp, ignored);
    throw;
  }
}

}  // namespace permrsa
