// Wall-clock time per phase of a run, for `permrsa run --profile` (issue 20): where the time goes
// outside the kernel. Phases are accumulated in the order they first occur; timing is only taken
// when a PhaseTimes is attached (RunOptions::profile), so an ordinary run pays nothing.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace permrsa {

class PhaseTimes {
 public:
  void add(const std::string& phase, double seconds);
  // (phase, seconds), in first-seen order.
  const std::vector<std::pair<std::string, double>>& entries() const { return entries_; }
  // The table `permrsa run --profile` prints: phase, seconds, share of `total` seconds.
  std::string table(double total) const;

 private:
  std::vector<std::pair<std::string, double>> entries_;
};

// Adds the time from construction to destruction to `times` (when not null) under `phase`.
class ScopedPhase {
 public:
  ScopedPhase(PhaseTimes* times, std::string phase)
      : times_(times), phase_(std::move(phase)), start_(std::chrono::steady_clock::now()) {}
  ~ScopedPhase() {
    if (times_)
      times_->add(phase_,
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
  }
  ScopedPhase(const ScopedPhase&) = delete;
  ScopedPhase& operator=(const ScopedPhase&) = delete;

 private:
  PhaseTimes* times_;
  std::string phase_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace permrsa
