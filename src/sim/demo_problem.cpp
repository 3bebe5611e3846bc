#include "sim/demo_problem.hpp"

#include <algorithm>

#include "sim/synthetic.hpp"

namespace permrsa {

ProblemShape demo_shape() {
  const SyntheticSpec d;
  return {d.stimuli, d.stimuli * (d.stimuli - 1) / 2, d.layers, d.times};
}

RsaProblem demo_problem(const BlockRange& block) {
  auto data = make_synthetic(SyntheticSpec{});
  RsaProblem problem;
  problem.block = block;
  GroupRdms brain{Matrix<double>(data.brain.rows(), block.times())};
  for (std::size_t p = 0; p < data.brain.rows(); ++p)
    for (std::size_t t = 0; t < block.times(); ++t)
      brain.rdms(p, t) = data.brain(p, block.time_begin + t);
  problem.brain = std::move(brain);
  problem.models = Matrix<double>(block.layers(), data.models.cols());
  for (std::size_t l = 0; l < block.layers(); ++l) {
    const auto row = data.models.row(block.layer_begin + l);
    std::copy(row.begin(), row.end(), problem.models.row(l).begin());
  }
  problem.times = std::move(data.times);
  problem.layers = std::move(data.layers);
  problem.stimuli = SyntheticSpec{}.stimuli;
  validate_problem(problem, "<embedded demo>", "<embedded demo>");
  return problem;
}

}  // namespace permrsa
