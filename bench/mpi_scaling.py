#!/usr/bin/python3
"""permrsa's distributed scaling benchmark (issue 3: "Memory scaling", "Scaling benchmark").

  /usr/bin/python3 bench/mpi_scaling.py [--build build] [--real-data DIR (default: tools/seed_data.py)]
                                        [--quick] [--out table.md] [--workdir DIR]
                                        [--busy-neighbour [--baseline OTHER/permrsa]]

(a) Memory: a synthetic problem with S = 200 (P = 19900 pairs), L = 20, T = 1000, K = 1000
    (K = 200 with --quick), written with NumPy as float64 .npy (brain P x T, pairs-time; models
    L x P), spearman, cluster mass, permutation-p threshold. One process (1x1, --threads 2)
    against `mpirun -n 4 --grid 4x1` (4 time blocks, --threads 1). The per-rank peak RSS comes
    from permrsa's own log ("peak RSS: N MiB" for one process, "peak RSS per rank (MiB): a, b, ..."
    from rank 0 under mpirun). Target: the largest rank of 4x1 <= 40% of 1x1.
(b) Time: the seed shape (the real data if present, else `permrsa simulate` with S = 49, L = 22,
    T = 218), K = 10000 (1000 with --quick), spearman, cluster mass, permutation-p threshold
    (two passes over the permutations), float32:
      1 rank x 1 thread (no mpirun)               -- the reference t1
      2 ranks x 1 thread (mpirun -n 2, default grid; permrsa picks 1x2 at this size)
      1 rank x 2 threads (--threads 2)
      2 ranks x 1 thread, --grid 2x1 (2 time blocks; for reference)
    Parallel efficiency = t1 / (n * tn) with n = 2 workers. Target >= 85% for the first two
    comparisons. Times are wall clock of the whole command, best of rounds (rounds interleave the
    configurations, so that a noisy neighbour hits all of them); the mpirun times include the
    launcher's start (~0.5 s here). A second efficiency column subtracts each configuration's
    fixed cost, measured by the same command at K = 50 (start, loading, output), to show the
    efficiency of the permutation work itself.
    Two closing rows give issue 20's comparison directly: the speed of each 2-rank x 1-thread
    configuration as a share of 1 rank x 2 threads, t(1x2 threads) / t(2 ranks x 1 thread), on the
    wall clock and with each side's fixed cost subtracted (target >= 85% on the latter).
    Communication volume per permutation is an estimate from the algorithm (README.md,
    "Distributed runs"), not a measurement: with D > 1 data blocks each group's leader gathers the
    block maps, L*T*8 bytes per permutation and pass (of which (D-1)/D cross the network); with
    D = 1 only the K+1 per-permutation maxima (max statistic, max cluster: 16 bytes each), the
    per-cell counts (L*T*8 bytes) and, for the permutation-p threshold, the per-cell top values
    (L*T*ceil(alpha*(K+1))*8 bytes) move once, at the end, when G > 1.

(c) A busy neighbour (--busy-neighbour): the same seed-shape runs while a busy loop is pinned to
    CPU 0 (taskset), so that one of two ranks bound to cores gets about half a core, as on a node
    shared with another job: 2 ranks x 1 thread (default grid) against 1 rank x 2 threads under
    the same load, and with --baseline OTHER/permrsa the same 2-rank run of another build (one
    whose permutation groups keep fixed halves of K). Groups of one rank each take the
    permutations in rounds in proportion to their speed (core/null_sweep.hpp), so the rank on the
    shared core is handed less instead of making the other wait.

The machine is shared and noisy: nothing here fails on time; the exit code is 0 unless a run
failed (or produced no RSS line).
"""
import argparse
import datetime
import math
import os
import pathlib
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

from bench_common import skip_dead_munge
from bench_table import fmt_time, permrsa_binary, seed_data_folder, table

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent
SEED = dict(stimuli=49, layers=22, times=218)
MEM = dict(stimuli=200, layers=20, times=1000)
ALPHA = 0.05
FIXED_K = 50  # K of the fixed-cost runs (>= 20: with fewer, alpha 0.05 admits no cluster)


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def run(cmd, check=True):
    """Runs cmd; returns (CompletedProcess, wall seconds)."""
    cmd = [str(c) for c in cmd]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if check and proc.returncode != 0:
        raise SystemExit(f"mpi_scaling: {' '.join(cmd)} exited {proc.returncode}\n"
                         f"{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    return proc, seconds


def mpirun_prefix(n):
    return [shutil.which("mpirun") or "mpirun", "-n", n, "--oversubscribe", "--allow-run-as-root"]


def rss_per_rank(stderr):
    """Per-rank peak RSS (MiB) from permrsa's log: one number for a single process."""
    for line in stderr.splitlines():
        if "peak RSS per rank (MiB):" in line:
            return [float(x) for x in re.findall(r"\d+(?:\.\d+)?", line.split("(MiB):", 1)[1])]
    for line in stderr.splitlines():
        m = re.search(r"peak RSS: (\d+(?:\.\d+)?) MiB", line)
        if m:
            return [float(m.group(1))]
    return []


def grid_line(stderr):
    """permrsa's description of its process grid (info log), or "" for one process."""
    for line in stderr.splitlines():
        if "data blocks" in line and "permutation groups" in line:
            return line.split("info:", 1)[-1].strip()
    return ""


def sets(items):
    out = []
    for item in items:
        out += ["--set", item]
    return out


ANALYSIS = ["analysis.scheme=stimulus", "analysis.metric=spearman", "analysis.tail=greater",
            "analysis.seed=1", "analysis.precision=float32",
            "correction.cluster_threshold=permutation-p", f"correction.cluster_alpha={ALPHA}",
            "correction.cluster_statistic=mass", "correction.connectivity=time"]


# ---------------------------------------------------------------------------------------------
# formatting (the same plain + markdown table style as run_benchmarks.py)

def fmt_bytes(b):
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if b >= size:
            return f"{b / size:.1f} {unit}"
    return f"{b:.0f} B"


# ---------------------------------------------------------------------------------------------
# (a) memory

def write_memory_problem(folder, permutations):
    """S = 200, L = 20, T = 1000 as float64 .npy (brain pairs-time), with a planted effect."""
    folder.mkdir(parents=True, exist_ok=True)
    s, layers, times = MEM["stimuli"], MEM["layers"], MEM["times"]
    p = s * (s - 1) // 2
    rng = np.random.default_rng(20240613)
    latent = rng.standard_normal(p)
    models = 1.0 + latent[None, :] * np.linspace(0.2, 1.0, layers)[:, None] \
        + rng.standard_normal((layers, p))
    envelope = np.zeros(times)
    envelope[times // 4: times // 2] = 0.3
    brain = rng.standard_normal((p, times))
    brain += latent[:, None] * envelope[None, :]
    np.save(folder / "brain.npy", brain)
    np.save(folder / "models.npy", models)
    del brain
    cfg = folder / "config.toml"
    cfg.write_text(f"""[brain]
file = "brain.npy"
layout = "pairs-time"
time_start = 0.0
time_step = 0.001

[models]
file = "models.npy"
kind = "dissimilarity"

[analysis]
scheme = "stimulus"
metric = "spearman"
permutations = {permutations}
seed = 1
tail = "greater"
precision = "float32"

[correction]
cluster_threshold = "permutation-p"
cluster_alpha = {ALPHA}
cluster_statistic = "mass"
connectivity = "time"

[output]
file = "results.h5"
""")
    return cfg, p


def memory_benchmark(permrsa, work, permutations):
    log(f"[a] memory: synthetic S={MEM['stimuli']}, L={MEM['layers']}, T={MEM['times']}, "
        f"K={permutations} (writing the inputs)")
    cfg, pairs = write_memory_problem(work / "memory", permutations)
    out = work / "memory" / "out.h5"
    common = ["run", cfg, "--set", f'output.file="{out}"']
    runs = [("1x1", 1, [permrsa, *common, "--threads", 2]),
            ("4x1", 4, [*mpirun_prefix(4), permrsa, *common, "--grid", "4x1", "--threads", 1])]
    results = []
    for name, ranks, cmd in runs:
        if out.exists():
            out.unlink()
        proc, seconds = run(cmd)
        rss = rss_per_rank(proc.stderr)
        if len(rss) != ranks:
            raise SystemExit(f"mpi_scaling: {name}: expected {ranks} peak-RSS numbers in the log, "
                             f"found {rss}\n{proc.stderr[-3000:]}")
        results.append((name, ranks, rss, seconds, grid_line(proc.stderr)))
        log(f"    {name}: {seconds:.1f} s, peak RSS per rank (MiB) {rss} {grid_line(proc.stderr)}")
    base = max(results[0][2])
    rows = []
    for name, ranks, rss, seconds, desc in results:
        ratio = max(rss) / base
        rows.append([f"{name} ({ranks} rank{'s' if ranks > 1 else ''})",
                     ", ".join(f"{x:.0f}" for x in rss), f"{max(rss):.0f}", f"{ratio:.2f}",
                     "<= 0.40" if name != "1x1" else "-",
                     ("yes" if ratio <= 0.40 else "NO") if name != "1x1" else "-",
                     fmt_time(seconds)])
    brain_mib = pairs * MEM["times"] * 8 / 2**20
    head = ["grid", "peak RSS per rank (MiB)", "max per rank (MiB)", "ratio to 1x1", "target",
            "met?", "wall time"]
    note = (f"inputs: brain {pairs} x {MEM['times']} float64 = {brain_mib:.0f} MiB, models "
            f"{MEM['layers']} x {pairs} float64 = {MEM['layers'] * pairs * 8 / 2**20:.0f} MiB; "
            f"K = {permutations}; 1x1 ran with --threads 2, 4x1 with --threads 1 per rank")
    return head, rows, note


# ---------------------------------------------------------------------------------------------
# (b) time

def seed_config(permrsa, real, work):
    if real and (real / "brain_rdms.npy").is_file():
        cfg = work / "seed.toml"
        cfg.write_text(f"""[brain]
file = "{real}/brain_rdms.npy"
layout = "pairs-time"
times = "{real}/time_vector.mat:time"
baseline = [-0.2, 0.0]

[models]
file = "{real}/vgg16_layer_corr.npy"
kind = "similarity"
names = "{real}/vgg16_layers.txt"

[analysis]
permutations = 10000

[output]
file = "results.h5"
""")
        return cfg, f"real data ({real})"
    folder = work / "synthetic"
    run([permrsa, "simulate", "--out", folder, "--stimuli", SEED["stimuli"], "--layers",
         SEED["layers"], "--times", SEED["times"], "--quiet"])
    return folder / "config.toml", "synthetic data of the seed shape (`permrsa simulate`)"


def comm_estimate(data_blocks, groups, layers, times, permutations, passes):
    """(bytes per permutation while running, bytes once at the end, amortised per permutation)."""
    per_perm = layers * times * 8 * passes if data_blocks > 1 else 0
    at_end = 0
    if groups > 1:
        top = math.ceil(ALPHA * (permutations + 1))
        at_end = (permutations + 1) * 2 * 8 + layers * times * 8 + layers * times * top * 8
    return per_perm, at_end, per_perm + at_end / permutations


def scaling_benchmark(permrsa, real, work, permutations, rounds):
    cfg, data_name = seed_config(permrsa, real, work)
    log(f"[b] time: {data_name}, K={permutations}, {rounds} round(s)")
    out = work / "scaling.h5"

    def command(ranks, threads, extra, k):
        base = [permrsa, "run", cfg, *sets(ANALYSIS + [f"analysis.permutations={k}",
                                                       f'output.file="{out}"']),
                "--threads", threads, *extra]
        return [*mpirun_prefix(ranks), *base] if ranks > 1 else base

    configs = [("1 rank x 1 thread", 1, 1, []),
               ("2 ranks x 1 thread (default grid)", 2, 1, []),
               ("1 rank x 2 threads", 1, 2, []),
               ("2 ranks x 1 thread, --grid 2x1", 2, 1, ["--grid", "2x1"])]
    times_, fixed, grids = {c[0]: [] for c in configs}, {}, {}
    for name, ranks, threads, extra in configs:  # fixed cost: the same command at K = 50
        best = float("inf")
        for _ in range(2):
            if out.exists():
                out.unlink()
            proc, seconds = run(command(ranks, threads, extra, FIXED_K), check=False)
            if proc.returncode != 0:  # only informative: report it and go on without it
                log(f"    fixed cost of {name} not measured: exit {proc.returncode}: "
                    + " / ".join(ln for ln in proc.stderr.splitlines() if "permrsa:" in ln)[:300])
                best = float("nan")
                break
            best = min(best, seconds)
        fixed[name] = best
    for i in range(rounds):
        for name, ranks, threads, extra in configs:
            if out.exists():
                out.unlink()
            proc, seconds = run(command(ranks, threads, extra, permutations))
            times_[name].append(seconds)
            grids[name] = grid_line(proc.stderr) or "1 process"
            log(f"    round {i + 1}: {name}: {seconds:.2f} s ({grids[name]})")
    best = {name: min(v) for name, v in times_.items()}
    t1 = best[configs[0][0]]
    f1 = fixed[configs[0][0]]
    layers, times = SEED["layers"], SEED["times"]
    rows = []
    for name, ranks, threads, extra in configs:
        n = ranks * threads
        t = best[name]
        eff = t1 / (n * t)
        eff_work = (t1 - f1) / (n * (t - fixed[name])) if t > fixed[name] else float("nan")
        # (nan when a fixed cost was not measured: every comparison with nan is False)
        m = re.search(r"(\d+) data blocks .* x (\d+) permutation groups", grids[name])
        d, g = (int(m.group(1)), int(m.group(2))) if m else (1, 1)
        per_perm, at_end, amortised = comm_estimate(d, g, layers, times, permutations, 2)
        target = "-" if n == 1 or "--grid" in " ".join(extra) else ">= 85%"
        met = "-" if target == "-" else ("yes" if eff >= 0.85 else "NO")
        rows.append([name, f"{d}x{g}", fmt_time(t), f"{permutations / t:,.0f} perm/s",
                     "-" if n == 1 else f"{eff:.1%}",
                     "-" if n == 1 else (f"{eff_work:.1%}" if eff_work == eff_work else "-"),
                     target, met, fmt_time(fixed[name]),
                     fmt_bytes(per_perm) if per_perm else "0",
                     fmt_bytes(at_end) if at_end else "0",
                     fmt_bytes(amortised) if amortised else "0"])
    head = ["configuration", "grid DxG", "time", "throughput", "efficiency t1/(n*tn)",
            "efficiency excl. fixed cost", "target", "met?", f"fixed cost (K={FIXED_K})",
            "comm/perm while running", "comm once at end", "comm/perm amortised"]
    rows += ranks_vs_threads_rows(configs, best, fixed)
    note = (f"data: {data_name}; S={SEED['stimuli']} (P={SEED['stimuli'] * (SEED['stimuli'] - 1) // 2}), "
            f"L={layers}, T={times}; K={permutations}; spearman float32, cluster mass, "
            f"permutation-p threshold (alpha {ALPHA}: two passes), connectivity time. Communication "
            f"is estimated from the algorithm, not measured: with D > 1 the leader gathers "
            f"L*T*8 = {layers * times * 8:,} bytes per permutation and pass; with D = 1 only the "
            "K+1 maxima, the per-cell counts and the per-cell threshold values move, once.")
    return head, rows, note


def busy_neighbour_benchmark(permrsa, baseline, real, work, permutations, rounds):
    if shutil.which("taskset") is None:
        raise SystemExit("mpi_scaling: --busy-neighbour needs taskset (Debian util-linux)")
    cfg, data_name = seed_config(permrsa, real, work)
    log(f"[c] a busy loop pinned to CPU 0: {data_name}, K={permutations}, {rounds} round(s)")
    out = work / "busy.h5"

    def command(binary, ranks, threads):
        base = [binary, "run", cfg, *sets(ANALYSIS + [f"analysis.permutations={permutations}",
                                                      f'output.file="{out}"']),
                "--threads", threads]
        return [*mpirun_prefix(ranks), "--bind-to", "core", *base] if ranks > 1 else base

    configs = [("2 ranks x 1 thread (default grid)", permrsa, 2, 1)]
    if baseline:
        configs.append((f"2 ranks x 1 thread (default grid), baseline {baseline}", baseline, 2, 1))
    configs.append(("1 rank x 2 threads", permrsa, 1, 2))
    times_ = {c[0]: [] for c in configs}
    hog = subprocess.Popen(["taskset", "-c", "0", sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.5)
        for i in range(rounds):
            for name, binary, ranks, threads in configs:
                if out.exists():
                    out.unlink()
                _, seconds = run(command(binary, ranks, threads))
                times_[name].append(seconds)
                log(f"    round {i + 1}: {name}: {seconds:.2f} s")
    finally:
        hog.kill()
        hog.wait()
    best = {name: min(v) for name, v in times_.items()}
    t2 = best["1 rank x 2 threads"]
    rows = [[name, fmt_time(best[name]), f"{permutations / best[name]:,.0f} perm/s",
             "-" if ranks == 1 else f"{t2 / best[name]:.1%}"]
            for name, _, ranks, _ in configs]
    head = ["configuration (busy loop on CPU 0)", "time (best of rounds)", "throughput",
            "speed / 1 rank x 2 threads (wall)"]
    note = (f"data: {data_name}; K={permutations}; the ranks bound to cores (--bind-to core), the "
            "busy loop `taskset -c 0` for the whole section; wall clock including mpirun's start.")
    return head, rows, note


def ranks_vs_threads_rows(configs, best, fixed):
    """Issue 20's comparison: the speed of `mpirun -n 2 --threads 1` as a share of `--threads 2`
    on one rank, t(1 rank x 2 threads) / t(2 ranks x 1 thread), on the wall clock and with each
    configuration's fixed cost (start-up, loading, output at K = FIXED_K) subtracted. Rows in the
    time table's columns; target >= 85% on the fixed-cost-free ratio."""
    threads2 = next(c[0] for c in configs if c[1] == 1 and c[2] == 2)
    rows = []
    for name, ranks, threads, extra in configs:
        if ranks != 2:
            continue
        t, t2 = best[name], best[threads2]
        wall = t2 / t
        work = (t2 - fixed[threads2]) / (t - fixed[name]) if t > fixed[name] else float("nan")
        met = "-" if work != work else ("yes" if work >= 0.85 else "NO")
        rows.append([f"speed of {name} / {threads2}", "-", "-", "-", f"{wall:.1%} (wall)",
                     "-" if work != work else f"{work:.1%}", ">= 85% (issue 20)", met,
                     "-", "-", "-", "-"])
    return rows


# ---------------------------------------------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(description="permrsa distributed memory and time scaling")
    ap.add_argument("--build", default=str(REPO / "build"), help="CMake build folder")
    ap.add_argument("--real-data", default=seed_data_folder(),
                    help="the seed-eeg-vgg16 folder (default: tools/seed_data.py's lookup; "
                         "synthetic data of the same shape if absent)")
    ap.add_argument("--quick", action="store_true",
                    help="K = 200 for the memory problem, K = 1000 for the timing, one round")
    ap.add_argument("--permutations", type=int, help="K for the timing runs (overrides)")
    ap.add_argument("--rounds", type=int, help="timing rounds (default 3, 1 with --quick)")
    ap.add_argument("--skip-memory", action="store_true", help="only the timing part (b)")
    ap.add_argument("--skip-time", action="store_true", help="only the memory part (a)")
    ap.add_argument("--busy-neighbour", action="store_true",
                    help="also (c): the timing with a busy loop pinned to CPU 0")
    ap.add_argument("--baseline", help="(c) only: another build's permrsa binary to compare")
    ap.add_argument("--keep-munge", action="store_true",
                    help="leave PMIx's munge authentication on even without a munge daemon")
    ap.add_argument("--out", help="also write the tables (markdown) here")
    ap.add_argument("--workdir", help="keep inputs and outputs here (default: a temporary folder)")
    args = ap.parse_args(argv)

    permrsa = permrsa_binary(args.build, "mpi_scaling")
    if shutil.which("mpirun") is None:
        raise SystemExit("mpi_scaling: mpirun not found (Debian openmpi-bin)")
    if args.workdir:
        work = pathlib.Path(args.workdir).resolve()
        work.mkdir(parents=True, exist_ok=True)
        cleanup = None
    else:
        cleanup = tempfile.TemporaryDirectory(prefix="permrsa-mpi-bench-")
        work = pathlib.Path(cleanup.name)
    real = pathlib.Path(args.real_data).resolve() if args.real_data else None
    munge_note = "" if args.keep_munge else skip_dead_munge()
    if munge_note:
        log("note: " + munge_note)

    sections = []
    if not args.skip_memory:
        head, rows, note = memory_benchmark(permrsa, work, 200 if args.quick else 1000)
        sections.append(("memory scaling (issue 3 target: 4x1 <= 40% of 1x1)", head, rows, note))
    if not args.skip_time:
        k = args.permutations or (1000 if args.quick else 10000)
        rounds = args.rounds or (1 if args.quick else 3)
        head, rows, note = scaling_benchmark(permrsa, real, work, k, rounds)
        sections.append(("time scaling at the seed shape (issue 3 target: efficiency >= 85%)",
                         head, rows, note))

    if args.busy_neighbour:
        k = args.permutations or (1000 if args.quick else 10000)
        rounds = args.rounds or (1 if args.quick else 3)
        head, rows, note = busy_neighbour_benchmark(permrsa, args.baseline, real, work, k, rounds)
        sections.append(("a busy neighbour on one of the two cores", head, rows, note))

    header = (f"permrsa MPI scaling, {datetime.datetime.now().isoformat(timespec='seconds')}, "
              f"{platform.node()}: {os.cpu_count()} cores (shared: only ratios from one run mean "
              "anything)")
    text_out, md_out = [header], ["# permrsa MPI scaling", "", header]
    for title, head, rows, note in sections:
        text, md = table(head, rows)
        text_out += ["", title, "", text, "", note]
        md_out += ["", f"## {title}", "", md, "", note]
    if munge_note:
        text_out += ["", "launcher: " + munge_note]
        md_out += ["", "launcher: " + munge_note]
    print("\n" + "\n".join(text_out), flush=True)
    if args.out:
        pathlib.Path(args.out).write_text("\n".join(md_out) + "\n")
    if cleanup:
        cleanup.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
