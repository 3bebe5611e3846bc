"""Cluster onsets (issue 18, item 3): /onset/cluster_time and the bootstrap's cluster onset CI.

Where the expected values come from:
- /onset/cluster_time: its definition applied with NumPy to the file's own /p_cluster (the
  first time of each layer whose cell lies in a cluster with p <= alpha); the cluster p-values
  themselves are cross-checked against MNE in test_signflip_mne.py;
- the coverage: simulated subjects with a planted step onset at a known time; the 95% bootstrap
  interval must cover it in at least 90 of 100 simulations (the issue's criterion);
- robustness: a single pre-stimulus cell above threshold in every subject moves the threshold
  onset (the old definition) to that cell, but not the cluster onset.
"""
import h5py
import numpy as np
import pytest

from permrsa_testing import run, write_config

N, L, T = 20, 2, 40
TIMES = (np.arange(T) - 10) / 100.0  # -0.10 .. 0.29 s
ONSET = 18                            # planted onset: 0.08 s


def write_study(folder, seed, spike=False):
    rng = np.random.Generator(np.random.Philox(seed))
    maps = rng.standard_normal((N, L, T)) * 0.05
    maps[:, :, ONSET:] += 0.05  # a step: t about 4.5 with N = 20
    if spike:
        maps[:, 0, 3] += 0.08   # one pre-stimulus cell, far above threshold in everyone
    np.save(folder / "maps.npy", maps)
    np.save(folder / "times.npy", TIMES)
    return write_config(folder / "c.toml", {
        "brain": {"file": str(folder / "maps.npy"), "layout": "subjects-layers-time",
                  "times": str(folder / "times.npy")},
        "analysis": {"scheme": "sign-flip", "permutations": 200, "seed": seed},
        "correction": {"cluster_threshold": "t-default", "alpha": 0.05},
        "bootstrap": {"samples": 200},
        "output": {"file": str(folder / "results.h5")}})


def read(folder):
    with h5py.File(folder / "results.h5", "r") as f:
        return {k: f[k][()] for k in ("p_cluster", "onset/cluster_time",
                                      "bootstrap/cluster_onset_time", "bootstrap/cluster_onset_ci",
                                      "bootstrap/onset_missing", "bootstrap/threshold_onset_time")}


def test_cluster_time_is_the_first_time_of_a_significant_cluster(tmp_path):
    run(["run", write_study(tmp_path, 1), "-q"])
    r = read(tmp_path)
    for layer in range(L):
        significant = np.flatnonzero(r["p_cluster"][layer] <= 0.05)
        expected = TIMES[significant[0]] if len(significant) else np.nan
        np.testing.assert_equal(r["onset/cluster_time"][layer], expected)
    # With every subject, the bootstrap's estimate is the observed analysis' onset.
    np.testing.assert_array_equal(r["bootstrap/cluster_onset_time"], r["onset/cluster_time"])


def test_a_single_pre_stimulus_cell_moves_the_threshold_onset_but_not_the_cluster_onset(tmp_path):
    run(["run", write_study(tmp_path, 2, spike=True), "-q"])
    r = read(tmp_path)
    assert r["bootstrap/threshold_onset_time"][0] == TIMES[3]
    assert TIMES[ONSET - 2] <= r["onset/cluster_time"][0] <= TIMES[ONSET]


def test_the_cluster_onset_ci_covers_the_planted_onset_in_90_of_100_simulations(tmp_path):
    covered = 0
    for seed in range(100):
        folder = tmp_path / f"sim{seed}"
        folder.mkdir()
        run(["run", write_study(folder, 100 + seed), "-q", "--threads", "2"])
        ci = read(folder)["bootstrap/cluster_onset_ci"][0]
        covered += bool(ci[0] <= TIMES[ONSET] <= ci[1])
    print(f"cluster onset CI covers the planted onset in {covered} of 100 simulations")
    assert covered >= 90, covered
