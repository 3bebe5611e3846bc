// Standard normal draws (Box-Muller on two 32-bit words) from one Philox stream: a pure
// function of (seed, stream, domain), so simulated data do not depend on threads or ranks.
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>

#include "permrsa/permutations.hpp"

namespace permrsa {

class PhiloxNormals {
 public:
  // domain keeps the streams of different simulators apart (a four-letter tag).
  PhiloxNormals(std::uint64_t seed, std::uint64_t stream, std::uint32_t domain)
      : words_(seed, stream, domain) {}
  double operator()() {
    const double u1 = (static_cast<double>(words_()) + 0.5) / 4294967296.0;
    const double u2 = (static_cast<double>(words_()) + 0.5) / 4294967296.0;
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }
  // One raw 32-bit word of the same stream.
  std::uint32_t word() { return words_(); }

 private:
  PhiloxStream words_;
};

}  // namespace permrsa
