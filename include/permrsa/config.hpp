// Reading a run's TOML config into a RunSpec.
#pragma once

#include <string>
#include <vector>

#include "permrsa/analysis_spec.hpp"

namespace permrsa {

// Parses `path` and applies `overrides` ("section.key=value", value in TOML syntax or a bare
// word). Input paths in the file are relative to its folder; paths given with --set and
// output.file are relative to the current directory. Unknown sections or keys, wrong types and
// invalid values throw InputError naming the file and the key, and listing the valid choices.
RunSpec load_run_spec(const std::string& path, const std::vector<std::string>& overrides);

// The same from TOML text (for the embedded demo and tests); `origin` names it in messages and
// `base_dir` resolves its relative input paths.
RunSpec parse_run_spec(const std::string& toml_text, const std::string& origin,
                       const std::string& base_dir, const std::vector<std::string>& overrides);

// The full config with every default filled in, as TOML (stored in the results file).
std::string to_toml(const RunSpec& spec);

}  // namespace permrsa
