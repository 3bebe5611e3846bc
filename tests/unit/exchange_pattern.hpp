// The all-to-all exchange that the communicator tests check on every implementation (in-process
// here, MPI in tests/mpi): rank r sends rank q the (r + q) % 3 values 1000 r + 10 q + j,
// j = 0, 1, ..., so rank q must receive them from every r in rank order (empty segments
// included). Worked out by hand from each rank's contribution.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace permrsa::test {

struct ExchangePattern {
  std::vector<std::int32_t> send;      // rank r's segments, for ranks 0, 1, ... in order
  std::vector<std::size_t> counts;     // their lengths
  std::vector<std::int32_t> expected;  // what rank r must receive
};

inline ExchangePattern exchange_pattern(int r, int n) {
  ExchangePattern p;
  for (int q = 0; q < n; ++q) {
    p.counts.push_back(static_cast<std::size_t>((r + q) % 3));
    for (int j = 0; j < (r + q) % 3; ++j) p.send.push_back(1000 * r + 10 * q + j);
    for (int j = 0; j < (q + r) % 3; ++j) p.expected.push_back(1000 * q + 10 * r + j);
  }
  return p;
}

}  // namespace permrsa::test
