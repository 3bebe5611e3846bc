"""Time x time generalisation through the Python module (issue 19 part 3): permrsa.run(...,
generalise=True) on arrays, its T x T figure and report section, and the family-wise error rate
under the null.

Calibration: brain RDMs drawn independently at every time point (i.i.d. uniform pair values), so
the RDM at t1 is unrelated to the RDM at t2 for every t1 != t2. FWER = the fraction of
simulations with any cell p_maxstat <= 0.05 (and, separately, any cluster p <= 0.05).
Measured with this file's seeds (S = 8, T = 6, K = 200, 2000 simulations each, ~10 s in all):
  sign-flip (N = 10 subjects' own maps, t, two-sided, t-default threshold): max-statistic 0.047,
    clusters 0.041 (asserted within [0.03, 0.07]);
  stimulus scheme (group RDMs, tail greater): max-statistic 0.0615, clusters 0.047 (data seeds
    1, 2, 3: 0.047/0.0445, 0.059/0.0475, 0.0535/0.0495; about 0.055 over the 8000).
Only the upper triangle t1 < t2 is tested. Over the whole map the stimulus scheme was
conservative (0.021 to 0.037): the observed map is symmetric (r(R_t1, R_t2) = r(R_t2, R_t1): only
T(T-1)/2 distinct values) while a permutation of the t1 side gives an asymmetric map with T(T-1)
distinct values, whose maximum is larger.
"""
import numpy as np
import pytest

permrsa = pytest.importorskip("permrsa")
pytest.importorskip("permrsa._permrsa")
from permrsa import figures, report  # noqa: E402

S, T, K, SIMULATIONS = 8, 6, 200, 2000
P = S * (S - 1) // 2


def test_run_on_arrays_refuses_models():
    brain = np.random.default_rng(0).uniform(size=(P, T))
    with pytest.raises(permrsa.InputError, match="models.file"):
        permrsa.run(brain, np.random.default_rng(1).uniform(size=(2, P)), generalise=True,
                    permutations=10)


def test_figure_and_report_section(tmp_path):
    rng = np.random.default_rng(3)
    # A geometry that holds from t = 2 to t = 5: one shared RDM plus noise there.
    shared = rng.uniform(size=P)
    brain = rng.uniform(size=(P, T))
    brain[:, 2:] += 3 * shared[:, None]
    res = permrsa.run(brain, generalise=True, permutations=200, times=np.arange(T) * 0.01,
                      precision="float64")
    assert res.layers == [f"t1={t}" for t in range(T)]
    fig = figures.generalisation(res)
    ax = fig.axes[0]
    assert ax.get_xlabel().startswith("t2") and ax.get_ylabel().startswith("t1")
    diagonal = [line for line in ax.get_lines() if line.get_gid() == "diagonal"]
    assert len(diagonal) == 1
    x, y = diagonal[0].get_data()
    assert np.allclose(x, y) and x[0] < 0 and x[-1] > 0.05   # spans the whole time axis
    significant = res.clusters.index[res.clusters["p"] <= 0.05]
    assert len(significant) >= 1, "the planted geometry should give a significant cluster"
    outlines = {c.get_gid() for c in ax.collections if (c.get_gid() or "").startswith("outline:")}
    assert outlines == {f"outline:{c}" for c in significant}
    assert "between brain RDMs at t1 and t2" in fig.axes[1].get_ylabel()
    page = report.write_report(res, tmp_path / "report").read_text()
    assert 'id="generalisation"' in page and 'id="fig-generalisation"' in page


def fwer(scheme, seed):
    rng = np.random.default_rng(seed)
    any_cell = any_cluster = 0
    for i in range(SIMULATIONS):
        if scheme == "stimulus":
            brain = rng.uniform(size=(P, T))
            settings = {}
        else:
            brain = rng.uniform(size=(10, P, T))
            settings = {"layout": "subjects-pairs-time", "scheme": "sign-flip",
                        "tail": "two-sided", "correction": {"cluster_threshold": "t-default"}}
        r = permrsa.run(brain, generalise=True, permutations=K, seed=i + 1, threads=1,
                        **settings)
        any_cell += bool((r.p_maxstat.to_numpy() <= 0.05).any())
        any_cluster += bool((r.clusters["p"] <= 0.05).any())
    return any_cell / SIMULATIONS, any_cluster / SIMULATIONS


def test_sign_flip_fwer_is_calibrated():
    cell, cluster = fwer("sign-flip", 11)
    print(f"sign-flip: FWER max-statistic {cell:.4f}, clusters {cluster:.4f}")
    assert 0.03 <= cell <= 0.07, cell
    assert 0.03 <= cluster <= 0.07, cluster


def test_stimulus_fwer_is_calibrated():
    cell, cluster = fwer("stimulus", 12)
    print(f"stimulus scheme: FWER max-statistic {cell:.4f}, clusters {cluster:.4f}")
    assert 0.03 <= cell <= 0.07, cell
    assert 0.03 <= cluster <= 0.07, cluster
