// Validated inputs of one analysis: what the statistics see, whatever the files were.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "permrsa/analysis_spec.hpp"
#include "permrsa/matrix.hpp"
#include "permrsa/permutations.hpp"

namespace permrsa {

struct RsaProblem {
  Matrix<double> brain;              // P x T dissimilarities (baseline-corrected if asked)
  Matrix<double> models;             // L x P dissimilarities
  std::vector<double> times;         // T seconds
  std::vector<std::string> layers;   // L names
  std::size_t stimuli = 0;           // S, with P = S(S-1)/2
  std::vector<std::pair<std::string, std::string>> input_hashes;  // (config key, sha256)
};

// Reads and validates every input the spec names. Throws InputError (file, field, expected vs
// actual) for any bad input, before any heavy work.
RsaProblem load_problem(const RunSpec& spec);

// The permutations a spec asks for: the explicit file, exhaustive enumeration, or Philox.
PermutationSet load_permutations(const RunSpec& spec, std::size_t stimuli);

// Checks a problem built in memory (the embedded demo, tests, bindings) the same way.
void validate_problem(const RsaProblem& problem, const std::string& brain_name,
                      const std::string& models_name);

}  // namespace permrsa
