#!/usr/bin/python3
"""The sign-flip (random-effects) scheme against MNE-Python, side by side in one run.

  /usr/bin/python3 bench/signflip_vs_mne.py [--build build] [--quick] [--permutations K]
                                            [--threads 2] [--rounds R] [--out table.md]
                                            [--workdir DIR] [--mne-main DIR]
                                            [--mne-main-label TEXT] [--openblas DIR]
                                            [--numpy-batch B]

Workload (issue 4, "Benchmark"): synthetic per-subject brain RDMs with planted effects,
N = 23 subjects, S = 49 stimuli (P = 1176 pairs), L = 22 model RDMs, T = 218 time points;
spearman, one-sample t across subjects, two-sided, cluster mass with MNE's default threshold
(t.ppf(0.975, N - 1)), layer-time connectivity, K = 10000 sign-flip patterns (1000 with --quick).

  - permrsa: `permrsa run` on one N x P x T .npy (brain.layout = "subjects-pairs-time") and an
    L x P models .npy, `--threads` threads, float64. Timed as the wall clock of the whole process:
    start, reading the per-subject RDMs, the per-subject spearman maps, the K sign flips with
    their clusters, and the HDF5 write.
  - MNE: `mne.stats.permutation_cluster_1samp_test` on the SAME (N, L, T) per-subject maps, with
    threshold = t.ppf(0.975, N - 1), tail = 0, adjacency = None (the regular L x T lattice, i.e.
    layer-time), n_permutations = K, once with n_jobs = 1 and once with n_jobs = 2. Timed: the
    call only. The per-subject maps are computed beforehand in NumPy (ranks, z-scores, one
    matrix product per subject) and are not part of MNE's time.
  - Further baselines of the same maps test (issue 20), each with 1 and 2 jobs or BLAS threads:
    MNE-Python main (--mne-main DIR, a source export of its `mne` package, imported in its own
    interpreter through PYTHONPATH) with adjacency=None and, through
    spatio_temporal_cluster_1samp_test, with the layer chain as a sparse adjacency (the same
    lattice; the path its PRs #13731/#14057 sped up most); and MNE main's algorithm written in
    NumPy (signflip_numpy.py, on OpenBLAS as run_benchmarks.py sets it up). permrsa on the maps
    is compared with the fastest of all of them (target >= 5x).

Before anything is timed against MNE the maps are checked: the engine's /observed must equal the
one-sample t of the NumPy maps within 1e-10 (and MNE's t_obs too), so that both sides test the
same maps. Both sides run in random mode (Philox flips on one side, MNE's RandomState on the
other), so cluster p-values agree only up to Monte-Carlo error; the script reports them.

If MNE at K permutations would take longer than --mne-budget seconds (a pilot run predicts it),
it runs fewer permutations and its time is scaled linearly to K; the table says so.

The machine is shared and noisy: only the ratios measured in this run mean anything. Nothing
fails on time; the exit code is nonzero only if something could not run, the maps differ, or a
further baseline (MNE main, NumPy) finds other clusters than permrsa on the same t map.
"""
import argparse
import datetime
import os
import pathlib
import platform
import shutil
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np
from scipy import stats

from bench_table import cpu_name, fmt_time, permrsa_binary, table
from bench_common import BlasChoice, blas_env, find_openblas

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent
SHAPE = dict(subjects=23, stimuli=49, layers=22, times=218)
OBSERVED_TOLERANCE = 1e-10
TARGET = 20.0
FASTEST_TARGET = 5.0          # issue 20: >= 5x the fastest MNE that runs here, or its algorithm
PY = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
NUMPY_BASELINE = HERE / "signflip_numpy.py"

# Planted effects: (layer, first time, end time (exclusive), mean weight, sd of the weight over
# subjects). Neighbouring layers' models are correlated (below), so an effect of one layer shows
# in its neighbours too and clusters span layers. Strong, medium, negative and weak effects give
# clusters with p-values from 1/(K+1) up to non-significant.
EFFECTS = [(4, 40, 95, 0.08, 0.08), (15, 100, 165, 0.06, 0.08), (9, 170, 205, -0.05, 0.08),
           (19, 15, 35, 0.03, 0.07), (12, 60, 75, -0.025, 0.07)]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def fmt_ratio(r):
    return "-" if r != r else (f"{r:.1f}x" if r >= 10 else f"{r:.2f}x")


# ---------------------------------------------------------------------------------------------
# data

def synthetic(seed=2024):
    """(models (L, P), brain (N, P, T)), float64, continuous values (no ties)."""
    n, s, n_layers, n_times = (SHAPE[k] for k in ("subjects", "stimuli", "layers", "times"))
    p = s * (s - 1) // 2
    rng = np.random.default_rng(seed)
    # Models: an AR(1) chain over layers (corr 0.85 between neighbours), as in a deep network.
    z = np.empty((n_layers, p))
    z[0] = rng.standard_normal(p)
    for layer in range(1, n_layers):
        z[layer] = 0.85 * z[layer - 1] + np.sqrt(1 - 0.85 ** 2) * rng.standard_normal(p)
    z = (z - z.mean(1, keepdims=True)) / z.std(1, keepdims=True)
    models = 1.0 + 0.25 * z
    brain = rng.standard_normal((n, p, n_times))
    for layer, first, end, mean, sd in EFFECTS:
        window = np.hanning(end - first + 2)[1:-1]           # smooth onset and offset
        weights = rng.normal(mean, sd, size=n)
        brain[:, :, first:end] += (weights[:, None, None] * z[layer][None, :, None]
                                   * window[None, None, :])
    brain += 2.0                                               # positive "dissimilarities"
    return models, brain


def zscored_ranks(a, axis):
    r = stats.rankdata(a, axis=axis)
    r -= r.mean(axis=axis, keepdims=True)
    r /= np.sqrt((r * r).mean(axis=axis, keepdims=True))
    return r


def subject_maps(models, brain):
    """r[n, l, t] = spearman(models[l], brain[n, :, t]): Pearson on z-scored ranks."""
    zm = zscored_ranks(models, axis=1)                         # (L, P)
    zb = zscored_ranks(brain, axis=1)                          # (N, P, T)
    return np.einsum("lp,npt->nlt", zm, zb, optimize=True) / models.shape[1]


def t_map(maps):
    n = maps.shape[0]
    return maps.mean(0) / np.sqrt(maps.var(0, ddof=1) / n)


# ---------------------------------------------------------------------------------------------
# the two sides

def write_inputs(work, models, brain, K, threshold_alpha):
    np.save(work / "models.npy", models)
    np.save(work / "brain.npy", brain)
    (work / "config.toml").write_text(f"""[brain]
file = "brain.npy"
layout = "subjects-pairs-time"
time_start = -0.1
time_step = 0.005

[models]
file = "models.npy"

[analysis]
scheme = "sign-flip"
metric = "spearman"
group_statistic = "t"
fisher_z = false
permutations = {K}
seed = 1
tail = "two-sided"
precision = "float64"

[correction]
cluster_threshold = "t-default"
cluster_alpha = {threshold_alpha}
cluster_statistic = "mass"
connectivity = "layer-time"
""")
    return work / "config.toml"


def write_maps_config(work, maps, config):
    """The same analysis on the per-subject maps themselves (brain.layout =
    "subjects-layers-time"): what MNE's permutation_cluster_1samp_test is given."""
    np.save(work / "maps.npy", maps)
    text = config.read_text().replace('file = "brain.npy"', 'file = "maps.npy"').replace(
        '"subjects-pairs-time"', '"subjects-layers-time"').replace('[models]\nfile = "models.npy"\n', "")
    path = work / "config_maps.toml"
    path.write_text(text)
    return path


def run_engine(permrsa, config, out, threads, extra=()):
    cmd = [str(permrsa), "run", str(config), "--set", f'output.file="{out}"',
           "--threads", str(threads), "--quiet", *extra]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"signflip_vs_mne: {' '.join(cmd)} exited {proc.returncode}\n"
                         f"{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    return seconds


def read_engine(path):
    with h5py.File(path, "r") as f:
        out = {name: f[name][()] for name in ("observed", "cluster_id", "clusters/p",
                                              "clusters/statistic", "clusters/size",
                                              "null/max_cluster")}
        out["permutations"] = int(f.attrs["permutations"])
    return out


def layer_chain(n_layers):
    """Sparse L x L adjacency of neighbouring layers: with MNE's max_step = 1 along time this is
    the same 4-neighbour L x T lattice as adjacency=None."""
    from scipy import sparse
    ones = np.ones(n_layers - 1)
    return sparse.diags([ones, ones], [-1, 1], shape=(n_layers, n_layers)).tocoo()


def run_mne(maps, threshold, n_permutations, n_jobs, seed=0, form="lattice"):
    """form "lattice": permutation_cluster_1samp_test(adjacency=None) on (N, L, T);
    form "chain": spatio_temporal_cluster_1samp_test on (N, T, L) with the layer chain as the
    spatial adjacency (MNE's sparse-graph path, the one PRs #13731/#14057 sped up most)."""
    from mne.stats import permutation_cluster_1samp_test, spatio_temporal_cluster_1samp_test
    common = dict(threshold=threshold, n_permutations=n_permutations, tail=0, n_jobs=n_jobs,
                  seed=seed, out_type="indices", verbose=False)
    if form == "lattice":
        X = np.ascontiguousarray(maps)
        t0 = time.perf_counter()
        t_obs, clusters, p, H0 = permutation_cluster_1samp_test(X, adjacency=None, **common)
        seconds = time.perf_counter() - t0
        t_obs = np.asarray(t_obs).reshape(maps.shape[1:])
    else:
        X = np.ascontiguousarray(maps.transpose(0, 2, 1))
        adjacency = layer_chain(maps.shape[1])
        t0 = time.perf_counter()
        t_obs, clusters, p, H0 = spatio_temporal_cluster_1samp_test(
            X, adjacency=adjacency, max_step=1, **common)
        seconds = time.perf_counter() - t0
        t_obs = np.asarray(t_obs).reshape(maps.shape[2], maps.shape[1]).T
        clusters = [(index[1], index[0]) for index in clusters]     # (time, layer) -> (layer, time)
    found = []
    for index, cluster_p in zip(clusters, p):
        cells = frozenset((int(a), int(b)) for a, b in zip(*index))
        found.append((cells, float(cluster_p), float(sum(t_obs[c] for c in cells))))
    return {"seconds": seconds, "t_obs": t_obs, "clusters": found, "H0": np.asarray(H0),
            "k": n_permutations}


def save_result(path, res, extra=None):
    """A baseline's result as .npz: t_obs, a cluster id map (-1: none), p per id, H0."""
    ids = np.full(res["t_obs"].shape, -1, dtype=np.int64)
    for c, (cells, _, _) in enumerate(res["clusters"]):
        for cell in cells:
            ids[cell] = c
    np.savez(path, seconds=res["seconds"], t_obs=res["t_obs"], ids=ids,
             p=np.array([p for _, p, _ in res["clusters"]]), H0=res["H0"], k=res["k"],
             **(extra or {}))


def found_from_ids(t_obs, ids, p):
    """run_mne's cluster list [(cells, p, sum t)] from a cluster id map and p per id."""
    found = []
    for c in range(len(p)):
        cells = frozenset(map(tuple, np.argwhere(ids == c).tolist()))
        found.append((cells, float(p[c]), float(sum(t_obs[x] for x in cells))))
    return found


def load_result(path):
    with np.load(path) as z:
        t_obs = z["t_obs"]
        found = found_from_ids(t_obs, z["ids"], z["p"])
        out = {"seconds": float(z["seconds"]), "t_obs": t_obs, "clusters": found,
               "H0": z["H0"], "k": int(z["k"])}
        for key in ("mne_file", "check_max_diff", "check_flips"):
            if key in z:
                out[key] = z[key][()]
    return out


def mne_worker(argv):
    """`signflip_vs_mne.py --mne-worker MAPS THRESHOLD K JOBS FORM OUT`: runs the MNE that this
    interpreter imports (e.g. MNE main through PYTHONPATH) and saves the result."""
    maps_path, threshold, k, jobs, form, out = argv
    import mne
    res = run_mne(np.load(maps_path), float(threshold), int(k), int(jobs), form=form)
    save_result(out, res, {"mne_file": np.array(mne.__file__)})
    return 0


def run_subprocess_baseline(cmd, env, out):
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"signflip_vs_mne: {' '.join(map(str, cmd))} exited {proc.returncode}\n"
                         f"{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    return load_result(out)


def run_mne_main(tree, maps_path, threshold, k, jobs, form, out):
    """MNE main from a source tree, in its own interpreter (two MNEs cannot share a process)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(tree) + (":" + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    res = run_subprocess_baseline(
        [PY, str(pathlib.Path(__file__).resolve()), "--mne-worker", str(maps_path),
         repr(threshold), str(k), str(jobs), form, str(out)], env, out)
    # PYTHONPATH must have won over Debian's MNE; otherwise this row would time MNE 1.3 again.
    if not str(res.get("mne_file", "")).startswith(str(pathlib.Path(tree).resolve())):
        raise SystemExit(f"signflip_vs_mne: --mne-main {tree}: the worker imported "
                         f"{res.get('mne_file')} instead")
    return res


def numpy_npz_to_result(path):
    """signflip_numpy.py's output in run_mne's format."""
    with np.load(path) as z:
        t_obs = z["t_obs"]
        ids = np.full(t_obs.shape, -1, dtype=np.int64)
        p = []
        for labels_key, p_key in (("labels_pos", "p_pos"), ("labels_neg", "p_neg")):
            labels = z[labels_key]
            for c, pc in enumerate(z[p_key]):
                ids[labels == c + 1] = len(p)
                p.append(float(pc))
        return {"seconds": float(z["seconds"]), "t_obs": t_obs, "H0": z["H0"],
                "k": len(z["H0"]), "clusters": found_from_ids(t_obs, ids, p),
                "check_max_diff": float(z["check_max_diff"]),
                "check_flips": int(z["check_flips"]), "blas": str(z["blas"])}


def run_numpy(maps_path, threshold, k, env, out, batch):
    proc = subprocess.run([PY, str(NUMPY_BASELINE), str(maps_path), repr(threshold), str(k),
                           str(out), "--batch", str(batch)], env=env, capture_output=True,
                          text=True)
    if proc.returncode != 0:
        raise SystemExit(f"signflip_vs_mne: {NUMPY_BASELINE.name} exited {proc.returncode}\n"
                         f"{proc.stderr[-4000:]}")
    return numpy_npz_to_result(out)


# ---------------------------------------------------------------------------------------------
# agreement

def compare(engine, mne_res, k_mne):
    """Matches clusters by their cells; returns rows (size, mass, p engine, p MNE, |diff|, SE)
    sorted by |mass|, largest first, and the cells found on one side only."""
    ids, n_clusters = engine["cluster_id"], len(engine["clusters/p"])
    ours = {frozenset(map(tuple, np.argwhere(ids == c).tolist())): c for c in range(n_clusters)}
    theirs = {cells: (p, mass) for cells, p, mass in mne_res["clusters"]}
    k_engine = engine["permutations"]
    rows = []
    for cells in set(ours) & set(theirs):
        c = ours[cells]
        p_e, (p_m, mass) = float(engine["clusters/p"][c]), theirs[cells]
        pooled = max((p_e * (k_engine + 1) + p_m * k_mne) / (k_engine + 1 + k_mne),
                     1.0 / (k_engine + 1))
        se = np.sqrt(pooled * (1 - pooled) * (1.0 / (k_engine + 1) + 1.0 / k_mne))
        diff = abs(p_e - p_m)
        rows.append(dict(size=len(cells), mass=mass, stat=float(engine["clusters/statistic"][c]),
                         p_engine=p_e, p_mne=p_m, diff=diff,
                         in_se=diff / se if se > 0 else (0.0 if diff == 0 else float("inf"))))
    rows.sort(key=lambda r: -abs(r["mass"]))
    unmatched = (len(set(ours) - set(theirs)), len(set(theirs) - set(ours)))
    return rows, unmatched


# ---------------------------------------------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(description="permrsa sign-flip scheme vs MNE-Python")
    ap.add_argument("--build", default=str(REPO / "build"), help="CMake build folder")
    ap.add_argument("--quick", action="store_true", help="K = 1000")
    ap.add_argument("--permutations", type=int, help="K (overrides the default 10000 / 1000)")
    ap.add_argument("--threads", type=int, default=2, help="permrsa --threads")
    ap.add_argument("--mne-budget", type=float, default=300.0,
                    help="seconds; a longer MNE run uses fewer permutations, scaled linearly")
    ap.add_argument("--rounds", type=int, help="timing rounds (default 2, 1 with --quick)")
    ap.add_argument("--out", help="also write the table (markdown) here")
    ap.add_argument("--workdir", help="keep inputs and outputs here (default: a temporary folder)")
    ap.add_argument("--mne-main", default=os.environ.get("PERMRSA_MNE_MAIN"),
                    help="a folder holding MNE-Python main's `mne` package (a source export); "
                         "timed in its own interpreter. Default: $PERMRSA_MNE_MAIN; none: skipped")
    ap.add_argument("--mne-main-label", default="main", help="how the table names that MNE")
    ap.add_argument("--openblas", help="OpenBLAS folder for the NumPy baseline (as run_benchmarks.py)")
    # 16, 32 and 128 took 0.57 s at K = 10000, 64 and 256 0.62-0.69 s (3 alternating rounds)
    ap.add_argument("--numpy-batch", type=int, default=32,
                    help="sign flips per matrix product in the NumPy baseline")
    args = ap.parse_args(argv)

    permrsa = permrsa_binary(args.build, "signflip_vs_mne")
    try:
        import mne
    except ImportError:
        raise SystemExit("signflip_vs_mne: MNE-Python is not installed (Debian python3-mne)")
    K = args.permutations or (1000 if args.quick else 10000)
    rounds = args.rounds or (1 if args.quick else 2)
    if args.workdir:
        work = pathlib.Path(args.workdir).resolve()
        work.mkdir(parents=True, exist_ok=True)
        cleanup = None
    else:
        cleanup = tempfile.TemporaryDirectory(prefix="permrsa-signflip-")
        work = pathlib.Path(cleanup.name)
    # A private copy of the binary: others may rebuild build/ while this runs.
    built = datetime.datetime.fromtimestamp(permrsa.stat().st_mtime).isoformat(timespec="seconds")
    shutil.copy2(permrsa, work / "permrsa")
    permrsa = work / "permrsa"
    n, n_layers, n_times = SHAPE["subjects"], SHAPE["layers"], SHAPE["times"]
    n_pairs = SHAPE["stimuli"] * (SHAPE["stimuli"] - 1) // 2
    alpha = 0.05
    threshold = float(stats.t.ppf(1 - alpha / 2, n - 1))

    # ---- data and the per-subject maps (NumPy; not timed)
    log(f"[1/5] synthetic data N={n}, P={n_pairs}, L={n_layers}, T={n_times}; per-subject maps")
    models, brain = synthetic()
    config = write_inputs(work, models, brain, K, alpha)
    t0 = time.perf_counter()
    maps = subject_maps(models, brain)                          # (N, L, T)
    maps_seconds = time.perf_counter() - t0
    t_numpy = t_map(maps)
    del brain
    maps_config = write_maps_config(work, maps, config)

    # ---- permrsa, first run; the maps must be the same on both sides
    log(f"[2/5] permrsa run, K = {K}, --threads {args.threads}")
    engine_runs = [run_engine(permrsa, config, work / "results_0.h5", args.threads)]
    log(f"      {engine_runs[-1]:.2f} s")
    engine = read_engine(work / "results_0.h5")
    observed_diff = float(np.max(np.abs(engine["observed"] - t_numpy)))
    maps_agree = engine["observed"].shape == t_numpy.shape and observed_diff <= OBSERVED_TOLERANCE
    log(f"      max |/observed - t(NumPy maps)| = {observed_diff:.3g}")
    if engine["permutations"] != K:
        log(f"      note: the engine ran K = {engine['permutations']}")

    log("      permrsa on the same maps (brain.layout = subjects-layers-time)")
    on_maps_runs = [run_engine(permrsa, maps_config, work / "maps_0.h5", args.threads)]
    log(f"      {on_maps_runs[-1]:.2f} s")
    on_maps = read_engine(work / "maps_0.h5")
    maps_observed_diff = float(np.max(np.abs(on_maps["observed"] - t_numpy)))
    maps_agree &= maps_observed_diff <= OBSERVED_TOLERANCE

    # ---- MNE: pilot (to keep within the budget), then n_jobs = 1 and n_jobs = 2
    k_mne = K
    if K > 2000:
        pilot_k = 500
        pilot = run_mne(maps, threshold, pilot_k, 1)
        predicted = pilot["seconds"] * K / pilot_k
        log(f"[3/5] MNE pilot: {pilot['seconds']:.2f} s at {pilot_k} permutations "
            f"-> {predicted:.0f} s predicted at K = {K}")
        if predicted > args.mne_budget:
            k_mne = max(pilot_k, int(args.mne_budget / pilot["seconds"] * pilot_k))
            log(f"      over the {args.mne_budget:.0f} s budget: MNE runs {k_mne} permutations, "
                f"time scaled by {K / k_mne:.2f}")
    else:
        log("[3/5] MNE pilot: skipped (K <= 2000)")
    # Rounds interleave the sides (permrsa, MNE n_jobs=1, MNE n_jobs=2, permrsa, ...), so that a
    # noisy neighbour hits all of them; each side's time is its best over the rounds.
    mne_runs = {1: [], 2: []}
    fixed_runs, maps_fixed_runs = [], []
    # The other baselines (issue 20): MNE main in its own interpreter, in both of its forms for
    # this lattice (MNE main's lattice path costs what MNE 1.3's does, so it gets MNE 1.3's
    # permutation budget), and MNE main's algorithm in NumPy on OpenBLAS, 1 and 2 BLAS threads.
    maps_path = work / "maps.npy"
    openblas = find_openblas(args.openblas)
    extra = {}                                   # name -> {jobs: [results]}
    if args.mne_main:
        extra["main-lattice"] = {1: [], 2: []}
        extra["main-chain"] = {1: [], 2: []}
    extra["numpy"] = {1: [], 2: []}
    extra_k = {"main-lattice": k_mne, "main-chain": K, "numpy": K}
    # NumPy runs on OpenBLAS's fastest core at each thread count, as in run_benchmarks.py: an
    # OpenBLAS older than the CPU falls back to a generic core (Prescott on Sapphire Rapids).
    numpy_env = {}
    for jobs in (1, 2):
        if openblas:
            choice = BlasChoice(dict(os.environ), openblas, jobs, 1408, 1176, 218, 0.3)
            numpy_env[jobs] = choice.best_env
            log(f"      NumPy baseline, {jobs} BLAS thread(s): {choice.label}")
        else:
            numpy_env[jobs] = blas_env(os.environ, None, jobs)

    def run_extra(name, jobs, i):
        out = work / f"{name}_{jobs}_{i}.npz"
        if name == "numpy":
            return run_numpy(maps_path, threshold, K, numpy_env[jobs], out,
                             args.numpy_batch)
        return run_mne_main(args.mne_main, maps_path, threshold, extra_k[name], jobs,
                            name.split("-")[1], out)

    for i in range(rounds):
        for jobs in (1, 2):
            log(f"[4/5] round {i + 1}/{rounds}: MNE permutation_cluster_1samp_test, "
                f"n_jobs={jobs}, n_permutations={k_mne}")
            mne_runs[jobs].append(run_mne(maps, threshold, k_mne, jobs))
            log(f"      {mne_runs[jobs][-1]['seconds']:.2f} s")
        for name, runs in extra.items():
            for jobs in (1, 2):
                runs[jobs].append(run_extra(name, jobs, i))
                log(f"      {name}, {'BLAS threads' if name == 'numpy' else 'n_jobs'}={jobs}, "
                    f"K={extra_k[name]}: {runs[jobs][-1]['seconds']:.2f} s")
        log(f"[5/5] round {i + 1}/{rounds}: permrsa run on the maps, then on the RDMs")
        on_maps_runs.append(run_engine(permrsa, maps_config, work / f"maps_{i + 1}.h5", args.threads))
        log(f"      on the maps: {on_maps_runs[-1]:.2f} s")
        engine_runs.append(run_engine(permrsa, config, work / f"results_{i + 1}.h5", args.threads))
        log(f"      {engine_runs[-1]:.2f} s")
        # The engine's fixed part: the same run with one sign flip (reading, maps, clusters,
        # write), in the same round.
        fixed_runs.append(run_engine(permrsa, config, work / "results_k1.h5", args.threads,
                                     ["--set", "analysis.permutations=1"]))
        log(f"      permrsa with K = 1: {fixed_runs[-1]:.2f} s")
        maps_fixed_runs.append(run_engine(permrsa, maps_config, work / "maps_k1.h5", args.threads,
                                          ["--set", "analysis.permutations=1"]))
        log(f"      permrsa on the maps with K = 1: {maps_fixed_runs[-1]:.3f} s")
    fixed_s = min(fixed_runs)
    repeatable = True
    with h5py.File(work / "results_0.h5", "r") as a:
        for i in range(rounds):
            with h5py.File(work / f"results_{i + 1}.h5", "r") as b:
                repeatable &= all(np.array_equal(a[x][()], b[x][()])
                                  for x in ("observed", "p_cluster", "null/max_cluster"))
    with h5py.File(work / "results_k1.h5", "r") as f:
        noise_ceiling = "noise_ceiling" in f
    mne_seconds = {j: [r["seconds"] for r in runs] for j, runs in mne_runs.items()}
    mne_runs = {j: runs[0] for j, runs in mne_runs.items()}     # MNE's output, same every round

    # ---- agreement
    mne_t_diff = max(float(np.max(np.abs(r["t_obs"] - t_numpy))) for r in mne_runs.values())
    maps_agree &= mne_t_diff <= OBSERVED_TOLERANCE
    same_mne = (np.array_equal(mne_runs[1]["H0"], mne_runs[2]["H0"])
                and [p for _, p, _ in mne_runs[1]["clusters"]]
                == [p for _, p, _ in mne_runs[2]["clusters"]])
    rows, unmatched = compare(engine, mne_runs[1], k_mne)
    maps_rows, maps_unmatched = compare(on_maps, mne_runs[1], k_mne)
    same_as_rdm_run = (maps_unmatched == unmatched and len(maps_rows) == len(rows) and all(
        a["size"] == b["size"] and a["p_engine"] == b["p_engine"] for a, b in zip(rows, maps_rows)))

    # ---- table
    permrsa_s = min(engine_runs)
    on_maps_s = min(on_maps_runs)
    scale = K / k_mne
    mne_s = {j: min(secs) * scale for j, secs in mne_seconds.items()}
    fastest = min(mne_s, key=mne_s.get)
    ratio = mne_s[fastest] / on_maps_s
    pipeline_ratio = (mne_s[fastest] + maps_seconds) / permrsa_s
    flips_s = permrsa_s - fixed_s
    scaled_note = f" (measured at {k_mne}, x{scale:.2f})" if k_mne != K else ""
    head = ["workload", "permrsa time", "MNE n_jobs=1", "MNE n_jobs=2",
            "ratio vs MNE's faster", "target", "met?"]
    result_rows = [[
        f"the same (N, L, T) maps: sign-flip t, two-sided, layer-time cluster mass, K={K}",
        f"{fmt_time(on_maps_s)} (--threads {args.threads})",
        fmt_time(mne_s[1]) + scaled_note, fmt_time(mne_s[2]) + scaled_note,
        f"{fmt_ratio(ratio)} (vs n_jobs={fastest})", f">= {TARGET:.0f}x",
        "yes" if ratio >= TARGET else "NO"], [
        f"from the N x P x T RDMs: spearman maps + the same test (MNE side: NumPy maps "
        f"{fmt_time(maps_seconds)} + the call)",
        f"{fmt_time(permrsa_s)} (--threads {args.threads})",
        fmt_time(mne_s[1] + maps_seconds) + scaled_note,
        fmt_time(mne_s[2] + maps_seconds) + scaled_note,
        f"{fmt_ratio(pipeline_ratio)} (vs n_jobs={fastest})", "-", "-"]]
    text, md = table(head, result_rows)

    # ---- every baseline of row 1 side by side, and permrsa against the fastest (issue 20)
    names = {"mne13": f"MNE {mne.__version__} permutation_cluster_1samp_test, adjacency=None",
             "main-lattice": f"MNE {args.mne_main_label} permutation_cluster_1samp_test, "
                             f"adjacency=None",
             "main-chain": f"MNE {args.mne_main_label} spatio_temporal_cluster_1samp_test, "
                           f"layer-chain adjacency, max_step=1 (the same lattice)",
             "numpy": f"MNE main's algorithm in NumPy (signflip_numpy.py, batches of "
                      f"{args.numpy_batch}, OpenBLAS from {openblas or 'NumPy default BLAS'})"}
    baselines = {"mne13": ({j: min(secs) * scale for j, secs in mne_seconds.items()}, k_mne,
                           mne_runs)}
    for name, runs in extra.items():
        k_b = extra_k[name]
        baselines[name] = ({j: min(r["seconds"] for r in rs) * K / k_b for j, rs in runs.items()},
                           k_b, {j: rs[0] for j, rs in runs.items()})
    base_head = ["baseline (same maps, K=%d)" % K, "1 job or BLAS thread", "2",
                 "permrsa on the maps", "ratio vs its faster", "same clusters", "p: max SE",
                 "t_obs max diff"]
    base_rows, fastest_base = [], None
    baseline_agree = {}
    for name, (secs, k_b, res) in baselines.items():
        t_diff = max(float(np.max(np.abs(r["t_obs"] - t_numpy))) for r in res.values())
        b_rows, b_unmatched = compare(on_maps, res[1], k_b)
        # 1 and 2 jobs/threads draw the same flips; their null maxima may differ in the last
        # bits (another BLAS blocking, another summation order), not more.
        h0_diff = float(np.max(np.abs(np.abs(res[1]["H0"]) - np.abs(res[2]["H0"]))))
        same_jobs = (h0_diff <= 1e-9 * max(1.0, float(np.max(np.abs(res[1]["H0"]))))
                     and [p for _, p, _ in res[1]["clusters"]]
                     == [p for _, p, _ in res[2]["clusters"]])
        ok = t_diff <= OBSERVED_TOLERANCE and b_unmatched == (0, 0)
        baseline_agree[name] = dict(t_diff=t_diff, unmatched=b_unmatched, same_jobs=same_jobs,
                                    h0_diff=h0_diff,
                                    blas="; ".join(dict.fromkeys(
                                        r["blas"] for r in res.values() if r.get("blas"))),
                                    n=len(b_rows), rows=b_rows, ok=ok,
                                    max_se=max((r["in_se"] for r in b_rows), default=float("nan")),
                                    check=res[1].get("check_max_diff"),
                                    check_flips=res[1].get("check_flips"))
        maps_agree &= t_diff <= OBSERVED_TOLERANCE
        best_jobs = min(secs, key=secs.get)
        note = f" (at {k_b}, x{K / k_b:.2f})" if k_b != K else ""
        base_rows.append([names[name], fmt_time(secs[1]) + note, fmt_time(secs[2]) + note,
                          fmt_time(on_maps_s), f"{fmt_ratio(secs[best_jobs] / on_maps_s)} "
                          f"(vs {best_jobs})",
                          f"{'yes' if b_unmatched == (0, 0) else 'NO'} ({len(b_rows)})",
                          f"{baseline_agree[name]['max_se']:.2f}", f"{t_diff:.1g}"])
        if fastest_base is None or secs[best_jobs] < fastest_base[1]:
            fastest_base = (name, secs[best_jobs], best_jobs)
    fastest_ratio = fastest_base[1] / on_maps_s
    base_rows.append([f"**permrsa vs the fastest: {names[fastest_base[0]]}, "
                      f"{fastest_base[2]}**", "", "", fmt_time(on_maps_s),
                      f"**{fmt_ratio(fastest_ratio)}**",
                      f"target >= {FASTEST_TARGET:.0f}x: "
                      f"{'met' if fastest_ratio >= FASTEST_TARGET else 'NOT met'}", "", ""])
    base_text, base_md = table(base_head, base_rows)
    maps_fixed_s = min(maps_fixed_runs)

    # (no "|" in the headers: they are markdown table cells too)
    agree_head = ["cluster, largest sum t first", "cells", "sum t", "p permrsa", "p MNE",
                  "abs. diff", "abs. diff / MC SE"]
    agree_rows = [[str(i + 1), str(r["size"]), f"{r['mass']:+.1f}", f"{r['p_engine']:.5f}",
                   f"{r['p_mne']:.5f}", f"{r['diff']:.5f}", f"{r['in_se']:.2f}"]
                  for i, r in enumerate(rows[:8])]
    agree_text, agree_md = table(agree_head, agree_rows)
    largest = rows[0] if rows else None
    max_diff = max((r["diff"] for r in rows), default=float("nan"))
    max_se = max((r["in_se"] for r in rows), default=float("nan"))

    header = [
        f"permrsa sign-flip vs MNE-Python, {datetime.datetime.now().isoformat(timespec='seconds')}, "
        f"{platform.node()}: {cpu_name()}, {os.cpu_count()} cores",
        f"data: synthetic with planted effects, N={n} subjects, S={SHAPE['stimuli']} (P={n_pairs}), "
        f"L={n_layers}, T={n_times}; K={K}; MNE {mne.__version__}, NumPy {np.__version__}",
        f"maps agree: {'yes' if maps_agree else 'NO'} (max |permrsa /observed - t of the NumPy "
        f"maps| = {observed_diff:.2g}, MNE t_obs: {mne_t_diff:.2g}; tolerance {OBSERVED_TOLERANCE:g})",
    ]
    notes = [
        f"Row 1 (the issue's benchmark: MNE's test on the same maps): wall clock of the whole "
        f"`permrsa run` process on maps.npy, the NumPy (N, L, T) maps that MNE gets "
        f"(brain.layout = \"subjects-layers-time\": start, reading, {K} sign flips with clusters, "
        f"the HDF5 write), float64; best of {len(on_maps_runs)} runs "
        f"({', '.join(f'{s:.2f} s' for s in on_maps_runs)}); max |/observed - t of the NumPy "
        f"maps| = {maps_observed_diff:.2g}; its clusters and p-values are "
        f"{'the same as' if same_as_rdm_run else 'NOT the same as'} the RDM run's (same seed).",
        "Row 2, permrsa: wall clock of the whole `permrsa run` process (start, reading the N x P x T "
        "per-subject RDMs, the per-subject spearman maps, "
        + ("the noise ceiling, " if noise_ceiling else "")
        + f"{K} sign flips with clusters, the HDF5 write), float64; best of {len(engine_runs)} runs "
        f"({', '.join(f'{s:.2f} s' for s in engine_runs)}), the first before MNE's and one "
        f"after each round of MNE runs; the outputs are "
        f"{'identical' if repeatable else 'DIFFERENT'}. Binary built {built}.",
        "The same permrsa run with K = 1 (the fixed part: reading, per-subject maps"
        + (", the noise ceiling (/noise_ceiling, always computed with per-subject data; MNE "
           "computes nothing like it)" if noise_ceiling else "")
        + f", clusters, HDF5 write) takes {fixed_s:.2f} s (best of {len(fixed_runs)}: "
        f"{', '.join(f'{s:.2f} s' for s in fixed_runs)}), so the {K} sign flips "
        f"cost about {flips_s:.2f} s: MNE's faster call over that is "
        + (f"{fmt_ratio(mne_s[fastest] / flips_s)}" if flips_s > 0 else "-")
        + " (an estimate from differences of noisy times, not a measurement).",
        f"MNE: the time of the `permutation_cluster_1samp_test` call only (threshold "
        f"t.ppf(0.975, {n - 1}) = {threshold:.4f}, tail=0, adjacency=None, "
        f"n_permutations={k_mne}, seed 0, default buffer_size), on (N, L, T) maps precomputed in "
        f"NumPy ({maps_seconds:.2f} s, not counted); best of {rounds} round(s) (n_jobs=1: "
        f"{', '.join(f'{s:.2f} s' for s in mne_seconds[1])}; n_jobs=2: "
        f"{', '.join(f'{s:.2f} s' for s in mne_seconds[2])}). n_jobs=2 runs in joblib worker "
        f"processes (their start-up is part of the call).",
    ]
    if k_mne != K:
        notes.append(f"MNE at K={K} was predicted to exceed the {args.mne_budget:.0f} s budget: "
                     f"it ran {k_mne} permutations and its times are scaled linearly by "
                     f"{scale:.2f} (the constant part is scaled too).")
    notes.append(
        f"Cluster p-values (both random mode: permrsa's Philox flips, K={engine['permutations']}; "
        f"MNE's RandomState, seed 0, {k_mne} permutations): {len(rows)} clusters with the same "
        f"cells on both sides (unmatched: {unmatched[0]} permrsa only, {unmatched[1]} MNE only); "
        + (f"largest cluster ({largest['size']} cells, sum t {largest['mass']:+.1f}): p "
           f"{largest['p_engine']:.5f} (permrsa) vs {largest['p_mne']:.5f} (MNE), |diff| "
           f"{largest['diff']:.5f}; " if largest else "")
        + f"max |diff| over all clusters {max_diff:.5f}; the largest in combined Monte-Carlo "
        f"standard errors is {max_se:.2f} SE. "
        f"MNE n_jobs=1 and n_jobs=2 give {'the same' if same_mne else 'DIFFERENT'} H0 and p.")
    notes.append(
        f"Baselines table: every baseline's time is its call alone (MNE's function call; "
        f"signflip_numpy.py's test, after loading maps.npy, in its own process); permrsa's is the "
        f"whole process on maps.npy as in row 1. permrsa on the maps with K = 1 (start, reading, "
        f"observed clusters, HDF5 write) takes {fmt_time(maps_fixed_s)} (best of "
        f"{len(maps_fixed_runs)}), so its {K} flips cost about {fmt_time(on_maps_s - maps_fixed_s)}"
        f"; the fastest baseline over that is "
        + (f"{fmt_ratio(fastest_base[1] / (on_maps_s - maps_fixed_s))}"
           if on_maps_s > maps_fixed_s else "-")
        + " (a difference of noisy times, not a measurement).")
    for name, a in baseline_agree.items():
        if name == "mne13":
            continue
        notes.append(
            f"{names[name]}: t_obs within {a['t_diff']:.1g} of the NumPy t map; "
            f"{a['n']} clusters with the same cells as permrsa's (unmatched: {a['unmatched'][0]} "
            f"permrsa only, {a['unmatched'][1]} baseline only); cluster p-values within "
            f"{a['max_se']:.2f} combined Monte-Carlo SE of permrsa's (random flips on both sides); "
            f"its 1 and 2 jobs/threads runs give {'the same' if a['same_jobs'] else 'DIFFERENT'} "
            f"p and |H0| (max |diff| {a['h0_diff']:.1g})"
            + (f"; BLAS: {a['blas']}" if a["blas"] else "")
            + (f"; its batched null maxima equal a plain per-map computation on the first "
               f"{a['check_flips']} flips within {a['check']:.1g}" if a["check"] is not None
               else "") + ".")
    out_text = ("\n".join(header) + "\n\n" + text + "\n\n" + base_text + "\n\n"
                + agree_text + "\n\n" + "\n".join("- " + x for x in notes))
    print("\n" + out_text, flush=True)
    if args.out:
        pathlib.Path(args.out).write_text(
            "# permrsa sign-flip vs MNE-Python\n\n" + "\n\n".join(header) + "\n\n" + md + "\n\n"
            + base_md + "\n\n" + agree_md + "\n\n" + "\n".join("- " + x for x in notes) + "\n")
    if cleanup:
        cleanup.cleanup()
    same_clusters = all(a["ok"] for name, a in baseline_agree.items() if name != "mne13")
    return 0 if maps_agree and same_as_rdm_run and same_clusters else 1


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--mne-worker":
        sys.exit(mne_worker(sys.argv[2:]))
    sys.exit(main())
