#!/usr/bin/python3
"""permrsa's benchmark suite: everything measured side by side, in one run, on this machine.

  /usr/bin/python3 bench/run_benchmarks.py --build build [--real-data DIR (default: tools/seed_data.py)]
                                           [--quick] [--threads 2] [--out table.md]

Workloads (seed shape: S = 49 -> P = 1176 pairs, L = 22 layers, T = 218 time points):
  1. end to end: `permrsa run` (spearman, cluster mass, permutation-p threshold, float32, K = 10000,
     or 1000 with --quick) vs bench/numpy_baseline.py (the same algorithm in vectorised
     NumPy/OpenBLAS) on the same data and K. Target >= 20x.
  2. null kernel GFLOP/s (bench permrsa_bench_kernel) vs OpenBLAS sgemm (numpy.matmul) on the
     same shapes, (batch*L) x P times P x T. Target >= 0.5. Each kernel is also put as a
     percentage of the machine's peak at the same thread count, measured in the same run by
     permrsa_bench_kernel's register-only loops (bench_common.measure_peaks): float32 kernels
     against the float32 FMA peak, float64 against the float64 FMA peak, exact Spearman (int16
     vpdpwssd) against the int16 VNNI peak and, for comparison, the float32 FMA peak.
  3. kendall-b permutations/s: permrsa's kernel vs a scipy.stats.kendalltau loop over the L x T
     cells. Target >= 50x.
  4. peak RSS of the permrsa run.
  5. the permrsa run of 1. against its own kernel alone: K maps at the spearman float32 kernel's
     rate from 2. (issue 20's row, target >= 85%; bench/run_vs_kernel.py has its phases, S > 49).

Before timing anything, a preflight runs both implementations on the same data with the same
explicit permutation file (K = 200, float64) and prints "baseline agrees: yes/no", so that the
comparison is between two implementations of the same statistics.

The machine is shared and noisy: only ratios measured in this run mean anything. Nothing here
fails on time; the exit code is 0 unless something could not run (or the baseline disagrees).

BLAS: the NumPy side must run on OpenBLAS. Debian's numpy uses whichever libblas.so.3 the system
alternative points to; this script puts an OpenBLAS build first on LD_LIBRARY_PATH for the NumPy
subprocesses (Debian `libopenblas0-pthread`, or a folder given with --openblas) and reports which
OpenBLAS core ran. OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are unset for the sgemm measurement;
since an OpenBLAS older than the CPU falls back to a generic core, the best of a few forced cores
is measured too, and every target is judged against the fastest baseline measured.
"""
import argparse
import datetime
import json
import os
import pathlib
import platform
import sys
import tempfile

import numpy as np

from bench_common import (PY, BlasChoice, best_peaks, find_openblas, fmt_pct, json_lines, log,
                          measure_gemm, measure_peaks, peak_warning, run, run_measured)
from bench_table import built_binary, cpu_name, fmt_time, seed_data_folder, table

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent
BASELINE = HERE / "numpy_baseline.py"
SEED = dict(stimuli=49, layers=22, times=218)


# ---------------------------------------------------------------------------------------------
# data and configs

def real_config(data, path):
    path.write_text(f"""[brain]
file = "{data}/brain_rdms.npy"
layout = "pairs-time"
times = "{data}/time_vector.mat:time"
baseline = [-0.2, 0.0]

[models]
file = "{data}/vgg16_layer_corr.npy"
kind = "similarity"
names = "{data}/vgg16_layers.txt"

[analysis]
scheme = "stimulus"
metric = "spearman"
permutations = 10000
seed = 1
tail = "greater"
precision = "float32"

[correction]
cluster_threshold = "permutation-p"
cluster_alpha = 0.05
cluster_statistic = "mass"
connectivity = "time"

[output]
file = "results.h5"
""")
    return path


def synthetic_config(permrsa, work):
    folder = work / "synthetic"
    run([permrsa, "simulate", "--out", folder, "--stimuli", SEED["stimuli"], "--layers",
         SEED["layers"], "--times", SEED["times"]])
    return folder / "config.toml"  # the seed workload's settings are given with --set


SEED_SETTINGS = ["analysis.scheme=stimulus", "analysis.metric=spearman", "analysis.tail=greater",
                 "analysis.seed=1", "correction.cluster_threshold=permutation-p",
                 "correction.cluster_alpha=0.05", "correction.cluster_statistic=mass",
                 "correction.connectivity=time"]


def sets(items):
    out = []
    for item in items:
        out += ["--set", item]
    return out


# ---------------------------------------------------------------------------------------------
# preflight: the same p-values from both implementations

def compare_results(permrsa_file, numpy_file):
    import h5py
    problems = []
    with h5py.File(permrsa_file, "r") as a, h5py.File(numpy_file, "r") as b:
        names = ["observed", "p_uncorrected", "p_maxstat", "p_cluster", "cluster_id",
                 "null/max_statistic", "null/max_cluster", "clusters/statistic", "clusters/p",
                 "clusters/size", "clusters/layer_first", "clusters/layer_last",
                 "clusters/time_first", "clusters/time_last"]
        for name in names:
            if name not in a or name not in b:
                problems.append(f"{name}: missing in {'permrsa' if name not in a else 'numpy'}")
                continue
            x, y = a[name][()], b[name][()]
            if x.shape != y.shape:
                problems.append(f"{name}: shape {x.shape} vs {y.shape}")
            elif not np.array_equal(x, y):
                d = np.abs(x.astype(float) - y.astype(float))
                # Observed values and masses may differ in the last bit (summation order);
                # p-values and cluster tables must be identical.
                tolerated = name in ("observed", "null/max_statistic", "null/max_cluster",
                                     "clusters/statistic") and d.max() <= 1e-12
                if not tolerated:
                    problems.append(f"{name}: {np.count_nonzero(d)} differ, max |diff| {d.max():.3g}")
        clusters = int(a["clusters/p"].shape[0]) if "clusters/p" in a else 0
    return problems, clusters


def preflight(permrsa, cfg, work, base_overrides, env, threads):
    rng = np.random.default_rng(20240607)
    stimuli = SEED["stimuli"]  # the real data and the synthetic fallback both have S = 49
    perm_file = work / "preflight_perms.npy"
    np.save(perm_file, np.array([rng.permutation(stimuli) for _ in range(200)], dtype=np.int64))
    report = []
    ok = True
    for tail in ("greater", "two-sided"):
        over = base_overrides + [f'analysis.permutation_file="{perm_file}"',
                                 "analysis.precision=float64", f"analysis.tail={tail}"]
        p_out, n_out = work / f"preflight_permrsa_{tail}.h5", work / f"preflight_numpy_{tail}.h5"
        run([permrsa, "run", cfg, *sets(over + [f'output.file="{p_out}"']), "--threads", threads,
             "--quiet"])
        run([PY, BASELINE, cfg, *sets(over), "--out", n_out], env=env)
        problems, clusters = compare_results(p_out, n_out)
        ok &= not problems
        report.append(f"  spearman, tail {tail}, K = 200 (explicit permutation file), float64: "
                      f"{clusters} observed clusters; "
                      + ("p_uncorrected, p_maxstat, p_cluster, cluster_id and the cluster table "
                         "identical" if not problems else "DIFFER: " + "; ".join(problems)))
    return ok, report


# ---------------------------------------------------------------------------------------------
# formatting

def fmt_ratio(r):
    return "-" if r != r else (f"{r:.1f}x" if r >= 10 else f"{r:.2f}x")


RESULT_HEAD = ["workload", "permrsa time", "throughput", "baseline (named)", "baseline time",
               "ratio", "% of peak", "target", "met?"]


# ---------------------------------------------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(description="permrsa benchmarks, side by side with NumPy/SciPy")
    ap.add_argument("--build", default=str(REPO / "build"), help="CMake build folder")
    ap.add_argument("--real-data", default=seed_data_folder(),
                    help="the seed-eeg-vgg16 folder (default: tools/seed_data.py's lookup; "
                         "synthetic data of the same shape if absent)")
    ap.add_argument("--quick", action="store_true", help="K = 1000 and shorter timings")
    ap.add_argument("--permutations", type=int, help="K for the end-to-end run (overrides)")
    ap.add_argument("--threads", type=int, default=2, help="threads for both sides")
    ap.add_argument("--openblas", help="folder with OpenBLAS's libblas.so.3 for the NumPy side")
    ap.add_argument("--numpy-budget", type=float, default=300.0,
                    help="seconds; a longer NumPy run uses fewer permutations, scaled linearly")
    ap.add_argument("--out", help="also write the table (markdown) here")
    ap.add_argument("--workdir", help="keep inputs and outputs here (default: a temporary folder)")
    args = ap.parse_args(argv)

    build = pathlib.Path(args.build).resolve()
    permrsa = built_binary(build, "run_benchmarks")
    kernel_bench = built_binary(build, "run_benchmarks", "bench/permrsa_bench_kernel")
    K = args.permutations or (1000 if args.quick else 10000)
    threads = args.threads
    min_time = 1.0 if args.quick else 2.0
    rounds = 1 if args.quick else 2
    if args.workdir:
        work = pathlib.Path(args.workdir).resolve()
        work.mkdir(parents=True, exist_ok=True)
        cleanup = None
    else:
        cleanup = tempfile.TemporaryDirectory(prefix="permrsa-bench-")
        work = pathlib.Path(cleanup.name)
    openblas = find_openblas(args.openblas)
    base_env = dict(os.environ)

    # ---- data
    real = pathlib.Path(args.real_data).resolve() if args.real_data else None
    if real and (real / "brain_rdms.npy").exists():
        cfg = real_config(real, work / "seed.toml")
        data_name = f"real data ({real.name}, baseline [-0.2, 0), models kind similarity)"
        kernel_data = ["--real-data", str(real)]
    else:
        cfg = synthetic_config(permrsa, work)
        data_name = "synthetic data of the seed shape (`permrsa simulate`; real data not found)"
        kernel_data = []
    seed_over = SEED_SETTINGS

    # ---- OpenBLAS: which core runs when OPENBLAS_CORETYPE/L2_SIZE are unset, and the best core
    m, k, n = 64 * SEED["layers"], SEED["stimuli"] * (SEED["stimuli"] - 1) // 2, SEED["times"]
    log(f"[1/6] OpenBLAS cores (sgemm {m} x {k} x {n}, {threads} threads)")
    blas = BlasChoice(base_env, openblas, threads, m, k, n, min_time)
    blas.log()
    best_env, auto_env = blas.best_env, blas.auto_env

    # ---- preflight
    log("[2/6] preflight: permrsa vs NumPy baseline, same permutations")
    agrees, pre_report = preflight(permrsa, cfg, work, seed_over, best_env, threads)
    print(f"baseline agrees: {'yes' if agrees else 'no'}", flush=True)
    for line in pre_report:
        print(line, flush=True)

    # ---- null kernel vs sgemm, alternating rounds (best of rounds on both sides)
    log("[3/6] null kernel vs OpenBLAS GEMM, and the machine's FMA / VNNI peaks")
    kernel_runs, sgemm_runs, dgemm_runs, sgemm_auto_runs, peak_runs = [], [], [], [], []
    for _ in range(rounds):
        peak_runs.append(measure_peaks(kernel_bench, threads))
        proc, _ = run([kernel_bench, "--threads", threads, "--batch", 64, "--min-time", min_time,
                       "--cases", "pearson:float32,pearson:float64,spearman:float32,spearman:float64",
                       *kernel_data])
        kernel_runs.append({(r["metric"], r["precision"]): r for r in json_lines(proc.stdout)})
        sgemm_runs.append(measure_gemm(best_env, m, k, n, "float32", min_time))
        sgemm_auto_runs.append(measure_gemm(auto_env, m, k, n, "float32", min_time))
        dgemm_runs.append(measure_gemm(best_env, m, k, n, "float64", min_time))
        peak_runs.append(measure_peaks(kernel_bench, threads))  # a second chance at a quiet core

    def best_of(runs, key=None):
        if key is not None:
            runs = [r[key] for r in runs]
        return max(runs, key=lambda r: r.get("gflops", 0))

    kern = {key: best_of(kernel_runs, key) for key in kernel_runs[0]}
    sgemm, sgemm_unset, dgemm = best_of(sgemm_runs), best_of(sgemm_auto_runs), best_of(dgemm_runs)
    peaks = best_peaks(peak_runs)

    def of_peak(case, gflops, t=threads):
        peak = peaks.get((case, t), float("nan"))
        return gflops / peak if peak == peak and peak > 0 else float("nan")

    def peak_cell(metric, precision, gflops):
        """The kernel's rate as a share of the peak of its own arithmetic at the same thread
        count: exact Spearman runs on int16 vpdpwssd (and is also put against the float32 FMA
        peak it replaced), Pearson on float32 or float64 FMA."""
        if metric == "spearman":
            return (f"{fmt_pct(of_peak('int16-vpdpwssd', gflops))} of int16 VNNI, "
                    f"{fmt_pct(of_peak('fp32-fma', gflops))} of fp32 FMA")
        case = "fp32-fma" if precision == "float32" else "fp64-fma"
        return f"{fmt_pct(of_peak(case, gflops))} of {case[:4]} FMA"

    # ---- kendall-b
    log("[4/6] kendall-b: permrsa kernel vs scipy.stats.kendalltau loop")
    kb_batch = 4 if args.quick else 8
    n_loop = 2 if args.quick else 4
    kendall_runs, loop_runs = [], []
    for _ in range(rounds):  # alternating, best of rounds on both sides
        proc, _ = run([kernel_bench, "--threads", threads, "--batch", kb_batch, "--min-time",
                       min_time, "--cases", "kendall-b:float64", *kernel_data])
        kendall_runs.append(json_lines(proc.stdout)[0])
        proc, _ = run([PY, BASELINE, cfg, *sets(seed_over), "--kendall-loop", n_loop,
                       "--workers", threads], env=best_env)
        loop_runs.append(json_lines(proc.stdout)[-1])
    kendall = max(kendall_runs, key=lambda r: r["perms_per_s"])
    kendall_loop = max(loop_runs, key=lambda r: r["perms_per_s"])

    # ---- end to end
    log(f"[5/6] end to end, K = {K}")
    e2e_over = seed_over + [f"analysis.permutations={K}", "analysis.precision=float32"]

    def numpy_k(precision):
        """K for the NumPy run: a pilot at 1000 permutations predicts the time; beyond the
        budget, fewer permutations are run and the time is scaled linearly."""
        if K <= 2000:
            return K
        pilot_k = 1000
        _, pilot_s, _ = run_measured([PY, BASELINE, cfg, *sets(seed_over + [
            f"analysis.permutations={pilot_k}", f"analysis.precision={precision}"])], env=best_env)
        if pilot_s * K / pilot_k > args.numpy_budget:
            return max(pilot_k, int(args.numpy_budget / pilot_s * pilot_k))
        return K

    k_numpy = {p: numpy_k(p) for p in ("float32", "float64")}
    permrsa_runs, numpy_runs = [], {p: [] for p in k_numpy}
    # Rounds interleave the two sides, so that a noisy neighbour hits both; best of rounds.
    for i in range(rounds):
        out = work / f"e2e_permrsa_{i}.h5"
        _, seconds, rss = run_measured([permrsa, "run", cfg, *sets(e2e_over + [f'output.file="{out}"']),
                                        "--threads", threads, "--quiet"])
        permrsa_runs.append((seconds, rss))
        log(f"      permrsa run: {seconds:.2f} s, peak RSS {rss:.0f} MiB")
        for precision, k_run in k_numpy.items():
            if i > 0 and numpy_runs[precision][0][0] > args.numpy_budget / 2:
                continue  # one long run is enough
            proc, seconds, rss = run_measured([PY, BASELINE, cfg, *sets(seed_over + [
                f"analysis.permutations={k_run}", f"analysis.precision={precision}"]),
                "--out", work / f"e2e_numpy_{precision}.h5"], env=best_env)
            phases = json_lines(proc.stdout)[-1]["seconds"]
            numpy_runs[precision].append((seconds, rss, phases))
            log(f"      numpy {precision}: {seconds:.2f} s at K = {k_run}"
                + (f" (scaled to K = {K}: {seconds * K / k_run:.1f} s)" if k_run != K else "")
                + f", peak RSS {rss:.0f} MiB, phases "
                + json.dumps({k2: round(v, 2) for k2, v in phases.items()}))
    permrsa_s = min(s for s, _ in permrsa_runs)
    permrsa_rss = max(r for _, r in permrsa_runs)

    def numpy_best(precision):
        seconds, _, phases = min(numpy_runs[precision], key=lambda r: r[0])
        return {"seconds": seconds * K / k_numpy[precision], "k_run": k_numpy[precision],
                "rss": max(r for _, r, _ in numpy_runs[precision]), "phases": phases}

    np32 = numpy_best("float32")
    np64 = numpy_best("float64")

    # ---- table
    log("[6/6] table")
    rows, notes = [], []
    core_label, blas_name, blas_is_openblas = blas.label, blas.name, blas.is_openblas
    no_openblas = "n/a (not OpenBLAS)"

    def e2e_row(np_res, precision):
        ratio = np_res["seconds"] / permrsa_s
        scaled = (f", measured at K={np_res['k_run']} x{K / np_res['k_run']:.1f}"
                  if np_res["k_run"] != K else "")
        return [f"end to end: spearman, cluster mass, permutation-p, K={K}",
                fmt_time(permrsa_s), f"{K / permrsa_s:,.0f} perm/s (x2 passes)",
                f"numpy_baseline.py {precision}, null stored ({core_label}){scaled}",
                fmt_time(np_res["seconds"]), fmt_ratio(ratio), "-", ">= 20x",
                ("yes" if ratio >= 20 else "NO") if blas_is_openblas else no_openblas]

    rows.append(e2e_row(np32, "float32"))
    rows.append(e2e_row(np64, "float64"))
    for (metric, precision), gemm, gname in (
            (("spearman", "float32"), sgemm, f"sgemm, {core_label}"),
            (("pearson", "float32"), sgemm, f"sgemm, {core_label}"),
            (("spearman", "float32"), sgemm_unset,
             f"sgemm, {blas_name}, CORETYPE/L2_SIZE unset -> core {blas.auto_core_name}"),
            (("pearson", "float64"), dgemm, f"dgemm, {core_label}")):
        kr = kern[(metric, precision)]
        ratio = kr["gflops"] / gemm["gflops"] if "gflops" in gemm else float("nan")
        target = ">= 0.5" if precision == "float32" else "(info)"
        met = ("yes" if ratio >= 0.5 else "NO") if precision == "float32" else "-"
        if not blas_is_openblas and precision == "float32":
            met = no_openblas
        rows.append([f"null kernel {metric} {precision}, batch 64 ({m}x{k} . {k}x{n})",
                     fmt_time(kr["seconds_median"]), f"{kr['gflops']:.1f} GFLOP/s",
                     gname, fmt_time(gemm.get("seconds_median", float("nan"))) + f" ({gemm.get('gflops', float('nan')):.1f} GFLOP/s)",
                     fmt_ratio(ratio), peak_cell(metric, precision, kr["gflops"]), target, met])
    kb_ratio = kendall["perms_per_s"] / kendall_loop["perms_per_s"]
    rows.append([f"kendall-b null maps (L x T = {SEED['layers'] * SEED['times']} cells)",
                 fmt_time(1 / kendall["perms_per_s"]) + "/perm", f"{kendall['perms_per_s']:.2f} perm/s",
                 f"scipy.stats.kendalltau loop over cells, {kendall_loop['workers']} processes",
                 fmt_time(1 / kendall_loop["perms_per_s"]) + "/perm", fmt_ratio(kb_ratio), "-", ">= 50x",
                 "yes" if kb_ratio >= 50 else "NO"])
    # Issue 20's row: the run's rate against its own kernel's (pass 1's K maps at the kernel
    # bench's rate); bench/run_vs_kernel.py gives the run's phases and larger S.
    kernel_k_s = K / kern[("spearman", "float32")]["perms_per_s"]
    rows.append([f"permrsa run against its kernel alone (spearman float32, K={K})",
                 fmt_time(permrsa_s), "-", "permrsa_bench_kernel, batch 64: K maps",
                 fmt_time(kernel_k_s), f"{kernel_k_s / permrsa_s:.1%} of the kernel's rate", "-",
                 ">= 85%", "yes" if kernel_k_s / permrsa_s >= 0.85 else "NO"])
    rows.append([f"peak RSS, permrsa run K={K}", f"{permrsa_rss:.0f} MiB", "-",
                 "numpy_baseline.py float32 (null stored)", f"{np32['rss']:.0f} MiB",
                 fmt_ratio(np32["rss"] / permrsa_rss) + " less", "-", "report", "-"])
    text, md = table(RESULT_HEAD, rows)

    header = [
        f"permrsa benchmarks, {datetime.datetime.now().isoformat(timespec='seconds')}, "
        f"{platform.node()}: {cpu_name()}, {os.cpu_count()} cores, {threads} threads on both sides",
        f"data: {data_name}; S={SEED['stimuli']} (P={k}), L={SEED['layers']}, T={SEED['times']}; "
        f"K={K}; permrsa float32",
        f"NumPy {blas.sgemm_auto.get('numpy')} on {blas_name} ({blas.sgemm_auto.get('lib')}); "
        f"autodetected core with OPENBLAS_CORETYPE/L2_SIZE unset: {blas.auto_core_name} "
        f"({blas.sgemm_auto.get('gflops', float('nan')):.1f} GFLOP/s); best core: "
        f"{blas.best_core_name} "
        f"({blas.core_results[blas.best_core].get('gflops', float('nan')):.1f} GFLOP/s). "
        "Targets are judged against the fastest baseline.",
        "machine peaks (permrsa_bench_kernel register-only loops, best of 3 repetitions, twice a "
        "round; "
        "1 thread / " + f"{threads} threads): "
        + "; ".join(f"{name} {peaks.get((case, 1), float('nan')):.0f} / "
                    f"{peaks.get((case, threads), float('nan')):.0f} {unit}"
                    for case, name, unit in (("fp32-fma", "float32 FMA", "GFLOP/s"),
                                             ("fp64-fma", "float64 FMA", "GFLOP/s"),
                                             ("int16-vpdpwssd", "int16 VNNI vpdpwssd",
                                              "G int-op/s"))),
        f"baseline agrees: {'yes' if agrees else 'no'}",
    ]
    notes.append("NumPy end-to-end phases (float32, s): "
                 + ", ".join(f"{k2} {v:.2f}" for k2, v in np32["phases"].items()))
    notes.append("permrsa run times include process start, input loading and the HDF5 write; "
                 "the NumPy times include interpreter start and imports (wall clock of each process).")
    if peak_warning(peaks, threads):
        notes.append(peak_warning(peaks, threads))
    if not blas_is_openblas:
        notes.append("WARNING: NumPy is not on OpenBLAS here (install Debian libopenblas0-pthread "
                     "or pass --openblas DIR); the BLAS baselines are not the intended ones.")
    out_text = "\n".join(header) + "\n\n" + text + "\n\n" + "\n".join(notes)
    print("\n" + out_text, flush=True)
    if args.out:
        pathlib.Path(args.out).write_text(
            "# permrsa benchmarks\n\n" + "\n\n".join(header) + "\n\n" + md + "\n\n"
            + "\n".join("- " + n_ for n_ in notes) + "\n\n" + "Preflight:\n\n"
            + "\n".join(pre_report) + "\n")
    if cleanup:
        cleanup.cleanup()
    return 0 if agrees else 1


if __name__ == "__main__":
    sys.exit(main())
