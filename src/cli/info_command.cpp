// `permrsa info results.h5`: a human summary of a results file.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <numeric>

#include "cli/commands.hpp"
#include "io/h5_handles.hpp"
#include "permrsa/error.hpp"
#include "permrsa/input_file.hpp"

namespace permrsa::cli {
namespace {

int info(const std::string& path) {
  require_regular_file(path, path + ": results file");
  h5::File f = [&] {
    try {
      return h5::File::open_read(path);
    } catch (const std::exception& e) {
      throw InputError(path + ": results file: expected an HDF5 file written by permrsa run (" + e.what() + ")");
    }
  }();
  for (const char* required : {"/observed", "/p_cluster", "/clusters/p", "/axes/time", "/axes/layer"})
    if (!f.exists(required))
      throw InputError(path + ": results file: expected dataset " + std::string(required) +
                       " (is this a permrsa results file?)");
  std::vector<hsize_t> shape;
  const auto observed = f.read<double>("/observed", &shape);
  const std::size_t L = shape.at(0), T = shape.at(1);
  const auto p_unc = f.read<double>("/p_uncorrected");
  const auto p_max = f.read<double>("/p_maxstat");
  const auto times = f.read<double>("/axes/time");
  const auto layers = f.read_strings("/axes/layer");
  const auto cp = f.read<double>("/clusters/p");
  const auto cstat = f.read<double>("/clusters/statistic");
  const auto csize = f.read<std::int64_t>("/clusters/size");
  const auto lf = f.read<std::int64_t>("/clusters/layer_first");
  const auto ll = f.read<std::int64_t>("/clusters/layer_last");
  const auto tf = f.read<std::int64_t>("/clusters/time_first");
  const auto tl = f.read<std::int64_t>("/clusters/time_last");

  std::printf("%s\n", path.c_str());
  std::printf("  permrsa %s, scheme %s, metric %s, tail %s, K = %lld permutations, seed %llu\n",
              f.attribute_string("/", "permrsa_version").c_str(), f.attribute_string("/", "scheme").c_str(),
              f.attribute_string("/", "metric").c_str(), f.attribute_string("/", "tail").c_str(),
              static_cast<long long>(f.attribute_int64("/", "permutations")),
              static_cast<unsigned long long>(f.attribute_uint64("/", "seed")));
  std::printf("  %zu layers x %zu time points (%.4g s to %.4g s)\n", L, T, times.front(), times.back());
  const auto count = [](const std::vector<double>& p) {
    return std::count_if(p.begin(), p.end(), [](double v) { return v <= 0.05; });
  };
  std::printf("  cells with p <= 0.05: uncorrected %ld, max-statistic (FWER) %ld\n",
              static_cast<long>(count(p_unc)), static_cast<long>(count(p_max)));

  std::vector<std::size_t> order(cp.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return cp[a] < cp[b]; });
  std::printf("  clusters: %zu (%ld with p <= 0.05)\n", cp.size(),
              static_cast<long>(count(cp)));
  const std::size_t shown = std::min<std::size_t>(order.size(), 15);
  for (std::size_t i = 0; i < shown; ++i) {
    const auto c = order[i];
    const auto lname = [&](std::int64_t l) { return layers.at(static_cast<std::size_t>(l)).c_str(); };
    std::printf("    cluster %zu: p = %.4g, statistic %.4g, %lld cells, layers %s..%s, %.4g s to %.4g s\n", c,
                cp[c], cstat[c], static_cast<long long>(csize[c]), lname(lf[c]), lname(ll[c]),
                times.at(static_cast<std::size_t>(tf[c])), times.at(static_cast<std::size_t>(tl[c])));
  }
  if (order.size() > shown) std::printf("    ... %zu more\n", order.size() - shown);
  std::printf("  peak per layer (observed statistic, time, max-statistic p):\n");
  for (std::size_t l = 0; l < L; ++l) {
    std::size_t best = 0;
    for (std::size_t t = 1; t < T; ++t)
      if (observed[l * T + t] > observed[l * T + best]) best = t;
    std::printf("    %-16s %8.4f at %.4g s  p = %.4g\n", layers.at(l).c_str(), observed[l * T + best],
                times[best], p_max[l * T + best]);
  }
  return 0;
}

}  // namespace

std::function<int()> add_info_command(CLI::App& app, GlobalOptions&) {
  auto path = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("info", "Summarise a results file: clusters, peaks, significant cells");
  cmd->add_option("results", *path, "results.h5 written by permrsa run")->required();
  return [path] { return info(*path); };
}

}  // namespace permrsa::cli
