#include "cli/progress_line.hpp"

#include <unistd.h>

#include <cstdio>

namespace permrsa::cli {

namespace {
std::string clock_text(double seconds) {
  const auto s = static_cast<long long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", s / 3600, (s / 60) % 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%lld:%02lld", s / 60, s % 60);
  return buf;
}
}  // namespace

ProgressLine::ProgressLine(std::string what, bool enabled)
    : what_(std::move(what)), enabled_(enabled), tty_(::isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()), last_(start_) {}

void ProgressLine::update(std::int64_t done, std::int64_t total) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  const bool last = done >= total;
  // On a TTY redraw 5x per second; in a log file one line per second.
  if (!last && now - last_ < std::chrono::milliseconds(tty_ ? 200 : 1000)) return;
  last_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0;
  const double eta = rate > 0 ? static_cast<double>(total - done) / rate : 0.0;
  std::fprintf(stderr, "%s%s: %5.1f%% (%lld/%lld) %.1f/s ETA %s%s", tty_ ? "\r" : "",
               what_.c_str(), total > 0 ? 100.0 * static_cast<double>(done) / static_cast<double>(total) : 100.0,
               static_cast<long long>(done), static_cast<long long>(total), rate, clock_text(eta).c_str(),
               tty_ ? "\033[K" : "\n");
  std::fflush(stderr);
  printed_ = true;
}

void ProgressLine::finish() {
  if (enabled_ && printed_ && tty_) std::fputc('\n', stderr);
}

}  // namespace permrsa::cli
