#!/usr/bin/python3
"""The null kernels' scaling with the number of stimuli (issue 20, scope item 5: "Measured against
the limit"), side by side in one run on this machine.

  /usr/bin/python3 bench/kernel_scaling.py [--build build] [--threads 2] [--quick] [--out table.md]
                                           [--rounds R] [--stimuli 49,100,200,400,800] [--batch B]
                                           [--openblas DIR]

Shape: L = 20 layers, T = 200 time points, S = 49, 100, 200, 400, 800 stimuli (P = S(S-1)/2 pairs,
1176 ... 319600), random continuous dissimilarities (permrsa_bench_kernel's own generator).
For each S, and each of
  spearman:float32   the exact Spearman kernel (int16 digit planes on vpdpwssd / AVX-512 / AVX2,
                     whichever permrsa_bench_kernel reports as "isa"), and
  pearson:float32    the float32 Pearson kernel,
the table gives:
  - GFLOP/s (2 P L T flop per permutation, median call of a batch of B Philox permutations);
  - that rate as a % of the float32 FMA peak and of the int16 VNNI (vpdpwssd) peak on the same
    number of threads, both measured in this run by permrsa_bench_kernel's register-only loops
    (also on 1 thread, for the header), before every S in every round, best of all;
    a warning says when the N-thread peak shows that the cores were shared all along;
  - the peak RSS of the bench process (/usr/bin/time -v, else the child's rusage), one process per
    S and kernel. It includes the harness's own data: the inputs as float64 ((L + T) P 8 bytes),
    the gathers (B P 4 bytes) and the output (B L T 8 bytes), shown in their own column;
  - OpenBLAS sgemm GFLOP/s on the same shapes, (B L) x P . P x T float32 (numpy.matmul on Debian's
    OpenBLAS in its own process, on the fastest OpenBLAS core that computes correctly, chosen
    once at the S = 49 shape; see bench_common.BlasChoice);
  - kernel / sgemm, and GFLOP/s at S relative to S = 49.
Targets from issue 20's acceptance table: exact Spearman >= 1.2x sgemm, and >= 1.5x at S = 100 and
200; Pearson >= 0.9x sgemm; GFLOP/s at S = 800 >= 80% of that at S = 49.

Batch: one B for every S, so that "relative to S = 49" compares the kernel and not the batch.
B = 32 keeps one call meaningful at S = 49 (9.4 MFLOP per permutation, about 1 ms per call at
300 GFLOP/s, timed over many calls) and memory sane at S = 800 (gathers 41 MB; the sgemm's
gathered operand (B L) x P float32 is 818 MB, its P x T operand 256 MB).

Rounds (3, 1 with --quick; --rounds) run every configuration in turn, kernels and sgemm
interleaved, and each rate is the best of rounds: a neighbour that comes and goes on this shared
machine then hits all sides, and each side gets several chances at a quiet moment. A full run
takes 3-4 minutes here (most of it at S = 800), --quick about 1.
Nothing fails on time; the exit code is 0 unless the peak loops or the sgemm could not run.
"""
import argparse
import datetime
import os
import pathlib
import platform
import sys

from bench_common import (BlasChoice, best_peaks, find_openblas, fmt_pct, json_lines, log,
                          measure_gemm, measure_peaks, peak_warning, run_measured)
from bench_table import built_binary, cpu_name, table

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent
LAYERS, TIMES = 20, 200
STIMULI = [49, 100, 200, 400, 800]
BATCH = 32
CASES = [("spearman", "exact Spearman int16"), ("pearson", "Pearson float32")]


def pairs_of(s):
    return s * (s - 1) // 2


def harness_mib(s, batch):
    """What the bench process holds besides the kernel: float64 inputs, gathers, output."""
    p = pairs_of(s)
    return ((LAYERS + TIMES) * p * 8 + batch * p * 4 + batch * LAYERS * TIMES * 8) / 2**20


def load_average():
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def measure_kernel(kernel_bench, metric, s, batch, threads, min_time):
    """One permrsa_bench_kernel process: its JSON line plus the process's peak RSS (MiB), or
    {"error": ...} when it failed (the table then says so and the other sizes go on)."""
    proc, _, rss = run_measured([kernel_bench, "--threads", threads, "--batch", batch,
                                 "--min-time", min_time, "--cases", f"{metric}:float32",
                                 "--stimuli", s, "--layers", LAYERS, "--times", TIMES],
                                check=False)
    if proc.returncode != 0:
        tail = " / ".join(proc.stderr.strip().splitlines()[-3:])
        return {"error": f"exit {proc.returncode}: {tail[-300:]}"}
    lines = [r for r in json_lines(proc.stdout) if r.get("bench") == "null_kernel"]
    if not lines:
        return {"error": "no null_kernel line"}
    return {**lines[0], "rss_mib": rss}


def ratio_cell(r):
    return "-" if r != r else f"{r:.2f}x"


def judge(clauses):
    """(target text, met text) from [(text, value, bound)]: value >= bound for each clause."""
    if not clauses:
        return "-", "-"
    target = "; ".join(t for t, _, _ in clauses)
    met = "; ".join("-" if v != v else ("yes" if v >= b else "NO") for _, v, b in clauses)
    return target, met


def main(argv=None):
    ap = argparse.ArgumentParser(description="permrsa null kernels: scaling with S, against "
                                             "the machine's peak and OpenBLAS sgemm")
    ap.add_argument("--build", default=str(REPO / "build"), help="CMake build folder")
    ap.add_argument("--threads", type=int, default=2, help="threads for the kernels and sgemm")
    ap.add_argument("--quick", action="store_true", help="one round, shorter timings")
    ap.add_argument("--rounds", type=int, help="rounds (default 3, 1 with --quick)")
    ap.add_argument("--stimuli", default=",".join(map(str, STIMULI)),
                    help="comma-separated S values (the first is the reference)")
    ap.add_argument("--batch", type=int, default=BATCH, help="permutations per kernel call")
    ap.add_argument("--openblas", help="folder with OpenBLAS's libblas.so.3 for the NumPy side")
    ap.add_argument("--out", help="also write the table (markdown) here")
    args = ap.parse_args(argv)

    kernel_bench = built_binary(args.build, "kernel_scaling", "bench/permrsa_bench_kernel")
    try:
        stimuli = [int(x) for x in args.stimuli.split(",") if x.strip()]
    except ValueError:
        stimuli = []
    if not stimuli or min(stimuli) < 3 or args.batch < 1:
        raise SystemExit(f"kernel_scaling: --stimuli {args.stimuli!r} needs integers >= 3 "
                         f"(and --batch >= 1, got {args.batch})")
    threads, batch = args.threads, args.batch
    rounds = args.rounds or (1 if args.quick else 3)
    min_time = 0.3 if args.quick else 1.0
    load_start = load_average()
    started = datetime.datetime.now()

    log(f"[1/3] OpenBLAS cores (sgemm {batch * LAYERS} x {pairs_of(stimuli[0])} x {TIMES}, "
        f"{threads} threads)")
    blas = BlasChoice(dict(os.environ), find_openblas(args.openblas), threads,
                      batch * LAYERS, pairs_of(stimuli[0]), TIMES, min_time)
    blas.log()

    log(f"[2/3] {rounds} round(s): peaks, then per S the two kernels and sgemm")
    peak_runs = []
    kern = {}  # (metric, S) -> best result over rounds
    gemm = {}  # S -> best sgemm result over rounds
    for i in range(rounds):
        for s in stimuli:
            # Peaks before every S: more chances to catch both cores free on a shared machine.
            peak_runs.append(measure_peaks(kernel_bench, threads))
            log(f"    round {i + 1}: peaks " + ", ".join(
                f"{c} x{t}: {v:.0f}" for (c, t), v in sorted(peak_runs[-1].items())))
            for metric, _ in CASES:
                r = measure_kernel(kernel_bench, metric, s, batch, threads, min_time)
                old = kern.get((metric, s))
                if old is None or r.get("gflops", 0) > old.get("gflops", 0):
                    kern[(metric, s)] = r
                log(f"    round {i + 1}: S={s} {metric}: "
                    + (r["error"] if "error" in r else
                       f"{r['gflops']:.1f} GFLOP/s ({r['isa']}), {r['seconds_median'] * 1e3:.1f} "
                       f"ms/call, {r['reps']} calls, peak RSS {r['rss_mib']:.0f} MiB"))
            g = measure_gemm(blas.best_env, batch * LAYERS, pairs_of(s), TIMES, "float32",
                             min_time)
            if s not in gemm or g.get("gflops", 0) > gemm[s].get("gflops", 0):
                gemm[s] = g
            log(f"    round {i + 1}: S={s} sgemm: "
                + (g["error"] if "error" in g else f"{g['gflops']:.1f} GFLOP/s"))
    peaks = best_peaks(peak_runs)

    log("[3/3] table")
    fma = peaks.get(("fp32-fma", threads), float("nan"))
    vnni = peaks.get(("int16-vpdpwssd", threads), float("nan"))
    nan = float("nan")
    rows = []
    for metric, label in CASES:
        ref = kern.get((metric, stimuli[0]), {}).get("gflops", nan)
        for s in stimuli:
            r, g = kern[(metric, s)], gemm[s]
            rate = r.get("gflops", nan)
            vs_gemm = rate / g["gflops"] if "gflops" in g else nan
            vs_ref = rate / ref
            clauses = []
            if metric == "spearman":
                clauses.append((">= 1.2x sgemm", vs_gemm, 1.2))
                if s in (100, 200):
                    clauses.append((">= 1.5x sgemm", vs_gemm, 1.5))
            else:
                clauses.append((">= 0.9x sgemm", vs_gemm, 0.9))
            if s == 800:
                clauses.append((f">= 80% of S={stimuli[0]}", vs_ref, 0.8))
            target, met = judge(clauses)
            rows.append([
                label + (f", {r['isa']}" if metric == "spearman" and "isa" in r else ""),
                s, pairs_of(s),
                r["error"] if "error" in r else f"{r['seconds_median'] * 1e3:.1f} ms",
                "-" if rate != rate else f"{rate:.1f}",
                fmt_pct(rate / fma), fmt_pct(rate / vnni),
                "-" if "rss_mib" not in r else f"{r['rss_mib']:.0f}",
                f"{harness_mib(s, batch):.0f}",
                g.get("error", "-")[:60] if "gflops" not in g else f"{g['gflops']:.1f}",
                ratio_cell(vs_gemm), "-" if s == stimuli[0] else fmt_pct(vs_ref), target, met])
    head = ["kernel", "S", "P", "time/call", "GFLOP/s", f"% fp32 FMA peak ({threads} thr)",
            f"% int16 VNNI peak ({threads} thr)", "peak RSS (MiB)", "of which harness (MiB)",
            "sgemm GFLOP/s", "kernel / sgemm", f"vs S={stimuli[0]}", "target", "met?"]
    text, md = table(head, rows)

    def peak_text(case):
        return (f"{peaks.get((case, 1), nan):.0f} (1 thread) / "
                f"{peaks.get((case, threads), nan):.0f} ({threads} threads)")

    header = [
        f"permrsa kernel scaling, {started.isoformat(timespec='seconds')}, {platform.node()}: "
        f"{cpu_name()}, {os.cpu_count()} cores, {threads} threads for the kernels and sgemm; "
        f"load average (1, 5, 15 min) {load_start} at the start, {load_average()} at the end",
        f"shape: L={LAYERS}, T={TIMES}, S={', '.join(map(str, stimuli))}; batch B={batch} "
        f"permutations per call (gathers B x P x 4 bytes: "
        f"{batch * pairs_of(max(stimuli)) * 4 / 1e6:.0f} MB at S={max(stimuli)}); random "
        f"continuous data; {rounds} round(s), best of rounds; GFLOP/s = 2 P L T B / median call",
        f"peaks (permrsa_bench_kernel register-only loops): float32 FMA {peak_text('fp32-fma')} "
        f"GFLOP/s; int16 VNNI vpdpwssd {peak_text('int16-vpdpwssd')} G int-op/s",
        f"sgemm: numpy.matmul (B L) x P . P x T float32, NumPy {blas.sgemm_auto.get('numpy')} on "
        f"{blas.label}; autodetected core {blas.auto_core_name} "
        f"({blas.sgemm_auto.get('gflops', nan):.1f} GFLOP/s at S={stimuli[0]})",
    ]
    notes = [n for n in [peak_warning(peaks, threads)] if n] + [
        "exact Spearman's multiply-adds run on int16 vpdpwssd, so its bound is the int16 VNNI "
        "peak; its % of the float32 FMA peak says how it compares with a float32 kernel.",
        "peak RSS is the whole bench process: the harness column (float64 inputs, gathers, "
        "output) is part of it; the rest is the kernel's own panels, ranks and scratch.",
    ]
    out_text = "\n".join(header) + "\n\n" + text + "\n\n" + "\n".join(notes)
    print("\n" + out_text, flush=True)
    if args.out:
        pathlib.Path(args.out).write_text(
            "# permrsa kernel scaling\n\n" + "\n\n".join(header) + "\n\n" + md + "\n\n"
            + "\n".join("- " + n for n in notes) + "\n")
    failed = not peaks or not any("gflops" in g for g in gemm.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
