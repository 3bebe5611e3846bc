"""Calibration of the issue-19 designs under the null: the family-wise error rate at
alpha = 0.05 must lie in [0.03, 0.07] over 500 simulations each.

Expected values: the nominal level 0.05 itself (a valid permutation test has FWER <= alpha, and
close to it when the statistic is continuous); the interval is about +-3.2 binomial standard
errors for 500 simulations (sqrt(0.05 * 0.95 / 500) = 0.0097).

- contrasts: per-subject RDMs unrelated to two independent random model RDMs, so r_A - r_B is
  symmetric about 0 in every subject; two-sided, K = 199 sign flips; a family-wise error is any
  time point with p_maxstat <= 0.05 (and, separately, any cluster with p <= 0.05);
- two groups: every subject's maps drawn from one distribution, 7 + 7 subjects (C(14, 7) =
  3432 > K + 1, so random relabellings), welch-t, two-sided, K = 199.
"""
import numpy as np
import pytest

from permrsa_testing import run, write_config

SIMULATIONS, ALPHA = 500, 0.05


def family_wise(path, group=""):
    import h5py
    with h5py.File(path, "r") as f:
        g = f[group] if group else f
        p_max = g["p_maxstat"][()]
        p_clusters = g["clusters/p"][()]
    return bool((p_max <= ALPHA).any()), bool((p_clusters <= ALPHA).any())


def fwer(hits):
    return np.mean([h[0] for h in hits]), np.mean([h[1] for h in hits])


def test_contrasts_hold_the_family_wise_level(tmp_path):
    rng = np.random.Generator(np.random.Philox(190))
    S, T, N = 7, 12, 10
    P = S * (S - 1) // 2
    hits = []
    for sim in range(SIMULATIONS):
        np.save(tmp_path / "models.npy", rng.random((2, P)))
        np.save(tmp_path / "brain.npy", rng.standard_normal((N, P, T)))
        cfg = write_config(tmp_path / "c.toml", {
            "brain": {"file": str(tmp_path / "brain.npy"), "layout": "subjects-pairs-time"},
            "models": {"file": str(tmp_path / "models.npy")},
            "analysis": {"scheme": "sign-flip", "permutations": 199, "tail": "two-sided",
                         "seed": sim + 1},
            "correction": {"cluster_threshold": "t-default"},
            "contrasts": {"pairs": [["layer_0", "layer_1"]]},
            "output": {"file": str(tmp_path / "c.h5")}})
        run(["run", cfg, "-q", "--threads", "1"])
        hits.append(family_wise(tmp_path / "c.h5", "contrasts/layer_0-layer_1"))
    max_rate, cluster_rate = fwer(hits)
    print(f"contrasts: FWER max-statistic {max_rate:.3f}, cluster {cluster_rate:.3f}")
    assert 0.03 <= max_rate <= 0.07
    assert 0.03 <= cluster_rate <= 0.07


def test_two_groups_hold_the_family_wise_level(tmp_path):
    rng = np.random.Generator(np.random.Philox(191))
    N, L, T = 14, 2, 12
    groups = [0, 1] * 7
    hits = []
    for sim in range(SIMULATIONS):
        np.save(tmp_path / "maps.npy", rng.normal(0.1, 0.1, (N, L, T)))
        cfg = write_config(tmp_path / "g.toml", {
            "brain": {"file": str(tmp_path / "maps.npy"), "layout": "subjects-layers-time",
                      "groups": groups},
            "analysis": {"scheme": "two-group", "permutations": 199, "tail": "two-sided",
                         "seed": sim + 1},
            "correction": {"cluster_threshold": "t-default"},
            "output": {"file": str(tmp_path / "g.h5")}})
        run(["run", cfg, "-q", "--threads", "1"])
        hits.append(family_wise(tmp_path / "g.h5"))
    max_rate, cluster_rate = fwer(hits)
    print(f"two groups: FWER max-statistic {max_rate:.3f}, cluster {cluster_rate:.3f}")
    assert 0.03 <= max_rate <= 0.07
    assert 0.03 <= cluster_rate <= 0.07
