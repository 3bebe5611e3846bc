// What every command does with its outputs before any work: check where they go (exit 2 naming
// the option and the path: check_output_locations) and clear the temporaries that killed runs
// left beside them.
#pragma once

#include <vector>

#include "permrsa/communicator.hpp"
#include "permrsa/output_location.hpp"

namespace permrsa::cli {

// InputError unless every output location is good (see check_output_locations); then world
// rank 0 removes the stale temporaries of each output (remove_stale_temporaries), naming them in
// the log. Run it inside agree() so that all ranks stop together.
void prepare_outputs(const std::vector<FileRole>& outputs, const std::vector<FileRole>& inputs,
                     const Communicator& world);

}  // namespace permrsa::cli
