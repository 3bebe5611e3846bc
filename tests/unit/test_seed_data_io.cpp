// Reading the real EEG x VGG16 data set. Its folder is found by find_seed_data_folder
// ($PERMRSA_SEED_DATA, ../shared/data/seed-eeg-vgg16 beside the repository, or the fetch tool's
// cache folder); without it the tests are skipped (ctest reports them as skipped, not passed)
// with the fetch command in the message. Expected shapes and values are the ones the data
// set's README.md states (and tools/fetch_seed_data.py's README, which says the same).
#include <gtest/gtest.h>

#include "io/seed_data_folder.hpp"
#include "permrsa/array_io.hpp"

namespace permrsa {
namespace {

const std::string beside_repository = PERMRSA_SOURCE_DIR "/../shared/data/seed-eeg-vgg16";

#define PERMRSA_SEED_DATA_OR_SKIP(dir)                                             \
  const auto found_folder = find_seed_data_folder(beside_repository);              \
  if (!found_folder) GTEST_SKIP() << seed_data_missing_message(beside_repository); \
  const std::string dir = *found_folder

TEST(SeedDataIo, ReadsTheTimeVectorFromTheMatFile) {
  PERMRSA_SEED_DATA_OR_SKIP(dir);
  // README: time_vector.mat, variable `time`, (1, 218) float64, -0.19921875 to 0.6484375.
  const RealArray time = read_real_array(dir + "/time_vector.mat:time", "brain.times");
  ASSERT_EQ(time.shape, (std::vector<std::size_t>{1, 218}));
  EXPECT_EQ(time.values.front(), -0.19921875);
  EXPECT_EQ(time.values.back(), 0.6484375);
  EXPECT_EQ(time.values[1] - time.values[0], 1.0 / 256.0);  // "step 1/256 s"
}

TEST(SeedDataIo, ReadsTheBrainRdmsFromTheNpyFile) {
  PERMRSA_SEED_DATA_OR_SKIP(dir);
  // README: brain_rdms.npy, float64, (1176, 218), C order.
  const RealArray rdms = read_real_array(dir + "/brain_rdms.npy", "brain.file");
  EXPECT_EQ(rdms.shape, (std::vector<std::size_t>{1176, 218}));
  EXPECT_EQ(rdms.values.size(), 1176u * 218u);
}

TEST(SeedDataIo, ReadsTheLayerNamesAndLayerCorrelations) {
  PERMRSA_SEED_DATA_OR_SKIP(dir);
  // README: vgg16_layers.txt has 22 lines, block1_conv1 ... predictions;
  // vgg16_layer_corr.npy is float64 (22, 49, 49).
  const std::vector<std::string> names = read_names(dir + "/vgg16_layers.txt", "model.names");
  ASSERT_EQ(names.size(), 22u);
  EXPECT_EQ(names.front(), "block1_conv1");
  EXPECT_EQ(names.back(), "predictions");
  EXPECT_EQ(read_real_array(dir + "/vgg16_layer_corr.npy", "model.file").shape,
            (std::vector<std::size_t>{22, 49, 49}));
}

}  // namespace
}  // namespace permrsa
