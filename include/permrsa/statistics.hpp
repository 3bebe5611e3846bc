// What the statistics are, independent of how a run is configured: the comparison metric, the
// tail of the test, and the floating-point precision of the kernels.
#pragma once

namespace permrsa {

enum class Metric { pearson, spearman, kendall_b, kendall_a };
enum class Tail { greater, less, two_sided };
enum class Precision { float32, float64 };

}  // namespace permrsa
