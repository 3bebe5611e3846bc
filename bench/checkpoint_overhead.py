#!/usr/bin/python3
"""Checkpoint overhead (issue 7): `permrsa run --checkpoint` against the same run without it, on
the seed-shape workload of run_benchmarks.py (S = 49 -> P = 1176, L = 22, T = 218; spearman,
cluster mass, permutation-p threshold, float32, K = 10000), measured side by side in this run.

  /usr/bin/python3 bench/checkpoint_overhead.py --build build [--permutations 10000] [--repeats 3]
                                                [--threads 2] [--out table.md]

Two measures of the overhead: the wall-time ratio against the baseline (noisy on a shared
machine: runs of the same command differ by several percent), and the time permrsa itself
spent building checkpoint states and writing them, as a share of the run's wall time (the
direct measure; printed by `permrsa run --checkpoint` in its closing log line).

Rows: no checkpoint (the baseline), --checkpoint at the default interval (60 s), and, for
scale, a checkpoint every 2 s. Runs alternate (baseline, default, frequent, baseline, ...) so
that the shared machine's noise hits all alike; each row reports the median. Every run's output
is checked to be h5diff-identical to the first baseline's. Nothing here fails on time.
"""
import argparse
import os
import pathlib
import re
import statistics
import subprocess
import sys
import tempfile
import time

from bench_table import cpu_name, emit, fmt_time, permrsa_binary, table

SEED = dict(stimuli=49, layers=22, times=218)
SETTINGS = ["analysis.scheme=stimulus", "analysis.metric=spearman", "analysis.tail=greater",
            "analysis.seed=1", "analysis.precision=float32", "correction.cluster_threshold=permutation-p",
            "correction.cluster_alpha=0.05", "correction.cluster_statistic=mass",
            "correction.connectivity=time"]


def run(cmd):
    t0 = time.perf_counter()
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"checkpoint_overhead: {' '.join(map(str, cmd))} exited {proc.returncode}\n{proc.stderr}")
    return proc, seconds


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--permutations", type=int, default=10000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out")
    args = ap.parse_args()
    permrsa = permrsa_binary(args.build, "checkpoint_overhead")
    work = pathlib.Path(tempfile.mkdtemp(prefix="permrsa-ckpt-bench-"))
    run([permrsa, "simulate", "--out", work / "data", "--stimuli", SEED["stimuli"], "--layers", SEED["layers"],
         "--times", SEED["times"], "--quiet"])
    base = [permrsa, "run", work / "data" / "config.toml", "--threads", args.threads]
    for s in SETTINGS + [f"analysis.permutations={args.permutations}"]:
        base += ["--set", s]
    variants = [("no checkpoint (baseline)", []),
                ("--checkpoint, default interval (60 s)", ["--checkpoint", work / "run.ckpt.h5"]),
                ("--checkpoint-seconds 2", ["--checkpoint", work / "run.ckpt.h5", "--checkpoint-seconds", "2"])]
    times = {name: [] for name, _ in variants}
    saves = {name: 0 for name, _ in variants}
    spent = {name: [] for name, _ in variants}
    reference = work / "reference.h5"
    for rep in range(args.repeats):
        for name, extra in variants:
            out = work / "results.h5"
            proc, seconds = run(base + ["--set", f"output.file={out}"] + extra)
            times[name].append(seconds)
            m = re.search(r"saved (\d+) times", proc.stderr)
            saves[name] = int(m.group(1)) if m else 0
            m = re.search(r"\(([0-9.]+) s on states and saves\)", proc.stderr)
            spent[name].append(float(m.group(1)) / seconds if m else 0.0)
            if not reference.exists():
                out.rename(reference)
                continue
            diff = subprocess.run(["h5diff", "-r", reference, out], capture_output=True, text=True)
            if diff.returncode != 0:
                raise SystemExit(f"checkpoint_overhead: {name}: output differs from the baseline\n{diff.stdout}")
            out.unlink()
        print(f"repeat {rep + 1}/{args.repeats} done", file=sys.stderr, flush=True)
    baseline = statistics.median(times[variants[0][0]])
    maps = 2 * args.permutations  # two passes over K
    rows = []
    for name, _ in variants:
        t = statistics.median(times[name])
        rows.append([f"seed shape, K = {args.permutations}: {name}", fmt_time(t), f"{maps / t:,.0f} maps/s",
                     saves[name], f"{t / baseline:.3f}", f"{100 * statistics.median(spent[name]):.2f}%"])
    head = ["workload", "time (median)", "throughput", "checkpoints saved", "ratio vs baseline",
            "checkpoint time / run time"]
    text, md = table(head, rows)
    header = (f"checkpoint overhead on {cpu_name()}, {os.cpu_count()} cores, --threads {args.threads}, "
              f"median of {args.repeats} interleaved runs (all outputs h5diff-identical)")
    emit(header, text, md, args.out)


if __name__ == "__main__":
    main()
