// read_names: layer or model names, from a text file (one per line) or an HDF5 string dataset.
#include <algorithm>
#include <cstdio>
#include <fstream>

#include "io/h5_handles.hpp"
#include "io/source_readers.hpp"
#include "io/utf8.hpp"
#include "permrsa/array_io.hpp"
#include "permrsa/error.hpp"

namespace permrsa {

namespace {

// Names are written to the results as UTF-8 strings and shown in reports: a binary file or a
// name with control characters (NUL would cut it short in HDF5) is refused, naming where.
void require_text_name(const std::string& name, const std::string& where_it_is,
                       const ArraySource& source, const std::string& what) {
  const std::size_t bad = io::first_invalid_utf8(name);
  const auto control = std::find_if(name.begin(), name.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 && c != '\t';
  });
  if (bad == name.size() && control == name.end()) return;
  const std::size_t at = bad < name.size() ? bad : static_cast<std::size_t>(control - name.begin());
  char hex[8];
  std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned char>(name[at]));
  throw InputError(io::where(source, what) + ": " + where_it_is + ": expected a UTF-8 name " +
                   "without control characters, found byte " + hex + " at column " +
                   std::to_string(at + 1));
}

std::vector<std::string> read_text_names(const ArraySource& source, const std::string& what) {
  io::require_readable_file(source, what);
  std::ifstream in(source.file);
  std::vector<std::string> names;
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    // Trailing '\r' (files written on Windows) and spaces are never part of a name.
    line.erase(line.find_last_not_of(" \t\r\n\v\f") + 1);
    if (line.empty()) continue;
    require_text_name(line, "line " + std::to_string(number), source, what);
    names.push_back(line);
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
    if (info.shape.size() != 1) {
      throw InputError(io::where(source, what) + ": expected a 1-D string dataset, found " +
                       std::to_string(info.shape.size()) + " dimensions");
    }
    std::vector<std::string> names = file.read_strings(source.dataset);
    for (std::size_t i = 0; i < names.size(); ++i)
      require_text_name(names[i], "name " + std::to_string(i), source, what);
    return names;
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
