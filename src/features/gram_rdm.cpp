// GCC 12 reports a false -Wmaybe-uninitialized inside its AVX-512 intrinsics when it inlines
// Eigen's SYRK kernel (-march=native); the warning is about the compiler's own header.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include "features/gram_rdm.hpp"

#include <cmath>
#include <limits>

#include "permrsa/error.hpp"

namespace permrsa::features {

GramAccumulator::GramAccumulator(std::size_t stimuli, std::size_t features)
    : stimuli_(stimuli),
      features_(features),
      gram_(Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(stimuli),
                                  static_cast<Eigen::Index>(stimuli))),
      sums_(Eigen::VectorXd::Zero(static_cast<Eigen::Index>(stimuli))) {}

void GramAccumulator::add_panel(const double* panel, std::size_t begin, std::size_t width) {
  if (begin != added_ || begin % kChunk != 0 || begin + width > features_ ||
      (width % kChunk != 0 && begin + width != features_))
    throw InternalError("GramAccumulator::add_panel: columns out of order or off the chunk grid");
  const auto S = static_cast<Eigen::Index>(stimuli_);
  for (std::size_t c0 = 0; c0 < width; c0 += kChunk) {
    const std::size_t c = std::min(kChunk, width - c0);
    // A contiguous S x c copy, so the update sees the same operands whatever the panel stride.
    chunk_.resize(S, static_cast<Eigen::Index>(c));
    for (Eigen::Index i = 0; i < S; ++i)
      for (std::size_t k = 0; k < c; ++k)
        chunk_(i, static_cast<Eigen::Index>(k)) =
            panel[static_cast<std::size_t>(i) * width + c0 + k];
    // SYRK, lower triangle: S^2 c FLOP. Eigen runs it on one thread with a fixed blocking for
    // the shape (S, c), so each entry's summation order depends only on S and c.
    gram_.selfadjointView<Eigen::Lower>().rankUpdate(chunk_);
    for (Eigen::Index i = 0; i < S; ++i) {
      double s = 0.0;
      for (Eigen::Index k = 0; k < chunk_.cols(); ++k) s += chunk_(i, k);
      sums_(i) += s;
    }
  }
  added_ += width;
}

std::vector<double> GramAccumulator::rdm(Distance distance) const {
  if (added_ != features_) throw InternalError("GramAccumulator::rdm: columns missing");
  const auto S = static_cast<Eigen::Index>(stimuli_);
  const double D = static_cast<double>(features_);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> out;
  out.reserve(stimuli_ * (stimuli_ - 1) / 2);
  auto centred = [&](Eigen::Index i, Eigen::Index j) {
    return gram_(i, j) - sums_(i) * sums_(j) / D;
  };
  for (Eigen::Index i = 0; i < S; ++i) {
    for (Eigen::Index j = i + 1; j < S; ++j) {
      const double gij = gram_(j, i);  // lower triangle
      double d = nan;
      switch (distance) {
        case Distance::correlation: {
          const double denom = std::sqrt(centred(i, i) * centred(j, j));
          if (denom > 0) d = 1.0 - (gij - sums_(i) * sums_(j) / D) / denom;
          break;
        }
        case Distance::euclidean:
          d = std::sqrt(std::max(0.0, gram_(i, i) + gram_(j, j) - 2.0 * gij));
          break;
        case Distance::cosine: {
          const double denom = std::sqrt(gram_(i, i) * gram_(j, j));
          if (denom > 0) d = 1.0 - gij / denom;
          break;
        }
      }
      out.push_back(d);
    }
  }
  return out;
}

}  // namespace permrsa::features
