"""Time x time generalisation of the brain's geometry (issue 19 part 3, analysis.generalise).

Cell (t1, t2) is the metric between the brain RDM at t1 and the brain RDM at t2; only the upper
triangle t1 < t2 is tested (the diagonal is an RDM against itself, the lower triangle repeats the
upper one): NaN in /observed, p = 1 everywhere for t1 >= t2.

Expected values:
- observed maps: NumPy 1.24 (np.corrcoef of the RDM columns, of their scipy.stats.rankdata ranks
  for Spearman) over the whole map, and per cell scipy.stats.pearsonr / spearmanr / kendalltau
  (tau-b) and a plain-loop tau-a;
- stimulus scheme: a brute-force NumPy loop over the SAME K x S permutation file the engine reads
  (analysis.permutation_file): permutation k relabels the stimuli of the t1 side (pair (i, j) of
  the permuted RDM holds D[pi[i], pi[j]], rsa_reference.permuted_pair_index), the whole T x T map
  is recomputed, and p = (1 + #{k >= 1 : e_k >= e_0}) / (K + 1) (DESIGN.md "Statistics"; e = s
  for tail greater, |s| two-sided), with the maximum over the upper triangle for p_maxstat;
- sign flips: scipy.stats.ttest_1samp of per-subject maps computed with scipy.stats.spearmanr, and
  MNE 1.3's permutation_cluster_1samp_test on those maps (see test_sign_flip_clusters_equal_mne).
"""
import itertools

import h5py
import numpy as np
import pytest
from scipy import stats

import rsa_reference as ref
from permrsa_testing import mpirun_path, read_results, run, write_config

S, T = 9, 10
P = S * (S - 1) // 2
UPPER = np.triu(np.ones((T, T), dtype=bool), 1)  # the tested cells, t1 < t2


def sustained_brain(seed, subjects=0, noise=0.6):
    """Brain RDMs (P x T, or N x P x T) whose geometry drifts slowly: a random walk of stimulus
    features plus noise, so that nearby times share structure (clusters off the diagonal)."""
    rng = np.random.default_rng(seed)
    features = np.cumsum(rng.standard_normal((T, S, 4)) * 0.5, axis=0) + rng.standard_normal((S, 4))

    def one(r):
        out = np.empty((P, T))
        for t in range(T):
            x = features[t] + noise * r.standard_normal((S, 4))
            d = np.sqrt(((x[:, None, :] - x[None, :, :]) ** 2).sum(-1))
            out[:, t] = d[np.triu_indices(S, 1)]
        return out
    if subjects == 0:
        return one(rng)
    return np.stack([one(rng) for _ in range(subjects)])


def config(folder, brain_section, analysis, correction=None, extra=None):
    sections = {
        "brain": {**brain_section, "time_start": 0.0, "time_step": 0.01},
        "analysis": {"precision": "float64", **analysis, "generalise": True},
        "correction": correction or {},
        "output": {"file": str(folder / "results.h5")},
    }
    sections.update(extra or {})
    if not sections["correction"]:
        del sections["correction"]
    return write_config(folder / "config.toml", sections)


def group_run(tmp_path, brain, analysis, correction=None, args=()):
    tmp_path.mkdir(parents=True, exist_ok=True)
    np.save(tmp_path / "brain.npy", brain)
    cfg = config(tmp_path, {"file": str(tmp_path / "brain.npy")}, analysis, correction)
    run(["run", cfg, "--quiet", *args])
    return read_results(tmp_path / "results.h5")


def tau_a(x, y):
    n = len(x)
    i, j = np.triu_indices(n, 1)
    return float(np.sum(np.sign(x[i] - x[j]) * np.sign(y[i] - y[j])) / (n * (n - 1) / 2))


# ------------------------------------------------------------------------------------------
# Observed maps
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("metric", ["pearson", "spearman"])
def test_observed_map_equals_numpy_corrcoef(tmp_path, metric):
    brain = sustained_brain(1)
    r = group_run(tmp_path, brain, {"metric": metric, "permutations": 20})
    columns = stats.rankdata(brain, axis=0) if metric == "spearman" else brain
    expected = np.corrcoef(columns.T)            # T x T: column t1 against column t2
    expected[~UPPER] = np.nan                    # not tested: NaN in /observed
    got = r["/observed"]
    assert got.shape == (T, T)
    assert np.array_equal(np.isnan(got), np.isnan(expected))
    assert np.nanmax(np.abs(got - expected)) < 1e-12
    for name in ("/p_uncorrected", "/p_maxstat", "/p_fdr", "/p_bonferroni", "/p_holm"):
        assert np.all(r[name][~UPPER] == 1.0), name
    assert np.all(r["/cluster_id"][~UPPER] == -1)


@pytest.mark.parametrize("metric", ["pearson", "spearman", "kendall-b", "kendall-a"])
def test_observed_cells_equal_scipy(tmp_path, metric):
    brain = np.round(sustained_brain(2), 1)  # ties: average ranks, tau-b != tau-a
    r = group_run(tmp_path, brain, {"metric": metric, "permutations": 10})
    fun = {"pearson": lambda a, b: stats.pearsonr(a, b)[0],
           "spearman": lambda a, b: stats.spearmanr(a, b)[0],
           "kendall-b": lambda a, b: stats.kendalltau(a, b)[0],
           "kendall-a": tau_a}[metric]
    for t1, t2 in [(0, 1), (2, 7), (3, 9), (4, 5), (0, 9)]:
        assert abs(r["/observed"][t1, t2] - fun(brain[:, t1], brain[:, t2])) < 1e-12, (t1, t2)
    assert r["attrs"]["statistic_label"].endswith("between brain RDMs at t1 and t2")


# ------------------------------------------------------------------------------------------
# Stimulus scheme: the p-values of a brute-force loop over the same permutation file
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("tail", ["greater", "two-sided"])
def test_stimulus_p_values_equal_brute_force(tmp_path, tail):
    brain = sustained_brain(3)
    K = 150
    perms = np.stack([np.random.default_rng(100 + k).permutation(S) for k in range(K)])
    np.save(tmp_path / "perms.npy", perms)
    r = group_run(tmp_path, brain, {"metric": "spearman", "tail": tail,
                                    "permutation_file": str(tmp_path / "perms.npy")})
    index = ref.permuted_pair_index(ref.with_identity(perms, S))   # (K+1) x P
    # Continuous data: no ties, so every RDM's ranks are 1..P and rho is proportional to the
    # integer c = sum_p (2 r_t1[p] - P - 1)(2 r_t2[p] - P - 1) with one factor for all cells.
    # Spearman values repeat across permutations (they are rationals), so the counts compare c
    # exactly (int64), as the engine's kernel compares ties exactly (DESIGN.md: k = 0 goes
    # through the same kernel). Permuting the t1 side's values permutes its ranks alike.
    ranks = stats.rankdata(brain, axis=0)
    assert np.all(np.sort(ranks, axis=0) == np.arange(1, P + 1)[:, None])
    centred = (2 * ranks - P - 1).astype(np.int64)
    c = np.einsum("kpa,pb->kab", centred[index], centred)
    s = c / float(np.sum(centred[:, 0] ** 2))
    off = UPPER
    e = np.where(off, c if tail == "greater" else np.abs(c), np.iinfo(np.int64).min)
    p_unc = (1 + np.sum(e[1:] >= e[0], axis=0)) / (K + 1)
    p_unc[~off] = 1.0
    maxima = e.reshape(K + 1, -1).max(axis=1)
    p_max = (1 + np.sum(maxima[1:, None, None] >= e[0], axis=0)) / (K + 1)
    p_max[~off] = 1.0
    assert np.nanmax(np.abs(r["/observed"] - np.where(off, s[0], np.nan))) < 1e-12
    assert np.array_equal(r["/p_uncorrected"], p_unc)
    assert np.array_equal(r["/p_maxstat"], p_max)
    assert np.max(np.abs(r["/null/max_statistic"] - maxima / float(np.sum(centred[:, 0] ** 2)))) < 1e-12


# ------------------------------------------------------------------------------------------
# Sign flips on per-subject T x T maps, against SciPy and MNE
# ------------------------------------------------------------------------------------------

def subject_maps(brain):
    """r[n, t1, t2] = spearmanr(brain[n, :, t1], brain[n, :, t2]) (SciPy, per cell)."""
    N = brain.shape[0]
    out = np.empty((N, T, T))
    for n, t1, t2 in itertools.product(range(N), range(T), range(T)):
        out[n, t1, t2] = stats.spearmanr(brain[n, :, t1], brain[n, :, t2])[0]
    return out


def test_sign_flip_t_map_equals_scipy(tmp_path):
    brain = sustained_brain(4, subjects=8)
    np.save(tmp_path / "brain.npy", brain)
    cfg = config(tmp_path, {"file": "brain.npy", "layout": "subjects-pairs-time"},
                 {"scheme": "sign-flip", "metric": "spearman", "permutations": 255})
    run(["run", cfg, "--quiet"])
    r = read_results(tmp_path / "results.h5")
    maps = subject_maps(brain)
    expected = stats.ttest_1samp(maps, 0.0, axis=0).statistic
    expected[~UPPER] = np.nan
    assert np.array_equal(np.isnan(r["/observed"]), np.isnan(expected))
    assert np.nanmax(np.abs(r["/observed"] - expected)) < 1e-10
    # /subject_maps holds each subject's map of the metric (the diagonal: r = 1).
    assert np.max(np.abs(r["/subject_maps"] - maps)) < 1e-12


def test_sign_flip_clusters_equal_mne(tmp_path):
    """Exact enumeration (N = 8: 2^8 = 256 = K + 1 patterns), two-sided, t-default threshold.

    MNE 1.3 takes the exact branch only for n_permutations >= 2^(N - 1) + 1 (with 'all' it draws
    at random: see test_signflip_mne.py's notes), so 2**N is passed. It evaluates the 127
    patterns that flip subject 0 (not all) plus the observed data, one per {pattern, complement}
    pair; two-sided both give the same clusters, so the engine's p over 256 equals MNE's over 128.
    The cells t1 >= t2 are left out of MNE's clusters with `exclude` as the engine leaves them
    out."""
    mne = pytest.importorskip("mne")
    N = 8
    brain = sustained_brain(5, subjects=N, noise=0.9)
    np.save(tmp_path / "brain.npy", brain)
    cfg = config(tmp_path, {"file": "brain.npy", "layout": "subjects-pairs-time"},
                 {"scheme": "sign-flip", "metric": "spearman", "permutations": 255,
                  "tail": "two-sided"},
                 {"cluster_threshold": "t-default", "cluster_alpha": 0.05})
    run(["run", cfg, "--quiet"])
    r = read_results(tmp_path / "results.h5")
    maps = subject_maps(brain)
    threshold = stats.t.ppf(1 - 0.05 / 2, N - 1)
    X = maps.copy()
    for n in range(N):
        X[n][~UPPER] = 0.0   # excluded below; 0 keeps MNE's t finite there
    with np.errstate(invalid="ignore", divide="ignore"):
        t_obs, clusters, p, _ = mne.stats.permutation_cluster_1samp_test(
            X, threshold=threshold, adjacency=None, n_permutations=2 ** N, tail=0,
            out_type="mask", exclude=~UPPER, verbose=False)
    assert len(clusters) >= 2, "the test data should hold clusters"
    ids = r["/cluster_id"]
    engine = {frozenset(zip(*np.nonzero(ids == c))): r["/clusters/p"][c]
              for c in range(len(r["/clusters/p"]))}
    theirs = {frozenset(zip(*np.nonzero(mask))): pv for mask, pv in zip(clusters, p)}
    assert set(engine) == set(theirs)
    for cells, pv in theirs.items():
        assert engine[cells] == pv, (sorted(cells)[:3], engine[cells], pv)


# ------------------------------------------------------------------------------------------
# Invariance: threads and ranks
# ------------------------------------------------------------------------------------------

def all_datasets(path):
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: out.__setitem__(name, obj[()])
                     if isinstance(obj, h5py.Dataset) else None)
    return out


def assert_identical(a, b):
    x, y = all_datasets(a), all_datasets(b)
    assert set(x) == set(y)
    for name in x:
        assert np.array_equal(x[name], y[name], equal_nan=x[name].dtype.kind == "f"), name


@pytest.mark.parametrize("scheme", ["stimulus", "sign-flip"])
def test_bit_identical_across_threads_and_ranks(tmp_path, scheme):
    if scheme == "stimulus":
        np.save(tmp_path / "brain.npy", sustained_brain(6))
        brain_section = {"file": str(tmp_path / "brain.npy")}
    else:
        np.save(tmp_path / "brain.npy", sustained_brain(6, subjects=6))
        brain_section = {"file": str(tmp_path / "brain.npy"), "layout": "subjects-pairs-time"}
    analysis = {"scheme": scheme, "metric": "spearman", "permutations": 300, "seed": 7}
    correction = {"tfce": True}
    outputs = {}
    for name, prefix, args in [("t1", [], ["--threads", "1"]), ("t2", [], ["--threads", "2"]),
                               ("mpi", "mpi", ["--threads", "1"])]:
        folder = tmp_path / name
        folder.mkdir()
        cfg = config(folder, brain_section, analysis, correction)
        if prefix == "mpi":
            mpirun = mpirun_path()
            if mpirun is None:
                continue
            import subprocess
            from permrsa_testing import BIN
            proc = subprocess.run([mpirun, "-n", "2", "--oversubscribe", "--allow-run-as-root", BIN,
                                   "run", str(cfg), "--quiet", *args],
                                  capture_output=True, text=True, timeout=600)
            assert proc.returncode == 0, proc.stderr
        else:
            run(["run", cfg, "--quiet", *args])
        outputs[name] = folder / "results.h5"
    assert_identical(outputs["t1"], outputs["t2"])
    if "mpi" in outputs:
        assert_identical(outputs["t1"], outputs["mpi"])
    else:
        pytest.skip("mpirun not found: only the thread counts were compared")


# ------------------------------------------------------------------------------------------
# Output layout
# ------------------------------------------------------------------------------------------

def test_generalisation_links_and_attribute(tmp_path):
    r = group_run(tmp_path, sustained_brain(8), {"permutations": 50}, {"tfce": True})
    with h5py.File(tmp_path / "results.h5", "r") as f:
        assert f.attrs["generalise"] == 1
        for name in ["observed", "p_uncorrected", "p_maxstat", "p_cluster", "cluster_id",
                     "p_tfce"]:
            link = f.get(f"/generalisation/{name}", getlink=True)
            assert isinstance(link, h5py.SoftLink) and link.path == f"/{name}"
            assert np.array_equal(f[f"/generalisation/{name}"][()], f[f"/{name}"][()],
                                  equal_nan=True)
        assert [x.decode() for x in f["/axes/layer"][()]] == [f"t1={t}" for t in range(T)]
    # clusters join 4-neighbours of the T x T grid whatever the config said ("time" here)
    assert r["attrs"]["connectivity"] == "layer-time"
    info = run(["info", tmp_path / "results.h5"])
    assert "between brain RDMs at t1 and t2" in info.stdout
    assert f"time x time: {T} t1 rows x {T} t2 time points" in info.stdout
    assert "only t1 < t2 is tested" in info.stdout


# ------------------------------------------------------------------------------------------
# Bad input: exit 2, nothing written
# ------------------------------------------------------------------------------------------

BAD = {
    "per-subject maps": ({"layout": "subjects-layers-time", "maps": True}, {}, "brain.layout"),
    "covariates": ({}, {"covariates": {"file": "cov.npy"}}, "[covariates]"),
    "models": ({}, {"models": {"file": "models.npy"}}, "models.file"),
    "bootstrap": ({"subjects": True}, {"bootstrap": {"samples": 50}}, "[bootstrap]"),
    "stimulus scheme on subjects": ({"subjects": True, "scheme": "stimulus"}, {},
                                    "analysis.scheme"),
    "contrasts": ({"subjects": True}, {"contrasts": {"pairs": [["t1=0", "t1=1"]]}},
                  "contrasts.pairs"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_exits_2_and_writes_nothing(tmp_path, case):
    how, extra, key = BAD[case]
    np.save(tmp_path / "models.npy", np.random.default_rng(0).uniform(size=(2, P)))
    np.save(tmp_path / "cov.npy", np.random.default_rng(1).uniform(size=(1, P)))
    if how.get("maps"):
        np.save(tmp_path / "brain.npy", np.random.default_rng(2).uniform(-.5, .5, (4, 2, T)))
        brain = {"file": "brain.npy", "layout": "subjects-layers-time"}
        analysis = {"scheme": "sign-flip"}
    elif how.get("subjects"):
        np.save(tmp_path / "brain.npy", sustained_brain(9, subjects=4))
        brain = {"file": "brain.npy", "layout": "subjects-pairs-time"}
        analysis = {"scheme": how.get("scheme", "sign-flip")}
    else:
        np.save(tmp_path / "brain.npy", sustained_brain(9))
        brain = {"file": "brain.npy"}
        analysis = {}
    cfg = config(tmp_path, brain, {**analysis, "permutations": 20}, extra=extra)
    proc = run(["run", cfg], check=False)
    assert proc.returncode == 2, proc.stderr
    assert key in proc.stderr and "analysis.generalise" in proc.stderr, proc.stderr
    assert not (tmp_path / "results.h5").exists()
