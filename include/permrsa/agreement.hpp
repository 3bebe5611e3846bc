// Errors that every rank agrees on. A step that may fail on some ranks only (e.g. a NaN in one
// rank's block) runs inside `agree`: afterwards either every rank goes on, or every rank throws
// the same AgreedFailure, carrying the message of the lowest failing rank. So all ranks exit
// together with one message (printed by rank 0), and none waits forever in a collective.
#pragma once

#include <functional>
#include <stdexcept>
#include <string>

#include "permrsa/communicator.hpp"

namespace permrsa {

class AgreedFailure : public std::runtime_error {
 public:
  AgreedFailure(int exit_code, const std::string& message)
      : std::runtime_error(message), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

void agree(const Communicator& world, const std::function<void()>& step);

}  // namespace permrsa
