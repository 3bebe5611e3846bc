// Damaged results files (issue 15, D13) made `permrsa info` fail with "vector::_M_range_check"
// (cluster indices out of range, a short /axes/layer), exit 1 on a missing attribute, or print
// a garbage summary with exit 0 (permrsa_version = 99.0, a 1 x 1 /observed). Everything info
// uses is checked here first.
#include "permrsa/results_summary.hpp"

#include <cmath>
#include <sstream>

#include "io/h5_handles.hpp"
#include "permrsa/error.hpp"
#include "permrsa/input_file.hpp"

namespace permrsa {

namespace {

// "0.1.0" -> {0, 1, 0}; empty when the text is not dot-separated whole numbers.
std::vector<long> version_numbers(const std::string& text) {
  std::vector<long> numbers;
  std::istringstream in(text);
  std::string part;
  while (std::getline(in, part, '.')) {
    if (part.empty() || part.find_first_not_of("0123456789") != std::string::npos ||
        part.size() > 9)
      return {};
    numbers.push_back(std::stol(part));
  }
  return numbers;
}

class Checker {
 public:
  Checker(std::string path, const h5::File& file) : path_(std::move(path)), file_(file) {}

  [[noreturn]] void fail(const std::string& object, const std::string& message) const {
    throw InputError(path_ + ": results file: " + object + ": " + message);
  }

  void require_dataset(const std::string& name) const {
    if (!file_.is_dataset(name))
      fail(name, "expected this dataset (is this a permrsa results file, complete?)");
  }
  void require_attribute(const std::string& name) const {
    if (!file_.has_attribute("/", name))
      fail("attribute '" + name + "'",
           "expected this root attribute (is this a permrsa results file, complete?)");
  }

  // A numeric dataset of exactly `shape`.
  template <class T>
  std::vector<T> numbers(const std::string& name, const std::vector<std::size_t>& shape,
                         const std::string& why) const {
    require_dataset(name);
    std::vector<h5::hsize_t> found;
    std::vector<T> values = file_.read<T>(name, &found);
    if (std::vector<std::size_t>(found.begin(), found.end()) != shape)
      fail(name, "expected shape " + text(shape) + " " + why + ", found " +
                     text(std::vector<std::size_t>(found.begin(), found.end())));
    return values;
  }
  // A 1-D numeric dataset of any length.
  template <class T>
  std::vector<T> vector(const std::string& name) const {
    require_dataset(name);
    std::vector<h5::hsize_t> found;
    std::vector<T> values = file_.read<T>(name, &found);
    if (found.size() != 1)
      fail(name, "expected a 1-D dataset, found shape " +
                     text(std::vector<std::size_t>(found.begin(), found.end())));
    return values;
  }
  void probabilities(const std::string& name, const std::vector<double>& values) const {
    for (std::size_t i = 0; i < values.size(); ++i)
      if (!(values[i] >= 0 && values[i] <= 1))
        fail(name, "expected p-values in [0, 1], found " + std::to_string(values[i]) +
                       " at element " + std::to_string(i));
  }
  // Indices into an axis of `extent`, each first <= last.
  void index_pairs(const std::string& first_name, const std::vector<std::int64_t>& first,
                   const std::string& last_name, const std::vector<std::int64_t>& last,
                   std::size_t extent, const std::string& axis) const {
    const auto bound = static_cast<std::int64_t>(extent);
    for (std::size_t c = 0; c < first.size(); ++c) {
      for (const auto& [name, value] : {std::pair{first_name, first[c]}, {last_name, last[c]}})
        if (value < 0 || value >= bound)
          fail(name, "expected " + axis + " indices in 0.." + std::to_string(extent - 1) + " (" +
                         std::to_string(extent) + " in /axes/" + axis + "), found " +
                         std::to_string(value) + " for cluster " + std::to_string(c));
      if (first[c] > last[c])
        fail(first_name, "expected first <= last, found " + std::to_string(first[c]) + " > " +
                             std::to_string(last[c]) + " (" + last_name + ") for cluster " +
                             std::to_string(c));
    }
  }

  static std::string text(const std::vector<std::size_t>& shape) {
    std::string out = "(";
    for (std::size_t i = 0; i < shape.size(); ++i)
      out += (i ? ", " : "") + std::to_string(shape[i]);
    return out + (shape.size() == 1 ? ",)" : ")");
  }

 private:
  std::string path_;
  const h5::File& file_;
};

// Intervals from a (L,) estimate, an (L, 2) interval and an optional (L,) missing count.
std::vector<ResultsSummary::Interval> intervals(const Checker& check, const h5::File& f,
                                                const std::string& stem, const std::string& ci,
                                                const std::string& missing, std::size_t L) {
  const auto estimate = check.numbers<double>(stem, {L}, "(one per layer)");
  const auto bounds = check.numbers<double>(ci, {L, 2}, "(low, high per layer)");
  std::vector<std::int64_t> none(L, 0);
  if (!missing.empty() && f.is_dataset(missing))
    none = check.numbers<std::int64_t>(missing, {L}, "(one per layer)");
  std::vector<ResultsSummary::Interval> out;
  for (std::size_t l = 0; l < L; ++l)
    out.push_back({estimate[l], bounds[2 * l], bounds[2 * l + 1], none[l]});
  return out;
}

ResultsSummary::Bootstrap read_bootstrap(const Checker& check, const h5::File& f, std::size_t L) {
  ResultsSummary::Bootstrap b;
  b.peak = intervals(check, f, "/bootstrap/peak_time", "/bootstrap/peak_ci", "", L);
  if (f.is_dataset("/bootstrap/cluster_onset_time")) {
    b.onset = intervals(check, f, "/bootstrap/cluster_onset_time", "/bootstrap/cluster_onset_ci",
                        "/bootstrap/onset_missing", L);
    b.threshold_onset =
        intervals(check, f, "/bootstrap/threshold_onset_time", "/bootstrap/threshold_onset_ci",
                  "/bootstrap/threshold_onset_missing", L);
  }
  if (f.is_dataset("/bootstrap/peak_samples")) {
    std::vector<h5::hsize_t> shape;
    f.read<double>("/bootstrap/peak_samples", &shape);
    if (!shape.empty()) b.samples = static_cast<std::int64_t>(shape[0]);
  }
  if (f.is_dataset("/bootstrap/difference/layers")) {
    b.difference_layers = f.read_strings("/bootstrap/difference/layers");
    const auto estimate = check.numbers<double>("/bootstrap/difference/estimate", {1}, "");
    const auto ci = check.numbers<double>("/bootstrap/difference/ci", {2}, "(low, high)");
    b.difference = {estimate[0], ci[0], ci[1], 0};
    b.difference_p = check.numbers<double>("/bootstrap/difference/p", {1}, "")[0];
  }
  return b;
}

// The resolved config's "key = value" lines under their [section] headers, as "section.key =
// value", for the settings list.
std::vector<std::string> settings_lines(const std::string& config) {
  std::vector<std::string> out;
  std::istringstream in(config);
  std::string line, section;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line.front() == '[' && line.back() == ']') {
      section = line.substr(1, line.size() - 2);
      continue;
    }
    out.push_back(section.empty() ? line : section + "." + line);
  }
  return out;
}

// What later permrsa versions added: each part only when the file holds it.
void read_optional_parts(const Checker& check, const h5::File& f,
                         const std::vector<std::size_t>& grid, const std::string& why,
                         ResultsSummary& s) {
  s.statistic_label = f.has_attribute("/", "statistic_label")
                          ? f.attribute_string("/", "statistic_label")
                          : s.metric;
  if (f.has_attribute("/", "alpha")) s.alpha = f.attribute_double("/", "alpha");
  if (f.has_attribute("/", "config"))
    s.settings = settings_lines(f.attribute_string("/", "config"));
  if (f.is_dataset("/tfce")) {
    ResultsSummary::Tfce t;
    t.tfce = check.numbers<double>("/tfce", grid, why);
    t.p = check.numbers<double>("/p_tfce", grid, why);
    check.probabilities("/p_tfce", t.p);
    if (f.has_attribute("/", "tfce_step")) t.step = f.attribute_double("/", "tfce_step");
    s.tfce = std::move(t);
  }
  if (f.is_dataset("/noise_ceiling/lower")) {
    const std::string per_time = "(one per time point)";
    s.noise_ceiling = ResultsSummary::NoiseCeiling{
        check.numbers<double>("/noise_ceiling/lower", {s.times}, per_time),
        check.numbers<double>("/noise_ceiling/upper", {s.times}, per_time)};
  }
  if (f.is_dataset("/onset/cluster_time"))
    s.cluster_onset = check.numbers<double>("/onset/cluster_time", {s.layers}, "(one per layer)");
  if (f.is_dataset("/bootstrap/peak_time")) s.bootstrap = read_bootstrap(check, f, s.layers);
  s.generalise = f.has_attribute("/", "generalise");
  if (f.is_dataset("/groups")) s.groups = f.read<std::int64_t>("/groups");
  if (f.is_dataset("/contrasts/names"))
    for (const auto& name : f.read_strings("/contrasts/names")) {
      const std::string g = "/contrasts/" + name + "/clusters/";
      ResultsSummary::Contrast c;
      c.name = name;
      c.p = f.read<double>(g + "p");
      const std::size_t n = c.p.size();
      c.statistic = check.numbers<double>(g + "statistic", {n}, "(one per cluster)");
      c.time_first = check.numbers<std::int64_t>(g + "time_first", {n}, "(one per cluster)");
      c.time_last = check.numbers<std::int64_t>(g + "time_last", {n}, "(one per cluster)");
      for (std::size_t i = 0; i < n; ++i)
        if (c.time_first[i] < 0 || c.time_last[i] < c.time_first[i] ||
            static_cast<std::size_t>(c.time_last[i]) >= s.times)
          check.fail(g + "time_first",
                     "expected time indices 0 <= first <= last < T = " + std::to_string(s.times));
      s.contrasts.push_back(std::move(c));
    }
}

ResultsSummary read_checked(const std::string& path, const h5::File& f) {
  const Checker check(path, f);
  ResultsSummary s;
  for (const char* name : {"permrsa_version", "scheme", "metric", "tail", "permutations", "seed"})
    check.require_attribute(name);
  s.version = f.attribute_string("/", "permrsa_version");
  const auto mine = version_numbers(PERMRSA_VERSION);
  const auto theirs = version_numbers(s.version);
  if (theirs.empty())
    check.fail("attribute 'permrsa_version'", "expected a version such as " +
                                                  std::string(PERMRSA_VERSION) + ", found \"" +
                                                  s.version + "\"");
  if (theirs > mine)
    check.fail("attribute 'permrsa_version'", "written by permrsa " + s.version +
                                                  ", newer than this permrsa " + PERMRSA_VERSION +
                                                  "; read it with that version or newer");
  s.scheme = f.attribute_string("/", "scheme");
  s.metric = f.attribute_string("/", "metric");
  s.tail = f.attribute_string("/", "tail");
  s.permutations = f.attribute_int64("/", "permutations");
  if (s.permutations < 1)
    check.fail("attribute 'permutations'",
               "expected K >= 1, found " + std::to_string(s.permutations));
  s.seed = f.attribute_uint64("/", "seed");
  if (f.has_attribute("/", "covariates")) {
    for (const char* name : {"covariate_method", "covariate_permute"})
      check.require_attribute(name);
    s.covariates = f.attribute_string("/", "covariates");
    s.covariate_method = f.attribute_string("/", "covariate_method");
    s.covariate_permute = f.attribute_string("/", "covariate_permute");
  }

  check.require_dataset("/axes/layer");
  s.layer_names = f.read_strings("/axes/layer");
  s.time_axis = check.vector<double>("/axes/time");
  s.layers = s.layer_names.size();
  s.times = s.time_axis.size();
  if (s.layers == 0) check.fail("/axes/layer", "expected at least one layer, found none");
  if (s.times == 0) check.fail("/axes/time", "expected at least one time point, found none");
  for (std::size_t t = 0; t < s.times; ++t)
    if (!std::isfinite(s.time_axis[t]))
      check.fail("/axes/time", "expected finite times, found " + std::to_string(s.time_axis[t]) +
                                   " at element " + std::to_string(t));
  // Every map is L x T, with L and T from the axes.
  const std::vector<std::size_t> grid{s.layers, s.times};
  const std::string why = "(L = " + std::to_string(s.layers) +
                          " names in /axes/layer, T = " + std::to_string(s.times) +
                          " times in /axes/time)";
  s.observed = check.numbers<double>("/observed", grid, why);
  s.p_uncorrected = check.numbers<double>("/p_uncorrected", grid, why);
  s.p_maxstat = check.numbers<double>("/p_maxstat", grid, why);
  check.probabilities("/p_uncorrected", s.p_uncorrected);
  check.probabilities("/p_maxstat", s.p_maxstat);
  check.probabilities("/p_cluster", check.numbers<double>("/p_cluster", grid, why));

  auto& c = s.clusters;
  c.p = check.vector<double>("/clusters/p");
  c.statistic = check.vector<double>("/clusters/statistic");
  c.size = check.vector<std::int64_t>("/clusters/size");
  c.layer_first = check.vector<std::int64_t>("/clusters/layer_first");
  c.layer_last = check.vector<std::int64_t>("/clusters/layer_last");
  c.time_first = check.vector<std::int64_t>("/clusters/time_first");
  c.time_last = check.vector<std::int64_t>("/clusters/time_last");
  const std::size_t count = c.p.size();
  for (const auto& [name, length] : {std::pair{"/clusters/statistic", c.statistic.size()},
                                     {"/clusters/size", c.size.size()},
                                     {"/clusters/layer_first", c.layer_first.size()},
                                     {"/clusters/layer_last", c.layer_last.size()},
                                     {"/clusters/time_first", c.time_first.size()},
                                     {"/clusters/time_last", c.time_last.size()}})
    if (length != count)
      check.fail(name, "expected " + std::to_string(count) + " clusters (as /clusters/p), found " +
                           std::to_string(length));
  check.probabilities("/clusters/p", c.p);
  check.index_pairs("/clusters/layer_first", c.layer_first, "/clusters/layer_last", c.layer_last,
                    s.layers, "layer");
  check.index_pairs("/clusters/time_first", c.time_first, "/clusters/time_last", c.time_last,
                    s.times, "time");
  for (std::size_t i = 0; i < count; ++i)
    if (c.size[i] < 1 || c.size[i] > static_cast<std::int64_t>(s.layers * s.times))
      check.fail("/clusters/size", "expected 1 to " + std::to_string(s.layers * s.times) +
                                       " cells, found " + std::to_string(c.size[i]) +
                                       " for cluster " + std::to_string(i));
  read_optional_parts(check, f, grid, why, s);
  return s;
}

}  // namespace

ResultsSummary read_results_summary(const std::string& path) {
  require_regular_file(path, path + ": results file");
  try {
    const h5::File f = h5::File::open_read(path);
    return read_checked(path, f);
  } catch (const h5::Error& e) {
    const std::string object = e.object().empty() ? std::string() : e.object() + ": ";
    throw InputError(path + ": results file: " + object + "cannot " + e.action() + ": " +
                     e.detail() + " (is this a complete permrsa results file?)");
  }
}

}  // namespace permrsa
