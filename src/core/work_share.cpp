#include "core/work_share.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

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

std::vector<std::size_t> split_by_rates(std::size_t n, std::span<const double> rates) {
  const std::size_t groups = rates.size();
  std::vector<std::size_t> counts(groups, 0);
  if (groups == 0) return counts;
  double known = 0.0;
  std::size_t measured = 0;
  for (const double r : rates)
    if (r > 0.0 && std::isfinite(r)) known += r, ++measured;
  const double stand_in = measured > 0 ? known / static_cast<double>(measured) : 1.0;
  std::vector<double> weight(groups);
  for (std::size_t g = 0; g < groups; ++g)
    weight[g] = rates[g] > 0.0 && std::isfinite(rates[g]) ? rates[g] : stand_in;
  const double total = std::accumulate(weight.begin(), weight.end(), 0.0);
  const std::size_t first = n >= groups ? 1 : 0;
  const std::size_t rest = n - first * groups;
  std::vector<double> remainder(groups);
  std::size_t given = 0;
  for (std::size_t g = 0; g < groups; ++g) {
    const double exact = static_cast<double>(rest) * weight[g] / total;
    counts[g] = first + static_cast<std::size_t>(std::floor(exact));
    remainder[g] = exact - std::floor(exact);
    given += counts[g];
  }
  std::vector<std::size_t> order(groups);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return remainder[a] > remainder[b]; });
  // The floors add up to at most n (their exact values add up to n), so the rest is handed out.
  for (std::size_t i = 0; given < n; ++i, ++given) ++counts[order[i % groups]];
  return counts;
}

}  // namespace permrsa
