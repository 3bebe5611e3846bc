// The lookup order of the real data folder (issue 14), the same order tools/seed_data.py gives:
// $PERMRSA_SEED_DATA alone when set; else the folder beside the repository; else
// ${XDG_CACHE_HOME:-~/.cache}/permrsa/seed-eeg-vgg16. Expected values follow from that rule
// applied to folders made here.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "io/seed_data_folder.hpp"

namespace permrsa {
namespace {

namespace fs = std::filesystem;

class SeedDataFolder : public ::testing::Test {
 protected:
  void SetUp() override {
    root = fs::temp_directory_path() / ("permrsa-seed-lookup-" + std::to_string(::getpid()));
    fs::create_directories(root);
    ::unsetenv("PERMRSA_SEED_DATA");
    ::setenv("XDG_CACHE_HOME", (root / "cache").c_str(), 1);
  }
  void TearDown() override { fs::remove_all(root); }
  std::string make_data_folder(const fs::path& folder) {
    fs::create_directories(folder);
    std::ofstream(folder / "brain_rdms.npy") << "x";
    return folder.string();
  }
  fs::path root;
};

TEST_F(SeedDataFolder, CacheFolderFollowsXdgCacheHome) {
  EXPECT_EQ(seed_data_cache_folder(), (root / "cache" / "permrsa" / "seed-eeg-vgg16").string());
}

TEST_F(SeedDataFolder, PrefersTheFolderBesideTheRepositoryToTheCache) {
  const std::string beside = make_data_folder(root / "shared");
  make_data_folder(seed_data_cache_folder());
  EXPECT_EQ(find_seed_data_folder(beside), beside);
}

TEST_F(SeedDataFolder, FallsBackToTheCacheFolder) {
  const std::string cache = make_data_folder(seed_data_cache_folder());
  EXPECT_EQ(find_seed_data_folder((root / "no-such-folder").string()), cache);
}

TEST_F(SeedDataFolder, TheVariableAloneCountsWhenSet) {
  const std::string beside = make_data_folder(root / "shared");
  ::setenv("PERMRSA_SEED_DATA", (root / "typo").c_str(), 1);
  EXPECT_EQ(find_seed_data_folder(beside), std::nullopt);  // no silent fallback past a typo
  const std::string chosen = make_data_folder(root / "typo");
  EXPECT_EQ(find_seed_data_folder(beside), chosen);
  ::unsetenv("PERMRSA_SEED_DATA");
}

TEST_F(SeedDataFolder, MissingMessageNamesEveryPlaceAndTheFetchCommand) {
  const std::string message = seed_data_missing_message((root / "beside").string());
  EXPECT_NE(message.find((root / "beside").string()), std::string::npos);
  EXPECT_NE(message.find(seed_data_cache_folder()), std::string::npos);
  EXPECT_NE(message.find("tools/fetch_seed_data.py"), std::string::npos);
}

}  // namespace
}  // namespace permrsa
