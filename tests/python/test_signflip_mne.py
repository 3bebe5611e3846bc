"""Sign-flip scheme (issue 4) against MNE-Python.

Expected values come from MNE-Python 1.3 (Debian python3-mne):
`mne.stats.permutation_cluster_1samp_test` for the cluster p-values and statistics, and
`mne.stats.permutation_t_test` for the max-statistic p-values. The per-subject maps that both
MNE and the checks of /observed start from are computed here with SciPy 1.10
(`scipy.stats.spearmanr` / `scipy.stats.pearsonr`), one subject, layer and time point at a time.

Data: synthetic per-subject brain RDMs (S = 12 stimuli, P = 66 pairs, T = 40) with planted
positive and negative effects of L = 3 random model RDMs, fed to the engine as one N x P x T file
(`brain.layout = "subjects-pairs-time"`) and as one P x T file per subject (`brain.files` glob).

Exact mode (N = 10, 2^10 = 1024 <= K + 1): the engine enumerates all 1024 flip patterns. MNE
(n_permutations >= 2^(N-1), its exact two-sided test) evaluates rows 1 .. 511 of
bin_perm_rep(N), the 511 patterns that flip subject 0 other than "flip everyone", and prepends the
observed data: 512 entries, one per pair {pattern, complement}. Two-sided, a pattern and its
complement give the same |t| map and the same clusters, so the engine's count over 1024 patterns
is twice MNE's over 512: (1 + #{k >= 1 : M_k >= c}) / 1024 == #{MNE H0 >= c} / 512, and both
divisions by a power of two are exact. So p-values must be EQUAL (cluster and max-statistic).

Why n_permutations=2**N and not 'all': in MNE 1.3, `_get_1samp_orders` (cluster_level.py) sets
max_perms = 2**(N - (tail == 0)) - 1 and takes the exact branch only when
max_perms < n_permutations. 'all' sets n_permutations = max_perms, so it falls to the random branch,
`rng.choice(max_perms, n_permutations - 1, replace=False)`: 510 of the 511 non-identity two-sided
patterns, one left out at random (H0 has 511 entries, p-values are multiples of 1/511). Only
n_permutations >= 2**(N - (tail == 0)) is the exact test (as its docstring's Notes say).

Why one-sided exact runs are not compared with MNE (read in MNE 1.3's cluster_level.py and
permutations.py): `bin_perm_rep(N)` lists all 2^N 0/1 rows, row 0 = all zeros, the last row all
ones, and a row becomes signs = 2 * order - 1, so 1 keeps a subject's sign and 0 flips it. The
exact branch of `_get_1samp_orders` uses rows [1 : max_perms + 1]. One-sided, max_perms = 2^N - 1:
rows 1 .. 2^N - 1, which drops row 0 (every subject flipped) and keeps the last row (every sign
+1, i.e. the unflipped data); `_permutation_cluster_test` then prepends the observed statistic
again (`H0.insert(0, [orig])`). So MNE's exact one-sided null counts the identity twice and never
evaluates the all-flipped pattern: its cluster p = engine p + 1/2^N whenever the all-flipped
pattern's largest cluster is below c (for tail = 1: whenever the observed map's largest negative
cluster is smaller than c), and equal otherwise. (Two-sided, rows 1 .. 2^(N-1) - 1 all flip
subject 0, so neither the identity nor its complement is among them, and the identity is counted
once.) In addition, `permutation_t_test`'s `_max_stat` takes max |t| over the map for every tail,
so its one-sided max-statistic p-values use a two-sided null, unlike the engine's max of e = s (or
-s). test_mne_exact_one_sided_null_counts_the_identity_twice shows the first point on data.

Random mode (N = 23): the engine's Philox flips (K = 5000) against MNE's own random flips
(n_permutations = 20000, seed fixed); cluster p-values must agree within 3 combined Monte-Carlo
standard errors.
"""
import functools

import numpy as np
import pytest
from scipy import stats

mne = pytest.importorskip("mne")
from mne.stats import permutation_cluster_1samp_test, permutation_t_test  # noqa: E402
from mne.stats.cluster_level import ttest_1samp_no_p  # noqa: E402

from permrsa_testing import read_results, run, write_config  # noqa: E402

N_STIMULI, N_TIMES, ALPHA = 12, 40, 0.05
N_PAIRS = N_STIMULI * (N_STIMULI - 1) // 2
EXACT_SUBJECTS = 10
STATISTIC_TOLERANCE = 1e-9   # cluster statistics (sums of t in different orders)
OBSERVED_TOLERANCE = 1e-12   # the t map against SciPy's per-subject maps

# Planted effects: (layer, first time, end time (exclusive), mean weight, sd of weight over
# subjects). Layer 0 has a positive and a negative window, so the 1-D series has clusters of both
# signs; layers 1 and 2 share a positive window (clusters across layers) and have windows of
# opposite sign side by side (which must not join); the weak windows give clusters whose p-values
# are neither 1/1024 nor 1.
EFFECTS = [(0, 5, 13, 0.60, 0.30), (0, 24, 30, -0.25, 0.35), (1, 15, 27, 0.30, 0.30),
           (2, 17, 23, 0.30, 0.30), (2, 30, 36, -0.20, 0.30), (1, 33, 37, 0.15, 0.30)]


# --------------------------------------------------------------------------------------------
# Data and per-subject maps
# --------------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def synthetic(seed, n_subjects, n_layers=3):
    """Returns (models (L, P), brain (N, P, T)), float64, continuous (no ties)."""
    rng = np.random.default_rng(seed)
    models = rng.uniform(0.2, 1.8, size=(n_layers, N_PAIRS))
    z = (models - models.mean(1, keepdims=True)) / models.std(1, keepdims=True)
    brain = 1.0 + 0.3 * rng.standard_normal((n_subjects, N_PAIRS, N_TIMES))
    for layer, first, end, mean, sd in EFFECTS:
        if layer >= n_layers:
            continue
        weights = rng.normal(mean, sd, size=n_subjects)
        brain[:, :, first:end] += 0.3 * weights[:, None, None] * z[layer][None, :, None]
    return models, brain


def subject_maps(models, brain, metric):
    """r[n, l, t] = metric(models[l], brain[n, :, t]) with SciPy, one cell at a time."""
    fun = {"spearman": lambda a, b: stats.spearmanr(a, b)[0],
           "pearson": lambda a, b: stats.pearsonr(a, b)[0]}[metric]
    n_subjects, _, n_times = brain.shape
    r = np.empty((n_subjects, len(models), n_times))
    for n in range(n_subjects):
        for layer in range(len(models)):
            for t in range(n_times):
                r[n, layer, t] = fun(models[layer], brain[n, :, t])
    return r


def t_default(n_subjects, tail="two-sided"):
    return stats.t.ppf(1 - ALPHA / 2 if tail == "two-sided" else 1 - ALPHA, n_subjects - 1)


# --------------------------------------------------------------------------------------------
# The engine
# --------------------------------------------------------------------------------------------

def engine(folder, models, brain, *, metric="spearman", connectivity="time", permutations=1023,
           seed=5, form="array"):
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "models.npy", models)
    if form == "array":
        np.save(folder / "brain.npy", brain)
        brain_section = {"file": "brain.npy", "layout": "subjects-pairs-time"}
    else:
        (folder / "subjects").mkdir(exist_ok=True)
        for n, subject in enumerate(brain):
            np.save(folder / "subjects" / f"sub-{n + 1:02d}.npy", subject)
        brain_section = {"files": "subjects/sub-*.npy", "layout": "pairs-time"}
    config = write_config(folder / "config.toml", {
        "brain": {**brain_section, "time_start": 0.0, "time_step": 0.01},
        "models": {"file": "models.npy"},
        "analysis": {"scheme": "sign-flip", "metric": metric, "group_statistic": "t",
                     "fisher_z": False, "permutations": permutations, "seed": seed,
                     "tail": "two-sided", "precision": "float64"},
        "correction": {"cluster_threshold": "t-default", "cluster_alpha": ALPHA,
                       "cluster_statistic": "mass", "connectivity": connectivity},
        "output": {"file": str(folder / "results.h5")},
    })
    run(["run", config, "--quiet"])
    return read_results(folder / "results.h5")


def engine_clusters(result):
    """{frozenset of (layer, time) cells: cluster index} from /cluster_id."""
    ids = result["/cluster_id"]
    n_clusters = len(result["/clusters/p"])
    clusters = {}
    for c in range(n_clusters):
        cells = frozenset(map(tuple, np.argwhere(ids == c).tolist()))
        assert cells, f"engine cluster {c} has no cells in /cluster_id"
        clusters[cells] = c
    assert np.all(ids < n_clusters) and np.all(ids >= -1)
    return clusters


# --------------------------------------------------------------------------------------------
# MNE
# --------------------------------------------------------------------------------------------

def mne_cluster_test(X, threshold, n_permutations, seed=0):
    """X (N, T) or (N, L, T); returns (t_obs (L, T), [(cells, p, sum of t)], H0)."""
    t_obs, clusters, p, H0 = permutation_cluster_1samp_test(
        X, threshold=threshold, n_permutations=n_permutations, tail=0, adjacency=None,
        out_type="indices", seed=seed, n_jobs=None, verbose=False)
    t_obs = np.asarray(t_obs).reshape(-1, X.shape[-1])
    found = []
    for index, cluster_p in zip(clusters, p):
        if X.ndim == 2:       # 1-D series: one index array over time, the layer is 0
            cells = frozenset((0, int(t)) for t in index[0])
        else:
            cells = frozenset((int(a), int(b)) for a, b in zip(*index))
        cell_t = np.array([t_obs[cell] for cell in cells])
        found.append((cells, float(cluster_p), float(np.sum(cell_t))))
    return t_obs, found, np.asarray(H0)


def compare_clusters(result, found, exact):
    """Cluster sets must be the same; p equal (exact) and |sum of t| within 1e-9."""
    ours = engine_clusters(result)
    theirs = {cells: (p, mass) for cells, p, mass in found}
    assert set(ours) == set(theirs), (
        f"cluster cell sets differ: engine only {[sorted(c) for c in set(ours) - set(theirs)]}, "
        f"MNE only {[sorted(c) for c in set(theirs) - set(ours)]}")
    rows = []
    for cells, c in ours.items():
        p_mne, mass_mne = theirs[cells]
        p_engine = result["/clusters/p"][c]
        statistic = result["/clusters/statistic"][c]
        rows.append((c, len(cells), p_engine, p_mne, statistic, mass_mne))
        assert result["/clusters/size"][c] == len(cells)
        assert result["/clusters/sign"][c] == np.sign(mass_mne), (c, mass_mne)
        assert abs(abs(mass_mne) - statistic) <= STATISTIC_TOLERANCE, (
            f"cluster {c} ({len(cells)} cells): engine statistic {statistic!r}, "
            f"MNE |sum t| {abs(mass_mne)!r}")
        if exact:
            assert p_engine == p_mne, (f"cluster {c} ({len(cells)} cells, first "
                                       f"{min(cells)}): engine p {p_engine!r} != MNE {p_mne!r}")
        for cell in cells:
            assert result["/p_cluster"][cell] == p_engine
    outside = result["/cluster_id"] == -1
    assert np.all(result["/p_cluster"][outside] == 1.0)
    return rows


def mne_row_to_engine_k(order_row):
    """MNE flips subject n when its 0/1 order is 0 (signs = 2 * order - 1); the engine flips
    subject n in pattern k iff bit n of k is 1. Two-sided, the complement is equivalent."""
    return sum(1 << n for n, keep in enumerate(order_row) if keep == 0)


def check_null_order(result, H0, n_subjects):
    """MNE's exact two-sided H0[j] (j >= 1) is pattern row j of bin_perm_rep(N); the engine's
    /null/max_cluster[k] must hold the same |max cluster| for the same flip set and its complement."""
    from mne.stats.cluster_level import bin_perm_rep
    null = result["/null/max_cluster"]
    full = (1 << n_subjects) - 1
    assert len(null) == full + 1
    rows = bin_perm_rep(n_subjects)[1:len(H0)]
    assert abs(null[0] - abs(H0[0])) <= STATISTIC_TOLERANCE
    bad = []
    for j, row in enumerate(rows, start=1):
        k = mne_row_to_engine_k(row)
        for kk in (k, k ^ full):
            if abs(null[kk] - abs(H0[j])) > STATISTIC_TOLERANCE:
                bad.append((j, kk, null[kk], abs(H0[j])))
    assert not bad, f"{len(bad)} null maxima differ (MNE row, engine k, engine, MNE): {bad[:6]}"
    # The complement of every pattern gives the same cluster maximum, bit for bit.
    assert np.array_equal(null, null[np.arange(full + 1) ^ full])


def check_maxstat(result, X, n_subjects):
    n_layers, n_times = result["/observed"].shape
    _, p_mne, _ = permutation_t_test(X.reshape(n_subjects, n_layers * n_times),
                                     n_permutations=2 ** n_subjects, tail=0, verbose=False)
    p_mne = p_mne.reshape(n_layers, n_times)
    got = result["/p_maxstat"]
    differ = np.argwhere(got != p_mne)
    assert len(differ) == 0, (f"/p_maxstat: {len(differ)} cells differ from MNE's "
                              f"permutation_t_test, e.g. " +
                              ", ".join(f"{tuple(c)}: engine {got[tuple(c)]!r} MNE "
                                        f"{p_mne[tuple(c)]!r}" for c in differ[:5]))
    return p_mne


# --------------------------------------------------------------------------------------------
# Exact mode, N = 10
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("metric", ["spearman", "pearson"])
def test_one_layer_time_clusters_equal_mne_exactly(tmp_path, metric):
    models, brain = synthetic(41, EXACT_SUBJECTS)
    models = models[:1]                                       # L = 1: a 1-D series over time
    maps = subject_maps(models, brain, metric)                # (N, 1, T)
    result = engine(tmp_path / "engine", models, brain, metric=metric, connectivity="time")

    assert result["attrs"]["scheme"] == "sign-flip"
    assert result["attrs"]["permutations"] == 2 ** EXACT_SUBJECTS - 1
    t_ours = ttest_1samp_no_p(maps)
    assert result["/observed"].shape == (1, N_TIMES)
    assert np.max(np.abs(result["/observed"] - t_ours)) <= OBSERVED_TOLERANCE, (
        np.max(np.abs(result["/observed"] - t_ours)))

    X = maps[:, 0, :]                                          # (N, T)
    t_mne, found, H0 = mne_cluster_test(X, t_default(EXACT_SUBJECTS), 2 ** EXACT_SUBJECTS)
    assert len(H0) == 2 ** (EXACT_SUBJECTS - 1)                # MNE's exact two-sided test
    assert np.max(np.abs(t_mne - result["/observed"])) <= OBSERVED_TOLERANCE
    # Not vacuous: clusters of both signs, significant and not.
    ps = [p for _, p, _ in found]
    assert len(found) >= 3 and min(ps) < ALPHA < max(ps) < 1
    assert {np.sign(m) for _, _, m in found} == {-1.0, 1.0}
    compare_clusters(result, found, exact=True)
    check_null_order(result, H0, EXACT_SUBJECTS)
    p_max = check_maxstat(result, X, EXACT_SUBJECTS)
    assert p_max.min() < ALPHA and len(np.unique(p_max)) > 3


def test_layer_time_clusters_equal_mne_exactly_for_both_input_forms(tmp_path):
    models, brain = synthetic(42, EXACT_SUBJECTS)
    maps = subject_maps(models, brain, "spearman")            # (N, L, T)
    # permutations = 5000 >= 2^10 - 1: the engine enumerates the 1024 patterns and sets K = 1023.
    result = engine(tmp_path / "array", models, brain, connectivity="layer-time",
                    permutations=5000, form="array")
    from_files = engine(tmp_path / "files", models, brain, connectivity="layer-time",
                        permutations=5000, form="files")

    # The two input forms give the same datasets, bit for bit (attributes name the inputs).
    assert sorted(k for k in result if k != "attrs") == sorted(k for k in from_files
                                                                if k != "attrs")
    for name in result:
        if name != "attrs":
            assert np.array_equal(result[name], from_files[name]), name

    assert result["attrs"]["scheme"] == "sign-flip"
    assert result["attrs"]["permutations"] == 2 ** EXACT_SUBJECTS - 1
    t_ours = ttest_1samp_no_p(maps)
    assert np.max(np.abs(result["/observed"] - t_ours)) <= OBSERVED_TOLERANCE

    t_mne, found, H0 = mne_cluster_test(maps, t_default(EXACT_SUBJECTS), 2 ** EXACT_SUBJECTS)
    assert np.max(np.abs(t_mne - result["/observed"])) <= OBSERVED_TOLERANCE
    ps = [p for _, p, _ in found]
    assert len(found) >= 3 and min(ps) < ALPHA < max(ps) < 1
    assert {np.sign(m) for _, _, m in found} == {-1.0, 1.0}
    # Some cluster spans more than one layer (layer-time connectivity is used).
    assert any(len({cell[0] for cell in cells}) > 1 for cells, _, _ in found)
    compare_clusters(result, found, exact=True)
    check_null_order(result, H0, EXACT_SUBJECTS)
    p_max = check_maxstat(result, maps, EXACT_SUBJECTS)
    assert p_max.min() < ALPHA and len(np.unique(p_max)) > 3


def test_given_subject_maps_equal_mne_exactly_and_the_rdm_run(tmp_path):
    """brain.layout = "subjects-layers-time": the engine tests the same (N, L, T) maps MNE gets
    (SciPy's spearman maps), so /observed equals MNE's t_obs and the exact cluster and
    max-statistic p-values equal MNE's; the clusters and p-values equal those of the run on the
    RDMs the maps came from."""
    models, brain = synthetic(42, EXACT_SUBJECTS)
    maps = subject_maps(models, brain, "spearman")            # (N, L, T)
    folder = tmp_path / "maps"
    folder.mkdir()
    np.save(folder / "maps.npy", maps)
    config = write_config(folder / "config.toml", {
        "brain": {"file": "maps.npy", "layout": "subjects-layers-time", "time_start": 0.0,
                  "time_step": 0.01},
        "analysis": {"scheme": "sign-flip", "group_statistic": "t", "permutations": 5000,
                     "seed": 5, "tail": "two-sided"},
        "correction": {"cluster_threshold": "t-default", "cluster_alpha": ALPHA,
                       "cluster_statistic": "mass", "connectivity": "layer-time"},
        "output": {"file": str(folder / "results.h5")},
    })
    run(["run", config, "--quiet"])
    result = read_results(folder / "results.h5")
    assert result["attrs"]["permutations"] == 2 ** EXACT_SUBJECTS - 1
    assert "/noise_ceiling/lower" not in result  # no RDMs, no noise ceiling
    t_mne, found, H0 = mne_cluster_test(maps, t_default(EXACT_SUBJECTS), 2 ** EXACT_SUBJECTS)
    assert np.max(np.abs(t_mne - result["/observed"])) <= OBSERVED_TOLERANCE
    assert len(found) >= 3
    compare_clusters(result, found, exact=True)
    check_null_order(result, H0, EXACT_SUBJECTS)
    check_maxstat(result, maps, EXACT_SUBJECTS)

    from_rdms = engine(tmp_path / "rdms", models, brain, connectivity="layer-time",
                       permutations=5000, form="array")
    assert np.max(np.abs(from_rdms["/observed"] - result["/observed"])) <= OBSERVED_TOLERANCE
    assert engine_clusters(from_rdms) == engine_clusters(result)
    assert np.array_equal(from_rdms["/clusters/p"], result["/clusters/p"])


def test_mne_exact_one_sided_null_counts_the_identity_twice():
    """Why one-sided exact runs are not compared (module docstring). If this fails, MNE has
    changed its exact one-sided enumeration: compare one-sided runs with it too."""
    from mne.stats.cluster_level import _get_1samp_orders
    n = EXACT_SUBJECTS
    orders, _, extra = _get_1samp_orders(n, 2 ** n, 1, np.random.RandomState(0))
    signs = 2 * np.asarray(orders) - 1
    assert extra == " (exact test)" and len(signs) == 2 ** n - 1
    assert np.sum(np.all(signs == 1, axis=1)) == 1       # the identity is among the "permutations"
    assert np.sum(np.all(signs == -1, axis=1)) == 0      # the all-flipped pattern is not
    models, brain = synthetic(41, n)
    X = subject_maps(models[:1], brain, "spearman")[:, 0, :]
    _, _, p, H0 = permutation_cluster_1samp_test(
        X, threshold=t_default(n, "greater"), n_permutations=2 ** n, tail=1, out_type="indices",
        verbose=False)
    assert len(H0) == 2 ** n and np.sum(H0 == H0[0]) == 2  # orig, then orig again (no flips)
    assert min(p) == 2 / 2 ** n                           # the engine's definition gives 1/2^N


# --------------------------------------------------------------------------------------------
# RANDOM MODE (Monte-Carlo comparison, not exact): N = 23, engine K = 5000 (Philox) against MNE
# with 20000 random sign flips (seed 0). Tolerance: 3 combined Monte-Carlo standard errors,
# 3 * sqrt(p(1-p)/(K+1) + p(1-p)/20000) with p pooled from both runs (at least 1/(K+1)).
# About 10-20 s, most of it MNE's 20000 permutations.
# --------------------------------------------------------------------------------------------

RANDOM_SUBJECTS, ENGINE_K, MNE_K = 23, 5000, 20000


def test_random_mode_cluster_p_within_monte_carlo_error_of_mne(tmp_path):
    models, brain = synthetic(43, RANDOM_SUBJECTS)
    maps = subject_maps(models, brain, "spearman")
    result = engine(tmp_path / "engine", models, brain, connectivity="layer-time",
                    permutations=ENGINE_K, seed=11)
    assert result["attrs"]["permutations"] == ENGINE_K
    assert np.max(np.abs(result["/observed"] - ttest_1samp_no_p(maps))) <= OBSERVED_TOLERANCE

    _, found, H0 = mne_cluster_test(maps, t_default(RANDOM_SUBJECTS), MNE_K, seed=0)
    assert len(H0) == MNE_K
    ps = [p for _, p, _ in found]
    assert len(found) >= 3 and min(ps) < ALPHA < max(ps)
    rows = compare_clusters(result, found, exact=False)
    report = []
    failures = []
    for c, size, p_engine, p_mne, _, _ in rows:
        pooled = (p_engine * (ENGINE_K + 1) + p_mne * MNE_K) / (ENGINE_K + 1 + MNE_K)
        pooled = max(pooled, 1.0 / (ENGINE_K + 1))
        se = np.sqrt(pooled * (1 - pooled) * (1.0 / (ENGINE_K + 1) + 1.0 / MNE_K))
        report.append(f"cluster {c} ({size} cells): engine {p_engine:.5f}, MNE {p_mne:.5f}, "
                      f"|diff| = {abs(p_engine - p_mne) / se:.2f} SE")
        if abs(p_engine - p_mne) > 3 * se:
            failures.append(report[-1])
    assert not failures, "\n".join(failures + ["all:"] + report)

    # The null distributions of the largest cluster agree too (two-sample KS).
    ks = stats.ks_2samp(result["/null/max_cluster"][1:], np.abs(H0[1:]))
    assert ks.pvalue > 1e-3, ks
