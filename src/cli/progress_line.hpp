// A progress line with rate and ETA on stderr. Shown on a TTY, or when asked (--progress);
// rank 0 only (the caller decides). Updates at most a few times per second.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace permrsa::cli {

class ProgressLine {
 public:
  ProgressLine(std::string what, bool enabled);
  void update(std::int64_t done, std::int64_t total);
  void finish();

 private:
  std::string what_;
  bool enabled_;
  bool tty_;
  bool printed_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace permrsa::cli
