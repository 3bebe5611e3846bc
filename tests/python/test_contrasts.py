"""[contrasts] (issue 19): the paired sign-flip test of r_A - r_B across subjects.

Where the expected values come from:
- the per-subject maps r_n,l(t): SciPy 1.10 `scipy.stats.spearmanr`, one subject, layer and time
  point at a time; the differences d_n(t) = r_n,A(t) - r_n,B(t) (or of their Fisher z) in NumPy;
- cluster p-values and statistics: MNE-Python 1.3 `mne.stats.permutation_cluster_1samp_test` on
  those difference maps, exact two-sided mode (N = 10, n_permutations = 2**N; why this equals the
  engine's 1024-pattern enumeration exactly is explained in test_signflip_mne.py's docstring);
- max-statistic p-values: MNE's `permutation_t_test` (its max |t| null is the two-sided one);
- the t map: scipy.stats.ttest_1samp of the differences;
- the mean and SEM: numpy.mean and scipy.stats.sem.
"""
import functools
import subprocess

import h5py
import numpy as np
import pytest
from scipy import stats

mne = pytest.importorskip("mne")
from mne.stats import permutation_cluster_1samp_test, permutation_t_test  # noqa: E402

from permrsa_testing import BIN, mpirun_path, run, write_config  # noqa: E402

S, L, T, N = 10, 3, 30, 10
P = S * (S - 1) // 2
LAYERS = ["early", "middle", "late"]


@functools.lru_cache(maxsize=None)
def synthetic(seed=19):
    """Models (L, P) and brain (N, P, T): "late" fits better than "early" from t = 8 to 15 and
    worse from t = 20 to 24, with subject-to-subject variation of the weights."""
    rng = np.random.Generator(np.random.Philox(seed))
    models = rng.random((L, P))
    brain = rng.standard_normal((N, P, T))
    centred = models - models.mean(axis=1, keepdims=True)
    for n in range(N):
        w_late, w_early = rng.normal(0.5, 0.35), rng.normal(0.5, 0.35)
        brain[n, :, 8:16] += 3 * w_late * centred[2][:, None]
        brain[n, :, 20:25] += 3 * w_early * centred[0][:, None]
        brain[n, :, :] += 0.8 * centred[1][:, None]
    return models, brain


def subject_maps(models, brain):
    out = np.empty((N, L, T))
    for n in range(N):
        for l in range(L):
            for t in range(T):
                out[n, l, t] = stats.spearmanr(models[l], brain[n, :, t])[0]
    return out


def write_study(d, **sections):
    models, brain = synthetic()
    np.save(d / "models.npy", models)
    np.save(d / "brain.npy", brain)
    (d / "layers.txt").write_text("\n".join(LAYERS) + "\n")
    config = {
        "brain": {"file": str(d / "brain.npy"), "layout": "subjects-pairs-time",
                  "time_start": 0.0, "time_step": 0.01},
        "models": {"file": str(d / "models.npy"), "names": str(d / "layers.txt")},
        "analysis": {"scheme": "sign-flip", "permutations": 2 ** N, "tail": "two-sided"},
        "correction": {"cluster_threshold": "t-default"},
        "contrasts": {"pairs": [["late", "early"], ["middle", "early"]]},
        "output": {"file": str(d / "out.h5")},
    }
    for section, values in sections.items():
        config.setdefault(section, {}).update(values)
    return write_config(d / "config.toml", config)


@pytest.fixture(scope="module")
def exact(tmp_path_factory):
    d = tmp_path_factory.mktemp("contrasts")
    run(["run", write_study(d), "-q"])
    models, brain = synthetic()
    return d / "out.h5", subject_maps(models, brain)


def test_observed_mean_and_sem_equal_scipy(exact):
    path, maps = exact
    diff = maps[:, 2] - maps[:, 0]
    with h5py.File(path, "r") as f:
        g = f["contrasts/late-early"]
        np.testing.assert_allclose(g["observed"][()], stats.ttest_1samp(diff, 0).statistic,
                                   rtol=0, atol=1e-12)
        np.testing.assert_allclose(g["mean"][()], diff.mean(axis=0), rtol=0, atol=1e-15)
        np.testing.assert_allclose(g["sem"][()], stats.sem(diff, axis=0), rtol=0, atol=1e-15)
        assert [x.decode() for x in g["layers"][()]] == ["late", "early"]
        assert [x.decode() for x in f["contrasts/names"][()]] == ["late-early", "middle-early"]


@pytest.mark.parametrize("pair", [("late", "early"), ("middle", "early")])
def test_exact_cluster_and_max_statistic_p_values_equal_mne(exact, pair):
    path, maps = exact
    a, b = LAYERS.index(pair[0]), LAYERS.index(pair[1])
    diff = maps[:, a] - maps[:, b]
    threshold = stats.t.ppf(1 - 0.05 / 2, N - 1)
    t_obs, clusters, cluster_p, _ = permutation_cluster_1samp_test(
        diff, threshold=threshold, n_permutations=2 ** N, tail=0, out_type="mask", verbose=False)
    _, p_max, _ = permutation_t_test(diff, n_permutations=2 ** N, tail=0, verbose=False)
    with h5py.File(path, "r") as f:
        g = f[f"contrasts/{pair[0]}-{pair[1]}"]
        np.testing.assert_allclose(g["observed"][()], t_obs, rtol=0, atol=1e-12)
        np.testing.assert_array_equal(g["p_maxstat"][()], p_max)
        p_cluster, cluster_id = g["p_cluster"][()], g["cluster_id"][()]
        statistic = g["clusters/statistic"][()]
        assert len(clusters) == len(statistic) > 0
        masks = []
        for cluster in clusters:  # MNE gives slices for 1-D data
            masks.append(np.zeros(T, dtype=bool))
            masks[-1][cluster] = True
        for mask, p in zip(masks, cluster_p):
            ids = set(cluster_id[mask])
            assert len(ids) == 1 and -1 not in ids, ids  # one engine cluster per MNE cluster
            assert np.all(p_cluster[mask] == p), (pair, p_cluster[mask], p)
            np.testing.assert_allclose(abs(statistic[cluster_id[mask][0]]),
                                       abs(t_obs[mask].sum()), rtol=1e-12)
        assert np.all(p_cluster[~np.any(masks, axis=0)] == 1.0)
        assert np.any(np.asarray(cluster_p) <= 0.05)  # the planted windows are found


def test_fisher_z_differences_are_of_atanh(tmp_path):
    run(["run", write_study(tmp_path, analysis={"fisher_z": True}), "-q"])
    maps = subject_maps(*synthetic())
    diff = np.arctanh(maps[:, 2]) - np.arctanh(maps[:, 0])
    with h5py.File(tmp_path / "out.h5", "r") as f:
        np.testing.assert_allclose(f["contrasts/late-early/observed"][()],
                                   stats.ttest_1samp(diff, 0).statistic, rtol=0, atol=1e-11)
        np.testing.assert_allclose(f["contrasts/late-early/mean"][()], diff.mean(axis=0),
                                   rtol=0, atol=1e-14)


def contrast_datasets(path):
    out = {}
    with h5py.File(path, "r") as f:
        f["contrasts"].visititems(
            lambda name, obj: out.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset)
            else None)
    return out


def test_identical_under_mpirun_and_threads(tmp_path, exact):
    # Invariant 1 (DESIGN.md): the same bits for any rank or thread count.
    reference = contrast_datasets(exact[0])
    run(["run", write_study(tmp_path, output={"file": str(tmp_path / "t1.h5")}), "--threads", "1",
         "-q"])
    others = [tmp_path / "t1.h5"]
    mpirun = mpirun_path()
    if mpirun:
        cfg = write_study(tmp_path, output={"file": str(tmp_path / "mpi.h5")})
        proc = subprocess.run([mpirun, "-n", "2", "--oversubscribe", "--allow-run-as-root", BIN,
                               "run", str(cfg), "--grid", "2x1", "-q"],
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        others.append(tmp_path / "mpi.h5")
    for other in others:
        got = contrast_datasets(other)
        assert got.keys() == reference.keys()
        for name in reference:
            np.testing.assert_array_equal(got[name], reference[name], err_msg=f"{other}: {name}")


@pytest.mark.parametrize("change,key,message", [
    ({"analysis": {"scheme": "stimulus", "permutations": 100}}, "contrasts.pairs",
     "the stimulus scheme has no valid contrast test"),
    ({"contrasts": {"pairs": [["late", "late"]]}}, "contrasts.pairs",
     "expected two different layers"),
    ({"contrasts": {"pairs": [["late", "fc9"]]}}, "contrasts.pairs",
     'found "fc9" in ["late", "fc9"]; the layers are: early, middle, late'),
    ({"contrasts": {"pairs": []}}, "contrasts.pairs", "expected at least one"),
    ({"contrasts": {"pairs": [["late"]]}}, "contrasts.pairs", "pairs"),
])
def test_bad_contrasts_exit_2_and_write_nothing(tmp_path, change, key, message):
    proc = run(["run", write_study(tmp_path, **change)], check=False)
    assert proc.returncode == 2, proc.stderr
    assert key in proc.stderr and message in proc.stderr, proc.stderr
    assert not (tmp_path / "out.h5").exists()
