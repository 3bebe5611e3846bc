// Reading a run's TOML config into a RunSpec.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
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

// A setting given as a value rather than TOML text (the Python module's keyword arguments).
// Integer lists are brain.groups; lists of string lists contrasts.pairs.
using SettingValue = std::variant<bool, std::int64_t, double, std::string, std::vector<double>,
                                  std::vector<std::string>, std::vector<std::int64_t>,
                                  std::vector<std::vector<std::string>>>;

// The same specification from settings ("section.key", value), read through the same key table
// as a config file; `sections` are present even without keys (an empty [bootstrap] turns the
// bootstrap on). Paths are relative to the current folder; `origin` names the settings in
// messages.
RunSpec spec_from_settings(const std::vector<std::pair<std::string, SettingValue>>& settings,
                           const std::vector<std::string>& sections, const std::string& origin);

// The full config with every default filled in, as TOML (stored in the results file).
std::string to_toml(const RunSpec& spec);

}  // namespace permrsa
