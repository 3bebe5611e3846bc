"""Per-subject summaries (issue 4, items 5 and 6): noise ceilings and bootstrap latency CIs.

Where the expected values come from:

- Noise ceiling: an independent SciPy 1.10 implementation of Nili et al. 2014 (PLoS Comput Biol
  10:e1003553), written here, one time point at a time. upper[t] = mean over subjects n of
  metric(RDM_n[:, t], mean over all subjects of R_m[:, t]); lower[t] = the same with the mean over
  the subjects m != n. R = the raw RDMs for pearson, scipy.stats.rankdata (average ranks) of each
  subject's RDM for spearman and kendall-b. metric = scipy.stats.pearsonr / spearmanr / kendalltau
  (tau-b). With brain.baseline = [start, end], each subject's pair p is first reduced by its mean
  over the time points start <= t < end (README "Config"), here with NumPy. With N = 7 the mean
  rank RDMs have tied values (multiples of 1/7 or 1/6), so kendall-b's tie handling is exercised.
- Bootstrap: the engine stores its B x L peak latencies (/bootstrap/peak_samples); the intervals,
  the peak difference and its p are recomputed from them with numpy.percentile([...], [2.5, 97.5])
  (linear interpolation) and p = min(1, 2 min(#{d <= 0}, #{d >= 0}) / B), as stated in
  include/permrsa/bootstrap_latency.hpp and issue 4 item 5. The all-subject peak is the first
  time of the largest group t in /observed (sign-flip, tail greater: /observed is the group t map,
  checked here against scipy.stats.ttest_1samp of SciPy per-subject correlations); the onset is
  the first time t > scipy.stats.t.ppf(1 - alpha, N - 1) (MNE's one-sided t-default threshold).
- Coverage (issue 4 acceptance): synthetic subjects with a planted Gaussian bump in time whose
  centre is a known sample; the true peak time is that sample's time in /axes/time.
"""
import concurrent.futures
import time

import numpy as np
import pytest
from scipy import stats

from permrsa_testing import read_results, run, write_config

N_STIMULI = 9
N_PAIRS = N_STIMULI * (N_STIMULI - 1) // 2
TIME_START, TIME_STEP = -0.05, 0.01
NC_TOLERANCE = 1e-12
BOOT_TOLERANCE = 1e-12


# --------------------------------------------------------------------------------------------
# Data, configs
# --------------------------------------------------------------------------------------------

def noise_ceiling_data(seed=11, n_subjects=7, n_times=14, n_layers=2):
    """Models (L, P) and brain (N, P, T): a shared RDM time course, a per-subject component and
    noise, so both bounds are far from 0 and differ between time points."""
    rng = np.random.default_rng(seed)
    models = rng.uniform(0.2, 1.8, size=(n_layers, N_PAIRS))
    shared = rng.standard_normal((N_PAIRS, n_times)).cumsum(axis=1) * 0.3
    weight = np.linspace(0.2, 1.5, n_times)
    brain = np.empty((n_subjects, N_PAIRS, n_times))
    for n in range(n_subjects):
        brain[n] = (1.0 + weight * shared + 0.4 * rng.standard_normal((N_PAIRS, 1))
                    + 0.6 * rng.standard_normal((N_PAIRS, n_times)))
    return models, brain


def write_inputs(folder, models, brain, form, names=None):
    """Writes models (and a names file) and the brain in the given form; returns the [brain]
    keys. form "array": one N x P x T .npy; "files": one P x T .npy per subject (glob)."""
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "models.npy", models)
    if names is not None:
        (folder / "layers.txt").write_text("\n".join(names) + "\n")
    if form == "array":
        np.save(folder / "brain.npy", brain)
        return {"file": "brain.npy", "layout": "subjects-pairs-time"}
    if form == "files":
        (folder / "subjects").mkdir(exist_ok=True)
        for n, subject in enumerate(brain):
            np.save(folder / "subjects" / f"sub-{n + 1:02d}.npy", subject)
        return {"files": "subjects/sub-*.npy", "layout": "pairs-time"}
    if form == "group":  # group-level (P x T) data, for the error test
        np.save(folder / "brain.npy", brain.mean(axis=0))
        return {"file": "brain.npy", "layout": "pairs-time"}
    raise ValueError(form)


def config_sections(folder, brain_keys, *, metric="spearman", permutations=20, seed=3,
                    names=False, bootstrap=None, baseline=None, time_start=TIME_START,
                    time_step=TIME_STEP, alpha=0.05):
    brain = {**brain_keys, "time_start": time_start, "time_step": time_step}
    if baseline is not None:
        brain["baseline"] = list(baseline)
    models = {"file": "models.npy"}
    if names:
        models["names"] = "layers.txt"
    sections = {
        "brain": brain,
        "models": models,
        "analysis": {"scheme": "sign-flip", "metric": metric, "group_statistic": "t",
                     "fisher_z": False, "permutations": permutations, "seed": seed,
                     "tail": "greater", "precision": "float64"},
        "correction": {"cluster_threshold": "t-default", "cluster_alpha": alpha,
                       "cluster_statistic": "mass", "connectivity": "time"},
    }
    if bootstrap is not None:
        sections["bootstrap"] = bootstrap
    sections["output"] = {"file": str(folder / "results.h5")}
    return sections


def run_engine(folder, sections, config_name="config.toml", extra=()):
    config = write_config(folder / config_name, sections)
    run(["run", config, "--quiet", *extra])
    return read_results(sections["output"]["file"])


# --------------------------------------------------------------------------------------------
# 1. Noise ceiling against SciPy
# --------------------------------------------------------------------------------------------

METRICS = {
    "pearson": (lambda x, y: stats.pearsonr(x, y)[0], False),
    "spearman": (lambda x, y: stats.spearmanr(x, y)[0], True),
    "kendall-b": (lambda x, y: stats.kendalltau(x, y, variant="b")[0], True),
}


def reference_noise_ceiling(brain, metric):
    """(lower (T), upper (T)) of Nili et al. 2014 from brain (N, P, T), one time point at a time."""
    fun, rank = METRICS[metric]
    n_subjects, _, n_times = brain.shape
    lower, upper = np.zeros(n_times), np.zeros(n_times)
    for t in range(n_times):
        rdms = brain[:, :, t]
        r = np.array([stats.rankdata(rdm) for rdm in rdms]) if rank else rdms
        everyone = r.mean(axis=0)
        for n in range(n_subjects):
            others = np.delete(r, n, axis=0).mean(axis=0)
            upper[t] += fun(rdms[n], everyone)
            lower[t] += fun(rdms[n], others)
    return lower / n_subjects, upper / n_subjects


def subtract_baseline(brain, times, window):
    start, end = window
    inside = (times >= start) & (times < end)
    assert 0 < inside.sum() < len(times)
    return brain - brain[:, :, inside].mean(axis=2, keepdims=True)


@pytest.mark.parametrize("baseline", [None, (-0.055, -0.005)], ids=["raw", "baseline"])
@pytest.mark.parametrize("form", ["array", "files"])
@pytest.mark.parametrize("metric", ["pearson", "spearman", "kendall-b"])
def test_noise_ceiling_matches_scipy(tmp_path, metric, form, baseline):
    models, brain = noise_ceiling_data()
    keys = write_inputs(tmp_path, models, brain, form)
    result = run_engine(tmp_path, config_sections(tmp_path, keys, metric=metric, baseline=baseline,
                                                  permutations=10))
    times = result["/axes/time"]
    assert len(times) == brain.shape[2]
    np.testing.assert_allclose(times, TIME_START + TIME_STEP * np.arange(brain.shape[2]),
                               rtol=0, atol=1e-15)
    data = brain if baseline is None else subtract_baseline(brain, times, baseline)
    lower, upper = reference_noise_ceiling(data, metric)
    got_lower, got_upper = result["/noise_ceiling/lower"], result["/noise_ceiling/upper"]
    assert got_lower.shape == got_upper.shape == (brain.shape[2],)
    d_lower = np.max(np.abs(got_lower - lower))
    d_upper = np.max(np.abs(got_upper - upper))
    print(f"noise ceiling {metric} {form} baseline={baseline}: max |diff| lower {d_lower:.3g}, "
          f"upper {d_upper:.3g}")
    assert d_lower <= NC_TOLERANCE, (
        f"lower bound: engine {got_lower.tolist()} vs SciPy {lower.tolist()}, max diff {d_lower!r}")
    assert d_upper <= NC_TOLERANCE, (
        f"upper bound: engine {got_upper.tolist()} vs SciPy {upper.tolist()}, max diff {d_upper!r}")
    # The data are not trivial: lower < upper everywhere, and the bounds vary over time.
    assert np.all(lower < upper) and np.max(upper) > 0.5 and np.ptp(lower) > 0.2


# --------------------------------------------------------------------------------------------
# 2. Bootstrap: consistency of the stored summaries with the stored samples
# --------------------------------------------------------------------------------------------

LAYER_NAMES = ["conv1", "conv2", "fc"]


def latency_data(seed, n_subjects=15, n_stimuli=10, n_times=40, centres=(12, 24), width=3.0,
                 amplitude=0.35, amplitude_sd=0.3, noise=1.0):
    """Models (L, P) and brain (N, P, T) with, for layer l, a Gaussian bump in time centred on
    sample centres[l]: subject n's RDM at t is noise + a_nl * exp(-(t - c_l)^2 / (2 width^2)) *
    z(model_l), a_nl = amplitude * (1 + amplitude_sd * standard normal)."""
    rng = np.random.default_rng(seed)
    n_pairs = n_stimuli * (n_stimuli - 1) // 2
    models = rng.uniform(0.2, 1.8, size=(len(centres), n_pairs))
    z = (models - models.mean(1, keepdims=True)) / models.std(1, keepdims=True)
    t = np.arange(n_times)
    brain = 1.0 + noise * rng.standard_normal((n_subjects, n_pairs, n_times))
    for layer, centre in enumerate(centres):
        bump = np.exp(-0.5 * ((t - centre) / width) ** 2)
        a = amplitude * (1.0 + amplitude_sd * rng.standard_normal(n_subjects))
        brain += a[:, None, None] * z[layer][None, :, None] * bump[None, None, :]
    return models, brain


def subject_correlations(models, brain, metric="spearman"):
    fun = METRICS[metric][0]
    n_subjects, _, n_times = brain.shape
    r = np.empty((n_subjects, len(models), n_times))
    for n in range(n_subjects):
        for layer in range(len(models)):
            for t in range(n_times):
                r[n, layer, t] = fun(models[layer], brain[n, :, t])
    return r


def difference_summary(samples, a, b):
    d = samples[:, a] - samples[:, b]
    p = min(1.0, 2.0 * min(np.sum(d <= 0), np.sum(d >= 0)) / len(d))
    return np.percentile(d, [2.5, 97.5]), p


def test_bootstrap_summaries_match_samples(tmp_path):
    B, alpha = 500, 0.05
    models, brain = latency_data(seed=21, centres=(12, 24, 13), amplitude=0.3)
    keys = write_inputs(tmp_path, models, brain, "files", names=LAYER_NAMES)
    sections = config_sections(tmp_path, keys, names=True, alpha=alpha, time_start=0.0,
                               bootstrap={"samples": B, "compare_layers": ["fc", "conv1"]})
    result = run_engine(tmp_path, sections)
    n_subjects, _, n_times = brain.shape
    L = len(LAYER_NAMES)
    times = result["/axes/time"]
    samples = result["/bootstrap/peak_samples"]
    assert samples.shape == (B, L)
    assert np.all(np.isfinite(samples)) and np.all(np.isin(samples, times))

    # /observed is the group t map of SciPy per-subject spearman correlations.
    r = subject_correlations(models, brain)
    t_map = stats.ttest_1samp(r, 0.0, axis=0).statistic
    d_observed = np.max(np.abs(result["/observed"] - t_map))
    assert d_observed <= 1e-10, d_observed

    # Peak from all subjects: the first time of the largest t, for each layer.
    expected_peak = times[np.argmax(result["/observed"], axis=1)]
    np.testing.assert_array_equal(result["/bootstrap/peak_time"], expected_peak)
    assert np.array_equal(expected_peak, times[np.argmax(t_map, axis=1)])

    # Intervals from the stored samples.
    ci = result["/bootstrap/peak_ci"]
    assert ci.shape == (L, 2)
    max_ci = 0.0
    for layer in range(L):
        expected = np.percentile(samples[:, layer], [2.5, 97.5])
        diff = np.max(np.abs(ci[layer] - expected))
        max_ci = max(max_ci, diff)
        assert diff <= BOOT_TOLERANCE, (layer, ci[layer], expected)

    # Threshold onset: first time t > t.ppf(1 - alpha, N - 1); every layer has one here.
    threshold = stats.t.ppf(1 - alpha, n_subjects - 1)
    for layer in range(L):
        above = np.flatnonzero(result["/observed"][layer] > threshold)
        assert len(above), f"layer {layer} never passes {threshold}"
        assert result["/bootstrap/threshold_onset_time"][layer] == times[above[0]]
    # Cluster onset from all subjects: the first time of the layer's earliest cluster with
    # p_cluster <= alpha, which is /onset/cluster_time of the observed analysis.
    np.testing.assert_array_equal(result["/bootstrap/cluster_onset_time"],
                                  result["/onset/cluster_time"])
    for name, missing_name in (("cluster_onset", "onset_missing"),
                               ("threshold_onset", "threshold_onset_missing")):
        onset_ci = result[f"/bootstrap/{name}_ci"]
        missing = result[f"/bootstrap/{missing_name}"]
        assert onset_ci.shape == (L, 2) and missing.shape == (L,)
        assert np.all(missing >= 0) and np.all(missing <= B)
        ok = ~np.isnan(onset_ci[:, 0])
        assert np.all(onset_ci[ok, 0] <= onset_ci[ok, 1])

    # Peak difference fc - conv1.
    names = [x.decode() if isinstance(x, bytes) else x for x in result["/bootstrap/difference/layers"]]
    assert names == ["fc", "conv1"]
    a, b = LAYER_NAMES.index("fc"), LAYER_NAMES.index("conv1")
    expected_ci, expected_p = difference_summary(samples, a, b)
    diff_ci = np.max(np.abs(result["/bootstrap/difference/ci"] - expected_ci))
    assert diff_ci <= BOOT_TOLERANCE, (result["/bootstrap/difference/ci"], expected_ci)
    assert np.ravel(result["/bootstrap/difference/p"])[0] == expected_p
    assert np.ravel(result["/bootstrap/difference/estimate"])[0] == expected_peak[a] - expected_peak[b]
    print(f"bootstrap: max |peak_ci - percentile| {max_ci:.3g}, difference ci {diff_ci:.3g}, "
          f"p {expected_p}, peaks {result['/bootstrap/peak_time'].tolist()}, ci {ci.tolist()}")


# --------------------------------------------------------------------------------------------
# 3. Determinism
# --------------------------------------------------------------------------------------------

def bootstrap_datasets(result):
    return {k: v for k, v in result.items() if k.startswith("/bootstrap/")}


def test_bootstrap_deterministic_for_a_seed(tmp_path):
    models, brain = latency_data(seed=5, centres=(12, 24, 18))
    keys = write_inputs(tmp_path, models, brain, "array", names=LAYER_NAMES)
    boot = {"samples": 300, "compare_layers": ["conv1", "conv2"]}

    def once(name, seed, extra=()):
        sections = config_sections(tmp_path, keys, names=True, seed=seed, time_start=0.0,
                                   bootstrap=boot)
        sections["output"]["file"] = str(tmp_path / f"{name}.h5")
        return bootstrap_datasets(run_engine(tmp_path, sections, f"{name}.toml", extra))

    first, second = once("first", 7), once("second", 7)
    threads = once("threads", 7, ["--threads", "3", "--batch-size", "5"])
    other = once("other", 8)
    assert len(first) >= 9 and set(first) == set(second) == set(threads) == set(other)
    for key in first:
        a, b, c = first[key], second[key], threads[key]
        assert a.dtype == b.dtype and a.shape == b.shape
        # Bit-identical (NaN in the same places compares equal as bytes).
        assert a.tobytes() == b.tobytes(), key
        assert a.tobytes() == c.tobytes(), f"{key} differs with --threads 3 --batch-size 5"
    assert not np.array_equal(first["/bootstrap/peak_samples"], other["/bootstrap/peak_samples"])


# --------------------------------------------------------------------------------------------
# 4. Coverage of the true peak (issue 4 acceptance)
# --------------------------------------------------------------------------------------------

COVERAGE_SIMULATIONS = 100
COVERAGE_CENTRES = (14, 25)
COVERAGE_REQUIRED = 90


def coverage_one(folder, index):
    models, brain = latency_data(seed=1000 + index, centres=COVERAGE_CENTRES)
    keys = write_inputs(folder, models, brain, "array")
    sections = config_sections(folder, keys, seed=index + 1, permutations=20, time_start=0.0,
                               bootstrap={"samples": 200})
    result = run_engine(folder, sections, extra=["--threads", "1"])
    times = result["/axes/time"]
    truth = times[list(COVERAGE_CENTRES)]
    ci = result["/bootstrap/peak_ci"]
    inside = (ci[:, 0] <= truth) & (truth <= ci[:, 1])
    return inside, ci[:, 1] - ci[:, 0], result["/bootstrap/peak_time"] == truth


def test_peak_ci_covers_true_peak(tmp_path):
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(lambda i: coverage_one(tmp_path / f"sim{i:03d}", i),
                                 range(COVERAGE_SIMULATIONS)))
    inside = np.array([o[0] for o in outcomes])          # (simulations, L)
    widths = np.array([o[1] for o in outcomes])
    exact = np.array([o[2] for o in outcomes])
    counts = inside.sum(axis=0)
    print(f"coverage of the true peak over {COVERAGE_SIMULATIONS} simulations: "
          f"{counts.tolist()} (per layer), mean CI width {widths.mean(axis=0).tolist()} s, "
          f"all-subject peak exactly at the truth {exact.sum(axis=0).tolist()}, "
          f"{time.monotonic() - started:.1f} s")
    # The intervals are not degenerate: most have a positive width.
    assert np.mean(widths > 0) > 0.5
    assert np.all(counts >= COVERAGE_REQUIRED), counts


# --------------------------------------------------------------------------------------------
# 5. Errors
# --------------------------------------------------------------------------------------------

def failing(folder, sections):
    config = write_config(folder / "config.toml", sections)
    proc = run(["run", config, "--quiet"], check=False)
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert not (folder / "results.h5").exists()
    return proc.stderr


def test_bootstrap_needs_per_subject_data(tmp_path):
    models, brain = latency_data(seed=3, n_subjects=6, centres=(10,))
    keys = write_inputs(tmp_path, models, brain, "group")
    sections = config_sections(tmp_path, keys, time_start=0.0, bootstrap={"samples": 50})
    sections["analysis"]["scheme"] = "stimulus"
    del sections["analysis"]["group_statistic"], sections["analysis"]["fisher_z"]
    sections["correction"]["cluster_threshold"] = "permutation-p"
    stderr = failing(tmp_path, sections)
    assert "[bootstrap]" in stderr, stderr


def test_bootstrap_unknown_compare_layer(tmp_path):
    models, brain = latency_data(seed=3, n_subjects=6, centres=(10, 20, 15))
    keys = write_inputs(tmp_path, models, brain, "array", names=LAYER_NAMES)
    sections = config_sections(tmp_path, keys, names=True, time_start=0.0,
                               bootstrap={"samples": 50, "compare_layers": ["conv1", "conv9"]})
    stderr = failing(tmp_path, sections)
    assert "bootstrap.compare_layers" in stderr and "conv9" in stderr, stderr


def test_bootstrap_zero_samples_switch_it_off_and_negative_ones_are_refused(tmp_path):
    # Issue 18: B = 0 switches the section off (so that --set can); B < 0 is an error.
    models, brain = latency_data(seed=3, n_subjects=6, centres=(10,))
    keys = write_inputs(tmp_path, models, brain, "array")
    sections = config_sections(tmp_path, keys, time_start=0.0, bootstrap={"samples": 0})
    result = run_engine(tmp_path, sections)
    assert not any(k.startswith("/bootstrap/") for k in result)
    (tmp_path / "results.h5").unlink()
    sections = config_sections(tmp_path, keys, time_start=0.0, bootstrap={"samples": -5})
    stderr = failing(tmp_path, sections)
    assert "bootstrap.samples" in stderr and "found -5" in stderr, stderr
