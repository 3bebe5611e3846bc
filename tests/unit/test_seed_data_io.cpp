// Reading the real EEG x VGG16 data set (../shared/data/seed-eeg-vgg16). The folder comes from
// $PERMRSA_SEED_DATA; without it the tests are skipped. Expected shapes and values are the ones
// the data set's README.md states.
#include <gtest/gtest.h>

#include <cstdlib>

#include "permrsa/array_io.hpp"

namespace permrsa {
namespace {

std::string seed_data_dir() {
  const char* dir = std::getenv("PERMRSA_SEED_DATA");
  return dir != nullptr ? dir : "";
}

TEST(SeedDataIo, ReadsTheTimeVectorFromTheMatFile) {
  const std::string dir = seed_data_dir();
  if (dir.empty()) GTEST_SKIP() << "PERMRSA_SEED_DATA is not set";
  // README: time_vector.mat, variable `time`, (1, 218) float64, -0.19921875 to 0.6484375.
  const RealArray time = read_real_array(dir + "/time_vector.mat:time", "brain.times");
  ASSERT_EQ(time.shape, (std::vector<std::size_t>{1, 218}));
  EXPECT_EQ(time.values.front(), -0.19921875);
  EXPECT_EQ(time.values.back(), 0.6484375);
  EXPECT_EQ(time.values[1] - time.values[0], 1.0 / 256.0);  // "step 1/256 s"
}

TEST(SeedDataIo, ReadsTheBrainRdmsFromTheNpyFile) {
  const std::string dir = seed_data_dir();
  if (dir.empty()) GTEST_SKIP() << "PERMRSA_SEED_DATA is not set";
  // README: brain_rdms.npy, float64, (1176, 218), C order.
  const RealArray rdms = read_real_array(dir + "/brain_rdms.npy", "brain.file");
  EXPECT_EQ(rdms.shape, (std::vector<std::size_t>{1176, 218}));
  EXPECT_EQ(rdms.values.size(), 1176u * 218u);
}

TEST(SeedDataIo, ReadsTheLayerNamesAndLayerCorrelations) {
  const std::string dir = seed_data_dir();
  if (dir.empty()) GTEST_SKIP() << "PERMRSA_SEED_DATA is not set";
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
