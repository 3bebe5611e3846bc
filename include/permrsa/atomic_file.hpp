// AtomicFile: an output that appears under its name only when complete (DESIGN.md invariant 2,
// "nothing is lost or half-written"). Every file permrsa writes (results, shards, checkpoints,
// brain and layer RDMs, .npy) goes through it.
//
// - The content is written to temp_path(), "<path>.tmp-<pid>-<host>-<n>", beside the target (the
//   same folder, so that the rename is atomic). The pid, the host name and a per-process counter
//   make the name unique: two runs writing the same output (even from two nodes sharing a file
//   system) never write into one temporary.
// - The one-argument constructor creates the temporary, empty, as a regular file of this process:
//   whatever had the name is removed first, and a symbolic link planted there is never followed,
//   so writing never truncates another file (a RuntimeFailure if another process re-creates the
//   name in between).
// - commit() renames it onto path(). Until then the destructor removes it, so a failure (an
//   exception, a full disk) leaves neither the name nor a temporary behind.
// - A temporary not yet committed is also listed for signal handlers:
//   remove_live_temporaries() unlinks them before the process dies of SIGINT or SIGTERM.
// - Several processes writing one file (the collective parallel-HDF5 results file): every rank
//   constructs it with the same temporary name (rank 0's, broadcast by the caller once rank 0's
//   one-argument AtomicFile has created it), and only the owner renames or removes it. No MPI
//   here.
#pragma once

#include <string>
#include <vector>

namespace permrsa {

class AtomicFile {
 public:
  // A new temporary of this process for `path`, created empty and owned by this process.
  explicit AtomicFile(std::string path);
  // `temp_path` agreed among several processes; only the `owner` renames or removes it.
  AtomicFile(std::string path, std::string temp_path, bool owner);
  ~AtomicFile();
  // Not copyable or movable: the signal-handler list points at this object's name.
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return temp_; }
  bool owner() const { return owner_; }

  // The owner renames the temporary onto path() (RuntimeFailure naming both on failure, and the
  // temporary is removed), then removes stale temporaries of path() (see below). On the other
  // processes it only marks the file done. Call it once, after the content is closed.
  void commit();

  // "<path>.tmp-<pid>-<host>-<n>" for this process; a new n on every call.
  static std::string temporary_name(const std::string& path);

 private:
  void remove_temporary() noexcept;

  std::string path_;
  std::string temp_;
  bool owner_ = true;
  bool done_ = false;
  int slot_ = -1;  // in the signal-handler list, or -1
};

// Temporaries of `path` ("<path>.tmp-<pid>...") left by processes of this host that are no
// longer running (killed by SIGKILL, a node crash): they can never be committed. Removes them
// and returns their names. Temporaries of running processes (a concurrent run writing the same
// output) and of other hosts are left alone. A missing folder is not an error.
std::vector<std::string> remove_stale_temporaries(const std::string& path);

// Unlinks every temporary of this process that is not committed yet. Async-signal-safe: for a
// handler that then ends the process (src/cli/stop_signals.cpp).
void remove_live_temporaries() noexcept;

}  // namespace permrsa
