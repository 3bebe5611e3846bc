#!/usr/bin/python3
"""`permrsa run` against its own null kernel alone (issue 20's row "`permrsa run` end to end
>= 85% of the kernel-only rate"), side by side in one run on this machine, at the seed shape and
at larger S.

  /usr/bin/python3 bench/run_vs_kernel.py [--build build] [--threads 2] [--permutations 10000]
                                          [--stimuli 49,100,200] [--rounds 3] [--spacing 0]
                                          [--real-data DIR] [--out table.md]

Workload, for every S: the seed config's analysis (spearman, float32, tail greater, K stimulus
permutations, cluster mass over time, permutation-p cluster-forming threshold at 0.05), on L = 22
layers and T = 218 time points. S = 49 runs on the real data when it is found (tools/seed_data.py,
or --real-data), the other S on `permrsa simulate` data of that shape.

Per round and S, one after the other:
  - the kernel alone: `permrsa_bench_kernel --cases spearman:float32 --batch 64` on the same
    data (--real-data), or on its own random data of the same shape (the kernel's rate does not
    depend on the values); K / perms_per_s is its time for the K maps of pass 1;
  - the run: `permrsa run ... --profile`, its wall clock (process start to exit), its own total
    and its kernel phase ("kernel and tail orientation").
Each time is the best of the rounds, as everywhere in bench/: a neighbour that comes and goes on
this shared machine hits both sides, and each gets several chances at a quiet moment.

Columns: the kernel alone; the run's kernel phase (the same work inside the run: it should be
close to the kernel alone); the run's total and wall clock; kernel alone / wall (the issue's row,
target >= 85%) and kernel alone / total (the same without process start and exit); and the run's
time outside its kernel phase per cell and permutation, (total - kernel phase) / (K L T). What
the kernel does not do (exceedance counts, top values, the map cache, pass 2's clusters) is work
per cell, so its share of the run falls as P = S (S - 1) / 2 grows.

--spacing SEC sleeps before every run: on VMs that hand idle memory back to the host, a page the
guest has not written for a few seconds is written first at about 1 GB/s (bench/README, "Update
2026-12-07, fifth session"), so spaced runs show the cold case and back-to-back runs the warm one.

Nothing here fails on time; the exit code is 0 unless a command could not run.
"""
import argparse
import datetime
import os
import pathlib
import platform
import re
import sys
import tempfile
import time

from bench_common import json_lines, log, run, run_measured
from bench_table import built_binary, cpu_name, emit, permrsa_binary, seed_data_folder, table
from run_benchmarks import SEED_SETTINGS, real_config, sets

HERE = pathlib.Path(__file__).resolve().parent
LAYERS, TIMES, REAL_STIMULI = 22, 218, 49
BATCH = 64
HEAD = ["S", "P", "data", "kernel alone", "run: kernel phase", "run: total", "run: wall",
        "kernel / wall", "kernel / total", "outside the kernel", "target", "met"]


def pairs_of(s):
    return s * (s - 1) // 2


def seed_sets(k, out):
    """The seed config's analysis, whatever the config file says."""
    return SEED_SETTINGS + ["analysis.precision=float32", f"analysis.permutations={k}",
                            "correction.tfce=false", f'output.file="{out}"']


def profile_seconds(stderr):
    """(kernel phase, total) in seconds from `permrsa run --profile`'s table."""
    kernel = total = None
    for line in stderr.splitlines():
        cols = re.split(r"\s{2,}", line.strip())
        if len(cols) < 2:
            continue
        try:
            seconds = float(cols[1])
        except ValueError:
            continue
        if cols[0].endswith("kernel and tail orientation"):
            kernel = (kernel or 0.0) + seconds
        elif cols[0] == "total":
            total = seconds
    if kernel is None or total is None:
        raise SystemExit(f"run_vs_kernel: no kernel phase or total in --profile's table:\n"
                         f"{stderr[-2000:]}")
    return kernel, total


def main(argv=None):
    ap = argparse.ArgumentParser(description="permrsa run against its null kernel alone")
    ap.add_argument("--build", default=str(HERE.parent / "build"), help="CMake build folder")
    ap.add_argument("--threads", type=int, default=2, help="threads for the run and the kernel")
    ap.add_argument("--permutations", type=int, default=10000, help="K")
    ap.add_argument("--stimuli", default="49,100,200", help="comma-separated S values")
    ap.add_argument("--rounds", type=int, default=3, help="rounds; best of them")
    ap.add_argument("--spacing", type=float, default=0.0,
                    help="seconds to sleep before every run (cold memory on some VMs)")
    ap.add_argument("--real-data", default=seed_data_folder(),
                    help="the seed data folder, for S = 49 (default: tools/seed_data.py)")
    ap.add_argument("--out", help="also write the table (markdown) here")
    args = ap.parse_args(argv)

    permrsa = permrsa_binary(args.build, "run_vs_kernel")
    kernel_bench = built_binary(args.build, "run_vs_kernel", "bench/permrsa_bench_kernel")
    try:
        stimuli = [int(x) for x in args.stimuli.split(",") if x.strip()]
    except ValueError:
        stimuli = []
    if not stimuli or min(stimuli) < 4 or args.permutations < 1 or args.rounds < 1:
        raise SystemExit(f"run_vs_kernel: --stimuli {args.stimuli!r} needs integers >= 4, and "
                         f"--permutations and --rounds at least 1")
    k, threads = args.permutations, args.threads
    started = datetime.datetime.now()

    work = pathlib.Path(tempfile.mkdtemp(prefix="permrsa-run-vs-kernel-"))
    inputs = {}  # S -> (config, kernel bench data arguments, data label)
    for s in stimuli:
        if s == REAL_STIMULI and args.real_data:
            inputs[s] = (real_config(pathlib.Path(args.real_data).resolve(), work / "seed.toml"),
                         ["--real-data", args.real_data], "real (seed)")
        else:
            folder = work / f"sim{s}"
            run([permrsa, "simulate", "--out", folder, "--stimuli", s, "--layers", LAYERS,
                 "--times", TIMES, "--quiet"])
            inputs[s] = (folder / "config.toml",
                         ["--stimuli", s, "--layers", LAYERS, "--times", TIMES],
                         "simulate / random")

    best = {}  # (S, what) -> seconds
    rss = {}

    def keep(s, what, seconds):
        best[(s, what)] = min(seconds, best.get((s, what), float("inf")))

    for i in range(args.rounds):
        for s in stimuli:
            config, kernel_data, _ = inputs[s]
            proc, _ = run([kernel_bench, "--threads", threads, "--batch", BATCH, "--min-time", 1,
                           "--cases", "spearman:float32", *kernel_data])
            line = [r for r in json_lines(proc.stdout) if r.get("bench") == "null_kernel"][0]
            keep(s, "kernel", k / line["perms_per_s"])
            if args.spacing > 0:
                time.sleep(args.spacing)
            cmd = [permrsa, "run", config, "--threads", threads, "--profile",
                   *sets(seed_sets(k, work / f"run{s}.h5"))]
            proc, wall, peak = run_measured(cmd)
            kernel_phase, total = profile_seconds(proc.stderr)
            keep(s, "wall", wall)
            keep(s, "total", total)
            keep(s, "kernel phase", kernel_phase)
            keep(s, "outside", total - kernel_phase)
            rss[s] = max(peak, rss.get(s, 0.0))
            log(f"round {i + 1}, S = {s}: kernel alone {k / line['perms_per_s']:.3f} s "
                f"({line['isa']}, {line['gflops']:.0f} GFLOP/s); run {wall:.3f} s wall, "
                f"{total:.3f} s in-process, kernel phase {kernel_phase:.3f} s, "
                f"peak RSS {peak:.0f} MiB")

    rows = []
    for s in stimuli:
        kernel, wall, total = best[(s, "kernel")], best[(s, "wall")], best[(s, "total")]
        per_cell_ns = best[(s, "outside")] / (k * LAYERS * TIMES) * 1e9
        rows.append([s, pairs_of(s), inputs[s][2], f"{kernel:.3f} s",
                     f"{best[(s, 'kernel phase')]:.3f} s", f"{total:.3f} s", f"{wall:.3f} s",
                     f"{kernel / wall:.1%}", f"{kernel / total:.1%}",
                     f"{best[(s, 'outside')]:.3f} s, {per_cell_ns:.2f} ns per cell and permutation",
                     ">= 85%", "yes" if kernel / wall >= 0.85 else "NO"])
    text, md = table(HEAD, rows)
    header = "\n".join([
        f"permrsa run against its kernel alone, {started.isoformat(timespec='seconds')}, "
        f"{platform.node()}: {cpu_name()}, {os.cpu_count()} cores, {threads} threads",
        f"K = {k}, L = {LAYERS}, T = {TIMES}; spearman float32, permutation-p cluster mass; "
        f"kernel batch {BATCH}; best of {args.rounds} round(s)"
        + (f"; runs started {args.spacing:g} s after the previous command" if args.spacing else
           "; runs back to back") + "; peak RSS of the runs: "
        + ", ".join(f"S = {s}: {rss[s]:.0f} MiB" for s in stimuli),
    ])
    emit(header, text, md, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
