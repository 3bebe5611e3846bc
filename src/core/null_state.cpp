#include "permrsa/null_state.hpp"

#include <algorithm>
#include <cstdio>
#include <functional>

#include "core/cell_thresholds.hpp"
#include "permrsa/error.hpp"

namespace permrsa {

KRanges normalized(KRanges ranges) {
  std::erase_if(ranges, [](const KRange& r) { return r.size() == 0; });
  std::sort(ranges.begin(), ranges.end(),
            [](const KRange& a, const KRange& b) { return a.first < b.first; });
  KRanges out;
  for (const auto& r : ranges) {
    if (!out.empty() && r.first <= out.back().last)
      out.back().last = std::max(out.back().last, r.last);
    else
      out.push_back(r);
  }
  return out;
}

KRanges unite(const KRanges& a, const KRanges& b) {
  KRanges all = a;
  all.insert(all.end(), b.begin(), b.end());
  return normalized(std::move(all));
}

KRanges subtract(const KRanges& from, const KRanges& remove) {
  KRanges out;
  const KRanges cut = normalized(remove);
  for (const auto& r : normalized(from)) {
    std::int64_t at = r.first;
    for (const auto& c : cut) {
      if (c.last <= at || c.first >= r.last) continue;
      if (c.first > at) out.push_back({at, c.first});
      at = std::max(at, c.last);
    }
    if (at < r.last) out.push_back({at, r.last});
  }
  return out;
}

KRanges intersect(const KRanges& a, const KRanges& b) {
  KRanges out;
  for (const auto& x : normalized(a))
    for (const auto& y : normalized(b)) {
      const KRange r{std::max(x.first, y.first), std::min(x.last, y.last)};
      if (r.size() > 0) out.push_back(r);
    }
  return normalized(out);
}

std::int64_t count(const KRanges& ranges) {
  std::int64_t n = 0;
  for (const auto& r : ranges) n += r.size();
  return n;
}

std::string describe(const KRanges& ranges) {
  if (ranges.empty()) return "none";
  std::string text;
  for (const auto& r : ranges)
    text += (text.empty() ? "" : ", ") + std::to_string(r.first) + ":" + std::to_string(r.last);
  return text;
}

KRange parse_k_range(const std::string& text, std::int64_t permutations,
                     const std::string& option) {
  const std::int64_t end = permutations + 1;
  auto fail = [&](const std::string& why) {
    return InputError(option + ": expected A:B, half-open within 0:" + std::to_string(end) +
                      " (k = 0 is the observed data, K = " + std::to_string(permutations) +
                      "), or part I/N, found \"" + text + "\"" + (why.empty() ? "" : ": " + why));
  };
  if (text == "all") return {0, end};
  long long a = 0, b = 0;
  char colon = 0, extra = 0;
  KRange r;
  if (std::sscanf(text.c_str(), "%lld%c%lld%c", &a, &colon, &b, &extra) == 3 && colon == '/') {
    // Part a of b (0-based): the split an array task computes without knowing K.
    if (b < 1 || a < 0 || a >= b) throw fail("part I/N needs 0 <= I < N");
    const auto n = static_cast<unsigned long long>(end);
    return {static_cast<std::int64_t>(n * static_cast<unsigned long long>(a) /
                                      static_cast<unsigned long long>(b)),
            static_cast<std::int64_t>(n * static_cast<unsigned long long>(a + 1) /
                                      static_cast<unsigned long long>(b))};
  }
  if (std::sscanf(text.c_str(), "%lld%c%lld%c", &a, &colon, &b, &extra) == 3 && colon == ':') {
    r = {a, b};
  } else if (std::sscanf(text.c_str(), "%lld%c%c", &a, &colon, &extra) == 2 && colon == ':') {
    r = {a, end};
  } else {
    throw fail("");
  }
  if (r.first < 0 || r.last > end || r.first >= r.last)
    throw fail(r.last > end ? "B is past K + 1" : "expected 0 <= A < B");
  return r;
}

NullState NullState::empty(std::int64_t permutations, std::size_t cells, bool two_pass, bool tfce,
                           std::size_t top_capacity) {
  NullState s;
  s.permutations = permutations;
  s.cells = cells;
  s.two_pass = two_pass;
  s.tfce = tfce;
  const auto n = static_cast<std::size_t>(permutations + 1);
  s.exceed.assign(cells, 0);
  s.max_statistic.assign(n, 0.0);
  s.max_cluster.assign(n, 0.0);
  if (tfce) s.max_tfce.assign(n, 0.0);
  if (two_pass) s.top_capacity = top_capacity;
  return s;
}

bool NullState::pass1_complete() const {
  return pass1 == KRanges{all()};
}

bool NullState::complete() const {
  return pass1_complete() && (!two_pass || pass2 == KRanges{all()});
}

std::string merge_conflict(const NullState& a, const NullState& b) {
  if (a.permutations != b.permutations)
    return "K = " + std::to_string(a.permutations) + " vs K = " + std::to_string(b.permutations);
  if (a.cells != b.cells)
    return std::to_string(a.cells) + " vs " + std::to_string(b.cells) + " map cells";
  if (a.two_pass != b.two_pass || a.tfce != b.tfce || a.top_capacity != b.top_capacity)
    return "different cluster-threshold or TFCE settings";
  const auto p1 = intersect(a.pass1, b.pass1), p2 = intersect(a.pass2, b.pass2);
  if (!p1.empty())
    return "both hold permutations " + describe(p1) + (a.two_pass ? " of pass 1" : "");
  if (!p2.empty()) return "both hold permutations " + describe(p2) + " of pass 2";
  if (!a.thresholds.empty() && !b.thresholds.empty() && a.thresholds != b.thresholds)
    return "different pass-2 cluster-forming thresholds (from different pass-1 results)";
  return "";
}

void NullState::absorb(const NullState& other) {
  if (const auto why = merge_conflict(*this, other); !why.empty())
    throw InternalError("NullState::absorb: " + why);
  auto copy_at = [](std::vector<double>& to, const std::vector<double>& from,
                    const KRanges& ranges) {
    for (const auto& r : ranges)
      for (std::int64_t k = std::max<std::int64_t>(r.first, 1); k < r.last; ++k)
        to[static_cast<std::size_t>(k)] = from[static_cast<std::size_t>(k)];
  };
  copy_at(max_statistic, other.max_statistic, other.pass1);
  if (tfce) copy_at(max_tfce, other.max_tfce, other.pass1);
  copy_at(max_cluster, other.max_cluster, two_pass ? other.pass2 : other.pass1);
  if (!other.pass1.empty()) {
    for (std::size_t c = 0; c < cells; ++c) exceed[c] += other.exceed[c];
  }
  if (two_pass && !other.pass1.empty()) {
    // Per cell: the top_capacity largest of both multisets are the largest of their union.
    const std::size_t held = std::min(top_capacity, top_held + other.top_held);
    std::vector<double> merged(cells * held), values;
    for (std::size_t c = 0; c < cells; ++c) {
      values.assign(top_values.begin() + static_cast<std::ptrdiff_t>(c * top_held),
                    top_values.begin() + static_cast<std::ptrdiff_t>((c + 1) * top_held));
      values.insert(
          values.end(), other.top_values.begin() + static_cast<std::ptrdiff_t>(c * other.top_held),
          other.top_values.begin() + static_cast<std::ptrdiff_t>((c + 1) * other.top_held));
      std::sort(values.begin(), values.end(), std::greater<>());
      std::copy_n(values.begin(), held, merged.begin() + static_cast<std::ptrdiff_t>(c * held));
    }
    top_values = std::move(merged);
    top_held = held;
  }
  if (thresholds.empty()) thresholds = other.thresholds;
  pass1 = unite(pass1, other.pass1);
  pass2 = unite(pass2, other.pass2);
}

NullState NullState::only_pass2() const {
  NullState s = empty(permutations, cells, two_pass, tfce, top_capacity);
  s.pass2 = pass2;
  s.max_cluster = max_cluster;
  s.thresholds = thresholds;
  return s;
}

void NullState::settle_thresholds() {
  if (!two_pass || !pass1_complete() || top_values.empty()) return;
  CellTopValues top(cells, top_capacity);
  for (std::size_t c = 0; c < cells; ++c)
    for (std::size_t j = 0; j < top_held; ++j) top.push(c, top_values[c * top_held + j]);
  thresholds = top.thresholds(permutations + 1);
  top_values.clear();
  top_held = 0;
}

}  // namespace permrsa
