#!/usr/bin/python3
"""The two-group scheme (issue 19) against MNE-Python's permutation_cluster_test, side by side.

  /usr/bin/python3 bench/two_group_vs_mne.py [--build build] [--permutations 10000]
                                             [--threads 2] [--mne-budget 300] [--out table.md]

Workload: per-subject model-brain maps of two groups, 12 + 12 subjects, L = 22 layers, T = 218
time points (the seed study's grid), group a with a planted difference in three layers; the
one-way F of the two groups (MNE's default statistic), tail greater, cluster mass with MNE's
default threshold F.ppf(0.95, 1, N - 2), layer-time connectivity (MNE: adjacency = None, the
regular L x T lattice), K = 10000 random relabellings on both sides.

  - permrsa: `permrsa run` on the N x L x T maps .npy (brain.layout = "subjects-layers-time",
    brain.groups), timed as the whole process (start, read, relabellings, clusters, HDF5 write).
  - MNE: mne.stats.permutation_cluster_test([X_a, X_b], threshold, n_permutations = K, tail = 1,
    n_jobs = 1 and n_jobs = --threads), timed as the call. If a pilot run predicts more than --mne-budget seconds, MNE
    runs fewer relabellings and its time is scaled linearly to K (the table says so).

Before the times are compared the observed F maps must agree within 1e-10; the cluster p-values
of both sides are printed (they agree up to Monte-Carlo error, both being random)."""
import argparse
import pathlib
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np
from scipy import stats

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from bench_table import cpu_name, fmt_time, permrsa_binary, table  # noqa: E402

N_A, N_B, L, T = 12, 12, 22, 218


def maps(seed=19):
    rng = np.random.Generator(np.random.Philox(seed))
    x = rng.normal(0.05, 0.08, (N_A + N_B, L, T))
    x[:N_A, 14:17, 80:140] += 0.08
    return x


def run_mne(x, threshold, k, n_jobs=1):
    import mne
    t0 = time.perf_counter()
    f_obs, clusters, p, _ = mne.stats.permutation_cluster_test(
        [x[:N_A], x[N_A:]], threshold=threshold, n_permutations=k, tail=1, adjacency=None,
        n_jobs=n_jobs, seed=0, out_type="mask", verbose=False)
    return time.perf_counter() - t0, np.asarray(f_obs).reshape(L, T), clusters, p


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--permutations", type=int, default=10000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--mne-budget", type=float, default=300.0)
    ap.add_argument("--out")
    a = ap.parse_args(argv)
    binary = permrsa_binary(a.build, "two_group_vs_mne")
    x = maps()
    threshold = stats.f.ppf(0.95, 1, N_A + N_B - 2)
    with tempfile.TemporaryDirectory() as work:
        work = pathlib.Path(work)
        np.save(work / "maps.npy", x)
        groups = ", ".join(["0"] * N_A + ["1"] * N_B)
        (work / "c.toml").write_text(
            f'[brain]\nfile = "maps.npy"\nlayout = "subjects-layers-time"\ngroups = [{groups}]\n'
            f'time_start = -0.1\ntime_step = 0.005\n'
            f'[analysis]\nscheme = "two-group"\ngroup_statistic = "f"\n'
            f'permutations = {a.permutations}\n'
            f'[correction]\ncluster_threshold = "t-default"\nconnectivity = "layer-time"\n'
            f'[output]\nfile = "{work / "out.h5"}"\n')
        t0 = time.perf_counter()
        subprocess.run([str(binary), "run", str(work / "c.toml"), "--threads", str(a.threads),
                        "-q"], check=True)
        engine_seconds = time.perf_counter() - t0
        with h5py.File(work / "out.h5", "r") as f:
            observed, engine_p = f["observed"][()], f["clusters/p"][()]
    pilot_k = 200
    pilot, f_obs, _, _ = run_mne(x, threshold, pilot_k)
    np.testing.assert_allclose(observed, f_obs, rtol=0, atol=1e-10)
    k_mne = a.permutations
    if pilot / pilot_k * a.permutations > a.mne_budget:
        k_mne = max(pilot_k, int(a.mne_budget / (pilot / pilot_k)))
    mne_seconds, _, _, mne_p = run_mne(x, threshold, k_mne)
    mne_scaled = mne_seconds * a.permutations / k_mne
    jobs_seconds, _, _, _ = run_mne(x, threshold, k_mne, n_jobs=a.threads)
    jobs_scaled = jobs_seconds * a.permutations / k_mne
    K = a.permutations
    head = ["workload", "time", "relabellings/s", "ratio vs MNE"]
    rows = [[f"permrsa two-group F, {N_A}+{N_B} x {L} x {T}, K = {K}, {a.threads} threads",
             fmt_time(engine_seconds), f"{K / engine_seconds:,.0f}",
             f"{mne_scaled / engine_seconds:.1f}x faster"],
            [f"MNE permutation_cluster_test, n_jobs = 1, K = {k_mne}"
             + ("" if k_mne == K else f" (time scaled to {K})"),
             fmt_time(mne_scaled), f"{K / mne_scaled:,.0f}", "1.0x"],
            [f"MNE permutation_cluster_test, n_jobs = {a.threads}, K = {k_mne}"
             + ("" if k_mne == K else f" (time scaled to {K})"),
             fmt_time(jobs_scaled), f"{K / jobs_scaled:,.0f}",
             f"{mne_scaled / jobs_scaled:.2f}x (permrsa {jobs_scaled / engine_seconds:.1f}x faster)"]]
    text, md = table(head, rows)
    print(f"# two groups vs MNE on {cpu_name()}")
    print(text)
    print(f"cluster p (permrsa): {np.round(np.sort(engine_p)[:5], 4).tolist()}; "
          f"(MNE): {np.round(np.sort(np.asarray(mne_p))[:5], 4).tolist()}")
    if a.out:
        pathlib.Path(a.out).write_text(md + "\n")


if __name__ == "__main__":
    main()
