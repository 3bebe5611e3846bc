// Stimulus identity between the brain and the model RDMs (issue 18). RDM rows were matched by
// position only, so event ids that do not follow the image order gave a silently wrong RSA.
// Each side's names come from, in order:
//   - brain.stimuli / models.stimuli (a text file, one name per line, or an HDF5 string dataset);
//   - the /stimuli dataset beside the RDMs in a permrsa HDF5 file (`permrsa rdm` writes the
//     event names, `permrsa features` the image file stems; integers are read as their text);
// else the side has none. When both sides have names: the same order is used as is; the same
// set in another order reorders the model RDMs to the brain's order (and the log says so);
// different sets are an InputError naming the first three mismatches on each side.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "permrsa/analysis_spec.hpp"
#include "permrsa/matrix.hpp"

namespace permrsa::io {

struct StimulusNames {
  std::vector<std::string> names;
  std::string source;  // where they came from, for messages: "brain.stimuli (names.txt)"
};

std::optional<StimulusNames> brain_stimulus_names(const RunSpec& spec);
std::optional<StimulusNames> model_stimulus_names(const RunSpec& spec);
// The stimulus order of the rows and columns of covariates.file's RDMs: covariates.stimuli, or
// the /stimuli dataset beside an HDF5 covariates.file.
std::optional<StimulusNames> covariate_stimulus_names(const RunSpec& spec);

// The position in `other` of each of `reference`'s names (the reference's order), or InputError
// when the two are not the same set of S distinct names. `what` names the two sides in the
// message: "the brain and the model RDMs".
std::vector<std::size_t> stimulus_order(const StimulusNames& reference, const StimulusNames& other,
                                        std::size_t S, const std::string& what);

// Condensed RDMs (one per row, pairs i < j of their own order) in another stimulus order:
// entry (i, j) of the result is the input's (order[i], order[j]).
Matrix<double> reorder_rdms(const Matrix<double>& models, const std::vector<std::size_t>& order);

}  // namespace permrsa::io
