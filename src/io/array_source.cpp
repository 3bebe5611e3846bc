// Splitting "file.npy", "file.mat:variable" and "file.h5:/group/dataset" into file and dataset.
#include <algorithm>
#include <cctype>

#include "io/source_readers.hpp"
#include "permrsa/array_io.hpp"
#include "permrsa/error.hpp"
#include "permrsa/input_file.hpp"

namespace permrsa {

namespace io {

Container container_of(const std::string& file) {
  const std::size_t dot = file.find_last_of('.');
  if (dot == std::string::npos || file.find('/', dot) != std::string::npos) {
    return Container::unknown;
  }
  std::string extension = file.substr(dot + 1);
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (extension == "npy") return Container::npy;
  if (extension == "mat") return Container::mat;
  if (extension == "h5" || extension == "hdf5" || extension == "he5") return Container::hdf5;
  return Container::unknown;
}

void require_readable_file(const ArraySource& source, const std::string& what) {
  require_regular_file(source.file, where(source, what));
}

}  // namespace io

ArraySource parse_array_source(const std::string& spec, const std::string& what) {
  const std::string field = what.empty() ? std::string("array source") : what;
  if (spec.empty()) {
    throw InputError(field + ": no file given; expected 'file.npy', 'file.mat:variable' or " +
                     "'file.h5:/group/dataset'");
  }
  // The first ':' that follows a known extension splits; other colons belong to the path.
  for (std::size_t colon = spec.find(':'); colon != std::string::npos;
       colon = spec.find(':', colon + 1)) {
    const std::string file = spec.substr(0, colon);
    const io::Container container = io::container_of(file);
    if (container == io::Container::unknown) continue;
    const std::string dataset = spec.substr(colon + 1);
    if (container == io::Container::npy) {
      throw InputError(field + ": '" + spec + "': a .npy file holds one array and takes no " +
                       "':name' suffix; expected '" + file + "'");
    }
    if (dataset.empty()) {
      throw InputError(field + ": '" + spec + "' names no " +
                       (container == io::Container::mat
                            ? "variable; expected '" + file + ":variable'"
                            : "dataset; expected '" + file + ":/group/dataset'"));
    }
    return ArraySource{file, dataset};
  }
  switch (io::container_of(spec)) {
    case io::Container::mat:
      throw InputError(field + ": '" + spec + "' needs a variable name; expected '" + spec +
                       ":variable'");
    case io::Container::hdf5:
      throw InputError(field + ": '" + spec + "' needs a dataset path; expected '" + spec +
                       ":/group/dataset'");
    default:
      return ArraySource{spec, ""};
  }
}

}  // namespace permrsa
