"""Calibration: under the null, both corrections hold the family-wise error rate at alpha = 0.05.

Expected values: theory. The stimulus labels are exchangeable under the null, so with K = 199
permutations P(min p_maxstat <= 0.05) = 10/200 = 0.05 exactly, and P(some cluster p <= 0.05) is
0.05 minus the (tiny) chance that the observed map has no cluster. Over N = 1000 independent
data sets the measured rate has a standard error of 0.0069, so [0.03, 0.07] is +-2.9 SE.

Data: rsa_reference.synthetic_data without planted effects - model RDMs (S = 10, L = 3) from
random stimulus features, brain RDMs (T = 30) from other random features that drift smoothly in
time (so clusters span several time points). Each data set is run through `permrsa run` with its
own seed (Philox permutations), default float32 precision, tail greater, permutation-p cluster
threshold at 0.05, cluster mass, time connectivity. Two runs at a time.
"""
import concurrent.futures
import os

import h5py
import numpy as np

import rsa_reference as ref
from permrsa_testing import run, write_config

N_DATASETS = int(os.environ.get("PERMRSA_CALIBRATION_DATASETS", "1000"))
N_STIMULI, N_LAYERS, N_TIMES, N_PERMS = 10, 3, 30, 199
ALPHA = 0.05


def one_null_data_set(folder, index):
    """Runs one null data set; returns (maxstat rejects, cluster rejects, observed clusters)."""
    folder.mkdir()
    brain, models = ref.synthetic_data(500000 + index, N_STIMULI, N_LAYERS, N_TIMES)
    np.save(folder / "brain.npy", brain)
    np.save(folder / "models.npy", models)
    config = write_config(folder / "config.toml", {
        "brain": {"file": "brain.npy", "time_start": 0.0, "time_step": 0.004},
        "models": {"file": "models.npy"},
        "analysis": {"metric": "spearman", "permutations": N_PERMS, "seed": 1 + index,
                     "tail": "greater"},
        "correction": {"cluster_threshold": "permutation-p", "cluster_alpha": ALPHA,
                       "cluster_statistic": "mass", "connectivity": "time"},
        "output": {"file": str(folder / "results.h5")},
    })
    run(["run", config, "--quiet", "--threads", 1])
    with h5py.File(folder / "results.h5", "r") as f:
        p_maxstat = f["p_maxstat"][()]
        cluster_p = f["clusters/p"][()]
        permutations = f.attrs["permutations"]
    assert permutations == N_PERMS and p_maxstat.shape == (N_LAYERS, N_TIMES)
    for name in (folder / "results.h5", folder / "brain.npy"):
        name.unlink()
    return (bool(np.any(p_maxstat <= ALPHA)), bool(np.any(cluster_p <= ALPHA)),
            len(cluster_p))


def test_calibration_family_wise_error_rate_of_both_corrections(tmp_path, capsys):
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(lambda i: one_null_data_set(tmp_path / f"set{i:04d}", i),
                                 range(N_DATASETS)))
    maxstat_rate = np.mean([o[0] for o in outcomes])
    cluster_rate = np.mean([o[1] for o in outcomes])
    no_cluster = np.mean([o[2] == 0 for o in outcomes])
    with capsys.disabled():  # shown in the ctest log even when the test passes
        print(f"\ncalibration over {N_DATASETS} null data sets (K = {N_PERMS}, alpha = {ALPHA}): "
              f"FWER max-statistic = {maxstat_rate:.4f}, FWER cluster = {cluster_rate:.4f} "
              f"(observed maps without any cluster: {no_cluster:.4f})")
    assert 0.03 <= maxstat_rate <= 0.07, f"max-statistic FWER {maxstat_rate}"
    assert 0.03 <= cluster_rate <= 0.07, f"cluster FWER {cluster_rate}"
