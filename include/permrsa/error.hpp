// Error types: who is at fault decides the exit code.
#pragma once

#include <stdexcept>
#include <string>

namespace permrsa {

// Bad usage, config or input data (the user's to fix). Exit code 2.
// The message names the file, the field and what was expected vs found.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A failure while running on good input (I/O error, out of memory...). Exit code 1.
class RuntimeFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A broken invariant inside permrsa: a bug. Exit code 1.
class InternalError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

inline constexpr int kExitInputError = 2;
inline constexpr int kExitRuntimeFailure = 1;

}  // namespace permrsa
