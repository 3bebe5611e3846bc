#include "permrsa/input_file.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "permrsa/error.hpp"

namespace permrsa {

namespace {

// Why a path that exists is not a regular file, or "" when it is one.
const char* not_regular(mode_t mode) {
  if (S_ISREG(mode)) return "";
  if (S_ISDIR(mode)) return "it is a directory, expected a file";
  if (S_ISFIFO(mode)) return "it is a FIFO (named pipe), expected a regular file";
  if (S_ISCHR(mode)) return "it is a character device, expected a regular file";
  if (S_ISBLK(mode)) return "it is a block device, expected a regular file";
  if (S_ISSOCK(mode)) return "it is a socket, expected a regular file";
  return "it is not a regular file";
}

}  // namespace

void require_regular_file(const std::string& path, const std::string& context) {
  const std::string prefix = context + ": cannot open '" + path + "': ";
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) throw InputError(prefix + std::strerror(errno));
  if (const char* why = not_regular(info.st_mode); why[0] != '\0') throw InputError(prefix + why);
  // A regular file: opening it cannot block. It may still be unreadable (permissions).
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) throw InputError(prefix + std::strerror(errno));
  std::fclose(file);
}

}  // namespace permrsa
