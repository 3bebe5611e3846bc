// Signals. Every command: SIGINT, SIGTERM, SIGHUP, SIGUSR1 and SIGUSR2 remove this process's
// uncommitted temporaries (AtomicFile) and then end it as the signal would, so an interrupted
// write leaves no partial file. `run --checkpoint`: SIGTERM, SIGUSR1 and SIGINT become a request
// to save the checkpoint and stop (Slurm sends SIGTERM at a time limit or scancel, and SIGUSR1
// when asked with `#SBATCH --signal=B:USR1@120`; SIGINT is Ctrl-C); a second SIGINT ends the
// process at once, as without a checkpoint.
#pragma once

namespace permrsa::cli {

// Exit code of a run that saved its checkpoint and stopped on request: not finished, run the
// same command again to resume (EX_TEMPFAIL of sysexits.h). jobs/*.sbatch requeue on it.
inline constexpr int kExitStoppedAtCheckpoint = 75;

// Installs the clean-up handlers (for the rest of the process).
void remove_temporaries_on_signals();
// Installs the stop handlers (for the rest of the process).
void catch_stop_signals();
// True once a stop signal arrived.
bool stop_requested();
// The name of the stop signal that arrived ("SIGTERM", "SIGUSR1", "SIGINT"), or "".
const char* stop_signal_name();

}  // namespace permrsa::cli
