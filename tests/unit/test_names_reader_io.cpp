// read_names: layer names from text files (one per line) or HDF5 string datasets.
#include <gtest/gtest.h>

#include "io/h5_handles.hpp"
#include "permrsa/array_io.hpp"
#include "permrsa/error.hpp"
#include "test_io_support.hpp"

namespace permrsa {
namespace {

using test::message_of;
using test::ScratchDir;
using test::write_bytes;

TEST(NamesReader, ReadsOneNamePerLineDroppingCarriageReturnsAndBlankLines) {
  // Expected: the names as typed, without the "\r", trailing spaces and the blank lines.
  ScratchDir dir;
  const std::string path = dir.file("layers.txt");
  write_bytes(path, "block1_conv1\r\nblock1_conv2  \n\n   \nfc 2\t\npredictions");
  EXPECT_EQ(read_names(path, "model.names"),
            (std::vector<std::string>{"block1_conv1", "block1_conv2", "fc 2", "predictions"}));
}

TEST(NamesReader, ReadsAnHdf5StringDataset) {
  ScratchDir dir;
  const std::string path = dir.file("model.h5");
  h5::File::create(path).write_strings("/meta/layers", {"conv1", "fc8"});
  EXPECT_EQ(read_names(path + ":/meta/layers", "model.names"),
            (std::vector<std::string>{"conv1", "fc8"}));
}

TEST(NamesReader, RejectsAMissingTextFile) {
  ScratchDir dir;
  const std::string path = dir.file("layers.txt");
  const std::string message = message_of<InputError>([&] { read_names(path, "model.names"); });
  EXPECT_NE(
      message.find(path + " (model.names): cannot open '" + path + "': No such file or directory"),
      std::string::npos)
      << message;
}

TEST(NamesReader, RejectsANumericOrMissingHdf5Dataset) {
  ScratchDir dir;
  const std::string path = dir.file("model.h5");
  h5::File::create(path).write<double>("/rdms", std::vector<double>{1}, {1});
  const std::string numeric =
      message_of<InputError>([&] { read_names(path + ":/rdms", "model.names"); });
  EXPECT_NE(numeric.find(path + ":/rdms (model.names): expected a string dataset, found float64"),
            std::string::npos)
      << numeric;
  const std::string missing =
      message_of<InputError>([&] { read_names(path + ":/layers", "model.names"); });
  EXPECT_NE(missing.find(path + ":/layers (model.names): the file has no dataset '/layers'"),
            std::string::npos)
      << missing;
}

TEST(NamesReader, RejectsAnHdf5FileThatCannotBeOpened) {
  ScratchDir dir;
  const std::string path = dir.file("broken.h5");
  write_bytes(path, "not hdf5");
  const std::string message =
      message_of<InputError>([&] { read_names(path + ":/layers", "model.names"); });
  EXPECT_NE(message.find(path + ":/layers (model.names): cannot open file for reading: "),
            std::string::npos)
      << message;
}

TEST(NamesReader, RejectsNpyAndMatFiles) {
  ScratchDir dir;
  const std::string message =
      message_of<InputError>([&] { read_names(dir.file("layers.npy"), "model.names"); });
  EXPECT_NE(message.find(dir.file("layers.npy") + " (model.names): expected a text file with " +
                         "one name per line or an HDF5 string dataset"),
            std::string::npos)
      << message;
  const std::string mat =
      message_of<InputError>([&] { read_names(dir.file("m.mat") + ":names", "model.names"); });
  EXPECT_NE(mat.find(dir.file("m.mat") + ":names (model.names): expected a text file"),
            std::string::npos)
      << mat;
}

}  // namespace
}  // namespace permrsa
