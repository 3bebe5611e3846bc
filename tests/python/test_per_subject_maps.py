"""Per-subject brain RDMs: the observed group maps of both schemes against NumPy/SciPy.

Expected values: scipy.stats.spearmanr / pearsonr per subject, numpy.arctanh for Fisher z,
mne-style one-sample t (mean / sqrt(var(ddof=1) / N)) across subjects, computed here; the
per-subject .mat files are written with scipy.io.savemat (MATLAB v5), as the original study
kept one .mat per subject with a variable such as `rdm_time`."""
import numpy as np
import pytest
import scipy.io
import scipy.stats as st

from permrsa_testing import read_results, run, write_config

S, L, T, N = 9, 2, 12, 6
P = S * (S - 1) // 2


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("subjects")
    rng = np.random.default_rng(5)
    models = rng.random((L, P))
    subjects = rng.random((N, P, T)) + 0.5 * models[0][None, :, None]
    np.save(d / "models.npy", models)
    np.save(d / "all.npy", subjects)
    for n in range(N):
        np.save(d / f"sub-{n}.npy", subjects[n])
        scipy.io.savemat(d / f"sub-{n}.mat", {"rdm_time": subjects[n]})
    return d, models, subjects


def per_subject(models, subjects, metric):
    f = st.spearmanr if metric == "spearman" else st.pearsonr
    return np.array([[[f(models[l], subjects[n][:, t])[0] for t in range(T)] for l in range(L)]
                     for n in range(N)])


def run_case(d, brain, analysis, name):
    out = d / f"{name}.h5"
    cfg = write_config(d / f"{name}.toml", {
        "brain": {**brain, "time_start": 0.0, "time_step": 0.01},
        "models": {"file": "models.npy"},
        "analysis": {"permutations": 50, "precision": "float64", "tail": "two-sided", **analysis},
        "correction": {"cluster_threshold": "statistic", "cluster_value": 0.5},
        "output": {"file": str(out)},
    })
    run(["run", cfg, "--quiet"])
    return read_results(out)


def t_stat(x):
    return x.mean(0) / np.sqrt(x.var(0, ddof=1) / x.shape[0])


@pytest.mark.parametrize("metric", ["spearman", "pearson"])
@pytest.mark.parametrize("fisher_z", [False, True])
def test_stimulus_scheme_averages_the_subjects_correlations(data, metric, fisher_z):
    d, models, subjects = data
    r = per_subject(models, subjects, metric)
    expected = (np.arctanh(r) if fisher_z else r).mean(0)
    res = run_case(d, {"files": "sub-*.npy"}, {"scheme": "stimulus", "metric": metric,
                                               "fisher_z": fisher_z}, f"stim-{metric}-{fisher_z}")
    assert np.abs(res["/observed"] - expected).max() < 1e-12


@pytest.mark.parametrize("statistic", ["t", "mean"])
@pytest.mark.parametrize("fisher_z", [False, True])
def test_sign_flip_observed_is_the_group_statistic(data, statistic, fisher_z):
    d, models, subjects = data
    r = per_subject(models, subjects, "spearman")
    x = np.arctanh(r) if fisher_z else r
    expected = t_stat(x) if statistic == "t" else x.mean(0)
    res = run_case(d, {"file": "all.npy", "layout": "subjects-pairs-time"},
                   {"scheme": "sign-flip", "metric": "spearman", "group_statistic": statistic,
                    "fisher_z": fisher_z}, f"flip-{statistic}-{fisher_z}")
    assert np.abs(res["/observed"] - expected).max() < 1e-12
    assert res["attrs"]["scheme"] == "sign-flip" and res["attrs"]["subjects"] == N


def test_mat_npy_and_one_array_inputs_give_the_same_maps(data):
    d = data[0]
    analysis = {"scheme": "sign-flip", "metric": "spearman"}
    a = run_case(d, {"files": "sub-*.mat:rdm_time"}, analysis, "mat")
    b = run_case(d, {"files": "sub-*.npy"}, analysis, "npy")
    c = run_case(d, {"file": "all.npy", "layout": "subjects-pairs-time"}, analysis, "array")
    for key in ["/observed", "/p_uncorrected", "/p_maxstat", "/null/max_statistic"]:
        assert np.array_equal(a[key], b[key]) and np.array_equal(b[key], c[key]), key


def test_sign_flip_without_per_subject_data_is_an_input_error(data):
    d = data[0]
    cfg = write_config(d / "bad.toml", {"brain": {"file": "sub-0.npy"}, "models": {"file": "models.npy"},
                                        "analysis": {"scheme": "sign-flip"}})
    proc = run(["run", cfg], check=False)
    assert proc.returncode == 2 and "analysis.scheme" in proc.stderr
