// The embedded default analysis: the synthetic data (permrsa/simulate.hpp) with this config.
#pragma once

#include <string>
#include <vector>

#include "permrsa/analysis_spec.hpp"

namespace permrsa::cli {

// The config `permrsa simulate` writes next to its data (file names relative to it), and the
// one `permrsa run` uses with no config.
std::string demo_config_toml();

RunSpec demo_run_spec(const std::vector<std::string>& overrides);

}  // namespace permrsa::cli
