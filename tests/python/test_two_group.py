"""analysis.scheme = "two-group" (issue 19): two groups' per-subject maps compared across
subjects, the group labels permuted.

Where the expected values come from:
- Welch's t: scipy.stats.ttest_ind(equal_var=False) per cell, on per-subject maps that SciPy
  computes itself (scipy.stats.spearmanr) from the per-subject RDM files;
- exact enumeration (6 + 6 subjects, C(12, 6) = 924 relabellings): a brute-force NumPy loop in
  this file over every assignment of 6 subjects to group a (itertools.combinations), with the same
  statistic and scipy.ndimage.label clusters per layer (connectivity "time"), p as DESIGN.md
  defines it: (#{k : max_k >= c}) / (K + 1) over every relabelling, the observed one included;
- random mode, group_statistic = "f", one layer: the observed F and the clusters from MNE-Python
  1.3's mne.stats.permutation_cluster_test([X_a, X_b], threshold=F), whose cluster p-values come
  from its own random relabellings; the engine's must agree within 3 combined Monte-Carlo
  standard errors (MNE has no exact mode for independent samples).
"""
import itertools
import subprocess

import h5py
import numpy as np
import pytest
from scipy import ndimage, stats

from permrsa_testing import BIN, mpirun_path, run, write_config

GROUPS = [0, 1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 0]  # 6 + 6, interleaved


def planted_maps(seed, n_subjects=12, layers=2, times=24, groups=GROUPS):
    """Per-subject maps (N, L, T): group a higher in layer 0 at t = 6..11, lower in layer 1 at
    t = 15..19."""
    rng = np.random.Generator(np.random.Philox(seed))
    maps = rng.normal(0.1, 0.1, (n_subjects, layers, times))
    a = np.asarray(groups) == 0
    maps[a, 0, 6:12] += 0.15
    maps[a, min(1, layers - 1), 15:20] -= 0.12
    return maps


def maps_config(d, maps, groups, name="out", **analysis):
    np.save(d / f"{name}_maps.npy", maps)
    settings = {"scheme": "two-group", "permutations": 5000}
    settings.update(analysis)
    return write_config(d / f"{name}.toml", {
        "brain": {"file": str(d / f"{name}_maps.npy"), "layout": "subjects-layers-time",
                  "groups": list(groups), "time_start": 0.0, "time_step": 0.01},
        "analysis": settings,
        "correction": {"cluster_threshold": "statistic", "cluster_value": 2.0},
        "output": {"file": str(d / f"{name}.h5")}})


def welch(x, in_a):
    return stats.ttest_ind(x[in_a], x[~in_a], axis=0, equal_var=False).statistic


def largest_cluster(s, threshold):
    """The largest cluster mass of s > threshold (tail greater), runs within each layer."""
    best = 0.0
    for row in s:
        labels, count = ndimage.label(row > threshold)
        for c in range(1, count + 1):
            best = max(best, row[labels == c].sum())
    return best


def test_exact_enumeration_equals_brute_force(tmp_path):
    maps = planted_maps(1)
    run(["run", maps_config(tmp_path, maps, GROUPS), "-q"])
    observed_a = np.asarray(GROUPS) == 0
    s0 = welch(maps, observed_a)
    null_max, null_cluster = [], []
    for members in itertools.combinations(range(12), 6):
        in_a = np.zeros(12, dtype=bool)
        in_a[list(members)] = True
        s = welch(maps, in_a)
        null_max.append(s.max())
        null_cluster.append(largest_cluster(s, 2.0))
    null_max, null_cluster = np.array(null_max), np.array(null_cluster)
    assert len(null_max) == 924
    with h5py.File(tmp_path / "out.h5", "r") as f:
        assert f.attrs["permutations"] == 923
        np.testing.assert_allclose(f["observed"][()], s0, rtol=1e-12, atol=1e-12)
        np.testing.assert_array_equal(f["groups"][()], GROUPS)
        # Max-statistic: exact counts over all 924 relabellings.
        expected_max = (null_max[None, None, :] >= s0[..., None] - 1e-12).sum(axis=2) / 924
        np.testing.assert_array_equal(f["p_maxstat"][()], expected_max)
        statistic, p = f["clusters/statistic"][()], f["clusters/p"][()]
        assert len(statistic) >= 2
        for c, pc in zip(statistic, p):
            assert pc == np.sum(null_cluster >= c - 1e-12) / 924
        assert p.min() <= 0.05  # the planted difference is found
        assert "Welch t (a - b)" in f.attrs["statistic_label"]


def test_mean_difference_and_f_are_their_definitions(tmp_path):
    maps = planted_maps(2)
    in_a = np.asarray(GROUPS) == 0
    run(["run", maps_config(tmp_path, maps, GROUPS, "md", group_statistic="mean-difference"), "-q"])
    run(["run", maps_config(tmp_path, maps, GROUPS, "f", group_statistic="f"), "-q"])
    with h5py.File(tmp_path / "md.h5", "r") as f:
        np.testing.assert_allclose(f["observed"][()],
                                   maps[in_a].mean(axis=0) - maps[~in_a].mean(axis=0),
                                   rtol=0, atol=1e-15)
    with h5py.File(tmp_path / "f.h5", "r") as f:
        expected = stats.f_oneway(maps[in_a], maps[~in_a], axis=0).statistic
        np.testing.assert_allclose(f["observed"][()], expected, rtol=1e-12)
        pooled = stats.ttest_ind(maps[in_a], maps[~in_a], axis=0).statistic
        np.testing.assert_allclose(f["observed"][()], pooled ** 2, rtol=1e-12)


def test_welch_t_of_rdm_files_equals_scipy(tmp_path):
    # brain.files_a / brain.files_b: one P x T file per subject; the engine computes each subject's
    # Spearman map; SciPy computes them again here.
    rng = np.random.Generator(np.random.Philox(5))
    S, T, L = 9, 10, 2
    P = S * (S - 1) // 2
    models = rng.random((L, P))
    files = {"a": [], "b": []}
    maps = []
    for group, n in [("a", 5), ("b", 4)]:
        for i in range(n):
            brain = rng.standard_normal((P, T)) + (0.8 if group == "a" else 0.2) * models[0][:, None]
            path = tmp_path / f"{group}_{i}.npy"
            np.save(path, brain)
            files[group].append(path)
            maps.append([[stats.spearmanr(models[l], brain[:, t])[0] for t in range(T)]
                         for l in range(L)])
    maps = np.array(maps)
    np.save(tmp_path / "models.npy", models)
    cfg = write_config(tmp_path / "files.toml", {
        "brain": {"files_a": str(tmp_path / "a_*.npy"), "files_b": str(tmp_path / "b_*.npy")},
        "models": {"file": str(tmp_path / "models.npy")},
        "analysis": {"scheme": "two-group", "permutations": 200},
        "output": {"file": str(tmp_path / "files.h5")}})
    run(["run", cfg, "-q"])
    in_a = np.array([True] * 5 + [False] * 4)
    with h5py.File(tmp_path / "files.h5", "r") as f:
        np.testing.assert_allclose(f["observed"][()], welch(maps, in_a), rtol=1e-10, atol=1e-12)
        np.testing.assert_array_equal(f["groups"][()], [0] * 5 + [1] * 4)
        assert f.attrs["permutations"] == 125  # C(9, 5) = 126 <= K + 1: all of them
        np.testing.assert_allclose(f["subject_maps"][()], maps, rtol=0, atol=1e-12)
        assert "noise_ceiling" not in f  # one ceiling for a mixture of two groups means nothing
        assert 'files = [' in f.attrs["config"] and "groups = [0, 0, 0, 0, 0, 1, 1, 1, 1]" in \
            f.attrs["config"]


def test_random_mode_f_agrees_with_mne_permutation_cluster_test(tmp_path):
    mne = pytest.importorskip("mne")
    groups = [0] * 12 + [1] * 12
    maps = planted_maps(3, n_subjects=24, layers=1, times=40, groups=groups)
    threshold = stats.f.ppf(1 - 0.05, 1, 22)
    cfg = maps_config(tmp_path, maps, groups, "f", group_statistic="f", permutations=4000)
    run(["run", cfg, "--set", "correction.cluster_threshold=\"t-default\"", "-q"])
    x_a, x_b = maps[:12, 0], maps[12:, 0]
    f_obs, clusters, cluster_p, _ = mne.stats.permutation_cluster_test(
        [x_a, x_b], threshold=threshold, n_permutations=4000, tail=1, seed=7, out_type="mask",
        verbose=False)
    with h5py.File(tmp_path / "f.h5", "r") as f:
        np.testing.assert_allclose(f["observed"][0], f_obs, rtol=0, atol=1e-12)
        p_cluster, cluster_id = f["p_cluster"][0], f["cluster_id"][0]
        assert len(clusters) == len(f["clusters/p"][()]) > 0
        for cluster, p_mne in zip(clusters, cluster_p):
            mask = np.zeros(40, dtype=bool)
            mask[cluster] = True
            assert len(set(cluster_id[mask])) == 1 and -1 not in set(cluster_id[mask])
            p = p_cluster[mask][0]
            se = np.sqrt(p * (1 - p) / 4001 + p_mne * (1 - p_mne) / 4000)
            assert abs(p - p_mne) <= 3 * max(se, 1 / 4000), (p, p_mne)


def test_identical_under_mpirun_and_threads(tmp_path):
    maps = planted_maps(4)
    run(["run", maps_config(tmp_path, maps, GROUPS, "one", permutations=300), "-q"])
    run(["run", maps_config(tmp_path, maps, GROUPS, "thr", permutations=300), "--threads", "1",
         "--batch-size", "7", "-q"])
    names = ["thr"]
    mpirun = mpirun_path()
    if mpirun:
        cfg = maps_config(tmp_path, maps, GROUPS, "mpi", permutations=300)
        proc = subprocess.run([mpirun, "-n", "2", "--oversubscribe", "--allow-run-as-root", BIN,
                               "run", str(cfg), "--grid", "1x2", "-q"],
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        names.append("mpi")
    with h5py.File(tmp_path / "one.h5", "r") as ref:
        for name in names:
            with h5py.File(tmp_path / f"{name}.h5", "r") as f:
                for key in ("observed", "p_uncorrected", "p_maxstat", "p_cluster", "cluster_id",
                            "null/max_statistic", "null/max_cluster"):
                    np.testing.assert_array_equal(f[key][()], ref[key][()], err_msg=f"{name} {key}")


@pytest.mark.parametrize("brain,analysis,key,message", [
    ({"groups": [0, 1, 0]}, {}, "brain.groups", "expected one group (0 or 1) per subject, N = 12"),
    ({"groups": [0] + [1] * 11}, {}, "brain.groups", "expected at least 2 subjects in each group"),
    ({"groups": [0, 2] * 6}, {}, "brain.groups", "expected 0 (group a) or 1 (group b)"),
    ({"groups": None}, {}, "brain.groups", "needs each subject's group"),
    ({}, {"group_statistic": "t"}, "analysis.group_statistic", "expected \"welch-t\""),
    ({}, {"group_statistic": "f", "tail": "two-sided"}, "analysis.tail", "expected \"greater\""),
    ({}, {"scheme": "sign-flip"}, "brain.groups", "groups apply to analysis.scheme = \"two-group\""),
])
def test_bad_two_group_inputs_exit_2_and_write_nothing(tmp_path, brain, analysis, key, message):
    maps = planted_maps(6)
    cfg = maps_config(tmp_path, maps, GROUPS, **analysis)
    text = cfg.read_text() if hasattr(cfg, "read_text") else open(cfg).read()
    if brain:
        value = brain["groups"]
        line = [l for l in text.splitlines() if l.startswith("groups")][0]
        text = text.replace(line + "\n", "" if value is None else f"groups = {value}\n")
    (tmp_path / "bad.toml").write_text(text)
    proc = run(["run", str(tmp_path / "bad.toml")], check=False)
    assert proc.returncode == 2, proc.stderr
    assert key in proc.stderr and message in proc.stderr, proc.stderr
    assert not (tmp_path / "out.h5").exists()


def test_constant_groups_are_refused_naming_the_cell(tmp_path):
    maps = planted_maps(7)
    maps[:, 1, 3] = 0.25  # every subject the same at layer 1, time point 3
    proc = run(["run", maps_config(tmp_path, maps, GROUPS)], check=False)
    assert proc.returncode == 2
    assert "layer 1" in proc.stderr and "time point 3" in proc.stderr
    assert "no variance within the groups" in proc.stderr
    assert not (tmp_path / "out.h5").exists()
