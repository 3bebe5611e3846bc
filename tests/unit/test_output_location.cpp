// check_output_locations and run_input_files (include/permrsa/output_location.hpp): issue 15's
// D6 (an output path equal to an input, under any spelling: "./", a symbolic link, a hard link)
// and D14 (a missing or unwritable folder, a folder where a file is expected), found before any
// work as an InputError naming the option and the path.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "permrsa/config.hpp"
#include "permrsa/error.hpp"
#include "permrsa/output_location.hpp"
#include "test_io_support.hpp"

namespace permrsa {
namespace {

namespace fs = std::filesystem;
using test::message_of;
using test::ScratchDir;
using test::write_bytes;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(OutputLocation, ANewFileInAnExistingFolderIsFine) {
  ScratchDir dir;
  write_bytes(dir.file("brain.npy"), "input");
  write_bytes(dir.file("old.h5"), "overwritten by design");
  EXPECT_NO_THROW(check_output_locations(
      {{dir.file("r.h5"), "output.file"}, {dir.file("old.h5"), "--checkpoint"}},
      {{dir.file("brain.npy"), "brain.file"}}));
}

TEST(OutputLocation, AMissingFolderIsNamed) {
  ScratchDir dir;
  const auto message = message_of<InputError>([&] {
    check_output_locations({{dir.file("nodir/ck.h5"), "--checkpoint"}});
  });
  EXPECT_TRUE(contains(message, dir.file("nodir/ck.h5") + " (--checkpoint)")) << message;
  EXPECT_TRUE(contains(message, "found no folder " + dir.file("nodir"))) << message;
}

TEST(OutputLocation, AFolderWhereAFileIsExpectedIsRefused) {
  ScratchDir dir;
  fs::create_directory(dir.file("d"));
  const auto message = message_of<InputError>([&] {
    check_output_locations({{dir.file("d"), "output.file"}});
  });
  EXPECT_TRUE(contains(message, "(output.file): expected a file name, found a folder")) << message;
}

TEST(OutputLocation, ADeviceOrAFifoIsRefused) {
  ScratchDir dir;
  ASSERT_EQ(::mkfifo(dir.file("pipe").c_str(), 0600), 0);
  EXPECT_TRUE(contains(message_of<InputError>([&] {
                         check_output_locations({{dir.file("pipe"), "--out"}});
                       }),
                       "found a FIFO"));
  EXPECT_TRUE(contains(message_of<InputError>([&] {
                         check_output_locations({{"/dev/null", "output.file"}});
                       }),
                       "found a device"));
}

TEST(OutputLocation, AnInputUnderAnySpellingIsRefused) {
  ScratchDir dir;
  write_bytes(dir.file("brain.npy"), "input");
  fs::create_symlink(dir.file("brain.npy"), dir.file("link.npy"));
  fs::create_hard_link(dir.file("brain.npy"), dir.file("hard.npy"));
  const std::vector<FileRole> inputs{{dir.file("brain.npy"), "brain.file"}};
  for (const std::string& spelling :
       {dir.file("brain.npy"), dir.file("./brain.npy"), dir.file("sub/../brain.npy"),
        dir.file("link.npy"), dir.file("hard.npy")}) {
    if (spelling.find("sub/") != std::string::npos) fs::create_directories(dir.file("sub"));
    const auto message = message_of<InputError>([&] {
      check_output_locations({{spelling, "output.file"}}, inputs);
    });
    EXPECT_TRUE(contains(message, spelling + " (output.file): is the same file as brain.file"))
        << message;
    EXPECT_TRUE(contains(message, "refusing to overwrite it")) << message;
  }
}

TEST(OutputLocation, TwoOutputsMayNotBeOneFile) {
  ScratchDir dir;
  const auto message = message_of<InputError>([&] {
    check_output_locations(
        {{dir.file("results.h5"), "output.file"}, {dir.file("./results.h5"), "--checkpoint"}});
  });
  EXPECT_TRUE(contains(message, "(--checkpoint): is the same file as output.file")) << message;
}

TEST(OutputLocation, AFolderOutputMayExistButNotAsAFile) {
  ScratchDir dir;
  fs::create_directory(dir.file("report"));
  write_bytes(dir.file("results.h5"), "x");
  EXPECT_NO_THROW(check_output_locations({{dir.file("report"), "--out", true}}));
  EXPECT_NO_THROW(check_output_locations({{dir.file("new_report"), "--out", true}}));
  const auto message = message_of<InputError>([&] {
    check_output_locations({{dir.file("results.h5"), "--out", true}},
                           {{dir.file("results.h5"), "results"}});
  });
  EXPECT_TRUE(contains(message, "expected a folder (or a new name), found a file")) << message;
}

TEST(OutputLocation, EveryArraySourceOfTheConfigIsAnInput) {
  // The keys of README "Config"; "file.h5:/dataset" sources give their file.
  const RunSpec spec = parse_run_spec(
      "[brain]\nfile = \"b.h5:/rdms\"\ntimes = \"t.npy\"\n"
      "[models]\nfile = \"m.mat:models\"\nnames = \"names.txt\"\n"
      "[analysis]\npermutation_file = \"p.npy\"\n",
      "test.toml", "/cfg", {});
  const auto files = run_input_files(spec);
  std::vector<std::string> seen;
  for (const auto& f : files) seen.push_back(f.role + "=" + f.path);
  EXPECT_EQ(seen, (std::vector<std::string>{"brain.file=/cfg/b.h5", "brain.times=/cfg/t.npy",
                                            "models.file=/cfg/m.mat", "models.names=/cfg/names.txt",
                                            "analysis.permutation_file=/cfg/p.npy"}));
}

}  // namespace
}  // namespace permrsa
