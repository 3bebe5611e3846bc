// Config -> validated RsaProblem. Every check names the file, the config key and the expected
// vs actual value, and runs before any heavy work.
#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include <spdlog/spdlog.h>
#include "io/source_readers.hpp"
#include "numeric/ranks.hpp"
#include "permrsa/array_io.hpp"
#include "permrsa/condensed.hpp"

#include "core/generalisation.hpp"
#include "io/file_hash.hpp"
#include "io/stimulus_names.hpp"
#include "permrsa/error.hpp"
#include "permrsa/rsa_problem.hpp"

namespace permrsa {
namespace {

std::string shape_text(const std::vector<std::size_t>& shape) {
  std::string out = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + (shape.size() == 1 ? ",)" : ")");
}

[[noreturn]] void bad(const std::string& source, const std::string& key, const std::string& msg) {
  throw InputError(source + " (" + key + "): " + msg);
}

// InputError for the first NaN or infinity, naming its index in the whole array: `a` is the
// block that starts at `offset` along `axis` of it (a whole array: offset 0).
void require_finite(const RealArray& a, const std::string& key, std::size_t axis = 0,
                    std::size_t offset = 0) {
  for (std::size_t i = 0; i < a.values.size(); ++i)
    if (!std::isfinite(a.values[i])) {
      std::vector<std::size_t> index(a.shape.size());
      std::size_t rest = i;
      for (std::size_t d = a.shape.size(); d-- > 0;) {
        index[d] = rest % a.shape[d];
        rest /= a.shape[d];
      }
      if (axis < index.size()) index[axis] += offset;
      std::ostringstream m;
      m << "expected finite values, found " << a.values[i] << " at index [";
      for (std::size_t d = 0; d < index.size(); ++d) m << (d > 0 ? ", " : "") << index[d];
      m << "] (0-based)";
      bad(a.source, key, m.str());
    }
}

// Brain columns [t0, t1) of one P x T (or T x P) source as P x (t1 - t0); only those bytes
// are read from .npy and HDF5.
Matrix<double> brain_columns(const std::string& source, const std::string& key, BrainLayout layout,
                             std::size_t t0, std::size_t t1) {
  const bool pairs_time = layout != BrainLayout::time_pairs;
  const std::size_t time_axis = pairs_time ? 1 : 0;
  auto a = read_real_array_block(source, key, time_axis, t0, t1);
  require_finite(a, key, time_axis, t0);
  if (pairs_time) return Matrix<double>(a.shape[0], a.shape[1], std::move(a.values));
  Matrix<double> m(a.shape[1], a.shape[0]);
  for (std::size_t t = 0; t < a.shape[0]; ++t)
    for (std::size_t p = 0; p < a.shape[1]; ++p) m(p, t) = a.values[t * a.shape[1] + p];
  return m;
}

// A models.file written by `permrsa features` ("out.h5:/rdms") carries its layer names in the
// sibling string dataset "layers"; they are used when models.names is not set (and only when
// their count matches L).
std::vector<std::string> sibling_layer_names(const std::string& models_file, std::size_t layers) {
  const ArraySource source = parse_array_source(models_file, "models.file");
  if (source.dataset.empty() || io::container_of(source.file) != io::Container::hdf5) return {};
  const auto slash = source.dataset.find_last_of('/');
  const std::string group = slash == std::string::npos ? "" : source.dataset.substr(0, slash + 1);
  try {
    auto names = read_names(source.file + ":" + group + "layers", "models.file");
    if (names.size() == layers) return names;
  } catch (const InputError&) {
    // no such dataset: default names
  }
  return {};
}

// L x P dissimilarities from models.file (or q x P from covariates.file: `key` names it).
Matrix<double> rdm_rows(RealArray a, std::size_t pairs, ModelKind kind, const std::string& key) {
  require_finite(a, key);
  const std::string rows = key == "models.file" ? "L" : "q";
  Matrix<double> m;
  if (a.dims() == 2) {
    if (a.shape[1] != pairs)
      bad(a.source, key,
          "expected " + rows + " x " + std::to_string(pairs) +
              " condensed RDMs (P must match brain.file), found shape " + shape_text(a.shape));
    m = Matrix<double>(a.shape[0], a.shape[1], a.values);
  } else if (a.dims() == 3) {
    const std::size_t s = a.shape[1];
    if (a.shape[2] != s)
      bad(a.source, key,
          "expected " + rows + " x S x S square RDMs, found shape " + shape_text(a.shape));
    if (pair_count(s) != pairs)
      bad(a.source, key,
          "expected S = " + std::to_string(*stimuli_for_pairs(pairs)) +
              " stimuli to match brain.file, found S = " + std::to_string(s) + " (shape " +
              shape_text(a.shape) + ")");
    m = Matrix<double>(a.shape[0], pairs);
    for (std::size_t l = 0; l < a.shape[0]; ++l) {
      const double* sq = a.values.data() + l * s * s;
      for (std::size_t i = 0; i < s; ++i)
        for (std::size_t j = i + 1; j < s; ++j) {
          const double x = sq[i * s + j], y = sq[j * s + i];
          if (std::fabs(x - y) > 1e-10 * std::max(1.0, std::fabs(x))) {
            std::ostringstream msg;
            msg << "expected a symmetric matrix, found " << (rows == "L" ? "layer " : "covariate ")
                << l << " [" << i << "][" << j << "] = " << x << " but [" << j << "][" << i
                << "] = " << y;
            bad(a.source, key, msg.str());
          }
          m(l, pair_index(i, j, s)) = x;
        }
    }
  } else {
    bad(a.source, key,
        "expected " + rows + " x P or " + rows + " x S x S, found shape " + shape_text(a.shape));
  }
  if (kind == ModelKind::similarity)
    for (auto& v : m.values()) v = 1.0 - v;
  return m;
}

Matrix<double> model_matrix(const RunSpec& spec, RealArray a, std::size_t pairs) {
  return rdm_rows(std::move(a), pairs, spec.models.kind, "models.file");
}

// Time axes must increase strictly: clusters join neighbouring columns and the baseline
// window and the bootstrap's latencies read times as ordered, so a repeated or backward step
// (a concatenation or sorting slip) would give wrong results without a word.
void require_increasing(const std::vector<double>& times, const std::string& source,
                        const std::string& key) {
  for (std::size_t t = 1; t < times.size(); ++t)
    if (!(times[t] > times[t - 1])) {
      std::ostringstream m;
      m.precision(10);
      m << "expected strictly increasing times, found ";
      if (times[t] == times[t - 1])
        m << "a repeat: times[" << t << "] = times[" << t - 1 << "] = " << times[t];
      else
        m << "a step back: times[" << t << "] = " << times[t] << " < times[" << t - 1
          << "] = " << times[t - 1];
      m << " (0-based indices)";
      bad(source, key, m.str());
    }
}

// `given` holds the times when they come from memory (the bindings); else brain.times is read.
std::vector<double> time_axis(const RunSpec& spec, std::size_t t_count,
                              const RealArray* given = nullptr) {
  std::vector<double> times(t_count);
  if (given != nullptr || !spec.brain.times.empty()) {
    auto a = given != nullptr ? *given : read_real_array(spec.brain.times, "brain.times");
    require_finite(a, "brain.times");
    std::size_t nonunit = 0;
    for (auto d : a.shape) nonunit += d != 1;
    if (nonunit > 1 || a.values.size() != t_count)
      bad(a.source, "brain.times",
          "expected a vector of T = " + std::to_string(t_count) +
              " time points to match brain.file, found shape " + shape_text(a.shape));
    times = a.values;
    require_increasing(times, a.source, "brain.times");
  } else {
    const double start = spec.brain.time_start.value_or(0.0),
                 step = spec.brain.time_step.value_or(1.0);
    for (std::size_t t = 0; t < t_count; ++t) times[t] = start + step * static_cast<double>(t);
  }
  return times;
}

// Subtracts each pair's mean over the baseline window start <= t < end from the block's
// columns; the window's columns are read for that (they may lie outside the block).
template <class ReadColumns>
void subtract_baseline(const RunSpec& spec, const std::vector<double>& times, Matrix<double>& brain,
                       ReadColumns&& read_columns) {
  const auto [start, end] = *spec.brain.baseline;
  std::vector<std::size_t> window;
  for (std::size_t t = 0; t < times.size(); ++t)
    if (times[t] >= start && times[t] < end) window.push_back(t);
  if (window.empty()) {
    std::ostringstream m;
    m << "expected at least one time point in the baseline window [" << start << ", " << end
      << "), found none (times run from " << times.front() << " to " << times.back() << ")";
    throw InputError(spec.source + ": brain.baseline: " + m.str());
  }
  if (window.size() == 1) {
    // Subtracting a one-sample mean zeroes that sample's RDM: a constant RDM, whose
    // correlation is undefined (the check would then blame brain.file).
    std::ostringstream m;
    m << "expected at least 2 time points in the baseline window [" << start << ", " << end
      << "), found 1 (t = " << times[window.front()]
      << " s): subtracting its mean would make that time point a constant (all-zero) RDM; "
         "widen the window";
    throw InputError(spec.source + ": brain.baseline: " + m.str());
  }
  const std::size_t w0 = window.front(), w1 = window.back() + 1;
  const Matrix<double> span = read_columns(w0, w1);
  for (std::size_t p = 0; p < brain.rows(); ++p) {
    double mean = 0;
    for (auto t : window) mean += span(p, t - w0);
    mean /= static_cast<double>(window.size());
    for (std::size_t t = 0; t < brain.cols(); ++t) brain(p, t) -= mean;
  }
}

}  // namespace

namespace {

void check_brain(const RsaProblem& problem, const Matrix<double>& brain, const std::string& name,
                 const std::string& key) {
  const std::size_t P = brain.rows(), T = brain.cols();
  if (!stimuli_for_pairs(P))
    throw InputError(name + " (" + key + "): expected P = S(S-1)/2 stimulus pairs, found P = " +
                     std::to_string(P) + ", which is no such number");
  std::vector<double> z(P), column(P);
  for (std::size_t t = 0; t < T; ++t) {
    for (std::size_t p = 0; p < P; ++p) column[p] = brain(p, t);
    if (!standardize(column, z)) {
      const std::size_t time = problem.block.time_begin + t;
      std::ostringstream m;
      m << name << " (" << key << "): time point " << time;
      if (time < problem.times.size()) m << " (t = " << problem.times[time] << " s)";
      m << " is a constant RDM: its correlation with anything is undefined";
      throw InputError(m.str());
    }
  }
}

}  // namespace

void validate_problem(const RsaProblem& problem, const std::string& brain_name,
                      const std::string& models_name,
                      const std::vector<std::string>& subject_names) {
  const std::size_t L = problem.models.rows();
  const std::size_t P = problem.pair_count();
  if (const auto* group = problem.group()) {
    check_brain(problem, group->rdms, brain_name, "brain.file");
  } else if (const auto* subjects = problem.subject_rdms()) {
    for (std::size_t n = 0; n < subjects->rdms.size(); ++n)
      check_brain(problem, subjects->rdms[n],
                  n < subject_names.size() ? subject_names[n]
                                           : brain_name + " subject " + std::to_string(n),
                  subject_names.empty() ? "brain.file" : "brain.files");
  }
  if (problem.models.cols() != P)
    throw InputError(models_name + " (models.file): expected P = " + std::to_string(P) +
                     " pairs to match the brain RDMs, found " +
                     std::to_string(problem.models.cols()));
  std::vector<double> z(P);
  const auto& covariates = problem.covariates;
  if (covariates.any() && covariates.rdms.cols() != P)
    throw InputError(models_name + " (covariates): expected P = " + std::to_string(P) +
                     " pairs to match the brain RDMs, found " +
                     std::to_string(covariates.rdms.cols()));
  for (std::size_t i = 0; i < covariates.rdms.rows(); ++i)
    if (!standardize(covariates.rdms.row(i), z))
      throw InputError("covariate " + covariates.names[i] +
                       " is a constant RDM: its correlation with anything is undefined");
  for (std::size_t l = 0; l < L; ++l)
    if (!standardize(problem.models.row(l), z)) {
      const std::size_t layer = problem.block.layer_begin + l;
      throw InputError(models_name + " (models.file): layer " + std::to_string(layer) +
                       (layer < problem.layers.size() ? " (" + problem.layers[layer] + ")" : "") +
                       " is a constant RDM: its correlation with anything is undefined");
    }
}

namespace {

// The dimensions from the brain's and the models' shapes (file headers or arrays in memory),
// checked against each other.
ProblemShape shape_of(const RunSpec& spec, std::vector<std::size_t> brain,
                      const std::string& source, const std::string& key,
                      const std::vector<std::size_t>& models, const std::string& msource) {
  ProblemShape shape;
  const std::vector<std::size_t> brain_shape = brain;
  if (spec.brain.layout == BrainLayout::subjects_pairs_time) {
    if (brain.size() != 3)
      bad(source, key,
          "expected a 3-D array (subjects x pairs x times), found shape " + shape_text(brain));
    shape.subjects = brain[0];
    brain.erase(brain.begin());
  } else if (!spec.brain.files.empty()) {
    shape.subjects = spec.brain.files.size();
  }
  const bool pairs_time = spec.brain.layout != BrainLayout::time_pairs;
  if (brain.size() != 2)
    bad(source, key,
        "expected a 2-D array (" + std::string(pairs_time ? "pairs x times" : "times x pairs") +
            "), found shape " + shape_text(brain));
  shape.pairs = pairs_time ? brain[0] : brain[1];
  shape.times = pairs_time ? brain[1] : brain[0];
  if (shape.times == 0)
    bad(source, key,
        "expected at least 1 time point (" +
            std::string(pairs_time ? "columns" : "rows, layout time-pairs") +
            "), found T = 0 (shape " + shape_text(brain) + ")");
  const auto S = stimuli_for_pairs(shape.pairs);
  if (!S)
    bad(source, key,
        "expected P = S(S-1)/2 rows of stimulus pairs" +
            std::string(pairs_time ? "" : " (columns, layout time-pairs)") +
            ", found P = " + std::to_string(shape.pairs) + ", which is no such number");
  shape.stimuli = *S;
  // Every axis must hold something: an empty axis leaves no cell to test (and, unchecked, the
  // statistics would index empty arrays).
  if (shape.stimuli < 3)
    bad(source, key,
        "expected at least 3 stimuli (P >= 3 pairs; a correlation between RDMs needs 3 values), "
        "found S = " +
            std::to_string(shape.stimuli) + " (P = " + std::to_string(shape.pairs) + ")");
  if (shape.times == 0)
    bad(source, key,
        "expected at least 1 time point, found T = 0 (shape " + shape_text(brain_shape) + ")");
  if (spec.brain.layout == BrainLayout::subjects_pairs_time && shape.subjects == 0)
    bad(source, key,
        "expected at least 1 subject, found N = 0 (shape " + shape_text(brain_shape) + ")");
  if (spec.analysis.generalise) return generalised_shape(shape);  // no models: L = T
  if (models.size() == 2) {
    if (models[1] != shape.pairs) {
      const auto model_stimuli = stimuli_for_pairs(models[1]);
      bad(msource, "models.file",
          "expected L x " + std::to_string(shape.pairs) +
              " condensed RDMs (P must match brain.file, S = " + std::to_string(shape.stimuli) +
              " stimuli), found shape " + shape_text(models) +
              (model_stimuli ? " (S = " + std::to_string(*model_stimuli) + " stimuli)" : ""));
    }
  } else if (models.size() == 3) {
    if (models[1] != models[2])
      bad(msource, "models.file",
          "expected L x S x S square RDMs, found shape " + shape_text(models));
    if (models[1] != shape.stimuli)
      bad(msource, "models.file",
          "expected S = " + std::to_string(shape.stimuli) +
              " stimuli to match brain.file, found S = " + std::to_string(models[1]) + " (shape " +
              shape_text(models) + ")");
  } else {
    bad(msource, "models.file", "expected L x P or L x S x S, found shape " + shape_text(models));
  }
  shape.layers = models[0];
  if (shape.layers == 0)
    bad(msource, "models.file",
        "expected at least 1 layer, found L = 0 (shape " + shape_text(models) + ")");
  return shape;
}

}  // namespace

namespace {
std::vector<std::size_t> kept_model_rows(const RunSpec& spec, std::size_t L);
}  // namespace

ProblemShape probe_problem_shape(const RunSpec& spec) {
  const bool per_file = !spec.brain.files.empty();
  const std::string first = per_file ? spec.brain.files.front() : spec.brain.file;
  const std::string key = per_file ? "brain.files" : "brain.file";
  const auto brain = read_array_shape(first, key);
  const std::string source = parse_array_source(first, key).text();
  if (spec.brain.layout == BrainLayout::subjects_layers_time) {
    if (brain.size() != 3)
      bad(source, key,
          "expected a 3-D array of per-subject maps (subjects x layers x times), found shape " +
              shape_text(brain));
    if (brain[0] < 2)
      bad(source, key,
          "expected at least 2 subjects for the sign-flip test, found " + std::to_string(brain[0]));
    if (brain[1] == 0 || brain[2] == 0)
      bad(source, key,
          "expected at least 1 layer and 1 time point, found L = " + std::to_string(brain[1]) +
              " and T = " + std::to_string(brain[2]) + " (shape " + shape_text(brain) + ")");
    ProblemShape shape;
    shape.subjects = brain[0];
    shape.layers = brain[1];
    shape.times = brain[2];
    return shape;
  }
  if (per_file && spec.brain.layout != BrainLayout::subjects_pairs_time)
    for (const auto& other : spec.brain.files) {
      const auto s = read_array_shape(other, key);
      if (s != brain)
        bad(parse_array_source(other, key).text(), key,
            "expected the same shape as " + source + " " + shape_text(brain) +
                " (one subject per file), found " + shape_text(s));
    }
  if (spec.analysis.generalise) return shape_of(spec, brain, source, key, {}, "");
  auto shape = shape_of(spec, brain, source, key, read_array_shape(spec.models.file, "models.file"),
                        parse_array_source(spec.models.file, "models.file").text());
  // Layers that are covariates have no partial map: the grid is that of the others.
  if (!spec.covariates.layers.empty()) shape.layers = kept_model_rows(spec, shape.layers).size();
  return shape;
}

RsaProblem load_problem(const RunSpec& spec) {
  const auto shape = probe_problem_shape(spec);
  return load_problem(spec, BlockRange{0, shape.layers, 0, shape.times});
}

namespace {

// Layer names are keys (bootstrap.compare_layers, /axes/layer, the report): each must be
// unique, or results would be attributed to the wrong layer.
void require_unique_names(const std::vector<std::string>& names, const std::string& source,
                          const std::string& key) {
  for (std::size_t i = 1; i < names.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (names[i] == names[j])
        bad(source, key,
            "expected unique layer names, found '" + names[i] + "' twice (names " +
                std::to_string(j) + " and " + std::to_string(i) + ", 0-based)");
}

// Names from models.names, or layer_0 .. layer_{L-1}.
std::vector<std::string> layer_names(const RunSpec& spec, std::size_t L,
                                     const std::string& against) {
  std::vector<std::string> names;
  if (!spec.models.names.empty()) {
    names = read_names(spec.models.names, "models.names");
    if (names.size() != L)
      bad(spec.models.names, "models.names",
          "expected L = " + std::to_string(L) + " layer names to match " + against + ", found " +
              std::to_string(names.size()));
    require_unique_names(names, spec.models.names, "models.names");
  } else {
    if (against == "models.file") names = sibling_layer_names(spec.models.file, L);
    require_unique_names(names, spec.models.file, "models.file (its layers dataset)");
    for (std::size_t l = names.size(); l < L; ++l) names.push_back("layer_" + std::to_string(l));
  }
  return names;
}

// The stimulus names the RDM rows are matched against: the brain's, else the models' (which
// then define the order by position). `models_reordered`: the models were put in another order.
struct StimulusReference {
  std::optional<io::StimulusNames> names;
  bool models_reordered = false;
};

// The model RDMs in the brain's stimulus order when both sides name their stimuli
// (io/stimulus_names.hpp); the brain's names are kept in the problem.
Matrix<double> aligned_models(const RunSpec& spec, Matrix<double> models, std::size_t S,
                              RsaProblem& problem, StimulusReference& reference) {
  const auto brain = io::brain_stimulus_names(spec);
  const auto model = io::model_stimulus_names(spec);
  if (brain) problem.stimulus_names = brain->names;
  reference.names = brain ? brain : model;
  if (!brain || !model) return models;
  const auto order = io::stimulus_order(*brain, *model, S, "the brain and the model RDMs");
  if (std::is_sorted(order.begin(), order.end())) return models;
  reference.models_reordered = true;
  spdlog::info(
      "stimuli: {} lists the same {} stimuli as {} in another order; the model RDMs are "
      "reordered to the brain's order",
      model->source, S, brain->source);
  return io::reorder_rdms(models, order);
}

// covariates.file's RDMs (q x P) in the reference's stimulus order, when the covariates name
// their stimuli (covariates.stimuli, or /stimuli beside an HDF5 file). Without names they are
// taken by position, which is refused when the models were reordered: the covariates would
// then no longer match the brain.
Matrix<double> aligned_covariates(const RunSpec& spec, Matrix<double> covariates, std::size_t S,
                                  const StimulusReference& reference) {
  const auto own = io::covariate_stimulus_names(spec);
  if (!own) {
    if (reference.models_reordered)
      throw InputError(spec.covariates.file +
                       ": covariates.file: the model RDMs are reordered to the brain's stimulus "
                       "order (" +
                       io::model_stimulus_names(spec)->source +
                       " lists the stimuli in another order), but the covariates have no "
                       "stimulus names; expected covariates.stimuli (a text file, one name per "
                       "line, in the order of covariates.file's rows), or the models and "
                       "covariates both in the brain's order");
    return covariates;
  }
  if (!reference.names) {
    spdlog::warn(
        "stimuli: {} names the covariates' stimuli, but neither the brain nor the models name "
        "theirs; the covariate RDMs are matched by position",
        own->source);
    return covariates;
  }
  const auto order =
      io::stimulus_order(*reference.names, *own, S, "the reference and the covariate RDMs");
  if (std::is_sorted(order.begin(), order.end())) return covariates;
  spdlog::info(
      "stimuli: {} lists the same {} stimuli as {} in another order; the covariate RDMs are "
      "reordered to that order",
      own->source, S, reference.names->source);
  return io::reorder_rdms(covariates, order);
}

// The rows of the models that have maps: all but those named in covariates.layers (a layer
// partialled out of itself leaves nothing to correlate), each of which must be one of `names`.
std::vector<std::size_t> kept_rows(const RunSpec& spec, const std::vector<std::string>& names) {
  std::vector<std::size_t> kept;
  const auto& covariate_layers = spec.covariates.layers;
  for (const auto& name : covariate_layers)
    if (std::find(names.begin(), names.end(), name) == names.end())
      throw InputError(spec.source +
                       ": covariates.layers: expected names of layers of the models (" +
                       names.front() + ", ..., " + names.back() + "), found \"" + name + "\"");
  for (std::size_t l = 0; l < names.size(); ++l)
    if (std::find(covariate_layers.begin(), covariate_layers.end(), names[l]) ==
        covariate_layers.end())
      kept.push_back(l);
  if (kept.empty())
    throw InputError(spec.source +
                     ": covariates.layers: every layer of the models is a "
                     "covariate, so no layer is left to test");
  return kept;
}

std::vector<std::size_t> kept_model_rows(const RunSpec& spec, std::size_t L) {
  if (spec.covariates.layers.empty()) {
    std::vector<std::size_t> all(L);
    for (std::size_t l = 0; l < L; ++l) all[l] = l;
    return all;
  }
  return kept_rows(spec, layer_names(spec, L, "models.file"));
}

// The covariates of [covariates]: the rows of covariates.file, then the layers named in
// covariates.layers (rows of the models, `all_models` with their `names`).
// `given`: covariates.file's array (read from the file, or given in memory).
CovariateRdms covariate_rdms(const RunSpec& spec, const Matrix<double>& all_models,
                             const std::vector<std::string>& names, std::size_t pairs,
                             RealArray given_array, const StimulusReference& reference) {
  const auto& c = spec.covariates;
  CovariateRdms out;
  out.method = c.method;
  out.permute = c.permute;
  if (!c.enabled) return out;
  std::vector<double> values;
  if (!c.file.empty()) {
    const auto source = given_array.source;
    const auto given =
        aligned_covariates(spec, rdm_rows(std::move(given_array), pairs, c.kind, "covariates.file"),
                           *stimuli_for_pairs(pairs), reference);
    if (given.rows() == 0)
      bad(source, "covariates.file", "expected at least 1 covariate RDM, found none");
    values = given.values();
    if (!c.names.empty()) {
      out.names = read_names(c.names, "covariates.names");
      if (out.names.size() != given.rows())
        bad(c.names, "covariates.names",
            "expected q = " + std::to_string(given.rows()) +
                " covariate names to match covariates.file, found " +
                std::to_string(out.names.size()));
    } else {
      for (std::size_t i = 0; i < given.rows(); ++i)
        out.names.push_back("covariate_" + std::to_string(i));
    }
  }
  for (const auto& name : c.layers) {
    const auto l =
        static_cast<std::size_t>(std::find(names.begin(), names.end(), name) - names.begin());
    const auto row = all_models.row(l);
    values.insert(values.end(), row.begin(), row.end());
    out.names.push_back(name);
  }
  require_unique_names(out.names, c.names.empty() ? spec.source : c.names, "covariates.names");
  out.rdms = Matrix<double>(out.names.size(), pairs, std::move(values));
  return out;
}

// The sha256 of the input file of an array source "file[:dataset]", stored under `key`.
void hash_array_input(RsaProblem& problem, const std::string& key, const std::string& src) {
  if (!src.empty())
    problem.input_hashes.emplace_back(key, sha256_file(parse_array_source(src, key).file));
}

// The sha256 of a names file "file[:dataset]", stored under `key`.
void hash_names_input(RsaProblem& problem, const std::string& key, const std::string& names) {
  if (!names.empty())
    problem.input_hashes.emplace_back(key, sha256_file(names.substr(0, names.find(':'))));
}

void hash_brain_inputs(const RunSpec& spec, RsaProblem& problem) {
  hash_array_input(problem, "brain.file", spec.brain.file);
  for (std::size_t n = 0; n < spec.brain.files.size(); ++n)
    hash_array_input(problem, "brain.files." + std::to_string(n), spec.brain.files[n]);
  hash_array_input(problem, "brain.times", spec.brain.times);
}

// brain.layout = subjects-layers-time: the block's cells of every subject's map.
RsaProblem load_subject_maps(const RunSpec& spec, const ProblemShape& shape,
                             const BlockRange& block) {
  RsaProblem problem;
  problem.block = block;
  problem.times = time_axis(spec, shape.times);
  // Only the block's time points are read (N x L x Tb), then its layers are kept.
  auto a =
      read_real_array_block(spec.brain.file, "brain.file", 2, block.time_begin, block.time_end, 3);
  require_finite(a, "brain.file", 2, block.time_begin);
  const std::size_t N = shape.subjects, L = shape.layers;
  const std::size_t Lb = block.layers(), Tb = block.times();
  SubjectMaps given;
  given.subjects = N;
  given.maps.resize(N * Lb * Tb);
  for (std::size_t n = 0; n < N; ++n)
    for (std::size_t l = 0; l < Lb; ++l)
      for (std::size_t t = 0; t < Tb; ++t)
        given.maps[(n * Lb + l) * Tb + t] = a.values[(n * L + block.layer_begin + l) * Tb + t];
  problem.brain = std::move(given);
  problem.models = Matrix<double>(Lb, 0);
  problem.layers = layer_names(spec, L, "brain.file (N x L x T maps)");
  hash_array_input(problem, "brain.file", spec.brain.file);
  hash_array_input(problem, "brain.times", spec.brain.times);
  return problem;
}

// The brain RDMs of the block's time points (the models are load_problem's).
RsaProblem load_brain(const RunSpec& spec, const ProblemShape& shape, const BlockRange& block) {
  RsaProblem problem;
  problem.block = block;
  problem.stimuli = shape.stimuli;
  problem.times = time_axis(spec, shape.times);
  if (!spec.brain.files.empty()) {
    SubjectRdms subjects;
    for (const auto& file : spec.brain.files) {
      auto read = [&](std::size_t t0, std::size_t t1) {
        return brain_columns(file, "brain.files", spec.brain.layout, t0, t1);
      };
      subjects.rdms.push_back(read(block.time_begin, block.time_end));
      if (spec.brain.baseline) subtract_baseline(spec, problem.times, subjects.rdms.back(), read);
    }
    problem.brain = std::move(subjects);
  } else if (spec.brain.layout == BrainLayout::subjects_pairs_time) {
    // One N x P x T array: only the time columns of the block (and of the baseline window) are
    // read, for all subjects at once (an .npy reads those bytes only, HDF5 a hyperslab).
    const std::size_t N = shape.subjects, P = shape.pairs;
    std::map<std::pair<std::size_t, std::size_t>, RealArray> stacks;  // [t0, t1) -> N x P x W
    auto stack = [&](std::size_t t0, std::size_t t1) -> const RealArray& {
      auto [it, fresh] = stacks.try_emplace({t0, t1});
      if (fresh) {
        it->second = read_real_array_block(spec.brain.file, "brain.file", 2, t0, t1, 3);
        require_finite(it->second, "brain.file", 2, t0);
      }
      return it->second;
    };
    SubjectRdms subjects;
    for (std::size_t n = 0; n < N; ++n) {
      auto read = [&](std::size_t t0, std::size_t t1) {
        const auto& values = stack(t0, t1).values;
        const auto first = values.begin() + static_cast<std::ptrdiff_t>(n * P * (t1 - t0));
        return Matrix<double>(
            P, t1 - t0,
            std::vector<double>(first, first + static_cast<std::ptrdiff_t>(P * (t1 - t0))));
      };
      subjects.rdms.push_back(read(block.time_begin, block.time_end));
      if (spec.brain.baseline) subtract_baseline(spec, problem.times, subjects.rdms.back(), read);
    }
    problem.brain = std::move(subjects);
  } else {
    auto read = [&](std::size_t t0, std::size_t t1) {
      return brain_columns(spec.brain.file, "brain.file", spec.brain.layout, t0, t1);
    };
    GroupRdms group{read(block.time_begin, block.time_end)};
    if (spec.brain.baseline) subtract_baseline(spec, problem.times, group.rdms, read);
    problem.brain = std::move(group);
  }
  return problem;
}

// analysis.generalise: the block (t1 range x t2 range) of the T x T problem, from the brain
// columns of both ranges (core/generalisation.hpp); each range checked as brain.file.
RsaProblem load_generalised(const RunSpec& spec, const ProblemShape& shape,
                            const BlockRange& block) {
  auto problem = generalised_problem(spec.analysis, block, [&](std::size_t t0, std::size_t t1) {
    RsaProblem columns = load_brain(spec, shape, BlockRange{0, 0, t0, t1});
    columns.models = Matrix<double>(0, shape.pairs);
    validate_problem(columns, spec.brain.file, spec.models.file, spec.brain.files);
    return columns;
  });
  if (const auto names = io::brain_stimulus_names(spec)) problem.stimulus_names = names->names;
  hash_brain_inputs(spec, problem);
  hash_names_input(problem, "brain.stimuli", spec.brain.stimuli);
  hash_array_input(problem, "analysis.permutation_file", spec.analysis.permutation_file);
  return problem;
}

}  // namespace

RsaProblem load_problem(const RunSpec& spec, const BlockRange& block) {
  const auto shape = probe_problem_shape(spec);
  if (spec.brain.layout == BrainLayout::subjects_layers_time)
    return load_subject_maps(spec, shape, block);
  if (spec.analysis.generalise) return load_generalised(spec, shape, block);
  RsaProblem problem = load_brain(spec, shape, block);
  StimulusReference reference;
  const auto models = aligned_models(
      spec, model_matrix(spec, read_real_array(spec.models.file, "models.file"), shape.pairs),
      shape.stimuli, problem, reference);
  const auto kept = kept_model_rows(spec, models.rows());
  problem.models = Matrix<double>(block.layers(), shape.pairs);
  for (std::size_t l = 0; l < block.layers(); ++l) {
    const auto row = models.row(kept[block.layer_begin + l]);
    std::copy(row.begin(), row.end(), problem.models.row(l).begin());
  }
  const auto all_names = layer_names(spec, models.rows(), "models.file");
  for (const auto l : kept) problem.layers.push_back(all_names[l]);
  problem.covariates = covariate_rdms(
      spec, models, all_names, shape.pairs,
      spec.covariates.file.empty() ? RealArray{}
                                   : read_real_array(spec.covariates.file, "covariates.file"),
      reference);
  validate_problem(problem, spec.brain.file, spec.models.file, spec.brain.files);
  hash_brain_inputs(spec, problem);
  hash_array_input(problem, "models.file", spec.models.file);
  hash_names_input(problem, "brain.stimuli", spec.brain.stimuli);
  hash_names_input(problem, "models.stimuli", spec.models.stimuli);
  hash_names_input(problem, "covariates.stimuli", spec.covariates.stimuli);
  hash_names_input(problem, "models.names", spec.models.names);
  hash_array_input(problem, "covariates.file", spec.covariates.file);
  hash_names_input(problem, "covariates.names", spec.covariates.names);
  hash_array_input(problem, "analysis.permutation_file", spec.analysis.permutation_file);
  return problem;
}

RsaProblem problem_from_arrays(const RunSpec& spec, const ProblemArrays& arrays) {
  if (spec.brain.layout == BrainLayout::subjects_layers_time)
    throw InputError(
        spec.source +
        ": brain.layout: \"subjects-layers-time\" (per-subject maps) is "
        "read from files only; from arrays, expected \"pairs-time\", \"time-pairs\" or "
        "\"subjects-pairs-time\"");
  const std::string& source = spec.brain.file;
  auto brain = arrays.brain;
  brain.source = source;
  auto models = arrays.models;
  models.source = spec.models.file;
  const auto shape = shape_of(spec, brain.shape, source, "brain.file", models.shape, models.source);
  require_finite(brain, "brain.file");
  RsaProblem problem;
  problem.block = BlockRange{0, shape.layers, 0, shape.times};
  problem.stimuli = shape.stimuli;
  if (arrays.times.empty()) {
    problem.times = time_axis(spec, shape.times);
  } else {
    const RealArray times{{arrays.times.size()}, arrays.times, "<times>"};
    problem.times = time_axis(spec, shape.times, &times);
  }
  const std::size_t P = shape.pairs, T = shape.times;
  // Subject n's columns [t0, t1) as P x (t1 - t0), from any of the three layouts.
  auto columns = [&](std::size_t n, std::size_t t0, std::size_t t1) {
    Matrix<double> m(P, t1 - t0);
    for (std::size_t p = 0; p < P; ++p)
      for (std::size_t t = t0; t < t1; ++t)
        m(p, t - t0) = spec.brain.layout == BrainLayout::time_pairs
                           ? brain.values[t * P + p]
                           : brain.values[(n * P + p) * T + t];
    return m;
  };
  SubjectRdms subjects;
  for (std::size_t n = 0; n < std::max<std::size_t>(1, shape.subjects); ++n) {
    auto read = [&](std::size_t t0, std::size_t t1) { return columns(n, t0, t1); };
    Matrix<double> m = read(0, T);
    if (spec.brain.baseline) subtract_baseline(spec, problem.times, m, read);
    subjects.rdms.push_back(std::move(m));
  }
  if (shape.subjects == 0)
    problem.brain = GroupRdms{std::move(subjects.rdms.front())};
  else
    problem.brain = std::move(subjects);
  if (spec.analysis.generalise) {  // no models: the T x T problem of the brain alone
    problem.models = Matrix<double>(0, P);
    validate_problem(problem, spec.brain.file, spec.models.file);
    return generalised_problem(spec.analysis, problem.block, [&](std::size_t t0, std::size_t t1) {
      return time_columns(problem, t0, t1);
    });
  }
  const auto all_models = model_matrix(spec, std::move(models), P);
  std::vector<std::string> names;
  if (!arrays.layers.empty()) {
    names = arrays.layers;
    if (names.size() != shape.layers)
      bad("<layers>", "models.names",
          "expected L = " + std::to_string(shape.layers) +
              " layer names to match models.file, found " + std::to_string(names.size()));
    require_unique_names(names, "<layers>", "models.names");
  } else {
    for (std::size_t l = 0; l < shape.layers; ++l) names.push_back("layer_" + std::to_string(l));
  }
  // The layers that are covariates are left out, as load_problem does.
  const auto kept = kept_rows(spec, names);
  problem.models = Matrix<double>(kept.size(), P);
  for (std::size_t i = 0; i < kept.size(); ++i) {
    const auto row = all_models.row(kept[i]);
    std::copy(row.begin(), row.end(), problem.models.row(i).begin());
    problem.layers.push_back(names[kept[i]]);
  }
  problem.block = BlockRange{0, kept.size(), 0, shape.times};
  if (!spec.covariates.file.empty() && arrays.covariates.shape.empty())
    throw InternalError("problem_from_arrays: covariates.file is set but no covariates array");
  problem.covariates = covariate_rdms(spec, all_models, names, P, arrays.covariates, {});
  validate_problem(problem, spec.brain.file, spec.models.file);
  return problem;
}

PermutationSet load_permutations(const RunSpec& spec, std::size_t stimuli) {
  const auto& file = spec.analysis.permutation_file;
  if (file.empty())
    return PermutationSet::generated(stimuli, spec.analysis.permutations, spec.analysis.seed);
  const auto a = read_int_array(file, "analysis.permutation_file");
  if (a.dims() != 2 || a.shape[1] != stimuli || a.shape[0] < 1)
    bad(a.source, "analysis.permutation_file",
        "expected a K x S array with S = " + std::to_string(stimuli) +
            " stimuli and K >= 1, found shape " + shape_text(a.shape));
  std::vector<std::uint32_t> rows(a.values.size());
  std::vector<char> seen(stimuli);
  for (std::size_t k = 0; k < a.shape[0]; ++k) {
    std::fill(seen.begin(), seen.end(), 0);
    for (std::size_t i = 0; i < stimuli; ++i) {
      const auto v = a.values[k * stimuli + i];
      if (v < 0 || static_cast<std::size_t>(v) >= stimuli || seen[static_cast<std::size_t>(v)])
        bad(a.source, "analysis.permutation_file",
            "expected each row to be a permutation of 0.." + std::to_string(stimuli - 1) +
                ", found row " + std::to_string(k) + " (permutation " + std::to_string(k + 1) +
                ") with value " + std::to_string(v) + " at column " + std::to_string(i) +
                (v >= 0 && static_cast<std::size_t>(v) < stimuli ? " repeated" : " out of range"));
      seen[static_cast<std::size_t>(v)] = 1;
      rows[k * stimuli + i] = static_cast<std::uint32_t>(v);
    }
  }
  return PermutationSet::from_rows(stimuli, std::move(rows));
}

}  // namespace permrsa
