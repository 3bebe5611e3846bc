// How many row tiles a kernel's task takes, so that the tasks share the threads evenly.
//
// A kernel walks `blocks` row tiles in tasks of consecutive tiles; a task's tiles share the
// cache-resident brain blocks, so a task may take at most `max_group` of them. With few tasks the
// last round leaves threads idle: 54 tiles in tasks of 32 are 32 + 22 on 2 threads (85% of the
// work on one), and tasks of 18 are 3 on 2 threads (a round with one thread idle). So the task
// count is rounded up to a multiple of the thread count, at least 2 per thread, and the tiles
// are spread evenly over the tasks. Only the order of independent tiles changes, never a value.
#pragma once

#include <algorithm>
#include <cstddef>

namespace permrsa {

// Tiles per task (at least 1, at most max_group); tasks = ceil(blocks / result).
inline std::size_t balanced_group(std::size_t blocks, std::size_t max_group, std::size_t threads) {
  if (blocks == 0) return 1;
  max_group = std::max<std::size_t>(1, max_group);
  threads = std::max<std::size_t>(1, threads);
  std::size_t tasks = std::max((blocks + max_group - 1) / max_group, 2 * threads);
  tasks = std::min(blocks, (tasks + threads - 1) / threads * threads);
  return (blocks + tasks - 1) / tasks;
}

}  // namespace permrsa
