// Internal helpers of the HDF5 wrapper: turning a failed call into an h5::Error.
// Include only from src/io/*.cpp (it pulls in <hdf5.h>).
#pragma once

#include <hdf5.h>

#include <string>

#include "io/h5_handles.hpp"

namespace permrsa::h5::detail {

// Reads HDF5's error stack of this thread (innermost message first), clears it and throws.
// Must be called right after the failing call: most HDF5 calls clear the stack on entry.
[[noreturn]] void throw_last_error(const std::string& file, const std::string& object,
                                   const std::string& action);

// Records that an H5Fclose failed (see a_file_failed_to_close).
void note_failed_file_close() noexcept;

// Returns `id`, or throws when it is negative (HDF5's failure value).
inline hid_t check_id(hid_t id, const std::string& file, const std::string& object,
                      const char* action) {
  if (id < 0) throw_last_error(file, object, action);
  return id;
}

// Throws when an herr_t / htri_t call returned a negative value; returns it otherwise.
inline int check_status(int status, const std::string& file, const std::string& object,
                        const char* action) {
  if (status < 0) throw_last_error(file, object, action);
  return status;
}

}  // namespace permrsa::h5::detail
