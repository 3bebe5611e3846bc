// Array source strings ("file.npy", "file.mat:var", "file.h5:/ds") and dispatch by extension.
#include <gtest/gtest.h>

#include "permrsa/array_io.hpp"
#include "permrsa/error.hpp"
#include "test_io_support.hpp"

namespace permrsa {
namespace {

using test::message_of;

TEST(ArraySource, TakesAnNpyPathWhole) {
  const ArraySource source = parse_array_source("data/brain_rdms.npy", "brain.file");
  EXPECT_EQ(source.file, "data/brain_rdms.npy");
  EXPECT_EQ(source.dataset, "");
  EXPECT_EQ(source.text(), "data/brain_rdms.npy");
}

TEST(ArraySource, SplitsMatAndHdf5SourcesAtTheColonAfterTheExtension) {
  EXPECT_EQ(parse_array_source("time_vector.mat:time", "x").dataset, "time");
  for (const char* extension : {".h5", ".hdf5", ".he5", ".H5"}) {
    const ArraySource source =
        parse_array_source(std::string("run:3/in") + extension + ":/group/ds", "x");
    EXPECT_EQ(source.file, std::string("run:3/in") + extension);  // an earlier ':' stays
    EXPECT_EQ(source.dataset, "/group/ds");
    EXPECT_EQ(source.text(), std::string("run:3/in") + extension + ":/group/ds");
  }
}

TEST(ArraySource, RequiresAVariableForMatFiles) {
  const std::string message =
      message_of<InputError>([] { parse_array_source("t.mat", "brain.times"); });
  EXPECT_EQ(message, "brain.times: 't.mat' needs a variable name; expected 't.mat:variable'");
}

TEST(ArraySource, RequiresADatasetForHdf5Files) {
  const std::string message =
      message_of<InputError>([] { parse_array_source("in.hdf5", "model.file"); });
  EXPECT_EQ(message,
            "model.file: 'in.hdf5' needs a dataset path; expected 'in.hdf5:/group/dataset'");
}

TEST(ArraySource, RejectsAnEmptyNameAfterTheColon) {
  const std::string mat = message_of<InputError>([] { parse_array_source("t.mat:", "a.b"); });
  EXPECT_EQ(mat, "a.b: 't.mat:' names no variable; expected 't.mat:variable'");
  const std::string h5 = message_of<InputError>([] { parse_array_source("t.h5:", "a.b"); });
  EXPECT_EQ(h5, "a.b: 't.h5:' names no dataset; expected 't.h5:/group/dataset'");
}

TEST(ArraySource, RejectsANameAfterAnNpyFile) {
  const std::string message =
      message_of<InputError>([] { parse_array_source("b.npy:x", "brain.file"); });
  EXPECT_EQ(message,
            "brain.file: 'b.npy:x': a .npy file holds one array and takes no ':name' suffix; "
            "expected 'b.npy'");
}

TEST(ArraySource, RejectsAnEmptySpec) {
  const std::string message = message_of<InputError>([] { parse_array_source("", "brain.file"); });
  EXPECT_NE(message.find("brain.file: no file given"), std::string::npos) << message;
}

TEST(ArraySource, RejectsUnknownExtensionsListingTheSupportedOnes) {
  for (const char* spec : {"rdms.csv", "rdms"}) {
    const std::string real = message_of<InputError>([&] { read_real_array(spec, "brain.file"); });
    const std::string ints = message_of<InputError>([&] { read_int_array(spec, "perm.file"); });
    EXPECT_NE(real.find(std::string(spec) + " (brain.file): unsupported file type; expected a " +
                        ".npy file, a MATLAB .mat file ('file.mat:variable') or an HDF5 " +
                        ".h5/.hdf5/.he5 file"),
              std::string::npos)
        << real;
    EXPECT_NE(ints.find(std::string(spec) + " (perm.file): unsupported file type"),
              std::string::npos)
        << ints;
  }
}

}  // namespace
}  // namespace permrsa
