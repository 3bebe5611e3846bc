// permrsa._permrsa: the engine behind `permrsa.run` (python/permrsa/engine.py). NumPy arrays
// in, the same analysis as `permrsa run` (src/cli/run_command.cpp) on one process, results out
// under the results file's dataset names. The GIL is released while the engine runs.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <tbb/global_control.h>
#include <limits>

#include <memory>
#include <optional>

#include "permrsa/agreement.hpp"
#include "permrsa/clusters.hpp"
#include "permrsa/config.hpp"
#include "permrsa/engine.hpp"
#include "permrsa/error.hpp"
#include "permrsa/output_location.hpp"
#include "permrsa/statistic_label.hpp"

namespace py = pybind11;
using permrsa::Matrix;

namespace {

using DoubleArray = py::array_t<double, py::array::c_style | py::array::forcecast>;

permrsa::RealArray to_real_array(const DoubleArray& a, const std::string& name) {
  permrsa::RealArray out;
  for (py::ssize_t d = 0; d < a.ndim(); ++d)
    out.shape.push_back(static_cast<std::size_t>(a.shape(d)));
  out.values.assign(a.data(), a.data() + a.size());
  out.source = name;
  return out;
}

// One finished analysis, kept for Results.save(): the engine's prepared analysis and result.
struct Analysis {
  permrsa::PreparedAnalysis prepared;
  permrsa::AnalysisResult result;
  std::vector<std::string> warnings;  // for Python's warnings.warn (python/permrsa/engine.py)
};

template <class T>
py::array_t<T> vector_array(const std::vector<T>& v) {
  return py::array_t<T>(static_cast<py::ssize_t>(v.size()), v.data());
}

template <class T>
py::array_t<T> matrix_array(const std::vector<T>& v, std::size_t rows, std::size_t cols) {
  return py::array_t<T>({static_cast<py::ssize_t>(rows), static_cast<py::ssize_t>(cols)}, v.data());
}

template <class T>
py::array_t<T> map_array(const Matrix<T>& m) {
  return matrix_array<T>(m.values(), m.rows(), m.cols());
}

// The datasets of the results file (src/io/results_writer.cpp), under the same names and dtypes.
py::dict datasets(const Analysis& a) {
  const auto& r = a.result;
  const auto& problem = a.prepared.problem;
  py::dict d;
  d["/observed"] = map_array(r.observed);
  d["/p_uncorrected"] = map_array(r.p_uncorrected);
  d["/p_maxstat"] = map_array(r.p_maxstat);
  d["/p_cluster"] = map_array(r.p_cluster);
  d["/cluster_id"] = map_array(r.cluster_id);
  const std::size_t rows = problem.layers.size(), cols = problem.times.size();
  d["/p_fdr"] = matrix_array(r.p_fdr, rows, cols);
  d["/p_bonferroni"] = matrix_array(r.p_bonferroni, rows, cols);
  d["/p_holm"] = matrix_array(r.p_holm, rows, cols);
  const permrsa::ClusterColumns c = permrsa::cluster_columns(r.clusters);
  d["/clusters/statistic"] = vector_array(c.statistic);
  d["/clusters/p"] = vector_array(r.cluster_p);
  d["/clusters/size"] = vector_array(c.size);
  d["/clusters/layer_first"] = vector_array(c.layer_first);
  d["/clusters/layer_last"] = vector_array(c.layer_last);
  d["/clusters/time_first"] = vector_array(c.time_first);
  d["/clusters/time_last"] = vector_array(c.time_last);
  d["/clusters/sign"] = vector_array(c.sign);
  d["/null/max_statistic"] = vector_array(r.null_max_statistic);
  d["/null/max_cluster"] = vector_array(r.null_max_cluster);
  if (r.cell_thresholds.size() > 0) d["/null/cell_threshold"] = map_array(r.cell_thresholds);
  if (a.prepared.spec.correction.tfce) {
    d["/tfce"] = map_array(r.tfce);
    d["/p_tfce"] = map_array(r.p_tfce);
    d["/null/max_tfce"] = vector_array(r.null_max_tfce);
  }
  if (r.subject_values) {
    const auto& v = *r.subject_values;
    const std::size_t L = problem.layers.size(), T = problem.times.size();
    py::array_t<double> cube(std::vector<py::ssize_t>{static_cast<py::ssize_t>(v.subjects),
                                                      static_cast<py::ssize_t>(L),
                                                      static_cast<py::ssize_t>(T)});
    std::copy(v.maps.begin(), v.maps.end(), cube.mutable_data());
    d["/subject_maps"] = cube;
    d["/group/mean"] = matrix_array(v.mean, L, T);
    d["/group/sem"] = matrix_array(v.sem, L, T);
  }
  if (a.prepared.spec.analysis.scheme == permrsa::Scheme::two_group)
    d["/groups"] = vector_array(a.prepared.spec.brain.groups);
  std::vector<std::string> contrast_names;
  for (const auto& k : r.contrasts) {
    const std::string g = "/contrasts/" + k.name() + "/";
    contrast_names.push_back(k.name());
    d[py::str(g + "layers")] = py::make_tuple(k.layer_a, k.layer_b);
    d[py::str(g + "observed")] = vector_array(k.test.observed.values());
    d[py::str(g + "mean")] = vector_array(k.mean);
    d[py::str(g + "sem")] = vector_array(k.sem);
    d[py::str(g + "p_uncorrected")] = vector_array(k.test.p_uncorrected.values());
    d[py::str(g + "p_maxstat")] = vector_array(k.test.p_maxstat.values());
    d[py::str(g + "p_cluster")] = vector_array(k.test.p_cluster.values());
    d[py::str(g + "cluster_id")] = vector_array(k.test.cluster_id.values());
    if (!k.test.p_tfce.values().empty()) {
      d[py::str(g + "tfce")] = vector_array(k.test.tfce.values());
      d[py::str(g + "p_tfce")] = vector_array(k.test.p_tfce.values());
    }
    const permrsa::ClusterColumns kc = permrsa::cluster_columns(k.test.clusters);
    d[py::str(g + "clusters/statistic")] = vector_array(kc.statistic);
    d[py::str(g + "clusters/p")] = vector_array(k.test.cluster_p);
    d[py::str(g + "clusters/size")] = vector_array(kc.size);
    d[py::str(g + "clusters/time_first")] = vector_array(kc.time_first);
    d[py::str(g + "clusters/time_last")] = vector_array(kc.time_last);
    d[py::str(g + "clusters/sign")] = vector_array(kc.sign);
    d[py::str(g + "null/max_statistic")] = vector_array(k.test.null_max_statistic);
    d[py::str(g + "null/max_cluster")] = vector_array(k.test.null_max_cluster);
  }
  if (!contrast_names.empty()) d["/contrasts/names"] = py::cast(contrast_names);
  if (r.noise_ceiling) {
    d["/noise_ceiling/lower"] = vector_array(r.noise_ceiling->lower);
    d["/noise_ceiling/upper"] = vector_array(r.noise_ceiling->upper);
  }
  if (r.bootstrap) {
    const auto& b = *r.bootstrap;
    const std::size_t L = problem.layers.size();
    const auto intervals = [&](const std::vector<permrsa::LatencyInterval>& v,
                               const std::string& time, const std::string& ci,
                               const std::string& missing) {
      std::vector<double> estimate, bounds;
      std::vector<std::int64_t> none;
      for (const auto& x : v) {
        estimate.push_back(x.estimate);
        bounds.insert(bounds.end(), {x.low, x.high});
        none.push_back(x.missing);
      }
      d[py::str(time)] = vector_array(estimate);
      d[py::str(ci)] = matrix_array(bounds, L, 2);
      if (!missing.empty()) d[py::str(missing)] = vector_array(none);
    };
    intervals(b.peak, "/bootstrap/peak_time", "/bootstrap/peak_ci", "");
    intervals(b.cluster_onset, "/bootstrap/cluster_onset_time", "/bootstrap/cluster_onset_ci",
              "/bootstrap/onset_missing");
    intervals(b.threshold_onset, "/bootstrap/threshold_onset_time", "/bootstrap/threshold_onset_ci",
              "/bootstrap/threshold_onset_missing");
    d["/bootstrap/peak_samples"] =
        matrix_array(b.peak_samples, static_cast<std::size_t>(b.samples), L);
    for (const auto& diff : b.differences) {
      d["/bootstrap/difference/layers"] = py::make_tuple(diff.layer_a, diff.layer_b);
      d["/bootstrap/difference/estimate"] =
          vector_array(std::vector<double>{diff.interval.estimate});
      d["/bootstrap/difference/ci"] =
          vector_array(std::vector<double>{diff.interval.low, diff.interval.high});
      d["/bootstrap/difference/p"] = vector_array(std::vector<double>{diff.p});
    }
  }
  std::vector<double> onset(problem.layers.size(), std::numeric_limits<double>::quiet_NaN());
  for (std::size_t l = 0; l < r.cluster_onset.size(); ++l)
    if (r.cluster_onset[l] >= 0)
      onset[l] = problem.times[static_cast<std::size_t>(r.cluster_onset[l])];
  d["/onset/cluster_time"] = vector_array(onset);
  d["/axes/time"] = vector_array(problem.times);
  d["/axes/layer"] = problem.layers;
  if (problem.covariates.any()) d["/axes/covariate"] = problem.covariates.names;
  return d;
}

// The root attributes of the results file, as results_writer.cpp writes them.
py::dict attributes(const Analysis& a) {
  const auto& spec = a.prepared.spec;
  py::dict d;
  d["permrsa_version"] = PERMRSA_VERSION;
  d["config"] = spec.resolved_toml;
  d["seed"] = spec.analysis.seed;
  d["permutations"] = a.result.permutations;
  d["metric"] = permrsa::to_string(spec.analysis.metric);
  d["scheme"] = permrsa::to_string(spec.analysis.scheme);
  if (spec.analysis.scheme == permrsa::Scheme::sign_flip) {
    d["group_statistic"] = permrsa::to_string(spec.analysis.group_statistic);
    d["subjects"] = a.prepared.problem.subject_count();
  }
  d["statistic_label"] = permrsa::statistic_label(spec.analysis, a.prepared.problem.subject_count(),
                                                  a.prepared.problem.covariates.any());
  d["tail"] = permrsa::to_string(spec.analysis.tail);
  d["precision"] = permrsa::to_string(spec.analysis.precision);
  d["cluster_threshold"] = permrsa::to_string(spec.correction.cluster_threshold);
  d["cluster_statistic"] = permrsa::to_string(spec.correction.cluster_statistic);
  d["connectivity"] = permrsa::to_string(spec.correction.connectivity);
  d["stimuli"] = a.prepared.problem.stimuli;
  if (spec.analysis.generalise) d["generalise"] = 1;
  d["alpha"] = spec.correction.alpha;
  if (spec.correction.tfce) d["tfce_step"] = a.result.tfce_step;
  if (const auto& c = a.prepared.problem.covariates; c.any()) {
    std::string names;
    for (const auto& n : c.names) names += (names.empty() ? "" : ",") + n;
    d["covariates"] = names;
    d["covariate_method"] = permrsa::to_string(spec.covariates.method);
    d["covariate_permute"] = permrsa::to_string(spec.covariates.permute);
  }
  return d;
}

}  // namespace

PYBIND11_MODULE(_permrsa, m) {
  m.doc() = "permrsa's C++ engine (use the permrsa package, not this module)";
  m.attr("__version__") = PERMRSA_VERSION;
  // Bad input is the caller's to fix: a ValueError, with the CLI's message.
  static py::exception<permrsa::InputError> input_error(m, "InputError", PyExc_ValueError);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const permrsa::InputError& e) {
      input_error(e.what());
    }
  });

  py::class_<Analysis, std::shared_ptr<Analysis>>(m, "Analysis")
      .def("datasets", &datasets, "The results file's datasets: {'/observed': array, ...}")
      .def("attributes", &attributes, "The results file's root attributes")
      .def_readonly("warnings", &Analysis::warnings, "Warnings of the run, for warnings.warn")
      .def(
          "save",
          [](const Analysis& a, const std::string& path,
             const std::vector<std::pair<std::string, std::string>>& input_hashes) {
            permrsa::check_output_locations({{path, "path"}},
                                            permrsa::run_input_files(a.prepared.spec));
            // The file records its own name and what the arrays held (sha256 over dtype,
            // shape and C-order bytes, computed by permrsa.run), as `permrsa run` records
            // its input files.
            permrsa::PreparedAnalysis prepared = a.prepared;
            prepared.spec.output.file = path;
            prepared.spec.resolved_toml = permrsa::to_toml(prepared.spec);
            prepared.problem.input_hashes = input_hashes;
            const auto serial = permrsa::make_serial_communicator();
            py::gil_scoped_release release;
            permrsa::write_results_file(prepared, a.result, path, *serial);
          },
          py::arg("path"),
          py::arg("input_hashes") = std::vector<std::pair<std::string, std::string>>{},
          "Writes the results file exactly as `permrsa run` does");

  m.def(
      "run",
      [](const DoubleArray& brain, const DoubleArray& models, std::optional<DoubleArray> times,
         std::vector<std::string> layers,
         const std::vector<std::pair<std::string, permrsa::SettingValue>>& settings,
         const std::vector<std::string>& sections, int threads,
         std::optional<std::size_t> batch_size, std::optional<double> memory_gib,
         std::optional<DoubleArray> covariates) {
        auto spec = permrsa::spec_from_settings(settings, sections, "permrsa.run");
        permrsa::ProblemArrays arrays{to_real_array(brain, spec.brain.file),
                                      to_real_array(models, spec.models.file),
                                      {},
                                      std::move(layers),
                                      {}};
        if (times) arrays.times = to_real_array(*times, "<times>").values;
        if (covariates) arrays.covariates = to_real_array(*covariates, spec.covariates.file);
        permrsa::EngineOptions options;  // its defaults, unless given
        if (batch_size) options.batch_size = *batch_size;
        if (memory_gib) options.memory_per_rank_gib = *memory_gib;
        if (options.batch_size < 1)
          throw permrsa::InputError("permrsa.run: batch_size: expected >= 1, found 0");
        if (!(options.memory_per_rank_gib > 0))
          throw permrsa::InputError(
              "permrsa.run: memory_gib: expected a positive number of GiB, found " +
              std::to_string(options.memory_per_rank_gib));
        options.memory_option = "memory_gib";
        py::gil_scoped_release release;
        std::optional<tbb::global_control> limit;
        if (threads > 0)
          limit.emplace(tbb::global_control::max_allowed_parallelism,
                        static_cast<std::size_t>(threads));
        const auto serial = permrsa::make_serial_communicator();
        auto a = std::make_shared<Analysis>();
        try {
          a->prepared = permrsa::prepare_analysis([&] { return spec; }, arrays, options, *serial);
        } catch (const permrsa::AgreedFailure& e) {  // one process: the first error as it was
          if (e.exit_code() == permrsa::kExitInputError)
            throw permrsa::InputError(std::string(e.what()).substr(std::string("error: ").size()));
          throw std::runtime_error(e.what());
        }
        a->result = permrsa::run_prepared(a->prepared,
                                          permrsa::run_options_for(a->prepared, options), *serial);
        a->warnings = permrsa::summarize(a->prepared, a->result, *serial);
        return a;
      },
      py::arg("brain"), py::arg("models"), py::arg("times"), py::arg("layers"), py::arg("settings"),
      py::arg("sections"), py::arg("threads") = 0, py::arg("batch_size") = py::none(),
      py::arg("memory_gib") = py::none(), py::arg("covariates") = py::none(),
      "Runs the analysis the settings describe on in-memory arrays (the GIL is released)");
}
