#include "core/work_share.hpp"

#include <algorithm>

namespace permrsa {

KRanges share_of(const KRanges& todo, int parts, int part) {
  const KRanges work = subtract(todo, {{0, 1}});
  const auto n = static_cast<unsigned long long>(count(work));
  const auto begin =
      static_cast<std::int64_t>(n * static_cast<unsigned>(part) / static_cast<unsigned>(parts));
  const auto end =
      static_cast<std::int64_t>(n * static_cast<unsigned>(part + 1) / static_cast<unsigned>(parts));
  KRanges out;
  std::int64_t seen = 0;  // work items before the current range
  for (const auto& r : work) {
    const std::int64_t lo = std::max(begin, seen), hi = std::min(end, seen + r.size());
    if (lo < hi) out.push_back({r.first + (lo - seen), r.first + (hi - seen)});
    seen += r.size();
  }
  return out;
}

std::vector<KRange> batches_of(const KRanges& share, std::size_t batch_size) {
  const auto b = static_cast<std::int64_t>(std::max<std::size_t>(1, batch_size));
  std::vector<KRange> out;
  for (const auto& r : share)
    for (std::int64_t k = r.first; k < r.last; k += b) out.push_back({k, std::min(k + b, r.last)});
  return out;
}

KRanges first_batches(const KRanges& share, std::size_t batch_size, std::size_t n) {
  auto all = batches_of(share, batch_size);
  all.resize(std::min(n, all.size()));
  return normalized(all);
}

}  // namespace permrsa
