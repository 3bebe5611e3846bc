// The stimulus order of `permrsa features`: sorted file names of a folder, or a list file.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>

#include "permrsa/error.hpp"
#include "permrsa/features.hpp"
#include "permrsa/input_file.hpp"

namespace permrsa {
namespace {

namespace fs = std::filesystem;

bool is_image_name(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg";
}

}  // namespace

StimulusList list_stimuli(const std::string& images_arg) {
  StimulusList list;
  std::error_code error;
  if (fs::is_directory(images_arg, error)) {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(images_arg, error))
      if (entry.is_regular_file() && is_image_name(entry.path())) files.push_back(entry.path());
    if (error)
      throw InputError(images_arg + ": --images: cannot list the folder: " + error.message());
    // Byte-wise order of the file names (as Python's sorted()), independent of the locale.
    std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) {
      return a.filename().string() < b.filename().string();
    });
    for (const auto& f : files) {
      list.paths.push_back(f.string());
      list.names.push_back(f.stem().string());
    }
  } else if (fs::is_regular_file(images_arg, error)) {
    std::ifstream in(images_arg);
    const fs::path base = fs::path(images_arg).parent_path();
    std::string line;
    while (std::getline(in, line)) {
      line.erase(line.find_last_not_of(" \t\r\n\v\f") + 1);
      line.erase(0, std::min(line.size(), line.find_first_not_of(" \t")));
      if (line.empty() || line.front() == '#') continue;
      const fs::path p(line);
      list.paths.push_back((p.is_absolute() ? p : base / p).string());
      list.names.push_back(p.stem().string());
    }
    if (in.bad()) throw InputError(images_arg + ": --images: cannot read the list file");
  } else {
    // Something that is neither a folder nor a regular file (a FIFO would block the read).
    if (fs::exists(images_arg, error)) require_regular_file(images_arg, images_arg + ": --images");
    throw InputError(images_arg +
                     ": --images: expected a folder of PNG/JPEG images or a text "
                     "file listing them, found nothing at that path");
  }
  // The names are what `permrsa run` matches against the brain's stimulus names.
  std::map<std::string, std::size_t> seen;
  for (std::size_t i = 0; i < list.names.size(); ++i)
    if (const auto [it, fresh] = seen.emplace(list.names[i], i); !fresh)
      throw InputError(images_arg +
                       ": --images: expected one image per stimulus name (the file "
                       "name without its extension), found " +
                       list.paths[it->second] + " and " + list.paths[i] + " both named \"" +
                       list.names[i] + "\"");
  if (list.paths.size() < 3)
    throw InputError(images_arg +
                     ": --images: expected at least 3 images (an RDM needs 3 "
                     "stimuli), found " +
                     std::to_string(list.paths.size()));
  return list;
}

}  // namespace permrsa
