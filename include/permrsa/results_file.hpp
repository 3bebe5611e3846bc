// The results file: one HDF5 file with fixed dataset names (README "Output"), written to a
// temporary name beside the target and renamed only when complete.
#pragma once

#include <string>

#include "permrsa/analysis_spec.hpp"
#include "permrsa/rsa_problem.hpp"
#include "permrsa/stimulus_analysis.hpp"

namespace permrsa {

void write_results(const std::string& path, const RunSpec& spec, const RsaProblem& problem,
                   const AnalysisResult& result);

// Fails early (InputError naming output.file) when the output folder does not exist.
void check_output_location(const std::string& path);

}  // namespace permrsa
