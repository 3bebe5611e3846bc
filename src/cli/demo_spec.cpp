#include "cli/demo_spec.hpp"

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

RunSpec demo_run_spec(const std::vector<std::string>& overrides) {
  auto spec = parse_run_spec(demo_config_toml(), "<embedded demo>", "", overrides);
  spec.source = "<embedded demo>";
  return spec;
}

}  // namespace permrsa::cli
