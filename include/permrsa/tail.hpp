// The tail-oriented statistic e: larger e is always more extreme.
#pragma once

#include <cmath>

#include "permrsa/analysis_spec.hpp"

namespace permrsa {

inline double oriented(double s, Tail tail) {
  switch (tail) {
    case Tail::greater: return s;
    case Tail::less: return -s;
    case Tail::two_sided: return std::fabs(s);
  }
  return s;
}

}  // namespace permrsa
