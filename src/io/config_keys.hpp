// The one table of a run config's keys (issue 16): for each section.key, how its TOML value is
// read into the RunSpec and how the RunSpec's value is printed back. The table drives the check
// for unknown keys, the parsing, and the resolved config stored in every results file. The
// defaults are the RunSpec's own member initialisers (include/permrsa/analysis_spec.hpp): a key
// that is absent leaves its default, and print(RunSpec{}) is the documented default.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "io/toml_guard.hpp"
#include "permrsa/analysis_spec.hpp"

namespace permrsa::io {

// What a key's parser needs besides its value.
struct KeyContext {
  std::string origin;  // the config's name, for messages
  std::string dotted;  // "section.key"
  // An input path as written (environment variables expanded, relative to the config's folder
  // or, when set with --set, to the current folder).
  std::function<std::string(const std::string&)> path;
  // A glob of per-subject files, expanded and sorted.
  std::function<std::vector<std::string>(const std::string&)> glob;
  [[noreturn]] void fail(const std::string& message) const;
};

struct KeyDescriptor {
  std::string section, key;
  std::function<void(const TomlValue&, RunSpec&, const KeyContext&)> parse;
  // The value as TOML, or nothing when it is unset and omitted from the resolved config.
  std::function<std::optional<std::string>(const RunSpec&)> print;
  std::string dotted() const { return section + "." + key; }
};

// In the order the resolved config prints them.
const std::vector<KeyDescriptor>& config_keys();
// The sections, in that order; [covariates] and [bootstrap] are printed only when the run has them.
std::vector<std::string> config_sections();

}  // namespace permrsa::io
