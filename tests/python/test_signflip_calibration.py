"""Calibration of the sign-flip scheme (issue 4 acceptance "Calibration"): under the null, the
max-statistic, cluster and TFCE corrections hold the family-wise error rate at alpha = 0.05.

Expected values: theory. Each subject's brain RDM entries are independent Gaussians around a
common mean (temporally smoothed, independent across pairs and subjects) and have nothing to do
with the model RDMs. Reflecting a subject's brain RDMs about that mean leaves their distribution
unchanged and negates every Pearson and Spearman correlation of that subject, so each subject's
correlation map is symmetric about 0 and the sign flips are exchangeable under the null. For the
maximum over the map of any statistic computed from the flipped data (|t|, the largest cluster
mass, the largest TFCE value), the observed value then ranks uniformly among the K + 1 = 200 maps,
so P(min p <= 0.05) = 10/200 = 0.05, a little less because the Philox patterns are drawn with
replacement from the 2^12 = 4096 patterns (a draw of the identity or of its complement, which
gives the same |t| map, ties with the observed value and counts against it), and for the cluster
correction also minus the chance that the observed map has no cluster. Over N_DATASETS = 1000
independent data sets a rate of 0.05 has a standard error of 0.0069, so [0.03, 0.07] is +-2.9 SE.

Data: N = 12 subjects, S = 10 stimuli (P = 45 pairs), L = 3 model RDMs (uniform random entries),
T = 30 time points; brain[n, p, :] = 1 + 0.3 * (white noise smoothed by a Gaussian of sd 2 time
points, rescaled to unit sd), written as one N x P x T .npy (brain.layout = "subjects-pairs-time").
Each data set is run through `permrsa run` with its own seed: sign-flip, spearman, group statistic
t, two-sided, K = 199 (< 2^12 - 1, so random Philox patterns, not the exhaustive enumeration),
default float32 precision, cluster threshold t-default (|t| > t.ppf(0.975, 11) = 2.201), cluster
mass, layer-time connectivity, TFCE with dh = 0.2. Two runs at a time, one thread each.
Family-wise rejections: any cell with p_maxstat <= 0.05; any cluster with p <= 0.05; any cell with
p_tfce <= 0.05.
"""
import concurrent.futures
import os

import h5py
import numpy as np
from scipy import stats
from scipy.ndimage import gaussian_filter1d

from permrsa_testing import run, write_config

N_DATASETS = int(os.environ.get("PERMRSA_SIGNFLIP_CALIBRATION_DATASETS", "1000"))
N_SUBJECTS, N_STIMULI, N_LAYERS, N_TIMES, N_PERMS = 12, 10, 3, 30, 199
N_PAIRS = N_STIMULI * (N_STIMULI - 1) // 2
ALPHA = 0.05
SMOOTHING = 2.0     # sd of the temporal Gaussian kernel, in time points
TFCE_STEP = 0.2     # dh, in units of t


def null_data_set(index):
    """(models (L, P), brain (N, P, T)) with no relation between the brain and the models."""
    rng = np.random.default_rng(770000 + index)
    models = rng.uniform(0.2, 1.8, size=(N_LAYERS, N_PAIRS))
    noise = gaussian_filter1d(rng.standard_normal((N_SUBJECTS, N_PAIRS, N_TIMES)), SMOOTHING,
                              axis=2, mode="nearest")
    brain = 1.0 + 0.3 * noise / noise.std()
    return models, brain


def one_null_data_set(folder, index):
    """Runs one null data set; returns (maxstat, cluster, tfce rejections, observed clusters)."""
    folder.mkdir()
    models, brain = null_data_set(index)
    np.save(folder / "brain.npy", brain)
    np.save(folder / "models.npy", models)
    config = write_config(folder / "config.toml", {
        "brain": {"file": "brain.npy", "layout": "subjects-pairs-time", "time_start": 0.0,
                  "time_step": 0.01},
        "models": {"file": "models.npy"},
        "analysis": {"scheme": "sign-flip", "metric": "spearman", "group_statistic": "t",
                     "permutations": N_PERMS, "seed": 1 + index, "tail": "two-sided"},
        "correction": {"cluster_threshold": "t-default", "cluster_statistic": "mass",
                       "connectivity": "layer-time", "tfce": True, "tfce_step": TFCE_STEP},
        "output": {"file": str(folder / "results.h5")},
    })
    run(["run", config, "--quiet", "--threads", 1])
    with h5py.File(folder / "results.h5", "r") as f:
        observed = f["observed"][()]
        p_maxstat = f["p_maxstat"][()]
        p_tfce = f["p_tfce"][()]
        cluster_p = f["clusters/p"][()]
        cluster_id = f["cluster_id"][()]
        attrs = dict(f.attrs)
    assert attrs["permutations"] == N_PERMS and attrs["subjects"] == N_SUBJECTS
    assert p_maxstat.shape == p_tfce.shape == (N_LAYERS, N_TIMES)
    # The observed clusters are the cells beyond the t-default threshold (a coarse check that
    # the analysis is the intended one; float32 t values may sit within 1e-4 of it).
    threshold = stats.t.ppf(1 - ALPHA / 2, N_SUBJECTS - 1)
    clear = np.abs(np.abs(observed) - threshold) > 1e-4
    assert np.array_equal((cluster_id >= 0)[clear], (np.abs(observed) > threshold)[clear])
    for name in (folder / "results.h5", folder / "brain.npy"):
        name.unlink()
    return (bool(np.any(p_maxstat <= ALPHA)), bool(np.any(cluster_p <= ALPHA)),
            bool(np.any(p_tfce <= ALPHA)), len(cluster_p))


def test_signflip_family_wise_error_rate_of_all_three_corrections(tmp_path, capsys):
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(lambda i: one_null_data_set(tmp_path / f"set{i:04d}", i),
                                 range(N_DATASETS)))
    maxstat_rate = np.mean([o[0] for o in outcomes])
    cluster_rate = np.mean([o[1] for o in outcomes])
    tfce_rate = np.mean([o[2] for o in outcomes])
    no_cluster = np.mean([o[3] == 0 for o in outcomes])
    mean_clusters = np.mean([o[3] for o in outcomes])
    with capsys.disabled():  # shown in the ctest log even when the test passes
        print(f"\nsign-flip calibration over {N_DATASETS} null data sets (N = {N_SUBJECTS} "
              f"subjects, K = {N_PERMS} Philox, two-sided t, alpha = {ALPHA}): "
              f"FWER max-statistic = {maxstat_rate:.4f}, FWER cluster = {cluster_rate:.4f}, "
              f"FWER TFCE = {tfce_rate:.4f} (observed maps without any cluster: "
              f"{no_cluster:.4f}; mean observed clusters per map: {mean_clusters:.2f})")
    assert 0.03 <= maxstat_rate <= 0.07, f"max-statistic FWER {maxstat_rate}"
    assert 0.03 <= cluster_rate <= 0.07, f"cluster FWER {cluster_rate}"
    assert 0.03 <= tfce_rate <= 0.07, f"TFCE FWER {tfce_rate}"
