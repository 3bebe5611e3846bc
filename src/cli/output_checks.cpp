#include "cli/output_checks.hpp"

#include <spdlog/spdlog.h>

#include "permrsa/atomic_file.hpp"

namespace permrsa::cli {

void prepare_outputs(const std::vector<FileRole>& outputs, const std::vector<FileRole>& inputs,
                     const Communicator& world) {
  check_output_locations(outputs, inputs);
  if (world.rank() != 0) return;
  for (const FileRole& out : outputs)
    for (const auto& stale : remove_stale_temporaries(out.path))
      spdlog::info("{}: removed {}, a temporary left by a run that was killed", out.role, stale);
}

}  // namespace permrsa::cli
