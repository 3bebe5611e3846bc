#include <algorithm>

#include "io/h5_handles.hpp"
#include "permrsa/atomic_file.hpp"
#include "permrsa/brain_rdm_file.hpp"

namespace permrsa {

void write_brain_rdm_file(const std::string& path, const BrainRdmFile& in) {
  const std::size_t N = in.subjects, P = in.pairs, T = in.times;
  if (in.rdms.size() != N * P * T || in.time.size() != T || in.folds.size() != N || N == 0)
    throw InternalError("write_brain_rdm_file: inconsistent sizes");
  AtomicFile out(path);  // declared first: `file` closes before a failure removes the temporary
  {
    auto file = h5::File::create(out.temp_path());
    using h5::hsize_t;
    if (N == 1) {
      file.write<double>("/rdms", in.rdms, {P, T});
    } else {
      file.write<double>("/rdms", in.rdms, {N, P, T});
    }
    std::vector<double> mean(P * T, 0.0);
    for (std::size_t n = 0; n < N; ++n)
      for (std::size_t i = 0; i < P * T; ++i) mean[i] += in.rdms[n * P * T + i];
    for (auto& v : mean) v /= static_cast<double>(N);
    file.write<double>("/mean", mean, {P, T});
    file.write<double>("/axes/time", in.time, {T});
    file.write_strings("/stimuli", in.stimulus_names);
    file.write<std::int64_t>("/stimulus_labels", in.stimuli, {in.stimuli.size()});
    if (N == 1) {
      file.write<std::int32_t>("/folds", in.folds[0], {in.folds[0].size()});
    } else {
      std::size_t width = 0;
      for (const auto& f : in.folds) width = std::max(width, f.size());
      std::vector<std::int32_t> padded(N * width, -1);
      for (std::size_t n = 0; n < N; ++n)
        std::copy(in.folds[n].begin(), in.folds[n].end(),
                  padded.begin() + static_cast<std::ptrdiff_t>(n * width));
      file.write<std::int32_t>("/folds", padded, {N, width});
    }
    file.write_strings("/subjects", in.subject_sources);
    for (const auto& [name, value] : in.text_attributes) file.set_attribute("/", name, value);
    for (const auto& [name, value] : in.integer_attributes) file.set_attribute("/", name, value);
    file.close();
  }
  out.commit();
}

void write_decision_values(const std::string& path, const std::vector<double>& decisions,
                           std::size_t pairs, std::size_t times,
                           const std::vector<std::int32_t>& folds,
                           const std::vector<std::int64_t>& labels) {
  AtomicFile out(path);  // declared first: `file` closes before a failure removes the temporary
  auto file = h5::File::create(out.temp_path());
  file.write<double>("/decision", decisions, {pairs, times, labels.size()});
  file.write<std::int32_t>("/folds", folds, {labels.size()});
  file.write<std::int64_t>("/labels", labels, {labels.size()});
  file.close();
  out.commit();
}

}  // namespace permrsa
