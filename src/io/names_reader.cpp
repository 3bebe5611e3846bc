// read_names: layer or model names, from a text file (one per line) or an HDF5 string dataset.
#include <fstream>

#include "io/h5_handles.hpp"
#include "io/source_readers.hpp"
#include "permrsa/array_io.hpp"
#include "permrsa/error.hpp"

namespace permrsa {

namespace {

std::vector<std::string> read_text_names(const ArraySource& source, const std::string& what) {
  io::require_readable_file(source, what);
  std::ifstream in(source.file);
  std::vector<std::string> names;
  std::string line;
  while (std::getline(in, line)) {
    // Trailing '\r' (files written on Windows) and spaces are never part of a name.
    line.erase(line.find_last_not_of(" \t\r\n\v\f") + 1);
    if (!line.empty()) names.push_back(line);
  }
  if (in.bad()) throw InputError(io::where(source, what) + ": cannot read the file");
  return names;
}

std::vector<std::string> read_hdf5_names(const ArraySource& source, const std::string& what) {
  io::require_readable_file(source, what);
  try {
    const h5::File file = h5::File::open_read(source.file);
    if (!file.exists(source.dataset)) {
      throw InputError(io::where(source, what) + ": the file has no dataset '" + source.dataset +
                       "'");
    }
    const h5::DatasetInfo info = file.dataset_info(source.dataset);
    if (info.type_class != h5::DatasetInfo::Class::string) {
      throw InputError(io::where(source, what) + ": expected a string dataset, found " +
                       info.type_name());
    }
    return file.read_strings(source.dataset);
  } catch (const h5::Error& error) {
    throw InputError(io::where(source, what) + ": cannot " + error.action() + ": " +
                     error.detail());
  }
}

}  // namespace

std::vector<std::string> read_names(const std::string& spec, const std::string& what) {
  const ArraySource source = parse_array_source(spec, what);
  switch (io::container_of(source.file)) {
    case io::Container::hdf5:
      return read_hdf5_names(source, what);
    case io::Container::unknown:
      return read_text_names(source, what);
    case io::Container::npy:
    case io::Container::mat:
      break;
  }
  throw InputError(io::where(source, what) + ": expected a text file with one name per line " +
                   "or an HDF5 string dataset ('file.h5:/names')");
}

}  // namespace permrsa
