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

#include "io/seed_data_folder.hpp"
#include "io/toml_guard.hpp"
#include "permrsa/config.hpp"
#include "permrsa/error.hpp"
#include "permrsa/input_file.hpp"

namespace permrsa {
namespace {

namespace fs = std::filesystem;
using Value = io::TomlValue;

// section -> its valid keys
const std::map<std::string, std::vector<std::string>>& known_keys() {
  static const std::map<std::string, std::vector<std::string>> keys = {
      {"brain", {"file", "files", "layout", "times", "time_start", "time_step", "baseline"}},
      {"models", {"file", "kind", "names"}},
      {"analysis",
       {"scheme", "metric", "permutations", "seed", "tail", "precision", "permutation_file",
        "group_statistic", "fisher_z"}},
      {"correction",
       {"cluster_threshold", "cluster_alpha", "cluster_value", "cluster_statistic",
        "connectivity", "tfce", "tfce_step"}},
      {"bootstrap", {"samples", "compare_layers"}},
      {"output", {"file"}},
  };
  return keys;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

[[noreturn]] void fail(const std::string& origin, const std::string& key, const std::string& msg) {
  throw InputError(origin + ": " + key + ": " + msg);
}

struct Reader {
  std::string origin;
  const Value& root;

  const Value* find(const std::string& section, const std::string& key) const {
    if (!root.contains(section)) return nullptr;
    const auto& sec = root.at(section);
    if (!sec.contains(key)) return nullptr;
    return &sec.at(key);
  }
  std::string where(const std::string& section, const std::string& key) const {
    return section + "." + key;
  }
  template <class F>
  auto typed(const std::string& section, const std::string& key, const char* expected, F get) const {
    const Value* v = find(section, key);
    try {
      return get(*v);
    } catch (const toml::type_error&) {
      fail(origin, where(section, key),
           std::string("expected ") + expected + ", found " + toml::format(*v));
    }
  }
  std::optional<std::string> string(const std::string& s, const std::string& k) const {
    if (!find(s, k)) return std::nullopt;
    return typed(s, k, "a string", [](const Value& v) { return v.as_string().str; });
  }
  std::optional<double> number(const std::string& s, const std::string& k) const {
    if (!find(s, k)) return std::nullopt;
    const double value = typed(s, k, "a number", [](const Value& v) {
      return v.is_integer() ? static_cast<double>(v.as_integer()) : v.as_floating();
    });
    // No number key means anything as inf or nan (times, steps, thresholds, alphas).
    if (!std::isfinite(value))
      fail(origin, where(s, k), "expected a finite number, found " + toml::format(*find(s, k)));
    return value;
  }
  std::optional<bool> boolean(const std::string& s, const std::string& k) const {
    if (!find(s, k)) return std::nullopt;
    return typed(s, k, "true or false", [](const Value& v) { return v.as_boolean(); });
  }
  std::optional<std::int64_t> integer(const std::string& s, const std::string& k) const {
    if (!find(s, k)) return std::nullopt;
    return typed(s, k, "an integer", [](const Value& v) { return v.as_integer(); });
  }
  template <class E>
  std::optional<E> choice(const std::string& s, const std::string& k,
                          const std::vector<std::pair<std::string, E>>& options) const {
    auto text = string(s, k);
    if (!text) return std::nullopt;
    std::vector<std::string> names;
    for (const auto& [name, value] : options) {
      if (name == *text) return value;
      names.push_back(name);
    }
    fail(origin, where(s, k), "expected one of " + join(names) + ", found \"" + *text + "\"");
  }
};

void check_keys(const Value& root, const std::string& origin) {
  if (!root.is_table()) throw InputError(origin + ": expected a TOML table at the top level");
  std::vector<std::string> sections;
  for (const auto& [name, keys] : known_keys()) sections.push_back(name);
  for (const auto& [section, table] : root.as_table()) {
    auto it = known_keys().find(section);
    if (it == known_keys().end())
      fail(origin, "[" + section + "]", "unknown section; valid sections: " + join(sections));
    if (!table.is_table())
      fail(origin, section, "expected a table [" + section + "], found a value");
    for (const auto& [key, value] : table.as_table()) {
      const auto& valid = it->second;
      if (std::find(valid.begin(), valid.end(), key) == valid.end())
        fail(origin, section + "." + key, "unknown key; valid keys in [" + section + "]: " + join(valid));
    }
  }
}

// "a.b=value": the value is TOML (`3`, `"x"`, `[1, 2]`, `true`) or else taken as a bare string.
void apply_override(Value& root, const std::string& text) {
  const auto eq = text.find('=');
  const auto dot = text.find('.');
  if (eq == std::string::npos || dot == std::string::npos || dot > eq)
    throw InputError("--set " + text + ": expected section.key=value, e.g. analysis.metric=pearson");
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
    if (value && *value) out += value;
    else if (has_fallback && name == seed_data_variable)
      out += seed_data_fallback(fallback, base_dir, origin, key);
    else if (has_fallback) out += fallback;
    else fail(origin, key, "environment variable " + name + " is not set (used in \"" + text + "\")");
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
    for (std::size_t i = 0; i < found.gl_pathc; ++i) out.push_back(std::string(found.gl_pathv[i]) + suffix);
  ::globfree(&found);
  if (out.empty()) fail(origin, key, "expected files matching \"" + files + "\", found none");
  std::sort(out.begin(), out.end());
  return out;
}

RunSpec build_spec(const Value& root, const std::string& origin, const std::string& base_dir,
                   const std::vector<std::string>& overridden_paths) {
  check_keys(root, origin);
  Reader r{origin, root};
  RunSpec spec;
  spec.source = origin;
  // Input paths from the file are relative to its folder; those set on the command line to cwd.
  auto input_path = [&](const std::string& section, const std::string& key) -> std::string {
    auto v = r.string(section, key);
    if (!v) return {};
    const std::string dotted = section + "." + key;
    const bool from_cli = std::find(overridden_paths.begin(), overridden_paths.end(), dotted) !=
                          overridden_paths.end();
    const std::string base = from_cli ? std::string() : base_dir;
    *v = expand_environment(*v, origin, dotted, base);
    return resolve_path(*v, base);
  };

  spec.brain.file = input_path("brain", "file");
  if (const Value* files = r.find("brain", "files")) {
    const bool from_cli = std::find(overridden_paths.begin(), overridden_paths.end(),
                                    std::string("brain.files")) != overridden_paths.end();
    const std::string base = from_cli ? std::string() : base_dir;
    auto one = [&](const std::string& text) {
      return resolve_path(expand_environment(text, origin, "brain.files", base), base);
    };
    if (files->is_string()) {
      spec.brain.files = expand_glob(one(files->as_string().str), origin, "brain.files");
    } else if (files->is_array()) {
      for (const auto& f : files->as_array()) {
        if (!f.is_string()) fail(origin, "brain.files", "expected a glob or a list of file names");
        spec.brain.files.push_back(one(f.as_string().str));
      }
      if (spec.brain.files.empty())
        fail(origin, "brain.files",
             "expected at least one file (one per subject), found an empty list");
    } else {
      fail(origin, "brain.files", "expected a glob or a list of file names, found " + toml::format(*files));
    }
    if (!spec.brain.file.empty())
      fail(origin, "brain.files", "give either brain.file or brain.files (one file per subject), not both");
  } else if (spec.brain.file.empty()) {
    fail(origin, "brain.file", "is required (the P x T brain RDMs, or N x P x T per subject)");
  }
  spec.brain.layout = r.choice<BrainLayout>("brain", "layout",
      {{"pairs-time", BrainLayout::pairs_time}, {"time-pairs", BrainLayout::time_pairs},
       {"subjects-pairs-time", BrainLayout::subjects_pairs_time},
       {"subjects-layers-time", BrainLayout::subjects_layers_time}})
                          .value_or(BrainLayout::pairs_time);
  const bool maps_given = spec.brain.layout == BrainLayout::subjects_layers_time;
  if (maps_given && !spec.brain.files.empty())
    fail(origin, "brain.layout", "\"subjects-layers-time\" takes one N x L x T array in brain.file, "
         "not brain.files");
  if (!spec.brain.files.empty() && spec.brain.layout == BrainLayout::subjects_pairs_time)
    fail(origin, "brain.layout", "with brain.files each file is one subject: expected \"pairs-time\" or "
         "\"time-pairs\", found \"subjects-pairs-time\"");
  spec.brain.times = input_path("brain", "times");
  spec.brain.time_start = r.number("brain", "time_start");
  spec.brain.time_step = r.number("brain", "time_step");
  if (!spec.brain.times.empty() && (spec.brain.time_start || spec.brain.time_step))
    fail(origin, "brain.times", "give either times or time_start/time_step, not both");
  if (spec.brain.time_step && *spec.brain.time_step <= 0)
    fail(origin, "brain.time_step", "expected a positive number, found " +
                                         std::to_string(*spec.brain.time_step));
  if (r.find("brain", "baseline")) {
    auto window = r.typed("brain", "baseline", "[start, end] in seconds", [](const Value& v) {
      const auto& a = v.as_array();
      if (a.size() != 2) throw toml::type_error("size", toml::source_location());
      auto num = [](const Value& x) {
        return x.is_integer() ? static_cast<double>(x.as_integer()) : x.as_floating();
      };
      return std::pair<double, double>(num(a[0]), num(a[1]));
    });
    if (!(window.first < window.second))
      fail(origin, "brain.baseline", "expected start < end, found [" + std::to_string(window.first) +
                                         ", " + std::to_string(window.second) + "]");
    spec.brain.baseline = window;
    if (maps_given)
      fail(origin, "brain.baseline", "applies to brain RDMs, not to the correlation maps of "
           "brain.layout = \"subjects-layers-time\"");
  }

  spec.models.file = input_path("models", "file");
  if (spec.models.file.empty() && !maps_given) fail(origin, "models.file", "is required (L x P or L x S x S)");
  if (!spec.models.file.empty() && maps_given)
    fail(origin, "models.file", "brain.layout = \"subjects-layers-time\" gives the model-brain maps "
         "themselves: expected no models.file (models.names may name the layers)");
  spec.models.kind = r.choice<ModelKind>("models", "kind",
      {{"dissimilarity", ModelKind::dissimilarity}, {"similarity", ModelKind::similarity}})
                         .value_or(ModelKind::dissimilarity);
  spec.models.names = input_path("models", "names");

  auto& a = spec.analysis;
  a.scheme = r.choice<Scheme>("analysis", "scheme",
                              {{"stimulus", Scheme::stimulus}, {"sign-flip", Scheme::sign_flip}})
                 .value_or(Scheme::stimulus);
  a.group_statistic = r.choice<GroupStatistic>("analysis", "group_statistic",
                                               {{"t", GroupStatistic::t}, {"mean", GroupStatistic::mean}})
                          .value_or(GroupStatistic::t);
  a.fisher_z = r.boolean("analysis", "fisher_z").value_or(false);
  const bool per_subject = !spec.brain.files.empty() || spec.brain.layout == BrainLayout::subjects_pairs_time || maps_given;
  if (maps_given && a.scheme != Scheme::sign_flip)
    fail(origin, "analysis.scheme", "per-subject maps (brain.layout = \"subjects-layers-time\") can only "
         "be tested with \"sign-flip\"; the stimulus scheme needs the RDMs");
  if (a.scheme == Scheme::sign_flip && !per_subject)
    fail(origin, "analysis.scheme", "\"sign-flip\" needs per-subject brain RDMs: brain.files, or "
         "brain.layout = \"subjects-pairs-time\"");
  a.metric = r.choice<Metric>("analysis", "metric",
                              {{"pearson", Metric::pearson},
                               {"spearman", Metric::spearman},
                               {"kendall-b", Metric::kendall_b},
                               {"kendall-a", Metric::kendall_a}})
                 .value_or(Metric::spearman);
  a.permutations = r.integer("analysis", "permutations").value_or(10000);
  a.permutation_file = input_path("analysis", "permutation_file");
  if (a.permutations < 1 && a.permutation_file.empty())
    fail(origin, "analysis.permutations",
         "expected K >= 1 permutations, found " + std::to_string(a.permutations));
  const auto seed = r.integer("analysis", "seed").value_or(1);
  if (seed < 0) fail(origin, "analysis.seed", "expected a non-negative integer, found " +
                                                  std::to_string(seed));
  a.seed = static_cast<std::uint64_t>(seed);
  a.tail = r.choice<Tail>("analysis", "tail",
                          {{"greater", Tail::greater}, {"less", Tail::less},
                           {"two-sided", Tail::two_sided}})
               .value_or(Tail::greater);
  a.precision = r.choice<Precision>("analysis", "precision",
                                    {{"float32", Precision::float32}, {"float64", Precision::float64}})
                    .value_or(Precision::float32);

  auto& c = spec.correction;
  c.cluster_threshold = r.choice<ClusterThreshold>("correction", "cluster_threshold",
      {{"permutation-p", ClusterThreshold::permutation_p}, {"statistic", ClusterThreshold::statistic},
       {"t-default", ClusterThreshold::t_default}})
                            .value_or(ClusterThreshold::permutation_p);
  if (c.cluster_threshold == ClusterThreshold::t_default &&
      (a.scheme != Scheme::sign_flip || a.group_statistic != GroupStatistic::t))
    fail(origin, "correction.cluster_threshold", "\"t-default\" (Student t quantile, as MNE) needs "
         "analysis.scheme = \"sign-flip\" and analysis.group_statistic = \"t\"");
  c.cluster_alpha = r.number("correction", "cluster_alpha").value_or(0.05);
  if (!(c.cluster_alpha > 0 && c.cluster_alpha < 1))
    fail(origin, "correction.cluster_alpha",
         "expected a value in (0, 1), found " + std::to_string(c.cluster_alpha));
  c.cluster_value = r.number("correction", "cluster_value").value_or(0.1);
  c.cluster_statistic = r.choice<ClusterStatistic>("correction", "cluster_statistic",
      {{"mass", ClusterStatistic::mass}, {"size", ClusterStatistic::size}})
                            .value_or(ClusterStatistic::mass);
  c.connectivity = r.choice<Connectivity>("correction", "connectivity",
      {{"time", Connectivity::time}, {"layer-time", Connectivity::layer_time}})
                       .value_or(Connectivity::time);

  c.tfce = r.boolean("correction", "tfce").value_or(false);
  c.tfce_step = r.number("correction", "tfce_step").value_or(0.01);
  if (!(c.tfce_step > 0))
    fail(origin, "correction.tfce_step",
         "expected a positive height step, found " + std::to_string(c.tfce_step));

  if (root.contains("bootstrap")) {
    auto& b = spec.bootstrap;
    b.enabled = true;
    b.samples = r.integer("bootstrap", "samples").value_or(1000);
    if (b.samples < 1)
      fail(origin, "bootstrap.samples", "expected B >= 1 bootstrap samples, found " + std::to_string(b.samples));
    if (r.find("bootstrap", "compare_layers")) {
      b.compare_layers = r.typed("bootstrap", "compare_layers", "a list of two layer names", [](const Value& v) {
        std::vector<std::string> out;
        for (const auto& x : v.as_array()) out.push_back(x.as_string().str);
        if (out.size() != 2) throw toml::type_error("size", toml::source_location());
        return out;
      });
    }
    if (spec.brain.files.empty() && spec.brain.layout != BrainLayout::subjects_pairs_time && !maps_given)
      fail(origin, "[bootstrap]", "resamples subjects: it needs per-subject brain RDMs (brain.files, or "
           "brain.layout = \"subjects-pairs-time\")");
  }

  spec.output.file = r.string("output", "file").value_or("results.h5");
  if (spec.output.file.empty()) fail(origin, "output.file", "expected a file name, found \"\"");
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

RunSpec load_run_spec(const std::string& path, const std::vector<std::string>& overrides) {
  require_regular_file(path, path + ": config file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": config file: cannot be opened (does it exist?)");
  std::stringstream text;
  text << in.rdbuf();
  const auto dir = fs::absolute(fs::path(path)).parent_path().string();
  return parse_run_spec(text.str(), path, dir, overrides);
}

namespace {
std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  return out + "\"";
}
std::string number(double v) {
  std::ostringstream o;
  o.precision(17);
  o << v;
  std::string s = o.str();
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}
}  // namespace

std::string to_toml(const RunSpec& s) {
  std::ostringstream o;
  o << "[brain]\n";
  if (!s.brain.file.empty()) o << "file = " << quoted(s.brain.file) << "\n";
  if (!s.brain.files.empty()) {
    o << "files = [";
    for (std::size_t i = 0; i < s.brain.files.size(); ++i) o << (i ? ", " : "") << quoted(s.brain.files[i]);
    o << "]\n";
  }
  o << "layout = " << quoted(to_string(s.brain.layout)) << "\n";
  if (!s.brain.times.empty()) o << "times = " << quoted(s.brain.times) << "\n";
  if (s.brain.time_start) o << "time_start = " << number(*s.brain.time_start) << "\n";
  if (s.brain.time_step) o << "time_step = " << number(*s.brain.time_step) << "\n";
  if (s.brain.baseline)
    o << "baseline = [" << number(s.brain.baseline->first) << ", "
      << number(s.brain.baseline->second) << "]\n";
  o << "\n[models]\nfile = " << quoted(s.models.file) << "\nkind = " << quoted(to_string(s.models.kind))
    << "\n";
  if (!s.models.names.empty()) o << "names = " << quoted(s.models.names) << "\n";
  const auto& a = s.analysis;
  o << "\n[analysis]\nscheme = " << quoted(to_string(a.scheme)) << "\nmetric = "
    << quoted(to_string(a.metric)) << "\npermutations = " << a.permutations << "\nseed = " << a.seed
    << "\ntail = " << quoted(to_string(a.tail)) << "\nprecision = " << quoted(to_string(a.precision))
    << "\npermutation_file = " << quoted(a.permutation_file) << "\ngroup_statistic = "
    << quoted(to_string(a.group_statistic)) << "\nfisher_z = " << (a.fisher_z ? "true" : "false") << "\n";
  const auto& c = s.correction;
  o << "\n[correction]\ncluster_threshold = " << quoted(to_string(c.cluster_threshold))
    << "\ncluster_alpha = " << number(c.cluster_alpha) << "\ncluster_value = "
    << number(c.cluster_value) << "\ncluster_statistic = " << quoted(to_string(c.cluster_statistic))
    << "\nconnectivity = " << quoted(to_string(c.connectivity)) << "\ntfce = "
    << (c.tfce ? "true" : "false") << "\ntfce_step = " << number(c.tfce_step) << "\n";
  if (s.bootstrap.enabled) {
    o << "\n[bootstrap]\nsamples = " << s.bootstrap.samples << "\n";
    if (!s.bootstrap.compare_layers.empty())
      o << "compare_layers = [" << quoted(s.bootstrap.compare_layers[0]) << ", "
        << quoted(s.bootstrap.compare_layers[1]) << "]\n";
  }
  o << "\n[output]\nfile = " << quoted(s.output.file) << "\n";
  return o.str();
}

}  // namespace permrsa
