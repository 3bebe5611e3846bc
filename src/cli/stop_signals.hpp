// SIGTERM and SIGUSR1 as a request to save the checkpoint and stop (Slurm sends SIGTERM at a
// time limit or scancel, and SIGUSR1 when asked with `#SBATCH --signal=B:USR1@120`).
#pragma once

namespace permrsa::cli {

// Exit code of a run that saved its checkpoint and stopped on request: not finished, run the
// same command again to resume (EX_TEMPFAIL of sysexits.h). jobs/*.sbatch requeue on it.
inline constexpr int kExitStoppedAtCheckpoint = 75;

// Installs the handlers (for the rest of the process).
void catch_stop_signals();
// True once SIGTERM or SIGUSR1 arrived.
bool stop_requested();
// The name of the signal that arrived ("SIGTERM", "SIGUSR1"), or "".
const char* stop_signal_name();

}  // namespace permrsa::cli
