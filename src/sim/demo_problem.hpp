// The embedded demo (permrsa run without a config): the synthetic data set of
// permrsa/synthetic.hpp as an analysis problem, block by block.
#pragma once

#include "permrsa/process_grid.hpp"
#include "permrsa/rsa_problem.hpp"

namespace permrsa {

ProblemShape demo_shape();
// The block's brain columns and model rows of the synthetic data (checked like loaded data).
RsaProblem demo_problem(const BlockRange& block);

}  // namespace permrsa
