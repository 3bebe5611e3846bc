// What fresh memory costs on this machine: the write rate into a fresh PageBuffer (anonymous
// memory, transparent huge pages requested, as the engine's top-value buffers and map cache take
// it), on its first touch, when the kernel must fault in and clear every page, and on a second
// write of the same buffer, when the pages are there. The ratio says how much of a run's time
// fresh pages can take beyond the memory traffic itself: on bare metal clearing a page runs at
// about the memory's write rate, while under a hypervisor that backs guest memory lazily, or
// takes back what the guest freed, the first touch can be ten times slower.
//
// Every repetition takes a buffer of its own and keeps it until the end, so no repetition gets
// pages that an earlier one freed (those come back at once, already backed). The buffer is
// written in parallel slices, as the engine's stores spread their page faults over the threads.
//
// Usage: permrsa_bench_pages [--threads N] [--megabytes M] [--repeats R]
// Prints one JSON object per line: {"bench": "fresh_pages", "threads": N, "megabytes": M,
// "first_touch_gb_per_s": ..., "rewrite_gb_per_s": ...} (medians of R buffers).
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>

#include "numeric/page_buffer.hpp"

namespace {

struct Options {
  int threads = 2;
  std::size_t megabytes = 64;
  int repeats = 3;
};

// Seconds to write every byte of `buffer`, in 2 MB slices spread over the threads.
double write_all(const permrsa::PageBuffer& buffer) {
  constexpr std::size_t kSlice = std::size_t{2} << 20;
  auto* bytes = buffer.as<unsigned char>();
  const std::size_t slices = (buffer.bytes() + kSlice - 1) / kSlice;
  const auto t0 = std::chrono::steady_clock::now();
  tbb::parallel_for(std::size_t{0}, slices, [&](std::size_t s) {
    const std::size_t begin = s * kSlice, end = std::min(buffer.bytes(), begin + kSlice);
    std::memset(bytes + begin, static_cast<int>(s & 0xff) | 1, end - begin);
  });
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{
      "permrsa_bench_pages: the write rate into fresh PageBuffers, first touch and rewrite"};
  app.add_option("--threads", o.threads, "threads that write")->check(CLI::Range(1, 1024));
  app.add_option("--megabytes", o.megabytes, "size of each buffer")->check(CLI::Range(1, 1 << 20));
  app.add_option("--repeats", o.repeats, "buffers (medians over them)")->check(CLI::Range(1, 1000));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints the help or the error
    return code == 0 ? 0 : 2;      // bad arguments: exit code 2, as before
  }
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                            static_cast<std::size_t>(o.threads));
  const std::size_t bytes = o.megabytes << 20;
  std::vector<permrsa::PageBuffer> kept;  // never freed before the end: every buffer is fresh
  std::vector<double> first, again;
  for (int r = 0; r < o.repeats; ++r) {
    kept.emplace_back(bytes);
    first.push_back(write_all(kept.back()));
    again.push_back(write_all(kept.back()));
  }
  const double gb = static_cast<double>(bytes) / 1e9;
  std::printf(
      "{\"bench\": \"fresh_pages\", \"threads\": %d, \"megabytes\": %zu, "
      "\"first_touch_gb_per_s\": %.4g, \"rewrite_gb_per_s\": %.4g}\n",
      o.threads, o.megabytes, gb / median(first), gb / median(again));
  return 0;
}
