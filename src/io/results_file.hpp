// The results file: one HDF5 file with fixed dataset names (README "Output"), written to a
// temporary name beside the target and renamed only when complete.
#pragma once

#include <string>

#include "permrsa/analysis_spec.hpp"
#include "permrsa/communicator.hpp"
#include "permrsa/rsa_problem.hpp"
#include "permrsa/permutation_analysis.hpp"

namespace permrsa {

// Collective: every rank of `world` calls it. Ranks with result.writes_maps write their block's
// hyperslab of each (L, T) map; world rank 0 writes the rest (clusters, null, axes). With MPI
// running this is one parallel-HDF5 file written with collective transfers; serially a plain
// HDF5 file. The file appears under its name only when complete (rank 0 renames it); a failure
// (e.g. a full disk) is thrown on every rank with the same message, and leaves no file.
void write_results(const std::string& path, const RunSpec& spec, const RsaProblem& problem,
                   const AnalysisResult& result, const Communicator& world);

}  // namespace permrsa
