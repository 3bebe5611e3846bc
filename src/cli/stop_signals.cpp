#include "cli/stop_signals.hpp"

#include <csignal>

#include "permrsa/atomic_file.hpp"

namespace permrsa::cli {
namespace {

volatile std::sig_atomic_t received = 0;

void install(int signal, void (*handler)(int), int flags) {
  struct sigaction action {};
  action.sa_handler = handler;
  sigemptyset(&action.sa_mask);
  action.sa_flags = flags;
  sigaction(signal, &action, nullptr);
}

// Only async-signal-safe calls: unlink (in remove_live_temporaries), sigaction, raise. The
// signal, raised again with the default action, ends the process once the handler returns.
extern "C" void on_end_signal(int signal) {
  remove_live_temporaries();
  install(signal, SIG_DFL, 0);
  std::raise(signal);
}

extern "C" void on_stop_signal(int signal) {
  if (signal == SIGINT && received == SIGINT) {
    on_end_signal(signal);  // Ctrl-C twice: stop now
    return;
  }
  received = signal;
}

}  // namespace

void remove_temporaries_on_signals() {
  for (int signal : {SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2}) install(signal, on_end_signal, 0);
}

void catch_stop_signals() {
  // SA_RESTART: a write or a read in progress goes on.
  for (int signal : {SIGTERM, SIGUSR1, SIGINT}) install(signal, on_stop_signal, SA_RESTART);
}

bool stop_requested() {
  return received != 0;
}

const char* stop_signal_name() {
  switch (received) {
    case SIGTERM:
      return "SIGTERM";
    case SIGUSR1:
      return "SIGUSR1";
    case SIGINT:
      return "SIGINT";
    default:
      return "";
  }
}

}  // namespace permrsa::cli
