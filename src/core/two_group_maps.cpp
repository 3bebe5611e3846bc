// The two-group scheme's null maps (issue 19): the subjects' maps once, then every batch of
// relabellings through the two-group kernel.
#include <tbb/parallel_for.h>

#include "core/null_maps.hpp"
#include "kernels/two_group_kernel.hpp"
#include "numeric/tail.hpp"

namespace permrsa {
namespace {

class TwoGroupMaps final : public NullMaps {
 public:
  TwoGroupMaps(const RsaProblem& problem, const AnalysisSettings& analysis,
               const GroupRelabelSet& relabels)
      : relabels_(relabels),
        tail_(analysis.tail),
        kernel_(per_subject_maps(problem, analysis), problem.subject_count(), problem.block.cells(),
                two_group_statistic(analysis.group_statistic)) {}

  void fill(Batch& batch, std::int64_t first, std::size_t count) const override {
    const std::size_t cells = kernel_.cells(), subjects = kernel_.subjects();
    batch.count = count;
    batch.s.resize(count * cells);
    batch.e.resize(count * cells);
    std::vector<std::uint8_t> labels(count * subjects);
    for (std::size_t b = 0; b < count; ++b)
      relabels_.labels(first + static_cast<std::int64_t>(b),
                       std::span(labels).subspan(b * subjects, subjects));
    kernel_.compute(labels, count, batch.s);
    tbb::parallel_for(std::size_t{0}, count, [&](std::size_t b) {
      orient_nulls(batch.s.data() + b * cells, cells, tail_, batch.e.data() + b * cells);
    });
  }

 private:
  const GroupRelabelSet& relabels_;
  Tail tail_;
  TwoGroupKernel kernel_;
};

}  // namespace

TwoGroupStatistic two_group_statistic(GroupStatistic statistic) {
  switch (statistic) {
    case GroupStatistic::mean_difference:
      return TwoGroupStatistic::mean_difference;
    case GroupStatistic::f:
      return TwoGroupStatistic::f;
    default:
      return TwoGroupStatistic::welch_t;
  }
}

std::unique_ptr<NullMaps> make_two_group_maps(const RsaProblem& problem,
                                              const AnalysisSettings& analysis,
                                              const GroupRelabelSet& relabels) {
  return std::make_unique<TwoGroupMaps>(problem, analysis, relabels);
}

}  // namespace permrsa
