// Every file permrsa reads must be a regular file.
//
// A FIFO (named pipe), a device or a socket would block open() until a writer appears (forever,
// for a path that names a pipe by mistake) and can be read only once, while permrsa reads its
// inputs more than once (the shape first, then the data, then again to hash them).
#pragma once

#include <string>

namespace permrsa {

// InputError "<context>: cannot open '<path>': <reason>" unless `path` names a regular file
// (or a symbolic link to one). The reasons: no such file, a directory, a FIFO, a device, a
// socket, or a file that cannot be opened for reading.
void require_regular_file(const std::string& path, const std::string& context);

}  // namespace permrsa
