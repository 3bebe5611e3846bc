#include "permrsa/phase_times.hpp"

#include <algorithm>
#include <cstdio>

namespace permrsa {

void PhaseTimes::add(const std::string& phase, double seconds) {
  const auto it = std::find_if(entries_.begin(), entries_.end(),
                               [&](const auto& e) { return e.first == phase; });
  if (it == entries_.end())
    entries_.emplace_back(phase, seconds);
  else
    it->second += seconds;
}

std::string PhaseTimes::table(double total) const {
  std::size_t width = 5;
  for (const auto& [phase, seconds] : entries_) width = std::max(width, phase.size());
  std::string out;
  char line[256];
  std::snprintf(line, sizeof line, "%-*s  %10s  %6s\n", static_cast<int>(width), "phase", "seconds",
                "share");
  out += line;
  double listed = 0;
  for (const auto& [phase, seconds] : entries_) {
    std::snprintf(line, sizeof line, "%-*s  %10.4f  %5.1f%%\n", static_cast<int>(width),
                  phase.c_str(), seconds, total > 0 ? 100.0 * seconds / total : 0.0);
    out += line;
    listed += seconds;
  }
  std::snprintf(line, sizeof line, "%-*s  %10.4f  %5.1f%%\n", static_cast<int>(width),
                "(not in a phase)", std::max(0.0, total - listed),
                total > 0 ? 100.0 * std::max(0.0, total - listed) / total : 0.0);
  out += line;
  std::snprintf(line, sizeof line, "%-*s  %10.4f\n", static_cast<int>(width), "total", total);
  return out + line;
}

}  // namespace permrsa
