#include "permrsa/atomic_file.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <filesystem>

#include "permrsa/error.hpp"

namespace permrsa {
namespace {

namespace fs = std::filesystem;

constexpr const char* kTempMarker = ".tmp-";

// The host part of temporary names: [A-Za-z0-9._] only (a '-' would be read as a separator) and
// short enough that "<name>.tmp-<pid>-<host>-<n>" stays within NAME_MAX for ordinary names.
const std::string& host_tag() {
  static const std::string tag = [] {
    std::array<char, 256> buffer{};
    if (::gethostname(buffer.data(), buffer.size() - 1) != 0) return std::string("host");
    std::string host(buffer.data());
    for (char& c : host)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_') c = '_';
    if (host.size() > 32) host.resize(32);
    return host.empty() ? std::string("host") : host;
  }();
  return tag;
}

// Temporaries not yet committed, for remove_live_temporaries(): lock-free atomics are
// async-signal-safe, a mutex would not be. A process holds one or two at a time; one that finds
// the list full is simply not cleaned up by a signal (the next run removes it as stale).
std::array<std::atomic<const char*>, 64> live_temporaries{};

int list_temporary(const char* name) noexcept {
  for (std::size_t i = 0; i < live_temporaries.size(); ++i) {
    const char* expected = nullptr;
    if (live_temporaries[i].compare_exchange_strong(expected, name)) return static_cast<int>(i);
  }
  return -1;
}

void unlist_temporary(int slot) noexcept {
  if (slot >= 0) live_temporaries[static_cast<std::size_t>(slot)].store(nullptr);
}

bool all_digits(const std::string& text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The pid of a temporary of this host from the part after ".tmp-": "<pid>-<host>-<n>", or
// "<pid>" (the form of permrsa 0.1.0 and before); 0 when it is neither, or of another host.
long local_writer_pid(const std::string& rest) {
  const std::size_t dash = rest.find('-');
  const std::string pid = rest.substr(0, dash);
  if (!all_digits(pid) || pid.size() > 9) return 0;
  if (dash != std::string::npos) {
    const std::size_t last = rest.rfind('-');
    if (last == dash || !all_digits(rest.substr(last + 1))) return 0;
    if (rest.substr(dash + 1, last - dash - 1) != host_tag()) return 0;
  }
  return std::stol(pid);
}

bool process_running(long pid) {
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

// Makes `temp` a new, empty regular file of this process. Whatever has the name already goes
// first: a stale temporary of a dead process whose pid this one reuses, or a symbolic link planted
// so that the writer (HDF5's H5F_ACC_TRUNC, an ofstream) would truncate the file it points at, an
// input say. The file is then created exclusively, without following a link. An entry that is
// back by then means another process is racing for the name: refused. Other failures (no such
// folder, no permission) are left to the writer, which reports them naming the output.
void claim_temporary(const std::string& temp) {
  (void)::unlink(temp.c_str());  // ENOENT in the usual case
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
  if (fd >= 0) {
    ::close(fd);
  } else if (errno == EEXIST) {
    throw RuntimeFailure(temp + ": this temporary name was created again by another process " +
                         "while permrsa claimed it; nothing is written through it");
  }
}

}  // namespace

AtomicFile::AtomicFile(std::string path) : AtomicFile(path, temporary_name(path), true) {
  try {
    claim_temporary(temp_);
  } catch (...) {
    // The destructor runs (the delegated constructor completed): it must not remove an entry
    // that another process made.
    done_ = true;
    throw;
  }
}

AtomicFile::AtomicFile(std::string path, std::string temp_path, bool owner)
    : path_(std::move(path)), temp_(std::move(temp_path)), owner_(owner) {
  if (owner_) slot_ = list_temporary(temp_.c_str());
}

AtomicFile::~AtomicFile() {
  if (!done_) remove_temporary();
  unlist_temporary(slot_);
}

std::string AtomicFile::temporary_name(const std::string& path) {
  static std::atomic<unsigned long> counter{0};
  return path + kTempMarker + std::to_string(::getpid()) + "-" + host_tag() + "-" +
         std::to_string(counter.fetch_add(1));
}

void AtomicFile::commit() {
  if (done_) throw InternalError("AtomicFile::commit(" + path_ + "): committed twice");
  if (owner_) {
    std::error_code error;
    fs::rename(temp_, path_, error);
    if (error) {
      remove_temporary();
      done_ = true;
      throw RuntimeFailure(path_ + ": cannot move the finished file into place (rename from " +
                           temp_ + "): " + error.message());
    }
  }
  done_ = true;
  unlist_temporary(slot_);
  slot_ = -1;
  if (owner_) remove_stale_temporaries(path_);
}

void AtomicFile::remove_temporary() noexcept {
  if (!owner_) return;
  std::error_code ignored;
  fs::remove(temp_, ignored);
}

std::vector<std::string> remove_stale_temporaries(const std::string& path) {
  std::vector<std::string> removed;
  const fs::path target(path);
  const std::string prefix = target.filename().string() + kTempMarker;
  fs::path folder = target.parent_path();
  if (folder.empty()) folder = ".";
  std::error_code error;
  for (fs::directory_iterator it(folder, error), end; !error && it != end; it.increment(error)) {
    const fs::path& entry = it->path();
    const std::string name = entry.filename().string();
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    const long pid = local_writer_pid(name.substr(prefix.size()));
    if (pid <= 0 || pid == static_cast<long>(::getpid()) || process_running(pid)) continue;
    std::error_code ignored;
    if (fs::remove(entry, ignored)) removed.push_back(entry.string());
  }
  return removed;
}

void remove_live_temporaries() noexcept {
  for (auto& entry : live_temporaries)
    if (const char* name = entry.load(); name != nullptr) ::unlink(name);
}

}  // namespace permrsa
