// TOML config -> RunSpec. The table of known keys below is the one place that names them.
#include <glob.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <toml.hpp>

#include "io/config_keys.hpp"
#include "io/generalisation_config.hpp"
#include "io/seed_data_folder.hpp"
#include "io/toml_guard.hpp"
#include "permrsa/config.hpp"
#include "permrsa/error.hpp"
#include "permrsa/input_file.hpp"

namespace permrsa {
namespace {

namespace fs = std::filesystem;
using Value = io::TomlValue;

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

[[noreturn]] void fail(const std::string& origin, const std::string& key, const std::string& msg) {
  throw InputError(origin + ": " + key + ": " + msg);
}

std::vector<std::string> keys_of(const std::string& section) {
  std::vector<std::string> out;
  for (const auto& k : io::config_keys())
    if (k.section == section) out.push_back(k.key);
  return out;
}

// Every section and key must be in the table (io/config_keys.cpp), which lists the valid ones.
void check_keys(const Value& root, const std::string& origin) {
  if (!root.is_table()) throw InputError(origin + ": expected a TOML table at the top level");
  auto sections = io::config_sections();
  std::sort(sections.begin(), sections.end());
  for (const auto& [section, table] : root.as_table()) {
    if (std::find(sections.begin(), sections.end(), section) == sections.end())
      fail(origin, "[" + section + "]", "unknown section; valid sections: " + join(sections));
    if (!table.is_table())
      fail(origin, section, "expected a table [" + section + "], found a value");
    const auto valid = keys_of(section);
    for (const auto& [key, value] : table.as_table())
      if (std::find(valid.begin(), valid.end(), key) == valid.end())
        fail(origin, section + "." + key,
             "unknown key; valid keys in [" + section + "]: " + join(valid));
  }
}

// "a.b=value": the value is TOML (`3`, `"x"`, `[1, 2]`, `true`) or else taken as a bare string.
void apply_override(Value& root, const std::string& text) {
  const auto eq = text.find('=');
  const auto dot = text.find('.');
  if (eq == std::string::npos || dot == std::string::npos || dot > eq)
    throw InputError("--set " + text +
                     ": expected section.key=value, e.g. analysis.metric=pearson");
  const std::string section = text.substr(0, dot);
  const std::string key = text.substr(dot + 1, eq - dot - 1);
  const std::string raw = text.substr(eq + 1);
  const std::string name = "--set " + section + "." + key;
  // One --set sets one key: a line break would let a second "key = value" line ride along
  // (and be dropped without a word).
  if (raw.find_first_of("\n\r") != std::string::npos)
    throw InputError(name +
                     ": the value holds a line break; one --set sets one key (give --set "
                     "once per key)");
  const std::string line = "v = " + raw;
  io::check_toml_text(line, name);
  Value parsed(raw);  // a bare word, unless the value is TOML
  std::size_t keys = 1;
  try {
    std::istringstream in(line);
    const Value table = toml::parse<toml::discard_comments, std::map, std::vector>(in, name);
    keys = table.as_table().size();
    parsed = table.at("v");
  } catch (const std::exception&) {
    // not TOML: the bare word stands
  }
  if (keys != 1)
    throw InputError(name + ": expected one value, found " + std::to_string(keys) + " keys");
  if (!root.contains(section)) root.as_table()[section] = Value(typename Value::table_type{});
  root.as_table()[section].as_table()[key] = parsed;
}

std::string resolve_path(const std::string& spec, const std::string& base_dir) {
  if (spec.empty()) return spec;
  fs::path p(spec);
  if (p.is_absolute() || base_dir.empty()) return spec;
  return (fs::path(base_dir) / p).lexically_normal().string();
}

// ${PERMRSA_SEED_DATA:-default} without the variable: the default (relative to the config's
// folder: ../shared/data/seed-eeg-vgg16 beside the repository in config/seed-eeg-vgg16.toml),
// else the fetch tool's cache folder (io/seed_data_folder.hpp). Neither: a clear error.
std::string seed_data_fallback(const std::string& fallback, const std::string& base_dir,
                               const std::string& origin, const std::string& key) {
  const std::string beside = resolve_path(fallback, base_dir);
  if (const auto found = find_seed_data_folder(beside)) return *found;
  fail(origin, key, seed_data_missing_message(beside));
}

// ${NAME} and ${NAME:-default} in paths are replaced from the environment, so one config can
// point at data that lives in different places on different machines.
std::string expand_environment(const std::string& text, const std::string& origin,
                               const std::string& key, const std::string& base_dir) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    const auto open = text.find("${", i);
    if (open == std::string::npos) break;
    const auto close = text.find('}', open);
    if (close == std::string::npos) fail(origin, key, "unterminated ${ in \"" + text + "\"");
    out += text.substr(i, open - i);
    std::string name = text.substr(open + 2, close - open - 2), fallback;
    bool has_fallback = false;
    if (const auto dash = name.find(":-"); dash != std::string::npos) {
      fallback = name.substr(dash + 2);
      name = name.substr(0, dash);
      has_fallback = true;
    }
    const char* value = std::getenv(name.c_str());
    if (value && *value)
      out += value;
    else if (has_fallback && name == seed_data_variable)
      out += seed_data_fallback(fallback, base_dir, origin, key);
    else if (has_fallback)
      out += fallback;
    else
      fail(origin, key, "environment variable " + name + " is not set (used in \"" + text + "\")");
    i = close + 1;
  }
  return out + text.substr(i);
}

// "dir/sub-*.mat:rdm_time" -> the sorted matching files, each with the ":rdm_time" suffix.
std::vector<std::string> expand_glob(const std::string& pattern, const std::string& origin,
                                     const std::string& key) {
  const auto slash = pattern.find_last_of('/');
  const auto colon = pattern.find(':', slash == std::string::npos ? 0 : slash);
  const std::string files = pattern.substr(0, colon);
  const std::string suffix = colon == std::string::npos ? "" : pattern.substr(colon);
  glob_t found{};
  const int rc = ::glob(files.c_str(), 0, nullptr, &found);
  std::vector<std::string> out;
  if (rc == 0)
    for (std::size_t i = 0; i < found.gl_pathc; ++i)
      out.push_back(std::string(found.gl_pathv[i]) + suffix);
  ::globfree(&found);
  if (out.empty()) fail(origin, key, "expected files matching \"" + files + "\", found none");
  std::sort(out.begin(), out.end());
  return out;
}

// The checks that span several keys, after every key is read (each key's own checks are in
// the table).
void check_brain(const RunSpec& spec, const Value& root, const std::string& origin) {
  const auto& b = spec.brain;
  const bool maps_given = b.layout == BrainLayout::subjects_layers_time;
  if (!b.files.empty() && !b.file.empty())
    fail(origin, "brain.files",
         "give either brain.file or brain.files (one file per subject), not both");
  if (b.files.empty() && b.file.empty())
    fail(origin, "brain.file", "is required (the P x T brain RDMs, or N x P x T per subject)");
  if (maps_given && !b.files.empty())
    fail(origin, "brain.layout",
         "\"subjects-layers-time\" takes one N x L x T array in brain.file, "
         "not brain.files");
  if (!b.files.empty() && b.layout == BrainLayout::subjects_pairs_time)
    fail(origin, "brain.layout",
         "with brain.files each file is one subject: expected \"pairs-time\" or "
         "\"time-pairs\", found \"subjects-pairs-time\"");
  if (!b.times.empty() && (b.time_start || b.time_step))
    fail(origin, "brain.times", "give either times or time_start/time_step, not both");
  if (b.baseline && maps_given)
    fail(origin, "brain.baseline",
         "applies to brain RDMs, not to the correlation maps of "
         "brain.layout = \"subjects-layers-time\"");
  (void)root;
}

// Which group statistics a scheme has, and the groups of the two-group scheme.
void check_group_statistic(const RunSpec& spec, const std::string& origin) {
  const auto& a = spec.analysis;
  const auto g = a.group_statistic;
  const bool two = a.scheme == Scheme::two_group;
  if (two && g != GroupStatistic::welch_t && g != GroupStatistic::mean_difference &&
      g != GroupStatistic::f)
    fail(origin, "analysis.group_statistic",
         std::string("the two-group scheme compares groups: expected \"welch-t\" (the default), "
                     "\"mean-difference\" or \"f\", found \"") +
             to_string(g) + "\"");
  if (!two && g != GroupStatistic::t && g != GroupStatistic::mean)
    fail(origin, "analysis.group_statistic",
         std::string("\"") + to_string(g) +
             "\" compares two groups: it needs analysis.scheme = \"two-group\"; expected "
             "\"t\" or \"mean\"");
  if (g == GroupStatistic::f && a.tail != Tail::greater)
    fail(origin, "analysis.tail",
         std::string("the F statistic is >= 0 and large for any group difference: expected "
                     "\"greater\" (as MNE's permutation_cluster_test, tail = 1), found \"") +
             to_string(a.tail) + "\"");
  if (two && !spec.per_subject())
    fail(origin, "analysis.scheme",
         "\"two-group\" needs per-subject data: brain.files_a and brain.files_b, or "
         "brain.files / brain.layout = \"subjects-pairs-time\" or \"subjects-layers-time\" "
         "with brain.groups");
  if (two && spec.brain.groups.empty())
    fail(origin, "brain.groups",
         "\"two-group\" needs each subject's group: brain.groups (0 or 1 per subject) or "
         "brain.files_a and brain.files_b");
  if (!two && !spec.brain.groups.empty())
    fail(origin, "brain.groups",
         "groups apply to analysis.scheme = \"two-group\" only; found scheme \"" +
             std::string(to_string(a.scheme)) + "\"");
}

void check_models_and_analysis(const RunSpec& spec, const std::string& origin) {
  const bool maps_given = spec.brain.layout == BrainLayout::subjects_layers_time;
  if (spec.models.file.empty() && !maps_given && !spec.analysis.generalise)
    fail(origin, "models.file", "is required (L x P or L x S x S)");
  if (!spec.models.file.empty() && maps_given)
    fail(origin, "models.file",
         "brain.layout = \"subjects-layers-time\" gives the model-brain maps "
         "themselves: expected no models.file (models.names may name the layers)");
  const auto& a = spec.analysis;
  if (maps_given && a.scheme == Scheme::stimulus)
    fail(origin, "analysis.scheme",
         "per-subject maps (brain.layout = \"subjects-layers-time\") can only "
         "be tested with \"sign-flip\" or \"two-group\"; the stimulus scheme needs the RDMs");
  if (a.scheme == Scheme::sign_flip && !spec.per_subject())
    fail(origin, "analysis.scheme",
         "\"sign-flip\" needs per-subject brain RDMs: brain.files, or "
         "brain.layout = \"subjects-pairs-time\"");
  if (a.permutations < 1 && a.permutation_file.empty())
    fail(origin, "analysis.permutations",
         "expected K >= 1 permutations, found " + std::to_string(a.permutations));
  check_group_statistic(spec, origin);
  if (spec.correction.cluster_threshold == ClusterThreshold::t_default &&
      a.group_statistic != GroupStatistic::t && a.group_statistic != GroupStatistic::welch_t &&
      a.group_statistic != GroupStatistic::f)
    fail(origin, "correction.cluster_threshold",
         "\"t-default\" (the Student t or F quantile, as MNE) needs a t or F statistic: "
         "analysis.scheme = \"sign-flip\" with group_statistic = \"t\", or \"two-group\" "
         "with \"welch-t\" or \"f\"");
  const auto& c = spec.covariates;
  if (c.enabled && c.file.empty() && c.layers.empty())
    fail(origin, "[covariates]",
         "expected covariates.file and/or covariates.layers (the RDMs to "
         "partial out), found neither");
  if (c.enabled && c.file.empty() && !c.names.empty())
    fail(origin, "covariates.names", "names the rows of covariates.file, which is not set");
  if (c.enabled && c.file.empty() && !c.stimuli.empty())
    fail(origin, "covariates.stimuli",
         "names the stimuli of covariates.file's RDMs, which is not set (covariates.layers "
         "follow the models' stimuli)");
  if (c.enabled && c.permute == CovariatePermute::freedman_lane &&
      (c.method != CovariateMethod::formula ||
       (a.metric != Metric::pearson && a.metric != Metric::spearman)))
    fail(origin, "covariates.permute",
         "\"freedman-lane\" permutes the brain's least-squares residuals: it needs "
         "covariates.method = \"formula\" and analysis.metric = \"pearson\" or \"spearman\" "
         "(found method \"" +
             std::string(to_string(c.method)) + "\", metric \"" + to_string(a.metric) + "\")");
  if (c.enabled && c.permute == CovariatePermute::freedman_lane && a.scheme != Scheme::stimulus)
    fail(origin, "covariates.permute",
         std::string("\"freedman-lane\" permutes stimulus labels; the ") + to_string(a.scheme) +
             " scheme permutes none: expected \"model\" (the default)");
  if (c.enabled && maps_given)
    fail(origin, "[covariates]",
         "partial correlations need brain RDMs, not the correlation maps of "
         "brain.layout = \"subjects-layers-time\"");
  if (spec.bootstrap.enabled && !spec.per_subject())
    fail(origin, "[bootstrap]",
         "resamples subjects: it needs per-subject brain RDMs (brain.files, or "
         "brain.layout = \"subjects-pairs-time\")");
  if (spec.bootstrap.enabled && a.scheme == Scheme::two_group)
    fail(origin, "[bootstrap]",
         "resamples the subjects of one group's latencies; the two-group scheme compares two "
         "groups: expected no [bootstrap] with analysis.scheme = \"two-group\"");
  if (!spec.contrasts.pairs.empty() && a.scheme != Scheme::sign_flip)
    fail(origin, "contrasts.pairs",
         a.scheme == Scheme::stimulus
             ? "the stimulus scheme has no valid contrast test: a permutation of the stimulus "
               "labels removes both layers' effects at once, so its null is that neither layer "
               "fits, not that they fit equally; expected analysis.scheme = \"sign-flip\" "
               "with per-subject data (the paired test of r_A - r_B across subjects)"
             : "contrasts are paired tests across the subjects of one group: expected "
               "analysis.scheme = \"sign-flip\", found \"two-group\"");
}

RunSpec build_spec(const Value& root, const std::string& origin, const std::string& base_dir,
                   const std::vector<std::string>& overridden_paths) {
  check_keys(root, origin);
  RunSpec spec;
  spec.source = origin;
  spec.bootstrap.enabled = root.contains("bootstrap");
  spec.covariates.enabled = root.contains("covariates");
  for (const auto& d : io::config_keys()) {
    if (!root.contains(d.section) || !root.at(d.section).contains(d.key)) continue;
    io::KeyContext k;
    k.origin = origin;
    k.dotted = d.dotted();
    // Input paths from the file are relative to its folder; those set on the command line to cwd.
    const bool from_cli = std::find(overridden_paths.begin(), overridden_paths.end(), k.dotted) !=
                          overridden_paths.end();
    const std::string base = from_cli ? std::string() : base_dir;
    k.path = [&, base, dotted = k.dotted](const std::string& text) {
      return resolve_path(expand_environment(text, origin, dotted, base), base);
    };
    k.glob = [&, dotted = k.dotted](const std::string& text) {
      return expand_glob(k.path(text), origin, dotted);
    };
    d.parse(root.at(d.section).at(d.key), spec, k);
  }
  // The two-group scheme's statistic defaults to Welch's t (the one-sample t is meaningless).
  const bool statistic_given =
      root.contains("analysis") && root.at("analysis").contains("group_statistic");
  if (spec.analysis.scheme == Scheme::two_group && !statistic_given)
    spec.analysis.group_statistic = GroupStatistic::welch_t;
  check_brain(spec, root, origin);
  io::apply_generalisation(
      spec, root.contains("correction") && root.at("correction").contains("connectivity"), origin);
  check_models_and_analysis(spec, origin);
  spec.resolved_toml = to_toml(spec);
  return spec;
}

RunSpec parse_value(Value root, const std::string& origin, const std::string& base_dir,
                    const std::vector<std::string>& overrides) {
  std::vector<std::string> overridden;
  for (const auto& o : overrides) {
    apply_override(root, o);
    overridden.push_back(o.substr(0, o.find('=')));
  }
  io::check_toml_numbers(root, origin);
  return build_spec(root, origin, base_dir, overridden);
}

}  // namespace

RunSpec parse_run_spec(const std::string& toml_text, const std::string& origin,
                       const std::string& base_dir, const std::vector<std::string>& overrides) {
  io::check_toml_text(toml_text, origin);  // before toml11 recurses into it
  Value root;
  try {
    std::istringstream in(toml_text);
    root = toml::parse<toml::discard_comments, std::map, std::vector>(in, origin);
  } catch (const toml::exception& e) {
    throw InputError(origin + ": not valid TOML: " + e.what());
  }
  return parse_value(std::move(root), origin, base_dir, overrides);
}

namespace {

Value setting_value(const SettingValue& v) {
  return std::visit(
      [](const auto& x) -> Value {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::vector<std::vector<std::string>>>) {
          typename Value::array_type a;
          for (const auto& inner : x) {
            typename Value::array_type b;
            for (const auto& e : inner) b.push_back(Value(e));
            a.push_back(Value(b));
          }
          return Value(a);
        } else if constexpr (std::is_same_v<T, std::vector<double>> ||
                             std::is_same_v<T, std::vector<std::string>> ||
                             std::is_same_v<T, std::vector<std::int64_t>>) {
          typename Value::array_type a;
          for (const auto& e : x) a.push_back(Value(e));
          return Value(a);
        } else {
          return Value(x);
        }
      },
      v);
}

}  // namespace

RunSpec spec_from_settings(const std::vector<std::pair<std::string, SettingValue>>& settings,
                           const std::vector<std::string>& sections, const std::string& origin) {
  Value root(typename Value::table_type{});
  for (const auto& section : sections)
    root.as_table()[section] = Value(typename Value::table_type{});
  std::vector<std::string> keys;
  for (const auto& [dotted, value] : settings) {
    const auto dot = dotted.find('.');
    if (dot == std::string::npos)
      throw InputError(origin + ": " + dotted + ": expected section.key");
    const std::string section = dotted.substr(0, dot);
    if (!root.contains(section)) root.as_table()[section] = Value(typename Value::table_type{});
    root.as_table()[section].as_table()[dotted.substr(dot + 1)] = setting_value(value);
    keys.push_back(dotted);
  }
  io::check_toml_numbers(root, origin);
  return build_spec(root, origin, "", keys);
}

RunSpec load_run_spec(const std::string& path, const std::vector<std::string>& overrides) {
  require_regular_file(path, path + ": config file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": config file: cannot be opened (does it exist?)");
  std::stringstream text;
  text << in.rdbuf();
  const auto dir = fs::absolute(fs::path(path)).parent_path().string();
  return parse_run_spec(text.str(), path, dir, overrides);
}

std::string to_toml(const RunSpec& s) {
  std::ostringstream o;
  std::string section;
  for (const auto& d : io::config_keys()) {
    if (d.section == "bootstrap" && !s.bootstrap.enabled) continue;
    if (d.section == "covariates" && !s.covariates.enabled) continue;
    if (d.section == "contrasts" && s.contrasts.pairs.empty()) continue;
    if (d.section != section) {
      o << (section.empty() ? "" : "\n") << "[" << d.section << "]\n";
      section = d.section;
    }
    if (const auto text = d.print(s)) o << d.key << " = " << *text << "\n";
  }
  return o.str();
}

}  // namespace permrsa
