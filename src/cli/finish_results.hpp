// The end of `run` and `merge`: the engine's summaries and results file, and the log lines
// around them (bootstrap peaks, peak memory per rank, what was written).
#pragma once

#include <string>

#include "permrsa/communicator.hpp"
#include "permrsa/engine.hpp"

namespace permrsa::cli {

// Collective.
void finish_results(const PreparedAnalysis& a, AnalysisResult& result, const std::string& path,
                    const Communicator& world);

}  // namespace permrsa::cli
