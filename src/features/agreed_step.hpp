// A step that may fail on some ranks only (an unreadable image in one rank's share): afterwards
// either every rank goes on, or every rank throws the same error (the lowest failing rank's
// message, InputError or RuntimeFailure as it was), so no rank waits in a later collective.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "permrsa/communicator.hpp"
#include "permrsa/error.hpp"

namespace permrsa::features {

template <class Step>
void agreed_step(const Communicator& world, Step&& step) {
  std::int32_t kind = 0;  // 0 ok, 1 input error, 2 runtime failure
  std::string message;
  try {
    step();
  } catch (const InputError& e) {
    kind = 1;
    message = e.what();
  } catch (const std::exception& e) {
    kind = 2;
    message = e.what();
  }
  if (world.size() == 1) {
    if (kind == 1) throw InputError(message);
    if (kind == 2) throw RuntimeFailure(message);
    return;
  }
  constexpr auto none = std::numeric_limits<std::int64_t>::max();
  const std::int64_t first = world.allreduce_min(kind != 0 ? world.rank() : none);
  if (first == none) return;
  std::vector<std::int32_t> shared{kind};
  world.broadcast(shared, static_cast<int>(first));
  world.broadcast(message, static_cast<int>(first));
  if (shared[0] == 1) throw InputError(message);
  throw RuntimeFailure(message);
}

}  // namespace permrsa::features
