"""Cross-check of `permrsa run` (stimulus scheme, precision float64) against rsa_reference.py.

Expected values: rsa_reference.py (NumPy 1.24 / SciPy 1.10: scipy.stats.pearsonr, spearmanr,
kendalltau, rankdata; scipy.ndimage.label), fed the same K x S permutation array that the engine
reads through analysis.permutation_file. The reference itself is first checked against
scipy.stats per cell and against an independent flood fill for the cluster partition.

Data: S = 12 stimuli, L = 4 layers, T = 40 time points. Model RDMs come from random stimulus
features; the brain is smooth random RDMs plus planted copies of layer RDMs: positive in layer 1
(t 6-17), negative in layer 2 (t 22-29), and in layer 3 a positive box (t 31-34) touching a
negative box (t 35-39), so two-sided clusters of opposite sign are adjacent.

Identical (np.array_equal): /p_uncorrected, /p_maxstat, /p_cluster, /cluster_id and every
/clusters column; the one exception is /clusters/statistic for "mass" (a floating-point sum, so
the order of summation shows in the last bits), which like /observed, /null/max_statistic and
/null/max_cluster must agree within 1e-12.

Cases: spearman x 3 tails x 2 cluster statistics x 2 threshold kinds x 2 connectivities (24);
pearson, kendall-b and kendall-a x 4 mixed settings; spearman, kendall-b, kendall-a x 2
settings on tied model RDMs (tau-b != tau-a, average ranks); and spearman at S = 260 (P = 33670,
past one int16 plane in the engine's kernel), continuous and tied.
"""
import collections
import functools
import itertools

import numpy as np
import pytest
from scipy import stats

import rsa_reference as ref
from permrsa_testing import read_results, run, write_config

N_STIMULI, N_LAYERS, N_TIMES, N_PERMS = 12, 4, 40, 300
EFFECTS = [(1, 6, 18, 1.3), (2, 22, 30, -1.3), (3, 31, 35, 1.6, "box"), (3, 35, 40, -1.6, "box")]
TOLERANCE = 1e-12
CLUSTER_VALUE = {"pearson": 0.3, "spearman": 0.3, "kendall-b": 0.2, "kendall-a": 0.2}


@functools.lru_cache(maxsize=None)
def inputs(data="continuous"):
    """data "continuous": no ties anywhere. "tied": model RDMs rounded to steps of 0.5, so each
    layer has its own tie counts (tau-b denominators and average ranks differ by layer)."""
    brain, models = ref.synthetic_data(20240, N_STIMULI, N_LAYERS, N_TIMES, effects=EFFECTS)
    if data == "tied":
        models = np.round(models * 2) / 2
    rng = np.random.default_rng(777)
    perms = np.array([rng.permutation(N_STIMULI) for _ in range(N_PERMS)], dtype=np.int64)
    return brain, models, perms


@functools.lru_cache(maxsize=None)
def reference(metric, tail, threshold, statistic, connectivity, data="continuous"):
    brain, models, perms = inputs(data)
    return ref.analyse(brain, models, perms, metric=metric, tail=tail,
                       cluster_threshold=threshold, cluster_alpha=0.05,
                       cluster_value=CLUSTER_VALUE[metric], cluster_statistic=statistic,
                       connectivity=connectivity)


# ---------------------------------------------------------------------------------------------
# The reference on its own
# ---------------------------------------------------------------------------------------------

def kendall_a_by_counting(x, y):
    n = len(x)
    concordant = discordant = 0
    for a, b in itertools.combinations(range(n), 2):
        product = (x[a] - x[b]) * (y[a] - y[b])
        concordant += product > 0
        discordant += product < 0
    return (concordant - discordant) / (n * (n - 1) / 2)


SCIPY_METRICS = {
    "pearson": lambda x, y: stats.pearsonr(x, y)[0],
    "spearman": lambda x, y: stats.spearmanr(x, y)[0],
    "kendall-b": lambda x, y: stats.kendalltau(x, y)[0],
    "kendall-a": kendall_a_by_counting,
}


@pytest.mark.parametrize("ties", [False, True], ids=["continuous", "tied"])
@pytest.mark.parametrize("metric", ref.METRICS)
def test_reference_statistics_equal_scipy_per_cell(metric, ties):
    brain, models, perms = inputs()
    if ties:  # coarse rounding makes ties in models and brain (average ranks, tau-b denominators)
        brain, models = np.round(brain, 0), np.round(models, 0)
    all_perms = ref.with_identity(perms[:20], N_STIMULI)
    s = ref.statistic_maps(brain, models, all_perms, metric)
    index = ref.permuted_pair_index(all_perms)
    square = [np.zeros((N_STIMULI, N_STIMULI)) for _ in range(N_LAYERS)]
    for layer in range(N_LAYERS):
        iu = np.triu_indices(N_STIMULI, k=1)
        square[layer][iu] = models[layer]
        square[layer] += square[layer].T
    for k in (0, 1, 13):
        pi = all_perms[k]
        for layer in range(N_LAYERS):
            # The permuted model spelled out from the contract: D'[i][j] = D[pi[i]][pi[j]].
            permuted = square[layer][np.ix_(pi, pi)][np.triu_indices(N_STIMULI, k=1)]
            assert np.array_equal(permuted, models[layer][index[k]])
            for t in range(0, N_TIMES, 7):
                expected = SCIPY_METRICS[metric](permuted, brain[:, t])
                assert abs(s[k, layer, t] - expected) <= TOLERANCE, (metric, k, layer, t)


def flood_fill(passing, positive, connectivity, two_sided):
    """Independent clustering: breadth-first search over passing neighbours; clusters numbered in
    the order their first cell is met in a row-major scan."""
    n_layers, n_times = passing.shape
    ids = -np.ones(passing.shape, dtype=int)
    steps = [(0, -1), (0, 1)] + ([(-1, 0), (1, 0)] if connectivity == "layer-time" else [])
    next_id = 0
    for start in itertools.product(range(n_layers), range(n_times)):
        if not passing[start] or ids[start] >= 0:
            continue
        ids[start] = next_id
        queue = collections.deque([start])
        while queue:
            l, t = queue.popleft()
            for dl, dt in steps:
                n = (l + dl, t + dt)
                if not (0 <= n[0] < n_layers and 0 <= n[1] < n_times):
                    continue
                if not passing[n] or ids[n] >= 0:
                    continue
                if two_sided and positive[n] != positive[l, t]:
                    continue
                ids[n] = next_id
                queue.append(n)
        next_id += 1
    return ids


@pytest.mark.parametrize("connectivity", ["time", "layer-time"])
@pytest.mark.parametrize("tail", ref.TAILS)
def test_reference_clusters_equal_flood_fill(tail, connectivity):
    brain, models, perms = inputs()
    all_perms = ref.with_identity(perms, N_STIMULI)
    s = ref.statistic_maps(brain, models, all_perms, "spearman")
    e = ref.oriented(s, tail)
    passing = e > 0.15
    labels = ref.label_stack(passing, s >= 0, connectivity, tail == "two-sided")
    for k in range(0, N_PERMS + 1, 10):
        expected = flood_fill(passing[k], s[k] >= 0, connectivity, tail == "two-sided")
        assert np.array_equal(ref.number_by_first_cell(labels[k]), expected), k


def test_reference_p_values_follow_the_formulas_cell_by_cell():
    brain, models, perms = inputs()
    out = reference("spearman", "two-sided", "permutation-p", "mass", "time")
    s = ref.statistic_maps(brain, models, ref.with_identity(perms, N_STIMULI), "spearman")
    e = np.abs(s)
    for l, t in [(0, 0), (1, 12), (2, 25), (3, 39)]:
        assert out["/p_uncorrected"][l, t] == (1 + np.sum(e[1:, l, t] >= e[0, l, t])) / 301
        max_e = e.reshape(301, -1).max(axis=1)
        assert out["/p_maxstat"][l, t] == (1 + np.sum(max_e[1:] >= e[0, l, t])) / 301


# ---------------------------------------------------------------------------------------------
# The engine against the reference
# ---------------------------------------------------------------------------------------------

def run_engine(tmp_path, metric, tail, threshold, statistic, connectivity, data,
               arrays=None):
    brain, models, perms = arrays if arrays is not None else inputs(data)
    np.save(tmp_path / "brain.npy", brain)
    np.save(tmp_path / "models.npy", models)
    np.save(tmp_path / "perms.npy", perms)
    config = write_config(tmp_path / "config.toml", {
        "brain": {"file": "brain.npy", "layout": "pairs-time", "time_start": 0.0,
                  "time_step": 0.01},
        "models": {"file": "models.npy", "kind": "dissimilarity"},
        "analysis": {"scheme": "stimulus", "metric": metric, "permutations": len(perms),
                     "seed": 1, "tail": tail, "precision": "float64",
                     "permutation_file": "perms.npy"},
        "correction": {"cluster_threshold": threshold, "cluster_alpha": 0.05,
                       "cluster_value": CLUSTER_VALUE[metric], "cluster_statistic": statistic,
                       "connectivity": connectivity},
        "output": {"file": str(tmp_path / "results.h5")},
    })
    run(["run", config, "--quiet"])
    return read_results(tmp_path / "results.h5")


def describe_difference(name, got, expected, tolerance=0.0):
    got, expected = np.asarray(got), np.asarray(expected)
    if got.shape != expected.shape:
        return f"{name}: shape {got.shape} != expected {expected.shape}"
    if tolerance:
        where = np.argwhere(np.abs(got - expected) > tolerance)
    else:
        where = np.argwhere(got != expected)
    lines = [f"{name}: {len(where)} of {expected.size} entries differ"
             + (f" by more than {tolerance}" if tolerance else "")]
    for position in where[:8]:
        position = tuple(position)
        lines.append(f"  at {position}: engine {got[position]!r}, reference {expected[position]!r}")
    return "\n".join(lines)


def compare(result, expected, statistic, permutations=N_PERMS):
    problems = []
    exact = ["/p_uncorrected", "/p_maxstat", "/p_cluster", "/cluster_id"]
    exact += [name for name in expected if name.startswith("/clusters/")
              and not (name == "/clusters/statistic" and statistic == "mass")]
    close = ["/observed", "/null/max_statistic", "/null/max_cluster"]
    if statistic == "mass":
        close.append("/clusters/statistic")
    for name in exact + close:
        if name not in result:
            problems.append(f"{name}: missing from the results file")
            continue
        got, want = np.asarray(result[name]), np.asarray(expected[name])
        if got.shape != want.shape:
            problems.append(f"{name}: shape {got.shape} != expected {want.shape}")
        elif name in exact and not np.array_equal(got, want):
            problems.append(describe_difference(name, got, want))
        elif name in close and not np.all(np.abs(got - want) <= TOLERANCE):
            problems.append(f"{name}: max |difference| {np.max(np.abs(got - want)):.3g} > "
                            f"{TOLERANCE}\n" + describe_difference(name, got, want, TOLERANCE))
    if "/cluster_id" in result and result["/cluster_id"].dtype != np.int32:
        problems.append(f"/cluster_id dtype {result['/cluster_id'].dtype}, expected int32")
    if result["attrs"].get("permutations") != permutations:
        problems.append(f"attribute permutations = {result['attrs'].get('permutations')!r}, "
                        f"expected {permutations}")
    assert not problems, "\n".join(problems)


def check_not_vacuous(expected, tail):
    n_clusters = len(expected["/clusters/p"])
    assert n_clusters > 0, "the reference found no observed cluster"
    assert np.any(expected["/null/max_cluster"][1:] > 0), "no permutation has a cluster"
    assert np.any(expected["/p_uncorrected"] < 0.05)
    if tail == "two-sided":
        assert set(expected["/clusters/sign"]) == {-1, 1}


SPEARMAN_CASES = list(itertools.product(
    ["spearman"], ref.TAILS, ["mass", "size"], ["permutation-p", "statistic"],
    ["time", "layer-time"]))
OTHER_METRIC_CASES = [
    (metric, tail, statistic, threshold, connectivity)
    for metric in ("pearson", "kendall-b", "kendall-a")
    for tail, statistic, threshold, connectivity in [
        ("greater", "mass", "permutation-p", "time"),
        ("two-sided", "mass", "permutation-p", "layer-time"),
        ("less", "size", "statistic", "layer-time"),
        ("two-sided", "size", "statistic", "time"),
    ]]
# Tied model RDMs: tau-b differs from tau-a, and average ranks are used. Cluster "size" only: with
# unequal denominators a mass is a sum of unrelated doubles and its exact ties are not decidable.
TIED_CASES = [
    (metric, tail, "size", threshold, connectivity)
    for metric in ("spearman", "kendall-b", "kendall-a")
    for tail, threshold, connectivity in [("two-sided", "permutation-p", "layer-time"),
                                          ("greater", "statistic", "time")]]
CASES = ([case + ("continuous",) for case in SPEARMAN_CASES + OTHER_METRIC_CASES]
         + [case + ("tied",) for case in TIED_CASES])


@pytest.mark.parametrize("metric,tail,statistic,threshold,connectivity,data", CASES,
                         ids=lambda v: str(v))
def test_engine_equals_reference(tmp_path, metric, tail, statistic, threshold, connectivity,
                                 data):
    expected = reference(metric, tail, threshold, statistic, connectivity, data)
    check_not_vacuous(expected, tail)
    result = run_engine(tmp_path, metric, tail, threshold, statistic, connectivity, data)
    compare(result, expected, statistic)


# Past P = 32768 pairs (S >= 257) the doubled centred ranks no longer fit one int16 plane: the
# engine splits each side into two digit planes and multiplies them as Karatsuba's three plane
# products (src/kernels/spearman_int16_kernel.cpp). Its maps must still be the reference's exact
# integer dot products divided once, so every p-value and cluster is identical. S = 260
# (P = 33670), L = 2, T = 12, K = 60, continuous and tied models (average ranks, half-integers).
@pytest.mark.parametrize("data", ["continuous", "tied"])
def test_spearman_past_one_int16_plane_equals_reference(tmp_path, data):
    n_stimuli, n_perms = 260, 60
    brain, models = ref.synthetic_data(4242, n_stimuli, 2, 12, effects=[(1, 3, 9, 1.3)])
    if data == "tied":
        models = np.round(models * 2) / 2
    assert brain.shape[0] > 32768
    rng = np.random.default_rng(99)
    perms = np.array([rng.permutation(n_stimuli) for _ in range(n_perms)], dtype=np.int64)
    settings = ("two-sided", "permutation-p", "mass", "layer-time")
    expected = ref.analyse(brain, models, perms, metric="spearman", tail=settings[0],
                           cluster_threshold=settings[1], cluster_alpha=0.05,
                           cluster_value=CLUSTER_VALUE["spearman"], cluster_statistic=settings[2],
                           connectivity=settings[3])
    assert len(expected["/clusters/p"]) > 0, "the reference found no observed cluster"
    result = run_engine(tmp_path, "spearman", settings[0], settings[1], settings[2], settings[3],
                        data, arrays=(brain, models, perms))
    compare(result, expected, settings[2], permutations=n_perms)
