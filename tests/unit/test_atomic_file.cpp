// AtomicFile and remove_stale_temporaries (src/io/atomic_file.hpp): the contract of DESIGN.md
// invariant 2 ("output is written to a temporary name and renamed at the end; a run that fails
// leaves no file that looks complete") and issue 15 (D12: temporaries unique per process; D15:
// temporaries of killed runs removed, those of running ones kept).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "permrsa/atomic_file.hpp"
#include "permrsa/error.hpp"
#include "test_io_support.hpp"

namespace permrsa {
namespace {

namespace fs = std::filesystem;
using test::read_bytes;
using test::ScratchDir;
using test::write_bytes;

std::vector<std::string> names_in(const std::string& folder) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(folder))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// The pid of a child process that has exited and been reaped: a process that is not running.
pid_t pid_of_a_finished_process() {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  int status = 0;
  ::waitpid(child, &status, 0);
  return child;
}

// A temporary name of `path` as another process of this host would make it: this process's
// name with its pid replaced ("<path>.tmp-<pid>-<host>-<n>").
std::string temporary_of_pid(const std::string& path, long pid) {
  const std::string mine = AtomicFile::temporary_name(path);
  const std::string own_pid = std::to_string(::getpid());
  const std::size_t at = mine.rfind(".tmp-" + own_pid + "-");
  return mine.substr(0, at) + ".tmp-" + std::to_string(pid) + mine.substr(at + 5 + own_pid.size());
}

// The name the next AtomicFile(path) of this process takes: temporary_name's counter moves on
// by one per call ("<path>.tmp-<pid>-<host>-<n>").
std::string next_temporary_name(const std::string& path) {
  const std::string mine = AtomicFile::temporary_name(path);
  const std::size_t dash = mine.rfind('-');
  return mine.substr(0, dash + 1) + std::to_string(std::stoul(mine.substr(dash + 1)) + 1);
}

TEST(AtomicFile, CommitPutsTheContentUnderItsNameAndLeavesNoTemporary) {
  ScratchDir dir;
  const std::string path = dir.file("out.h5");
  {
    AtomicFile out(path);
    write_bytes(out.temp_path(), "complete");
    EXPECT_FALSE(fs::exists(path));  // nothing under the name before the commit
    out.commit();
  }
  EXPECT_EQ(read_bytes(path), "complete");
  EXPECT_EQ(names_in(dir.file("")), std::vector<std::string>{"out.h5"});
}

TEST(AtomicFile, AFileDroppedBeforeItsCommitLeavesNoTemporaryAndTheOldFileUntouched) {
  ScratchDir dir;
  const std::string path = dir.file("out.h5");
  write_bytes(path, "previous run");
  try {
    AtomicFile out(path);
    write_bytes(out.temp_path(), "half writ");
    throw RuntimeFailure("disk full");
  } catch (const RuntimeFailure&) {
  }
  EXPECT_EQ(read_bytes(path), "previous run");
  EXPECT_EQ(names_in(dir.file("")), std::vector<std::string>{"out.h5"});
}

TEST(AtomicFile, TemporaryNamesSitBesideTheTargetWithThePidAndNeverRepeat) {
  const std::string a = AtomicFile::temporary_name("/data/results.h5");
  const std::string b = AtomicFile::temporary_name("/data/results.h5");
  const std::string prefix = "/data/results.h5.tmp-" + std::to_string(::getpid()) + "-";
  EXPECT_EQ(a.substr(0, prefix.size()), prefix) << a;
  EXPECT_EQ(b.substr(0, prefix.size()), prefix) << b;
  EXPECT_NE(a, b);
}

TEST(AtomicFile, OnlyTheOwnerOfASharedTemporaryRenamesOrRemovesIt) {
  ScratchDir dir;
  const std::string path = dir.file("shared.h5");
  const std::string temp = AtomicFile::temporary_name(path);
  write_bytes(temp, "written by every rank");
  {
    AtomicFile other_rank(path, temp, false);
    other_rank.commit();  // a non-owner only marks it done
  }
  EXPECT_TRUE(fs::exists(temp));
  { AtomicFile dropped_by_other_rank(path, temp, false); }
  EXPECT_TRUE(fs::exists(temp));
  {
    AtomicFile owner(path, temp, true);
    owner.commit();
  }
  EXPECT_EQ(read_bytes(path), "written by every rank");
  EXPECT_FALSE(fs::exists(temp));
}

TEST(AtomicFile, ACommitThatCannotRenameFailsNamingTheFileAndRemovesTheTemporary) {
  ScratchDir dir;
  const std::string path = dir.file("taken");
  fs::create_directory(path);
  write_bytes(dir.file("taken/inside"), "x");  // a non-empty folder: rename(2) refuses
  AtomicFile out(path);
  write_bytes(out.temp_path(), "content");
  try {
    out.commit();
    FAIL() << "expected a RuntimeFailure";
  } catch (const RuntimeFailure& e) {
    EXPECT_NE(std::string(e.what()).find(path + ": cannot move the finished file into place"),
              std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(fs::exists(out.temp_path()));
}

// A symbolic link planted at the temporary name (predictable: pid, host, counter) must not make
// the writer truncate what it points at: an input, here. Before, ofstream and HDF5's
// H5F_ACC_TRUNC followed it, and the commit then renamed the link onto the output's name.
TEST(AtomicFile, ALinkPlantedAtTheTemporaryNameIsReplacedNotFollowed) {
  ScratchDir dir;
  const std::string path = dir.file("results.h5"), input = dir.file("subjects.npy");
  write_bytes(input, "the study's input");
  const std::string planted = next_temporary_name(path);
  fs::create_symlink(input, planted);
  {
    AtomicFile out(path);
    ASSERT_EQ(out.temp_path(), planted);
    EXPECT_FALSE(fs::is_symlink(out.temp_path()));
    EXPECT_TRUE(fs::is_regular_file(out.temp_path()));
    EXPECT_EQ(fs::file_size(out.temp_path()), 0u);
    write_bytes(out.temp_path(), "results");
    out.commit();
  }
  EXPECT_EQ(read_bytes(input), "the study's input");
  EXPECT_FALSE(fs::is_symlink(path));
  EXPECT_EQ(read_bytes(path), "results");
  EXPECT_EQ(names_in(dir.file("")), (std::vector<std::string>{"results.h5", "subjects.npy"}));
}

// A stale temporary under this process's next name (a dead run whose pid this one reuses) is
// replaced by an empty file, not written over in place (a shorter write would keep its tail).
TEST(AtomicFile, AStaleFileAtTheTemporaryNameIsReplacedByAnEmptyOne) {
  ScratchDir dir;
  const std::string path = dir.file("out.h5");
  write_bytes(next_temporary_name(path), "a longer stale content from a dead run");
  AtomicFile out(path);
  EXPECT_EQ(fs::file_size(out.temp_path()), 0u);
}

// A folder at the name cannot be removed: the constructor refuses, naming the temporary, and
// leaves the folder alone.
TEST(AtomicFile, ANameThatCannotBeClaimedIsRefusedAndLeftAlone) {
  ScratchDir dir;
  const std::string path = dir.file("out.h5");
  const std::string taken = next_temporary_name(path);
  fs::create_directory(taken);
  try {
    AtomicFile out(path);
    FAIL() << "expected a RuntimeFailure";
  } catch (const RuntimeFailure& e) {
    EXPECT_NE(std::string(e.what()).find(taken + ": "), std::string::npos) << e.what();
  }
  EXPECT_TRUE(fs::is_directory(taken));
}

TEST(AtomicFile, RemoveLiveTemporariesUnlinksWhatIsNotCommittedYet) {
  // What the SIGINT/SIGTERM handler of the CLI calls before the process dies.
  ScratchDir dir;
  AtomicFile pending(dir.file("pending.h5"));
  write_bytes(pending.temp_path(), "half");
  AtomicFile done(dir.file("done.h5"));
  write_bytes(done.temp_path(), "whole");
  done.commit();
  remove_live_temporaries();
  EXPECT_EQ(names_in(dir.file("")), std::vector<std::string>{"done.h5"});
}

TEST(StaleTemporaries, ThoseOfFinishedProcessesGoAndThoseOfRunningOnesStay) {
  ScratchDir dir;
  const std::string path = dir.file("ck.h5");
  const pid_t gone = pid_of_a_finished_process();
  const std::string stale = temporary_of_pid(path, gone);
  const std::string stale_old_form = path + ".tmp-" + std::to_string(gone);  // permrsa <= 0.1.0
  const std::string running = temporary_of_pid(path, ::getppid());
  const std::string own = AtomicFile::temporary_name(path);
  const std::string other_host = path + ".tmp-" + std::to_string(gone) + "-elsewhere-0";
  const std::string other_file = dir.file("ck.h5x.tmp-" + std::to_string(gone));
  for (const auto& f : {path, stale, stale_old_form, running, own, other_host, other_file})
    write_bytes(f, "x");

  auto removed = remove_stale_temporaries(path);
  std::sort(removed.begin(), removed.end());
  std::vector<std::string> expected{stale, stale_old_form};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(removed, expected);
  for (const auto& f : {path, running, own, other_host, other_file})
    EXPECT_TRUE(fs::exists(f)) << f;
  EXPECT_TRUE(remove_stale_temporaries(dir.file("missing/ck.h5")).empty());
}

}  // namespace
}  // namespace permrsa
