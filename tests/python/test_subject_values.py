"""Per-subject values in the results (issue 18, item 2): /subject_maps (N x L x T) and
/group/mean, /group/sem (L x T) of the metric across subjects, whatever the group statistic.

Where the expected values come from: scipy.stats.spearmanr / pearsonr of each subject's RDM
with each model RDM (the per-subject maps), numpy.mean and scipy.stats.sem (ddof = 1) across
subjects; for a maps input, the input array itself. Under mpirun with two data blocks the file
must be identical to the one-process file (DESIGN.md's invariance).
"""
import shutil
import subprocess

import h5py
import numpy as np
import pytest
from scipy import stats

from permrsa_testing import BIN, run, write_config

N, S, L, T = 7, 9, 3, 12
P = S * (S - 1) // 2
MPIRUN = shutil.which("mpirun")


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    d = tmp_path_factory.mktemp("subject_values")
    rng = np.random.Generator(np.random.Philox(7))
    models = rng.random((L, P))
    subjects = 0.3 * models[1][None, :, None] + rng.random((N, P, T))
    np.save(d / "models.npy", models)
    np.save(d / "subjects.npy", subjects)
    np.save(d / "maps.npy", np.tanh(rng.standard_normal((N, L, T))) * 0.5)
    return d, models, subjects


def config(d, name, brain, **analysis):
    # float64: the per-subject correlations to the last bits (float32, the default, agrees
    # with SciPy to about 1e-7).
    return write_config(d / f"{name}.toml", {
        "brain": brain,
        "models": {"file": str(d / "models.npy")},
        "analysis": {"scheme": "sign-flip", "permutations": 30, "precision": "float64",
                     **analysis},
        "output": {"file": str(d / f"{name}.h5")}})


def read(path):
    with h5py.File(path, "r") as f:
        return {k: f[k][()] for k in ("subject_maps", "group/mean", "group/sem")}


@pytest.mark.parametrize("metric,fisher_z,group_statistic", [
    ("spearman", False, "t"), ("pearson", True, "t"), ("spearman", False, "mean")])
def test_subject_maps_mean_and_sem_equal_scipy(study, metric, fisher_z, group_statistic):
    d, models, subjects = study
    name = f"{metric}_{fisher_z}_{group_statistic}"
    brain = {"file": str(d / "subjects.npy"), "layout": "subjects-pairs-time"}
    run(["run", config(d, name, brain, metric=metric, fisher_z=fisher_z,
                       group_statistic=group_statistic), "-q"])
    got = read(d / f"{name}.h5")
    correlate = stats.spearmanr if metric == "spearman" else stats.pearsonr
    # The metric itself (r), never its Fisher z, whatever the group statistic.
    expected = np.array([[[correlate(models[l], subjects[n, :, t])[0] for t in range(T)]
                          for l in range(L)] for n in range(N)])
    assert got["subject_maps"].shape == (N, L, T)
    np.testing.assert_allclose(got["subject_maps"], expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(got["group/mean"], expected.mean(axis=0), rtol=0, atol=1e-12)
    np.testing.assert_allclose(got["group/sem"], stats.sem(expected, axis=0), rtol=0, atol=1e-12)


def test_a_maps_input_is_stored_as_given(study):
    d, _, _ = study
    maps = np.load(d / "maps.npy")
    brain = {"file": str(d / "maps.npy"), "layout": "subjects-layers-time"}
    cfg = write_config(d / "maps.toml", {
        "brain": brain, "analysis": {"scheme": "sign-flip", "permutations": 30},
        "output": {"file": str(d / "maps.h5")}})
    run(["run", cfg, "-q"])
    got = read(d / "maps.h5")
    np.testing.assert_array_equal(got["subject_maps"], maps)
    np.testing.assert_allclose(got["group/sem"], stats.sem(maps, axis=0), rtol=0, atol=1e-15)


def test_a_group_brain_rdm_has_no_subject_values(study):
    d, _, subjects = study
    np.save(d / "group.npy", subjects.mean(axis=0))
    cfg = write_config(d / "group.toml", {
        "brain": {"file": str(d / "group.npy")}, "models": {"file": str(d / "models.npy")},
        "analysis": {"permutations": 30}, "output": {"file": str(d / "group.h5")}})
    run(["run", cfg, "-q"])
    with h5py.File(d / "group.h5", "r") as f:
        assert "subject_maps" not in f and "group" not in f


@pytest.mark.skipif(MPIRUN is None, reason="mpirun is not installed")
def test_two_data_blocks_under_mpirun_give_the_same_values(study):
    d, _, _ = study
    brain = {"file": str(d / "subjects.npy"), "layout": "subjects-pairs-time"}
    run(["run", config(d, "one", brain), "-q"])
    proc = subprocess.run([MPIRUN, "-n", "2", "--oversubscribe", "--allow-run-as-root", BIN, "run",
                           str(config(d, "two", brain)), "--grid", "2x1", "-q"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    one, two = read(d / "one.h5"), read(d / "two.h5")
    for name in one:
        np.testing.assert_array_equal(one[name], two[name], err_msg=name)
