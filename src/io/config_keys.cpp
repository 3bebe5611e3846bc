#include "io/config_keys.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <sstream>
#include <utility>

#include "permrsa/error.hpp"

namespace permrsa::io {

void KeyContext::fail(const std::string& message) const {
  throw InputError(origin + ": " + dotted + ": " + message);
}

namespace {

using Value = TomlValue;

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  return out + "\"";
}

// The shortest text that reads back as the same double (0.05, not 0.050000000000000003), as
// written in a config: the resolved config and the report show numbers as the user wrote them.
std::string number_text(double v) {
  std::array<char, 64> buffer{};
  const auto [end, error] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), v);
  std::string s(buffer.data(), error == std::errc{} ? end : buffer.data());
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// Reads v as T, or fails with "expected <what>, found <v>".
template <class F>
auto typed(const Value& v, const KeyContext& k, const char* expected, F get) {
  try {
    return get(v);
  } catch (const toml::type_error&) {
    k.fail(std::string("expected ") + expected + ", found " + toml::format(v));
  }
}

std::string string_of(const Value& v, const KeyContext& k) {
  return typed(v, k, "a string", [](const Value& x) { return x.as_string().str; });
}

double number_of(const Value& v, const KeyContext& k) {
  const double value = typed(v, k, "a number", [](const Value& x) {
    return x.is_integer() ? static_cast<double>(x.as_integer()) : x.as_floating();
  });
  // No number key means anything as inf or nan (times, steps, thresholds, alphas).
  if (!std::isfinite(value)) k.fail("expected a finite number, found " + toml::format(v));
  return value;
}

std::int64_t integer_of(const Value& v, const KeyContext& k) {
  return typed(v, k, "an integer", [](const Value& x) { return x.as_integer(); });
}

bool boolean_of(const Value& v, const KeyContext& k) {
  return typed(v, k, "true or false", [](const Value& x) { return x.as_boolean(); });
}

// The enum value named by the string v, among every value of E that to_string names.
template <class E>
E choice_of(const Value& v, const KeyContext& k, const std::vector<E>& values) {
  const std::string text = string_of(v, k);
  std::vector<std::string> names;
  for (E e : values) {
    if (text == to_string(e)) return e;
    names.push_back(to_string(e));
  }
  k.fail("expected one of " + join(names) + ", found \"" + text + "\"");
}

// A RunSpec member reached through its section struct.
template <class Section, class T>
struct Field {
  Section RunSpec::*section;
  T Section::*member;
  T& operator()(RunSpec& s) const { return s.*section.*member; }
  const T& operator()(const RunSpec& s) const { return s.*section.*member; }
};

template <class Section, class T>
Field<Section, T> field(Section RunSpec::*section, T Section::*member) {
  return {section, member};
}

template <class Section, class E>
KeyDescriptor choice_key(const char* section, const char* key, Field<Section, E> f,
                         std::vector<E> values) {
  return {section, key,
          [f, values](const Value& v, RunSpec& s, const KeyContext& k) {
            f(s) = choice_of(v, k, values);
          },
          [f](const RunSpec& s) -> std::optional<std::string> { return quoted(to_string(f(s))); }};
}

// An input path; `always`: printed even when empty.
template <class Section>
KeyDescriptor path_key(const char* section, const char* key, Field<Section, std::string> f,
                       bool always) {
  return {section, key,
          [f](const Value& v, RunSpec& s, const KeyContext& k) { f(s) = k.path(string_of(v, k)); },
          [f, always](const RunSpec& s) -> std::optional<std::string> {
            if (f(s).empty() && !always) return std::nullopt;
            return quoted(f(s));
          }};
}

template <class Section>
KeyDescriptor number_key(const char* section, const char* key, Field<Section, double> f,
                         bool (*valid)(double), const char* expected) {
  return {section, key,
          [f, valid, expected](const Value& v, RunSpec& s, const KeyContext& k) {
            const double x = number_of(v, k);
            if (!valid(x))
              k.fail(std::string("expected ") + expected + ", found " + std::to_string(x));
            f(s) = x;
          },
          [f](const RunSpec& s) -> std::optional<std::string> { return number_text(f(s)); }};
}

template <class Section>
KeyDescriptor optional_number_key(const char* section, const char* key,
                                  Field<Section, std::optional<double>> f) {
  return {section, key,
          [f](const Value& v, RunSpec& s, const KeyContext& k) { f(s) = number_of(v, k); },
          [f](const RunSpec& s) -> std::optional<std::string> {
            if (!f(s)) return std::nullopt;
            return number_text(*f(s));
          }};
}

template <class Section>
KeyDescriptor boolean_key(const char* section, const char* key, Field<Section, bool> f) {
  return {section, key,
          [f](const Value& v, RunSpec& s, const KeyContext& k) { f(s) = boolean_of(v, k); },
          [f](const RunSpec& s) -> std::optional<std::string> { return f(s) ? "true" : "false"; }};
}

// brain.files_a (group 0) or brain.files_b (group 1): a glob or a list, appended to brain.files.
void add_group_files(const Value& v, RunSpec& s, const KeyContext& k, std::int64_t group) {
  if (!s.brain.files.empty() && s.brain.groups.size() != s.brain.files.size())
    k.fail(
        "brain.files lists the subjects already: expected brain.files_a and brain.files_b "
        "instead of brain.files");
  std::vector<std::string> files;
  if (v.is_string()) {
    files = k.glob(v.as_string().str);
  } else if (v.is_array()) {
    for (const auto& f : v.as_array()) {
      if (!f.is_string()) k.fail("expected a glob or a list of file names");
      files.push_back(k.path(f.as_string().str));
    }
  } else {
    k.fail("expected a glob or a list of file names, found " + toml::format(v));
  }
  if (files.empty()) k.fail("expected at least one file (one per subject), found none");
  for (auto& f : files) {
    s.brain.files.push_back(std::move(f));
    s.brain.groups.push_back(group);
  }
}

// brain.groups: one 0 (group a) or 1 (group b) per subject.
void parse_groups(const Value& v, RunSpec& s, const KeyContext& k) {
  if (!s.brain.groups.empty())
    k.fail("brain.files_a / brain.files_b give the groups already: expected one of the two");
  s.brain.groups =
      typed(v, k, "a list of 0 (group a) or 1 (group b), one per subject", [](const Value& x) {
        std::vector<std::int64_t> out;
        for (const auto& y : x.as_array()) out.push_back(y.as_integer());
        return out;
      });
  for (std::size_t i = 0; i < s.brain.groups.size(); ++i)
    if (s.brain.groups[i] != 0 && s.brain.groups[i] != 1)
      k.fail("expected 0 (group a) or 1 (group b) for every subject, found " +
             std::to_string(s.brain.groups[i]) + " at position " + std::to_string(i));
}

std::optional<std::string> print_groups(const RunSpec& s) {
  if (s.brain.groups.empty()) return std::nullopt;
  std::string out = "[";
  for (std::size_t i = 0; i < s.brain.groups.size(); ++i)
    out += (i ? ", " : "") + std::to_string(s.brain.groups[i]);
  return out + "]";
}

// contrasts.pairs: distinct [A, B] pairs of two different layer names without "/".
void check_contrast_pair(const std::vector<std::pair<std::string, std::string>>& pairs,
                         std::size_t i, const KeyContext& k) {
  const auto& [a, b] = pairs[i];
  const std::string text = "[\"" + a + "\", \"" + b + "\"]";
  if (a == b)
    k.fail("expected two different layers, found " + text + " (a layer minus itself is zero)");
  for (const auto& name : {a, b})
    if (name.find('/') != std::string::npos)
      k.fail("expected layer names without \"/\" (the pair names an HDF5 group), found \"" + name +
             "\"");
  for (std::size_t j = 0; j < i; ++j)
    if (pairs[j] == pairs[i]) k.fail("expected distinct pairs, found " + text + " twice");
}

void parse_contrast_pairs(const Value& v, RunSpec& s, const KeyContext& k) {
  s.contrasts.pairs = typed(v, k, "a list of [\"layer A\", \"layer B\"] pairs", [](const Value& x) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& y : x.as_array()) {
      const auto& pair = y.as_array();
      if (pair.size() != 2) throw toml::type_error("size", toml::source_location());
      out.emplace_back(pair[0].as_string().str, pair[1].as_string().str);
    }
    return out;
  });
  if (s.contrasts.pairs.empty()) k.fail("expected at least one [\"layer A\", \"layer B\"] pair");
  for (std::size_t i = 0; i < s.contrasts.pairs.size(); ++i)
    check_contrast_pair(s.contrasts.pairs, i, k);
}

std::optional<std::string> print_contrast_pairs(const RunSpec& s) {
  if (s.contrasts.pairs.empty()) return std::nullopt;
  std::string out = "[";
  for (std::size_t i = 0; i < s.contrasts.pairs.size(); ++i)
    out += (i ? ", [" : "[") + quoted(s.contrasts.pairs[i].first) + ", " +
           quoted(s.contrasts.pairs[i].second) + "]";
  return out + "]";
}

std::vector<KeyDescriptor> brain_keys() {
  const auto brain = &RunSpec::brain;
  return {
      path_key("brain", "file", field(brain, &BrainSpec::file), false),
      {"brain", "files",
       [](const Value& v, RunSpec& s, const KeyContext& k) {
         if (v.is_string()) {
           s.brain.files = k.glob(v.as_string().str);
         } else if (v.is_array()) {
           for (const auto& f : v.as_array()) {
             if (!f.is_string()) k.fail("expected a glob or a list of file names");
             s.brain.files.push_back(k.path(f.as_string().str));
           }
           if (s.brain.files.empty())
             k.fail("expected at least one file (one per subject), found an empty list");
         } else {
           k.fail("expected a glob or a list of file names, found " + toml::format(v));
         }
       },
       [](const RunSpec& s) -> std::optional<std::string> {
         if (s.brain.files.empty()) return std::nullopt;
         std::string out = "[";
         for (std::size_t i = 0; i < s.brain.files.size(); ++i)
           out += (i ? ", " : "") + quoted(s.brain.files[i]);
         return out + "]";
       }},
      // Two groups (analysis.scheme = "two-group"): the files of group a, then of group b; they
      // fill brain.files and brain.groups, which the resolved config prints instead.
      {"brain", "files_a",
       [](const Value& v, RunSpec& s, const KeyContext& k) { add_group_files(v, s, k, 0); },
       [](const RunSpec&) -> std::optional<std::string> { return std::nullopt; }},
      {"brain", "files_b",
       [](const Value& v, RunSpec& s, const KeyContext& k) { add_group_files(v, s, k, 1); },
       [](const RunSpec&) -> std::optional<std::string> { return std::nullopt; }},
      {"brain", "groups", parse_groups, print_groups},
      choice_key("brain", "layout", field(brain, &BrainSpec::layout),
                 {BrainLayout::pairs_time, BrainLayout::time_pairs,
                  BrainLayout::subjects_pairs_time, BrainLayout::subjects_layers_time}),
      path_key("brain", "times", field(brain, &BrainSpec::times), false),
      path_key("brain", "stimuli", field(brain, &BrainSpec::stimuli), false),
      optional_number_key("brain", "time_start", field(brain, &BrainSpec::time_start)),
      {"brain", "time_step",
       [](const Value& v, RunSpec& s, const KeyContext& k) {
         s.brain.time_step = number_of(v, k);
         if (*s.brain.time_step <= 0)
           k.fail("expected a positive number, found " + std::to_string(*s.brain.time_step));
       },
       [](const RunSpec& s) -> std::optional<std::string> {
         if (!s.brain.time_step) return std::nullopt;
         return number_text(*s.brain.time_step);
       }},
      {"brain", "baseline",
       [](const Value& v, RunSpec& s, const KeyContext& k) {
         const auto window = typed(v, k, "[start, end] in seconds", [](const Value& x) {
           const auto& a = x.as_array();
           if (a.size() != 2) throw toml::type_error("size", toml::source_location());
           auto num = [](const Value& y) {
             return y.is_integer() ? static_cast<double>(y.as_integer()) : y.as_floating();
           };
           return std::pair<double, double>(num(a[0]), num(a[1]));
         });
         if (!(window.first < window.second))
           k.fail("expected start < end, found [" + std::to_string(window.first) + ", " +
                  std::to_string(window.second) + "]");
         s.brain.baseline = window;
       },
       [](const RunSpec& s) -> std::optional<std::string> {
         if (!s.brain.baseline) return std::nullopt;
         return "[" + number_text(s.brain.baseline->first) + ", " +
                number_text(s.brain.baseline->second) + "]";
       }},
  };
}

std::vector<KeyDescriptor> model_keys() {
  const auto models = &RunSpec::models;
  return {
      path_key("models", "file", field(models, &ModelSpec::file), true),
      choice_key("models", "kind", field(models, &ModelSpec::kind),
                 {ModelKind::dissimilarity, ModelKind::similarity}),
      path_key("models", "names", field(models, &ModelSpec::names), false),
      path_key("models", "stimuli", field(models, &ModelSpec::stimuli), false),
  };
}

std::vector<KeyDescriptor> covariate_keys() {
  const auto c = &RunSpec::covariates;
  return {
      path_key("covariates", "file", field(c, &CovariateSpec::file), false),
      choice_key("covariates", "kind", field(c, &CovariateSpec::kind),
                 {ModelKind::dissimilarity, ModelKind::similarity}),
      path_key("covariates", "names", field(c, &CovariateSpec::names), false),
      path_key("covariates", "stimuli", field(c, &CovariateSpec::stimuli), false),
      {"covariates", "layers",
       [](const Value& v, RunSpec& s, const KeyContext& k) {
         s.covariates.layers = typed(v, k, "a list of layer names", [](const Value& x) {
           std::vector<std::string> out;
           for (const auto& y : x.as_array()) out.push_back(y.as_string().str);
           return out;
         });
         const auto& l = s.covariates.layers;
         for (std::size_t i = 0; i < l.size(); ++i)
           for (std::size_t j = 0; j < i; ++j)
             if (l[i] == l[j])
               k.fail("expected distinct layer names, found \"" + l[i] + "\" twice");
       },
       [](const RunSpec& s) -> std::optional<std::string> {
         if (s.covariates.layers.empty()) return std::nullopt;
         std::string out = "[";
         for (std::size_t i = 0; i < s.covariates.layers.size(); ++i)
           out += (i ? ", " : "") + quoted(s.covariates.layers[i]);
         return out + "]";
       }},
      choice_key("covariates", "method", field(c, &CovariateSpec::method),
                 {CovariateMethod::formula, CovariateMethod::residual}),
      choice_key("covariates", "permute", field(c, &CovariateSpec::permute),
                 {CovariatePermute::model, CovariatePermute::freedman_lane}),
  };
}

std::vector<KeyDescriptor> analysis_keys() {
  const auto a = &RunSpec::analysis;
  return {
      choice_key("analysis", "scheme", field(a, &AnalysisSettings::scheme),
                 {Scheme::stimulus, Scheme::sign_flip, Scheme::two_group}),
      choice_key("analysis", "metric", field(a, &AnalysisSettings::metric),
                 {Metric::pearson, Metric::spearman, Metric::kendall_b, Metric::kendall_a}),
      {"analysis", "permutations",
       [](const Value& v, RunSpec& s, const KeyContext& k) {
         s.analysis.permutations = integer_of(v, k);
       },
       [](const RunSpec& s) -> std::optional<std::string> {
         return std::to_string(s.analysis.permutations);
       }},
      {"analysis", "seed",
       [](const Value& v, RunSpec& s, const KeyContext& k) {
         const auto seed = integer_of(v, k);
         if (seed < 0) k.fail("expected a non-negative integer, found " + std::to_string(seed));
         s.analysis.seed = static_cast<std::uint64_t>(seed);
       },
       [](const RunSpec& s) -> std::optional<std::string> {
         return std::to_string(s.analysis.seed);
       }},
      choice_key("analysis", "tail", field(a, &AnalysisSettings::tail),
                 {Tail::greater, Tail::less, Tail::two_sided}),
      choice_key("analysis", "precision", field(a, &AnalysisSettings::precision),
                 {Precision::float32, Precision::float64}),
      path_key("analysis", "permutation_file", field(a, &AnalysisSettings::permutation_file), true),
      choice_key("analysis", "group_statistic", field(a, &AnalysisSettings::group_statistic),
                 {GroupStatistic::t, GroupStatistic::mean, GroupStatistic::welch_t,
                  GroupStatistic::mean_difference, GroupStatistic::f}),
      boolean_key("analysis", "fisher_z", field(a, &AnalysisSettings::fisher_z)),
      boolean_key("analysis", "generalise", field(a, &AnalysisSettings::generalise)),
  };
}

std::vector<KeyDescriptor> correction_keys() {
  const auto c = &RunSpec::correction;
  return {
      choice_key("correction", "cluster_threshold",
                 field(c, &CorrectionSettings::cluster_threshold),
                 {ClusterThreshold::permutation_p, ClusterThreshold::statistic,
                  ClusterThreshold::t_default}),
      number_key(
          "correction", "cluster_alpha", field(c, &CorrectionSettings::cluster_alpha),
          [](double x) { return x > 0 && x < 1; }, "a value in (0, 1)"),
      number_key(
          "correction", "cluster_value", field(c, &CorrectionSettings::cluster_value),
          [](double) { return true; }, "a number"),
      choice_key("correction", "cluster_statistic",
                 field(c, &CorrectionSettings::cluster_statistic),
                 {ClusterStatistic::mass, ClusterStatistic::size}),
      choice_key("correction", "connectivity", field(c, &CorrectionSettings::connectivity),
                 {Connectivity::time, Connectivity::layer_time}),
      number_key(
          "correction", "alpha", field(c, &CorrectionSettings::alpha),
          [](double x) { return x > 0 && x < 1; }, "a value in (0, 1)"),
      boolean_key("correction", "tfce", field(c, &CorrectionSettings::tfce)),
      {"correction", "tfce_step",
       [](const Value& v, RunSpec& s, const KeyContext& k) {
         if (v.is_string() && v.as_string().str == "auto") {
           s.correction.tfce_step.reset();
           return;
         }
         if (v.is_string())
           k.fail("expected \"auto\" or a positive height step, found " + toml::format(v));
         const double x = number_of(v, k);
         if (!(x > 0))
           k.fail("expected \"auto\" or a positive height step, found " + std::to_string(x));
         s.correction.tfce_step = x;
       },
       [](const RunSpec& s) -> std::optional<std::string> {
         if (!s.correction.tfce_step) return quoted("auto");
         return number_text(*s.correction.tfce_step);
       }},
  };
}

std::vector<KeyDescriptor> bootstrap_and_output_keys() {
  return {
      {"bootstrap", "samples",
       [](const Value& v, RunSpec& s, const KeyContext& k) {
         s.bootstrap.samples = integer_of(v, k);
         if (s.bootstrap.samples < 0)
           k.fail("expected B >= 1 bootstrap samples, or 0 to switch the bootstrap off, found " +
                  std::to_string(s.bootstrap.samples));
         // B = 0 switches the section off, so that `--set bootstrap.samples=0` can.
         if (s.bootstrap.samples == 0) s.bootstrap.enabled = false;
       },
       [](const RunSpec& s) -> std::optional<std::string> {
         return std::to_string(s.bootstrap.samples);
       }},
      {"bootstrap", "compare_layers",
       [](const Value& v, RunSpec& s, const KeyContext& k) {
         s.bootstrap.compare_layers = typed(v, k, "a list of two layer names", [](const Value& x) {
           std::vector<std::string> out;
           for (const auto& y : x.as_array()) out.push_back(y.as_string().str);
           if (out.size() != 2) throw toml::type_error("size", toml::source_location());
           return out;
         });
       },
       [](const RunSpec& s) -> std::optional<std::string> {
         const auto& l = s.bootstrap.compare_layers;
         if (l.empty()) return std::nullopt;
         return "[" + quoted(l[0]) + ", " + quoted(l[1]) + "]";
       }},
      {"contrasts", "pairs", parse_contrast_pairs, print_contrast_pairs},
      {"output", "file",
       [](const Value& v, RunSpec& s, const KeyContext& k) {
         s.output.file = string_of(v, k);
         if (s.output.file.empty()) k.fail("expected a file name, found \"\"");
       },
       [](const RunSpec& s) -> std::optional<std::string> { return quoted(s.output.file); }},
  };
}

}  // namespace

const std::vector<KeyDescriptor>& config_keys() {
  static const std::vector<KeyDescriptor> keys = [] {
    std::vector<KeyDescriptor> all;
    for (auto part : {brain_keys(), model_keys(), covariate_keys(), analysis_keys(),
                      correction_keys(), bootstrap_and_output_keys()})
      all.insert(all.end(), part.begin(), part.end());
    return all;
  }();
  return keys;
}

std::vector<std::string> config_sections() {
  std::vector<std::string> out;
  for (const auto& k : config_keys())
    if (out.empty() || out.back() != k.section) out.push_back(k.section);
  return out;
}

}  // namespace permrsa::io
