// Throughput of the null kernel: make_statistic_kernel(metric, precision, models, brain)->compute
// on a batch of Philox permutations, at the seed shape (S = 49 -> P = 1176, L = 22, T = 218) by
// default. Prints one JSON object per line (machine-readable; bench/run_benchmarks.py reads them):
//
//   {"bench": "null_kernel", "metric": "spearman", "precision": "float32", ..., "perms_per_s": ...,
//    "gflops": ...}
//
// "work" is StatisticKernel::work_per_permutation(): flop (2 P L T) for Pearson/Spearman, and
// comparison steps for Kendall, so "gflops" means Gwork/s for Kendall (kept in its own field).
// Kendall lines also give "pair_words_per_s": 64-bit words of pair comparisons, n0 / 64 per cell
// (n0 = P(P-1)/2), that the kernel gets through per second, whatever its method
// (PERMRSA_KENDALL_METHOD=merge-sort|bit-parallel forces one).
//
// --popcount-bound instead times, on 1 thread, the limits of the bit-parallel Kendall kernel:
// acc += popcount(a XOR b) streaming two L1-resident buffers (2 loads per 8 words), and the
// kernel's own 4 x 4 tile on L1-resident planes (the XOR, vpopcntq, vpaddq per 8 words and cell
// that bound it); prints {"bench": "popcount_bound", "loop": ..., "words_per_s": ...} lines.
//
// Usage: permrsa_bench_kernel [--threads N] [--batch B] [--min-time SEC] [--real-data DIR]
//                             [--cases pearson:float32,spearman:float32,...] [--stimuli S]
//                             [--layers L] [--times T] [--seed N] [--popcount-bound]
//
// Cases: metric:precision, where spearman is the exact int16 kernel (its instruction path from
// PERMRSA_KERNEL_ISA, else the best of this CPU; printed as "isa"), spearman-fp the older
// floating-point Spearman (float32 exact chunks up to P = 1290, float64 above), and
// int16-peak:avx512vnni / fp32-peak:float32 / fp64-peak:float64 register-only loops of
// independent vpdpwssd / FMA ("gflops" = 2 x multiply-adds per second), so kernels can be put as
// a percentage of the machine's peak. A peak case prints one line for 1 thread and, when
// --threads N > 1, one for N threads running the loop at once.
#include <tbb/global_control.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "kernels/kendall_bits.hpp"
#include "kernels/spearman_int16_kernel.hpp"
#include "kernels/statistic_kernel.hpp"
#include "permrsa/analysis_spec.hpp"
#include "permrsa/permutations.hpp"
#include "permrsa/rsa_problem.hpp"

namespace {

using permrsa::Matrix;
using permrsa::Metric;
using permrsa::Precision;

struct Options {
  int threads = 2;
  std::size_t batch = 64;
  double min_time = 1.0;
  std::string real_data;
  std::string cases =
      "pearson:float32,pearson:float64,spearman:float32,spearman:float64,kendall-b:float64";
  std::size_t stimuli = 49, layers = 22, times = 218;
  std::uint64_t seed = 1;
  bool popcount_bound = false;
};

[[noreturn]] void usage(const std::string& message) {
  std::cerr
      << "permrsa_bench_kernel: " << message << "\n"
      << "usage: permrsa_bench_kernel [--threads N] [--batch B] [--min-time SEC]\n"
      << "       [--real-data DIR] [--cases metric:precision,...] [--stimuli S] [--layers L]\n"
      << "       [--times T] [--seed N] [--popcount-bound]\n";
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage("missing value after " + a);
      return argv[++i];
    };
    try {
      if (a == "--threads")
        o.threads = std::stoi(value());
      else if (a == "--batch")
        o.batch = std::stoul(value());
      else if (a == "--min-time")
        o.min_time = std::stod(value());
      else if (a == "--real-data")
        o.real_data = value();
      else if (a == "--cases")
        o.cases = value();
      else if (a == "--stimuli")
        o.stimuli = std::stoul(value());
      else if (a == "--layers")
        o.layers = std::stoul(value());
      else if (a == "--times")
        o.times = std::stoul(value());
      else if (a == "--seed")
        o.seed = std::stoull(value());
      else if (a == "--popcount-bound")
        o.popcount_bound = true;
      else if (a == "--help" || a == "-h")
        usage("help");
      else
        usage("unknown argument " + a);
    } catch (const std::logic_error&) {
      usage("bad value for " + a);
    }
  }
  if (o.threads < 1 || o.batch < 1 || o.stimuli < 3 || o.layers < 1 || o.times < 1)
    usage("--threads, --batch, --layers, --times must be >= 1 and --stimuli >= 3");
  return o;
}

// Random dissimilarities: models L x P and brain P x T, continuous (no ties).
permrsa::RsaProblem random_problem(const Options& o) {
  const std::size_t pairs = o.stimuli * (o.stimuli - 1) / 2;
  std::mt19937_64 rng(o.seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  permrsa::RsaProblem p;
  p.stimuli = o.stimuli;
  p.models = Matrix<double>(o.layers, pairs);
  for (auto& v : p.models.values()) v = normal(rng);
  permrsa::GroupRdms brain{Matrix<double>(pairs, o.times)};
  for (auto& v : brain.rdms.values()) v = normal(rng);
  p.brain = std::move(brain);
  return p;
}

// The real 49-image data set with the study's baseline correction, through the engine's own
// loader (the same path `permrsa run` takes).
permrsa::RsaProblem real_problem(const std::string& dir) {
  permrsa::RunSpec spec;
  spec.brain.file = dir + "/brain_rdms.npy";
  spec.brain.times = dir + "/time_vector.mat:time";
  spec.brain.baseline = std::make_pair(-0.2, 0.0);
  spec.models.file = dir + "/vgg16_layer_corr.npy";
  spec.models.kind = permrsa::ModelKind::similarity;
  spec.models.names = dir + "/vgg16_layers.txt";
  return permrsa::load_problem(spec);
}

struct Case {
  enum class Kind { kernel, spearman_fp, int16_peak, fp32_peak, fp64_peak } kind = Kind::kernel;
  Metric metric;
  Precision precision;
  std::string name, precision_name;
};

std::vector<Case> parse_cases(const std::string& text) {
  std::vector<Case> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    const auto colon = item.find(':');
    const std::string m = item.substr(0, colon);
    const std::string pr = colon == std::string::npos ? "float32" : item.substr(colon + 1);
    Case c{};
    if (m == "spearman-fp")
      c.kind = Case::Kind::spearman_fp, c.metric = Metric::spearman;
    else if (m == "int16-peak")
      c.kind = Case::Kind::int16_peak, c.metric = Metric::pearson;
    else if (m == "fp32-peak")
      c.kind = Case::Kind::fp32_peak, c.metric = Metric::pearson;
    else if (m == "fp64-peak")
      c.kind = Case::Kind::fp64_peak, c.metric = Metric::pearson;
    else if (m == "pearson")
      c.metric = Metric::pearson;
    else if (m == "spearman")
      c.metric = Metric::spearman;
    else if (m == "kendall-b")
      c.metric = Metric::kendall_b;
    else if (m == "kendall-a")
      c.metric = Metric::kendall_a;
    else
      usage("unknown metric in --cases: " + m);
    if (pr == "float32")
      c.precision = Precision::float32;
    else if (pr == "float64")
      c.precision = Precision::float64;
    else if (c.kind == Case::Kind::int16_peak && pr == "avx512vnni")
      c.precision = Precision::float32;
    else
      usage("unknown precision in --cases: " + pr);
    c.name = m;
    c.precision_name = pr;
    out.push_back(c);
  }
  return out;
}

#if defined(__x86_64__)
// 24 independent accumulator chains (more than latency x throughput), operands in registers:
// the instruction's throughput bound. Inline assembly, because GCC 12 spills 24 accumulators
// written with intrinsics. Returns multiply-adds per call.
__attribute__((target("avx512f,avx512bw,avx512vnni"), noinline)) double int16_peak_loop(
    std::size_t n) {
  __m512i c0 = _mm512_setzero_si512(), c1 = _mm512_setzero_si512(), c2 = _mm512_setzero_si512(),
          c3 = _mm512_setzero_si512(), c4 = _mm512_setzero_si512(), c5 = _mm512_setzero_si512(),
          c6 = _mm512_setzero_si512(), c7 = _mm512_setzero_si512(), c8 = _mm512_setzero_si512(),
          c9 = _mm512_setzero_si512(), c10 = _mm512_setzero_si512(), c11 = _mm512_setzero_si512(),
          c12 = _mm512_setzero_si512(), c13 = _mm512_setzero_si512(), c14 = _mm512_setzero_si512(),
          c15 = _mm512_setzero_si512(), c16 = _mm512_setzero_si512(), c17 = _mm512_setzero_si512(),
          c18 = _mm512_setzero_si512(), c19 = _mm512_setzero_si512(), c20 = _mm512_setzero_si512(),
          c21 = _mm512_setzero_si512(), c22 = _mm512_setzero_si512(), c23 = _mm512_setzero_si512();
  const __m512i a = _mm512_set1_epi16(3), b = _mm512_set1_epi16(5);
  for (std::size_t i = 0; i < n; ++i) {
    // clang-format off
    asm("vpdpwssd %[a], %[b], %[c0]\n\t"
        "vpdpwssd %[a], %[b], %[c1]\n\t"
        "vpdpwssd %[a], %[b], %[c2]\n\t"
        "vpdpwssd %[a], %[b], %[c3]\n\t"
        "vpdpwssd %[a], %[b], %[c4]\n\t"
        "vpdpwssd %[a], %[b], %[c5]\n\t"
        "vpdpwssd %[a], %[b], %[c6]\n\t"
        "vpdpwssd %[a], %[b], %[c7]\n\t"
        "vpdpwssd %[a], %[b], %[c8]\n\t"
        "vpdpwssd %[a], %[b], %[c9]\n\t"
        "vpdpwssd %[a], %[b], %[c10]\n\t"
        "vpdpwssd %[a], %[b], %[c11]\n\t"
        : [c0] "+v"(c0), [c1] "+v"(c1), [c2] "+v"(c2), [c3] "+v"(c3), [c4] "+v"(c4), [c5] "+v"(c5), [c6] "+v"(c6), [c7] "+v"(c7), [c8] "+v"(c8), [c9] "+v"(c9), [c10] "+v"(c10), [c11] "+v"(c11)
        : [a] "v"(a), [b] "v"(b));
    asm("vpdpwssd %[a], %[b], %[c12]\n\t"
        "vpdpwssd %[a], %[b], %[c13]\n\t"
        "vpdpwssd %[a], %[b], %[c14]\n\t"
        "vpdpwssd %[a], %[b], %[c15]\n\t"
        "vpdpwssd %[a], %[b], %[c16]\n\t"
        "vpdpwssd %[a], %[b], %[c17]\n\t"
        "vpdpwssd %[a], %[b], %[c18]\n\t"
        "vpdpwssd %[a], %[b], %[c19]\n\t"
        "vpdpwssd %[a], %[b], %[c20]\n\t"
        "vpdpwssd %[a], %[b], %[c21]\n\t"
        "vpdpwssd %[a], %[b], %[c22]\n\t"
        "vpdpwssd %[a], %[b], %[c23]\n\t"
        : [c12] "+v"(c12), [c13] "+v"(c13), [c14] "+v"(c14), [c15] "+v"(c15), [c16] "+v"(c16), [c17] "+v"(c17), [c18] "+v"(c18), [c19] "+v"(c19), [c20] "+v"(c20), [c21] "+v"(c21), [c22] "+v"(c22), [c23] "+v"(c23)
        : [a] "v"(a), [b] "v"(b));
    // clang-format on
  }
  __m512i s = c0 ^ c1 ^ c2 ^ c3 ^ c4 ^ c5 ^ c6 ^ c7 ^ c8 ^ c9 ^ c10 ^ c11 ^ c12 ^ c13 ^ c14 ^ c15 ^
              c16 ^ c17 ^ c18 ^ c19 ^ c20 ^ c21 ^ c22 ^ c23;
  asm volatile("" : : "v"(s));
  return static_cast<double>(n) * 24 * 32;
}
__attribute__((target("avx512f"), noinline)) double fp32_peak_loop(std::size_t n) {
  __m512 c0 = _mm512_setzero_ps(), c1 = _mm512_setzero_ps(), c2 = _mm512_setzero_ps(),
         c3 = _mm512_setzero_ps(), c4 = _mm512_setzero_ps(), c5 = _mm512_setzero_ps(),
         c6 = _mm512_setzero_ps(), c7 = _mm512_setzero_ps(), c8 = _mm512_setzero_ps(),
         c9 = _mm512_setzero_ps(), c10 = _mm512_setzero_ps(), c11 = _mm512_setzero_ps(),
         c12 = _mm512_setzero_ps(), c13 = _mm512_setzero_ps(), c14 = _mm512_setzero_ps(),
         c15 = _mm512_setzero_ps(), c16 = _mm512_setzero_ps(), c17 = _mm512_setzero_ps(),
         c18 = _mm512_setzero_ps(), c19 = _mm512_setzero_ps(), c20 = _mm512_setzero_ps(),
         c21 = _mm512_setzero_ps(), c22 = _mm512_setzero_ps(), c23 = _mm512_setzero_ps();
  const __m512 a = _mm512_set1_ps(1.0f), b = _mm512_set1_ps(1e-9f);
  for (std::size_t i = 0; i < n; ++i) {
    // clang-format off
    asm("vfmadd231ps %[a], %[b], %[c0]\n\t"
        "vfmadd231ps %[a], %[b], %[c1]\n\t"
        "vfmadd231ps %[a], %[b], %[c2]\n\t"
        "vfmadd231ps %[a], %[b], %[c3]\n\t"
        "vfmadd231ps %[a], %[b], %[c4]\n\t"
        "vfmadd231ps %[a], %[b], %[c5]\n\t"
        "vfmadd231ps %[a], %[b], %[c6]\n\t"
        "vfmadd231ps %[a], %[b], %[c7]\n\t"
        "vfmadd231ps %[a], %[b], %[c8]\n\t"
        "vfmadd231ps %[a], %[b], %[c9]\n\t"
        "vfmadd231ps %[a], %[b], %[c10]\n\t"
        "vfmadd231ps %[a], %[b], %[c11]\n\t"
        : [c0] "+v"(c0), [c1] "+v"(c1), [c2] "+v"(c2), [c3] "+v"(c3), [c4] "+v"(c4), [c5] "+v"(c5), [c6] "+v"(c6), [c7] "+v"(c7), [c8] "+v"(c8), [c9] "+v"(c9), [c10] "+v"(c10), [c11] "+v"(c11)
        : [a] "v"(a), [b] "v"(b));
    asm("vfmadd231ps %[a], %[b], %[c12]\n\t"
        "vfmadd231ps %[a], %[b], %[c13]\n\t"
        "vfmadd231ps %[a], %[b], %[c14]\n\t"
        "vfmadd231ps %[a], %[b], %[c15]\n\t"
        "vfmadd231ps %[a], %[b], %[c16]\n\t"
        "vfmadd231ps %[a], %[b], %[c17]\n\t"
        "vfmadd231ps %[a], %[b], %[c18]\n\t"
        "vfmadd231ps %[a], %[b], %[c19]\n\t"
        "vfmadd231ps %[a], %[b], %[c20]\n\t"
        "vfmadd231ps %[a], %[b], %[c21]\n\t"
        "vfmadd231ps %[a], %[b], %[c22]\n\t"
        "vfmadd231ps %[a], %[b], %[c23]\n\t"
        : [c12] "+v"(c12), [c13] "+v"(c13), [c14] "+v"(c14), [c15] "+v"(c15), [c16] "+v"(c16), [c17] "+v"(c17), [c18] "+v"(c18), [c19] "+v"(c19), [c20] "+v"(c20), [c21] "+v"(c21), [c22] "+v"(c22), [c23] "+v"(c23)
        : [a] "v"(a), [b] "v"(b));
    // clang-format on
  }
  __m512 s = c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11 + c12 + c13 + c14 + c15 +
             c16 + c17 + c18 + c19 + c20 + c21 + c22 + c23;
  asm volatile("" : : "v"(s));
  return static_cast<double>(n) * 24 * 16;
}
__attribute__((target("avx512f"), noinline)) double fp64_peak_loop(std::size_t n) {
  __m512d c0 = _mm512_setzero_pd(), c1 = _mm512_setzero_pd(), c2 = _mm512_setzero_pd(),
          c3 = _mm512_setzero_pd(), c4 = _mm512_setzero_pd(), c5 = _mm512_setzero_pd(),
          c6 = _mm512_setzero_pd(), c7 = _mm512_setzero_pd(), c8 = _mm512_setzero_pd(),
          c9 = _mm512_setzero_pd(), c10 = _mm512_setzero_pd(), c11 = _mm512_setzero_pd(),
          c12 = _mm512_setzero_pd(), c13 = _mm512_setzero_pd(), c14 = _mm512_setzero_pd(),
          c15 = _mm512_setzero_pd(), c16 = _mm512_setzero_pd(), c17 = _mm512_setzero_pd(),
          c18 = _mm512_setzero_pd(), c19 = _mm512_setzero_pd(), c20 = _mm512_setzero_pd(),
          c21 = _mm512_setzero_pd(), c22 = _mm512_setzero_pd(), c23 = _mm512_setzero_pd();
  const __m512d a = _mm512_set1_pd(1.0), b = _mm512_set1_pd(1e-18);
  for (std::size_t i = 0; i < n; ++i) {
    // clang-format off
    asm("vfmadd231pd %[a], %[b], %[c0]\n\t"
        "vfmadd231pd %[a], %[b], %[c1]\n\t"
        "vfmadd231pd %[a], %[b], %[c2]\n\t"
        "vfmadd231pd %[a], %[b], %[c3]\n\t"
        "vfmadd231pd %[a], %[b], %[c4]\n\t"
        "vfmadd231pd %[a], %[b], %[c5]\n\t"
        "vfmadd231pd %[a], %[b], %[c6]\n\t"
        "vfmadd231pd %[a], %[b], %[c7]\n\t"
        "vfmadd231pd %[a], %[b], %[c8]\n\t"
        "vfmadd231pd %[a], %[b], %[c9]\n\t"
        "vfmadd231pd %[a], %[b], %[c10]\n\t"
        "vfmadd231pd %[a], %[b], %[c11]\n\t"
        : [c0] "+v"(c0), [c1] "+v"(c1), [c2] "+v"(c2), [c3] "+v"(c3), [c4] "+v"(c4), [c5] "+v"(c5), [c6] "+v"(c6), [c7] "+v"(c7), [c8] "+v"(c8), [c9] "+v"(c9), [c10] "+v"(c10), [c11] "+v"(c11)
        : [a] "v"(a), [b] "v"(b));
    asm("vfmadd231pd %[a], %[b], %[c12]\n\t"
        "vfmadd231pd %[a], %[b], %[c13]\n\t"
        "vfmadd231pd %[a], %[b], %[c14]\n\t"
        "vfmadd231pd %[a], %[b], %[c15]\n\t"
        "vfmadd231pd %[a], %[b], %[c16]\n\t"
        "vfmadd231pd %[a], %[b], %[c17]\n\t"
        "vfmadd231pd %[a], %[b], %[c18]\n\t"
        "vfmadd231pd %[a], %[b], %[c19]\n\t"
        "vfmadd231pd %[a], %[b], %[c20]\n\t"
        "vfmadd231pd %[a], %[b], %[c21]\n\t"
        "vfmadd231pd %[a], %[b], %[c22]\n\t"
        "vfmadd231pd %[a], %[b], %[c23]\n\t"
        : [c12] "+v"(c12), [c13] "+v"(c13), [c14] "+v"(c14), [c15] "+v"(c15), [c16] "+v"(c16), [c17] "+v"(c17), [c18] "+v"(c18), [c19] "+v"(c19), [c20] "+v"(c20), [c21] "+v"(c21), [c22] "+v"(c22), [c23] "+v"(c23)
        : [a] "v"(a), [b] "v"(b));
    // clang-format on
  }
  __m512d s = c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11 + c12 + c13 + c14 + c15 +
              c16 + c17 + c18 + c19 + c20 + c21 + c22 + c23;
  asm volatile("" : : "v"(s));
  return static_cast<double>(n) * 24 * 8;
}
#endif

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

#if defined(__x86_64__)
// One peak loop on `threads` threads at once, in G ops/s (2 x multiply-adds): the clock runs from
// before the first thread starts to after the last one ends, so a thread that gets less of its
// core (a shared machine) lowers the rate, as it would a kernel's. Medians and bests of 3.
std::pair<double, double> peak_rate(double (*loop)(std::size_t), int threads) {
  const std::size_t n = 20000000;  // ~0.1 s per thread at the FMA peak
  std::vector<double> rates;
  for (int rep = 0; rep < 3; ++rep) {
    std::vector<double> madds(static_cast<std::size_t>(threads));
    std::vector<std::thread> pool;
    const auto t0 = std::chrono::steady_clock::now();
    for (std::size_t t = 0; t < madds.size(); ++t)
      pool.emplace_back([&madds, loop, t] { madds[t] = loop(n); });
    for (auto& th : pool) th.join();
    const double seconds = seconds_since(t0);
    double total = 0;
    for (double m : madds) total += m;
    rates.push_back(2 * total / seconds / 1e9);
  }
  std::sort(rates.begin(), rates.end());
  return {rates[1], rates[2]};
}
#endif

#if defined(__x86_64__)
// acc += popcount(a[w] ^ b[w]) over `words` words, `repeats` times, 4 independent accumulators.
// Returns the count, so the loop cannot be dropped.
__attribute__((target("avx512f,avx512vpopcntdq"))) std::int64_t xor_popcount(const std::uint64_t* a,
                                                                             const std::uint64_t* b,
                                                                             std::size_t words,
                                                                             int repeats) {
  __m512i acc[4] = {_mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512(),
                    _mm512_setzero_si512()};
  for (int r = 0; r < repeats; ++r) {
    asm volatile("" : : "r"(a), "r"(b) : "memory");  // reload: no hoisting out of the repeats
    for (std::size_t w = 0; w < words; w += 32)
      for (int i = 0; i < 4; ++i) {
        const __m512i x =
            _mm512_xor_si512(_mm512_loadu_si512(a + w + 8 * i), _mm512_loadu_si512(b + w + 8 * i));
        acc[i] = _mm512_add_epi64(acc[i], _mm512_popcnt_epi64(x));
      }
  }
  alignas(64) std::int64_t lanes[8];
  _mm512_store_si512(
      lanes, _mm512_add_epi64(_mm512_add_epi64(acc[0], acc[1]), _mm512_add_epi64(acc[2], acc[3])));
  std::int64_t sum = 0;
  for (std::int64_t v : lanes) sum += v;
  return sum;
}
#endif

double median_of_5(const std::function<void()>& run) {
  std::vector<double> times;
  for (int i = 0; i < 5; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    run();
    times.push_back(seconds_since(t0));
  }
  std::sort(times.begin(), times.end());
  return times[2];
}

// The bounds of the bit-parallel Kendall kernel, 1 thread, medians of 5 runs.
int popcount_bound() {
#if defined(__x86_64__)
  if (!permrsa::cpu_has_avx512_popcount()) {
    std::cerr << "permrsa_bench_kernel: this CPU has no AVX-512 VPOPCNTDQ\n";
    return 1;
  }
  std::mt19937_64 rng(1);
  const std::size_t words = 256;  // 2 x 2 KiB
  std::vector<std::uint64_t> a(words), b(words);
  for (std::size_t i = 0; i < words; ++i) a[i] = rng(), b[i] = rng();
  const int repeats = 200000;
  std::int64_t check = 0;
  const double stream =
      median_of_5([&] { check += xor_popcount(a.data(), b.data(), words, repeats); });
  std::printf(
      "{\"bench\": \"popcount_bound\", \"threads\": 1, \"loop\": \"popcount(a xor b)\", "
      "\"words_per_s\": %.6g, \"check\": %lld}\n",
      static_cast<double>(words) * repeats / stream, static_cast<long long>(check));
  // The kernel's own 4 x 4 tile (no ties) over 8 planes of one 512-word chunk each (32 KiB).
  const std::size_t chunk = 512;
  std::vector<std::uint64_t> planes(8 * chunk);
  for (auto& w : planes) w = rng();
  permrsa::TileInput in{};
  for (std::size_t i = 0; i < 4; ++i) {
    in.x_sign[i] = planes.data() + i * chunk;
    in.y_sign[i] = planes.data() + (4 + i) * chunk;
  }
  std::int64_t d[16] = {}, u[16] = {};
  const int calls = 20000;
  const double tile = median_of_5([&] {
    for (int r = 0; r < calls; ++r)
      permrsa::tile_counts(permrsa::PopcountPath::avx512, permrsa::TieMask::none, in, chunk, d, u);
  });
  std::printf(
      "{\"bench\": \"popcount_bound\", \"threads\": 1, \"loop\": \"kendall tile 4x4, L1\", "
      "\"words_per_s\": %.6g, \"check\": %lld}\n",
      16.0 * chunk * calls / tile, static_cast<long long>(d[0]));
  return 0;
#else
  std::cerr << "permrsa_bench_kernel: --popcount-bound needs x86-64\n";
  return 1;
#endif
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  if (o.popcount_bound) return popcount_bound();
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                            static_cast<std::size_t>(o.threads));
  permrsa::RsaProblem problem;
  try {
    problem = o.real_data.empty() ? random_problem(o) : real_problem(o.real_data);
  } catch (const std::exception& e) {
    std::cerr << "permrsa_bench_kernel: cannot load data: " << e.what() << "\n";
    return 2;
  }
  const std::size_t S = problem.stimuli, P = problem.models.cols(), L = problem.models.rows(),
                    T = problem.group()->rdms.cols();

  // A batch of Philox permutations 1..batch (K is set far above the batch so that S! <= K + 1
  // cannot switch to enumeration for the seed shape), as pair gathers.
  const auto perms = permrsa::PermutationSet::generated(S, 1000000, o.seed);
  std::vector<std::uint32_t> gathers(o.batch * P), pi(S);
  for (std::size_t b = 0; b < o.batch; ++b) {
    perms.permutation(static_cast<std::int64_t>(b % static_cast<std::size_t>(perms.count())) + 1,
                      pi);
    permrsa::pair_gather(pi, std::span(gathers).subspan(b * P, P));
  }
  std::vector<double> out(o.batch * L * T);

  for (const auto& c : parse_cases(o.cases)) {
    if (c.kind == Case::Kind::int16_peak || c.kind == Case::Kind::fp32_peak ||
        c.kind == Case::Kind::fp64_peak) {
#if defined(__x86_64__)
      const bool vnni = c.kind == Case::Kind::int16_peak;
      if (vnni && !permrsa::int16_isa_supported(permrsa::Int16Isa::avx512vnni)) continue;
      if (!vnni && !__builtin_cpu_supports("avx512f")) continue;
      const auto loop = vnni ? int16_peak_loop
                             : (c.kind == Case::Kind::fp32_peak ? fp32_peak_loop : fp64_peak_loop);
      const char* name =
          vnni ? "int16-vpdpwssd" : (c.kind == Case::Kind::fp32_peak ? "fp32-fma" : "fp64-fma");
      // On 1 thread, and on --threads threads at once (the bound of a kernel run that way).
      for (const int threads : {1, o.threads}) {
        const auto [median, best] = peak_rate(loop, threads);
        std::printf(
            "{\"bench\": \"peak\", \"case\": \"%s\", \"threads\": %d, \"gflops\": %.6g, "
            "\"gflops_best\": %.6g}\n",
            name, threads, median, best);
        std::fflush(stdout);
        if (o.threads == 1) break;
      }
#endif
      continue;
    }
    const auto kernel = c.kind == Case::Kind::spearman_fp
                            ? permrsa::make_correlation_kernel_fp(true, c.precision, problem.models,
                                                                  problem.group()->rdms)
                            : permrsa::make_statistic_kernel(c.metric, c.precision, problem.models,
                                                             problem.group()->rdms);
    const char* isa = c.metric == Metric::spearman && c.kind == Case::Kind::kernel
                          ? permrsa::int16_isa_name(permrsa::int16_isa_for_this_process())
                          : "-";
    kernel->compute(gathers, o.batch, out);  // warm-up (page faults, TBB arena)
    std::vector<double> times;
    const auto start = std::chrono::steady_clock::now();
    while (times.size() < 3 || (seconds_since(start) < o.min_time && times.size() < 1000)) {
      const auto t0 = std::chrono::steady_clock::now();
      kernel->compute(gathers, o.batch, out);
      times.push_back(seconds_since(t0));
    }
    std::sort(times.begin(), times.end());
    const double median = times[times.size() / 2], best = times.front();
    const double work = kernel->work_per_permutation();
    const double batch = static_cast<double>(o.batch);
    double checksum = 0;
    for (double v : out) checksum += v;
    const bool flop = c.metric == Metric::pearson || c.metric == Metric::spearman;
    const double pair_words =
        static_cast<double>(P) * static_cast<double>(P - 1) / 2 / 64 * static_cast<double>(L * T);
    std::printf(
        "{\"bench\": \"null_kernel\", \"metric\": \"%s\", \"precision\": \"%s\", \"isa\": \"%s\", "
        "\"data\": \"%s\", "
        "\"S\": %zu, \"P\": %zu, \"L\": %zu, \"T\": %zu, \"batch\": %zu, \"threads\": %d, "
        "\"reps\": %zu, \"seconds_median\": %.6g, \"seconds_best\": %.6g, "
        "\"perms_per_s\": %.6g, \"perms_per_s_best\": %.6g, \"work_per_perm\": %.6g, "
        "\"work_unit\": \"%s\", \"gflops\": %.6g, \"gflops_best\": %.6g, \"pair_words_per_s\": "
        "%.6g, "
        "\"checksum\": %.17g}\n",
        c.name.c_str(), c.precision_name.c_str(), isa, o.real_data.empty() ? "random" : "real", S,
        P, L, T, o.batch, o.threads, times.size(), median, best, batch / median, batch / best, work,
        flop ? "flop" : "comparison-steps", flop ? batch * work / median / 1e9 : 0.0,
        flop ? batch * work / best / 1e9 : 0.0, flop ? 0.0 : batch * pair_words / median, checksum);
    std::fflush(stdout);
  }
  return 0;
}
