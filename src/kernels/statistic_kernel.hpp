// Statistic maps under stimulus permutations: s_k[l, t] = metric(model_l o pi_k, brain_t).
//
// A permutation only reorders a model RDM's entries, so it reaches the kernel as a pair
// gather (see pair_gather): the permuted model is M'[p] = M[gather[p]].
//
// Invariant: every output value is computed by one fixed sequence of operations that depends
// only on (metric, precision, model row, brain column, gather). No output depends on the batch
// it is computed in, the thread that computes it or the other rows and columns of the block, so
// results are bit-identical for any thread count, batch size or block split.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "kernels/map_codec.hpp"
#include "permrsa/matrix.hpp"
#include "permrsa/statistics.hpp"

namespace permrsa {

class StatisticKernel {
 public:
  virtual ~StatisticKernel() = default;
  virtual std::size_t layers() const = 0;
  virtual std::size_t times() const = 0;
  virtual std::size_t pairs() const = 0;
  // gathers: batch x P; out: batch x layers x times, row-major.
  virtual void compute(std::span<const std::uint32_t> gathers, std::size_t batch,
                       std::span<double> out) const = 0;
  // Floating-point operations (or comparison steps for Kendall) per permutation, for reports.
  virtual double work_per_permutation() const = 0;
  // A lossless 4-byte form of this kernel's output values (kernels/map_codec.hpp), or null.
  virtual std::unique_ptr<MapCodec> map_codec() const { return nullptr; }
};

// models: L x P dissimilarities (condensed); brain: P x T. Both already validated (finite,
// non-constant).
std::unique_ptr<StatisticKernel> make_statistic_kernel(Metric metric, Precision precision,
                                                       const Matrix<double>& models,
                                                       const Matrix<double>& brain);

// The two kernel families (also built directly by tests and benchmarks). Spearman (ranked) is
// the exact int16 kernel on the fastest instruction path of this CPU (spearman_int16_kernel.hpp);
// Pearson the floating-point product in `precision`.
std::unique_ptr<StatisticKernel> make_correlation_kernel(bool ranked, Precision precision,
                                                         const Matrix<double>& models,
                                                         const Matrix<double>& brain);
// The floating-point product for both metrics. Spearman through it is the older path: exact
// only while float64 holds the sums (P (P-1)^2 < 2^53, S <= ~830; it refuses larger P), and in
// float32 only while int32 does (P <= 1290; float64 above). Kept as the int16 kernel's
// cross-check and benchmark baseline.
std::unique_ptr<StatisticKernel> make_correlation_kernel_fp(bool ranked, Precision precision,
                                                            const Matrix<double>& models,
                                                            const Matrix<double>& brain);
std::unique_ptr<StatisticKernel> make_kendall_kernel(Metric variant, const Matrix<double>& models,
                                                     const Matrix<double>& brain);

}  // namespace permrsa
