"""Exact p-values by full enumeration: S = 7 stimuli, so 7! = 5040 permutations.

With analysis.permutations >= 5039 (S! <= K + 1) the engine enumerates every permutation once
(lexicographic order, k = 0 the identity) and sets K = 5039; the p-values are then exact.

Expected values: rsa_reference.py (NumPy 1.24 / SciPy 1.10) run by brute force over all of
itertools.permutations(range(7)) - the identity first, as k = 0. The reference counts ties of
the discrete rank / Kendall nulls exactly (integer rank dot products and C - D counts), so
p_uncorrected, p_maxstat, p_cluster (and /cluster_id) must be IDENTICAL, and the `permutations`
attribute must be 5039. The null maxima must come in lexicographic order (within 1e-12).
"""
import functools

import numpy as np
import pytest

import rsa_reference as ref
from permrsa_testing import read_results, run, write_config

N_STIMULI, N_LAYERS, N_TIMES = 7, 2, 12
EFFECTS = [(0, 1, 6, 1.8), (1, 6, 12, -1.8)]
TOLERANCE = 1e-12

# (tail, cluster_statistic, cluster_threshold, cluster_value, connectivity, permutations asked)
SETTINGS = {
    "two-sided-mass-p-layer-time": ("two-sided", "mass", "permutation-p", 0.0, "layer-time", 5039),
    "greater-size-statistic-time": ("greater", "size", "statistic", 0.35, "time", 100000),
}


@functools.lru_cache(maxsize=None)
def inputs():
    return ref.synthetic_data(7007, N_STIMULI, N_LAYERS, N_TIMES, effects=EFFECTS)


@functools.lru_cache(maxsize=None)
def brute_force(metric, setting):
    tail, statistic, threshold, value, connectivity, _ = SETTINGS[setting]
    brain, models = inputs()
    return ref.analyse(brain, models, ref.all_permutations(N_STIMULI), metric=metric, tail=tail,
                       cluster_threshold=threshold, cluster_alpha=0.05, cluster_value=value,
                       cluster_statistic=statistic, connectivity=connectivity)


def engine(metric, setting, folder):
    tail, statistic, threshold, value, connectivity, permutations = SETTINGS[setting]
    brain, models = inputs()
    np.save(folder / "brain.npy", brain)
    np.save(folder / "models.npy", models)
    config = write_config(folder / "config.toml", {
        "brain": {"file": "brain.npy", "layout": "pairs-time", "time_start": 0.0,
                  "time_step": 0.01},
        "models": {"file": "models.npy"},
        "analysis": {"scheme": "stimulus", "metric": metric, "permutations": permutations,
                     "seed": 3, "tail": tail, "precision": "float64"},
        "correction": {"cluster_threshold": threshold, "cluster_alpha": 0.05,
                       "cluster_value": value, "cluster_statistic": statistic,
                       "connectivity": connectivity},
        "output": {"file": str(folder / "results.h5")},
    })
    run(["run", config, "--quiet"])
    return read_results(folder / "results.h5")


def differences(name, got, want):
    got, want = np.asarray(got), np.asarray(want)
    if got.shape != want.shape:
        return f"{name}: shape {got.shape} != expected {want.shape}"
    where = np.argwhere(got != want)
    lines = [f"{name}: {len(where)} of {want.size} entries differ"]
    for position in map(tuple, where[:8]):
        lines.append(f"  at {position}: engine {got[position]!r}, exact {want[position]!r}")
    return "\n".join(lines)


def tie_hint(metric, setting, got, want):
    """For the failure message: how many null values tie e_0 exactly at each cell that differs."""
    brain, models = inputs()
    all_perms = ref.with_identity(ref.all_permutations(N_STIMULI), N_STIMULI)
    e = ref.oriented(ref.statistic_maps(brain, models, all_perms, metric), SETTINGS[setting][0])
    lines = ["p_uncorrected cells that differ: (cell, engine count - exact count, exact ties "
             "e_k == e_0 among k >= 1)"]
    for cell in map(tuple, np.argwhere(got != want)):
        ties = int(np.sum(e[(slice(1, None),) + cell] == e[(0,) + cell]))
        lines.append(f"  {cell}: {round((got[cell] - want[cell]) * 5040):+d}, {ties} ties")
    return "\n".join(lines)


@pytest.mark.parametrize("setting", SETTINGS)
@pytest.mark.parametrize("metric", ["spearman", "kendall-b"])
def test_exact_p_values_equal_brute_force_enumeration(tmp_path_factory, metric, setting):
    expected = brute_force(metric, setting)
    # Not vacuous: there are observed clusters, small exact p-values, and ties in the null.
    assert len(expected["/clusters/p"]) > 0
    assert expected["/p_uncorrected"].min() < 0.01
    result = engine(metric, setting, tmp_path_factory.mktemp(f"{metric}-{setting}"))

    assert result["attrs"].get("permutations") == 5039
    problems = [differences(name, result.get(name), expected[name])
                for name in ("/p_uncorrected", "/p_maxstat", "/p_cluster", "/cluster_id")
                if name not in result or not np.array_equal(result[name], expected[name])]
    if problems and "/p_uncorrected" in result:
        problems.append(tie_hint(metric, setting, result["/p_uncorrected"],
                                 expected["/p_uncorrected"]))
    assert not problems, "\n".join(problems)
    assert np.all(np.abs(result["/observed"] - expected["/observed"]) <= TOLERANCE)


@pytest.mark.parametrize("metric", ["spearman", "kendall-b"])
def test_enumeration_is_in_lexicographic_order(tmp_path_factory, metric):
    setting = "two-sided-mass-p-layer-time"
    expected = brute_force(metric, setting)
    result = engine(metric, setting, tmp_path_factory.mktemp(f"order-{metric}"))
    for name in ("/null/max_statistic", "/null/max_cluster"):
        got, want = result[name], expected[name]
        assert got.shape == want.shape, name
        wrong = np.nonzero(np.abs(got - want) > TOLERANCE)[0]
        assert len(wrong) == 0, (f"{name}: {len(wrong)} of {len(want)} differ, first at k = "
                                 f"{wrong[:5]}: engine {got[wrong[:5]]}, lexicographic "
                                 f"{want[wrong[:5]]}")


def test_reference_enumeration_has_exact_ties():
    """The null of a rank statistic over 5040 permutations of 21 pairs is full of exact ties;
    the reference keeps them equal (one division of integers by one denominator)."""
    brain, models = inputs()
    all_perms = ref.with_identity(ref.all_permutations(N_STIMULI), N_STIMULI)
    assert len(all_perms) == 5040 and len(np.unique(all_perms, axis=0)) == 5040
    for metric in ("spearman", "kendall-b"):
        s = ref.statistic_maps(brain, models, all_perms, metric)
        assert len(np.unique(s[:, 0, 0])) < 2000, metric
        assert np.any(s[1:] == s[0])
