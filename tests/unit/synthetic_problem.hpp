// A whole-grid RsaProblem of `permrsa simulate`'s synthetic data (one group brain RDM per time
// point), for the C++ tests that run analyses without files.
#pragma once

#include <cstddef>
#include <utility>

#include "permrsa/rsa_problem.hpp"
#include "sim/synthetic.hpp"

namespace permrsa {

inline RsaProblem synthetic_problem(std::size_t stimuli, std::size_t layers, std::size_t times) {
  SyntheticSpec spec;
  spec.stimuli = stimuli;
  spec.layers = layers;
  spec.times = times;
  auto data = make_synthetic(spec);
  RsaProblem p;
  p.block = {0, spec.layers, 0, spec.times};
  p.brain = GroupRdms{std::move(data.brain)};
  p.models = std::move(data.models);
  p.times = std::move(data.times);
  p.layers = std::move(data.layers);
  p.stimuli = spec.stimuli;
  return p;
}

}  // namespace permrsa
