// The config of a time x time generalisation run (analysis.generalise = true, issue 19): what
// it refuses, and the one setting it forces.
#pragma once

#include <string>

#include "permrsa/analysis_spec.hpp"

namespace permrsa::io {

// Refuses (InputError naming the key) what the T x T map of the brain against itself cannot
// take: models (it uses none), covariates, per-subject maps (no RDMs), the bootstrap of layer
// latencies, and per-subject RDMs under the stimulus scheme (each subject has its own t1 side).
// Sets correction.connectivity = "layer-time" (4-neighbour over the T x T grid); when the config
// gave "time" (`connectivity_given`), says so in the log.
void apply_generalisation(RunSpec& spec, bool connectivity_given, const std::string& origin);

}  // namespace permrsa::io
