#include "core/generalisation.hpp"

#include <limits>

#include "kernels/statistic_kernel.hpp"
#include "numeric/tail.hpp"
#include "permrsa/error.hpp"

namespace permrsa {
namespace {

// P x W brain columns as W x P rows (the model side of the kernel).
Matrix<double> as_rows(const Matrix<double>& columns) {
  Matrix<double> rows(columns.cols(), columns.rows());
  for (std::size_t p = 0; p < columns.rows(); ++p)
    for (std::size_t w = 0; w < columns.cols(); ++w) rows(w, p) = columns(p, w);
  return rows;
}

// Each subject's block of its own T x T map (identity permutation, r before any Fisher z):
// N x block cells, as SubjectMaps holds given maps.
SubjectMaps subject_maps(const AnalysisSettings& analysis, const SubjectRdms& t1,
                         const SubjectRdms& t2, std::size_t cells) {
  SubjectMaps out;
  out.subjects = t2.rdms.size();
  out.maps.assign(out.subjects * cells, 0.0);
  if (cells == 0) return out;
  const std::size_t pairs = t2.rdms.front().rows();
  std::vector<std::uint32_t> identity(pairs);
  for (std::uint32_t p = 0; p < pairs; ++p) identity[p] = p;
  for (std::size_t n = 0; n < out.subjects; ++n) {
    const auto kernel =
        make_statistic_kernel(analysis.metric, analysis.precision, as_rows(t1.rdms[n]), t2.rdms[n]);
    kernel->compute(identity, 1, std::span<double>(out.maps.data() + n * cells, cells));
  }
  return out;
}

class UpperTriangleOnly final : public NullMaps {
 public:
  UpperTriangleOnly(std::unique_ptr<NullMaps> maps, const BlockRange& block, Tail tail)
      : maps_(std::move(maps)),
        cells_(block.cells()),
        s_(least_extreme(tail)),  // never passes, never above another cell's e
        e_(oriented(s_, tail)) {
    for (std::size_t c = 0; c < cells_; ++c)
      if (untested_cell(block, c)) untested_.push_back(c);
  }

  void fill(Batch& batch, std::int64_t first, std::size_t count) const override {
    maps_->fill(batch, first, count);
    for (std::size_t b = 0; b < count; ++b)
      for (const std::size_t c : untested_) {
        batch.s[b * cells_ + c] = s_;
        batch.e[b * cells_ + c] = e_;
      }
  }

 private:
  std::unique_ptr<NullMaps> maps_;
  std::size_t cells_;
  double s_, e_;
  std::vector<std::size_t> untested_;
};

}  // namespace

std::vector<std::string> generalisation_rows(std::size_t times) {
  std::vector<std::string> rows;
  for (std::size_t t = 0; t < times; ++t) rows.push_back("t1=" + std::to_string(t));
  return rows;
}

ProblemShape generalised_shape(ProblemShape brain) {
  brain.layers = brain.times;
  return brain;
}

RsaProblem generalised_problem(const AnalysisSettings& analysis, const BlockRange& block,
                               const BrainColumns& brain_columns) {
  RsaProblem problem = brain_columns(block.time_begin, block.time_end);
  const RsaProblem t1 = brain_columns(block.layer_begin, block.layer_end);
  problem.block = block;
  problem.layers = generalisation_rows(problem.times.size());
  problem.covariates = {};
  if (const auto* group = t1.group()) {
    problem.models = as_rows(group->rdms);
  } else if (const auto* subjects = t1.subject_rdms()) {
    problem.brain = subject_maps(analysis, *subjects, *problem.subject_rdms(), block.cells());
    problem.models = Matrix<double>(block.layers(), 0);
  } else {
    throw InternalError("generalised_problem: expected brain RDMs, found per-subject maps");
  }
  return problem;
}

RsaProblem time_columns(const RsaProblem& whole, std::size_t t0, std::size_t t1) {
  auto slice = [&](const Matrix<double>& m) {
    Matrix<double> out(m.rows(), t1 - t0);
    for (std::size_t p = 0; p < m.rows(); ++p)
      for (std::size_t t = t0; t < t1; ++t) out(p, t - t0) = m(p, t);
    return out;
  };
  RsaProblem out;
  out.block = BlockRange{0, 0, t0, t1};
  if (const auto* group = whole.group()) out.brain = GroupRdms{slice(group->rdms)};
  if (const auto* subjects = whole.subject_rdms()) {
    SubjectRdms sliced;
    for (const auto& m : subjects->rdms) sliced.rdms.push_back(slice(m));
    out.brain = std::move(sliced);
  }
  out.times = whole.times;
  out.stimuli = whole.stimuli;
  out.stimulus_names = whole.stimulus_names;
  out.input_hashes = whole.input_hashes;
  return out;
}

bool untested_cell(const BlockRange& block, std::size_t cell) {
  const std::size_t times = block.times();
  return times > 0 && block.layer_begin + cell / times >= block.time_begin + cell % times;
}

std::unique_ptr<NullMaps> upper_triangle_only(std::unique_ptr<NullMaps> maps,
                                              const BlockRange& block, Tail tail) {
  return std::make_unique<UpperTriangleOnly>(std::move(maps), block, tail);
}

void blank_untested(Matrix<double>& observed, const BlockRange& block) {
  auto& values = observed.values();
  for (std::size_t c = 0; c < values.size() && c < block.cells(); ++c)
    if (untested_cell(block, c)) values[c] = std::numeric_limits<double>::quiet_NaN();
}

}  // namespace permrsa
