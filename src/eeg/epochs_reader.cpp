#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "io/h5_handles.hpp"
#include "permrsa/array_io.hpp"
#include "permrsa/atomic_file.hpp"
#include "permrsa/epochs.hpp"
#include "permrsa/error.hpp"

namespace permrsa {
namespace {

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string shape_text(const std::vector<std::size_t>& shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

// Labels may be stored as integers or (MATLAB's habit) as whole-valued floats.
std::vector<std::int64_t> read_labels(const std::string& spec) {
  try {
    return read_int_array(spec, "labels").values;
  } catch (const InputError& integer_error) {
    RealArray real;
    try {
      real = read_real_array(spec, "labels");
    } catch (const InputError&) {
      throw integer_error;
    }
    std::vector<std::int64_t> out(real.values.size());
    for (std::size_t i = 0; i < out.size(); ++i) {
      const double v = real.values[i];
      if (!std::isfinite(v) || v != std::round(v) || std::abs(v) > 9.0e15)
        throw InputError(spec + ": labels: expected integer stimulus labels, found " +
                         std::to_string(v) + " at trial " + std::to_string(i));
      out[i] = static_cast<std::int64_t>(v);
    }
    return out;
  }
}

std::size_t vector_length(const std::vector<std::size_t>& shape) {
  // (n,), (1, n) and (n, 1) are all vectors (MATLAB stores row vectors as 1 x n).
  std::size_t n = 1, non_unit = 0;
  for (auto e : shape) {
    n *= e;
    non_unit += e != 1 ? 1 : 0;
  }
  return non_unit <= 1 ? n : 0;
}

// /event_names beside the labels in an HDF5 epochs file ("x.h5:/labels"), as
// `python3 -m permrsa.from_mne` writes them: one name per trial. None for other files.
std::vector<std::string> read_event_names(const std::string& labels, std::size_t trials) {
  const auto colon = labels.rfind(":/");
  if (colon == std::string::npos) return {};
  const std::string file = labels.substr(0, colon);
  if (!(ends_with(file, ".h5") || ends_with(file, ".hdf5"))) return {};
  try {
    const auto f = h5::File::open_read(file);
    if (!f.is_dataset("/event_names")) return {};
    auto names = f.read_strings("/event_names");
    if (names.size() != trials)
      throw InputError(file + ": /event_names: expected one event name per trial (" +
                       std::to_string(trials) + "), found " + std::to_string(names.size()));
    return names;
  } catch (const h5::Error& e) {
    throw InputError(file + ": /event_names: expected strings, one per trial; cannot " +
                     e.action() + ": " + e.detail());
  }
}

}  // namespace

std::vector<std::string> stimulus_names(const std::vector<EpochsHeader>& subjects,
                                        const std::vector<std::int64_t>& stimuli) {
  std::map<std::int64_t, std::pair<std::string, std::string>> named;  // label -> (name, where)
  for (const auto& s : subjects)
    for (std::size_t i = 0; i < s.event_names.size(); ++i) {
      const std::string where = s.sources.labels + " trial " + std::to_string(i);
      const auto [it, fresh] = named.try_emplace(s.labels[i], s.event_names[i], where);
      if (!fresh && it->second.first != s.event_names[i])
        throw InputError(s.sources.labels +
                         ": /event_names: expected one name per label, found "
                         "label " +
                         std::to_string(s.labels[i]) + " named \"" + it->second.first + "\" (" +
                         it->second.second + ") and \"" + s.event_names[i] + "\" (" + where + ")");
    }
  std::vector<std::string> out;
  for (const auto label : stimuli) {
    const auto it = named.find(label);
    out.push_back(it != named.end() ? it->second.first : std::to_string(label));
  }
  return out;
}

EpochsSources epochs_sources(const std::string& epochs, const std::string& labels,
                             const std::string& times) {
  // A bare .h5/.mat/.npy file, or an explicit "file.h5:/dataset" / "file.mat:variable".
  const bool bare = ends_with(epochs, ".h5") || ends_with(epochs, ".hdf5") ||
                    ends_with(epochs, ".mat") || ends_with(epochs, ".npy");
  const auto source = bare ? ArraySource{epochs, ""} : parse_array_source(epochs, "epochs");
  EpochsSources out;
  const bool mat = ends_with(source.file, ".mat");
  const bool npy = ends_with(source.file, ".npy");
  if (npy) {
    out.data = source.file;
  } else if (!source.dataset.empty()) {
    out.data = epochs;
  } else {
    out.data = source.file + (mat ? ":data" : ":/data");
  }
  const auto sibling = [&](const std::string& given, const std::string& name) {
    if (!given.empty()) return given;
    if (npy)
      throw InputError(epochs + ": --" + name +
                       ": expected a labels/times source for .npy epochs (" + "e.g. --" + name +
                       " " + name + ".npy), found none");
    return source.file + (mat ? ":" + name : ":/" + name);
  };
  out.labels = sibling(labels, "labels");
  out.times = sibling(times, "times");
  return out;
}

EpochsHeader read_epochs_header(const EpochsSources& sources) {
  EpochsHeader h;
  h.sources = sources;
  const auto shape = read_array_shape(sources.data, "data");
  if (shape.size() != 3)
    throw InputError(sources.data +
                     ": data: expected 3 dimensions (trials, channels, times), found " +
                     shape_text(shape));
  h.trials = shape[0];
  h.channels = shape[1];
  h.times = shape[2];
  if (h.trials == 0 || h.channels == 0 || h.times == 0)
    throw InputError(sources.data +
                     ": data: expected at least one trial, channel and time point, found " +
                     shape_text(shape));
  h.labels = read_labels(sources.labels);
  if (h.labels.size() != h.trials)
    throw InputError(sources.labels + ": labels: expected one label per trial (" +
                     std::to_string(h.trials) + " trials in " + sources.data + "), found " +
                     std::to_string(h.labels.size()));
  h.event_names = read_event_names(sources.labels, h.trials);
  const auto times = read_real_array(sources.times, "times");
  if (vector_length(times.shape) != h.times)
    throw InputError(sources.times + ": times: expected " + std::to_string(h.times) +
                     " time points (the last axis of " + sources.data + "), found shape " +
                     shape_text(times.shape));
  h.time = times.values;
  for (std::size_t t = 0; t < h.time.size(); ++t)
    if (!std::isfinite(h.time[t]))
      throw InputError(sources.times + ": times: expected finite values, found " +
                       std::to_string(h.time[t]) + " at index " + std::to_string(t));
  // The --window average and the output's time axis read neighbouring samples as neighbours.
  for (std::size_t t = 1; t < h.time.size(); ++t)
    if (!(h.time[t] > h.time[t - 1]))
      throw InputError(sources.times + ": times: expected strictly increasing times, found " +
                       (h.time[t] == h.time[t - 1] ? "a repeat: " : "a step back: ") + "times[" +
                       std::to_string(t) + "] = " + std::to_string(h.time[t]) + " after times[" +
                       std::to_string(t - 1) + "] = " + std::to_string(h.time[t - 1]) +
                       " (0-based indices)");
  return h;
}

std::vector<double> read_epochs_data(const EpochsHeader& header) {
  auto array = read_real_array(header.sources.data, "data");
  const std::vector<std::size_t> expected{header.trials, header.channels, header.times};
  if (array.shape != expected)
    throw InputError(header.sources.data + ": data: expected shape " + shape_text(expected) +
                     ", found " + shape_text(array.shape));
  const auto bad = std::find_if(array.values.begin(), array.values.end(),
                                [](double v) { return !std::isfinite(v); });
  if (bad != array.values.end()) {
    const auto i = static_cast<std::size_t>(bad - array.values.begin());
    const std::size_t per_trial = header.channels * header.times;
    throw InputError(header.sources.data + ": data: expected finite values, found " +
                     std::string(std::isnan(*bad) ? "NaN" : "Inf") + " at trial " +
                     std::to_string(i / per_trial) + ", channel " +
                     std::to_string(i % per_trial / header.times) + ", time index " +
                     std::to_string(i % header.times));
  }
  return std::move(array.values);
}

void check_same_layout(const std::vector<EpochsHeader>& subjects) {
  if (subjects.empty()) return;
  const auto& first = subjects.front();
  const std::set<std::int64_t> first_stimuli(first.labels.begin(), first.labels.end());
  for (const auto& s : subjects) {
    if (s.channels != first.channels)
      throw InputError(s.sources.data + ": data: expected " + std::to_string(first.channels) +
                       " channels (as " + first.sources.data + "), found " +
                       std::to_string(s.channels));
    if (s.time != first.time) {
      std::string detail = std::to_string(s.time.size()) + " time points";
      if (s.time.size() == first.time.size())
        for (std::size_t t = 0; t < s.time.size(); ++t)
          if (s.time[t] != first.time[t]) {
            detail = "times[" + std::to_string(t) + "] = " + std::to_string(s.time[t]) + " vs " +
                     std::to_string(first.time[t]);
            break;
          }
      throw InputError(s.sources.times + ": times: expected the time axis of " +
                       first.sources.times + " (" + std::to_string(first.time.size()) +
                       " time points), found " + detail);
    }
    const std::set<std::int64_t> stimuli(s.labels.begin(), s.labels.end());
    if (stimuli != first_stimuli)
      throw InputError(s.sources.labels + ": labels: expected the stimulus labels of " +
                       first.sources.labels + " (" + std::to_string(first_stimuli.size()) +
                       " distinct), found " + std::to_string(stimuli.size()) +
                       " distinct labels, not the same set");
  }
}

void write_epochs_file(const std::string& path, const std::vector<double>& data,
                       const std::vector<std::int64_t>& labels, const std::vector<double>& times,
                       std::size_t channels) {
  AtomicFile out(path);  // declared first: `file` closes before a failure removes it
  auto file = h5::File::create(out.temp_path());
  const std::size_t trials = labels.size();
  std::vector<float> narrowed(data.size());
  for (std::size_t i = 0; i < data.size(); ++i) narrowed[i] = static_cast<float>(data[i]);
  file.write<float>("/data", narrowed, {trials, channels, times.size()});
  file.write<std::int64_t>("/labels", labels, {trials});
  file.write<double>("/times", times, {times.size()});
  file.close();
  out.commit();
}

}  // namespace permrsa
