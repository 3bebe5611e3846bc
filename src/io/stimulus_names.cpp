#include "io/stimulus_names.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "io/h5_handles.hpp"
#include "permrsa/array_io.hpp"
#include "permrsa/condensed.hpp"
#include "permrsa/error.hpp"

namespace permrsa::io {
namespace {

bool is_hdf5_name(const std::string& file) {
  const auto ends = [&](const std::string& suffix) {
    return file.size() >= suffix.size() &&
           file.compare(file.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return ends(".h5") || ends(".hdf5");
}

// The /stimuli dataset of the HDF5 file behind an array source ("x.h5" or "x.h5:/mean").
std::optional<StimulusNames> names_beside(const std::string& source, const std::string& key) {
  if (source.empty()) return std::nullopt;
  const std::string file = parse_array_source(source, key).file;
  if (!is_hdf5_name(file)) return std::nullopt;
  try {
    const auto f = h5::File::open_read(file);
    if (!f.is_dataset("/stimuli")) return std::nullopt;
    StimulusNames out;
    out.source = file + ":/stimuli (beside " + key + ")";
    const auto info = f.dataset_info("/stimuli");
    if (info.type_class == h5::DatasetInfo::Class::string) {
      out.names = f.read_strings("/stimuli");
    } else if (info.type_class == h5::DatasetInfo::Class::integer) {
      for (const auto v : f.read<std::int64_t>("/stimuli")) out.names.push_back(std::to_string(v));
    } else {
      throw InputError(file +
                       ": /stimuli: expected stimulus names (strings) or integer labels, "
                       "found " +
                       info.type_name());
    }
    return out;
  } catch (const h5::Error& e) {
    throw InputError(file + ": /stimuli: cannot " + e.action() + ": " + e.detail());
  }
}

std::optional<StimulusNames> names_of(const std::string& given, const std::string& given_key,
                                      const std::string& file, const std::string& file_key) {
  if (!given.empty())
    return StimulusNames{read_names(given, given_key), given_key + " (" + given + ")"};
  return names_beside(file, file_key);
}

std::string first_three(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < 3; ++i)
    out += (i ? ", " : "") + ("\"" + names[i] + "\"");
  if (names.size() > 3) out += ", ... (" + std::to_string(names.size()) + " in all)";
  return out.empty() ? "none" : out;
}

void require_distinct(const StimulusNames& s, std::size_t S) {
  if (s.names.size() != S)
    throw InputError(s.source + ": expected S = " + std::to_string(S) +
                     " stimulus names (one per RDM row), found " + std::to_string(s.names.size()));
  std::map<std::string, std::size_t> seen;
  for (std::size_t i = 0; i < S; ++i)
    if (const auto [it, fresh] = seen.emplace(s.names[i], i); !fresh)
      throw InputError(s.source + ": expected distinct stimulus names, found \"" + s.names[i] +
                       "\" at rows " + std::to_string(it->second) + " and " + std::to_string(i));
}

}  // namespace

std::optional<StimulusNames> brain_stimulus_names(const RunSpec& spec) {
  const std::string& file = spec.brain.files.empty() ? spec.brain.file : spec.brain.files.front();
  return names_of(spec.brain.stimuli, "brain.stimuli", file,
                  spec.brain.files.empty() ? "brain.file" : "brain.files");
}

std::optional<StimulusNames> model_stimulus_names(const RunSpec& spec) {
  return names_of(spec.models.stimuli, "models.stimuli", spec.models.file, "models.file");
}

std::optional<StimulusNames> covariate_stimulus_names(const RunSpec& spec) {
  return names_of(spec.covariates.stimuli, "covariates.stimuli", spec.covariates.file,
                  "covariates.file");
}

std::vector<std::size_t> stimulus_order(const StimulusNames& brain, const StimulusNames& model,
                                        std::size_t S, const std::string& what) {
  require_distinct(brain, S);
  require_distinct(model, S);
  std::map<std::string, std::size_t> at;
  for (std::size_t i = 0; i < S; ++i) at.emplace(model.names[i], i);
  std::vector<std::string> only_brain, only_model;
  std::vector<std::size_t> order;
  for (const auto& name : brain.names) {
    const auto it = at.find(name);
    if (it == at.end())
      only_brain.push_back(name);
    else
      order.push_back(it->second);
  }
  if (!only_brain.empty()) {
    const std::set<std::string> in_brain(brain.names.begin(), brain.names.end());
    for (const auto& name : model.names)
      if (!in_brain.count(name)) only_model.push_back(name);
    throw InputError(what + " name different stimuli: " + std::to_string(only_brain.size()) +
                     " only in " + brain.source + " (" + first_three(only_brain) + "), " +
                     std::to_string(only_model.size()) + " only in " + model.source + " (" +
                     first_three(only_model) +
                     "); expected the same stimuli on both sides (in any order): name them "
                     "with brain.stimuli, models.stimuli and covariates.stimuli (text files, one "
                     "name per line), or give the epochs their event names (python3 -m "
                     "permrsa.from_mne)");
  }
  return order;
}

Matrix<double> reorder_rdms(const Matrix<double>& models, const std::vector<std::size_t>& order) {
  const std::size_t S = order.size(), L = models.rows();
  Matrix<double> out(L, models.cols());
  for (std::size_t l = 0; l < L; ++l) {
    std::size_t p = 0;
    for (std::size_t i = 0; i < S; ++i)
      for (std::size_t j = i + 1; j < S; ++j, ++p) {
        out(l, p) = models(l, pair_index(order[i], order[j], S));
      }
  }
  return out;
}

}  // namespace permrsa::io
