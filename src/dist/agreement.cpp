#include "permrsa/agreement.hpp"

#include <limits>
#include <vector>

#include "permrsa/error.hpp"

namespace permrsa {

void agree(const Communicator& world, const std::function<void()>& step) {
  int code = 0;
  std::string message;
  try {
    step();
  } catch (const AgreedFailure& e) {
    code = e.exit_code();
    message = e.what();
  } catch (const InputError& e) {
    code = kExitInputError;
    message = std::string("error: ") + e.what();
  } catch (const std::exception& e) {
    code = kExitRuntimeFailure;
    message = std::string("failed: ") + e.what();
  }
  constexpr auto none = std::numeric_limits<std::int64_t>::max();
  const std::int64_t first = world.allreduce_min(code != 0 ? world.rank() : none);
  if (first == none) return;
  const int root = static_cast<int>(first);
  std::vector<std::int32_t> shared_code{code};
  world.broadcast(shared_code, root);
  world.broadcast(message, root);
  if (world.size() > 1 && root != 0) message += " (on rank " + std::to_string(root) + ")";
  throw AgreedFailure(shared_code[0], message);
}

}  // namespace permrsa
