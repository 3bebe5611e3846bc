#include "cli/demo_spec.hpp"

#include <string>

#include "permrsa/config.hpp"

namespace permrsa::cli {

std::string demo_config_toml() {
  return R"(# permrsa demo: synthetic data with planted effects (see README.txt beside this file).
[brain]
file = "brain.npy"        # P x T
layout = "pairs-time"
times = "times.npy"

[models]
file = "models.npy"       # L x P dissimilarities
kind = "dissimilarity"
names = "layers.txt"

[analysis]
scheme = "stimulus"
metric = "spearman"
permutations = 1000
seed = 1
tail = "greater"
precision = "float32"

[correction]
cluster_threshold = "permutation-p"
cluster_alpha = 0.05
cluster_statistic = "mass"
connectivity = "time"

[output]
file = "results.h5"
)";
}

namespace {

// --set analysis.generalise=true: the time x time generalisation of the demo's brain, which
// uses no models (the config refuses them), so the demo's [models] is left out.
bool generalise_requested(const std::vector<std::string>& overrides) {
  auto trimmed = [](std::string text) {
    const auto first = text.find_first_not_of(" \t");
    const auto last = text.find_last_not_of(" \t");
    return first == std::string::npos ? std::string() : text.substr(first, last - first + 1);
  };
  for (const auto& o : overrides) {
    const auto eq = o.find('=');
    if (eq != std::string::npos && trimmed(o.substr(0, eq)) == "analysis.generalise" &&
        trimmed(o.substr(eq + 1)) == "true")
      return true;
  }
  return false;
}

}  // namespace

RunSpec demo_run_spec(const std::vector<std::string>& overrides) {
  std::string toml = demo_config_toml();
  if (generalise_requested(overrides))
    toml.erase(toml.find("[models]"), toml.find("[analysis]") - toml.find("[models]"));
  auto spec = parse_run_spec(toml, "<embedded demo>", "", overrides);
  spec.source = "<embedded demo>";
  return spec;
}

}  // namespace permrsa::cli
